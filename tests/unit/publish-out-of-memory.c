// SPDX-License-Identifier: BSD-3-Clause
/* publish-out-of-memory.c -- a put the index has no memory for is retracted */
/*
 * A put's record is durable before the index is told of it (design.md
 * section 5). When the index then has no memory for a new key, the record
 * must be retracted, or the put that failed would take effect at the next
 * open. This program defines mmap(), so that the index's node arena
 * (arena.c, which maps its chunks anonymously) can be refused memory
 * after the pool is open, and proves:
 *   - after 1000 puts with memory, puts of new keys go on until one fails
 *     with -ENOMEM and a message that says so (the arena needed a new
 *     chunk), and that key is absent;
 *   - check_run() finds every invariant intact, the failed record counted
 *     nowhere; after a reopen with memory again, the key is still absent
 *     (retracted on media, not only in DRAM: nothing was written after
 *     it, which would have overwritten it either way) and every put that
 *     succeeded reads back;
 *   - the same for a batch of new keys: -ENOMEM, none of it there, before
 *     and after a reopen;
 *   - the handle is not poisoned: an overwrite of a key already indexed
 *     needs no node and succeeds, and reads back after a reopen.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "check.h"

#define MAX_PUTS 400000U
#define BATCH 64U
#define PRE_PUTS 1000U

static bool refuse;	/* refuse anonymous mappings */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_ANONYMOUS) && __atomic_load_n(&refuse, __ATOMIC_RELAXED)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "pub-oom-%08u", i);
}

static void expect_value(struct pmkv *kv, unsigned i, const char *want)
{
	char k[32], v[32];
	size_t klen = key_of(i, k), vlen;

	T_ASSERT_OK(pmkv_get(kv, k, klen, v, sizeof(v), &vlen));
	T_ASSERT_EQ(vlen, strlen(want));
	T_ASSERT_MEM_EQ(v, want, vlen);
}

/*
 * Put new keys from first until one fails or max: the number of the first
 * that failed, which must have failed for want of memory, or max
 */
static unsigned put_until_full(struct pmkv *kv, unsigned first, unsigned max)
{
	char k[32];

	for (unsigned i = first; i < max; i++) {
		size_t klen = key_of(i, k);
		int rc = pmkv_put(kv, k, klen, k, klen);

		if (rc == 0)
			continue;
		T_EXPECT_ERR(rc, -ENOMEM, "memory");
		T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
		return i;
	}
	if (max == MAX_PUTS)
		T_FAIL("%u puts of new keys and the index never needed memory",
		       MAX_PUTS);
	return max;
}

static void batch_fails(struct pmkv *kv, unsigned first)
{
	struct pmkv_batch *b;
	char k[32];

	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	for (unsigned i = first; i < first + BATCH; i++) {
		size_t klen = key_of(i, k);

		T_ASSERT_OK(pmkv_batch_put(b, k, klen, k, klen));
	}
	T_EXPECT_ERR(pmkv_batch_commit(b), -ENOMEM, "memory");
	pmkv_batch_free(&b);
	for (unsigned i = first; i < first + BATCH; i++) {
		size_t klen = key_of(i, k);

		T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
	}
}

/* reopen with memory; every invariant holds, keys [0, n) read back */
static struct pmkv *reopen(struct pmkv *kv, const char *path, unsigned n)
{
	char k[32];

	__atomic_store_n(&refuse, false, __ATOMIC_RELAXED);
	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(check_run(kv));
	for (unsigned i = 1; i < n; i++) {
		key_of(i, k);
		expect_value(kv, i, k);
	}
	return kv;
}

int main(void)
{
	char path[512], k[32];
	struct pmkv *kv;
	unsigned failed, failed2;
	size_t klen;

	t_pool_tmp(path, sizeof(path), "pub-oom");
	kv = t_pool_create(path, 256ULL << 20);

	/* a put: a first chunk of index memory, then no more */
	put_until_full(kv, 0, PRE_PUTS);
	__atomic_store_n(&refuse, true, __ATOMIC_RELAXED);
	failed = put_until_full(kv, PRE_PUTS, MAX_PUTS);
	t_info("put %u was the first the index had no memory for", failed);
	T_ASSERT_OK(check_run(kv));
	/*
	 * Nothing is written after the failure: the next record of the
	 * segment would overwrite the one that failed, retracted or not
	 */
	kv = reopen(kv, path, failed);
	klen = key_of(failed, k);
	T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);

	/* a batch, the same way, from the key after */
	put_until_full(kv, failed + 1, failed + 1 + PRE_PUTS);
	__atomic_store_n(&refuse, true, __ATOMIC_RELAXED);
	failed2 = put_until_full(kv, failed + 1 + PRE_PUTS, MAX_PUTS);
	batch_fails(kv, failed2);
	T_ASSERT_OK(check_run(kv));
	kv = reopen(kv, path, failed);
	for (unsigned i = failed2; i < failed2 + BATCH; i++) {
		klen = key_of(i, k);
		T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
	}

	/* not poisoned: an overwrite needs no node, with or without memory */
	__atomic_store_n(&refuse, true, __ATOMIC_RELAXED);
	klen = key_of(0, k);
	T_ASSERT_OK(pmkv_put(kv, k, klen, "again", 5));
	kv = reopen(kv, path, failed);
	expect_value(kv, 0, "again");
	T_ASSERT_OK(pmkv_close(&kv));
	unlink(path);
	return T_EXIT_PASS;
}
