// SPDX-License-Identifier: BSD-3-Clause
/*
 * commit.c -- the commit protocol: begin, append, fence, publish, end
 *
 * A put, a delete or a batch:
 *   1. takes its writer and room in the writer's open segment;
 *   2. takes a version from kv->version, after announcing a lower bound
 *      of it in writer->inflight, for reclamation (writer.c, gc.c);
 *   3. appends its records (header, key, value) with flushing stores;
 *   4. ONE fence: the records are durable. Nothing else was written, so a
 *      crash before the fence leaves at most these records torn, which
 *      recovery tells by their checksums and ignores (a batch whole or
 *      not at all);
 *   5. publishes them in the DRAM index, each key's leaf locked,
 *      unless a newer version of a key got there first. If the index has
 *      no memory, the records are retracted and the commit fails;
 *   6. ends: the segment's end moves past the records.
 * The caller acknowledges after 6, so what a reader sees is always
 * durable. The writer's lock is held from 1 to 6: a segment closes only
 * when its writer moves on, and then every record in it is in the index,
 * which reclamation relies on.
 *
 * Reclamation's copy-forward is a commit too, with its own writer (gcw)
 * and room taken copy by copy from its reserve; copies keep their
 * versions, and one fence covers them all.
 */
#include <errno.h>

#include "commit.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

void commit_begin_reclaim(struct pmkv *kv, struct commit *c)
{
	c->kv = kv;
	c->w = &kv->gcw;
	pthread_mutex_lock(&c->w->lock);
	c->seg = NULL;
	c->off = c->end = 0;
	c->version = 0;
}

int commit_copy(struct commit *c, const struct pmkv_record *r,
		struct seg **to, uint64_t *off)
{
	struct pmkv *kv = c->kv;
	struct pmkv_record hdr;
	uint32_t tomb = r->vlen_flags & PMKV_REC_TOMBSTONE;
	uint64_t pos, n;
	int rc;

	rc = segment_room(kv, c->w, record_size(r->klen, rec_vlen(r)),
			  ROOM_RECLAIM, &c->seg);
	if (rc)
		return rc;
	*to = c->seg;
	pos = c->seg->used;
	*off = c->seg->off + pos;
	/*
	 * A copy is a plain record (its batch, if any, committed long ago)
	 * with the value's checksum of the original: it is not hashed again
	 */
	rec_prepare(&hdr, r->version, c->seg->id, pos, rec_key(r), r->klen,
		    rec_vlen(r), r->vcsum, tomb, 0);
	n = rec_size(&hdr);
	PMKV_ASSERT(*off + n <= c->seg->off + c->seg->size);
	rec_write(kv->persist, &c->w->pc, kv_ptr(kv, *off), &hdr, rec_key(r),
		  rec_val(r));
	/* the segment is reclamation's own and open: nobody reads its end */
	c->seg->used += n;
	__atomic_fetch_add(&c->seg->live, n, __ATOMIC_RELAXED);
	return 0;
}

/* the live bytes of s drop by n, which they hold */
static inline void live_sub(struct seg *s, uint64_t n)
{
	uint64_t was = __atomic_fetch_sub(&s->live, n, __ATOMIC_RELAXED);

	PMKV_ASSERT(was >= n);
	(void)was;
}

int commit_publish_locked(struct pmkv *kv, struct ilock *lk,
			  struct install *in)
{
	const struct pmkv_record *old;
	struct ientry *e;
	bool created;

	PMKV_ASSERT(index_locked_held(lk));
	e = index_locked_upsert(lk, &in->key, &created);
	if (!e) {
		/* the caller takes the record back: not live after all */
		live_sub(in->seg, in->size);
		return rec_beside_damaged(kv->path);
	}
	if (!in->counted)
		e->count++;
	/* the count is of records on media: it cannot wrap */
	PMKV_ASSERT(e->count > 0);
	if (created || (e->off & IE_HOLD)) {
		/* the first record of the key published */
		e->off = in->off | (in->tomb ? IE_TOMB : 0);
		e->seg = in->seg->slot;
		in->was_live = false;
		if (!in->tomb)
			index_locked_count(lk, 1);
		return 0;
	}
	old = kv_ptr(kv, IE_OFF(e));
	in->was_live = IE_LIVE(e->off);
	if (old->version < in->version) {
		live_sub(kv->segs[e->seg], rec_size(old));
		e->off = in->off | (in->tomb ? IE_TOMB : 0);
		e->seg = in->seg->slot;
		index_locked_count(lk, (int64_t)!in->tomb - (int64_t)in->was_live);
	} else {
		/* a newer version won the race: ours is dead on arrival */
		live_sub(in->seg, in->size);
	}
	return 0;
}

/*
 * Retracting: the version of every record of the commit from off on
 * becomes 0, one 8-byte store each, then one fence: recovery ignores
 * them (their header checksum fails too), and no valid record follows
 * them in their segment, so none can pass for a commit after damage.
 */
void commit_retract(struct commit *c, uint64_t off)
{
	PMKV_ASSERT(off >= c->seg->off + c->seg->used && off < c->off);
	for (uint64_t p = off; p < c->off;) {
		struct pmkv_record *r = kv_ptr(c->kv, p);

		p += rec_size(r);
		__atomic_store_n(&r->version, 0, __ATOMIC_RELAXED);
		c->kv->persist->flush(&c->w->pc, &r->version,
				      sizeof(r->version));
	}
	c->kv->persist->fence(&c->w->pc);
	/* if even that failed, recovery may find the records: refuse writes */
	persist_check(c->kv, &c->w->pc);
}

void commit_end_reclaim(struct commit *c)
{
	pthread_mutex_unlock(&c->w->lock);
}

int commit_append_filled(struct commit *c, const void *key, uint32_t klen,
			 uint32_t vlen, int (*fn)(void *, uint8_t *, uint32_t),
			 void *arg, uint64_t *off, uint64_t *size)
{
	uint64_t pos = c->off - c->seg->off;
	uint8_t *val = kv_ptr(c->kv, c->seg->off +
			      record_value_at(pos, klen, vlen));
	struct pmkv_record hdr;
	int rc = fn(arg, val, vlen);

	if (rc)
		return rc;
	rec_prepare(&hdr, c->version, c->seg->id, pos, key, klen, vlen,
		    rec_vcsum(val, vlen), 0, 0);
	*off = c->off;
	*size = rec_size(&hdr);
	c->off += *size;
	PMKV_ASSERT(c->off <= c->end);
	rec_write(c->kv->persist, &c->w->pc, kv_ptr(c->kv, *off), &hdr, key,
		  NULL);
	return 0;
}

void commit_wait_thaw(struct pmkv *kv, struct commit *c)
{
	do {
		writer_put(c->w);
		pthread_mutex_lock(&kv->freeze_lock);
		while (__atomic_load_n(&kv->frozen, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&kv->thaw, &kv->freeze_lock);
		pthread_mutex_unlock(&kv->freeze_lock);
		c->w = writer_get(kv->writers);
	} while (__atomic_load_n(&kv->frozen, __ATOMIC_ACQUIRE));
}
