// SPDX-License-Identifier: BSD-3-Clause
/* iter-seek-next.c -- the iterator: seek, next, key, value */
/*
 * Proves:
 *   - a new iterator is on no key: next, key and value give -ENOENT;
 *   - seek(NULL) goes to the first key; next walks every key in order,
 *     with its value, then gives -ENOENT and stays at the end;
 *   - seek to a present key lands on it; to an absent key, on the next
 *     greater one (prefix rule included); past the last key, -ENOENT, and
 *     key/value then give -ENOENT;
 *   - seek on an empty pool gives -ENOENT;
 *   - deleting the current key, inserting and deleting keys ahead while
 *     iterating: next still goes strictly forward and sees every key that
 *     was present and unchanged all along; a new seek sees the changes;
 *   - returned pointers are copies: a put of the same key does not change
 *     the bytes already returned until the next call on the iterator.
 */
#include <errno.h>

#include "t.h"

static const char *const words[] = {
	"a", "a\x01", "ab", "abc", "abd", "b", "ba", "bb", "c", "zz",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static size_t wlen(unsigned i)
{
	return strlen(words[i]);
}

static void expect_at(struct pmkv_iter *it, const char *k, size_t klen)
{
	const void *p, *v;
	size_t len, vlen;

	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	if (len != klen || memcmp(p, k, klen))
		T_FAIL("iterator on \"%.*s\", expected \"%.*s\"", (int)len,
		       (const char *)p, (int)klen, k);
	/* each key's value is the key twice */
	T_ASSERT_OK(pmkv_iter_value(it, &v, &vlen));
	T_ASSERT_EQ(vlen, 2 * klen);
	T_ASSERT_MEM_EQ(v, k, klen);
	T_ASSERT_MEM_EQ((const char *)v + klen, k, klen);
}

static void put_word(struct pmkv *kv, const char *k)
{
	char v[64];
	size_t n = strlen(k);

	memcpy(v, k, n);
	memcpy(v + n, k, n);
	T_ASSERT_OK(pmkv_put(kv, k, n, v, 2 * n));
}

int main(void)
{
	struct pmkv_iter *it = NULL;
	const void *p, *v;
	char path[512], saved[64];
	struct pmkv *kv;
	size_t len, vlen;
	unsigned i;

	t_pool_tmp(path, sizeof(path), "iter");
	kv = t_pool_create(path, PMKV_POOL_MIN);

	/* empty pool */
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	T_ASSERT(it != NULL);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_value(it, &v, &vlen), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek(it, NULL, 0), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek(it, "a", 1), -ENOENT);
	pmkv_iter_free(&it);
	T_ASSERT(it == NULL);
	pmkv_iter_free(&it);

	for (i = NWORDS; i-- > 0;)
		put_word(kv, words[i]);

	/* never positioned */
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_value(it, &v, &vlen), -ENOENT);

	/* the whole walk */
	T_ASSERT_OK(pmkv_iter_seek(it, NULL, 0));
	for (i = 0; i < NWORDS; i++) {
		expect_at(it, words[i], wlen(i));
		T_ASSERT_EQ(pmkv_iter_next(it), i + 1 < NWORDS ? 0 : -ENOENT);
	}
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);

	/* seeks */
	T_ASSERT_OK(pmkv_iter_seek(it, "abc", 3));
	expect_at(it, "abc", 3);
	T_ASSERT_OK(pmkv_iter_seek(it, "a", 1));
	expect_at(it, "a", 1);
	T_ASSERT_OK(pmkv_iter_seek(it, "a\0", 2));	/* between a and a\1 */
	expect_at(it, "a\x01", 2);
	T_ASSERT_OK(pmkv_iter_seek(it, "ab\0", 3));	/* after ab */
	expect_at(it, "abc", 3);
	T_ASSERT_OK(pmkv_iter_seek(it, "abz", 3));
	expect_at(it, "b", 1);
	T_ASSERT_OK(pmkv_iter_seek(it, "\0", 1));
	expect_at(it, "a", 1);
	T_ASSERT_OK(pmkv_iter_seek(it, "zz", 2));
	expect_at(it, "zz", 2);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek(it, "zz\0", 3), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_value(it, &v, &vlen), -ENOENT);
	/* a seek after the end works again */
	T_ASSERT_OK(pmkv_iter_seek(it, "bb", 2));
	expect_at(it, "bb", 2);
	T_ASSERT_OK(pmkv_iter_next(it));
	expect_at(it, "c", 1);

	/* pointers stay valid (and unchanged) until the next call */
	T_ASSERT_OK(pmkv_iter_seek(it, "ba", 2));
	T_ASSERT_OK(pmkv_iter_value(it, &v, &vlen));
	T_ASSERT_EQ(vlen, 4);
	memcpy(saved, v, vlen);
	T_ASSERT_OK(pmkv_put(kv, "ba", 2, "XXXX", 4));
	T_ASSERT_MEM_EQ(v, saved, 4);
	put_word(kv, "ba");

	/*
	 * Delete the current key, insert one ahead and delete one ahead,
	 * then walk on. The iterator is not a snapshot: the inserted and
	 * the deleted key ahead may or may not be seen. Every key present
	 * and unchanged all along must be, each once, in increasing order.
	 */
	T_ASSERT_OK(pmkv_iter_seek(it, "ab", 2));
	expect_at(it, "ab", 2);
	T_ASSERT_OK(pmkv_delete(kv, "ab", 2));
	put_word(kv, "b\x01");
	T_ASSERT_OK(pmkv_delete(kv, "bb", 2));
	{
		static const char *const must[] = {
			"abc", "abd", "b", "ba", "c", "zz",
		};
		unsigned seen = 0, m = 0;
		char last[64] = "ab";
		size_t lastlen = 2;
		int ret;

		while ((ret = pmkv_iter_next(it)) == 0) {
			T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
			T_ASSERT(len < sizeof(last));
			if (t_key_cmp(p, len, last, lastlen) <= 0)
				T_FAIL("iterator went back: \"%.*s\" after "
				       "\"%.*s\"", (int)len, (const char *)p,
				       (int)lastlen, last);
			memcpy(last, p, len);
			lastlen = len;
			if (m < sizeof(must) / sizeof(must[0]) &&
			    len == strlen(must[m]) &&
			    !memcmp(p, must[m], len)) {
				expect_at(it, must[m], len);
				m++;
			} else if (!(len == 2 && (!memcmp(p, "b\x01", 2) ||
						  !memcmp(p, "bb", 2)))) {
				T_FAIL("iterator returned \"%.*s\"", (int)len,
				       (const char *)p);
			}
			seen++;
		}
		T_ASSERT_EQ(ret, -ENOENT);
		T_ASSERT_EQ(m, sizeof(must) / sizeof(must[0]));
		T_ASSERT(seen >= m);
	}

	/* a fresh seek sees the changes */
	T_ASSERT_OK(pmkv_iter_seek(it, "ab", 2));
	expect_at(it, "abc", 3);
	T_ASSERT_OK(pmkv_iter_seek(it, "b\x01", 2));
	expect_at(it, "b\x01", 2);
	T_ASSERT_OK(pmkv_iter_seek(it, "bb", 2));
	expect_at(it, "c", 1);

	pmkv_iter_free(&it);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
