// SPDX-License-Identifier: BSD-3-Clause
/* reclaim-invariants.c -- reclamation and recovery keep every invariant */
/*
 * Proves: a 32 MiB pool churned by puts of varied sizes, deletes and
 * batches (each with a value long enough to be slot-aligned), with a live set big enough that reclamation must copy live
 * records (not only drop dead segments), passes check_run() after every
 * round and after every reopen: each record's key has an entry counting
 * exactly its records on media, entries name the newest record, segments'
 * live bytes and the index's key count add up. Every key also holds what the
 * model says. Keys share an 8-byte prefix ("key00000..."), so whole-key
 * comparisons and separators past the prefix are exercised too.
 */
#include <errno.h>

#include "internal.h"
#include "check.h"
#include "t.h"

#define NKEYS 16000U
#define ROUNDS 12U
#define OPS 12000U

static int model[NKEYS];	/* -1 absent, else the value's seed */

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "key%06u", i);
}

static size_t val_of(unsigned i, int seed, uint8_t *v)
{
	size_t n = 50 + ((size_t)seed * 7 + i) % 900;

	for (size_t j = 0; j < n; j++)
		v[j] = (uint8_t)(i * 31 + (unsigned)seed + j);
	return n;
}

static void verify(struct pmkv *kv)
{
	uint8_t want[1024], got[1024];
	char k[16];

	for (unsigned i = 0; i < NKEYS; i++) {
		size_t klen = key_of(i, k), vlen = 0, wlen;
		int rc = pmkv_get(kv, k, klen, got, sizeof(got), &vlen);

		if (model[i] < 0) {
			T_ASSERT_EQ(rc, -ENOENT);
			continue;
		}
		T_ASSERT_OK(rc);
		wlen = val_of(i, model[i], want);
		T_ASSERT_EQ(vlen, wlen);
		T_ASSERT_MEM_EQ(got, want, wlen);
	}
}

static void batch_round(struct pmkv *kv)
{
	struct pmkv_batch *b;
	uint8_t v[1024];
	char k[16];

	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	for (unsigned j = 0; j < 50; j++) {
		unsigned i = t_rand() % NKEYS;
		size_t klen = key_of(i, k);

		if (j % 3 == 0) {
			T_ASSERT_OK(pmkv_batch_delete(b, k, klen));
			model[i] = -1;
		} else {
			int seed = (int)(t_rand() % 1000);

			T_ASSERT_OK(pmkv_batch_put(b, k, klen, v, val_of(i, seed, v)));
			model[i] = seed;
		}
	}
	/*
	 * and a value long enough to start on a slot boundary: its record's
	 * size depends on where it lands, which the batch knew only as a
	 * bound (live bytes once drifted by the difference)
	 */
	{
		static uint8_t big[PMKV_VALUE_ALIGN_MIN + 100];
		int n = sprintf(k, "big%u", (unsigned)(t_rand() % 8));

		T_ASSERT_OK(pmkv_batch_put(b, k, (size_t)n, big,
					   sizeof(big) - t_rand() % 64));
	}
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
}

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv_stats st;
	struct pmkv *kv;
	uint64_t gc_runs = 0, copied = 0;
	char path[256];
	uint8_t v[1024];
	char k[16];

	t_pool_tmp(path, sizeof(path), "reclaim-inv");
	cfg = t_cfg(32ULL << 20, PMKV_F_CREATE);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	for (unsigned i = 0; i < NKEYS; i++)
		model[i] = -1;
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (unsigned j = 0; j < OPS; j++) {
			unsigned i = t_rand() % NKEYS;
			size_t klen = key_of(i, k);

			if (t_rand() % 4 == 0) {
				int rc = pmkv_delete(kv, k, klen);

				T_ASSERT_EQ(rc, model[i] < 0 ? -ENOENT : 0);
				model[i] = -1;
			} else {
				int seed = (int)(t_rand() % 1000);

				T_ASSERT_OK(pmkv_put(kv, k, klen, v, val_of(i, seed, v)));
				model[i] = seed;
			}
		}
		if (round % 4 == 3)
			batch_round(kv);
		T_ASSERT_OK(check_run(kv));
		verify(kv);
		if (round % 3 == 2) {
			/* the counters are per handle: add them up before closing */
			T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
			gc_runs += st.gc_runs;
			copied += st.gc_bytes_copied;
			T_ASSERT_OK(pmkv_close(&kv));
			T_ASSERT_OK(pmkv_open(path, NULL, &kv));
			T_ASSERT_OK(check_run(kv));
			verify(kv);
		}
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	gc_runs += st.gc_runs;
	copied += st.gc_bytes_copied;
	t_info("keys %llu, segments %llu, live %llu of %llu bytes; %llu segments reclaimed, %llu live bytes copied",
	       (unsigned long long)st.keys, (unsigned long long)st.segments,
	       (unsigned long long)st.log_bytes_live,
	       (unsigned long long)st.log_bytes_used,
	       (unsigned long long)gc_runs, (unsigned long long)copied);
	/* the churn writes ~6x the pool: reclamation ran, and moved live data */
	T_ASSERT(gc_runs > 0);
	T_ASSERT(copied > 0);
	T_ASSERT_OK(pmkv_close(&kv));
	pmkv_config_free(&cfg);
	return T_EXIT_PASS;
}
