// SPDX-License-Identifier: BSD-3-Clause
/* batch-full-replace.c -- a full batch still takes operations on its own keys */
/*
 * Proves (issue 15: a batch of PMKV_BATCH_MAX operations refused one that
 * replaced one of its own keys):
 *   - a batch holding PMKV_BATCH_MAX keys accepts a put and a delete of
 *     any of them, any number of times, with a longer, a shorter or an
 *     empty value;
 *   - a key new to it is refused with -E2BIG and a message naming the
 *     limit, put or delete, and is not committed;
 *   - that holds after a commit failed (-ENOSPC) and kept the batch, which
 *     reorders it;
 *   - the commit applies the last operation on each key, counts
 *     PMKV_BATCH_MAX puts, not one per call, and survives a reopen.
 *
 * The batch first carries values too large for the pool together, so its
 * commit fails; replacing every value with a short one makes it fit.
 */
#include <errno.h>

#include "t.h"

#define BIG 400		/* value bytes: 64 Ki of them overflow a minimum pool */

static size_t key_of(char *k, size_t n, unsigned i)
{
	return (size_t)snprintf(k, n, "k%05u", i);
}

static void expect(struct pmkv *kv, unsigned i, const void *want, size_t wlen)
{
	char k[16], buf[BIG];
	size_t klen = key_of(k, sizeof(k), i), vlen = 0;

	if (!want) {
		T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
		return;
	}
	T_ASSERT_OK(pmkv_get(kv, k, klen, buf, sizeof(buf), &vlen));
	if (vlen != wlen || memcmp(buf, want, vlen))
		T_FAIL("key %s: %zu bytes \"%.*s\", expected %zu bytes \"%.*s\"",
		       k, vlen, (int)vlen, buf, wlen, (int)wlen,
		       (const char *)want);
}

static void full_refuses_new(struct pmkv_batch *b)
{
	T_EXPECT_ERR(pmkv_batch_put(b, "new", 3, "v", 1), -E2BIG, "65536");
	T_EXPECT_ERR(pmkv_batch_delete(b, "new", 3), -E2BIG, "65536");
}

static void check_state(struct pmkv *kv, const char *longer)
{
	char v[16];

	expect(kv, 0, longer, BIG - 1);
	expect(kv, 1, "", 0);
	expect(kv, 7, "seven", 5);
	expect(kv, 8, NULL, 0);
	expect(kv, 9, "nine", 4);
	for (unsigned i = 10; i < PMKV_BATCH_MAX; i += 997) {
		int n = snprintf(v, sizeof(v), "v%u", i);

		expect(kv, i, v, (size_t)n);
	}
	expect(kv, PMKV_BATCH_MAX - 1, "last", 4);
	T_ASSERT_EQ(pmkv_exists(kv, "new", 3), -ENOENT);
}

int main(void)
{
	static char big[BIG], longer[BIG];
	struct pmkv_batch *b = NULL;
	struct pmkv_stats st;
	char path[512], k[16], v[16];
	uint64_t puts;
	struct pmkv *kv;
	size_t klen;
	unsigned i;

	memset(big, 'b', sizeof(big));
	memset(longer, 'L', sizeof(longer));
	t_pool_tmp(path, sizeof(path), "batch-full");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	klen = key_of(k, sizeof(k), 8);
	T_ASSERT_OK(pmkv_put(kv, k, klen, "old", 3));

	/* full, and too large for the pool */
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	for (i = 0; i < PMKV_BATCH_MAX; i++) {
		klen = key_of(k, sizeof(k), i);
		T_ASSERT_OK(pmkv_batch_put(b, k, klen, big, sizeof(big)));
	}
	full_refuses_new(b);
	T_ASSERT_EQ(pmkv_batch_commit(b), -ENOSPC);
	expect(kv, 8, "old", 3);
	expect(kv, 9, NULL, 0);

	/* the failed commit kept the batch: every key may still be replaced */
	for (i = 0; i < PMKV_BATCH_MAX; i++) {
		int n = snprintf(v, sizeof(v), "v%u", i);

		klen = key_of(k, sizeof(k), i);
		T_ASSERT_OK(pmkv_batch_put(b, k, klen, v, (size_t)n));
	}
	full_refuses_new(b);

	/* longer, empty, put then delete then put, delete, twice in a row */
	klen = key_of(k, sizeof(k), 0);
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, longer, sizeof(longer) - 1));
	klen = key_of(k, sizeof(k), 1);
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, "", 0));
	klen = key_of(k, sizeof(k), 7);
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, "first", 5));
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, "seven", 5));
	klen = key_of(k, sizeof(k), 8);
	T_ASSERT_OK(pmkv_batch_delete(b, k, klen));
	T_ASSERT_OK(pmkv_batch_delete(b, k, klen));
	klen = key_of(k, sizeof(k), 9);
	T_ASSERT_OK(pmkv_batch_delete(b, k, klen));
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, "nine", 4));
	klen = key_of(k, sizeof(k), PMKV_BATCH_MAX - 1);
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, "last", 4));
	full_refuses_new(b);

	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	puts = st.puts;
	T_ASSERT_OK(pmkv_batch_commit(b));
	check_state(kv, longer);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.puts - puts, PMKV_BATCH_MAX);
	/* every key of the batch but the deleted one */
	T_ASSERT_EQ(st.keys, PMKV_BATCH_MAX - 1);

	/* emptied by the commit: a new key fits again */
	T_ASSERT_OK(pmkv_batch_put(b, "new", 3, "v", 1));
	pmkv_batch_free(&b);

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	check_state(kv, longer);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
