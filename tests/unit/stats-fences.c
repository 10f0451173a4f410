// SPDX-License-Identifier: BSD-3-Clause
/* stats-fences.c -- one persistence fence per put, counted exactly */
/*
 * Proves: with PMEM_IS_PMEM_FORCE=1 (set before the pool is opened) a pool
 * on /dev/shm reports is_pmem and pmem_forced (on real fsdax, is_pmem
 * alone), and N puts of 100-byte
 * values into a segment that has room cost exactly N fences:
 * stats.fences - fences_before == N. They also count N puts and flush at
 * least the N values' bytes. Gets cost no fence.
 */
#include <errno.h>

#include "t.h"

#define VLEN 100U
#define NPUTS 1000U

int main(void)
{
	struct pmkv_stats before, after;
	struct pmkv_info info;
	char path[512], k[32], v[VLEN];
	struct pmkv *kv;
	unsigned i, n;
	size_t klen;

	if (setenv("PMEM_IS_PMEM_FORCE", "1", 1))
		t_error("setenv: %s", strerror(errno));

	t_pool_tmp(path, sizeof(path), "fences");
	kv = t_pool_create(path, 64ULL << 20);
	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	T_ASSERT_EQ(info.is_pmem, 1);
	/*
	 * forced on a file; real pmem needs no forcing (the kernel suite's
	 * guest runs this on fsdax)
	 */
	T_ASSERT_EQ(info.pmem_forced, info.media == PMKV_MEDIA_FILE);

	/*
	 * The first put may open this thread's log segment; measure after
	 * it, and only as many puts as fit in the rest of that segment
	 * (record: 40-byte header + key + value, rounded to 8).
	 */
	memset(v, 'v', sizeof(v));
	T_ASSERT_OK(pmkv_put(kv, "warm-up", 7, v, VLEN));
	n = NPUTS;
	if ((uint64_t)n * 160 > info.segment_size / 2)
		n = (unsigned)(info.segment_size / 2 / 160);
	T_ASSERT(n >= 100);

	T_ASSERT_OK(pmkv_get_stats(kv, &before, sizeof(before)));
	for (i = 0; i < n; i++) {
		klen = (size_t)sprintf(k, "fence-%06u", i);
		v[0] = (char)i;
		T_ASSERT_OK(pmkv_put(kv, k, klen, v, VLEN));
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &after, sizeof(after)));
	t_info("%u puts: %llu fences, %llu bytes flushed", n,
	       (unsigned long long)(after.fences - before.fences),
	       (unsigned long long)(after.flushed_bytes -
				    before.flushed_bytes));
	T_ASSERT_EQ(after.fences - before.fences, n);
	T_ASSERT_EQ(after.puts - before.puts, n);
	T_ASSERT(after.flushed_bytes - before.flushed_bytes >=
		 (uint64_t)n * VLEN);

	/* reads are free of fences */
	for (i = 0; i < n; i++) {
		klen = (size_t)sprintf(k, "fence-%06u", i);
		T_ASSERT_OK(pmkv_get(kv, k, klen, v, sizeof(v), NULL));
		T_ASSERT_EQ((unsigned char)v[0], (unsigned char)i);
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &before, sizeof(before)));
	T_ASSERT_EQ(before.fences, after.fences);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
