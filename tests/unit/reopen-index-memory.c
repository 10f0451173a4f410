// SPDX-License-Identifier: BSD-3-Clause
/* reopen-index-memory.c -- after an open, index DRAM follows keys, not records */
/*
 * Proves: a pool holding 200000 records of only 100 keys (each overwritten
 * 2000 times, the old versions still on media) opens with every key at its
 * newest value, reports all records recovered, and holds less index DRAM
 * than half of recovery's 32-byte items (6.4 MB here): those are cut into
 * index nodes or their pages given back (arena_trim), not kept for the
 * life of the handle. Kept, they count 8.2 MB; trimmed, 1.7 MB remain
 * (chunk tails and the pages an item block shares with its neighbours).
 */
#include <errno.h>

#include "t.h"

#define NKEYS 100U
#define ROUNDS 2000U

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "few-keys/%03u", i);
}

int main(void)
{
	struct pmkv_stats st;
	char path[512], k[32];
	struct pmkv *kv;
	uint64_t v, got;
	size_t klen, vlen;

	t_need_madvise();
	t_pool_tmp(path, sizeof(path), "few-keys");
	kv = t_pool_create(path, 256ULL << 20);
	for (unsigned r = 0; r < ROUNDS; r++)
		for (unsigned i = 0; i < NKEYS; i++) {
			klen = key_of(i, k);
			v = (uint64_t)r * NKEYS + i;
			T_ASSERT_OK(pmkv_put(kv, k, klen, &v, sizeof(v)));
		}
	T_ASSERT_OK(pmkv_close(&kv));

	/* recovery's index, not the one the close's checkpoint holds */
	t_pool_forget_checkpoint(path);
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	t_info("%llu records recovered, index %llu bytes",
	       (unsigned long long)st.recovered_records,
	       (unsigned long long)st.index_bytes);
	/* the log is not compacted at this fill: every version is read */
	T_ASSERT_EQ(st.recovered_records, (uint64_t)NKEYS * ROUNDS);
	if (st.index_bytes >= (uint64_t)NKEYS * ROUNDS * 32 / 2)
		T_FAIL("index holds %llu bytes for %u keys",
		       (unsigned long long)st.index_bytes, NKEYS);
	for (unsigned i = 0; i < NKEYS; i++) {
		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_get(kv, k, klen, &got, sizeof(got), &vlen));
		T_ASSERT_EQ(vlen, sizeof(got));
		T_ASSERT_EQ(got, (uint64_t)(ROUNDS - 1) * NKEYS + i);
	}
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
