// SPDX-License-Identifier: BSD-3-Clause
/* put-get-delete.c -- the basic contract of put, get, exists and delete */
/*
 * Proves:
 *   - a put is read back by get with the same bytes and length;
 *   - an overwrite with a value of the same, a smaller and a larger size
 *     is read back exactly (no stale tail, no truncation);
 *   - after delete, get and exists give -ENOENT, and a second delete (or
 *     a delete of a key never written) gives -ENOENT;
 *   - get with a buffer one byte short gives -ENOBUFS, sets *vlen to the
 *     size needed and leaves the buffer untouched; NULL/0 gives the size;
 *   - 0-byte values (val NULL or not) and 1-byte keys work;
 *   - "a", "a\0" and "ab" are three different keys;
 *   - the stats count live keys, puts, gets and deletes.
 */
#include <errno.h>

#include "t.h"

static void expect_val(struct pmkv *kv, const void *k, size_t klen,
		       const void *want, size_t wlen)
{
	char buf[1024];
	size_t vlen = (size_t)-1;

	T_ASSERT(wlen <= sizeof(buf));
	memset(buf, 0xa5, sizeof(buf));
	T_ASSERT_OK(pmkv_get(kv, k, klen, buf, sizeof(buf), &vlen));
	T_ASSERT_EQ(vlen, wlen);
	T_ASSERT_MEM_EQ(buf, want, wlen);
	/* nothing is written past the value */
	T_ASSERT_EQ((unsigned char)buf[wlen], 0xa5);
	T_ASSERT_OK(pmkv_exists(kv, k, klen));
}

int main(void)
{
	char path[512], buf[1024], big[600], pattern[1024];
	struct pmkv_stats st;
	struct pmkv *kv;
	size_t vlen;
	unsigned i;

	t_pool_tmp(path, sizeof(path), "basic");
	kv = t_pool_create(path, PMKV_POOL_MIN);

	T_EXPECT_ERR(pmkv_get(kv, "nokey", 5, buf, sizeof(buf), &vlen),
		     -ENOENT, "nokey", "key", "not found", "no such");
	T_ASSERT_EQ(pmkv_exists(kv, "nokey", 5), -ENOENT);
	T_EXPECT_ERR(pmkv_delete(kv, "nokey", 5), -ENOENT, "nokey", "key",
		     "not found", "no such");

	T_ASSERT_OK(pmkv_put(kv, "hello", 5, "world", 5));
	expect_val(kv, "hello", 5, "world", 5);

	/* overwrite: same size, smaller, larger */
	T_ASSERT_OK(pmkv_put(kv, "hello", 5, "WORLD", 5));
	expect_val(kv, "hello", 5, "WORLD", 5);
	T_ASSERT_OK(pmkv_put(kv, "hello", 5, "w", 1));
	expect_val(kv, "hello", 5, "w", 1);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	T_ASSERT_OK(pmkv_put(kv, "hello", 5, big, sizeof(big)));
	expect_val(kv, "hello", 5, big, sizeof(big));

	/* a buffer one byte short: -ENOBUFS, the size, buffer untouched */
	memset(buf, 0x5a, sizeof(buf));
	memcpy(pattern, buf, sizeof(buf));
	vlen = 0;
	T_EXPECT_ERR(pmkv_get(kv, "hello", 5, buf, sizeof(big) - 1, &vlen),
		     -ENOBUFS, "buffer", "small", "size");
	T_ASSERT_EQ(vlen, sizeof(big));
	T_ASSERT_MEM_EQ(buf, pattern, sizeof(buf));
	vlen = 0;
	T_ASSERT_EQ(pmkv_get(kv, "hello", 5, NULL, 0, &vlen), -ENOBUFS);
	T_ASSERT_EQ(vlen, sizeof(big));
	/* exactly big enough */
	T_ASSERT_OK(pmkv_get(kv, "hello", 5, buf, sizeof(big), &vlen));
	T_ASSERT_MEM_EQ(buf, big, sizeof(big));
	/* vlen may be NULL */
	T_ASSERT_OK(pmkv_get(kv, "hello", 5, buf, sizeof(buf), NULL));

	/* 0-byte values, with and without a pointer */
	T_ASSERT_OK(pmkv_put(kv, "empty", 5, NULL, 0));
	expect_val(kv, "empty", 5, "", 0);
	vlen = 99;
	T_ASSERT_OK(pmkv_get(kv, "empty", 5, NULL, 0, &vlen));
	T_ASSERT_EQ(vlen, 0);
	T_ASSERT_OK(pmkv_put(kv, "empty2", 6, "ignored", 0));
	expect_val(kv, "empty2", 6, "", 0);
	/* a 0-byte value replaced by a real one and back */
	T_ASSERT_OK(pmkv_put(kv, "empty", 5, "full", 4));
	expect_val(kv, "empty", 5, "full", 4);
	T_ASSERT_OK(pmkv_put(kv, "empty", 5, NULL, 0));
	expect_val(kv, "empty", 5, "", 0);

	/* 1-byte keys, including 0x00 and 0xff */
	T_ASSERT_OK(pmkv_put(kv, "\0", 1, "zero", 4));
	T_ASSERT_OK(pmkv_put(kv, "\xff", 1, "ff", 2));
	T_ASSERT_OK(pmkv_put(kv, "z", 1, "zed", 3));
	expect_val(kv, "\0", 1, "zero", 4);
	expect_val(kv, "\xff", 1, "ff", 2);
	expect_val(kv, "z", 1, "zed", 3);

	/* prefixes of each other are distinct keys */
	T_ASSERT_OK(pmkv_put(kv, "a", 1, "1", 1));
	T_ASSERT_OK(pmkv_put(kv, "a\0", 2, "2", 1));
	T_ASSERT_OK(pmkv_put(kv, "ab", 2, "3", 1));
	expect_val(kv, "a", 1, "1", 1);
	expect_val(kv, "a\0", 2, "2", 1);
	expect_val(kv, "ab", 2, "3", 1);
	T_ASSERT_EQ(pmkv_exists(kv, "a\0\0", 3), -ENOENT);
	T_ASSERT_EQ(pmkv_exists(kv, "abc", 3), -ENOENT);
	T_ASSERT_OK(pmkv_delete(kv, "a\0", 2));
	T_ASSERT_EQ(pmkv_exists(kv, "a\0", 2), -ENOENT);
	expect_val(kv, "a", 1, "1", 1);
	expect_val(kv, "ab", 2, "3", 1);

	/* delete, then absent; delete again: -ENOENT */
	T_ASSERT_OK(pmkv_delete(kv, "hello", 5));
	T_ASSERT_EQ(pmkv_get(kv, "hello", 5, buf, sizeof(buf), &vlen),
		    -ENOENT);
	T_ASSERT_EQ(pmkv_exists(kv, "hello", 5), -ENOENT);
	T_EXPECT_ERR(pmkv_delete(kv, "hello", 5), -ENOENT, "hello", "key",
		     "not found", "no such");
	/* and back */
	T_ASSERT_OK(pmkv_put(kv, "hello", 5, "again", 5));
	expect_val(kv, "hello", 5, "again", 5);

	/* live: hello empty empty2 \0 \xff z a ab */
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, 8);
	T_ASSERT_EQ(st.puts, 15);
	T_ASSERT_EQ(st.deletes, 2);
	T_ASSERT(st.gets > 0);

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	expect_val(kv, "hello", 5, "again", 5);
	expect_val(kv, "empty", 5, "", 0);
	expect_val(kv, "a", 1, "1", 1);
	expect_val(kv, "\0", 1, "zero", 4);
	T_ASSERT_EQ(pmkv_exists(kv, "a\0", 2), -ENOENT);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, 8);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
