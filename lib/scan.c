// SPDX-License-Identifier: BSD-3-Clause
/*
 * scan.c -- ordered iteration: merge the shards, copy records out
 *
 * Each shard has a cursor that copies a few records at a time into its own
 * buffer under the shard's read lock, then lets go of the lock: callbacks
 * and callers hold no lock and may call pmkv again, and no pointer handed
 * out points into the pool (reclamation may move records).
 *
 * A seek copies nothing. In every shard it finds the first live entry at
 * or after the key and notes the entry's 8-byte prefix, which the leaf
 * holds: the cursor is "peeked". The leaves of all shards are looked up
 * first and their lines requested, then searched, so the 32 misses
 * overlap. A cursor's records are copied only when it comes to the top of
 * the merge heap. The heap orders cursors by prefix, a peeked cursor
 * before a copied one of equal prefix, and copied ones by whole key: a key
 * whose prefix is smaller is smaller (padding with zeros keeps memcmp
 * order), so a peeked cursor below the top holds nothing smaller.
 *
 * Order: a cursor is refilled only on top of the heap, after the key
 * before its first was handed out. A refill resumes where the last one
 * stopped while its tree is unchanged; otherwise it seeks past the last
 * key it copied or, for a peeked cursor, past the last key handed out.
 * Shards hold disjoint keys, so keys come strictly increasing. A key
 * present and unchanged for the whole scan is at or after the position
 * the seek found, and before any position a refill seeks from.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

/* records per refill: one on the first (a seek may read one key), more later */
#define REFILL_FIRST 1
#define REFILL_MAX 64
#define BUF_MIN 4096

struct item {
	size_t koff, voff;
	uint32_t klen, vlen;
	uint64_t prefix;
};

struct cursor {
	uint8_t *buf;
	size_t cap;
	struct item items[REFILL_MAX];
	uint32_t n, pos, want;
	struct bt_cursor bc;	/* where the last refill stopped in the tree */
	uint64_t bc_mods;	/* ... valid while the tree has these mods */
	bool bc_valid;
	uint8_t *from;		/* refill from this key (exclusive when strict) */
	uint32_t from_len, from_cap;
	bool strict, have_from, done;
	bool peeked;		/* positioned, nothing copied: see peek_all() */
	uint64_t peek_prefix;
};

/*
 * A heap slot keeps its cursor's prefix: most comparisons then read only
 * the heap's own 512 bytes, not two cursors and their items.
 */
struct heap_slot {
	uint64_t prefix;	/* cur_prefix() of c[cur] */
	unsigned cur;
};

struct pmkv_iter {
	struct pmkv *kv;
	struct cursor c[NSHARDS];
	struct heap_slot heap[NSHARDS];	/* shards with records, smallest key on top */
	unsigned nheap;
	uint8_t *end;		/* exclusive bound, NULL: none */
	uint32_t elen;
	unsigned npeeked;	/* peeked cursors in the heap */
	uint8_t *last;		/* the last key handed out, while npeeked */
	uint32_t last_len, last_cap;
	bool have_last;
};

static const uint8_t *cur_key(const struct cursor *c, uint32_t *len)
{
	const struct item *it = &c->items[c->pos];

	*len = it->klen;
	return c->buf + it->koff;
}

/* copy key k into a buffer that grows to fit and is kept for the next */
static int key_keep(uint8_t **buf, uint32_t *cap, const void *k, uint32_t len)
{
	if (len > *cap) {
		uint8_t *n = realloc(*buf, len);

		if (!n)
			return pmkv_err(-ENOMEM, "no memory for an iterator key");
		*buf = n;
		*cap = len;
	}
	if (len)
		memcpy(*buf, k, len);
	return 0;
}

static int set_from(struct cursor *c, const void *k, uint32_t len, bool strict)
{
	int rc = key_keep(&c->from, &c->from_cap, k, len);

	if (rc)
		return rc;
	c->from_len = len;
	c->strict = strict;
	c->have_from = true;
	return 0;
}

/*
 * Collect the offsets of the shard's next c->want live entries into offs,
 * from where the last refill stopped while the tree is unchanged, else
 * from a seek past c->from. Their records are prefetched here, so the
 * misses on them (they lie in log order, not key order) overlap instead
 * of following each other. Sets c->done at the end of the tree. Called
 * under the shard's read lock; returns how many it found.
 */
static inline uint32_t refill_gather(struct pmkv_iter *it, struct shard *sh,
				     struct cursor *c, uint64_t *offs,
				     uint32_t *segs)
{
	uint32_t ngot = 0;
	struct key from;

	if (!(c->bc_valid && c->bc_mods == sh->t.mods)) {
		if (c->have_from)
			key_make(&from, c->from, c->from_len);
		btree_seek(&sh->t, c->have_from ? &from : NULL, c->strict,
			   &c->bc);
	}
	while (ngot < c->want) {
		struct ientry *e = btree_cur(&c->bc);
		const char *p;

		if (!e) {
			c->done = true;
			break;
		}
		btree_next(&c->bc);
		if (e->off & IE_TOMB)
			continue;
		segs[ngot] = e->seg;
		offs[ngot++] = IE_OFF(e);
		p = kv_ptr(it->kv, IE_OFF(e));
		__builtin_prefetch(p);
		__builtin_prefetch(p + CACHELINE);
		__builtin_prefetch(p + 2 * CACHELINE);
	}
	return ngot;
}

/* an empty cursor's buffer grows to hold one record of need bytes */
static inline int cursor_grow(struct cursor *c, size_t need)
{
	size_t ncap = need > BUF_MIN ? need : BUF_MIN;
	uint8_t *nb = realloc(c->buf, ncap);

	if (!nb)
		return pmkv_err(-ENOMEM, "no memory for a record of %zu bytes",
				need);
	c->buf = nb;
	c->cap = ncap;
	return 0;
}

/*
 * Append record r's key and value at byte used of c's buffer, which has
 * room, as c's next item; returns the bytes used after it.
 */
static inline size_t cursor_append(struct cursor *c,
				   const struct pmkv_record *r, size_t used)
{
	struct item *item = &c->items[c->n++];

	item->koff = used;
	item->klen = r->klen;
	item->prefix = key_prefix(rec_key(r), r->klen);
	memcpy(c->buf + used, rec_key(r), r->klen);
	used += r->klen;
	item->voff = used;
	item->vlen = rec_vlen(r);
	memcpy(c->buf + used, rec_val(r), item->vlen);
	used += item->vlen;
	return used;
}

/* a known media error in the record at off: nothing of it is read */
static const char *scan_on_bad(struct pmkv *kv, uint64_t off)
{
	const struct pmkv_record *r = kv_ptr(kv, off);

	if (!kv->bad.n)
		return NULL;
	if (badblocks_hit(&kv->bad, off, sizeof(*r)) ||
	    (rec_fits(r, kv->sb->pool_size - off, PMKV_KEY_MAX,
		      PMKV_VALUE_MAX) &&
	     badblocks_hit(&kv->bad, off, rec_size(r))))
		return "a bad block (media error)";
	return NULL;
}

/*
 * Under PMKV_F_SALVAGE a scan drops what is damaged, and says so; a get
 * of the key still says PMKV_E_CORRUPT. true: skip the record.
 */
static bool salvage_skip(struct pmkv *kv, const struct pmkv_record *r,
			 uint64_t off, const char *why)
{
	if (!kv->salvage)
		return false;
	/* counted at open (damaged_records), unless it happened since */
	log_err("%s: salvage: a scan skips the record at pool offset %llu (key of %u bytes): %s",
		kv->path, (unsigned long long)off, r->klen, why);
	return true;
}

/*
 * Copy the records at offs[0, ngot) into c's buffer, checked, until the
 * end bound (c->done) or a full buffer: what did not fit is left to the
 * next refill, which must then seek (*resumable false). Called under the
 * shard's read lock; 0 or the error of the first record that failed.
 */
static inline int refill_copy(struct pmkv_iter *it, struct shard *sh,
			      struct cursor *c, const uint64_t *offs,
			      const uint32_t *segs,
			      uint32_t ngot, bool *resumable)
{
	size_t used = 0;
	int rc;

	for (uint32_t i = 0; i < ngot; i++) {
		const struct pmkv_record *r = kv_ptr(it->kv, offs[i]);
		const char *why;
		size_t need;

		why = scan_on_bad(it->kv, offs[i]);
		if (!why)
			why = rec_check_entry(it->kv->base, sh->t.limit, r,
					      offs[i], NULL, 0,
					      SALVAGE_SEG(it->kv, segs[i]));
		/* the end bound only once the key's length is trusted */
		if (!why && it->end && key_cmp_bytes(rec_key(r), r->klen,
						     it->end, it->elen) >= 0) {
			c->done = true;
			break;
		}
		if (why && !salvage_skip(it->kv, r, offs[i], why))
			return rec_damaged(it->kv->path, r, offs[i], why);
		if (why)
			continue;
		need = (size_t)r->klen + rec_vlen(r);
		if (used + need > c->cap) {
			if (c->n) {
				/* the rest on the next refill, by seeking */
				*resumable = false;
				c->done = false;
				break;
			}
			rc = cursor_grow(c, need);
			if (rc)
				return rc;
		}
		if (!rec_value_valid(r)) {
			why = "its value fails its checksum";
			if (!salvage_skip(it->kv, r, offs[i], why))
				return rec_damaged(it->kv->path, r, offs[i], why);
			continue;
		}
		used = cursor_append(c, r, used);
	}
	return 0;
}

/*
 * Copy the shard's next records, under its read lock and only there:
 * gather the entries, then copy their records. While the tree is
 * unchanged the next refill resumes where this one stopped; otherwise it
 * seeks past the last key it copied.
 */
static int refill(struct pmkv_iter *it, unsigned si)
{
	struct shard *sh = &it->kv->shards[si];
	struct cursor *c = &it->c[si];
	uint64_t offs[REFILL_MAX];
	uint32_t segs[REFILL_MAX];
	bool resumable = true;
	uint32_t ngot;
	int rc;

	c->n = c->pos = 0;
	if (c->done)
		return 0;
	pthread_rwlock_rdlock(&sh->lock);
	ngot = refill_gather(it, sh, c, offs, segs);
	rc = refill_copy(it, sh, c, offs, segs, ngot, &resumable);
	c->bc_valid = resumable && !rc;
	c->bc_mods = sh->t.mods;
	pthread_rwlock_unlock(&sh->lock);
	if (rc) {
		c->n = 0;
		return rc;
	}
	if (c->n) {
		const struct item *last = &c->items[c->n - 1];

		rc = set_from(c, c->buf + last->koff, last->klen, true);
	}
	if (c->want < REFILL_MAX)
		c->want *= 2;
	return rc;
}

static inline uint64_t cur_prefix(const struct cursor *c)
{
	return c->peeked ? c->peek_prefix : c->items[c->pos].prefix;
}

/* slot i now holds cursor cur, at its current position */
static inline void heap_put(struct pmkv_iter *it, unsigned i, unsigned cur)
{
	it->heap[i].cur = cur;
	it->heap[i].prefix = cur_prefix(&it->c[cur]);
}

/* the heap's order: prefix, then peeked first, then whole key */
static bool less(const struct pmkv_iter *it, const struct heap_slot *a,
		 const struct heap_slot *b)
{
	const struct cursor *ca, *cb;
	const uint8_t *ka, *kb;
	uint32_t la, lb;

	if (a->prefix != b->prefix)
		return a->prefix < b->prefix;
	ca = &it->c[a->cur];
	cb = &it->c[b->cur];
	if (ca->peeked || cb->peeked)
		return ca->peeked && !cb->peeked;
	ka = cur_key(ca, &la);
	kb = cur_key(cb, &lb);
	return key_cmp_bytes(ka, la, kb, lb) < 0;
}

static void sift_down(struct pmkv_iter *it, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		struct heap_slot t;

		if (l < it->nheap && less(it, &it->heap[l], &it->heap[m]))
			m = l;
		if (r < it->nheap && less(it, &it->heap[r], &it->heap[m]))
			m = r;
		if (m == i)
			return;
		t = it->heap[i];
		it->heap[i] = it->heap[m];
		it->heap[m] = t;
		i = m;
	}
}

int pmkv_iter_new(struct pmkv *kv, struct pmkv_iter **itp)
{
	struct pmkv_iter *it;

	if (!kv || !itp)
		return pmkv_err(-EINVAL, "kv or it is NULL");
	it = calloc(1, sizeof(*it));
	if (!it)
		return pmkv_err(-ENOMEM, "no memory for an iterator");
	it->kv = kv;
	*itp = it;
	return 0;
}

void pmkv_iter_free(struct pmkv_iter **itp)
{
	struct pmkv_iter *it;

	if (!itp || !*itp)
		return;
	it = *itp;
	for (unsigned i = 0; i < NSHARDS; i++) {
		free(it->c[i].buf);
		free(it->c[i].from);
	}
	free(it->last);
	free(it->end);
	free(it);
	*itp = NULL;
}

/*
 * Position every cursor at its shard's first live entry >= k (NULL: the
 * first), peeked. Two passes, so that the leaves' misses overlap.
 */
static void peek_all(struct pmkv_iter *it, const struct key *k)
{
	void *leaf[NSHARDS];
	uint64_t mods[NSHARDS];

	for (unsigned i = 0; i < NSHARDS; i++) {
		struct shard *sh = &it->kv->shards[i];

		pthread_rwlock_rdlock(&sh->lock);
		leaf[i] = btree_leaf_of(&sh->t, k);
		mods[i] = sh->t.mods;
		pthread_rwlock_unlock(&sh->lock);
	}
	for (unsigned i = 0; i < NSHARDS; i++) {
		struct shard *sh = &it->kv->shards[i];
		struct cursor *c = &it->c[i];
		struct ientry *e;

		pthread_rwlock_rdlock(&sh->lock);
		if (sh->t.mods == mods[i])
			btree_seek_in(&sh->t, leaf[i], k, false, &c->bc);
		else
			btree_seek(&sh->t, k, false, &c->bc);
		while ((e = btree_cur(&c->bc)) && (e->off & IE_TOMB))
			btree_next(&c->bc);
		if (e) {
			const char *p = kv_ptr(it->kv, IE_OFF(e));

			c->peeked = true;
			c->peek_prefix = btree_cur_prefix(&c->bc);
			/* copied when it comes to the top: start the miss now */
			__builtin_prefetch(p);
			__builtin_prefetch(p + CACHELINE);
			__builtin_prefetch(p + 2 * CACHELINE);
		} else {
			c->done = true;
		}
		/* a refill resumes at the entry found, while the tree holds */
		c->bc_valid = true;
		c->bc_mods = sh->t.mods;
		pthread_rwlock_unlock(&sh->lock);
	}
}

/*
 * Copy the records of the top cursor while it is a peeked one, until the
 * top has a key to hand out or the heap is empty. A peeked cursor refills
 * from past the last key handed out, if one was.
 */
static int settle(struct pmkv_iter *it)
{
	while (it->nheap && it->c[it->heap[0].cur].peeked) {
		unsigned top = it->heap[0].cur;
		struct cursor *c = &it->c[top];
		int rc;

		c->peeked = false;
		it->npeeked--;
		if (it->have_last) {
			rc = set_from(c, it->last, it->last_len, true);
			if (rc)
				return rc;
		}
		rc = refill(it, top);
		if (rc)
			return rc;
		if (!c->n)
			it->heap[0] = it->heap[--it->nheap];
		else
			heap_put(it, 0, top);
		if (it->nheap)
			sift_down(it, 0);
	}
	return 0;
}

/* keep the top's key: peeked cursors refill from past it */
static int save_last(struct pmkv_iter *it)
{
	uint32_t len;
	const uint8_t *k = cur_key(&it->c[it->heap[0].cur], &len);
	int rc = key_keep(&it->last, &it->last_cap, k, len);

	if (rc)
		return rc;
	it->last_len = len;
	it->have_last = true;
	return 0;
}

/* position at the first key >= key, below the iterator's end bound */
static int iter_seek(struct pmkv_iter *it, const void *key, size_t klen)
{
	struct key k;
	int rc;

	it->nheap = 0;
	it->npeeked = 0;
	it->have_last = false;
	if (key)
		key_make(&k, key, klen);
	for (unsigned i = 0; i < NSHARDS; i++) {
		struct cursor *c = &it->c[i];

		c->n = c->pos = 0;
		c->done = false;
		c->peeked = false;
		c->have_from = false;
		c->bc_valid = false;
		c->want = REFILL_FIRST;
		if (key) {
			rc = set_from(c, key, (uint32_t)klen, false);
			if (rc)
				return rc;
		}
	}
	peek_all(it, key ? &k : NULL);
	for (unsigned i = 0; i < NSHARDS; i++)
		if (it->c[i].peeked) {
			heap_put(it, it->nheap++, i);
			it->npeeked++;
		}
	for (unsigned i = it->nheap / 2; i-- > 0;)
		sift_down(it, i);
	rc = settle(it);
	if (rc) {
		it->nheap = 0;
		return rc;
	}
	return it->nheap ? 0 : -ENOENT;
}

int pmkv_iter_seek(struct pmkv_iter *it, const void *key, size_t klen)
{
	int rc;

	if (!it)
		return pmkv_err(-EINVAL, "iterator is NULL");
	if (key) {
		rc = args_key(key, klen);
		if (rc)
			return rc;
	}
	rc = iter_seek(it, key, klen);
	if (rc == -ENOENT)
		return err_plain(-ENOENT, "no key at or after the seek key");
	return rc;
}

int pmkv_iter_next(struct pmkv_iter *it)
{
	struct cursor *c;
	unsigned top;
	int rc;

	if (!it)
		return pmkv_err(-EINVAL, "iterator is NULL");
	if (!it->nheap)
		return err_plain(-ENOENT, "iterator is at the end");
	top = it->heap[0].cur;
	c = &it->c[top];
	if (it->npeeked && (rc = save_last(it))) {
		it->nheap = 0;
		return rc;
	}
	if (++c->pos == c->n) {
		rc = refill(it, top);
		if (rc) {
			it->nheap = 0;
			return rc;
		}
		if (!c->n)
			it->heap[0] = it->heap[--it->nheap];
		else
			heap_put(it, 0, top);
	} else {
		heap_put(it, 0, top);
	}
	if (it->nheap)
		sift_down(it, 0);
	rc = settle(it);
	if (rc) {
		it->nheap = 0;
		return rc;
	}
	if (!it->nheap)
		return err_plain(-ENOENT, "iterator is at the end");
	return 0;
}

int pmkv_iter_key(const struct pmkv_iter *it, const void **key, size_t *klen)
{
	uint32_t len;

	if (!it || !key || !klen)
		return pmkv_err(-EINVAL, "NULL argument");
	if (!it->nheap)
		return err_plain(-ENOENT, "iterator is not on a key");
	*key = cur_key(&it->c[it->heap[0].cur], &len);
	*klen = len;
	return 0;
}

int pmkv_iter_value(const struct pmkv_iter *it, const void **val,
		    size_t *vlen)
{
	const struct cursor *c;

	if (!it || !val || !vlen)
		return pmkv_err(-EINVAL, "NULL argument");
	if (!it->nheap)
		return err_plain(-ENOENT, "iterator is not on a key");
	c = &it->c[it->heap[0].cur];
	*val = c->buf + c->items[c->pos].voff;
	*vlen = c->items[c->pos].vlen;
	return 0;
}

int pmkv_scan(struct pmkv *kv, const void *start, size_t slen,
	      const void *end, size_t elen, pmkv_scan_cb cb, void *arg)
{
	struct pmkv_iter *it;
	int rc;

	if (!kv || !cb)
		return pmkv_err(-EINVAL, "kv or cb is NULL");
	if (start && (rc = args_key(start, slen)))
		return rc;
	if (end && (rc = args_key(end, elen)))
		return rc;
	rc = pmkv_iter_new(kv, &it);
	if (rc)
		return rc;
	if (end) {
		it->end = malloc(elen);
		if (!it->end) {
			pmkv_iter_free(&it);
			return pmkv_err(-ENOMEM, "no memory for the end key");
		}
		memcpy(it->end, end, elen);
		it->elen = (uint32_t)elen;
	}
	for (rc = iter_seek(it, start, slen); rc == 0; rc = pmkv_iter_next(it)) {
		const struct cursor *c = &it->c[it->heap[0].cur];
		const struct item *item = &c->items[c->pos];
		int stop = cb(c->buf + item->koff, item->klen,
			      c->buf + item->voff, item->vlen, arg);

		if (stop) {
			pmkv_iter_free(&it);
			return stop;
		}
	}
	pmkv_iter_free(&it);
	return rc == -ENOENT ? 0 : rc;
}
