// SPDX-License-Identifier: BSD-3-Clause
/*
 * writer.c -- writers: the per-thread slot, in-flight versions
 *
 * A version is announced before it is taken: a lower bound of it goes to
 * w->inflight first, so that reclamation, reading every writer's bound,
 * never drops a tombstone that a record not yet published is older than
 * (gc.c says why that matters). The per-put steps are inline in writer.h.
 */
#include <stdint.h>

#include "writer.h"

__thread unsigned writer_thread_slot = ~0U;
static unsigned next_thread_slot;

unsigned writer_slot_assign(void)
{
	writer_thread_slot = __atomic_fetch_add(&next_thread_slot, 1,
						__ATOMIC_RELAXED);
	return writer_thread_slot;
}

uint64_t writer_min_inflight(const struct writer *writers)
{
	uint64_t min = UINT64_MAX;

	for (int i = 0; i < NWRITERS; i++) {
		uint64_t v = __atomic_load_n(&writers[i].inflight,
					     __ATOMIC_SEQ_CST);

		if (v && v < min)
			min = v;
	}
	return min;
}
