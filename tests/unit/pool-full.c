// SPDX-License-Identifier: BSD-3-Clause
/* pool-full.c -- filling a pool: -ENOSPC, and nothing acknowledged lost */
/*
 * Proves: on a 16 MiB pool, puts of distinct keys with 4 KiB values
 * succeed until one fails with exactly -ENOSPC (with a message); at least
 * 2000 of them (8 MiB, half the pool) succeed first; the failed put left
 * no key behind; every acknowledged key reads back with its own value,
 * before and after close + reopen; deleting half the keys succeeds and
 * makes room, so a quarter as many new puts all succeed; and the final
 * contents survive another reopen.
 */
#include <errno.h>

#include "t.h"

#define VLEN 4096
#define MIN_FIT 2000U
#define MAX_KEYS 8192U

static void key_of(unsigned i, char *k, size_t *klen)
{
	*klen = (size_t)sprintf(k, "full-%06u", i);
}

/* a value that names its key: a mix-up between keys cannot go unseen */
static void val_of(unsigned i, unsigned gen, uint8_t *v)
{
	struct t_rng r = { .s = (uint64_t)i << 32 | gen };
	size_t j;

	for (j = 0; j < VLEN; j += 8) {
		uint64_t x = t_rng_next(&r);

		memcpy(v + j, &x, 8);
	}
	memcpy(v, &i, sizeof(i));
	memcpy(v + 4, &gen, sizeof(gen));
}

/* state[i]: 0 absent, otherwise the generation of its value */
static void check(struct pmkv *kv, const unsigned *state, unsigned n)
{
	uint8_t want[VLEN], got[VLEN];
	size_t klen, vlen;
	unsigned i;
	char k[32];

	for (i = 0; i < n; i++) {
		key_of(i, k, &klen);
		if (!state[i]) {
			T_ASSERT_EQ(pmkv_get(kv, k, klen, got, sizeof(got),
					     &vlen), -ENOENT);
			continue;
		}
		val_of(i, state[i], want);
		vlen = 0;
		T_ASSERT_OK(pmkv_get(kv, k, klen, got, sizeof(got), &vlen));
		T_ASSERT_EQ(vlen, VLEN);
		if (memcmp(got, want, VLEN))
			T_FAIL("key %s: wrong value after the pool filled", k);
	}
}

int main(void)
{
	static unsigned state[MAX_KEYS];
	uint8_t v[VLEN];
	struct pmkv_stats st;
	struct pmkv *kv;
	unsigned i, n, nfit, fresh;
	char path[512], k[32];
	size_t klen;
	int ret = 0;

	t_pool_tmp(path, sizeof(path), "full");
	kv = t_pool_create(path, PMKV_POOL_MIN);

	for (n = 0; n < MAX_KEYS; n++) {
		key_of(n, k, &klen);
		val_of(n, 1, v);
		ret = pmkv_put(kv, k, klen, v, VLEN);
		if (ret)
			break;
		state[n] = 1;
	}
	if (n == MAX_KEYS)
		T_FAIL("%u puts of %u bytes fit in a %llu-byte pool", n, VLEN,
		       (unsigned long long)PMKV_POOL_MIN);
	T_EXPECT_ERR(ret, -ENOSPC, "space", "full", path);
	nfit = n;
	t_info("%u puts of %u bytes fit in %llu bytes (%.0f%%)", nfit, VLEN,
	       (unsigned long long)PMKV_POOL_MIN,
	       100.0 * nfit * VLEN / PMKV_POOL_MIN);
	T_ASSERT(nfit >= MIN_FIT);

	/* full, it stays full: another new key fails the same way */
	key_of(nfit, k, &klen);
	T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
	T_EXPECT_ERR(pmkv_put(kv, k, klen, v, VLEN), -ENOSPC, "space", "full",
		     path);
	T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);

	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, nfit);
	check(kv, state, nfit + 1);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	check(kv, state, nfit + 1);

	/* delete every other key: deletes must work in a full pool */
	for (i = 0; i < nfit; i += 2) {
		key_of(i, k, &klen);
		T_ASSERT_OK(pmkv_delete(kv, k, klen));
		state[i] = 0;
	}
	check(kv, state, nfit + 1);

	/* half the data is dead: a quarter as many new puts must fit */
	fresh = nfit / 4;
	for (i = nfit; i < nfit + fresh; i++) {
		key_of(i, k, &klen);
		val_of(i, 2, v);
		T_ASSERT_OK(pmkv_put(kv, k, klen, v, VLEN));
		state[i] = 2;
	}
	check(kv, state, nfit + fresh);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, nfit - (nfit + 1) / 2 + fresh);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	check(kv, state, nfit + fresh);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
