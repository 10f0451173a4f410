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
 * linked; lookups and cursors handle empty leaves. The caller (index.c,
 * kv.c) serialises writers with the shard's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* 30 entries of 24 bytes: a leaf spans 12 cache lines */
#define LEAF_CAP 30
#define INNER_CAP 30
/* the most nodes one insert can allocate: a leaf and an inner per level */
#define MAX_HEIGHT 16

struct sep {
	uint64_t prefix;
	uint32_t klen;
	uint8_t *rest;		/* bytes [8, klen) when klen > 8 */
};

struct leaf {
	uint32_t n;
	struct leaf *next;
	struct ientry e[LEAF_CAP];
};

struct inner {
	uint32_t n;		/* separators; children = n + 1 */
	struct sep k[INNER_CAP];
	void *c[INNER_CAP + 1];
};

static int cmp_entry(const struct btree *t, const struct key *k,
		     const struct ientry *e)
{
	const struct pmkv_record *r;

	if (k->prefix != e->prefix)
		return k->prefix < e->prefix ? -1 : 1;
	r = (const struct pmkv_record *)(t->base + IE_OFF(e));
	return key_cmp_bytes(k->p, k->len, rec_key(r), r->klen);
}

static int cmp_sep(const struct key *k, const struct sep *s)
{
	int c;

	if (k->prefix != s->prefix)
		return k->prefix < s->prefix ? -1 : 1;
	/* equal prefixes: the bytes after the first 8 decide, then length */
	c = key_cmp_bytes(k->len > 8 ? k->p + 8 : NULL, k->len > 8 ? k->len - 8 : 0,
			  s->rest, s->klen > 8 ? s->klen - 8 : 0);
	if (c)
		return c;
	return (k->len > s->klen) - (k->len < s->klen);
}

/* first position whose entry is >= k; *eq when it is equal */
static uint32_t leaf_lower(const struct btree *t, const struct leaf *l,
			   const struct key *k, bool *eq)
{
	uint32_t lo = 0, hi = l->n;

	*eq = false;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = cmp_entry(t, k, &l->e[mid]);

		if (c == 0) {
			*eq = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* the child that may hold k: the first separator > k */
static uint32_t inner_child(const struct inner *in, const struct key *k)
{
	uint32_t lo = 0, hi = in->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (cmp_sep(k, &in->k[mid]) < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void btree_init(struct btree *t, const uint8_t *base)
{
	memset(t, 0, sizeof(*t));
	t->base = base;
}

static void free_node(void *node, int h)
{
	struct inner *in = node;

	if (!node)
		return;
	if (h > 0) {
		for (uint32_t i = 0; i <= in->n; i++)
			free_node(in->c[i], h - 1);
		for (uint32_t i = 0; i < in->n; i++)
			free(in->k[i].rest);
	}
	free(node);
}

struct spares;
static void spares_free(struct spares *s);

void btree_destroy(struct btree *t)
{
	spares_free(t->spares);
	t->spares = NULL;
	free_node(t->root, t->height);
	t->root = NULL;
	t->height = 0;
	t->bytes = 0;
}

static struct leaf *find_leaf(const struct btree *t, const struct key *k)
{
	void *n = t->root;

	for (int h = t->height; h > 0; h--) {
		struct inner *in = n;

		n = in->c[k ? inner_child(in, k) : 0];
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
 * Nodes an insert may need are allocated before the tree changes, so an
 * allocation failure leaves the tree as it was. Unused ones stay for the
 * next insert.
 */
struct spares {
	struct leaf *leaf;
	struct inner *inner[MAX_HEIGHT + 1];
	int ninner;
	struct sep sep;		/* rest: room for the longest key */
};

/* make out a separator for key bytes kp; the spare buffer moves to it */
static void sep_set(struct btree *t, struct sep *spare, struct sep *out,
		    uint64_t prefix, const uint8_t *kp, uint32_t klen)
{
	out->prefix = prefix;
	out->klen = klen;
	out->rest = NULL;
	if (klen <= 8)
		return;
	memcpy(spare->rest, kp + 8, klen - 8);
	/* shrinking never needs new memory; keep the big block if it moves */
	out->rest = realloc(spare->rest, klen - 8);
	if (!out->rest)
		out->rest = spare->rest;
	spare->rest = NULL;
	t->bytes += klen - 8;
}

struct split {
	struct sep sep;
	void *right;
};

static struct ientry *ins(struct btree *t, void *node, int h,
			  const struct key *k, bool *created,
			  struct split *sp, struct spares *spr)
{
	if (h == 0) {
		struct leaf *l = node, *r;
		uint32_t pos, half;
		bool eq;

		pos = leaf_lower(t, l, k, &eq);
		if (eq) {
			*created = false;
			return &l->e[pos];
		}
		*created = true;
		if (l->n < LEAF_CAP) {
			memmove(&l->e[pos + 1], &l->e[pos],
				(l->n - pos) * sizeof(l->e[0]));
			memset(&l->e[pos], 0, sizeof(l->e[0]));
			l->e[pos].prefix = k->prefix;
			l->n++;
			return &l->e[pos];
		}
		/* split: the upper half moves to a new right sibling */
		r = spr->leaf;
		spr->leaf = NULL;
		memset(r, 0, sizeof(*r));
		half = LEAF_CAP / 2;
		r->n = l->n - half;
		memcpy(r->e, &l->e[half], r->n * sizeof(l->e[0]));
		l->n = half;
		r->next = l->next;
		l->next = r;
		sp->right = r;
		{
			struct leaf *dst = pos <= half ? l : r;
			uint32_t p = pos <= half ? pos : pos - half;
			struct ientry *e;

			memmove(&dst->e[p + 1], &dst->e[p],
				(dst->n - p) * sizeof(dst->e[0]));
			memset(&dst->e[p], 0, sizeof(dst->e[0]));
			dst->e[p].prefix = k->prefix;
			dst->n++;
			e = &dst->e[p];
			/*
			 * The separator is r's first key. When that is the new
			 * key its record is not written yet: k names it.
			 */
			if (dst == r && p == 0)
				sep_set(t, &spr->sep, &sp->sep, k->prefix, k->p, k->len);
			else {
				const struct pmkv_record *rec =
					(const void *)(t->base + IE_OFF(&r->e[0]));

				sep_set(t, &spr->sep, &sp->sep, r->e[0].prefix,
					rec_key(rec), rec->klen);
			}
			return e;
		}
	} else {
		struct inner *in = node, *r;
		struct split csp = { 0 };
		struct ientry *e;
		uint32_t ci = inner_child(in, k), half, i;

		e = ins(t, in->c[ci], h - 1, k, created, &csp, spr);
		if (!csp.right)
			return e;
		if (in->n < INNER_CAP) {
			memmove(&in->k[ci + 1], &in->k[ci], (in->n - ci) * sizeof(in->k[0]));
			memmove(&in->c[ci + 2], &in->c[ci + 1],
				(in->n - ci) * sizeof(in->c[0]));
			in->k[ci] = csp.sep;
			in->c[ci + 1] = csp.right;
			in->n++;
			return e;
		}
		/* full: build the n+1 separators in a scratch array, split */
		struct sep ks[INNER_CAP + 1];
		void *cs[INNER_CAP + 2];

		memcpy(ks, in->k, ci * sizeof(ks[0]));
		ks[ci] = csp.sep;
		memcpy(&ks[ci + 1], &in->k[ci], (in->n - ci) * sizeof(ks[0]));
		memcpy(cs, in->c, (ci + 1) * sizeof(cs[0]));
		cs[ci + 1] = csp.right;
		memcpy(&cs[ci + 2], &in->c[ci + 1], (in->n - ci) * sizeof(cs[0]));

		r = spr->inner[--spr->ninner];
		memset(r, 0, sizeof(*r));
		half = (INNER_CAP + 1) / 2;	/* ks[half] moves up */
		in->n = half;
		for (i = 0; i < half; i++) {
			in->k[i] = ks[i];
			in->c[i] = cs[i];
		}
		in->c[half] = cs[half];
		r->n = INNER_CAP - half;
		for (i = 0; i < r->n; i++) {
			r->k[i] = ks[half + 1 + i];
			r->c[i] = cs[half + 1 + i];
		}
		r->c[r->n] = cs[INNER_CAP + 1];
		sp->sep = ks[half];
		sp->right = r;
		return e;
	}
}

static void spares_free(struct spares *s)
{
	if (!s)
		return;
	free(s->leaf);
	for (int i = 0; i < s->ninner; i++)
		free(s->inner[i]);
	free(s->sep.rest);
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
		s->leaf = malloc(sizeof(struct leaf));
		if (!s->leaf)
			return NULL;
		t->bytes += sizeof(struct leaf);
	}
	/* one inner per level that may split, plus a new root */
	while (s->ninner < t->height + 1) {
		s->inner[s->ninner] = malloc(sizeof(struct inner));
		if (!s->inner[s->ninner])
			return NULL;
		s->ninner++;
		t->bytes += sizeof(struct inner);
	}
	if (!s->sep.rest) {
		s->sep.rest = malloc(PMKV_KEY_MAX);
		if (!s->sep.rest)
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
		struct leaf *l = calloc(1, sizeof(*l));

		if (!l)
			return NULL;
		t->bytes += sizeof(*l);
		t->root = l;
		t->height = 0;
	}
	/* an existing key needs no allocation */
	e = btree_find(t, k);
	if (e) {
		*created = false;
		return e;
	}
	spr = spares_get(t);
	if (!spr)
		return NULL;
	e = ins(t, t->root, t->height, k, created, &sp, spr);
	if (sp.right) {
		struct inner *root = spr->inner[--spr->ninner];

		memset(root, 0, sizeof(*root));
		root->n = 1;
		root->k[0] = sp.sep;
		root->c[0] = t->root;
		root->c[1] = sp.right;
		t->root = root;
		t->height++;
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
	memmove(&l->e[pos], &l->e[pos + 1], (l->n - pos - 1) * sizeof(l->e[0]));
	l->n--;
}

void btree_seek(struct btree *t, const struct key *k, bool strict,
		struct bt_cursor *c)
{
	struct leaf *l = t->root ? find_leaf(t, k) : NULL;
	bool eq = false;

	c->leaf = l;
	c->pos = 0;
	if (!l || !k)
		return;
	c->pos = (int)leaf_lower(t, l, k, &eq);
	if (eq && strict)
		c->pos++;
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

void btree_next(struct bt_cursor *c)
{
	c->pos++;
}
