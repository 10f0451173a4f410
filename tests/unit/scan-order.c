// SPDX-License-Identifier: BSD-3-Clause
/* scan-order.c -- pmkv_scan() visits keys in memcmp order, within bounds */
/*
 * Proves, against a sorted model of random keys (1..24 bytes, any byte
 * values, many sharing prefixes, some deleted):
 *   - a scan with NULL bounds returns every live key once, in strictly
 *     increasing memcmp order with a shorter key first on a common prefix,
 *     each with its own value;
 *   - [start, end) bounds, present in the pool or not, give exactly the
 *     model's slice; start == end gives nothing;
 *   - a callback returning nonzero stops the scan at once, and that value
 *     is what pmkv_scan() returns;
 *   - the callback may call pmkv_get() on the same handle.
 */
#include <errno.h>

#include "t.h"

#define NKEYS 3000U
#define KMAX 24U

struct k {
	uint8_t b[KMAX];
	size_t len;
	bool live;
};

static struct k keys[NKEYS];
static unsigned nkeys;

static int kcmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int kcmp_sort(const void *a, const void *b)
{
	const struct k *x = a, *y = b;

	return kcmp(x->b, x->len, y->b, y->len);
}

/* the value of a key: its bytes reversed, then its length */
static size_t val_of(const uint8_t *k, size_t klen, uint8_t *v)
{
	size_t i;

	for (i = 0; i < klen; i++)
		v[i] = k[klen - 1 - i];
	v[klen] = (uint8_t)klen;
	return klen + 1;
}

struct walk {
	struct pmkv *kv;
	unsigned next;		/* model index of the next expected key */
	unsigned end;		/* model index one past the last expected */
	unsigned calls;
	unsigned stop_after;	/* return 42 on this call (0: never) */
	uint8_t last[KMAX];
	size_t lastlen;
};

static unsigned next_live(unsigned i)
{
	while (i < nkeys && !keys[i].live)
		i++;
	return i;
}

static int walk_cb(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct walk *w = arg;
	uint8_t want[KMAX + 1], got[KMAX + 1];
	size_t wlen, glen;

	if (w->calls && kcmp(w->last, w->lastlen, key, klen) >= 0)
		T_FAIL("scan order: key %u not greater than the one before",
		       w->calls);
	T_ASSERT(klen <= KMAX);
	memcpy(w->last, key, klen);
	w->lastlen = klen;

	w->next = next_live(w->next);
	if (w->next >= w->end)
		T_FAIL("scan returned a key past the model's range (call %u)",
		       w->calls);
	T_ASSERT_EQ(klen, keys[w->next].len);
	T_ASSERT_MEM_EQ(key, keys[w->next].b, klen);
	wlen = val_of(key, klen, want);
	T_ASSERT_EQ(vlen, wlen);
	T_ASSERT_MEM_EQ(val, want, wlen);

	/* calling back into pmkv from the callback is allowed */
	T_ASSERT_OK(pmkv_get(w->kv, key, klen, got, sizeof(got), &glen));
	T_ASSERT_EQ(glen, wlen);

	w->next++;
	w->calls++;
	if (w->stop_after && w->calls == w->stop_after)
		return 42;
	return 0;
}

/* model index of the first key >= b (nkeys when none) */
static unsigned lower_bound(const uint8_t *b, size_t len)
{
	unsigned lo = 0, hi = nkeys, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (kcmp(keys[mid].b, keys[mid].len, b, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static unsigned live_between(unsigned from, unsigned to)
{
	unsigned n = 0;

	for (; from < to; from++)
		n += keys[from].live;
	return n;
}

static void scan_range(struct pmkv *kv, const uint8_t *s, size_t slen,
		       const uint8_t *e, size_t elen)
{
	struct walk w = { .kv = kv };
	unsigned from = s ? lower_bound(s, slen) : 0;
	unsigned to = e ? lower_bound(e, elen) : nkeys;

	if (to < from)
		to = from;
	w.next = from;
	w.end = to;
	T_ASSERT_OK(pmkv_scan(kv, s, slen, e, elen, walk_cb, &w));
	T_ASSERT_EQ(w.calls, live_between(from, to));
}

static void random_key(uint8_t *b, size_t *len)
{
	static const uint8_t alphabet[] = { 0x00, 0x01, 'a', 'b', 0x7f,
					    0x80, 0xfe, 0xff };
	size_t i;

	*len = 1 + t_rand_below(KMAX);
	for (i = 0; i < *len; i++)
		b[i] = (i < 8 && t_rand_below(4)) ?
		       alphabet[t_rand_below(sizeof(alphabet))] :
		       (uint8_t)t_rand();
}

int main(void)
{
	uint8_t v[KMAX + 1], b1[KMAX], b2[KMAX];
	struct walk w;
	struct pmkv *kv;
	size_t l1, l2, vlen;
	char path[512];
	unsigned i, j, n;

	t_pool_tmp(path, sizeof(path), "scan");
	kv = t_pool_create(path, PMKV_POOL_MIN);

	/* fixed keys for the prefix rule, then random ones */
	memcpy(keys[0].b, "a", 1); keys[0].len = 1;
	memcpy(keys[1].b, "a\0", 2); keys[1].len = 2;
	memcpy(keys[2].b, "ab", 2); keys[2].len = 2;
	memcpy(keys[3].b, "abc", 3); keys[3].len = 3;
	memcpy(keys[4].b, "\xff", 1); keys[4].len = 1;
	memcpy(keys[5].b, "\xff\xff", 2); keys[5].len = 2;
	memcpy(keys[6].b, "\0", 1); keys[6].len = 1;
	nkeys = 7;
	while (nkeys < NKEYS) {
		random_key(keys[nkeys].b, &keys[nkeys].len);
		/* half of them extend an earlier key: prefixes galore */
		if (t_rand_below(2)) {
			j = (unsigned)t_rand_below(nkeys);
			l1 = keys[j].len;
			if (l1 < KMAX) {
				memcpy(keys[nkeys].b, keys[j].b, l1);
				keys[nkeys].len = l1 + 1 +
					t_rand_below(KMAX - l1);
			}
		}
		nkeys++;
	}
	qsort(keys, nkeys, sizeof(keys[0]), kcmp_sort);
	/* drop duplicates */
	for (i = 1, j = 1; i < nkeys; i++)
		if (kcmp_sort(&keys[i], &keys[j - 1]))
			keys[j++] = keys[i];
	nkeys = j;

	/* insert in random order */
	for (i = 0; i < nkeys; i++) {
		j = (unsigned)t_rand_below(nkeys);
		if (keys[j].live)
			j = 0;
		while (keys[j].live)
			j++;
		vlen = val_of(keys[j].b, keys[j].len, v);
		T_ASSERT_OK(pmkv_put(kv, keys[j].b, keys[j].len, v, vlen));
		keys[j].live = true;
	}
	/* delete a tenth, and the fixed key "ab" */
	for (i = 0; i < nkeys; i++) {
		if (t_rand_below(10) == 0 ||
		    (keys[i].len == 2 && !memcmp(keys[i].b, "ab", 2))) {
			T_ASSERT_OK(pmkv_delete(kv, keys[i].b, keys[i].len));
			keys[i].live = false;
		}
	}
	t_info("%u keys, %u live", nkeys, live_between(0, nkeys));

	scan_range(kv, NULL, 0, NULL, 0);

	/* bounds taken from the model (present or deleted) and random */
	for (n = 0; n < 200; n++) {
		i = (unsigned)t_rand_below(nkeys);
		j = (unsigned)t_rand_below(nkeys);
		if (n % 2) {
			random_key(b1, &l1);
			random_key(b2, &l2);
		} else {
			l1 = keys[i].len;
			memcpy(b1, keys[i].b, l1);
			l2 = keys[j].len;
			memcpy(b2, keys[j].b, l2);
		}
		if (kcmp(b1, l1, b2, l2) > 0) {
			scan_range(kv, b2, l2, b1, l1);
		} else {
			scan_range(kv, b1, l1, b2, l2);
		}
		scan_range(kv, b1, l1, NULL, 0);
		scan_range(kv, NULL, 0, b2, l2);
	}
	/* the prefix rule at the bounds: ["a", "ab") holds "a" and "a\0" */
	scan_range(kv, (const uint8_t *)"a", 1, (const uint8_t *)"ab", 2);
	/* empty range */
	scan_range(kv, (const uint8_t *)"a", 1, (const uint8_t *)"a", 1);
	w = (struct walk){ .kv = kv };
	T_ASSERT_OK(pmkv_scan(kv, "a", 1, "a", 1, walk_cb, &w));
	T_ASSERT_EQ(w.calls, 0);

	/* the callback stops the scan, and its value comes back */
	w = (struct walk){ .kv = kv, .end = nkeys, .stop_after = 10 };
	T_ASSERT_EQ(pmkv_scan(kv, NULL, 0, NULL, 0, walk_cb, &w), 42);
	T_ASSERT_EQ(w.calls, 10);
	w = (struct walk){ .kv = kv, .end = nkeys, .stop_after = 1 };
	T_ASSERT_EQ(pmkv_scan(kv, NULL, 0, NULL, 0, walk_cb, &w), 42);
	T_ASSERT_EQ(w.calls, 1);

	/* the order is the same after recovery rebuilt the index */
	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	scan_range(kv, NULL, 0, NULL, 0);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
