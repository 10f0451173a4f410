/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * writer.h -- writers: who appends to which segment, and in-flight versions
 *
 * A writer owns at most one open segment and appends records to it; its
 * lock orders the records in that segment, which recovery relies on.
 * Threads map to writers by a per-thread number, so threads rarely share
 * a writer.
 */
#ifndef PMKV_WRITER_H
#define PMKV_WRITER_H

#include <pthread.h>
#include <stdint.h>

#include "cacheline.h"
#include "invariant.h"
#include "persist.h"

struct seg;

struct writer {
	pthread_mutex_t lock;
	struct seg *seg;
	struct persist_ctx pc;
	uint64_t inflight;	/* lower bound of an uninstalled version; 0: none */
	uint64_t puts, deletes, gets;
} __attribute__((aligned(CACHELINE)));

#define NWRITERS 64

/*
 * The fast paths below are inline: every put and get goes through them,
 * and out of line each would cost a call (commit.h has the figures).
 */

/* the calling thread's number; ~0U until writer_slot_assign() gives one */
extern __thread unsigned writer_thread_slot;
unsigned writer_slot_assign(void);

/* the calling thread's writer, for its counters, without its lock */
static inline struct writer *writer_of_thread(struct writer *writers)
{
	unsigned slot = writer_thread_slot;

	if (__builtin_expect(slot == ~0U, 0))
		slot = writer_slot_assign();
	return &writers[slot % NWRITERS];
}

/* the calling thread's writer, locked */
static inline struct writer *writer_get(struct writer *writers)
{
	struct writer *w = writer_of_thread(writers);

	pthread_mutex_lock(&w->lock);
	return w;
}

static inline void writer_put(struct writer *w)
{
	pthread_mutex_unlock(&w->lock);
}

/*
 * A version for w's next records, taken from *next, after announcing a
 * lower bound of it in w->inflight (reclamation reads the bounds: gc.c);
 * writer_done() clears it.
 */
static inline uint64_t writer_take_version(struct writer *w, uint64_t *next)
{
	PMKV_ASSERT(w->inflight == 0);
	__atomic_store_n(&w->inflight, __atomic_load_n(next, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	return __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST);
}

static inline void writer_done(struct writer *w)
{
	__atomic_store_n(&w->inflight, 0, __ATOMIC_RELEASE);
}

/* the smallest version announced and not yet done; UINT64_MAX if none */
uint64_t writer_min_inflight(const struct writer *writers);

#endif /* PMKV_WRITER_H */
