// SPDX-License-Identifier: BSD-3-Clause
/* get-during-splits.c -- gets without a lock while the index changes shape */
/*
 * Gets and exists read the index without a lock and check the leaf's
 * version afterwards (design.md section 7). This drives them while
 * every way a tree changes is under way at once:
 *   - two growers insert new keys, one in ascending order with a long
 *     common prefix (so separators carry bytes beyond the first 8), one in
 *     random order: leaves and inner nodes split, and roots grow;
 *   - an overwriter keeps rewriting a set of stable keys in a pool small
 *     enough that reclamation moves their records meanwhile.
 * Readers prove, for every call:
 *   - a stable key (present from the start, never deleted) is always
 *     found by pmkv_get() and pmkv_exists(); a lookup that trusted a half
 *     split leaf, or a key moved out of it, would say -ENOENT;
 *   - its value names it, carries the filler written with it, and a seq
 *     the overwriter issued, never older than one the same reader saw;
 *   - a grown key is found, with its value, once its grower announced it.
 * The counters at the end show that splits, reclamation and the readers'
 * checks all happened.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "t.h"

#define NSTABLE 4000U
#define NGROW 60000U		/* per grower */
#define NOVERWRITE 150000U
#define NREADERS 2U
#define VMAX 160U

static struct pmkv *kv;
static atomic_uint_fast64_t issued;		/* overwriter's highest seq */
static atomic_uint_fast64_t announced[2];	/* keys each grower put */
static atomic_int growers_done;
static atomic_uint_fast64_t stable_checked, grown_checked, while_writing;

/* stable keys share their first 8 bytes, so whole keys decide */
static size_t stable_key(unsigned id, char *k)
{
	return (size_t)sprintf(k, "stable-key/%05u", id);
}

static size_t grown_key(unsigned g, uint64_t i, uint8_t *k)
{
	if (g == 0)	/* ascending, 24 bytes, the first 13 shared */
		return (size_t)sprintf((char *)k, "grow-ascend/%012llu",
				       (unsigned long long)i);
	/* random order: a bijective mix of i, 16 bytes */
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 29;
	for (int b = 0; b < 8; b++)
		k[b] = (uint8_t)(x >> (56 - 8 * b));
	memcpy(k + 8, "-grown-r", 8);
	return 16;
}

/* value: seq, then the key, then filler that depends on both */
static size_t value_of(const void *k, size_t klen, uint64_t seq, uint8_t *v)
{
	size_t len = 8 + klen + (size_t)(seq * 13 % (VMAX - 8 - 32)), j;

	memcpy(v, &seq, 8);
	memcpy(v + 8, k, klen);
	for (j = 8 + klen; j < len; j++)
		v[j] = (uint8_t)(seq * 7 + j);
	return len;
}

static uint64_t check_value(const void *k, size_t klen, const uint8_t *v,
			    size_t vlen)
{
	uint8_t want[VMAX];
	uint64_t seq;

	if (vlen < 8 + klen || vlen > VMAX)
		T_FAIL("value of %zu bytes for \"%.*s\"", vlen, (int)klen,
		       (const char *)k);
	memcpy(&seq, v, 8);
	if (value_of(k, klen, seq, want) != vlen || memcmp(want, v, vlen))
		T_FAIL("value for \"%.*s\" (seq %llu) is not one written for it",
		       (int)klen, (const char *)k, (unsigned long long)seq);
	return seq;
}

static void *grower(void *arg)
{
	unsigned g = (unsigned)(uintptr_t)arg;
	uint8_t k[32], v[VMAX];

	for (uint64_t i = 0; i < NGROW; i++) {
		size_t klen = grown_key(g, i, k);
		size_t vlen = value_of(k, klen, i, v);

		T_ASSERT_OK(pmkv_put(kv, k, klen, v, vlen));
		atomic_store_explicit(&announced[g], i + 1,
				      memory_order_release);
	}
	return NULL;
}

static void *overwriter(void *arg)
{
	struct t_rng r = { .s = t_seed() * 5 + 1 };
	uint8_t v[VMAX];
	char k[32];

	(void)arg;
	for (uint64_t seq = NSTABLE + 1; seq <= NSTABLE + NOVERWRITE; seq++) {
		unsigned id = (unsigned)(t_rng_next(&r) % NSTABLE);
		size_t klen = stable_key(id, k);

		atomic_store(&issued, seq);
		T_ASSERT_OK(pmkv_put(kv, k, klen, v,
				     value_of(k, klen, seq, v)));
	}
	return NULL;
}

static void *reader(void *arg)
{
	static __thread uint64_t seen[NSTABLE];
	struct t_rng r = { .s = t_seed() * 11 + (uintptr_t)arg };
	uint8_t v[VMAX], gk[32];
	unsigned rounds = 0;
	size_t vlen;
	char k[32];

	while (!atomic_load(&growers_done) || rounds < 2000) {
		unsigned id = (unsigned)(t_rng_next(&r) % NSTABLE);
		size_t klen = stable_key(id, k);
		uint64_t seq;
		int ret;

		rounds++;
		ret = pmkv_get(kv, k, klen, v, sizeof(v), &vlen);
		if (ret)
			T_FAIL("get of stable key %s: %s", k, pmkv_strerror(ret));
		seq = check_value(k, klen, v, vlen);
		if (seq > atomic_load(&issued) || seq < seen[id])
			T_FAIL("stable key %s: seq %llu after %llu, %llu issued",
			       k, (unsigned long long)seq,
			       (unsigned long long)seen[id],
			       (unsigned long long)atomic_load(&issued));
		seen[id] = seq;
		if (pmkv_exists(kv, k, klen))
			T_FAIL("exists of stable key %s: %s", k,
			       pmkv_errormsg());
		atomic_fetch_add(&stable_checked, 1);
		if (!atomic_load(&growers_done))
			atomic_fetch_add(&while_writing, 1);

		/* a key a grower has put by now */
		for (unsigned g = 0; g < 2; g++) {
			uint64_t n = atomic_load_explicit(&announced[g],
							  memory_order_acquire);
			uint64_t i;

			if (!n)
				continue;
			i = n - 1 - t_rng_next(&r) % (n < 64 ? n : 64);
			klen = grown_key(g, i, gk);
			ret = pmkv_get(kv, gk, klen, v, sizeof(v), &vlen);
			if (ret)
				T_FAIL("get of grown key %llu of grower %u: %s",
				       (unsigned long long)i, g,
				       pmkv_strerror(ret));
			if (check_value(gk, klen, v, vlen) != i)
				T_FAIL("grown key %llu has another seq",
				       (unsigned long long)i);
			atomic_fetch_add(&grown_checked, 1);
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t gt[2], ot, rt[NREADERS];
	struct pmkv_stats st;
	uint8_t v[VMAX];
	char path[512], k[32];
	unsigned i;

	t_seed();
	t_pool_tmp(path, sizeof(path), "splits");
	kv = t_pool_create(path, 40ULL << 20);
	for (i = 0; i < NSTABLE; i++) {
		size_t klen = stable_key(i, k);

		T_ASSERT_OK(pmkv_put(kv, k, klen, v, value_of(k, klen, i, v)));
	}
	atomic_store(&issued, NSTABLE);

	for (i = 0; i < NREADERS; i++)
		if (pthread_create(&rt[i], NULL, reader, (void *)(uintptr_t)i))
			t_error("pthread_create failed");
	for (i = 0; i < 2; i++)
		if (pthread_create(&gt[i], NULL, grower, (void *)(uintptr_t)i))
			t_error("pthread_create failed");
	if (pthread_create(&ot, NULL, overwriter, NULL))
		t_error("pthread_create failed");
	for (i = 0; i < 2; i++)
		pthread_join(gt[i], NULL);
	pthread_join(ot, NULL);
	atomic_store(&growers_done, 1);
	for (i = 0; i < NREADERS; i++)
		pthread_join(rt[i], NULL);

	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	t_info("%llu stable keys checked (%llu while writers ran), %llu "
	       "grown; %llu segments reclaimed; index %llu bytes",
	       (unsigned long long)atomic_load(&stable_checked),
	       (unsigned long long)atomic_load(&while_writing),
	       (unsigned long long)atomic_load(&grown_checked),
	       (unsigned long long)st.gc_runs,
	       (unsigned long long)st.index_bytes);
	T_ASSERT_EQ(st.keys, NSTABLE + 2 * NGROW);
	/* the readers met the writers, and reclamation moved records */
	T_ASSERT(atomic_load(&while_writing) > 0);
	T_ASSERT(atomic_load(&grown_checked) > 0);
	T_ASSERT(st.gc_runs > 0);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
