// SPDX-License-Identifier: BSD-3-Clause
/* iter-count.c -- pmkv_count() counts the live keys of a range */
/*
 * Proves, against a sorted model of the pool's keys:
 *   - on an empty pool every count is 0;
 *   - for random ranges [start, end), either end NULL, on keys or between
 *     them, the count is the model's and pmkv_scan()'s number of keys;
 *   - start >= end is an empty range: 0, not an error;
 *   - deleted keys are not counted, a key put many times counts once, a
 *     deleted key put again counts again; the whole pool's count is
 *     pmkv_get_stats()'s keys;
 *   - the same after a reopen, where the index is rebuilt from a log that
 *     holds tombstones and old versions;
 *   - -EINVAL for a NULL handle or count and for bound lengths of 0 or
 *     above PMKV_KEY_MAX, with *count unchanged.
 * Keys are random strings over 0x00, 0x01, 'a' and 0xff of 1 to 20 bytes:
 * many share 8-byte prefixes, are shorter than 8 bytes or hold 0 bytes.
 */
#include <errno.h>

#include "t.h"

#define KMAX 20
#define NKEYS 4000U
#define NRANGES 300U

struct key {
	size_t n;
	uint8_t b[KMAX + 1];	/* + 1: a probe just after a key */
	bool live;
};

static struct key *m;	/* sorted, distinct */
static size_t mn;

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return t_key_cmp(x->b, x->n, y->b, y->n);
}

static struct key rand_key(void)
{
	static const uint8_t alpha[] = { 0x00, 0x01, 'a', 0xff };
	struct key k = { .n = 1 + t_rand_below(KMAX) };

	for (size_t i = 0; i < k.n; i++)
		k.b[i] = alpha[t_rand() & 3];
	return k;
}

/* a bound: a key of the model, one just after or before it, or random */
static struct key rand_bound(void)
{
	struct key k;

	switch (t_rand() % 4) {
	case 0:
	case 1:
		return m[t_rand_below(mn)];
	case 2:
		k = m[t_rand_below(mn)];
		if (t_rand() & 1)
			k.b[k.n++] = 0;
		else if (k.n > 1)
			k.n--;
		return k;
	default:
		return rand_key();
	}
}

static uint64_t model_count(const struct key *s, const struct key *e)
{
	uint64_t c = 0;

	for (size_t i = 0; i < mn; i++)
		if (m[i].live && (!s || key_cmp(&m[i], s) >= 0) &&
		    (!e || key_cmp(&m[i], e) < 0))
			c++;
	return c;
}

static void put_val(struct pmkv *kv, struct key *k, unsigned version)
{
	uint8_t v[64];
	size_t vlen = (version * 7) % sizeof(v);

	memset(v, (int)version, vlen);
	T_ASSERT_OK(pmkv_put(kv, k->b, k->n, v, vlen));
	k->live = true;
}

static void check_range(struct pmkv *kv, const struct key *s,
			const struct key *e, bool scan_too)
{
	uint64_t got = UINT64_MAX, want = model_count(s, e);
	unsigned scanned = 0;

	T_ASSERT_OK(pmkv_count(kv, s ? s->b : NULL, s ? s->n : 0,
			       e ? e->b : NULL, e ? e->n : 0, &got));
	if (got != want)
		T_FAIL("count of [%s%zu bytes, %s%zu bytes) is %llu, the model "
		       "has %llu", s ? "" : "NULL ", s ? s->n : 0,
		       e ? "" : "NULL ", e ? e->n : 0,
		       (unsigned long long)got, (unsigned long long)want);
	if (!scan_too)
		return;
	T_ASSERT_OK(pmkv_scan(kv, s ? s->b : NULL, s ? s->n : 0,
			      e ? e->b : NULL, e ? e->n : 0, t_count_cb,
			      &scanned));
	T_ASSERT_EQ(scanned, want);
}

static void check_all(struct pmkv *kv, const char *when)
{
	struct pmkv_stats st;
	struct key s, e;
	uint64_t c, live = model_count(NULL, NULL);

	check_range(kv, NULL, NULL, true);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, live);

	for (unsigned r = 0; r < NRANGES; r++) {
		s = rand_bound();
		e = rand_bound();
		switch (r % 5) {
		case 0:
			check_range(kv, &s, NULL, r % 25 == 0);
			break;
		case 1:
			check_range(kv, NULL, &e, r % 25 == 1);
			break;
		case 2:	/* start >= end: empty, 0 */
			if (key_cmp(&s, &e) < 0)
				check_range(kv, &e, &s, false);
			check_range(kv, &s, &s, false);
			break;
		default:
			if (key_cmp(&s, &e) > 0)
				check_range(kv, &e, &s, r % 25 == 3);
			else
				check_range(kv, &s, &e, r % 25 == 3);
		}
	}
	/* every key's own range [k, k\0) holds it alone, if it is live */
	for (size_t i = 0; i < mn; i += 1 + t_rand_below(8)) {
		e = m[i];
		e.b[e.n++] = 0;
		T_ASSERT_OK(pmkv_count(kv, m[i].b, m[i].n, e.b, e.n, &c));
		T_ASSERT_EQ(c, m[i].live);
	}
	t_info("%s: %llu live keys of %zu", when, (unsigned long long)live,
	       mn);
}

static void bad_args(struct pmkv *kv)
{
	static uint8_t big[PMKV_KEY_MAX + 1];
	uint64_t c = 12345;

	T_ASSERT_EQ(pmkv_count(NULL, NULL, 0, NULL, 0, &c), -EINVAL);
	T_ASSERT_EQ(pmkv_count(kv, NULL, 0, NULL, 0, NULL), -EINVAL);
	T_ASSERT_EQ(pmkv_count(kv, "a", 0, NULL, 0, &c), -EINVAL);
	T_ASSERT_EQ(pmkv_count(kv, NULL, 0, "a", 0, &c), -EINVAL);
	T_ASSERT_EQ(pmkv_count(kv, big, sizeof(big), NULL, 0, &c), -EINVAL);
	T_ASSERT_EQ(pmkv_count(kv, NULL, 0, big, sizeof(big), &c), -EINVAL);
	T_ASSERT_EQ(pmkv_count(kv, "a", 1, big, sizeof(big), &c), -EINVAL);
	T_ASSERT_EQ(c, 12345);
	/* the longest bounds are fine; reversed ones are an empty range */
	T_ASSERT_OK(pmkv_count(kv, big, PMKV_KEY_MAX, NULL, 0, &c));
	T_ASSERT_OK(pmkv_count(kv, NULL, 0, big, PMKV_KEY_MAX, &c));
	T_ASSERT_OK(pmkv_count(kv, "b", 1, "a", 1, &c));
	T_ASSERT_EQ(c, 0);
	T_ASSERT_OK(pmkv_count(kv, "a", 1, "a", 1, &c));
	T_ASSERT_EQ(c, 0);
}

int main(void)
{
	char path[512];
	struct pmkv *kv;
	uint64_t c = 1;
	size_t i, j;

	t_seed();
	t_pool_tmp(path, sizeof(path), "count");
	kv = t_pool_create(path, 32ULL << 20);

	T_ASSERT_OK(pmkv_count(kv, NULL, 0, NULL, 0, &c));
	T_ASSERT_EQ(c, 0);
	T_ASSERT_OK(pmkv_count(kv, "a", 1, "b", 1, &c));
	T_ASSERT_EQ(c, 0);
	bad_args(kv);

	/* the model: distinct random keys, put in random order */
	m = calloc(NKEYS, sizeof(*m));
	if (!m)
		t_error("out of memory");
	for (i = 0; i < NKEYS; i++)
		m[i] = rand_key();
	qsort(m, NKEYS, sizeof(*m), key_cmp);
	for (i = j = 0; i < NKEYS; i++)
		if (!j || key_cmp(&m[j - 1], &m[i]))
			m[j++] = m[i];
	mn = j;
	for (i = mn; i > 1; i--) {	/* a shuffled order of puts */
		size_t r = t_rand_below(i);
		struct key t = m[i - 1];

		m[i - 1] = m[r];
		m[r] = t;
	}
	for (i = 0; i < mn; i++)
		put_val(kv, &m[i], 1);
	qsort(m, mn, sizeof(*m), key_cmp);
	check_all(kv, "after the puts");

	/* a third deleted, a third overwritten 3 times */
	for (i = 0; i < mn; i++) {
		switch (t_rand() % 3) {
		case 0:
			T_ASSERT_OK(pmkv_delete(kv, m[i].b, m[i].n));
			m[i].live = false;
			break;
		case 1:
			for (unsigned v = 2; v < 5; v++)
				put_val(kv, &m[i], v);
			break;
		}
	}
	check_all(kv, "after deletes and overwrites");

	/* some deleted keys come back, some live ones go */
	for (i = 0; i < mn; i++) {
		if (t_rand() % 4)
			continue;
		if (m[i].live) {
			T_ASSERT_OK(pmkv_delete(kv, m[i].b, m[i].n));
			m[i].live = false;
		} else {
			put_val(kv, &m[i], 9);
		}
	}
	check_all(kv, "after more deletes and puts");

	/* rebuilt from the log: tombstones and old versions count nothing */
	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, PMKV_F_RDONLY);
	check_all(kv, "after a read-only reopen");
	bad_args(kv);
	T_ASSERT_OK(pmkv_close(&kv));

	free(m);
	return T_EXIT_PASS;
}
