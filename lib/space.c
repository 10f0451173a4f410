// SPDX-License-Identifier: BSD-3-Clause
/*
 * space.c -- room for a commit: allocate, or reclaim and try again
 *
 * The allocator (segment.c) says -ENOSPC and the collector (gc.c) frees
 * one segment a run; this loop, above both, is the only place that turns
 * one into the other, so neither calls the other. The writer's lock is
 * not held while reclamation runs: other threads of the writer go on, and
 * reclamation takes no writer's lock but its own.
 */
#include <errno.h>

#include "commit.h"
#include "gc.h"
#include "internal.h"
#include "space.h"

/* space_begin_commit() once the first try found the pool full */
int space_reclaim_and_begin(struct pmkv *kv, struct commit *c, uint64_t size,
			    bool for_delete)
{
	int rc;

	/* each reclamation frees one segment; a bounded number will do */
	for (uint32_t tries = 1;; tries++) {
		rc = gc_collect(kv);
		if (rc)
			break;
		rc = commit_begin(kv, c, size, ROOM_NEW);
		if (rc != -ENOSPC || tries > kv->nsegs_max)
			break;
	}
	if (rc == -ENOSPC && for_delete)
		rc = commit_begin(kv, c, size, ROOM_DELETE);
	return rc;
}
