// SPDX-License-Identifier: BSD-3-Clause
/* batch-commit.c -- a batch applies all its operations, last one wins */
/*
 * Proves:
 *   - nothing of a batch is visible before commit; after commit every put
 *     and delete is;
 *   - a later operation on the same key replaces an earlier one (put then
 *     put, put then delete, delete then put);
 *   - a delete of a key absent at commit time is not an error;
 *   - the batch copies keys and values when they are added;
 *   - a committed batch is empty: committing it again changes nothing,
 *     and it can be filled and committed again;
 *   - the committed state survives close + reopen;
 *   - the (PMKV_BATCH_MAX + 1)th operation is refused with -E2BIG and a
 *     message, and 0-byte keys with -EINVAL.
 */
#include <errno.h>

#include "t.h"

static void expect(struct pmkv *kv, const char *k, const char *want)
{
	char buf[64];
	size_t vlen = 0;

	if (!want) {
		T_ASSERT_EQ(pmkv_exists(kv, k, strlen(k)), -ENOENT);
		return;
	}
	T_ASSERT_OK(pmkv_get(kv, k, strlen(k), buf, sizeof(buf), &vlen));
	if (vlen != strlen(want) || memcmp(buf, want, vlen))
		T_FAIL("key %s: \"%.*s\", expected \"%s\"", k, (int)vlen, buf,
		       want);
}

static void bput(struct pmkv_batch *b, const char *k, const char *v)
{
	T_ASSERT_OK(pmkv_batch_put(b, k, strlen(k), v, strlen(v)));
}

static void bdel(struct pmkv_batch *b, const char *k)
{
	T_ASSERT_OK(pmkv_batch_delete(b, k, strlen(k)));
}

static void check_state(struct pmkv *kv)
{
	expect(kv, "p1", "one");
	expect(kv, "p2", "two");
	expect(kv, "twice", "second");
	expect(kv, "put-del", NULL);
	expect(kv, "del-put", "back");
	expect(kv, "old", NULL);
	expect(kv, "keep", "kept");
	expect(kv, "never", NULL);
	expect(kv, "copied", "original");
}

int main(void)
{
	struct pmkv_batch *b = NULL;
	struct pmkv_stats st;
	char path[512], k[16], v[16];
	struct pmkv *kv;
	unsigned i;

	t_pool_tmp(path, sizeof(path), "batch");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "old", 3, "gone", 4));
	T_ASSERT_OK(pmkv_put(kv, "keep", 4, "kept", 4));
	T_ASSERT_OK(pmkv_put(kv, "del-put", 7, "before", 6));

	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	T_ASSERT(b != NULL);
	bput(b, "p1", "one");
	bput(b, "p2", "two");
	bput(b, "twice", "first");
	bput(b, "twice", "second");
	bput(b, "put-del", "x");
	bdel(b, "put-del");
	bdel(b, "del-put");
	bput(b, "del-put", "back");
	bdel(b, "old");
	bdel(b, "never");
	/* the batch owns copies: changing the caller's buffers is fine */
	strcpy(k, "copied");
	strcpy(v, "original");
	T_ASSERT_OK(pmkv_batch_put(b, k, strlen(k), v, strlen(v)));
	memset(k, 'X', sizeof(k));
	memset(v, 'Y', sizeof(v));

	/* nothing is visible before commit */
	expect(kv, "p1", NULL);
	expect(kv, "old", "gone");
	expect(kv, "del-put", "before");

	T_ASSERT_OK(pmkv_batch_commit(b));
	check_state(kv);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	/* p1 p2 twice del-put keep copied */
	T_ASSERT_EQ(st.keys, 6);

	/* emptied: a second commit changes nothing */
	T_ASSERT_OK(pmkv_batch_commit(b));
	check_state(kv);

	/* and reusable */
	bput(b, "p3", "three");
	bdel(b, "p2");
	T_ASSERT_OK(pmkv_batch_commit(b));
	expect(kv, "p3", "three");
	expect(kv, "p2", NULL);
	bput(b, "p2", "two");
	bdel(b, "p3");
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
	T_ASSERT(b == NULL);
	pmkv_batch_free(&b);
	check_state(kv);
	expect(kv, "p3", NULL);

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	check_state(kv);
	expect(kv, "p3", NULL);

	/* limits */
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	T_EXPECT_ERR(pmkv_batch_put(b, "", 0, "v", 1), -EINVAL, "key",
		     "length", "size", "empty");
	T_EXPECT_ERR(pmkv_batch_delete(b, "", 0), -EINVAL, "key", "length",
		     "size", "empty");
	for (i = 0; i < PMKV_BATCH_MAX; i++) {
		int n = snprintf(k, sizeof(k), "m%u", i);

		T_ASSERT_OK(pmkv_batch_delete(b, k, (size_t)n));
	}
	T_EXPECT_ERR(pmkv_batch_put(b, "one-more", 8, "v", 1), -E2BIG,
		     "batch", "operations", "65536");
	T_EXPECT_ERR(pmkv_batch_delete(b, "one-more", 8), -E2BIG, "batch",
		     "operations", "65536");
	pmkv_batch_free(&b);
	check_state(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
