// SPDX-License-Identifier: BSD-3-Clause
/* open-malloc-fails.c -- an open whose malloc() fails fails cleanly */
/*
 * open-out-of-memory refuses anonymous mappings; this program refuses the
 * heap. It is linked with -Wl,--wrap=malloc,--wrap=calloc, so that every
 * malloc() and calloc() of the library's own objects (libpmkv_internal is
 * linked in statically) comes here first and can be refused, while ASan's
 * and valgrind's allocators still serve what is allowed. For a pool whose
 * keys share their first 8 bytes, so that rebuilding the index copies a
 * separator's bytes for most inner entries (index_load()), it proves:
 *   - a normal open asks for heap memory (so this program reaches those
 *     paths at all) and finds every key;
 *   - with the k-th allocation and every later one refused, for each k
 *     up to the number a normal open makes, pmkv_open() either succeeds
 *     and finds every key, or fails with -ENOMEM and a message that says
 *     so, leaves no handle and does not crash; ASan's leak check (CI)
 *     sees that the half-built index is freed;
 *   - the next open recovers the same records and finds every key.
 * Before this program, a separator copy that malloc() refused during
 * index_load() (then btree_load()) was a NULL dereference, and the inner nodes of a level
 * built half way leaked.
 */
#include <errno.h>
#include <unistd.h>

#include "t.h"

#define NKEYS 2000U

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);

static unsigned allocs;		/* allocations asked for so far */
static unsigned fail_from;	/* refuse the fail_from-th and later; 0: none */

static bool refuse(void)
{
	unsigned n = __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);

	return fail_from && n >= fail_from;
}

void *__wrap_malloc(size_t n)
{
	if (refuse()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (refuse()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

/* 8 bytes in common, so that separators need a copy of the rest */
static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "samepfx-%08u-%u", i * 7919U % 100003U, i);
}

static void check_all(struct pmkv *kv)
{
	char k[40], v[40];
	size_t klen, vlen;

	for (unsigned i = 0; i < NKEYS; i++) {
		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_get(kv, k, klen, v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, klen);
		T_ASSERT_MEM_EQ(v, k, vlen);
	}
}

static void arm(unsigned k)
{
	allocs = 0;
	fail_from = k;
}

int main(void)
{
	unsigned normal, failed;
	char path[512], k[40];
	struct pmkv_stats st;
	uint64_t records;
	struct pmkv *kv;
	size_t klen;

	t_pool_tmp(path, sizeof(path), "malloc-fails");
	kv = t_pool_create(path, 16ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++) {
		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_put(kv, k, klen, k, klen));
	}
	T_ASSERT_OK(pmkv_close(&kv));
	/* recovery's allocations, not those of loading a checkpoint */
	t_pool_forget_checkpoint(path);

	allocs = 0;
	kv = t_pool_open(path, 0);
	normal = allocs;
	check_all(kv);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	records = st.recovered_records;
	T_ASSERT_OK(pmkv_close(&kv));
	t_info("a normal open makes %u allocations", normal);
	T_ASSERT(normal > NKEYS / 64);

	failed = t_open_each_refusal(path, normal, arm, check_all, records);
	t_info("%u of %u refused allocations failed the open", failed, normal);
	T_ASSERT(failed > 0);
	unlink(path);
	return T_EXIT_PASS;
}
