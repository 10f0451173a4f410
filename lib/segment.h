/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * segment.h -- log segments on media, their descriptors, and room in them
 *
 * The allocator: it hands out segments and room, and says -ENOSPC when
 * no slot is free. It never reclaims; space.c does, above it.
 */
#ifndef PMKV_SEGMENT_H
#define PMKV_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "writer.h"

struct pmkv;

struct seg {
	uint64_t off;		/* pool offset of the struct pmkv_segment */
	uint64_t id;
	uint64_t size;		/* bytes, header included */
	uint64_t used;		/* end of the last record, from the segment start */
	uint64_t live;		/* bytes of records still needed (atomic) */
	uint64_t reclaim;	/* its header's reclaim word, as last stored */
	uint32_t slot;		/* its first slot: the index in kv->segs */
	uint32_t span;		/* slots it takes */
	bool open;		/* a writer appends to it: not a victim */
	uint32_t pins;		/* backups still to copy it: not a victim
				   either (atomic; backup.c) */
	bool appendable;	/* nothing valid lies past used (recovery) */
};

/* where segment_room() may find room besides a new allocation */
enum room {
	ROOM_NEW,		/* the writer's open segment, else a new one */
	ROOM_RECLAIM,		/* reclamation's: its reserve before a new one */
	ROOM_DELETE,		/* a full pool: the segment kept for deletes */
};

int segment_table_init(struct pmkv *kv);
void segment_table_fini(struct pmkv *kv);
/*
 * a new open segment of size bytes, its pages touched ahead by the warmer
 * if warm; -ENOSPC (no message) when full
 */
int segment_alloc(struct pmkv *kv, uint64_t size, bool warm,
		  struct seg **out);
void segment_free(struct pmkv *kv, struct seg *s);
/*
 * The first of span free slots in a row within one extent, nslots when
 * there are none: room for the index checkpoint at close, which leaves
 * them free in the table
 */
uint32_t segment_free_run(struct pmkv *kv, uint32_t span);
/*
 * At open: the segments of the slot table, each checked against its
 * header, in *list (malloc'd). PMKV_E_CORRUPT for damage, unless salvage
 * skips it.
 */
int segment_load(struct pmkv *kv, struct seg ***list, size_t *n);
/* read-write, after recovery: complete the frees a crash cut short */
void segment_finish_frees(struct pmkv *kv);
/*
 * Seal s at its end (layout.h): everything before it is whole; flushed
 * through pc, no fence (the writer's next fence orders it). The writer's
 * lock, or no writer, holds.
 */
void segment_seal(struct pmkv *kv, struct persist_ctx *pc, struct seg *s);
/* at a clean close: seal every writer's segment, one fence */
void segment_seal_all(struct pmkv *kv);
/* store s's reclaim word (layout.h) and flush it through pc; no fence */
void segment_set_reclaim(struct pmkv *kv, struct persist_ctx *pc,
			 struct seg *s, uint64_t word);
/*
 * Room for n bytes at the end of *out, which is w's open segment or, for
 * a record larger than a regular segment's payload, a segment of its own
 * that the caller closes after writing. w's lock is held. -ENOSPC (no
 * message) when there is none without reclaiming.
 */
int segment_room_slow(struct pmkv *kv, struct writer *w, uint64_t n,
		      enum room how, struct seg **out);
/*
 * A record of n bytes that goes through the pool's file (record.c) is
 * about to be appended to s: the warmer reads its first page, where
 * every get of it starts, while the writer writes
 */
void segment_touch_ahead(struct pmkv *kv, struct seg *s);

static inline int segment_room(struct pmkv *kv, struct writer *w, uint64_t n,
			       enum room how, struct seg **out)
{
	struct seg *s = w->seg;
	int rc = 0;

	/* w->seg is a regular segment: n fits it only if n fits its payload */
	if (__builtin_expect(s && s->used + n <= s->size, 1))
		*out = s;
	else
		rc = segment_room_slow(kv, w, n, how, out);
	if (n >= PERSIST_FILE_MIN && w->pc.file_base && rc == 0)
		segment_touch_ahead(kv, *out);
	return rc;
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

/*
 * Restore (restore.c) fills a new pool before recovery reads it: claim
 * the free slots a segment of size bytes needs, clear of bad blocks
 * (-ENOSPC when there are none), then write its header, sealed at used,
 * and its LIVE entry. Nothing is fenced: restore fences once for all of
 * them, and the pool is not valid before it clears the superblock's
 * restoring. segment_restore_done() forgets the claims: recovery reads
 * the table.
 */
int segment_restore_claim(struct pmkv *kv, uint64_t size, uint32_t *slot,
			  uint64_t *off);
void segment_restore_publish(struct pmkv *kv, uint32_t slot, uint64_t id,
			     uint64_t size, uint64_t used);
void segment_restore_done(struct pmkv *kv);

#endif /* PMKV_SEGMENT_H */
