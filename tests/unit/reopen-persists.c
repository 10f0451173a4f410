// SPDX-License-Identifier: BSD-3-Clause
/* reopen-persists.c -- what was acknowledged is there after close + open */
/*
 * Proves: 1000 keys with values of 0 to 2000 bytes, some overwritten
 * (larger and smaller) and some deleted, read back after close and reopen
 * with exactly the last value written; deleted keys are absent, also from
 * a scan; the key count, scan count and recovered state agree; and a second
 * reopen (after more changes) gives the same answer again.
 */
#include <errno.h>

#include "t.h"

#define NKEYS 1000U
#define VMAX 2000U

/* gen[i]: 0 absent, else the generation whose value the key holds */
static unsigned gen[NKEYS];

static void key_of(unsigned i, char *k, size_t *klen)
{
	*klen = (size_t)sprintf(k, "persist/%u/%x", i, i * 2654435761U);
}

static size_t val_of(unsigned i, unsigned g, uint8_t *v)
{
	struct t_rng r = { .s = (uint64_t)i * 1000003 + g };
	size_t len = t_rng_next(&r) % (VMAX + 1), j;

	for (j = 0; j < len; j++)
		v[j] = (uint8_t)t_rng_next(&r);
	return len;
}

static void put(struct pmkv *kv, unsigned i, unsigned g)
{
	uint8_t v[VMAX];
	size_t klen, vlen;
	char k[64];

	key_of(i, k, &klen);
	vlen = val_of(i, g, v);
	T_ASSERT_OK(pmkv_put(kv, k, klen, v, vlen));
	gen[i] = g;
}

static void del(struct pmkv *kv, unsigned i)
{
	size_t klen;
	char k[64];

	key_of(i, k, &klen);
	T_ASSERT_OK(pmkv_delete(kv, k, klen));
	gen[i] = 0;
}

static void check(struct pmkv *kv)
{
	uint8_t want[VMAX], got[VMAX];
	struct pmkv_stats st;
	unsigned i, live = 0, n = 0;
	size_t klen, wlen, vlen;
	char k[64];

	for (i = 0; i < NKEYS; i++) {
		key_of(i, k, &klen);
		if (!gen[i]) {
			T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
			continue;
		}
		live++;
		wlen = val_of(i, gen[i], want);
		vlen = (size_t)-1;
		T_ASSERT_OK(pmkv_get(kv, k, klen, got, sizeof(got), &vlen));
		T_ASSERT_EQ(vlen, wlen);
		if (memcmp(got, want, wlen))
			T_FAIL("key %s (generation %u): wrong value", k,
			       gen[i]);
	}
	T_ASSERT_OK(pmkv_scan(kv, NULL, 0, NULL, 0, t_count_cb, &n));
	T_ASSERT_EQ(n, live);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, live);
}

int main(void)
{
	struct pmkv_stats st;
	char path[512];
	struct pmkv *kv;
	unsigned i;

	t_pool_tmp(path, sizeof(path), "persist");
	kv = t_pool_create(path, 64ULL << 20);
	for (i = 0; i < NKEYS; i++)
		put(kv, i, 1);
	for (i = 0; i < NKEYS; i += 5)
		put(kv, i, 2);
	for (i = 0; i < NKEYS; i += 7)
		del(kv, i);
	for (i = 0; i < NKEYS; i += 35)
		put(kv, i, 3);	/* deleted, then back */
	check(kv);
	T_ASSERT_OK(pmkv_close(&kv));

	/* the log itself, not the index checkpoint of the close */
	t_pool_forget_checkpoint(path);
	kv = t_pool_open(path, 0);
	check(kv);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT(st.recovered_records > 0);
	for (i = 1; i < NKEYS; i += 11)
		if (gen[i])
			del(kv, i);
	for (i = 3; i < NKEYS; i += 13)
		put(kv, i, gen[i] + 10);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	check(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
