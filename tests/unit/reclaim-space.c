// SPDX-License-Identifier: BSD-3-Clause
/* reclaim-space.c -- overwrites and deletes never fill a roomy pool */
/*
 * Proves: on a 64 MiB pool holding 8 MiB of live data (2048 keys of
 * 4 KiB), 200000 random overwrites interleaved with deletes and
 * re-inserts -- about 800 MiB written, twelve times the pool -- never fail
 * (in particular never with -ENOSPC): reclamation frees what is dead.
 * stats.gc_runs is above 0, every key holds the last value written (in
 * the middle, at the end, and after close + reopen) and deleted keys are
 * absent.
 */
#include <errno.h>

#include "t.h"

#define NKEYS 2048U
#define VLEN 4096U
#define OPS 200000U

static uint32_t gen[NKEYS];	/* 0: absent */

static void key_of(unsigned i, char *k, size_t *klen)
{
	*klen = (size_t)sprintf(k, "reclaim-%05u", i);
}

/* cheap to make, and names key and generation in every 8 bytes */
static void val_of(unsigned i, uint32_t g, uint8_t *v)
{
	uint64_t x = (uint64_t)i << 32 | g;
	unsigned j;

	for (j = 0; j < VLEN; j += 8) {
		uint64_t y = x ^ ((uint64_t)j * 0x9e3779b97f4a7c15ULL);

		memcpy(v + j, &y, 8);
	}
}

static void check_one(struct pmkv *kv, unsigned i)
{
	uint8_t want[VLEN], got[VLEN];
	size_t klen, vlen = 0;
	char k[32];

	key_of(i, k, &klen);
	if (!gen[i]) {
		T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
		return;
	}
	T_ASSERT_OK(pmkv_get(kv, k, klen, got, sizeof(got), &vlen));
	T_ASSERT_EQ(vlen, VLEN);
	val_of(i, gen[i], want);
	if (memcmp(got, want, VLEN))
		T_FAIL("key %s: not the value of generation %u", k, gen[i]);
}

static void check_all(struct pmkv *kv)
{
	struct pmkv_stats st;
	unsigned i, live = 0;

	for (i = 0; i < NKEYS; i++) {
		check_one(kv, i);
		live += gen[i] != 0;
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, live);
}

int main(void)
{
	uint8_t v[VLEN];
	struct pmkv_stats st;
	uint32_t g = 1;
	char path[512], k[32];
	struct pmkv *kv;
	unsigned i, op, dels = 0;
	size_t klen;

	t_pool_tmp(path, sizeof(path), "reclaim");
	kv = t_pool_create(path, 64ULL << 20);
	for (i = 0; i < NKEYS; i++) {
		key_of(i, k, &klen);
		val_of(i, g, v);
		T_ASSERT_OK(pmkv_put(kv, k, klen, v, VLEN));
		gen[i] = g;
	}

	for (op = 0; op < OPS; op++) {
		i = (unsigned)t_rand_below(NKEYS);
		key_of(i, k, &klen);
		if (gen[i] && t_rand_below(16) == 0) {
			T_ASSERT_OK(pmkv_delete(kv, k, klen));
			gen[i] = 0;
			dels++;
			continue;
		}
		g++;
		val_of(i, g, v);
		T_ASSERT_OK(pmkv_put(kv, k, klen, v, VLEN));
		gen[i] = g;
		if (op % 1000 == 0)
			check_one(kv, (unsigned)t_rand_below(NKEYS));
		if (op == OPS / 2)
			check_all(kv);
	}
	check_all(kv);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	t_info("%u ops (%u deletes): gc_runs %llu, gc_bytes_copied %llu, "
	       "segments %llu, log used %llu, live %llu", OPS, dels,
	       (unsigned long long)st.gc_runs,
	       (unsigned long long)st.gc_bytes_copied,
	       (unsigned long long)st.segments,
	       (unsigned long long)st.log_bytes_used,
	       (unsigned long long)st.log_bytes_live);
	T_ASSERT(st.gc_runs > 0);
	T_ASSERT(st.log_bytes_live <= st.log_bytes_used);
	T_ASSERT(st.log_bytes_used <= 64ULL << 20);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	check_all(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
