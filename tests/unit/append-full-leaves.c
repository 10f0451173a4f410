// SPDX-License-Identifier: BSD-3-Clause
/* append-full-leaves.c -- ascending and descending puts leave full leaves */
/*
 * Proves, on the index of an open handle:
 *   - after N puts in ascending key order, the index has exactly
 *     ceil(n / INDEX_LEAF_CAP) leaves for its n keys: a leaf that overflows
 *     at the end of the tree keeps all its entries and the new key starts
 *     the next leaf (a middle split would leave them half full and need
 *     twice the leaves, and twice the DRAM a key);
 *   - N more puts in descending order below the first ones add at most
 *     one leaf more than full leaves would need: at the start of the
 *     tree, the overflowing leaf's entries move to the new sibling and the
 *     new key stays alone, to be joined by the next ones;
 *   - keys put afterwards in random order between the ascending ones (they
 *     split those full leaves, and inner nodes that hold one child) are
 *     all found with the others, a full scan returns all keys in order,
 *     and so does the pool after a reopen.
 */
#include <errno.h>

#include "t.h"
#include "internal.h"

#define N 200000U		/* three levels */
#define KLEN 16

/* key i: big-endian i (8 bytes, so prefixes differ), then a fixed tail */
static void key_of(uint64_t i, uint8_t *k)
{
	for (int b = 0; b < 8; b++)
		k[b] = (uint8_t)(i >> (56 - 8 * b));
	memcpy(k + 8, "-append", 8);
}

static uint64_t id_of(const uint8_t *k)
{
	uint64_t i = 0;

	for (int b = 0; b < 8; b++)
		i = i << 8 | k[b];
	return i;
}

/* slack: leaves allowed above ceil(keys / INDEX_LEAF_CAP) */
static void check_leaves(struct pmkv *kv, uint64_t want_keys, uint64_t slack)
{
	struct index_shape sh;
	uint64_t want;

	index_shape(&kv->index, &sh);
	want = (sh.entries + INDEX_LEAF_CAP - 1) / INDEX_LEAF_CAP;
	if (sh.leaves < want || sh.leaves > want + slack)
		T_FAIL("%llu keys in %llu leaves, want %llu",
		       (unsigned long long)sh.entries,
		       (unsigned long long)sh.leaves,
		       (unsigned long long)want);
	T_ASSERT_EQ(sh.entries, want_keys);
}

struct walk {
	uint64_t n;
	int64_t prev;
};

/* keys must come in increasing order, each with its own value */
static int walk_cb(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct walk *w = arg;
	uint64_t id;

	T_ASSERT_EQ(klen, KLEN);
	T_ASSERT_EQ(vlen, sizeof(id));
	id = id_of(key);
	T_ASSERT_MEM_EQ(val, &id, sizeof(id));
	if ((int64_t)id <= w->prev)
		T_FAIL("key %llu after key %lld", (unsigned long long)id,
		       (long long)w->prev);
	w->prev = (int64_t)id;
	w->n++;
	return 0;
}

static void check_all(struct pmkv *kv, uint64_t lo, uint64_t hi)
{
	struct walk w = { 0, -1 };
	uint8_t k[KLEN];
	uint64_t v;
	size_t vlen;

	for (uint64_t i = lo; i < hi; i++) {
		key_of(i, k);
		T_ASSERT_OK(pmkv_get(kv, k, KLEN, &v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, sizeof(v));
		T_ASSERT_EQ(v, i);
	}
	T_ASSERT_OK(pmkv_scan(kv, NULL, 0, NULL, 0, walk_cb, &w));
	T_ASSERT_EQ(w.n, hi - lo);
	T_ASSERT_EQ((uint64_t)w.prev, hi - 1);
}

static void put(struct pmkv *kv, uint64_t i)
{
	uint8_t k[KLEN];

	key_of(i, k);
	T_ASSERT_OK(pmkv_put(kv, k, KLEN, &i, sizeof(i)));
}

int main(void)
{
	static uint64_t order[N];
	char path[512];
	struct pmkv *kv;
	uint64_t base = N;	/* room below for the descending run */

	t_pool_tmp(path, sizeof(path), "append");
	kv = t_pool_create(path, 256ULL << 20);

	/* even ids above base, ascending */
	for (uint64_t i = 0; i < N; i++)
		put(kv, base + 2 * i);
	check_leaves(kv, N, 0);
	t_info("%u ascending puts: every leaf is full", N);

	/* ids below base, descending */
	for (uint64_t i = base; i-- > 0;)
		put(kv, i);
	check_leaves(kv, N + base, 1);
	t_info("%llu descending puts below them: leaves full but one",
	       (unsigned long long)base);

	/* odd ids between them, in random order */
	for (uint64_t i = 0; i < N; i++)
		order[i] = base + 2 * i + 1;
	for (uint64_t i = N - 1; i > 0; i--) {
		uint64_t j = t_rand_below(i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (uint64_t i = 0; i < N; i++)
		put(kv, order[i]);
	check_all(kv, 0, base + 2 * N);

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	check_all(kv, 0, base + 2 * N);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
