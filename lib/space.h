/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * space.h -- room for a commit: allocate, or reclaim and try again
 *
 * The one module above both the allocator (segment.c) and the collector
 * (gc.c): neither calls the other, and a put that finds the pool full
 * comes here to reclaim.
 */
#ifndef PMKV_SPACE_H
#define PMKV_SPACE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "commit.h"

/*
 * commit_begin() for size bytes, reclaiming segments while the pool has
 * no room. for_delete: when even reclamation finds none, deletes take the
 * segment kept for them, so that a full pool can still be emptied.
 * -ENOSPC (no message) when there is no room.
 */
int space_reclaim_and_begin(struct pmkv *kv, struct commit *c, uint64_t size,
			    bool for_delete);
static inline int space_begin_commit(struct pmkv *kv, struct commit *c,
				     uint64_t size, bool for_delete)
{
	int rc = commit_begin(kv, c, size, ROOM_NEW);

	if (__builtin_expect(rc != -ENOSPC, 1))
		return rc;
	return space_reclaim_and_begin(kv, c, size, for_delete);
}

#endif /* PMKV_SPACE_H */
