// SPDX-License-Identifier: BSD-3-Clause
/*
 * gc.c -- space reclamation: empty the segment with the most dead bytes
 *
 * One reclamation at a time (gc_lock). For a victim segment:
 *   1. walk its records; a record the index still points at is live and
 *      is copied, with its version, through reclamation's commit
 *      (commit.c: its own writer and reserve segment);
 *      a tombstone that is the last record of its key is dropped instead;
 *   2. ONE fence: the copies are durable; then each segment that took
 *      copies records how far it is durable, and another fence (layout.h:
 *      recovery tells a tear from damage by it);
 *   3. point the index at each copy, unless a newer put replaced the key
 *      meanwhile (then the copy is dead on arrival);
 *   4. for every record of the victim, decrement its key's on-media count,
 *      removing the entry of a dropped tombstone;
 *   5. free the victim (one 8-byte store in the slot table, segment.c).
 * A crash before 5 leaves copies next to their originals, with the same
 * versions and contents: recovery keeps either. After 4 no entry points
 * into the victim, so a reader holding a leaf never meets it; a get
 * without a lock (kv.c) or a scan may still be reading its bytes when it
 * is freed, but 3 and 4 moved the version of that key's leaf, so the
 * reader throws away what it read and tries again. The pool stays mapped, so
 * the free needs no grace period.
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

#include "commit.h"
#include "gc.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

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

		if (!s || __atomic_load_n(&s->open, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&s->pins, __ATOMIC_ACQUIRE))
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

/* step 1 for one record: copy it if it is live */
static int consider(struct pmkv *kv, struct commit *cm, uint64_t off,
		    uint64_t min_inflight, struct copy *c, bool *copied)
{
	const struct pmkv_record *r = kv_ptr(kv, off);
	struct ientry *e;
	struct ilock lk;
	struct key k;
	bool head, tomb = false;
	uint32_t count = 0;
	int rc;

	*copied = false;
	/*
	 * Damage since open: the walk over the victim steps by its lengths,
	 * and a copy gets a new header checksum, so one damaged header would
	 * come out whole under a wrong key. The value keeps its checksum:
	 * damage there stays visible in the copy.
	 */
	if (r->klen > PMKV_KEY_MAX || rec_hcsum(r, rec_key(r)) != r->hcsum)
		return rec_damaged(kv->path, r, off,
				   "reclamation found its header damaged; the segment stays");
	key_make(&k, rec_key(r), r->klen);
	(void)index_lock(&kv->index, &k, false, &lk);
	e = index_locked_find(&lk, &k);
	head = e && IE_OFF(e) == off && !(e->off & IE_HOLD);
	if (head) {
		tomb = e->off & IE_TOMB;
		count = e->count;
	}
	index_unlock(&lk);
	if (!head)
		return 0;
	if (tomb && count == 1 && r->version < min_inflight)
		return 0;	/* the last record of a deleted key: drop it */

	rc = commit_copy(cm, r, &c->seg, &c->new_off);
	if (rc)
		return rc;
	c->old_off = off;
	c->size = rec_size(r);
	c->tomb = tomb;
	*copied = true;
	return 0;
}

/* step 3 */
static void publish_copy(struct pmkv *kv, const struct copy *c)
{
	const struct pmkv_record *r = kv_ptr(kv, c->new_off);
	struct ientry *e;
	struct ilock lk;
	struct key k;

	key_make(&k, rec_key(r), r->klen);
	(void)index_lock(&kv->index, &k, false, &lk);
	e = index_locked_find(&lk, &k);
	/* the entry exists: the original still counts in it */
	PMKV_ASSERT(e && e->count > 0);
	e->count++;
	if (IE_OFF(e) == c->old_off) {
		e->off = c->new_off | (c->tomb ? IE_TOMB : 0);
		e->seg = c->seg->slot;
	} else {
		__atomic_fetch_sub(&c->seg->live, c->size, __ATOMIC_RELAXED);
	}
	index_unlock(&lk);
}

/* step 4 */
static void forget(struct pmkv *kv, uint64_t off)
{
	const struct pmkv_record *r = kv_ptr(kv, off);
	struct ientry *e;
	struct ilock lk;
	struct key k;

	key_make(&k, rec_key(r), r->klen);
	(void)index_lock(&kv->index, &k, false, &lk);
	e = index_locked_find(&lk, &k);
	if (e && --e->count == 0)
		index_locked_remove(&lk, &k);
	else if (e && IE_OFF(e) == off)
		log_err("%s: entry still points into a reclaimed segment", kv->path);
	index_unlock(&lk);
}

/* room for one more copy in *copies; -ENOMEM with the message */
static int copies_grow(struct copy **copies, size_t n, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 256;
	struct copy *m;

	if (n < *cap)
		return 0;
	m = realloc(*copies, ncap * sizeof(*m));
	if (!m)
		return pmkv_err(-ENOMEM, "no memory to reclaim space");
	*copies = m;
	*cap = ncap;
	return 0;
}

/*
 * The copies are durable: say so in each segment that took some, before
 * the victim can be freed. Past a segment's fenced end a tear may hide
 * whole copies, whose originals must then still be there (layout.h).
 * Copies fill one segment after another, so a segment's run is in a row.
 */
static int seal(struct pmkv *kv, struct commit *cm, const struct copy *copies,
		size_t ncopies)
{
	for (size_t i = 0; i < ncopies; i++)
		if (i + 1 == ncopies || copies[i + 1].seg != copies[i].seg)
			segment_set_reclaim(kv, &cm->w->pc, copies[i].seg,
					    PMKV_SEG_RECLAIM(copies[i].seg->used));
	return commit_fence(cm);
}

/*
 * Steps 1 to 3, as one commit: copy the victim's live records, fence,
 * publish the copies. The bytes copied in *copied_bytes. On an error the
 * victim stays: what was copied is consistent either way.
 */
static int copy_forward(struct pmkv *kv, struct seg *victim,
			uint64_t *copied_bytes)
{
	struct copy *copies = NULL;
	size_t ncopies = 0, cap = 0;
	uint64_t min_inflight, off;
	struct commit cm;
	int rc = 0;

	commit_begin_reclaim(kv, &cm);
	min_inflight = writer_min_inflight(kv->writers);
	for (off = victim->off + PMKV_SEGMENT_DATA;
	     off < victim->off + victim->used;
	     off += rec_size(kv_ptr(kv, off))) {
		bool copied;

		rc = copies_grow(&copies, ncopies, &cap);
		if (rc)
			break;
		rc = consider(kv, &cm, off, min_inflight, &copies[ncopies],
			      &copied);
		if (rc)
			break;
		if (copied)
			*copied_bytes += copies[ncopies++].size;
	}
	if (commit_fence(&cm) || seal(kv, &cm, copies, ncopies)) {
		/* not known durable: keep the originals, publish nothing */
		rc = PMKV_E_POISONED;
		for (size_t i = 0; i < ncopies; i++)
			__atomic_fetch_sub(&copies[i].seg->live, copies[i].size,
					   __ATOMIC_RELAXED);
		ncopies = 0;
	}
	for (size_t i = 0; i < ncopies; i++)
		publish_copy(kv, &copies[i]);
	commit_end_reclaim(&cm);
	free(copies);
	return rc;
}

int gc_collect(struct pmkv *kv)
{
	uint64_t off, copied_bytes = 0;
	struct seg *victim;
	int rc;

	pthread_mutex_lock(&kv->gc_lock);
	victim = pick_victim(kv);
	if (!victim) {
		pthread_mutex_unlock(&kv->gc_lock);
		return -ENOSPC;
	}
	rc = copy_forward(kv, victim, &copied_bytes);
	if (rc) {
		pthread_mutex_unlock(&kv->gc_lock);
		return rc;
	}
	/* steps 4 and 5 */
	for (off = victim->off + PMKV_SEGMENT_DATA;
	     off < victim->off + victim->used;
	     off += rec_size(kv_ptr(kv, off)))
		forget(kv, off);
	segment_free(kv, victim);
	kv->gc_runs++;
	kv->gc_bytes_copied += copied_bytes;
	segment_reserves_refill(kv);
	pthread_mutex_unlock(&kv->gc_lock);
	return 0;
}
