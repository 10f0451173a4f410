// SPDX-License-Identifier: BSD-3-Clause
/* key-limits.c -- key and value sizes at and past their limits */
/*
 * Proves:
 *   - a 0-byte key is refused by put, get, exists and delete with -EINVAL
 *     and a message; a NULL key or a NULL value with a length, too;
 *   - a key of PMKV_KEY_MAX bytes is stored and read back, and one of
 *     PMKV_KEY_MAX + 1 bytes is refused everywhere with -EINVAL;
 *   - a value of PMKV_VALUE_MAX + 1 bytes is refused with -EINVAL without
 *     the buffer being read: it is one page followed by an inaccessible
 *     one, so a read past it would kill the test with SIGSEGV;
 *   - the refused calls write nothing: the pool file (shared mapping) is
 *     byte-for-byte unchanged and the counters did not move.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "t.h"

#define KEY_WORDS "key", "length", "size", "empty"

int main(void)
{
	static char key[PMKV_KEY_MAX + 1];
	struct pmkv_stats st0, st1;
	struct pmkv_batch *b = NULL;
	struct t_snap snap;
	char path[512], val[16];
	size_t vlen = 0, page;
	struct pmkv *kv;
	uint8_t *guard;

	page = (size_t)sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED)
		t_error("mmap: %s", strerror(errno));
	memset(guard, 'g', page);
	if (mprotect(guard + page, page, PROT_NONE))
		t_error("mprotect: %s", strerror(errno));

	t_rand_fill(key, sizeof(key));
	t_pool_tmp(path, sizeof(path), "limits");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "x", 1, "y", 1));
	T_ASSERT_OK(pmkv_get_stats(kv, &st0, sizeof(st0)));
	t_snap_take(&snap, path);

	/* empty and NULL keys */
	T_EXPECT_ERR(pmkv_put(kv, key, 0, "v", 1), -EINVAL, KEY_WORDS);
	T_EXPECT_ERR(pmkv_get(kv, key, 0, val, sizeof(val), &vlen), -EINVAL,
		     KEY_WORDS);
	T_EXPECT_ERR(pmkv_exists(kv, key, 0), -EINVAL, KEY_WORDS);
	T_EXPECT_ERR(pmkv_delete(kv, key, 0), -EINVAL, KEY_WORDS);
	T_EXPECT_ERR(pmkv_put(kv, NULL, 1, "v", 1), -EINVAL, KEY_WORDS,
		     "NULL");
	T_EXPECT_ERR(pmkv_get(kv, NULL, 1, val, sizeof(val), &vlen), -EINVAL,
		     KEY_WORDS, "NULL");
	T_EXPECT_ERR(pmkv_put(kv, "k", 1, NULL, 1), -EINVAL, "value",
		     "NULL");
	T_EXPECT_ERR(pmkv_put(NULL, "k", 1, "v", 1), -EINVAL, "NULL",
		     "handle", "kv");

	/* one byte too long */
	T_EXPECT_ERR(pmkv_put(kv, key, PMKV_KEY_MAX + 1, "v", 1), -EINVAL,
		     KEY_WORDS);
	T_EXPECT_ERR(pmkv_get(kv, key, PMKV_KEY_MAX + 1, val, sizeof(val),
			      &vlen), -EINVAL, KEY_WORDS);
	T_EXPECT_ERR(pmkv_exists(kv, key, PMKV_KEY_MAX + 1), -EINVAL,
		     KEY_WORDS);
	T_EXPECT_ERR(pmkv_delete(kv, key, PMKV_KEY_MAX + 1), -EINVAL,
		     KEY_WORDS);

	/* a value one byte past the limit, from a one-page buffer */
	T_EXPECT_ERR(pmkv_put(kv, "k", 1, guard, (size_t)PMKV_VALUE_MAX + 1),
		     -EINVAL, "value", "length", "size");
	T_EXPECT_ERR(pmkv_put(kv, "k", 1, guard, SIZE_MAX), -EINVAL, "value",
		     "length", "size");

	/* the same limits in a batch */
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	T_EXPECT_ERR(pmkv_batch_put(b, key, 0, "v", 1), -EINVAL, KEY_WORDS);
	T_EXPECT_ERR(pmkv_batch_put(b, key, PMKV_KEY_MAX + 1, "v", 1),
		     -EINVAL, KEY_WORDS);
	T_EXPECT_ERR(pmkv_batch_delete(b, key, PMKV_KEY_MAX + 1), -EINVAL,
		     KEY_WORDS);
	T_EXPECT_ERR(pmkv_batch_put(b, "k", 1, guard,
				    (size_t)PMKV_VALUE_MAX + 1), -EINVAL,
		     "value", "length", "size");
	pmkv_batch_free(&b);

	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
	T_ASSERT_OK(pmkv_get_stats(kv, &st1, sizeof(st1)));
	T_ASSERT_EQ(st1.puts, st0.puts);
	T_ASSERT_EQ(st1.deletes, st0.deletes);
	T_ASSERT_EQ(st1.keys, 1);
	T_ASSERT_EQ(st1.fences, st0.fences);
	T_ASSERT_EQ(pmkv_exists(kv, "k", 1), -ENOENT);

	/* exactly the limit works, and is read back */
	T_ASSERT_OK(pmkv_put(kv, key, PMKV_KEY_MAX, "max", 3));
	T_ASSERT_OK(pmkv_exists(kv, key, PMKV_KEY_MAX));
	T_ASSERT_OK(pmkv_get(kv, key, PMKV_KEY_MAX, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 3);
	T_ASSERT_MEM_EQ(val, "max", 3);
	/* the one-byte-shorter prefix is a different key */
	T_ASSERT_EQ(pmkv_exists(kv, key, PMKV_KEY_MAX - 1), -ENOENT);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get(kv, key, PMKV_KEY_MAX, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 3);
	T_ASSERT_MEM_EQ(val, "max", 3);
	T_ASSERT_OK(pmkv_delete(kv, key, PMKV_KEY_MAX));
	T_ASSERT_EQ(pmkv_exists(kv, key, PMKV_KEY_MAX), -ENOENT);
	T_ASSERT_OK(pmkv_close(&kv));

	munmap(guard, 2 * page);
	return T_EXIT_PASS;
}
