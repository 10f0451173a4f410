// SPDX-License-Identifier: BSD-3-Clause
/* msync-fails.c -- a write that cannot be made durable poisons, and closes */
/*
 * On a medium that is not pmem, writes are made durable with msync()
 * (libpmem's pmem_msync(), which this program wraps so that it fails on
 * demand, as it does with EIO when the device under a file goes bad).
 * Issue 15 saw pmkv_close() abort inside libpmemobj's pmemobj_close() on
 * a failing medium (libpmemobj's own msync() at close failed too, which
 * a wrap of the library's calls cannot reach); libpmemobj no longer opens
 * pools, so close has nothing of it to call. This proves the path that
 * is left:
 *   - the put whose msync fails returns PMKV_E_POISONED, and so does every
 *     write after it, while gets still serve what was durable;
 *   - pmkv_close() returns, and the process lives on;
 *   - the pool opens again and serves every key acknowledged before.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"

int __real_pmem_msync(const void *addr, size_t len);
int __wrap_pmem_msync(const void *addr, size_t len);

static bool fail_msync;

int __wrap_pmem_msync(const void *addr, size_t len)
{
	if (fail_msync) {
		errno = EIO;
		return -1;
	}
	return __real_pmem_msync(addr, len);
}

#define NKEYS 200U

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "key-%04u", i);
}

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv *kv;
	char path[512], k[16], v[16];
	size_t vlen;

	t_seed();
	t_pool_tmp(path, sizeof(path), "msync-fails");
	/* not forced to pmem: the msync path is the one under test */
	unsetenv("PMEM_IS_PMEM_FORCE");
	cfg = t_cfg(16ULL << 20, PMKV_F_CREATE);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	pmkv_config_free(&cfg);
	{
		struct pmkv_info info;

		T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
		if (info.is_pmem) {
			pmkv_close(&kv);
			unlink(path);
			t_skip("the pool is on pmem: writes are flushed, never msync()ed");
		}
	}
	for (unsigned i = 0; i < NKEYS; i++)
		T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), k, key_of(i, k)));

	fail_msync = true;
	T_EXPECT_ERR(pmkv_put(kv, "late", 4, "x", 1), PMKV_E_POISONED,
		     "durable", "Input/output error");
	T_EXPECT_ERR(pmkv_put(kv, "later", 5, "x", 1), PMKV_E_POISONED,
		     "an earlier durable write failed");
	T_EXPECT_ERR(pmkv_delete(kv, "key-0001", 8), PMKV_E_POISONED,
		     "an earlier durable write failed");
	T_ASSERT_OK(pmkv_get(kv, "key-0007", 8, v, sizeof(v), &vlen));
	T_ASSERT_EQ(vlen, 8);
	/* no abort in here: the process goes on */
	pmkv_close(&kv);
	T_ASSERT(kv == NULL);
	fail_msync = false;

	kv = t_pool_open(path, 0);
	for (unsigned i = 0; i < NKEYS; i++) {
		size_t n = key_of(i, k);

		T_ASSERT_OK(pmkv_get(kv, k, n, v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, n);
		T_ASSERT_MEM_EQ(v, k, n);
	}
	T_ASSERT_OK(pmkv_put(kv, "after", 5, "y", 1));
	T_ASSERT_OK(pmkv_close(&kv));
	unlink(path);
	return T_EXIT_PASS;
}
