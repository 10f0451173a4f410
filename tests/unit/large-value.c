// SPDX-License-Identifier: BSD-3-Clause
/* large-value.c -- a 64 MiB value on a 256 MiB pool */
/*
 * Proves: a 64 MiB value (larger than any log segment) is stored, read
 * back byte-for-byte, survives close + reopen, can be overwritten by a
 * small value and by another large one, and its neighbours are intact.
 */
#include <errno.h>

#include "t.h"

#define MiB (1ULL << 20)
#define BIG (64 * MiB)

int main(void)
{
	struct pmkv_info info;
	uint8_t *a, *b, *got;
	char path[512], small[16];
	struct pmkv *kv;
	size_t vlen;

	a = malloc(BIG);
	b = malloc(BIG);
	got = malloc(BIG + 1);
	if (!a || !b || !got)
		t_error("no memory");
	t_rand_fill(a, BIG);
	t_rand_fill(b, BIG);

	t_pool_tmp(path, sizeof(path), "large");
	kv = t_pool_create(path, 256 * MiB);
	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	t_info("segment size %llu", (unsigned long long)info.segment_size);
	T_ASSERT(info.segment_size < BIG);

	T_ASSERT_OK(pmkv_put(kv, "before", 6, "b", 1));
	T_ASSERT_OK(pmkv_put(kv, "big", 3, a, BIG));
	T_ASSERT_OK(pmkv_put(kv, "after", 5, "a", 1));

	vlen = 0;
	T_ASSERT_OK(pmkv_get(kv, "big", 3, got, BIG + 1, &vlen));
	T_ASSERT_EQ(vlen, BIG);
	if (memcmp(got, a, BIG))
		T_FAIL("64 MiB value differs after put");
	T_ASSERT_EQ(pmkv_get(kv, "big", 3, got, BIG - 1, &vlen), -ENOBUFS);
	T_ASSERT_EQ(vlen, BIG);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	memset(got, 0, BIG);
	T_ASSERT_OK(pmkv_get(kv, "big", 3, got, BIG, &vlen));
	T_ASSERT_EQ(vlen, BIG);
	if (memcmp(got, a, BIG))
		T_FAIL("64 MiB value differs after reopen");
	T_ASSERT_OK(pmkv_get(kv, "before", 6, small, sizeof(small), &vlen));
	T_ASSERT_EQ(vlen, 1);
	T_ASSERT_OK(pmkv_get(kv, "after", 5, small, sizeof(small), &vlen));
	T_ASSERT_EQ(vlen, 1);

	/* replace with a small value, then with another large one */
	T_ASSERT_OK(pmkv_put(kv, "big", 3, "tiny", 4));
	T_ASSERT_OK(pmkv_get(kv, "big", 3, small, sizeof(small), &vlen));
	T_ASSERT_EQ(vlen, 4);
	T_ASSERT_MEM_EQ(small, "tiny", 4);
	T_ASSERT_OK(pmkv_put(kv, "big", 3, b, BIG));
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get(kv, "big", 3, got, BIG, &vlen));
	T_ASSERT_EQ(vlen, BIG);
	if (memcmp(got, b, BIG))
		T_FAIL("second 64 MiB value differs after reopen");
	T_ASSERT_OK(pmkv_close(&kv));

	free(a);
	free(b);
	free(got);
	return T_EXIT_PASS;
}
