// SPDX-License-Identifier: BSD-3-Clause
/*
 * scan.c -- ordered iteration: walk the index's leaves, copy records out
 *
 * An iterator copies one leaf at a time (index_snap(): its entries, made
 * consistent against the leaf's version without a lock), then the records
 * those entries name into its own buffer, and checks the leaf's version
 * again: if it did not move, no entry changed, so no record read was moved
 * or freed by reclamation meanwhile, and the copies are whole. If it
 * moved, the leaf is copied again. Callers hold no lock and may call pmkv
 * again, and no pointer handed out points into the pool.
 *
 * The records of a leaf lie in log order, not key order: their first
 * lines are all requested before the first is copied, so the misses on
 * them overlap (memory-level parallelism) instead of following each other.
 * Each record's checksums are computed once, the value's over the copy
 * that is handed out.
 *
 * A seek copies one record; each refill after copies twice as many, up to
 * a leaf: a seek that reads one key pays for one. A refill takes the next
 * records from the leaf it copied while the leaf's version says the copy
 * still holds, and seeks again otherwise.
 *
 * Order: a refill forward seeks past the last key handed out and takes the
 * leaves after it by their links; a refill backward seeks below the first
 * key it holds, then below each leaf's lower fence. So keys come strictly
 * increasing (decreasing), each at most once. A key present and unchanged
 * for the whole walk is in the leaf a refill copies, or in a leaf after
 * (before) it that a later one reaches: leaves only split, and a split
 * moves keys into a new leaf linked after the old one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

#define BUF_MIN 4096
/*
 * A refill stops copying once its buffer holds this much (one record at
 * least): large values are not copied a whole leaf at a time.
 */
#define REFILL_BYTES (256u << 10)

#define AGAIN 1			/* the leaf moved while its records were copied */

struct item {
	size_t koff, voff;	/* in buf */
	uint32_t klen, vlen;
	uint64_t vcsum;		/* the value's, from its header */
};

struct bound {
	uint8_t *p;		/* NULL: none */
	uint32_t len;
};

enum dir { NONE, FORWARD, BACKWARD };

struct pmkv_iter {
	struct pmkv *kv;
	struct isnap s;		/* the leaf last copied */
	enum dir dir;		/* which way its entries are being copied */
	uint32_t at;		/* forward: entries [at, n) are left; back: [0, at) */
	uint32_t want;		/* records the next refill copies */
	const void *touched;	/* the leaf whose records touch_next() asked for */
	uint8_t *from;		/* the key a refill starts from, PMKV_KEY_MAX */
	uint32_t from_len;
	uint8_t *buf;		/* records copied */
	size_t cap;
	struct item items[INDEX_LEAF_CAP];	/* in key order */
	uint32_t n, pos;	/* items[pos] is the current key, when on */
	bool on;
	struct bound lo, hi;	/* [lo, hi) */
};

int pmkv_iter_new(struct pmkv *kv, struct pmkv_iter **itp)
{
	struct pmkv_iter *it;

	if (!kv || !itp)
		return pmkv_err(-EINVAL, "kv or it is NULL");
	it = calloc(1, sizeof(*it));
	if (it) {
		it->from = malloc(PMKV_KEY_MAX);
		it->s.fence = malloc(PMKV_KEY_MAX);
		it->buf = malloc(BUF_MIN);
	}
	if (!it || !it->from || !it->s.fence || !it->buf) {
		pmkv_iter_free(&it);
		return pmkv_err(-ENOMEM, "no memory for an iterator");
	}
	it->cap = BUF_MIN;
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
	free(it->from);
	free(it->s.fence);
	free(it->buf);
	free(it->lo.p);
	free(it->hi.p);
	free(it);
	*itp = NULL;
}

/* the bytes of a bound: a copy, or NULL for none; -ENOMEM */
static int bound_set(struct bound *b, const void *key, size_t len)
{
	uint8_t *p = NULL;

	if (key) {
		p = malloc(len);
		if (!p)
			return pmkv_err(-ENOMEM, "no memory for an iterator bound");
		memcpy(p, key, len);
	}
	free(b->p);
	b->p = p;
	b->len = (uint32_t)len;
	return 0;
}

static int bound_cmp(const struct bound *b, const uint8_t *k, uint32_t len)
{
	return key_cmp_bytes(k, len, b->p, b->len);
}

/* a refill touches the records of TOUCH_AHEAD times its own, and as many more */
#define TOUCH_AHEAD 2

/* records a refill copies at most: a leaf's worth */
#define WANT_MAX INDEX_LEAF_CAP

/*
 * The records of s's entries [a, z) are read next: ask for them all, so
 * that their misses overlap. Loads, not prefetches: this machine's
 * prefetches are dropped when they miss the TLB, which a record in log
 * order almost always does (4 KiB pages of a pool much larger than the
 * TLB reaches), while independent loads each walk the page table and
 * stay in flight together.
 */
#define TOUCH_BYTES (3 * CACHELINE + CACHELINE)

static unsigned touch(const struct pmkv *kv, uint64_t off)
{
	const volatile uint8_t *p = kv_ptr(kv, off);

	if (off < sizeof(struct pmkv_record) ||
	    off >= kv->index.limit - TOUCH_BYTES)
		return 0;
	/* header, key and value of most records, where ever they start */
	return p[0] + p[CACHELINE] + p[2 * CACHELINE] + p[TOUCH_BYTES - 1];
}

static void touch_records(const struct pmkv *kv, const struct isnap *s,
			  uint32_t a, uint32_t z)
{
	unsigned sink = 0;

	for (uint32_t i = a; i < z; i++)
		sink += touch(kv, IE_OFF(&s->e[i]));
	(void)sink;
}

/*
 * Walking forward, the records of the next leaf too, once a leaf: their
 * misses overlap this leaf's, so that a seek followed by a few nexts
 * waits for one round of misses even when it crosses into the next leaf,
 * and a long walk has the next leaf's records on the way while it copies
 * this one's. What the leaf held is only a hint here; the copy checks.
 */
static void touch_next(struct pmkv_iter *it)
{
	uint64_t offs[INDEX_LEAF_CAP];
	unsigned sink = 0;
	uint32_t n;

	if (!it->s.next || it->touched == it->s.next)
		return;
	it->touched = it->s.next;
	n = index_leaf_hint(it->s.next, offs, INDEX_LEAF_CAP);
	for (uint32_t i = 0; i < n; i++)
		sink += touch(it->kv, offs[i]);
	(void)sink;
}

/*
 * The leaf after s, which a walk forward copies next: a node of the
 * index's arena, on huge pages, where prefetches are not dropped
 */
static void prefetch_leaf(const void *leaf)
{
	for (size_t i = 0; leaf && i < INDEX_LEAF_BYTES; i += CACHELINE)
		__builtin_prefetch((const char *)leaf + i);
}

/* a known media error in the record at off: nothing of it is read */
static const char *scan_on_bad(struct pmkv *kv, uint64_t off,
			       const struct pmkv_record *h)
{
	if (!kv->bad.n)
		return NULL;
	if (badblocks_hit(&kv->bad, off, sizeof(*h)) ||
	    (rec_fits(h, kv->sb->pool_size - off, PMKV_KEY_MAX,
		      PMKV_VALUE_MAX) &&
	     badblocks_hit(&kv->bad, off, rec_size(h))))
		return "a bad block (media error)";
	return NULL;
}

/* room for need more bytes after used in the buffer; -ENOMEM */
static int buf_room(struct pmkv_iter *it, size_t used, size_t need)
{
	size_t ncap = it->cap;
	uint8_t *nb;

	if (used + need <= it->cap)
		return 0;
	while (ncap < used + need)
		ncap *= 2;
	nb = realloc(it->buf, ncap);
	if (!nb)
		return pmkv_err(-ENOMEM, "no memory for a record of %zu bytes",
				need);
	it->buf = nb;
	it->cap = ncap;
	return 0;
}

/*
 * Copy the record of entry e to byte *used of the buffer as *item. NULL,
 * or why the record is not whole: the caller knows once the leaf is
 * checked whether that is damage or a record read while it moved.
 */
static const char *copy_record(struct pmkv_iter *it, const struct ientry *e,
			       struct item *item, size_t *used, int *err)
{
	struct pmkv *kv = it->kv;
	uint64_t off = IE_OFF(e), limit = kv->index.limit;
	const struct pmkv_record *r = kv_ptr(kv, off);
	struct pmkv_record h;
	const char *why;
	uint32_t vlen;

	if (off % PMKV_REC_ALIGN || off < sizeof(h) || off > limit - sizeof(h))
		return "it is not where it was written";
	if (badblocks_hit(&kv->bad, off, sizeof(h)))
		return "a bad block (media error)";
	memcpy(&h, r, sizeof(h));
	why = scan_on_bad(kv, off, &h);
	if (!why)
		why = rec_check_entry(kv->base, limit, &h, off, NULL, 0,
				      SALVAGE_SEG(kv, e->seg));
	if (why)
		return why;
	vlen = rec_vlen(&h);
	*err = buf_room(it, *used, (size_t)h.klen + vlen);
	if (*err)
		return "no memory";
	item->koff = *used;
	item->klen = h.klen;
	memcpy(it->buf + *used, (const uint8_t *)r + sizeof(h), h.klen);
	*used += h.klen;
	item->voff = *used;
	item->vlen = vlen;
	memcpy(it->buf + *used, (const uint8_t *)r +
	       (record_value_at(h.offset, h.klen, vlen) - h.offset), vlen);
	*used += vlen;
	item->vcsum = h.vcsum;
	return NULL;
}

/* the copy is what is handed out: its checksum, once */
static const char *check_value(const struct pmkv_iter *it,
			       const struct item *item)
{
	if (rec_vcsum(it->buf + item->voff, item->vlen) != item->vcsum)
		return "its value fails its checksum";
	return NULL;
}

/*
 * Under PMKV_F_SALVAGE a scan drops what is damaged, and says so; a get
 * of the key still says PMKV_E_CORRUPT. true: skip the record.
 */
static bool salvage_skip(struct pmkv *kv, uint64_t off, const char *why)
{
	if (!kv->salvage)
		return false;
	/* counted at open (damaged_records), unless it happened since */
	log_err("%s: salvage: a scan skips the record at pool offset %llu: %s",
		kv->path, (unsigned long long)off, why);
	return true;
}

/*
 * Copy the records of the next it->want live entries of the leaf in it->s
 * (from it->at on, or backward below it) into items, in key order; stop at
 * the bound on that side (*edge), or when the buffer holds REFILL_BYTES.
 * 0 with it->n items (maybe none) and it->at moved past them, AGAIN, or
 * an error.
 */
static int copy_range(struct pmkv_iter *it, bool back, bool *edge)
{
	struct isnap *s = &it->s;
	uint32_t a = back ? 0 : it->at, z = back ? it->at : s->n, j, ahead;
	size_t used = 0;
	uint32_t n = 0;

	*edge = false;
	/*
	 * The records of this refill and the next (twice as many) at once:
	 * their misses overlap. Not the whole leaf: each record is a page
	 * walk of its own, and a seek that reads one key would wait for a
	 * leaf's worth of them (1.1 against 2.0 us a seek here). When the
	 * leaf ends within that, the next leaf's records too.
	 */
	ahead = TOUCH_AHEAD * it->want + TOUCH_AHEAD;
	if (back) {
		touch_records(it->kv, s, z > ahead ? z - ahead : 0, z);
	} else {
		touch_records(it->kv, s, a, z - a > ahead ? a + ahead : z);
		if (z - a <= ahead) {
			prefetch_leaf(s->next);
			touch_next(it);
		}
	}
	for (j = 0; j < z - a && n < it->want && used < REFILL_BYTES; j++) {
		uint32_t i = back ? z - 1 - j : a + j;
		const struct bound *b = back ? &it->lo : &it->hi;
		struct item *item = &it->items[n];
		size_t was = used;
		const char *why;
		int err = 0, c;

		if (!IE_LIVE(s->e[i].off))
			continue;
		why = copy_record(it, &s->e[i], item, &used, &err);
		/* a key past the bound ends the walk, whatever its value */
		c = !why && b->p ? bound_cmp(b, it->buf + item->koff,
					     item->klen) : 0;
		if (!why && b->p && (back ? c < 0 : c >= 0)) {
			*edge = true;
			break;
		}
		if (!why)
			why = check_value(it, item);
		if (why) {
			/* what was read holds only if the leaf did not move */
			if (!isnap_valid(s))
				return AGAIN;
			if (err)
				return err;
			if (salvage_skip(it->kv, IE_OFF(&s->e[i]), why)) {
				used = was;
				continue;
			}
			return rec_damaged(it->kv->path,
					   kv_ptr(it->kv, IE_OFF(&s->e[i])),
					   IE_OFF(&s->e[i]), why);
		}
		n++;
	}
	if (!isnap_valid(s))
		return AGAIN;
	it->at = back ? z - j : a + j;
	if (it->want < WANT_MAX)
		it->want *= 2;
	if (back)
		for (uint32_t i = 0; i < n / 2; i++) {
			struct item t = it->items[i];

			it->items[i] = it->items[n - 1 - i];
			it->items[n - 1 - i] = t;
		}
	it->n = n;
	return 0;
}

/* keep key k in it->from, where refills start from */
static void from_set(struct pmkv_iter *it, const uint8_t *k, uint32_t len)
{
	memmove(it->from, k, len);
	it->from_len = len;
}

static int snap_err(struct pmkv_iter *it)
{
	return pmkv_err(PMKV_E_CORRUPT,
			"%s: a key in the index cannot be read: its record was damaged since open",
			it->kv->path);
}

/*
 * Go on forward from it->at in the leaf copied, then the leaves after it:
 * 0 with it->n > 0 items, the first the current key; -ENOENT at the end
 * or the upper bound; AGAIN when a leaf moved (seek again); an error.
 */
static int more_forward(struct pmkv_iter *it)
{
	bool edge;
	int rc;

	for (;;) {
		rc = copy_range(it, false, &edge);
		if (rc)
			return rc;
		if (it->n) {
			it->pos = 0;
			return 0;
		}
		if (edge || !it->s.next)
			return -ENOENT;
		/* every key of the leaves after is greater than the last */
		index_snap_next(&it->kv->index, &it->s);
		it->at = 0;
	}
}

/* the first keys >= it->from (> when strict; all keys when none) */
static int fill_forward(struct pmkv_iter *it, bool have, bool strict)
{
	struct key k;
	int rc;

	if (have)
		key_make(&k, it->from, it->from_len);
	it->dir = NONE;
	do {
		if (index_snap(&it->kv->index, have ? &k : NULL, strict, false,
			       &it->s))
			return snap_err(it);
		it->at = it->s.pos;
		rc = more_forward(it);
	} while (rc == AGAIN);
	if (!rc)
		it->dir = FORWARD;
	return rc;
}

/*
 * Go on backward below it->at in the leaf copied: as more_forward(), the
 * current key the last item; AGAIN also when the leaf has nothing left
 * (*below: go on below its lower fence).
 */
static int more_backward(struct pmkv_iter *it, bool *below)
{
	bool edge;
	int rc;

	*below = false;
	rc = copy_range(it, true, &edge);
	if (rc)
		return rc;
	if (it->n) {
		it->pos = it->n - 1;
		return 0;
	}
	if (edge || !it->s.has_fence)
		return -ENOENT;
	/* nothing below k here: below the leaf's lower fence then */
	from_set(it, it->s.fence, it->s.fence_len);
	*below = true;
	return AGAIN;
}

/* the last keys <= it->from (< when strict; all keys when none) */
static int fill_backward(struct pmkv_iter *it, bool have, bool strict)
{
	struct key k;
	bool below;
	int rc;

	it->dir = NONE;
	for (;;) {
		if (have)
			key_make(&k, it->from, it->from_len);
		/*
		 * <= k: the leaf that holds k, entries before the first > k;
		 * < k: the leaf below k, entries before the first >= k
		 */
		if (index_snap(&it->kv->index, have ? &k : NULL, !strict,
			       !have || strict, &it->s))
			return snap_err(it);
		it->at = it->s.pos;
		rc = more_backward(it, &below);
		if (rc != AGAIN)
			break;
		if (below) {
			have = true;
			strict = true;
		}
	}
	if (!rc)
		it->dir = BACKWARD;
	return rc;
}

/* move to the first key >= key (NULL: the first), within the bounds */
static int iter_seek(struct pmkv_iter *it, const void *key, size_t klen)
{
	int rc;

	it->on = false;
	if (it->lo.p && (!key || bound_cmp(&it->lo, key, (uint32_t)klen) < 0)) {
		key = it->lo.p;
		klen = it->lo.len;
	}
	if (key)
		from_set(it, key, (uint32_t)klen);
	it->want = 1;
	rc = fill_forward(it, key != NULL, false);
	it->on = rc == 0;
	return rc;
}

/* move to the last key <= key (NULL: the last), within the bounds */
static int iter_seek_for_prev(struct pmkv_iter *it, const void *key,
			      size_t klen)
{
	bool strict = false;
	int rc;

	it->on = false;
	if (it->hi.p && (!key || bound_cmp(&it->hi, key, (uint32_t)klen) >= 0)) {
		key = it->hi.p;
		klen = it->hi.len;
		strict = true;
	}
	if (key)
		from_set(it, key, (uint32_t)klen);
	it->want = 1;
	rc = fill_backward(it, key != NULL, strict);
	it->on = rc == 0;
	return rc;
}

/* the checks both seeks start with */
static int seek_args(const struct pmkv_iter *it, const void *key, size_t klen)
{
	if (!it)
		return pmkv_err(-EINVAL, "iterator is NULL");
	return key ? args_key(key, klen) : 0;
}

int pmkv_iter_seek(struct pmkv_iter *it, const void *key, size_t klen)
{
	int rc = seek_args(it, key, klen);

	if (rc)
		return rc;
	rc = iter_seek(it, key, klen);
	if (rc == -ENOENT)
		return err_plain(-ENOENT, "no key at or after the seek key");
	return rc;
}

int pmkv_iter_seek_for_prev(struct pmkv_iter *it, const void *key,
			    size_t klen)
{
	int rc = seek_args(it, key, klen);

	if (rc)
		return rc;
	rc = iter_seek_for_prev(it, key, klen);
	if (rc == -ENOENT)
		return err_plain(-ENOENT, "no key at or before the seek key");
	return rc;
}

int pmkv_iter_seek_last(struct pmkv_iter *it)
{
	return pmkv_iter_seek_for_prev(it, NULL, 0);
}

int pmkv_iter_next(struct pmkv_iter *it)
{
	const struct item *cur;
	int rc;

	if (!it)
		return pmkv_err(-EINVAL, "iterator is NULL");
	if (!it->on)
		return err_plain(-ENOENT, "iterator is at the end");
	if (it->pos + 1 < it->n) {
		it->pos++;
		return 0;
	}
	/* kept first: a refill copies over it, and may have to seek past it */
	cur = &it->items[it->pos];
	from_set(it, it->buf + cur->koff, cur->klen);
	rc = it->dir == FORWARD ? more_forward(it) : AGAIN;
	if (rc == AGAIN)
		rc = fill_forward(it, true, true);
	it->on = rc == 0;
	if (rc == -ENOENT)
		return err_plain(-ENOENT, "iterator is at the end");
	return rc;
}

int pmkv_iter_prev(struct pmkv_iter *it)
{
	const struct item *cur;
	int rc;

	if (!it)
		return pmkv_err(-EINVAL, "iterator is NULL");
	if (!it->on)
		return err_plain(-ENOENT, "iterator is at the beginning");
	if (it->pos > 0) {
		it->pos--;
		return 0;
	}
	cur = &it->items[it->pos];
	from_set(it, it->buf + cur->koff, cur->klen);
	rc = AGAIN;
	if (it->dir == BACKWARD) {
		bool below;

		rc = more_backward(it, &below);
		/* from holds the fence when below, else still the key */
	}
	if (rc == AGAIN)
		rc = fill_backward(it, true, true);
	it->on = rc == 0;
	if (rc == -ENOENT)
		return err_plain(-ENOENT, "iterator is at the beginning");
	return rc;
}

int pmkv_iter_set_bounds(struct pmkv_iter *it, const void *lower, size_t llen,
			 const void *upper, size_t ulen)
{
	int rc;

	if (!it)
		return pmkv_err(-EINVAL, "iterator is NULL");
	if (lower && (rc = args_key(lower, llen)))
		return rc;
	if (upper && (rc = args_key(upper, ulen)))
		return rc;
	if (lower && upper &&
	    key_cmp_bytes(lower, (uint32_t)llen, upper, (uint32_t)ulen) >= 0)
		return pmkv_err(-EINVAL, "the lower bound is not below the upper bound");
	it->on = false;
	rc = bound_set(&it->lo, lower, llen);
	if (!rc)
		rc = bound_set(&it->hi, upper, ulen);
	return rc;
}

int pmkv_iter_key(const struct pmkv_iter *it, const void **key, size_t *klen)
{
	if (!it || !key || !klen)
		return pmkv_err(-EINVAL, "NULL argument");
	if (!it->on)
		return err_plain(-ENOENT, "iterator is not on a key");
	*key = it->buf + it->items[it->pos].koff;
	*klen = it->items[it->pos].klen;
	return 0;
}

int pmkv_iter_value(const struct pmkv_iter *it, const void **val,
		    size_t *vlen)
{
	if (!it || !val || !vlen)
		return pmkv_err(-EINVAL, "NULL argument");
	if (!it->on)
		return err_plain(-ENOENT, "iterator is not on a key");
	*val = it->buf + it->items[it->pos].voff;
	*vlen = it->items[it->pos].vlen;
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
	/* start >= end is an empty range here, not an error */
	rc = bound_set(&it->hi, end, elen);
	for (rc = rc ? rc : iter_seek(it, start, slen); rc == 0;
	     rc = pmkv_iter_next(it)) {
		const struct item *item = &it->items[it->pos];
		int stop = cb(it->buf + item->koff, item->klen,
			      it->buf + item->voff, item->vlen, arg);

		if (stop) {
			pmkv_iter_free(&it);
			return stop;
		}
	}
	pmkv_iter_free(&it);
	return rc == -ENOENT ? 0 : rc;
}

/*
 * Count the live entries of the leaves from the one that holds start on,
 * up to end. Each leaf is counted from one consistent copy; a leaf whose
 * entry had to be compared with end by its record is counted again if it
 * moved meanwhile. No record is read but at the end bound.
 */
int pmkv_count(struct pmkv *kv, const void *start, size_t slen,
	       const void *end, size_t elen, uint64_t *count)
{
	struct key ks, ke;
	struct isnap *s;
	uint64_t total = 0;
	int rc;

	if (!kv || !count)
		return pmkv_err(-EINVAL, "kv or count is NULL");
	if (start && (rc = args_key(start, slen)))
		return rc;
	if (end && (rc = args_key(end, elen)))
		return rc;
	*count = 0;
	if (start && end &&
	    key_cmp_bytes(start, (uint32_t)slen, end, (uint32_t)elen) >= 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s)
		s->fence = malloc(PMKV_KEY_MAX);
	if (!s || !s->fence) {
		free(s);
		return pmkv_err(-ENOMEM, "no memory to count keys");
	}
	if (start)
		key_make(&ks, start, slen);
	if (end)
		key_make(&ke, end, elen);
	if (index_snap(&kv->index, start ? &ks : NULL, false, false, s)) {
		rc = -EIO;
		goto out;
	}
	for (bool first = true;; first = false) {
		const void *leaf = s->leaf;
		uint64_t n = 0;
		bool done = false, bad = false;

		index_racy_begin();
		for (uint32_t i = s->pos; i < s->n; i++) {
			bool past = false;

			if (end && s->pfx[i] > ke.prefix) {
				past = true;
			} else if (end && s->pfx[i] == ke.prefix) {
				int c = index_snap_cmp(&kv->index, s, i, &ke);

				bad = c == RACY_BAD;
				past = bad || c >= 0;
			}
			if (past) {
				done = true;
				break;
			}
			n += IE_LIVE(s->e[i].off);
		}
		index_racy_end();
		if (bad && isnap_valid(s)) {
			/* a quiet leaf, and still a key that cannot be read */
			rc = -EIO;
			goto out;
		}
		if (done && !isnap_valid(s)) {
			/* the record compared may have moved: count it again */
			if (first) {
				if (index_snap(&kv->index, start ? &ks : NULL,
					       false, false, s))
					break;
			} else {
				s->next = leaf;
				index_snap_next(&kv->index, s);
			}
			continue;
		}
		total += n;
		if (done || !s->next)
			break;
		index_snap_next(&kv->index, s);
	}
	*count = total;
	rc = 0;
out:
	free(s->fence);
	free(s);
	if (rc)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: a key in the index cannot be read: its record was damaged since open",
				kv->path);
	return 0;
}
