// SPDX-License-Identifier: BSD-3-Clause
/*
 * index.c -- the pool's ordered map: one B+tree in DRAM, with optimistic
 * lock coupling (Leis et al., "The ART of Practical Synchronization")
 *
 * Leaves hold struct ientry; keys themselves stay in the records on media
 * and are read only when two 8-byte prefixes tie. Inner nodes hold
 * separators as prefix + a DRAM copy of the bytes after the first 8, so a
 * separator never depends on a record that may move or be reclaimed.
 *
 * Every node starts with a version word, odd while a writer holds it.
 * A reader notes a node's version, reads the node, notes the child it
 * leads to and that child's version, then checks the node's version
 * again: if it moved, the reader starts over. A writer descends the same
 * way and locks the leaf by moving its version from the even value it
 * read to odd (a failed move: start over), so it never waits holding a
 * lock and writers on different leaves never meet. A full leaf is split
 * with its parent locked too; inner nodes are split on the way down once
 * full, so a parent always has room for one more separator.
 *
 * What makes reading without a lock safe (design.md section 7):
 *   - nodes are freed only when the index is, and a node's level never
 *     changes, so a child pointer read from a node of level h is NULL or a
 *     node of level h - 1;
 *   - the root and the height are one word (top), changed only by the
 *     holder of the old root's lock;
 *   - pointers are stored whole (atomic stores), new nodes and separator
 *     bytes are complete before a pointer to them is stored (release);
 *   - a separator's bytes carry their own length, so a length and a
 *     buffer read from two different separators cannot meet;
 *   - every count, offset and length read is bounded before it is used.
 * Deletes do not rebalance: a leaf may become sparse or empty and stays
 * linked; lookups and cursors handle empty leaves.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "index.h"
#include "invariant.h"
#include "layout.h"
#include "libpmkv.h"
#include "record.h"
#include "spin.h"

/*
 * Node layouts keep the 8-byte prefixes in one array near the start of
 * the node: a search touches those four cache lines, fetched together,
 * and then one entry. 32 per node keeps a 1M-key tree three levels deep.
 */
#define LEAF_CAP INDEX_LEAF_CAP
#define INNER_CAP 32
#define MAX_HEIGHT 16

struct leaf {
	uint64_t ver;		/* first: isnap_valid() reads it by the node */
	uint32_t n;
	struct leaf *next;
	uint64_t pfx[LEAF_CAP];
	struct ientry e[LEAF_CAP];
};

_Static_assert(sizeof(struct leaf) == INDEX_LEAF_BYTES, "index.h knows its size");

/* a separator's bytes after its first 8; never changed once published */
struct sep_rest {
	uint32_t len;		/* klen - 8 */
	uint8_t b[];
};

struct sep {
	uint64_t prefix;
	uint32_t klen;
	struct sep_rest *rest;	/* bytes [8, klen) when klen > 8, else NULL */
};

struct inner {
	uint64_t ver;
	uint32_t n;		/* separators; children = n + 1 */
	uint64_t pfx[INNER_CAP];
	uint32_t klen[INNER_CAP];
	struct sep_rest *rest[INNER_CAP];
	void *c[INNER_CAP + 1];
};

/* loads and stores a reader without the lock may meet: never torn */
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define PUBLISH(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* top: the root's address with the height in its low bits */
#define TOP_HEIGHT 63u
_Static_assert(MAX_HEIGHT <= TOP_HEIGHT, "height fits below the alignment");
_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "top reads as a version");
#define TOP_NODE(top) ((void *)((top) & ~(uintptr_t)TOP_HEIGHT))
#define TOP_H(top) ((int)((top) & TOP_HEIGHT))

static inline uintptr_t top_load(const struct index *t)
{
	return __atomic_load_n(&t->top, __ATOMIC_ACQUIRE);
}

static void top_set(struct index *t, void *root, int h)
{
	PUBLISH(t->top, (uintptr_t)root | (uintptr_t)h);
}

/*
 * A reader that met a writer tries again at once a few times (a writer
 * holds a leaf for about an insert), then yields: the writer may have
 * been preempted with the leaf locked, on a machine with more threads
 * than cores.
 */
static void backoff(unsigned i)
{
	if (i < 64)
		cpu_relax();
	else
		sched_yield();
}

/* ---- version words ---- */

static inline uint64_t ver_read(const void *node)
{
	return __atomic_load_n((const uint64_t *)node, __ATOMIC_ACQUIRE);
}

/* nothing changed the node since its version read v */
static inline bool ver_valid(const void *node, uint64_t v)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)node, __ATOMIC_RELAXED) == v;
}

/*
 * Lock a node whose version read v (even): false when it moved since. The
 * release fence keeps the stores that follow after the odd version, for a
 * reader that checks it after reading them (a sequence lock's writer).
 */
static inline bool ver_lock(void *node, uint64_t v)
{
	uint64_t exp = v;

	if (!__atomic_compare_exchange_n((uint64_t *)node, &exp, v + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return true;
}

static inline void ver_unlock(void *node)
{
	uint64_t *w = node, v = __atomic_load_n(w, __ATOMIC_RELAXED);

	PMKV_ASSERT(v & 1);
	__atomic_store_n(w, v + 1, __ATOMIC_RELEASE);
}

/*
 * Fetch a whole node at once: a search reads the prefixes, then the one
 * entry or child pointer it lands on. Asking for every line together makes
 * that one memory latency, not two in a row.
 */
static inline void prefetch_node(const void *node, int h)
{
	const char *p = node;
	size_t n = h > 0 ? sizeof(struct inner) : sizeof(struct leaf);

	for (size_t i = 0; i < n; i += CACHELINE)
		__builtin_prefetch(p + i);
}

/* ---- comparisons ---- */

/*
 * k vs the key of the record at off, for a reader without the lock: off
 * may be stale or torn, so the record is bounded by the pool before its
 * key is read. -1, 0 or 1; RACY_BAD when no record can be there.
 */
static int cmp_record(const struct index *t, const struct key *k, uint64_t off)
{
	const struct pmkv_record *r;
	uint32_t klen;
	int c;

	if (off % PMKV_REC_ALIGN || off < sizeof(*r) ||
	    off > t->limit - sizeof(*r))
		return RACY_BAD;
	r = (const struct pmkv_record *)(t->base + off);
	/*
	 * A get reads the rest of the record next: ask for its first lines
	 * together rather than one after the other.
	 */
	__builtin_prefetch((const char *)r + CACHELINE);
	__builtin_prefetch((const char *)r + 2 * CACHELINE);
	klen = LOAD(r->klen);
	if (klen > PMKV_KEY_MAX || klen > t->limit - off - sizeof(*r))
		return RACY_BAD;
	c = key_cmp_bytes(k->p, k->len, rec_key(r), klen);
	return (c > 0) - (c < 0);	/* memcmp() may say RACY_BAD itself */
}

/*
 * key vs separator i of an inner node whose prefix equals k's. The length
 * of the bytes comes with them, so this is safe without the lock too.
 */
static int cmp_sep_full(const struct key *k, const struct inner *in,
			uint32_t i)
{
	const struct sep_rest *rest = __atomic_load_n(&in->rest[i],
						      __ATOMIC_ACQUIRE);
	uint32_t sl;
	int c;

	if (rest) {
		sl = 8 + rest->len;
		/* equal prefixes: the bytes after the first 8 decide */
		c = key_cmp_bytes(k->len > 8 ? k->p + 8 : NULL,
				  k->len > 8 ? k->len - 8 : 0, rest->b, rest->len);
		if (c)
			return c;
	} else {
		sl = LOAD(in->klen[i]);
		sl = sl > 8 ? 8 : sl;
	}
	/* then length */
	return (k->len > sl) - (k->len < sl);
}

/* first index in pfx[0, n) whose prefix is >= p */
static inline uint32_t pfx_lower(const uint64_t *pfx, uint32_t n, uint64_t p)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (LOAD(pfx[mid]) < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The record at off is whole and in its place: within the pool, in the
 * segment it names at the offset it names (a header and key copied from
 * elsewhere hash right), its header and key matching their checksum.
 * From one copy of the header, so that a reader without the lock bounds
 * what it reads by the lengths it checked.
 */
static bool rec_intact(const struct index *t, uint64_t off)
{
	const struct pmkv_segment *seg;
	struct pmkv_record h;
	uint64_t start;

	if (off % PMKV_REC_ALIGN || off < sizeof(h) ||
	    off > t->limit - sizeof(h))
		return false;
	memcpy(&h, t->base + off, sizeof(h));
	if (h.klen == 0 || h.klen > PMKV_KEY_MAX ||
	    h.klen > t->limit - off - sizeof(h))
		return false;
	start = off - h.offset;
	if (h.offset > off || start % PMKV_SLOT_ALIGN ||
	    start > t->limit - sizeof(*seg))
		return false;
	seg = (const void *)(t->base + start);
	if (LOAD(seg->magic) != PMKV_SEGMENT_MAGIC ||
	    LOAD(seg->id) != h.segment_id)
		return false;
	return rec_hcsum(&h, t->base + off + sizeof(h)) == h.hcsum;
}

/*
 * No entry of e[0, n) equals k, and the search ended at pos. An index
 * loaded from a checkpoint (verify_keys) did not read its records, and one
 * damaged since the close may have misled the search: k was compared with
 * bytes that record no longer holds. The entries are in order by the keys
 * as they were, so a comparison with any other entry is right, and the
 * search ends just before or just after the misleading one: at pos - 1 or
 * pos, with k's prefix (the index's own copy, from before the damage).
 * true when one of those fails its checksum: "absent" may be wrong.
 */
static bool miss_beside_damage(const struct index *t, const uint64_t *pfx,
			       const struct ientry *e, uint32_t n,
			       uint32_t pos, uint64_t prefix)
{
	if (!t->verify_keys)
		return false;
	for (uint32_t i = pos ? pos - 1 : 0; i <= pos && i < n; i++) {
		uint64_t off = LOAD(e[i].off);

		/* a batch's placeholder is this handle's record, not the close's */
		if (LOAD(pfx[i]) == prefix && !(off & IE_HOLD) &&
		    !rec_intact(t, off & ~IE_TOMB))
			return true;
	}
	return false;
}

/*
 * The first of n entries (prefixes pfx, offsets in e) that is >= k, or
 * > k when strict; *eq when it is equal. *bad when a record cannot be
 * read, or k is absent beside a damaged one (miss_beside_damage()); the
 * caller validates anyway.
 */
static uint32_t entries_lower(const struct index *t, const uint64_t *pfx,
			      const struct ientry *e, uint32_t n,
			      const struct key *k, bool strict, bool *eq,
			      bool *bad)
{
	uint32_t i = pfx_lower(pfx, n, k->prefix);

	*eq = false;
	/* keys sharing the prefix: compare whole keys, in order */
	for (; i < n && LOAD(pfx[i]) == k->prefix; i++) {
		int c = cmp_record(t, k, LOAD(e[i].off) & ~(IE_TOMB | IE_HOLD));

		if (c == RACY_BAD) {
			*bad = true;
			return i;
		}
		if (c < 0 || (c == 0 && !strict)) {
			*eq = c == 0;
			break;
		}
	}
	if (!*eq && miss_beside_damage(t, pfx, e, n, i, k->prefix))
		*bad = true;
	return i;
}

/*
 * first position of a locked leaf whose entry is >= k; *eq when equal,
 * *bad as entries_lower() says it
 */
static uint32_t leaf_lower_bad(const struct index *t, const struct leaf *l,
			       const struct key *k, bool *eq, bool *bad)
{
	*bad = false;
	return entries_lower(t, l->pfx, l->e, l->n, k, false, eq, bad);
}

static uint32_t leaf_lower(const struct index *t, const struct leaf *l,
			   const struct key *k, bool *eq)
{
	bool bad;

	/*
	 * A key that cannot be read (damaged since open) compares greater
	 * than k: the leaf stays in order around it, nothing reads past it.
	 */
	return leaf_lower_bad(t, l, k, eq, &bad);
}

/* inner_child() from separator i on, whose prefix equals k's */
static __attribute__((noinline)) uint32_t
inner_child_tied(const struct inner *in, uint32_t n, const struct key *k,
		 uint32_t i, bool below)
{
	for (; i < n && LOAD(in->pfx[i]) == k->prefix; i++) {
		int c = cmp_sep_full(k, in, i);

		if (c < 0 || (below && c == 0))
			return i;
	}
	return i;
}

/*
 * The child that may hold k among n separators: the first separator > k
 * bounds it. below: the child that holds the keys just below k, bounded
 * by the first separator >= k. Every descent calls it at each level: the
 * common case, prefixes that differ, stays inline.
 */
static inline uint32_t inner_child(const struct inner *in, uint32_t n,
				   const struct key *k, bool below)
{
	uint32_t i = pfx_lower(in->pfx, n, k->prefix);

	if (i < n && LOAD(in->pfx[i]) == k->prefix)
		return inner_child_tied(in, n, k, i, below);
	return i;
}

/* ---- nodes ---- */

static void *node_alloc(struct index *t, int h)
{
	size_t size = h > 0 ? sizeof(struct inner) : sizeof(struct leaf);
	void *p = arena_alloc(t->mem, size);

	if (p)
		memset(p, 0, size);
	return p;
}

static void node_free(struct index *t, void *node, int h)
{
	arena_free(t->mem, node, h > 0 ? sizeof(struct inner) :
					  sizeof(struct leaf));
}

static void rest_free(struct index *t, struct sep_rest *rest)
{
	if (!rest)
		return;
	__atomic_fetch_sub(&t->bytes, sizeof(*rest) + rest->len,
			   __ATOMIC_RELAXED);
	free(rest);
}

static void free_tree(struct index *t, void *node, int h)
{
	struct inner *in = node;

	if (!node)
		return;
	if (h > 0) {
		for (uint32_t i = 0; i <= in->n; i++)
			free_tree(t, in->c[i], h - 1);
		for (uint32_t i = 0; i < in->n; i++)
			rest_free(t, in->rest[i]);
	}
	node_free(t, node, h);
}

void index_init(struct index *t, const uint8_t *base, struct arena *mem)
{
	memset(t, 0, sizeof(*t));
	t->base = base;
	t->mem = mem;
}

void index_destroy(struct index *t)
{
	uintptr_t top = t->top;

	free_tree(t, TOP_NODE(top), TOP_H(top));
	top_set(t, NULL, 0);
	t->bytes = 0;
	for (unsigned i = 0; i < INDEX_STRIPES; i++)
		t->nkeys[i].v = 0;
}

uint64_t index_nkeys(const struct index *t)
{
	int64_t n = 0;

	for (unsigned i = 0; i < INDEX_STRIPES; i++)
		n += __atomic_load_n(&t->nkeys[i].v, __ATOMIC_RELAXED);
	return n > 0 ? (uint64_t)n : 0;
}

/*
 * The root leaf of an empty index, made on the first insert: an index
 * that never gets a key allocates nothing. Its lock is the top word's
 * move from 0, which only one writer wins.
 */
static int make_root(struct index *t)
{
	struct leaf *l = node_alloc(t, 0);
	uintptr_t none = 0;

	if (!l)
		return -ENOMEM;
	if (!__atomic_compare_exchange_n(&t->top, &none, (uintptr_t)l, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		node_free(t, l, 0);
	return 0;
}

/* ---- separators ---- */

/*
 * A separator for key bytes kp: exact-size copy of the bytes after the
 * first 8. false, with nothing counted, when there is no memory for it.
 */
static bool sep_set(struct index *t, struct sep *out, uint64_t prefix,
		    const uint8_t *kp, uint32_t klen)
{
	out->prefix = prefix;
	out->klen = klen;
	out->rest = NULL;
	if (klen <= 8)
		return true;
	out->rest = malloc(sizeof(*out->rest) + klen - 8);
	if (!out->rest)
		return false;
	out->rest->len = klen - 8;
	memcpy(out->rest->b, kp + 8, klen - 8);
	__atomic_fetch_add(&t->bytes, sizeof(*out->rest) + klen - 8,
			   __ATOMIC_RELAXED);
	return true;
}

static void inner_set(struct inner *in, uint32_t i, const struct sep *s)
{
	STORE(in->pfx[i], s->prefix);
	STORE(in->klen[i], s->klen);
	PUBLISH(in->rest[i], s->rest);
}

static void inner_get(const struct inner *in, uint32_t i, struct sep *s)
{
	s->prefix = in->pfx[i];
	s->klen = in->klen[i];
	s->rest = in->rest[i];
}

/*
 * Put separator s and its right child r into the locked parent p, just
 * after child l; p has room. Readers may be in p: each slot is stored
 * whole, and they check p's version after.
 */
static void inner_insert(struct inner *p, const void *l, const struct sep *s,
			 void *r)
{
	uint32_t ci = 0, n = p->n;

	while (ci <= n && p->c[ci] != l)
		ci++;
	PMKV_ASSERT(ci <= n && n < INNER_CAP);
	for (uint32_t i = n; i > ci; i--) {
		struct sep m;

		inner_get(p, i - 1, &m);
		inner_set(p, i, &m);
		PUBLISH(p->c[i + 1], p->c[i]);
	}
	inner_set(p, ci, s);
	PUBLISH(p->c[ci + 1], r);
	STORE(p->n, n + 1);
}

/*
 * Where a node lies in its tree: on the path to the first leaf, to the
 * last, or both (the root). Splits at the edges of the tree keep leaves
 * full when keys come in ascending or descending order.
 */
#define EDGE_FIRST 1u
#define EDGE_LAST 2u

#define AGAIN 1			/* a writer moved what we read: start over */

/*
 * After node (level h) split into itself and r: s goes into the locked
 * parent p, just after node, or, when node was the root (p NULL), into
 * the new root above both, which top then names
 */
static void link_right(struct index *t, struct inner *p, struct inner *root,
		       void *node, const struct sep *s, void *r, int h)
{
	if (p) {
		inner_insert(p, node, s, r);
		return;
	}
	root->n = 1;
	inner_set(root, 0, s);
	root->c[0] = node;
	root->c[1] = r;
	top_set(t, root, h + 1);
}

/*
 * Split the full inner node in (level h, locked) under its locked parent p
 * (NULL: in is the root): the upper half moves to a new right sibling and
 * the middle separator up. -ENOMEM with nothing changed.
 */
static int split_inner(struct index *t, struct inner *p, struct inner *in,
		       int h)
{
	struct inner *r = node_alloc(t, h), *root = NULL;
	uint32_t half = INNER_CAP / 2, i;
	struct sep up;

	if (!r)
		return -ENOMEM;
	if (!p) {
		root = node_alloc(t, h + 1);
		if (!root) {
			node_free(t, r, h);
			return -ENOMEM;
		}
	}
	/* r is complete before a pointer to it is published */
	r->n = in->n - half - 1;
	for (i = 0; i < r->n; i++) {
		struct sep s;

		inner_get(in, half + 1 + i, &s);
		inner_set(r, i, &s);
	}
	for (i = 0; i <= r->n; i++)
		r->c[i] = in->c[half + 1 + i];
	inner_get(in, half, &up);
	STORE(in->n, half);
	link_right(t, p, root, in, &up, r, h);
	return 0;
}

static void leaf_insert_at(struct leaf *l, uint32_t pos, uint64_t prefix)
{
	memmove(&l->pfx[pos + 1], &l->pfx[pos], (l->n - pos) * sizeof(l->pfx[0]));
	memmove(&l->e[pos + 1], &l->e[pos], (l->n - pos) * sizeof(l->e[0]));
	l->pfx[pos] = prefix;
	memset(&l->e[pos], 0, sizeof(l->e[0]));
	STORE(l->n, l->n + 1);
}

/*
 * Split the full leaf l (locked) under its locked parent p (NULL: l is the
 * root) to make room for k, which it does not hold: the upper half moves
 * to a new right sibling. A key past the last of the whole index starts an
 * empty sibling instead, and a key before the first moves all of the
 * leaf's entries to the sibling: ascending and descending inserts then
 * leave full leaves behind, not half-full ones, as in SQLite's quick
 * balance. -ENOMEM with nothing changed.
 */
static int split_leaf(struct index *t, struct inner *p, struct leaf *l,
		      const struct key *k, unsigned edges)
{
	struct leaf *r;
	struct inner *root = NULL;
	const uint8_t *kp;
	uint32_t pos, half, klen;
	uint64_t sp;
	struct sep s;
	bool eq;

	if (p && p->n >= INNER_CAP)
		return -ENOMEM;	/* no memory to split it on the way down */
	pos = leaf_lower(t, l, k, &eq);
	PMKV_ASSERT(!eq);
	half = pos == l->n && (edges & EDGE_LAST) ? l->n :
	       pos == 0 && (edges & EDGE_FIRST) ? 0 : LEAF_CAP / 2;
	/* the separator: the sibling's first key, or k for an empty one */
	if (half == l->n) {
		kp = k->p;
		klen = k->len;
		sp = k->prefix;
	} else {
		const struct pmkv_record *rec =
			(const void *)(t->base + IE_OFF(&l->e[half]));

		kp = rec_key(rec);
		klen = rec->klen;
		sp = l->pfx[half];
	}
	/*
	 * When the prefixes already part the halves, the first 8 bytes are
	 * separator enough: a smaller prefix means a smaller key, and a key
	 * longer than 8 bytes is greater than its prefix. No copy of the rest.
	 */
	if (half > 0 && l->pfx[half - 1] < sp && klen > 8)
		klen = 8;
	r = node_alloc(t, 0);
	if (!p)
		root = node_alloc(t, 1);
	if (!r || (!p && !root) || !sep_set(t, &s, sp, kp, klen)) {
		if (r)
			node_free(t, r, 0);
		if (root)
			node_free(t, root, 1);
		return -ENOMEM;
	}
	r->n = l->n - half;
	memcpy(r->pfx, &l->pfx[half], r->n * sizeof(l->pfx[0]));
	memcpy(r->e, &l->e[half], r->n * sizeof(l->e[0]));
	r->next = l->next;
	PUBLISH(l->next, r);
	STORE(l->n, half);
	link_right(t, p, root, l, &s, r, 0);
	return 0;
}

/*
 * Lock node n (version v) under its parent p (version pv; NULL: n is the
 * root), parent first: false, with neither held, when either moved
 */
static bool lock_pair(void *p, uint64_t pv, void *n, uint64_t v)
{
	if (p && !ver_lock(p, pv))
		return false;
	if (!ver_lock(n, v)) {
		if (p)
			ver_unlock(p);
		return false;
	}
	return true;
}

/*
 * One try of index_lock(): 0 with the leaf locked, AGAIN, or -ENOMEM.
 * eager: split full inner nodes on the way down.
 */
static int try_lock(struct index *t, const struct key *k, bool room,
		    bool eager, struct ilock *lk)
{
	uintptr_t top = top_load(t);
	void *n = TOP_NODE(top);
	struct inner *p = NULL;
	int h = TOP_H(top), rc;
	unsigned edges = EDGE_FIRST | EDGE_LAST;
	uint64_t v, pv = 0;
	struct leaf *l;

	if (!n)
		return make_root(t) ? -ENOMEM : AGAIN;
	v = ver_read(n);
	if ((v & 1) || top_load(t) != top)
		return AGAIN;
	for (; h > 0; h--) {
		struct inner *in = n;
		uint32_t cnt = LOAD(in->n), ci;
		void *c;
		uint64_t cv;

		if (cnt > INNER_CAP)
			return AGAIN;
		if (room && eager && cnt == INNER_CAP) {
			if (!lock_pair(p, pv, in, v))
				return AGAIN;
			rc = split_inner(t, p, in, h);
			ver_unlock(in);
			if (p)
				ver_unlock(p);
			return rc ? rc : AGAIN;
		}
		ci = inner_child(in, cnt, k, false);
		c = __atomic_load_n(&in->c[ci], __ATOMIC_ACQUIRE);
		if (!c)
			return AGAIN;
		prefetch_node(c, h - 1);
		if (ci != 0)
			edges &= ~EDGE_FIRST;
		if (ci != cnt)
			edges &= ~EDGE_LAST;
		cv = ver_read(c);
		/* in still leads to c, and c was as read then */
		if ((cv & 1) || !ver_valid(in, v))
			return AGAIN;
		p = in;
		pv = v;
		n = c;
		v = cv;
	}
	l = n;
	if (room && LOAD(l->n) >= LEAF_CAP) {
		bool eq;

		if (!lock_pair(p, pv, l, v))
			return AGAIN;
		leaf_lower(t, l, k, &eq);
		if (eq) {
			/* an update: no room needed */
			if (p)
				ver_unlock(p);
			lk->leaf = l;
			return 0;
		}
		rc = split_leaf(t, p, l, k, edges);
		ver_unlock(l);
		if (p)
			ver_unlock(p);
		return rc ? rc : AGAIN;
	}
	if (!ver_lock(l, v))
		return AGAIN;
	lk->leaf = l;
	return 0;
}

int index_lock(struct index *t, const struct key *k, bool room,
	       struct ilock *lk)
{
	bool eager = true;
	int rc;

	lk->t = t;
	lk->leaf = NULL;
	index_racy_begin();
	for (;;) {
		rc = try_lock(t, k, room, eager, lk);
		if (rc == -ENOMEM && eager) {
			/* no memory to split ahead: try without */
			eager = false;
			continue;
		}
		if (rc != AGAIN)
			break;
		cpu_relax();
	}
	index_racy_end();
	return rc;
}

void index_unlock(struct ilock *lk)
{
	ver_unlock(lk->leaf);
	lk->leaf = NULL;
}

bool index_locked_held(const struct ilock *lk)
{
	return lk->leaf &&
	       (__atomic_load_n((const uint64_t *)lk->leaf, __ATOMIC_RELAXED) & 1);
}

struct ientry *index_locked_find(struct ilock *lk, const struct key *k)
{
	struct leaf *l = lk->leaf;
	uint32_t pos;
	bool eq;

	PMKV_ASSERT(index_locked_held(lk));
	pos = leaf_lower(lk->t, l, k, &eq);
	return eq ? &l->e[pos] : NULL;
}

bool index_locked_damaged(struct ilock *lk, const struct key *k)
{
	bool eq, bad;

	PMKV_ASSERT(index_locked_held(lk));
	leaf_lower_bad(lk->t, lk->leaf, k, &eq, &bad);
	return !eq && bad;
}

struct ientry *index_find_quiet(struct index *t, const struct key *k)
{
	struct ilock lk;
	struct ientry *e;

	if (index_lock(t, k, false, &lk))
		return NULL;
	e = index_locked_find(&lk, k);
	index_unlock(&lk);
	return e;
}

struct ientry *index_locked_upsert(struct ilock *lk, const struct key *k,
				   bool *created)
{
	struct leaf *l = lk->leaf;
	uint32_t pos;
	bool eq, bad;

	PMKV_ASSERT(index_locked_held(lk));
	pos = leaf_lower_bad(lk->t, l, k, &eq, &bad);
	*created = !eq;
	if (eq)
		return &l->e[pos];
	if (bad)
		return NULL;
	/* index_lock() with room made sure of it */
	PMKV_ASSERT(l->n < LEAF_CAP);
	leaf_insert_at(l, pos, k->prefix);
	return &l->e[pos];
}

void index_locked_remove(struct ilock *lk, const struct key *k)
{
	struct leaf *l = lk->leaf;
	uint32_t pos;
	bool eq;

	PMKV_ASSERT(index_locked_held(lk));
	pos = leaf_lower(lk->t, l, k, &eq);
	if (!eq)
		return;
	memmove(&l->pfx[pos], &l->pfx[pos + 1], (l->n - pos - 1) * sizeof(l->pfx[0]));
	memmove(&l->e[pos], &l->e[pos + 1], (l->n - pos - 1) * sizeof(l->e[0]));
	STORE(l->n, l->n - 1);
}

void index_locked_count(struct ilock *lk, int64_t d)
{
	unsigned s = (unsigned)(((uintptr_t)lk->leaf >> 10) % INDEX_STRIPES);

	__atomic_fetch_add(&lk->t->nkeys[s].v, d, __ATOMIC_RELAXED);
}

/* ---- lock-free reads ---- */

int index_find_racy(const struct index *t, const struct key *k,
		    struct ientry *out, struct iread *rd)
{
	uintptr_t top = top_load(t);
	const void *n = TOP_NODE(top);
	int h = TOP_H(top);
	const struct leaf *l;
	uint32_t cnt, i;
	uint64_t v;

	if (!n) {
		/* empty: the first insert moves top, as a leaf's version */
		rd->ver = (const uint64_t *)&t->top;
		rd->v = 0;
		return 0;
	}
	prefetch_node(n, h);
	v = ver_read(n);
	/* a root split since top was read leaves half the keys elsewhere */
	if ((v & 1) || top_load(t) != top)
		return RACY_BAD;
	for (; h > 0; h--) {
		const struct inner *in = n;
		const void *c;
		uint64_t cv;

		cnt = LOAD(in->n);
		if (cnt > INNER_CAP)
			return RACY_BAD;
		c = __atomic_load_n(&in->c[inner_child(in, cnt, k, false)],
				    __ATOMIC_ACQUIRE);
		if (!c)
			return RACY_BAD;	/* a slot not filled yet */
		prefetch_node(c, h - 1);
		cv = ver_read(c);
		if ((cv & 1) || !ver_valid(in, v))
			return RACY_BAD;
		n = c;
		v = cv;
	}
	l = n;
	rd->ver = &l->ver;
	rd->v = v;
	cnt = LOAD(l->n);
	if (cnt > LEAF_CAP)
		return RACY_BAD;
	for (i = pfx_lower(l->pfx, cnt, k->prefix);
	     i < cnt && LOAD(l->pfx[i]) == k->prefix; i++) {
		uint64_t off = LOAD(l->e[i].off);
		int c = cmp_record(t, k, off & ~(IE_TOMB | IE_HOLD));

		if (c == RACY_BAD)
			return RACY_BAD;
		if (c < 0)
			break;
		if (c == 0) {
			out->off = off;
			out->count = LOAD(l->e[i].count);
			out->seg = LOAD(l->e[i].seg);
			return 1;
		}
	}
	return miss_beside_damage(t, l->pfx, l->e, cnt, i, k->prefix) ?
	       INDEX_DAMAGED : 0;
}

/* separator i of in, as a key, into buf (PMKV_KEY_MAX bytes); its length */
static uint32_t sep_copy(const struct inner *in, uint32_t i, uint8_t *buf)
{
	const struct sep_rest *rest = __atomic_load_n(&in->rest[i],
						      __ATOMIC_ACQUIRE);
	uint64_t p = LOAD(in->pfx[i]);
	uint32_t len = rest ? 8 + rest->len : LOAD(in->klen[i]);

	if (len > PMKV_KEY_MAX)
		len = PMKV_KEY_MAX;	/* torn: the version check throws it away */
	for (uint32_t b = 0; b < 8 && b < len; b++)
		buf[b] = (uint8_t)(p >> (56 - 8 * b));
	if (rest && len > 8)
		memcpy(buf + 8, rest->b, len - 8);
	return len;
}

/* copy leaf l, whose version read v, into s; false when it moved meanwhile */
static bool leaf_copy(const struct leaf *l, uint64_t v, struct isnap *s)
{
	uint32_t n = LOAD(l->n);

	if (n > LEAF_CAP)
		return false;
	s->leaf = l;
	s->v = v;
	s->n = n;
	s->next = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE);
	memcpy(s->pfx, l->pfx, n * sizeof(s->pfx[0]));
	memcpy(s->e, l->e, n * sizeof(s->e[0]));
	return ver_valid(l, v);
}

static int snap_try(const struct index *t, const struct key *k, bool strict,
		    bool below, struct isnap *s)
{
	uintptr_t top = top_load(t);
	const void *n = TOP_NODE(top);
	int h = TOP_H(top);
	uint64_t v;
	bool eq, bad = false;

	s->has_fence = false;
	s->fence_len = 0;
	if (!n) {
		/* empty: the first insert moves top, as a leaf's version */
		s->leaf = &t->top;
		s->v = 0;
		s->n = s->pos = 0;
		s->next = NULL;
		return 0;
	}
	v = ver_read(n);
	if ((v & 1) || top_load(t) != top)
		return RACY_BAD;
	for (; h > 0; h--) {
		const struct inner *in = n;
		uint32_t cnt = LOAD(in->n), ci;
		const void *c;
		uint64_t cv;

		if (cnt > INNER_CAP)
			return RACY_BAD;
		ci = k ? inner_child(in, cnt, k, below) : below ? cnt : 0;
		c = __atomic_load_n(&in->c[ci], __ATOMIC_ACQUIRE);
		if (!c)
			return RACY_BAD;
		prefetch_node(c, h - 1);
		if (ci > 0) {
			/* the deepest separator left of the path bounds the leaf */
			s->fence_len = sep_copy(in, ci - 1, s->fence);
			s->has_fence = true;
		}
		cv = ver_read(c);
		if ((cv & 1) || !ver_valid(in, v))
			return RACY_BAD;
		n = c;
		v = cv;
	}
	if ((v & 1) || !leaf_copy(n, v, s))
		return RACY_BAD;
	if (!k) {
		s->pos = below ? s->n : 0;
		return 0;
	}
	s->pos = entries_lower(t, s->pfx, s->e, s->n, k, strict, &eq, &bad);
	if (!isnap_valid(s))
		return RACY_BAD;
	/* consistent, and still a key that cannot be read: damage */
	return bad ? INDEX_DAMAGED : 0;
}

int index_snap(const struct index *t, const struct key *k, bool strict,
	       bool below, struct isnap *s)
{
	int rc;

	index_racy_begin();
	for (unsigned i = 0; (rc = snap_try(t, k, strict, below, s)) == RACY_BAD;
	     i++)
		backoff(i);
	index_racy_end();
	return rc;
}

uint32_t index_leaf_hint(const void *leaf, uint64_t *offs, uint32_t max)
{
	const struct leaf *l = leaf;
	uint32_t n;

	index_racy_begin();
	n = LOAD(l->n);
	if (n > max)
		n = max;
	for (uint32_t i = 0; i < n; i++)
		offs[i] = LOAD(l->e[i].off) & ~(IE_TOMB | IE_HOLD);
	index_racy_end();
	return n;
}

int index_snap_next(const struct index *t, struct isnap *s)
{
	const struct leaf *l = s->next;

	(void)t;
	index_racy_begin();
	for (unsigned i = 0;; i++) {
		uint64_t v = ver_read(l);

		if (!(v & 1) && leaf_copy(l, v, s))
			break;
		backoff(i);
	}
	s->pos = 0;
	s->has_fence = false;
	index_racy_end();
	return 0;
}

int index_snap_cmp(const struct index *t, const struct isnap *s, uint32_t i,
	      const struct key *k)
{
	int c;

	if (s->pfx[i] != k->prefix)
		return s->pfx[i] < k->prefix ? -1 : 1;
	c = cmp_record(t, k, IE_OFF(&s->e[i]));
	return c == RACY_BAD ? RACY_BAD : -c;
}

/* ---- bulk load and walk ---- */

/*
 * Build the index from n entries sorted by key, bottom up: recovery sorts
 * what it read instead of inserting at random, which turns a miss per key
 * into sequential writes. Nodes are filled to 3/4 so the first inserts
 * after open do not split every leaf.
 */
#define LOAD_FILL (LEAF_CAP * 3 / 4)

/*
 * The leaf level: nodes[i] gets entries [i * LOAD_FILL, ...) and first[i]
 * the index of its first, which the level above takes its separator from.
 * Leaves are linked as they are made; on -ENOMEM, nodes[] holds those
 * made so far, for the caller to free.
 */
static int load_leaves(struct index *t, size_t n, const uint64_t *pfx,
		       const struct ientry *ents, void **nodes, size_t *first,
		       size_t nnodes, int64_t *live)
{
	struct leaf *prev = NULL;

	for (size_t i = 0; i < nnodes; i++) {
		size_t lo = i * LOAD_FILL;
		size_t cnt = n - lo < LOAD_FILL ? n - lo : LOAD_FILL;
		struct leaf *l = node_alloc(t, 0);

		if (!l)
			return -ENOMEM;
		l->n = (uint32_t)cnt;
		memcpy(l->pfx, &pfx[lo], cnt * sizeof(pfx[0]));
		memcpy(l->e, &ents[lo], cnt * sizeof(ents[0]));
		for (size_t j = 0; j < cnt; j++)
			*live += IE_LIVE(ents[lo + j].off);
		if (prev)
			prev->next = l;
		prev = l;
		nodes[i] = l;
		first[i] = lo;
	}
	return 0;
}

/*
 * Separator c - 1 of in: the key of entry f, the first under child c.
 * -ENOMEM when the copy of a long key's bytes cannot be made, -EINVAL
 * when the record to copy it from is damaged (verify_keys).
 */
static int load_sep(struct index *t, struct inner *in, size_t c,
		    const uint64_t *pfx, const struct ientry *ents, size_t f)
{
	const struct pmkv_record *r;
	struct sep s;

	/*
	 * When the prefix parts the child from its left neighbour and its
	 * last byte is not 0 (so the key is 8 bytes or longer), the prefix
	 * alone is the separator, as in split_leaf(): the record is not read.
	 * Opening a pool then touches no page of the log for most separators.
	 */
	if (pfx[f - 1] < pfx[f] && (pfx[f] & 0xff)) {
		sep_set(t, &s, pfx[f], NULL, 8);
		inner_set(in, (uint32_t)c - 1, &s);
		return 0;
	}
	/* keys from a checkpoint: read only once checked */
	if (t->verify_keys && !rec_intact(t, IE_OFF(&ents[f])))
		return -EINVAL;
	r = (const void *)(t->base + IE_OFF(&ents[f]));
	if (!sep_set(t, &s, pfx[f], rec_key(r), r->klen))
		return -ENOMEM;
	inner_set(in, (uint32_t)c - 1, &s);
	return 0;
}

/*
 * Free an inner node being loaded, and its first nsep separators, but not
 * its children: those belong to the level below, which the caller frees.
 */
static void load_drop(struct index *t, struct inner *in, uint32_t nsep)
{
	for (uint32_t j = 0; j < nsep; j++)
		rest_free(t, in->rest[j]);
	node_free(t, in, 1);
}

/*
 * An inner node over the cnt nodes from nodes[lo], whose first entries
 * first[] names; NULL (*rc says why, as load_sep()) with its separators
 * freed.
 */
static struct inner *load_inner(struct index *t, void *const *nodes,
				const size_t *first, size_t lo, size_t cnt,
				const uint64_t *pfx, const struct ientry *ents,
				int *rc)
{
	struct inner *in = node_alloc(t, 1);

	*rc = -ENOMEM;
	if (!in)
		return NULL;
	for (size_t c = 0; c < cnt; c++) {
		in->c[c] = nodes[lo + c];
		if (!c)
			continue;
		*rc = load_sep(t, in, c, pfx, ents, first[lo + c]);
		if (*rc) {
			load_drop(t, in, (uint32_t)c - 1);
			return NULL;
		}
	}
	in->n = (uint32_t)cnt - 1;
	return in;
}

/*
 * The nup nodes of the level above nodes[0, level_n), LOAD_FILL + 1
 * children each, into *upp and the first entry of each into *upfirstp.
 * On an error (load_sep()'s) the level below is still the caller's to
 * free.
 */
static int load_level(struct index *t, void *const *nodes,
		      const size_t *first, size_t level_n, size_t nup,
		      const uint64_t *pfx, const struct ientry *ents,
		      void ***upp, size_t **upfirstp)
{
	void **up = calloc(nup, sizeof(*up));
	size_t *upfirst = calloc(nup, sizeof(*upfirst));
	int rc = -ENOMEM;

	if (!up || !upfirst)
		goto err;
	for (size_t i = 0; i < nup; i++) {
		size_t lo = i * (LOAD_FILL + 1);
		size_t cnt = level_n - lo < LOAD_FILL + 1 ? level_n - lo :
							     LOAD_FILL + 1;

		up[i] = load_inner(t, nodes, first, lo, cnt, pfx, ents, &rc);
		if (!up[i])
			goto err;
		upfirst[i] = first[lo];
	}
	*upp = up;
	*upfirstp = upfirst;
	return 0;
err:
	/* the nodes of this level made so far, not what hangs below them */
	for (size_t i = 0; up && i < nup && up[i]; i++)
		load_drop(t, up[i], ((struct inner *)up[i])->n);
	free(up);
	free(upfirst);
	return rc;
}

int index_load(struct index *t, size_t n, const uint64_t *pfx,
	       const struct ientry *ents)
{
	size_t nnodes = (n + LOAD_FILL - 1) / LOAD_FILL, level_n, i;
	void **nodes = NULL, **up;
	size_t *first = NULL, *upfirst;
	int64_t live = 0;
	int h = 0, rc;

	if (t->top || n == 0)
		return t->top ? -EEXIST : 0;
	nodes = calloc(nnodes, sizeof(*nodes));
	first = calloc(nnodes, sizeof(*first));
	if (!nodes || !first)
		goto err;
	if (load_leaves(t, n, pfx, ents, nodes, first, nnodes, &live))
		goto err;
	level_n = nnodes;
	while (level_n > 1) {
		size_t nup = (level_n + LOAD_FILL) / (LOAD_FILL + 1);

		rc = load_level(t, nodes, first, level_n, nup, pfx, ents, &up,
				&upfirst);
		if (rc)
			goto err_tree;
		/* the level below hangs from up[] now */
		free(nodes);
		free(first);
		nodes = up;
		first = upfirst;
		level_n = nup;
		h++;
	}
	top_set(t, nodes[0], h);
	t->nkeys[0].v += live;
	free(nodes);
	free(first);
	return 0;

err_tree:
	/*
	 * Out of memory or a damaged key half way: free what was built.
	 * Nodes of the current level own everything below them.
	 */
	for (i = 0; i < level_n; i++)
		free_tree(t, nodes[i], h);
	free(nodes);
	free(first);
	return rc;
err:
	for (i = 0; nodes && i < nnodes; i++)
		if (nodes[i])
			node_free(t, nodes[i], 0);
	free(nodes);
	free(first);
	return -ENOMEM;
}

int index_walk(struct index *t,
	       int (*fn)(void *arg, uint64_t pfx, const struct ientry *e),
	       void *arg)
{
	uintptr_t top = t->top;
	void *n = TOP_NODE(top);
	int rc;

	for (int h = TOP_H(top); n && h > 0; h--)
		n = ((struct inner *)n)->c[0];
	for (struct leaf *l = n; l; l = l->next)
		for (uint32_t i = 0; i < l->n; i++) {
			rc = fn(arg, l->pfx[i], &l->e[i]);
			if (rc)
				return rc;
		}
	return 0;
}

static void shape_of(const void *node, int h, struct index_shape *out)
{
	const struct inner *in = node;

	if (h == 0) {
		out->leaves++;
		out->entries += ((const struct leaf *)node)->n;
		return;
	}
	out->inners++;
	for (uint32_t i = 0; i <= in->n; i++)
		shape_of(in->c[i], h - 1, out);
}

void index_shape(struct index *t, struct index_shape *out)
{
	uintptr_t top = t->top;

	memset(out, 0, sizeof(*out));
	out->height = TOP_H(top);
	if (TOP_NODE(top))
		shape_of(TOP_NODE(top), TOP_H(top), out);
}
