// SPDX-License-Identifier: BSD-3-Clause
/* open-out-of-memory.c -- an open that runs out of memory fails cleanly */
/*
 * Recovery rebuilds the index at open from the log, into memory mapped in
 * chunks (arena.c), and the handle's other tables come from there too.
 * This program defines mmap() itself, so that anonymous mappings made
 * during an open (the library's, and PMDK's own) can be refused with
 * ENOMEM, and proves for a pool of 50000 records:
 *   - a normal open maps anonymous memory (so this program reaches the
 *     path at all) and finds every key;
 *   - with the k-th anonymous mapping and every later one refused, for
 *     each k up to the number a normal open makes, pmkv_open() either
 *     succeeds and finds every key, or fails with -ENOMEM and a message
 *     that says so and leaves no handle, and the next open recovers the
 *     same records and finds every key; ASan's leak check (CI) sees that
 *     nothing stays allocated;
 *   - at least one k makes the open fail, so recovery's error path ran;
 *   - afterwards the pool opens and every key reads back.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t.h"

#define NKEYS 50000U

static unsigned anon_maps;	/* anonymous mappings asked for so far */
static unsigned fail_from;	/* refuse the fail_from-th and later; 0: none */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (flags & MAP_ANONYMOUS) {
		unsigned n = __atomic_add_fetch(&anon_maps, 1, __ATOMIC_RELAXED);

		if (fail_from && n >= fail_from) {
			errno = ENOMEM;
			return MAP_FAILED;
		}
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void key_of(unsigned i, char *k)
{
	sprintf(k, "oom-key-%08u", i);
}

/* every key, and no other */
static void check_all(struct pmkv *kv)
{
	struct pmkv_stats st;
	char k[32], v[32];
	size_t vlen;

	for (unsigned i = 0; i < NKEYS; i++) {
		key_of(i, k);
		T_ASSERT_OK(pmkv_get(kv, k, strlen(k), v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, strlen(k));
		T_ASSERT_MEM_EQ(v, k, vlen);
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, NKEYS);
}

static void arm(unsigned k)
{
	anon_maps = 0;
	fail_from = k;
}

int main(void)
{
	unsigned normal, failed;
	struct pmkv_stats st;
	uint64_t records;
	struct pmkv *kv;
	char path[512], key[32];

	t_seed();
	t_pool_tmp(path, sizeof(path), "oom");
	kv = t_pool_create(path, 16ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++) {
		key_of(i, key);
		T_ASSERT_OK(pmkv_put(kv, key, strlen(key), key, strlen(key)));
	}
	T_ASSERT_OK(pmkv_close(&kv));
	/* every open reads the log: its failures are what this counts */
	t_pool_forget_checkpoint(path);

	anon_maps = 0;
	kv = t_pool_open(path, 0);
	normal = anon_maps;
	check_all(kv);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	records = st.recovered_records;
	T_ASSERT(records >= NKEYS);
	T_ASSERT_OK(pmkv_close(&kv));
	t_info("a normal open maps anonymous memory %u times", normal);
	T_ASSERT(normal > 0);

	failed = t_open_each_refusal(path, normal, arm, check_all, records);
	t_info("%u of %u refused mappings failed the open", failed, normal);
	T_ASSERT(failed > 0);

	kv = t_pool_open(path, 0);
	check_all(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
