// SPDX-License-Identifier: BSD-3-Clause
/* lockless-lookup.c -- index_find_racy() on a quiet index and on bad entries */
/*
 * Gets read the index without a lock (design.md section 7).
 * get-during-splits runs them against writers; this checks, one thread
 * and deterministically:
 *   - on a quiet index three levels deep, with keys of 1 to 40 bytes that
 *     share their first 8 bytes in long runs (separators then carry bytes
 *     of their own) and keys holding zero bytes, index_find_racy()
 *     answers exactly as a locked lookup for every key put and for absent
 *     neighbours;
 *   - an entry a torn read could produce -- an offset past the pool, one
 *     not 8-byte aligned (by 5, and by 4, where a 4-byte-aligned read of
 *     the key length would look plausible), 0, or one whose "record" has
 *     a key length past any limit -- gives RACY_BAD and reads nothing
 *     out of bounds (ASan and valgrind run this program).
 * damaged-record covers what the locked path then reports.
 */
#include <errno.h>

#include "t.h"
#include "internal.h"

#define N 60000U		/* three levels */

/* key i: runs of 64 keys share 12 bytes; lengths 1 to 40 */
static size_t key_of(unsigned i, uint8_t *k)
{
	size_t len;

	if (i % 97 == 0) {	/* short keys, some with zero bytes */
		k[0] = (uint8_t)(i >> 8);
		k[1] = 0;
		k[2] = (uint8_t)i;
		return 1 + (i / 97) % 3;
	}
	len = (size_t)sprintf((char *)k, "run-%05u/tail-%u-", i / 64, i % 64);
	while (len < 12 + (i % 29))
		k[len++] = (uint8_t)('a' + i % 26);
	return len;
}

/* racy and locked lookups agree on k; true when found */
static bool same_answer(struct pmkv *kv, const uint8_t *kb, size_t klen)
{
	struct ientry got, *e;
	struct iread rd;
	struct key k;
	int rc;

	key_make(&k, kb, klen);
	e = index_find_quiet(&kv->index, &k);
	rc = index_find_racy(&kv->index, &k, &got, &rd);
	if (rc != (e != NULL))
		T_FAIL("key \"%.*s\" (%zu bytes): racy find %d, locked find %s",
		       (int)klen, (const char *)kb, klen, rc,
		       e ? "found" : "absent");
	if (e && (got.off != e->off || got.count != e->count ||
		  got.seg != e->seg))
		T_FAIL("key \"%.*s\": racy entry differs", (int)klen,
		       (const char *)kb);
	return e != NULL;
}

int main(void)
{
	uint8_t kb[64], v[4096], out[64];
	struct pmkv *kv;
	struct ientry *e, got;
	uint64_t saved, limit, inside;
	char path[512];
	struct key k;
	size_t klen, vlen;
	unsigned i;
	struct index_shape shape;
	struct iread rd;
	uint64_t absent = 0;

	t_seed();
	t_pool_tmp(path, sizeof(path), "lockless");
	kv = t_pool_create(path, 64ULL << 20);
	for (i = 0; i < N; i++) {
		klen = key_of(i, kb);
		memset(v, (int)i, 32);
		if (pmkv_put(kv, kb, klen, v, 32) == 0)
			continue;
		T_FAIL("put %u: %s", i, pmkv_errormsg());
	}
	index_shape(&kv->index, &shape);
	T_ASSERT(shape.height >= 2);

	/* 1. quiet trees: the same answers, present and absent */
	for (i = 0; i < N; i++) {
		klen = key_of(i, kb);
		if (!same_answer(kv, kb, klen))
			T_FAIL("key %u not found", i);
		kb[klen] = 0;	/* one byte longer */
		absent += !same_answer(kv, kb, klen + 1);
		kb[klen - 1]++;	/* a neighbour, if not another key */
		absent += !same_answer(kv, kb, klen);
		if (klen > 1)	/* one shorter */
			absent += !same_answer(kv, kb, klen - 1);
	}
	/* most probes fall between keys, and those were compared too */
	T_ASSERT(absent > 2 * N);

	/* 2. entries a torn read could make: refused, nothing read */
	memset(v, 0xff, sizeof(v));	/* a key length of 0xffffffff inside */
	T_ASSERT_OK(pmkv_put(kv, "long-value", 10, v, sizeof(v)));
	key_make(&k, "long-value", 10);
	e = index_find_quiet(&kv->index, &k);
	T_ASSERT(e != NULL);
	inside = IE_OFF(e) + sizeof(struct pmkv_record) + 16 + 1024;
	klen = key_of(4242, kb);
	key_make(&k, kb, klen);
	e = index_find_quiet(&kv->index, &k);
	T_ASSERT(e != NULL);
	saved = e->off;
	limit = kv->index.limit;
	{
		const uint64_t bad[] = { limit, limit - 8, limit + 4096,
					 UINT64_MAX - 7, 0, 8, saved + 5, saved + 4,
					 inside };

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			e->off = bad[i];
			T_ASSERT_EQ(index_find_racy(&kv->index, &k, &got, &rd),
				    RACY_BAD);
		}
	}
	e->off = saved;
	T_ASSERT(same_answer(kv, kb, klen));

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	for (i = 0; i < N; i += 7) {
		klen = key_of(i, kb);
		T_ASSERT_OK(pmkv_get(kv, kb, klen, out, sizeof(out), &vlen));
	}
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
