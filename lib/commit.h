/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * commit.h -- the commit protocol: every durable change goes through it
 *
 *   begin    the writer, room in its segment, an in-flight bound and a
 *            version (reclamation: its own writer, copies keep theirs);
 *   append   records, with flushing stores and no fence;
 *   fence    ONE fence for all of them, then the check: a failed msync
 *            poisons the handle. The only fence of a commit;
 *   publish  the index points at the records (or retract: a record that
 *            will not be published is made invalid to recovery);
 *   end      the segment's end advanced, the bound cleared, the writer
 *            released.
 * put and delete (kv.c), batch commit (batch.c) and reclamation's
 * copy-forward (gc.c) are its callers; space.c begins commits that may
 * need reclamation to find room.
 */
#ifndef PMKV_COMMIT_H
#define PMKV_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "key.h"
#include "layout.h"
#include "record.h"
#include "segment.h"
#include "writer.h"

struct commit {
	struct pmkv *kv;
	struct writer *w;
	struct seg *seg;	/* where the records go */
	uint64_t off;		/* pool offset of the next record */
	uint64_t end;		/* of the room taken: off never passes it */
	uint64_t version;	/* the records' version; 0 when reclaiming */
};

/*
 * The steps every put takes are inline: out of line, their calls and the
 * struct commit they pass cost a put 8% more instructions (callgrind,
 * fillrandom: 1850 against 1673 a put in a release build).
 */

/*
 * A backup's snapshot is being taken (backup.c): let go of the writer,
 * wait until it is done, and take the writer again
 */
void commit_wait_thaw(struct pmkv *kv, struct commit *c);

/*
 * Begin a commit of size bytes of records. -ENOSPC (no message) when
 * there is no room without reclaiming (space_begin_commit() reclaims).
 */
static inline int commit_begin(struct pmkv *kv, struct commit *c,
			       uint64_t size, enum room how)
{
	int rc;

	c->kv = kv;
	c->w = writer_get(kv->writers);
	/* one load of a line no commit writes: a backup's snapshot is rare */
	if (__builtin_expect(__atomic_load_n(&kv->frozen, __ATOMIC_ACQUIRE), 0))
		commit_wait_thaw(kv, c);
	rc = segment_room(kv, c->w, size, how, &c->seg);
	if (__builtin_expect(rc != 0, 0)) {
		writer_put(c->w);
		return rc;
	}
	c->off = c->seg->off + c->seg->used;
	c->end = c->off + size;
	/* a reservation never passes the segment's end */
	PMKV_ASSERT(c->end <= c->seg->off + c->seg->size);
	c->version = writer_take_version(c->w, &kv->version);
	return 0;
}

/*
 * Append a record of the commit's version; its pool offset, and its
 * bytes in *size (a large value's alignment depends on where it lands)
 */
static inline uint64_t commit_append(struct commit *c, const void *key,
				     uint32_t klen, const void *val,
				     uint32_t vlen, uint32_t flags,
				     uint32_t batch_count, uint64_t *size)
{
	struct pmkv_record hdr;
	uint64_t off = c->off;

	rec_prepare(&hdr, c->version, c->seg->id, off - c->seg->off, key,
		    klen, vlen, rec_vcsum(val, vlen), flags, batch_count);
	*size = rec_size(&hdr);
	c->off += *size;
	PMKV_ASSERT(c->off <= c->end);
	rec_write(c->kv->persist, &c->w->pc, kv_ptr(c->kv, off), &hdr, key,
		  val);
	return off;
}

/*
 * Append a record whose value fn(arg, dst, vlen) stores in place, at the
 * record's value position in the pool; the checksum is taken from there.
 * Its pool offset in *off and bytes in *size; fn's error, with nothing
 * appended.
 */
int commit_append_filled(struct commit *c, const void *key, uint32_t klen,
			 uint32_t vlen, int (*fn)(void *, uint8_t *, uint32_t),
			 void *arg, uint64_t *off, uint64_t *size);

/*
 * Reclamation's commit: its writer, room taken copy by copy, and its own
 * end (its copies moved the segment's end already)
 */
void commit_begin_reclaim(struct pmkv *kv, struct commit *c);
/* copy r, version and all, to room of the commit; its pool offset in *off */
int commit_copy(struct commit *c, const struct pmkv_record *r,
		struct seg **to, uint64_t *off);

/* the commit's one fence; PMKV_E_POISONED when it may not be durable */
static inline int commit_fence(struct commit *c)
{
	/*
	 * The records must be durable before the index points at them: a
	 * reader must never see what a crash could take away.
	 */
	c->kv->persist->fence(&c->w->pc);
	if (__builtin_expect(c->w->pc.error != 0, 0))
		return persist_check(c->kv, &c->w->pc);
	return 0;
}

/* what publishing one record needs, and what it tells back */
struct install {
	struct key key;
	uint64_t off;		/* the new record */
	uint64_t size;
	uint64_t version;
	struct seg *seg;
	bool tomb;
	bool counted;		/* a batch's: the entry's count has it already */
	bool was_live;		/* out: the key had a live value before */
};
/*
 * Point the index at a durable record, unless a newer version of the key
 * is there; the leaf of the key is locked (lk, with room for it) and the
 * record's bytes already count in its segment's live bytes. An entry
 * marked IE_HOLD is a batch's placeholder: no record of it is published.
 * PMKV_E_CORRUPT when the key is new and would go beside a damaged record
 * (index_locked_upsert()): nothing changed but the live bytes, which no
 * longer count the record; the caller retracts it.
 */
int commit_publish_locked(struct pmkv *kv, struct ilock *lk,
			  struct install *in);
/*
 * Make the durable records of the commit from off on, which will not be
 * published, invalid to recovery; they are the last of their segment
 * (the end is not advanced).
 */
void commit_retract(struct commit *c, uint64_t off);
void commit_end_reclaim(struct commit *c);

/*
 * End the commit; published: its records are in the index, so the
 * segment's end moves past them.
 */
static inline void commit_end(struct commit *c, bool published)
{
	struct writer *w = c->w;

	if (published)
		__atomic_store_n(&c->seg->used, c->off - c->seg->off,
				 __ATOMIC_RELEASE);
	writer_done(w);
	/* a segment of its own: nothing more goes into it */
	if (c->seg != w->seg)
		segment_close(c->seg);
	writer_put(w);
}

#endif /* PMKV_COMMIT_H */
