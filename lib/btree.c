// SPDX-License-Identifier: BSD-3-Clause
/*
 * btree.c -- one shard's ordered map: a B+tree in DRAM
 *
 * Leaves hold struct ientry; keys themselves stay in the records on media
 * and are read only when two 8-byte prefixes tie. Inner nodes hold
 * separators as prefix + a DRAM copy of the bytes after the first 8, so a
 * separator never depends on a record that may move or be reclaimed.
 *
 * Deletes do not rebalance: a leaf may become sparse or empty and stays
 * linked; lookups and cursors handle empty leaves. Callers serialise
 * writers with the shard's lock (shard.h).
 *
 * btree_find_racy() reads without that lock while a writer may be
 * changing the tree (design.md section 7). What makes that safe to do:
 *   - nodes are freed only when the tree is destroyed, and a node's level
 *     never changes, so a child pointer read from a node of level h is
 *     NULL or a node of level h - 1;
 *   - the root and the height are one word (top);
 *   - pointers are stored whole (atomic stores), new nodes and separator
 *     bytes are complete before a pointer to them is stored (release);
 *   - a separator's bytes carry their own length, so a length and a
 *     buffer read from two different separators cannot meet;
 *   - every count, offset and length read is bounded before it is used.
 * What such a read returns may still be torn or stale: the caller checks
 * the shard's sequence counter before it trusts it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "btree.h"
#include "cacheline.h"
#include "invariant.h"
#include "layout.h"
#include "libpmkv.h"
#include "record.h"

/*
 * Node layouts keep the 8-byte prefixes in one array at the start of the
 * node: a search touches those four cache lines, fetched together, and
 * then one entry. 32 per node keeps a 1M-key tree three levels deep.
 */
#define LEAF_CAP BTREE_LEAF_CAP
#define INNER_CAP 32
#define MAX_HEIGHT 16

struct leaf {
	uint64_t pfx[LEAF_CAP];
	uint32_t n;
	struct leaf *next;
	struct ientry e[LEAF_CAP];
};

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
	uint64_t pfx[INNER_CAP];
	uint32_t n;		/* separators; children = n + 1 */
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

static void set_top(struct btree *t)
{
	PUBLISH(t->top, (uintptr_t)t->root | (uintptr_t)t->height);
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

/* key vs the key of a leaf entry whose prefix equals k's */
static int cmp_full(const struct btree *t, const struct key *k,
		    const struct ientry *e)
{
	const struct pmkv_record *r =
		(const struct pmkv_record *)(t->base + IE_OFF(e));

	/*
	 * A get reads the rest of the record next: ask for its first lines
	 * together rather than one after the other.
	 */
	__builtin_prefetch((const char *)r + CACHELINE);
	__builtin_prefetch((const char *)r + 2 * CACHELINE);
	return key_cmp_bytes(k->p, k->len, rec_key(r), r->klen);
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

/* first position whose entry is >= k; *eq when it is equal */
static uint32_t leaf_lower(const struct btree *t, const struct leaf *l,
			   const struct key *k, bool *eq)
{
	uint32_t i = pfx_lower(l->pfx, l->n, k->prefix);

	*eq = false;
	/* keys sharing the prefix: compare whole keys, in order */
	for (; i < l->n && l->pfx[i] == k->prefix; i++) {
		int c = cmp_full(t, k, &l->e[i]);

		if (c <= 0) {
			*eq = c == 0;
			return i;
		}
	}
	return i;
}

/* inner_child() from separator i on, whose prefix equals k's */
static __attribute__((noinline)) uint32_t
inner_child_tied(const struct inner *in, uint32_t n, const struct key *k,
		 uint32_t i)
{
	for (; i < n && LOAD(in->pfx[i]) == k->prefix; i++)
		if (cmp_sep_full(k, in, i) < 0)
			return i;
	return i;
}

/*
 * The child that may hold k among n separators: the first one > k. Every
 * descent calls it at each level: the common case, prefixes that differ,
 * stays inline.
 */
static inline uint32_t inner_child(const struct inner *in, uint32_t n,
				   const struct key *k)
{
	uint32_t i = pfx_lower(in->pfx, n, k->prefix);

	if (i < n && LOAD(in->pfx[i]) == k->prefix)
		return inner_child_tied(in, n, k, i);
	return i;
}

void btree_init(struct btree *t, const uint8_t *base, struct arena *mem)
{
	memset(t, 0, sizeof(*t));
	t->base = base;
	t->mem = mem;
}

static void *node_alloc(struct btree *t, int h)
{
	return arena_alloc(t->mem, h > 0 ? sizeof(struct inner) :
					   sizeof(struct leaf));
}

static void free_node(struct btree *t, void *node, int h)
{
	struct inner *in = node;

	if (!node)
		return;
	if (h > 0) {
		for (uint32_t i = 0; i <= in->n; i++)
			free_node(t, in->c[i], h - 1);
		for (uint32_t i = 0; i < in->n; i++) {
			if (in->rest[i])
				t->bytes -= sizeof(struct sep_rest) +
					    in->rest[i]->len;
			free(in->rest[i]);
		}
	}
	arena_free(t->mem, node, h > 0 ? sizeof(struct inner) :
					  sizeof(struct leaf));
}

struct spares;
static void spares_free(struct btree *t, struct spares *s);

void btree_destroy(struct btree *t)
{
	spares_free(t, t->spares);
	t->spares = NULL;
	free_node(t, t->root, t->height);
	t->root = NULL;
	t->height = 0;
	set_top(t);
	t->bytes = 0;
}

static struct leaf *find_leaf(const struct btree *t, const struct key *k)
{
	void *n = t->root;

	prefetch_node(n, t->height);
	for (int h = t->height; h > 0; h--) {
		struct inner *in = n;

		n = in->c[k ? inner_child(in, in->n, k) : 0];
		prefetch_node(n, h - 1);
	}
	return n;
}

struct ientry *btree_find(struct btree *t, const struct key *k)
{
	struct leaf *l = t->root ? find_leaf(t, k) : NULL;
	uint32_t pos;
	bool eq;

	if (!l)
		return NULL;
	pos = leaf_lower(t, l, k, &eq);
	return eq ? &l->e[pos] : NULL;
}

/*
 * k vs the key of the record at off, for a reader without the lock: off
 * may be stale or torn, so the record is bounded by the pool before its
 * key is read. -1, 0 or 1; RACY_BAD when no record can be there.
 */
static int cmp_record_racy(const struct btree *t, const struct key *k,
			   uint64_t off)
{
	const struct pmkv_record *r;
	uint32_t klen;
	int c;

	if (off % PMKV_REC_ALIGN || off < sizeof(*r) ||
	    off > t->limit - sizeof(*r))
		return RACY_BAD;
	r = (const struct pmkv_record *)(t->base + off);
	__builtin_prefetch((const char *)r + CACHELINE);
	__builtin_prefetch((const char *)r + 2 * CACHELINE);
	klen = LOAD(r->klen);
	if (klen > PMKV_KEY_MAX || klen > t->limit - off - sizeof(*r))
		return RACY_BAD;
	c = key_cmp_bytes(k->p, k->len, rec_key(r), klen);
	return (c > 0) - (c < 0);	/* memcmp() may say RACY_BAD itself */
}

int btree_find_racy(const struct btree *t, const struct key *k,
		    struct ientry *out)
{
	uintptr_t top = __atomic_load_n(&t->top, __ATOMIC_ACQUIRE);
	const void *n = (const void *)(top & ~(uintptr_t)TOP_HEIGHT);
	int h = (int)(top & TOP_HEIGHT);
	const struct leaf *l;
	uint32_t cnt, i;

	if (!n)
		return 0;
	prefetch_node(n, h);
	for (; h > 0; h--) {
		const struct inner *in = n;

		cnt = LOAD(in->n);
		if (cnt > INNER_CAP)
			return RACY_BAD;
		n = __atomic_load_n(&in->c[inner_child(in, cnt, k)],
				    __ATOMIC_ACQUIRE);
		if (!n)
			return RACY_BAD;	/* a slot not filled yet */
		prefetch_node(n, h - 1);
	}
	l = n;
	cnt = LOAD(l->n);
	if (cnt > LEAF_CAP)
		return RACY_BAD;
	for (i = pfx_lower(l->pfx, cnt, k->prefix);
	     i < cnt && LOAD(l->pfx[i]) == k->prefix; i++) {
		uint64_t off = LOAD(l->e[i].off);
		int c = cmp_record_racy(t, k, off & ~IE_TOMB);

		if (c == RACY_BAD)
			return RACY_BAD;
		if (c < 0)
			return 0;
		if (c == 0) {
			out->off = off;
			out->count = LOAD(l->e[i].count);
			out->seg = LOAD(l->e[i].seg);
			return 1;
		}
	}
	return 0;
}

/*
 * Nodes an insert may need are allocated before the tree changes, so an
 * allocation failure leaves the tree as it was. Unused ones stay for the
 * next insert.
 */
struct spares {
	struct leaf *leaf;
	struct inner *inner[MAX_HEIGHT + 1];
	int ninner;
	struct sep_rest *rest;	/* room for the longest key's separator bytes */
};

/* a separator for key bytes kp; exact-size copy, or the spare buffer */
/*
 * false when the bytes after the first 8 need a copy and there is neither
 * memory nor a spare for it: out->rest is then NULL and nothing counted
 */
static bool sep_set(struct btree *t, struct spares *spr, struct sep *out,
		    uint64_t prefix, const uint8_t *kp, uint32_t klen)
{
	out->prefix = prefix;
	out->klen = klen;
	out->rest = NULL;
	if (klen <= 8)
		return true;
	out->rest = malloc(sizeof(*out->rest) + klen - 8);
	if (!out->rest) {
		out->rest = spr->rest;
		spr->rest = NULL;
		if (!out->rest)
			return false;
	}
	out->rest->len = klen - 8;
	memcpy(out->rest->b, kp + 8, klen - 8);
	t->bytes += sizeof(*out->rest) + klen - 8;
	return true;
}

struct split {
	struct sep sep;
	void *right;
};

static void leaf_insert_at(struct leaf *l, uint32_t pos, uint64_t prefix)
{
	memmove(&l->pfx[pos + 1], &l->pfx[pos], (l->n - pos) * sizeof(l->pfx[0]));
	memmove(&l->e[pos + 1], &l->e[pos], (l->n - pos) * sizeof(l->e[0]));
	l->pfx[pos] = prefix;
	memset(&l->e[pos], 0, sizeof(l->e[0]));
	l->n++;
}

/*
 * Where a node lies in its tree: on the path to the first leaf, to the
 * last, or both (the root). Splits at the edges of the tree keep nodes full.
 */
#define EDGE_FIRST 1u
#define EDGE_LAST 2u

static struct ientry *leaf_ins(struct btree *t, struct leaf *l,
			       unsigned edges, const struct key *k,
			       bool *created, struct split *sp,
			       struct spares *spr)
{
	struct leaf *r, *dst;
	uint32_t pos, half, p;
	bool eq, append;

	pos = leaf_lower(t, l, k, &eq);
	if (eq) {
		*created = false;
		return &l->e[pos];
	}
	*created = true;
	if (l->n < LEAF_CAP) {
		leaf_insert_at(l, pos, k->prefix);
		return &l->e[pos];
	}
	/*
	 * split: the upper half moves to a new right sibling. A key past the
	 * last of the whole tree starts an empty sibling instead, and a key
	 * before the first moves all of the leaf's entries to the sibling and
	 * stays alone: ascending and descending inserts then leave full leaves
	 * behind, not half-full ones, as in SQLite's quick balance.
	 */
	append = pos == l->n && (edges & EDGE_LAST);
	r = spr->leaf;
	spr->leaf = NULL;
	memset(r, 0, sizeof(*r));
	half = append ? l->n :
	       pos == 0 && (edges & EDGE_FIRST) ? 0 : LEAF_CAP / 2;
	r->n = l->n - half;
	memcpy(r->pfx, &l->pfx[half], r->n * sizeof(l->pfx[0]));
	memcpy(r->e, &l->e[half], r->n * sizeof(l->e[0]));
	l->n = half;
	r->next = l->next;
	l->next = r;
	sp->right = r;
	dst = pos < half || (pos == half && !append) ? l : r;
	p = dst == l ? pos : pos - half;
	leaf_insert_at(dst, p, k->prefix);
	/*
	 * The separator is r's first key. When that is the new key its record
	 * is not written yet: k names it.
	 */
	{
		const struct pmkv_record *rec = NULL;
		const uint8_t *kp;
		uint32_t klen;
		bool ok;

		if (dst == r && p == 0) {
			kp = k->p;
			klen = k->len;
		} else {
			rec = (const void *)(t->base + IE_OFF(&r->e[0]));
			kp = rec_key(rec);
			klen = rec->klen;
		}
		/*
		 * When the prefixes already part the halves, the first 8
		 * bytes are separator enough: a smaller prefix means a smaller
		 * key. No copy of the rest, no allocation.
		 */
		if (l->pfx[l->n - 1] < r->pfx[0] && klen > 8)
			klen = 8;
		/* the spare was allocated up front for exactly this */
		ok = sep_set(t, spr, &sp->sep, r->pfx[0], kp, klen);
		PMKV_ASSERT(ok);
		(void)ok;
	}
	return &dst->e[p];
}

static void inner_set(struct inner *in, uint32_t i, const struct sep *s)
{
	STORE(in->pfx[i], s->prefix);
	STORE(in->klen[i], s->klen);
	PUBLISH(in->rest[i], s->rest);
}

/* children [0, n) from cs; a reader may be following them */
static void set_children(struct inner *in, void *const *cs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		PUBLISH(in->c[i], cs[i]);
}

static void inner_get(const struct inner *in, uint32_t i, struct sep *s)
{
	s->prefix = in->pfx[i];
	s->klen = in->klen[i];
	s->rest = in->rest[i];
}

static struct ientry *ins(struct btree *t, void *node, int h,
			  unsigned edges, const struct key *k, bool *created,
			  struct split *sp, struct spares *spr)
{
	struct inner *in = node, *r;
	struct split csp = { 0 };
	struct sep ks[INNER_CAP + 1];
	void *cs[INNER_CAP + 2];
	struct ientry *e;
	uint32_t ci, half, i, j;

	if (h == 0)
		return leaf_ins(t, node, edges, k, created, sp, spr);
	ci = inner_child(in, in->n, k);
	prefetch_node(in->c[ci], h - 1);
	e = ins(t, in->c[ci], h - 1,
		(ci == 0 ? edges & EDGE_FIRST : 0) |
		(ci == in->n ? edges & EDGE_LAST : 0), k, created, &csp, spr);
	if (!csp.right)
		return e;
	/* separators and children with the new pair at ci, ci + 1 */
	for (i = 0, j = 0; i <= in->n; i++) {
		if (i == ci)
			ks[j++] = csp.sep;
		if (i < in->n)
			inner_get(in, i, &ks[j++]);
	}
	for (i = 0, j = 0; i <= in->n; i++) {
		cs[j++] = in->c[i];
		if (i == ci)
			cs[j++] = csp.right;
	}
	if (in->n < INNER_CAP) {
		in->n++;
		for (i = 0; i < in->n; i++)
			inner_set(in, i, &ks[i]);
		set_children(in, cs, in->n + 1);
		return e;
	}
	/*
	 * full: ks[half] moves up, the upper half to a new right sibling.
	 * When the last child of the last node split, the new pair's
	 * separator moves up and the sibling starts with its one child; when
	 * the first child of the first node split, this node keeps the new
	 * pair and the sibling takes the rest: for the same reason as in
	 * leaf_ins().
	 */
	r = spr->inner[--spr->ninner];
	memset(r, 0, sizeof(*r));
	half = (edges & EDGE_LAST) && ci == INNER_CAP ? INNER_CAP :
	       (edges & EDGE_FIRST) && ci == 0 ? 1 : (INNER_CAP + 1) / 2;
	/* r is complete before in can lead a reader to it */
	r->n = INNER_CAP - half;
	for (i = 0; i < r->n; i++)
		inner_set(r, i, &ks[half + 1 + i]);
	set_children(r, &cs[half + 1], r->n + 1);
	in->n = half;
	for (i = 0; i < half; i++)
		inner_set(in, i, &ks[i]);
	set_children(in, cs, half + 1);
	sp->sep = ks[half];
	sp->right = r;
	return e;
}

static void spares_free(struct btree *t, struct spares *s)
{
	if (!s)
		return;
	if (s->leaf)
		arena_free(t->mem, s->leaf, sizeof(struct leaf));
	for (int i = 0; i < s->ninner; i++)
		arena_free(t->mem, s->inner[i], sizeof(struct inner));
	free(s->rest);
	free(s);
}

/* top the tree's spares up to what the worst-case insert needs */
static struct spares *spares_get(struct btree *t)
{
	struct spares *s = t->spares;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		t->spares = s;
	}
	if (t->height >= MAX_HEIGHT)
		return NULL;
	if (!s->leaf) {
		s->leaf = node_alloc(t, 0);
		if (!s->leaf)
			return NULL;
	}
	/* one inner per level that may split, plus a new root */
	while (s->ninner < t->height + 1) {
		s->inner[s->ninner] = node_alloc(t, 1);
		if (!s->inner[s->ninner])
			return NULL;
		s->ninner++;
	}
	if (!s->rest) {
		s->rest = malloc(sizeof(*s->rest) + PMKV_KEY_MAX);
		if (!s->rest)
			return NULL;
	}
	return s;
}

struct ientry *btree_upsert(struct btree *t, const struct key *k,
			    bool *created)
{
	struct split sp = { 0 };
	struct spares *spr;
	struct ientry *e;

	if (!t->root) {
		struct leaf *l = node_alloc(t, 0);

		if (!l)
			return NULL;
		memset(l, 0, sizeof(*l));
		t->root = l;
		t->height = 0;
		set_top(t);
	}
	/*
	 * Spares are topped up first (usually nothing to do) so the insert
	 * searches once; without memory, an existing key can still be found.
	 */
	spr = spares_get(t);
	if (!spr) {
		e = btree_find(t, k);
		*created = false;
		return e;
	}
	prefetch_node(t->root, t->height);
	e = ins(t, t->root, t->height, EDGE_FIRST | EDGE_LAST, k, created, &sp,
		spr);
	if (!*created)
		return e;
	t->mods++;
	if (sp.right) {
		struct inner *root = spr->inner[--spr->ninner];

		memset(root, 0, sizeof(*root));
		root->n = 1;
		inner_set(root, 0, &sp.sep);
		root->c[0] = t->root;
		root->c[1] = sp.right;
		t->root = root;
		t->height++;
		set_top(t);
	}
	return e;
}

void btree_remove(struct btree *t, const struct key *k)
{
	struct leaf *l = t->root ? find_leaf(t, k) : NULL;
	uint32_t pos;
	bool eq;

	if (!l)
		return;
	pos = leaf_lower(t, l, k, &eq);
	if (!eq)
		return;
	t->mods++;
	memmove(&l->pfx[pos], &l->pfx[pos + 1], (l->n - pos - 1) * sizeof(l->pfx[0]));
	memmove(&l->e[pos], &l->e[pos + 1], (l->n - pos - 1) * sizeof(l->e[0]));
	l->n--;
}

void *btree_leaf_of(struct btree *t, const struct key *k)
{
	return t->root ? find_leaf(t, k) : NULL;
}

void btree_seek_in(struct btree *t, void *leaf, const struct key *k,
		   bool strict, struct bt_cursor *c)
{
	struct leaf *l = leaf;
	bool eq = false;

	c->leaf = l;
	c->pos = 0;
	if (!l || !k)
		return;
	c->pos = (int)leaf_lower(t, l, k, &eq);
	if (eq && strict)
		c->pos++;
}

void btree_seek(struct btree *t, const struct key *k, bool strict,
		struct bt_cursor *c)
{
	btree_seek_in(t, btree_leaf_of(t, k), k, strict, c);
}

struct ientry *btree_cur(struct bt_cursor *c)
{
	struct leaf *l = c->leaf;

	while (l && (uint32_t)c->pos >= l->n) {
		l = l->next;
		c->leaf = l;
		c->pos = 0;
	}
	return l ? &l->e[c->pos] : NULL;
}

uint64_t btree_cur_prefix(const struct bt_cursor *c)
{
	const struct leaf *l = c->leaf;

	return l->pfx[c->pos];
}

void btree_next(struct bt_cursor *c)
{
	c->pos++;
}

/*
 * Build the tree of an empty shard from n entries sorted by key, bottom
 * up: recovery sorts what it read instead of inserting at random, which
 * turns a miss per key into sequential writes. Nodes are filled to 3/4 so
 * the first inserts after open do not split every leaf.
 */
#define LOAD_FILL (LEAF_CAP * 3 / 4)

/*
 * The leaf level: nodes[i] gets entries [i * LOAD_FILL, ...) and first[i]
 * the index of its first, which the level above takes its separator from.
 * Leaves are linked as they are made; on -ENOMEM, nodes[] holds those
 * made so far, for the caller to free.
 */
static int load_leaves(struct btree *t, size_t n, const uint64_t *pfx,
		       const struct ientry *ents, void **nodes, size_t *first,
		       size_t nnodes)
{
	struct leaf *prev = NULL;

	for (size_t i = 0; i < nnodes; i++) {
		size_t lo = i * LOAD_FILL;
		size_t cnt = n - lo < LOAD_FILL ? n - lo : LOAD_FILL;
		struct leaf *l = node_alloc(t, 0);

		if (!l)
			return -ENOMEM;
		memset(l, 0, sizeof(*l));
		l->n = (uint32_t)cnt;
		memcpy(l->pfx, &pfx[lo], cnt * sizeof(pfx[0]));
		memcpy(l->e, &ents[lo], cnt * sizeof(ents[0]));
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
 * -ENOMEM when the copy of a long key's bytes cannot be made.
 */
static int load_sep(struct btree *t, struct inner *in, size_t c,
		    const uint64_t *pfx, const struct ientry *ents, size_t f)
{
	struct spares none = { 0 };
	const struct pmkv_record *r;
	struct sep s;

	/*
	 * When the prefix parts the child from its left neighbour and its
	 * last byte is not 0 (so the key is 8 bytes or longer), the prefix
	 * alone is the separator, as in leaf_ins(): the record is not read.
	 * Opening a pool then touches no page of the log for most separators.
	 */
	if (pfx[f - 1] < pfx[f] && (pfx[f] & 0xff)) {
		sep_set(t, &none, &s, pfx[f], NULL, 8);
		inner_set(in, (uint32_t)c - 1, &s);
		return 0;
	}
	r = (const void *)(t->base + IE_OFF(&ents[f]));
	if (!sep_set(t, &none, &s, pfx[f], rec_key(r), r->klen))
		return -ENOMEM;
	inner_set(in, (uint32_t)c - 1, &s);
	return 0;
}

/*
 * Free an inner node being loaded, and its first nsep separators, but not
 * its children: those belong to the level below, which the caller frees.
 */
static void load_drop(struct btree *t, struct inner *in, uint32_t nsep)
{
	for (uint32_t j = 0; j < nsep; j++) {
		if (in->rest[j])
			t->bytes -= sizeof(struct sep_rest) + in->rest[j]->len;
		free(in->rest[j]);
	}
	arena_free(t->mem, in, sizeof(*in));
}

/*
 * An inner node over the cnt nodes from nodes[lo], whose first entries
 * first[] names; NULL when out of memory, its separators freed.
 */
static struct inner *load_inner(struct btree *t, void *const *nodes,
				const size_t *first, size_t lo, size_t cnt,
				const uint64_t *pfx, const struct ientry *ents)
{
	struct inner *in = node_alloc(t, 1);

	if (!in)
		return NULL;
	memset(in, 0, sizeof(*in));
	for (size_t c = 0; c < cnt; c++) {
		in->c[c] = nodes[lo + c];
		if (!c)
			continue;
		if (load_sep(t, in, c, pfx, ents, first[lo + c])) {
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
 * On -ENOMEM the level below is still the caller's to free.
 */
static int load_level(struct btree *t, void *const *nodes,
		      const size_t *first, size_t level_n, size_t nup,
		      const uint64_t *pfx, const struct ientry *ents,
		      void ***upp, size_t **upfirstp)
{
	void **up = calloc(nup, sizeof(*up));
	size_t *upfirst = calloc(nup, sizeof(*upfirst));

	if (!up || !upfirst)
		goto err;
	for (size_t i = 0; i < nup; i++) {
		size_t lo = i * (LOAD_FILL + 1);
		size_t cnt = level_n - lo < LOAD_FILL + 1 ? level_n - lo :
							     LOAD_FILL + 1;

		up[i] = load_inner(t, nodes, first, lo, cnt, pfx, ents);
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
	return -ENOMEM;
}

/* build the tree from the sorted entries, one level at a time */
int btree_load(struct btree *t, size_t n, const uint64_t *pfx,
	       const struct ientry *ents)
{
	size_t nnodes = (n + LOAD_FILL - 1) / LOAD_FILL, level_n, i;
	void **nodes = NULL, **up;
	size_t *first = NULL, *upfirst;
	int h = 0;

	if (t->root || n == 0)
		return t->root ? -EEXIST : 0;
	nodes = calloc(nnodes, sizeof(*nodes));
	first = calloc(nnodes, sizeof(*first));
	if (!nodes || !first)
		goto err;
	if (load_leaves(t, n, pfx, ents, nodes, first, nnodes))
		goto err;
	level_n = nnodes;
	while (level_n > 1) {
		size_t nup = (level_n + LOAD_FILL) / (LOAD_FILL + 1);

		if (load_level(t, nodes, first, level_n, nup, pfx, ents, &up,
			       &upfirst))
			goto err_tree;
		/* the level below hangs from up[] now */
		free(nodes);
		free(first);
		nodes = up;
		first = upfirst;
		level_n = nup;
		h++;
		t->root = NULL;
	}
	t->root = nodes[0];
	t->height = h;
	set_top(t);
	t->mods++;
	free(nodes);
	free(first);
	return 0;

err_tree:
	/*
	 * Out of memory half way: free what was built. Nodes of the current
	 * level own everything below them.
	 */
	for (i = 0; i < level_n; i++)
		free_node(t, nodes[i], h);
	free(nodes);
	free(first);
	return -ENOMEM;
err:
	for (i = 0; nodes && i < nnodes; i++)
		free_node(t, nodes[i], 0);
	free(nodes);
	free(first);
	return -ENOMEM;
}
