// SPDX-License-Identifier: BSD-3-Clause
/* iter-reverse.c -- seek_last, seek_for_prev and prev, mixed with next */
/*
 * Proves, on 6000 keys (so that walks cross many index leaves):
 *   - on an empty pool, seek_last and seek_for_prev give -ENOENT; prev on
 *     a fresh iterator, of an empty pool or not, gives -ENOENT;
 *   - seek_last lands on the last key; prev walks every key in
 *     decreasing order with its value, then gives -ENOENT, and the
 *     iterator is on no key (prev and next give -ENOENT again);
 *   - seek_for_prev lands on a present key, on the greatest key below an
 *     absent one, on the last key for NULL and for a key past the last,
 *     and gives -ENOENT for a key before the first;
 *   - next then prev, and prev then next, come back to the same key at
 *     every position (so at every leaf edge); random runs of both
 *     directions agree with the model;
 *   - prev goes on from the current key after it was deleted, after the
 *     keys before it were deleted (a leaf's worth and more), and after
 *     the first key was deleted.
 * Keys are 9 bytes and come in groups of 4 that share their first 8;
 * key numbers are even, so every odd number is an absent key between two
 * present ones.
 */
#include <errno.h>

#include "t.h"

#define NNUM 12000U		/* key numbers 0 .. NNUM-1; the even ones are put */

/* a value names its key: the number, then filler */
static void val_of(unsigned n, uint8_t v[12])
{
	memcpy(v, &n, sizeof(n));
	memset(v + 4, (int)(n * 13u + 5u), 8);
}

static bool present[NNUM];

static void put_num(struct pmkv *kv, unsigned n)
{
	uint8_t k[T_KEY4_LEN], v[12];

	t_key4(n, k);
	val_of(n, v);
	T_ASSERT_OK(pmkv_put(kv, k, T_KEY4_LEN, v, sizeof(v)));
	present[n] = true;
}

static void del_num(struct pmkv *kv, unsigned n)
{
	uint8_t k[T_KEY4_LEN];

	t_key4(n, k);
	T_ASSERT_OK(pmkv_delete(kv, k, T_KEY4_LEN));
	present[n] = false;
}

/* the present key before n (-1: none) and after n (NNUM: none) */
static long before(long n)
{
	while (--n >= 0 && !present[n])
		;
	return n;
}

static long after(long n)
{
	while (++n < (long)NNUM && !present[n])
		;
	return n;
}

/* rc is what `what` returned, want the key number or -1 for -ENOENT */
static void expect(struct pmkv_iter *it, int rc, long want, const char *what,
		   long from)
{
	const void *p, *v;
	uint8_t wv[12];
	size_t len, vlen;
	long got;

	if (want < 0 || want >= (long)NNUM) {
		if (rc == -ENOENT)
			return;
		got = rc ? -1 : (pmkv_iter_key(it, &p, &len) ? -1 :
				 (long)t_key4_num(p, len));
		T_FAIL("%s from key %ld returned %d (key %ld), expected -ENOENT",
		       what, from, rc, got);
	}
	if (rc)
		T_FAIL("%s from key %ld returned %d (%s), expected key %ld",
		       what, from, rc, pmkv_strerror(rc), want);
	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	got = (long)t_key4_num(p, len);
	if (got != want)
		T_FAIL("%s from key %ld went to key %ld, expected key %ld",
		       what, from, got, want);
	T_ASSERT_OK(pmkv_iter_value(it, &v, &vlen));
	val_of((unsigned)want, wv);
	T_ASSERT_EQ(vlen, sizeof(wv));
	T_ASSERT_MEM_EQ(v, wv, sizeof(wv));
}

static void seek_for_prev_num(struct pmkv_iter *it, unsigned n, long want)
{
	uint8_t k[T_KEY4_LEN];

	t_key4(n, k);
	expect(it, pmkv_iter_seek_for_prev(it, k, T_KEY4_LEN), want,
	       "seek_for_prev", n);
}

static void seek_num(struct pmkv_iter *it, unsigned n, long want)
{
	uint8_t k[T_KEY4_LEN];

	t_key4(n, k);
	expect(it, pmkv_iter_seek(it, k, T_KEY4_LEN), want, "seek", n);
}

static void empty_pool(struct pmkv *kv)
{
	struct pmkv_iter *it;
	const void *p;
	size_t len;

	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek_last(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek_for_prev(it, NULL, 0), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek_for_prev(it, "a", 1), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_prev(NULL), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_seek_last(NULL), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_seek_for_prev(NULL, "a", 1), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_seek_for_prev(it, "a", 0), -EINVAL);
	{
		static uint8_t big[PMKV_KEY_MAX + 1];

		T_ASSERT_EQ(pmkv_iter_seek_for_prev(it, big, sizeof(big)),
			    -EINVAL);
	}
	pmkv_iter_free(&it);
}

/* seek_last, then prev to the beginning and past it */
static void walk_back(struct pmkv_iter *it)
{
	long n = before(NNUM), from = NNUM;
	const void *p;
	size_t len;
	int rc;

	rc = pmkv_iter_seek_last(it);
	while (n >= 0) {
		expect(it, rc, n, from == NNUM ? "seek_last" : "prev", from);
		from = n;
		n = before(n);
		rc = pmkv_iter_prev(it);
	}
	expect(it, rc, -1, "prev", from);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);
}

/* at every key: next, prev comes back; prev, next comes back */
static void turn_everywhere(struct pmkv_iter *it)
{
	for (long n = after(-1); n < (long)NNUM; n = after(n)) {
		seek_num(it, (unsigned)n, n);
		expect(it, pmkv_iter_next(it), after(n), "next", n);
		if (after(n) < (long)NNUM)
			expect(it, pmkv_iter_prev(it), n, "prev", after(n));
		else
			continue;	/* at the end: on no key */
		expect(it, pmkv_iter_prev(it), before(n), "prev", n);
		if (before(n) >= 0)
			expect(it, pmkv_iter_next(it), n, "next", before(n));
	}
}

/* runs of random length in random directions, against the model */
static void random_runs(struct pmkv_iter *it, unsigned runs)
{
	long n = before(NNUM);

	T_ASSERT_OK(pmkv_iter_seek_last(it));
	while (runs--) {
		bool fwd = t_rand() & 1;
		unsigned len = 1 + (unsigned)t_rand_below(700);

		while (len--) {
			long want = fwd ? after(n) : before(n);

			expect(it, fwd ? pmkv_iter_next(it) :
				   pmkv_iter_prev(it),
			       want, fwd ? "next" : "prev", n);
			if (want < 0 || want >= (long)NNUM) {
				/* off an end: start again at a present key */
				do
					n = (long)t_rand_below(NNUM);
				while (!present[n]);
				seek_num(it, (unsigned)n, n);
				break;
			}
			n = want;
		}
	}
}

static void seeks_for_prev(struct pmkv_iter *it)
{
	const long first = after(-1), last = before(NNUM);
	uint8_t k[T_KEY4_LEN + 1];

	for (unsigned r = 0; r < 2000; r++) {
		unsigned n = (unsigned)t_rand_below(NNUM);

		/* present (even) or absent (odd, or deleted) */
		seek_for_prev_num(it, n, present[n] ? (long)n : before(n));
	}
	seek_for_prev_num(it, (unsigned)first, first);
	seek_for_prev_num(it, (unsigned)last, last);
	expect(it, pmkv_iter_seek_for_prev(it, NULL, 0), last,
	       "seek_for_prev(NULL)", -1);
	/* after the last: one byte more than it, and past every group */
	t_key4((unsigned)last, k);
	k[T_KEY4_LEN] = 0;
	expect(it, pmkv_iter_seek_for_prev(it, k, T_KEY4_LEN + 1), last,
	       "seek_for_prev(last\\0)", last);
	expect(it, pmkv_iter_seek_for_prev(it, "\xff", 1), last,
	       "seek_for_prev(\\xff)", -1);
	/* before the first: a prefix of it, and one less in its last byte */
	t_key4((unsigned)first, k);
	expect(it, pmkv_iter_seek_for_prev(it, k, T_KEY4_LEN - 1), -1,
	       "seek_for_prev(first[0..8])", first);
	expect(it, pmkv_iter_seek_for_prev(it, "\0", 1), -1,
	       "seek_for_prev(\\0)", -1);
	/* from seek_for_prev, both directions */
	seek_for_prev_num(it, 2001, 2000);
	expect(it, pmkv_iter_prev(it), before(2000), "prev", 2000);
	seek_for_prev_num(it, 2001, 2000);
	expect(it, pmkv_iter_next(it), after(2000), "next", 2000);
}

/* prev and next go on from a key that is gone */
static void after_deletes(struct pmkv *kv, struct pmkv_iter *it)
{
	const void *p;
	size_t len;
	long n;

	/* the current key */
	seek_num(it, 5000, 5000);
	del_num(kv, 5000);
	expect(it, pmkv_iter_prev(it), 4998, "prev", 5000);
	expect(it, pmkv_iter_next(it), 5002, "next", 4998);

	/* the current key and the one before it */
	seek_num(it, 6000, 6000);
	del_num(kv, 6000);
	del_num(kv, 5998);
	expect(it, pmkv_iter_prev(it), 5996, "prev", 6000);

	/* the current key and 400 keys before it: whole leaves emptied */
	seek_num(it, 9000, 9000);
	for (n = 9000; n > 8200; n -= 2)
		del_num(kv, (unsigned)n);
	expect(it, pmkv_iter_prev(it), 8200, "prev", 9000);
	expect(it, pmkv_iter_next(it), 9002, "next", 8200);
	/* and 400 keys after one: next over them, then prev back */
	seek_num(it, 3000, 3000);
	for (n = 3002; n < 3802; n += 2)
		del_num(kv, (unsigned)n);
	expect(it, pmkv_iter_next(it), 3802, "next", 3000);
	expect(it, pmkv_iter_prev(it), 3000, "prev", 3802);

	/* the first key: nothing before it any more */
	n = after(-1);
	seek_num(it, (unsigned)n, n);
	del_num(kv, (unsigned)n);
	expect(it, pmkv_iter_prev(it), -1, "prev", n);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);

	/* the last key: seek_last finds the one before */
	n = before(NNUM);
	T_ASSERT_OK(pmkv_iter_seek_last(it));
	del_num(kv, (unsigned)n);
	expect(it, pmkv_iter_prev(it), before(n), "prev", n);
	expect(it, pmkv_iter_seek_last(it), before(n), "seek_last", -1);
	expect(it, pmkv_iter_next(it), -1, "next", before(n));
}

int main(void)
{
	struct pmkv_iter *it;
	const void *p;
	char path[512];
	struct pmkv *kv;
	size_t len;
	unsigned n;

	t_seed();
	t_pool_tmp(path, sizeof(path), "reverse");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	empty_pool(kv);

	/* from the last key down, so the order is the index's doing */
	for (n = NNUM; n-- > 0;)
		if (!(n & 1))
			put_num(kv, n);

	/* a fresh iterator is on no key */
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);

	walk_back(it);
	seeks_for_prev(it);
	turn_everywhere(it);
	random_runs(it, 200);
	after_deletes(kv, it);

	/* the model still agrees, from the last key and after a reopen */
	walk_back(it);
	turn_everywhere(it);
	pmkv_iter_free(&it);
	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	walk_back(it);
	seeks_for_prev(it);
	random_runs(it, 100);
	pmkv_iter_free(&it);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
