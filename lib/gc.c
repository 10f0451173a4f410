// SPDX-License-Identifier: BSD-3-Clause
/*
 * gc.c -- space reclamation: empty the segment with the most dead bytes
 *
 * One reclamation at a time (gc_lock). For a victim segment:
 *   1. walk its records; a record the index still points at is live and
 *      is copied, with its version, to the reclamation writer's segment;
 *      a tombstone that is the last record of its key is dropped instead;
 *   2. ONE fence: the copies are durable;
 *   3. point the index at each copy, unless a newer put replaced the key
 *      meanwhile (then the copy is dead on arrival);
 *   4. for every record of the victim, decrement its key's on-media count,
 *      removing the entry of a dropped tombstone;
 *   5. free the victim (libpmemobj makes the free atomic and durable).
 * A crash before 5 leaves copies next to their originals, with the same
 * versions and contents: recovery keeps either. Readers only touch records
 * under a shard lock, and after 4 no entry points into the victim, so the
 * free needs no grace period.
 *
 * Copies keep their version so that a put racing with reclamation (its
 * version taken before the copy was made, but published after) still wins
 * over an older copied value.
 *
 * A tombstone may go only when no older record of its key is on media,
 * including records written but not yet published: those announce a lower
 * bound of their version in writer->inflight before taking it, and a
 * tombstone newer than any of them is never dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct copy {
	uint64_t old_off, new_off, size;
	struct seg *seg;
	bool tomb;
};

/*
 * Reclaiming a segment that is nearly all live moves a lot to gain a
 * little, and a full pool would do it over and over before giving up: a
 * victim must have at least this share of dead bytes.
 */
#define VICTIM_MIN_DEAD_SHIFT 4	/* 1/16 */

static struct seg *pick_victim(struct pmkv *kv)
{
	struct seg *best = NULL;
	uint64_t best_dead = 0;

	pthread_mutex_lock(&kv->seg_lock);
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];
		uint64_t live, dead;

		if (!s || __atomic_load_n(&s->open, __ATOMIC_ACQUIRE))
			continue;
		live = __atomic_load_n(&s->live, __ATOMIC_RELAXED);
		/* a segment of its own holding a live record frees nothing */
		if (s->size > kv->segment_size && live)
			continue;
		dead = s->size - live;
		if (dead < s->size >> VICTIM_MIN_DEAD_SHIFT)
			continue;
		if (dead > best_dead) {
			best = s;
			best_dead = dead;
		}
	}
	pthread_mutex_unlock(&kv->seg_lock);
	return best;
}

/* room for n bytes in the reclamation writer's segment */
static int gc_room(struct pmkv *kv, uint64_t n, struct seg **out)
{
	struct writer *w = &kv->gcw;

	if (w->seg && w->seg->used + n <= w->seg->size) {
		*out = w->seg;
		return 0;
	}
	if (w->seg) {
		__atomic_store_n(&w->seg->open, false, __ATOMIC_RELEASE);
		w->seg = NULL;
	}
	if (kv->reserve) {
		w->seg = kv->reserve;
		kv->reserve = NULL;
	} else {
		int rc = segment_alloc(kv, kv->segment_size, &w->seg);

		if (rc)
			return rc;
	}
	if (w->seg->used + n > w->seg->size)
		return -ENOSPC;
	*out = w->seg;
	return 0;
}

/*
 * At open: segments that hold no record (the reserves of the last run, or
 * segments allocated just before a crash) become this run's reserves, and
 * any others go back to libpmemobj; the newest segment with room left
 * becomes the opening thread's writer's. Opening a pool again and again,
 * as a command-line tool does, then costs no space. Appending after the
 * last valid record is what a writer does anyway: whatever lies beyond it
 * is invalid to recovery.
 */
void gc_adopt_empty(struct pmkv *kv)
{
	struct writer *w = writer_of_thread(kv);
	struct seg *newest = NULL;

	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		if (!s || s->used != PMKV_SEGMENT_DATA || s->open)
			continue;
		if (s->size == kv->segment_size && !kv->reserve) {
			s->open = true;
			kv->reserve = s;
		} else if (s->size == kv->segment_size && !kv->del_reserve) {
			s->open = true;
			kv->del_reserve = s;
		} else {
			segment_free(kv, s);
		}
	}
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		if (s && !s->open && s->size == kv->segment_size &&
		    s->size - s->used >= s->size / 4 &&
		    (!newest || s->id > newest->id))
			newest = s;
	}
	if (newest && !w->seg) {
		newest->open = true;
		w->seg = newest;
	}
}

/* reclamation's segment first, then the deletes' one; both allocated open */
int gc_refill_reserve(struct pmkv *kv)
{
	int rc;

	if (!kv->reserve) {
		rc = segment_alloc(kv, kv->segment_size, &kv->reserve);
		if (rc)
			return rc;
	}
	if (!kv->del_reserve)
		return segment_alloc(kv, kv->segment_size, &kv->del_reserve);
	return 0;
}

/* step 1 for one record: copy it if it is live; false on no room */
static int consider(struct pmkv *kv, struct seg *victim, uint64_t off,
		    uint64_t min_inflight, struct copy *c, bool *copied)
{
	const struct pmkv_record *r = kv_ptr(kv, off);
	struct pmkv_record hdr;
	struct ientry *e;
	struct shard *sh;
	struct seg *to;
	struct key k;
	bool head, tomb = false;
	uint32_t count = 0;
	int rc;

	*copied = false;
	key_make(&k, rec_key(r), r->klen);
	sh = &kv->shards[index_shard_of(&k)];
	pthread_rwlock_rdlock(&sh->lock);
	e = btree_find(&sh->t, &k);
	head = e && IE_OFF(e) == off;
	if (head) {
		tomb = e->off & IE_TOMB;
		count = e->count;
	}
	pthread_rwlock_unlock(&sh->lock);
	(void)victim;
	if (!head)
		return 0;
	if (tomb && count == 1 && r->version < min_inflight)
		return 0;	/* the last record of a deleted key: drop it */

	c->size = rec_size(r);
	rc = gc_room(kv, c->size, &to);
	if (rc)
		return rc;
	c->old_off = off;
	c->new_off = to->off + to->used;
	c->seg = to;
	c->tomb = tomb;
	/* a copy is a plain record: its batch, if any, committed long ago */
	rec_prepare(&hdr, r->version, to->id, rec_key(r), r->klen, rec_val(r),
		    rec_vlen(r), tomb ? PMKV_REC_TOMBSTONE : 0, 0);
	rec_write(kv->persist, &kv->gcw.pc, kv_ptr(kv, c->new_off), &hdr,
		  rec_key(r), rec_val(r));
	to->used += c->size;
	__atomic_fetch_add(&to->live, c->size, __ATOMIC_RELAXED);
	*copied = true;
	return 0;
}

/* step 3 */
static void publish_copy(struct pmkv *kv, const struct copy *c)
{
	const struct pmkv_record *r = kv_ptr(kv, c->new_off);
	struct ientry *e;
	struct shard *sh;
	struct key k;

	key_make(&k, rec_key(r), r->klen);
	sh = &kv->shards[index_shard_of(&k)];
	shard_write_lock(sh);
	e = btree_find(&sh->t, &k);
	/* the entry exists: the original still counts in it */
	e->count++;
	if (IE_OFF(e) == c->old_off) {
		e->off = c->new_off | (c->tomb ? IE_TOMB : 0);
		e->seg = c->seg->slot;
	} else {
		__atomic_fetch_sub(&c->seg->live, c->size, __ATOMIC_RELAXED);
	}
	shard_write_unlock(sh);
}

/* step 4 */
static void forget(struct pmkv *kv, uint64_t off)
{
	const struct pmkv_record *r = kv_ptr(kv, off);
	struct ientry *e;
	struct shard *sh;
	struct key k;

	key_make(&k, rec_key(r), r->klen);
	sh = &kv->shards[index_shard_of(&k)];
	shard_write_lock(sh);
	e = btree_find(&sh->t, &k);
	if (e && --e->count == 0)
		btree_remove(&sh->t, &k);
	else if (e && IE_OFF(e) == off)
		log_err("%s: entry still points into a reclaimed segment", kv->path);
	shard_write_unlock(sh);
}

/*
 * Reclaim one segment. 0 when one was freed; -ENOSPC when no segment has
 * anything to reclaim or there is no room to copy to.
 */
int gc_collect(struct pmkv *kv)
{
	struct copy *copies = NULL;
	size_t ncopies = 0, cap = 0;
	uint64_t min_inflight, off, copied_bytes = 0;
	struct seg *victim;
	int rc = 0;

	pthread_mutex_lock(&kv->gc_lock);
	victim = pick_victim(kv);
	if (!victim) {
		pthread_mutex_unlock(&kv->gc_lock);
		return -ENOSPC;
	}
	pthread_mutex_lock(&kv->gcw.lock);
	min_inflight = writer_min_inflight(kv);
	for (off = victim->off + PMKV_SEGMENT_DATA;
	     off < victim->off + victim->used;
	     off += rec_size(kv_ptr(kv, off))) {
		bool copied;

		if (ncopies == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct copy *n = realloc(copies, ncap * sizeof(*n));

			if (!n) {
				rc = pmkv_err(-ENOMEM, "no memory to reclaim space");
				break;
			}
			copies = n;
			cap = ncap;
		}
		rc = consider(kv, victim, off, min_inflight, &copies[ncopies],
			      &copied);
		if (rc)
			break;
		if (copied)
			copied_bytes += copies[ncopies++].size;
	}
	/* the copies must be durable before the index points at them */
	kv->persist->fence(&kv->gcw.pc);
	if (persist_check(kv, &kv->gcw.pc)) {
		/* not known durable: keep the originals, publish nothing */
		rc = PMKV_E_POISONED;
		for (size_t i = 0; i < ncopies; i++)
			__atomic_fetch_sub(&copies[i].seg->live, copies[i].size,
					   __ATOMIC_RELAXED);
		ncopies = 0;
	}
	for (size_t i = 0; i < ncopies; i++)
		publish_copy(kv, &copies[i]);
	pthread_mutex_unlock(&kv->gcw.lock);
	free(copies);
	if (rc) {
		/* the victim stays: what was copied is consistent either way */
		pthread_mutex_unlock(&kv->gc_lock);
		return rc;
	}
	for (off = victim->off + PMKV_SEGMENT_DATA;
	     off < victim->off + victim->used;
	     off += rec_size(kv_ptr(kv, off)))
		forget(kv, off);
	segment_free(kv, victim);
	kv->gc_runs++;
	kv->gc_bytes_copied += copied_bytes;
	gc_refill_reserve(kv);
	pthread_mutex_unlock(&kv->gc_lock);
	return 0;
}
