/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * segment.h -- log segments on media, their descriptors, and room in them
 *
 * The allocator: it hands out segments and room, and says -ENOSPC when
 * libpmemobj has none. It never reclaims; space.c does, above it.
 */
#ifndef PMKV_SEGMENT_H
#define PMKV_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <libpmemobj.h>

#include "writer.h"

struct pmkv;

struct seg {
	uint64_t off;		/* pool offset of the struct pmkv_segment */
	uint64_t id;
	uint64_t size;		/* bytes, header included */
	uint64_t used;		/* end of the last record, from the segment start */
	uint64_t live;		/* bytes of records still needed (atomic) */
	uint32_t slot;		/* index in kv->segs */
	bool open;		/* a writer appends to it: not a victim */
};

/* where segment_room() may find room besides a new allocation */
enum room {
	ROOM_NEW,		/* the writer's open segment, else a new one */
	ROOM_RECLAIM,		/* reclamation's: its reserve before a new one */
	ROOM_DELETE,		/* a full pool: the segment kept for deletes */
};

int segment_table_init(struct pmkv *kv);
void segment_table_fini(struct pmkv *kv);
/* a new open segment of size bytes; -ENOSPC (no message) when full */
int segment_alloc(struct pmkv *kv, uint64_t size, struct seg **out);
void segment_free(struct pmkv *kv, struct seg *s);
/* a segment found at open; PMKV_E_CORRUPT if its header is damaged */
int segment_adopt(struct pmkv *kv, PMEMoid oid, struct seg **out);
/*
 * Room for n bytes at the end of *out, which is w's open segment or, for
 * a record larger than a regular segment's payload, a segment of its own
 * that the caller closes after writing. w's lock is held. -ENOSPC (no
 * message) when there is none without reclaiming.
 */
int segment_room_slow(struct pmkv *kv, struct writer *w, uint64_t n,
		      enum room how, struct seg **out);
static inline int segment_room(struct pmkv *kv, struct writer *w, uint64_t n,
			       enum room how, struct seg **out)
{
	struct seg *s = w->seg;

	/* w->seg is a regular segment: n fits it only if n fits its payload */
	if (__builtin_expect(s && s->used + n <= s->size, 1)) {
		*out = s;
		return 0;
	}
	return segment_room_slow(kv, w, n, how, out);
}
/* no writer appends to s from now on: reclamation may take it */
static inline void segment_close(struct seg *s)
{
	__atomic_store_n(&s->open, false, __ATOMIC_RELEASE);
}
/*
 * The two reserves: a free segment for reclamation to copy into and one
 * for deletes in a full pool. Allocated when missing; -ENOSPC when not.
 */
int segment_reserves_refill(struct pmkv *kv);
/*
 * At open: segments holding no record become the reserves or are freed,
 * and the newest with room left becomes the opening thread's writer's.
 */
void segment_adopt_empty(struct pmkv *kv);

#endif /* PMKV_SEGMENT_H */
