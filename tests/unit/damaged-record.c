// SPDX-License-Identifier: BSD-3-Clause
/* damaged-record.c -- a record the medium changed is reported, never served */
/*
 * A record's bytes can change on the medium after its put returned (a
 * media error). Damaging one record of an open pool in place, this proves
 * for get, exists, scan and iterator:
 *   - a changed value byte: pmkv_get() says PMKV_E_CORRUPT with buf
 *     unchanged; pmkv_exists() still finds the key (it reads no value);
 *     pmkv_scan() and an iterator stop with PMKV_E_CORRUPT and never hand
 *     out the damaged key;
 *   - a value length changed to more than PMKV_VALUE_MAX, or to one that
 *     reaches past the end of the pool: the same, with messages that say
 *     so; not -ENOBUFS with a size to allocate, not a read past the pool
 *     (ASan and valgrind run this program);
 *   - a key length changed past PMKV_KEY_MAX: scans and iterators report
 *     PMKV_E_CORRUPT (a get cannot match the key any more: -ENOENT);
 *   - with the bytes put back, every call serves every key again: the
 *     damage cost nothing else.
 */
#include <errno.h>

#include "t.h"
#include "internal.h"
#include "record.h"

#define NKEYS 1000U
#define VICTIM 500U
#define VLEN 32U

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "key-%04u", i);
}

static void value_of(unsigned i, uint8_t *v)
{
	memset(v, (int)(i & 0xff), VLEN);
}

struct walk {
	unsigned n;
	bool saw_victim;
};

static int walk_cb(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct walk *w = arg;
	char want[16];

	(void)val;
	(void)vlen;
	if (klen == key_of(VICTIM, want) && !memcmp(key, want, klen))
		w->saw_victim = true;
	w->n++;
	return 0;
}

/* scan and iterate everything: 0 when whole, else the error */
static int read_all(struct pmkv *kv, struct walk *w)
{
	struct pmkv_iter *it;
	struct walk wi = { 0 };
	int rc, irc;

	memset(w, 0, sizeof(*w));
	rc = pmkv_scan(kv, NULL, 0, NULL, 0, walk_cb, w);
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	for (irc = pmkv_iter_seek(it, NULL, 0); irc == 0;
	     irc = pmkv_iter_next(it)) {
		const void *k, *v;
		size_t kl, vl;

		T_ASSERT_OK(pmkv_iter_key(it, &k, &kl));
		T_ASSERT_OK(pmkv_iter_value(it, &v, &vl));
		walk_cb(k, kl, v, vl, &wi);
	}
	pmkv_iter_free(&it);
	if (irc == -ENOENT)
		irc = 0;
	/* the scan and the iterator agree */
	T_ASSERT_EQ(irc, rc);
	if (!rc)
		T_ASSERT_EQ(wi.n, w->n);
	T_ASSERT(!wi.saw_victim || !irc);
	return rc;
}

static void expect_whole(struct pmkv *kv)
{
	uint8_t v[VLEN], want[VLEN];
	struct walk w;
	char k[16];
	size_t vlen;

	for (unsigned i = 0; i < NKEYS; i++) {
		size_t kl = key_of(i, k);

		T_ASSERT_OK(pmkv_get(kv, k, kl, v, sizeof(v), &vlen));
		value_of(i, want);
		T_ASSERT_EQ(vlen, VLEN);
		T_ASSERT_MEM_EQ(v, want, VLEN);
	}
	T_ASSERT_OK(read_all(kv, &w));
	T_ASSERT_EQ(w.n, NKEYS);
	T_ASSERT(w.saw_victim);
}

/* scans and iterators stop on the damage and never serve the victim */
static void expect_reads_refused(struct pmkv *kv, const char *why)
{
	struct walk w;

	T_EXPECT_ERR(read_all(kv, &w), PMKV_E_CORRUPT, why);
	T_ASSERT(!w.saw_victim);
	T_ASSERT(w.n < NKEYS);
}

int main(void)
{
	uint8_t v[VLEN], out[64], untouched[64];
	struct pmkv_record *r;
	struct ientry *e;
	struct pmkv *kv;
	char path[512], k[16];
	struct key key;
	uint32_t vf, kl0;
	size_t klen, vlen;

	t_seed();
	t_pool_tmp(path, sizeof(path), "damaged");
	kv = t_pool_create(path, 16ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++) {
		value_of(i, v);
		T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), v, VLEN));
	}
	expect_whole(kv);

	klen = key_of(VICTIM, k);
	key_make(&key, k, klen);
	e = index_find_quiet(&kv->index, &key);
	T_ASSERT(e != NULL);
	r = kv_ptr(kv, IE_OFF(e));
	memset(out, 0xa5, sizeof(out));
	memcpy(untouched, out, sizeof(out));

	/* a value byte */
	((uint8_t *)rec_val(r))[5] ^= 0x40;
	T_EXPECT_ERR(pmkv_get(kv, k, klen, out, sizeof(out), &vlen),
		     PMKV_E_CORRUPT, "checksum");
	T_ASSERT_MEM_EQ(out, untouched, sizeof(out));
	T_ASSERT_OK(pmkv_exists(kv, k, klen));
	expect_reads_refused(kv, "checksum");
	((uint8_t *)rec_val(r))[5] ^= 0x40;
	expect_whole(kv);

	/* a value length past PMKV_VALUE_MAX, then past the pool */
	vf = r->vlen_flags;
	r->vlen_flags = vf | PMKV_REC_VLEN_MASK;
	vlen = 0;
	T_EXPECT_ERR(pmkv_get(kv, k, klen, out, sizeof(out), &vlen),
		     PMKV_E_CORRUPT, "PMKV_VALUE_MAX");
	T_ASSERT_EQ(vlen, 0);
	T_ASSERT_MEM_EQ(out, untouched, sizeof(out));
	expect_reads_refused(kv, "limits");
	r->vlen_flags = (vf & ~PMKV_REC_VLEN_MASK) | (64U << 20);
	T_EXPECT_ERR(pmkv_get(kv, k, klen, out, sizeof(out), &vlen),
		     PMKV_E_CORRUPT, "end of the pool");
	T_ASSERT_MEM_EQ(out, untouched, sizeof(out));
	expect_reads_refused(kv, "pool");
	r->vlen_flags = vf;
	expect_whole(kv);

	/*
	 * a key length past PMKV_KEY_MAX: the key cannot be compared, so
	 * whether it is there cannot be said (not -ENOENT)
	 */
	kl0 = r->klen;
	r->klen = 0xffff0000U;
	T_EXPECT_ERR(pmkv_get(kv, k, klen, out, sizeof(out), &vlen),
		     PMKV_E_CORRUPT, "damaged");
	T_EXPECT_ERR(pmkv_exists(kv, k, klen), PMKV_E_CORRUPT, "damaged");
	expect_reads_refused(kv, "limits");
	r->klen = kl0;
	expect_whole(kv);

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	expect_whole(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
