// SPDX-License-Identifier: BSD-3-Clause
/* hist-percentiles.c -- hist_percentile() at its edges and on known data */
/*
 * Proves, for tools/pmkv-cli/hist.c:
 *   - an empty histogram answers 0 for every q;
 *   - one sample is every percentile of itself, from 0 to UINT64_MAX;
 *   - p0 is the smallest value, p100 the largest, and no percentile is
 *     outside them;
 *   - a percentile is the upper edge of the bucket that holds the
 *     ceil(q * n)-th smallest value (not the floor, nor the nearest):
 *     exact below 32, and from 32 on the value with its low bits set,
 *     where a bucket of [2^k, 2^(k+1)) is 2^(k-5) wide; checked around
 *     every power of two up to 2^63, at hand-computed points, on 1..10,
 *     on 1..1000 and on random samples;
 *   - a bucket is at most 1/32 of its values wide, so a percentile is
 *     never above its exact value by more than 1/32 of it.
 * The expected edges come from that description, not from hist.c's index
 * arithmetic.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "t.h"
#include "hist.h"

/* the largest value sharing v's bucket, from the description in hist.h */
static uint64_t edge(uint64_t v)
{
	unsigned k;

	if (v < 32)
		return v;
	k = 63U - (unsigned)__builtin_clzll(v);
	return v | ((UINT64_C(1) << (k - 5)) - 1);
}

static void check(const struct hist *h, double q, uint64_t want,
		  const char *set)
{
	uint64_t got = hist_percentile(h, q);

	if (got != want)
		T_FAIL("%s: percentile %g is %" PRIu64 ", expected %" PRIu64,
		       set, q, got, want);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * What hist_percentile() should answer for sorted samples s[0..n-1] at a
 * q whose rank ceil(q * n) is rank: the edge of that sample, clamped to
 * the largest value seen.
 */
static uint64_t expect(const uint64_t *s, size_t n, uint64_t rank)
{
	uint64_t e;

	if (rank < 1)
		rank = 1;
	e = edge(s[rank - 1]);
	return e > s[n - 1] ? s[n - 1] : e;
}

static void empty(void)
{
	struct hist h;

	hist_init(&h);
	T_ASSERT_EQ(h.count, 0);
	check(&h, 0, 0, "empty");
	check(&h, 0.5, 0, "empty");
	check(&h, 0.99, 0, "empty");
	check(&h, 1, 0, "empty");
}

static void one_sample(void)
{
	static const uint64_t vals[] = {
		0, 1, 31, 32, 33, 63, 64, 65, 1000, UINT64_C(1) << 32,
		(UINT64_C(1) << 63) - 1, UINT64_C(1) << 63, UINT64_MAX - 1,
		UINT64_MAX,
	};
	static const double qs[] = { 0, 1e-9, 0.5, 0.99, 0.999, 1 };
	struct hist h;
	char set[64];

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		hist_init(&h);
		hist_add(&h, vals[i]);
		snprintf(set, sizeof(set), "one sample %" PRIu64, vals[i]);
		for (size_t j = 0; j < sizeof(qs) / sizeof(qs[0]); j++)
			check(&h, qs[j], vals[i], set);
	}
}

/*
 * v and UINT64_MAX: p50 is v's bucket edge, with the largest value far
 * away so that no clamp hides a wrong edge; p0 is v, p100 UINT64_MAX
 */
static void edge_of(uint64_t v, uint64_t want)
{
	struct hist h;
	char set[64];

	hist_init(&h);
	hist_add(&h, v);
	hist_add(&h, UINT64_MAX);
	snprintf(set, sizeof(set), "{%" PRIu64 ", UINT64_MAX}", v);
	check(&h, 0, v, set);
	check(&h, 0.5, want, set);
	check(&h, 1, UINT64_MAX, set);
}

static void boundaries(void)
{
	/* worked by hand: 64..65 share a bucket, 1000..1007, and so on */
	edge_of(31, 31);
	edge_of(32, 32);
	edge_of(63, 63);
	edge_of(64, 65);
	edge_of(65, 65);
	edge_of(66, 67);
	edge_of(127, 127);
	edge_of(128, 131);
	edge_of(1000, 1007);
	edge_of(1U << 20, (1U << 20) + (1U << 15) - 1);
	edge_of(UINT64_C(1) << 63,
		(UINT64_C(1) << 63) + (UINT64_C(1) << 58) - 1);
	/* the top bucket's edge is UINT64_MAX itself: no overflow */
	edge_of(UINT64_MAX - (UINT64_C(1) << 58) + 1, UINT64_MAX);
	edge_of(UINT64_MAX - 1, UINT64_MAX);

	for (unsigned k = 5; k < 64; k++) {
		uint64_t p = UINT64_C(1) << k, w = UINT64_C(1) << (k - 5);

		/* the last value below 2^k, then the first bucket of 2^k */
		edge_of(p - 1, p - 1);
		edge_of(p, p + w - 1);
		if (w > 1)	/* below 64, every value has its own bucket */
			edge_of(p + 1, p + w - 1);
		edge_of(p + w - 1, p + w - 1);
		/* the second bucket, and the last, which ends at 2^(k+1) - 1 */
		edge_of(p + w, p + 2 * w - 1);
		edge_of(p + (p - 1), p + (p - 1));
	}
}

/* 1..10, all exact: the rank is ceil(q * n), neither floor nor round */
static void ranks(void)
{
	struct hist h;

	hist_init(&h);
	for (uint64_t v = 1; v <= 10; v++)
		hist_add(&h, v);
	check(&h, 0.1, 1, "1..10");
	check(&h, 0.11, 2, "1..10");
	check(&h, 0.25, 3, "1..10");
	check(&h, 0.5, 5, "1..10");
	check(&h, 0.5 + 1e-9, 6, "1..10");
	check(&h, 0.95, 10, "1..10");
}

/* 1..1000: rank q * 1000, which is whole for each q here */
static void one_to_thousand(void)
{
	struct hist h;

	hist_init(&h);
	for (uint64_t v = 1000; v >= 1; v--)
		hist_add(&h, v);
	check(&h, 0, 1, "1..1000");
	check(&h, 0.001, 1, "1..1000");
	check(&h, 0.031, 31, "1..1000");
	check(&h, 0.25, 251, "1..1000");	/* 250 is in 248..251 */
	check(&h, 0.5, 503, "1..1000");		/* 500 in 496..503 */
	check(&h, 0.99, 991, "1..1000");	/* 990 in 976..991 */
	check(&h, 0.999, 1000, "1..1000");	/* 999's edge 1007 > max */
	check(&h, 1, 1000, "1..1000");
}

/* random values over all magnitudes, against the sorted samples */
static void random_samples(void)
{
	static const struct {
		double q;
		uint64_t num, den;	/* rank = ceil(n * num / den) */
	} qs[] = {
		{ 0.25, 1, 4 }, { 0.5, 1, 2 }, { 0.75, 3, 4 }, { 0.9, 9, 10 },
		{ 0.99, 99, 100 }, { 0.999, 999, 1000 }, { 1, 1, 1 },
	};
	/*
	 * A prime: n * q is never a whole number, where q's rounding to a
	 * double (0.9 is a little above 9/10) could move ceil() by one.
	 */
	const size_t n = 10007;
	uint64_t *s = calloc(n, sizeof(*s));
	struct hist h;

	if (!s)
		t_error("out of memory");
	hist_init(&h);
	for (size_t i = 0; i < n; i++) {
		s[i] = t_rand() >> t_rand_below(64);
		hist_add(&h, s[i]);
	}
	qsort(s, n, sizeof(*s), cmp_u64);
	check(&h, 0, s[0], "random");
	for (size_t j = 0; j < sizeof(qs) / sizeof(qs[0]); j++) {
		uint64_t rank = (n * qs[j].num + qs[j].den - 1) / qs[j].den;
		uint64_t got = hist_percentile(&h, qs[j].q);
		uint64_t exact = s[rank - 1];

		check(&h, qs[j].q, expect(s, n, rank), "random");
		/* hist.h's promise: at most 1/32 above the exact value */
		T_ASSERT(got >= exact && got - exact <= exact / 32);
	}
	free(s);
}

int main(void)
{
	empty();
	one_sample();
	boundaries();
	ranks();
	one_to_thousand();
	random_samples();
	return T_EXIT_PASS;
}
