// SPDX-License-Identifier: BSD-3-Clause
/* zipf-ranks.c -- zipf.c draws the ranks YCSB's ZipfianGenerator draws */
/*
 * The reference is YCSB's ZipfianGenerator (Gray et al.) with its theta,
 * 0.99. With u uniform in [0, 1) and zeta(n) the sum of 1/i^theta for
 * i = 1..n, it draws
 *   rank 0 when u * zeta(n) < 1,
 *   rank 1 when u * zeta(n) < 1 + 0.5^theta (that is, zeta(2)),
 *   else floor(n * (eta * u - eta + 1)^(1 / (1 - theta))), with
 *        eta = (1 - (2/n)^(1 - theta)) / (1 - zeta(2) / zeta(n)).
 * Solved for u, a rank of at least r >= 2 comes with probability
 *   T(r) = (1 - zeta(2)/zeta(n)) * (1 - (r/n)^(1-theta))
 *                                / (1 - (2/n)^(1-theta)).
 * Ranks 0 and 1 have Zipf's probabilities, 1/zeta(n) and
 * 2^-theta/zeta(n); from rank 2 on, Gray's generator departs from Zipf's
 * law (rank 2 comes about 18% too often), and this test expects YCSB's
 * generator, departure included. zeta(n) is summed here term by term.
 *
 * Proves, for n = 1, 2, 1000 and 1.5 million (beyond the million terms
 * zipf.c sums one by one), and for 1000 grown to 1.5 million:
 *   - z.zetan is zeta(n) to 1e-11;
 *   - u just below and just above the boundary of ranks r-1 and r give
 *     the ranks on either side, for every r of n = 1000 and, for 1.5
 *     million, for r up to 10, then 10% apart, and n/2; u just below 1
 *     gives n - 1;
 *   - a million draws from a fixed seed give ranks 0..10, and ranks of
 *     n/10 and n/2 or more, within 6 standard deviations of the counts
 *     T() predicts, and no rank of n or more.
 */
#include <inttypes.h>
#include <math.h>

#include "t.h"
#include "zipf.h"

/* YCSB's ZipfianGenerator.ZIPFIAN_CONSTANT */
#define THETA 0.99
/* 6 sigma is 2.6% of rank 2's count at n = 1000; Zipf's law is 17% off */
#define DRAWS 1000000
/* a relative step to either side of a boundary */
#define STEP 1e-9

/* zeta(n), smallest terms first, with Kahan's compensation */
static double zeta(uint64_t n)
{
	double s = 0, c = 0;

	for (uint64_t i = n; i >= 1; i--) {
		double y = pow((double)i, -THETA) - c;
		double t = s + y;

		c = (t - s) - y;
		s = t;
	}
	return s;
}

/* T(r): the probability of rank r or more, from the formula above */
static double tail(uint64_t n, double zn, uint64_t r)
{
	double z2 = 1 + pow(0.5, THETA), e = 1 - THETA;

	if (r == 0)
		return 1;
	if (r == 1)
		return n > 1 ? 1 - 1 / zn : 0;
	if (r >= n)
		return 0;
	return (1 - z2 / zn) * (1 - pow((double)r / (double)n, e)) /
	       (1 - pow(2.0 / (double)n, e));
}

/* the smallest u that draws rank r or more */
static double boundary(uint64_t n, double zn, uint64_t r)
{
	return 1 - tail(n, zn, r);
}

static void check_boundary(const struct zipf *z, double zn, uint64_t r,
			   const char *what)
{
	double b = boundary(z->n, zn, r);
	uint64_t below = zipf_next(z, b * (1 - STEP));
	uint64_t above = zipf_next(z, b * (1 + STEP));

	if (below != r - 1 || above != r)
		T_FAIL("%s: u = %.17g -+ %g draws %" PRIu64 " and %" PRIu64
		       ", expected %" PRIu64 " and %" PRIu64, what, b, STEP,
		       below, above, r - 1, r);
}

static void check_zeta(const struct zipf *z, double zn, const char *what)
{
	if (fabs(z->zetan / zn - 1) > 1e-11)
		T_FAIL("%s: zetan %.17g, summed here %.17g", what, z->zetan,
		       zn);
}

/* every boundary of a small n; of a large one, 1..10, then 1 in 10 */
static void boundaries(const struct zipf *z, double zn, const char *what)
{
	uint64_t top;

	for (uint64_t r = 1; r < z->n;
	     r += z->n <= 10000 || r < 10 ? 1 : r / 10)
		check_boundary(z, zn, r, what);
	if (z->n >= 8)
		check_boundary(z, zn, z->n / 2, what);
	top = zipf_next(z, nextafter(1.0, 0));
	if (top != z->n - 1)
		T_FAIL("%s: u just below 1 draws %" PRIu64 ", expected %"
		       PRIu64, what, top, z->n - 1);
}

/* splitmix64: a fixed sequence, so that the counts are the same each run */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void expect_count(uint64_t n, double p, uint64_t got, const char *what,
			 const char *rank)
{
	double want = DRAWS * p, sd = sqrt(DRAWS * p * (1 - p));

	t_info("%s: rank %s: %" PRIu64 " draws, expected %.0f (sd %.0f)",
	       what, rank, got, want, sd);
	if (fabs((double)got - want) > 6 * sd + 0.5)
		T_FAIL("%s (n %" PRIu64 "): rank %s drawn %" PRIu64
		       " times in %d, expected %.1f +- %.1f", what, n, rank,
		       got, DRAWS, want, 6 * sd);
}

static void frequencies(const struct zipf *z, double zn, const char *what)
{
	uint64_t count[11] = { 0 }, tail10 = 0, tail2 = 0, seed = 14;
	uint64_t n = z->n;
	char rank[32];

	for (unsigned i = 0; i < DRAWS; i++) {
		double u = (double)(next_u64(&seed) >> 11) * 0x1p-53;
		uint64_t r = zipf_next(z, u);

		if (r >= n)
			T_FAIL("%s: u = %.17g draws rank %" PRIu64
			       " of %" PRIu64, what, u, r, n);
		if (r <= 10)
			count[r]++;
		tail10 += r >= n / 10;
		tail2 += r >= n / 2;
	}
	for (uint64_t r = 0; r <= 10 && r < n; r++) {
		snprintf(rank, sizeof(rank), "%" PRIu64, r);
		expect_count(n, tail(n, zn, r) - tail(n, zn, r + 1), count[r],
			     what, rank);
	}
	if (n < 100)
		return;
	snprintf(rank, sizeof(rank), ">= %" PRIu64, n / 10);
	expect_count(n, tail(n, zn, n / 10), tail10, what, rank);
	snprintf(rank, sizeof(rank), ">= %" PRIu64, n / 2);
	expect_count(n, tail(n, zn, n / 2), tail2, what, rank);
}

/* returns zeta(n), for the grown generator to use again */
static double one(uint64_t n)
{
	struct zipf z;
	double zn = zeta(n);
	char what[64];

	snprintf(what, sizeof(what), "n %" PRIu64, n);
	zipf_init(&z, n, THETA);
	T_ASSERT_EQ(z.n, n);
	check_zeta(&z, zn, what);
	boundaries(&z, zn, what);
	frequencies(&z, zn, what);
	return zn;
}

int main(void)
{
	struct zipf z;
	double zn;

	/* bench draws with YCSB's constant */
	T_ASSERT(ZIPF_THETA == THETA);

	/* no items is one item, the only rank 0 */
	zipf_init(&z, 0, THETA);
	T_ASSERT_EQ(z.n, 1);
	T_ASSERT_EQ(zipf_next(&z, 0.999), 0);

	one(1);
	one(2);
	one(1000);
	zn = one(1500000);

	/* YCSB's "latest": the same generator, grown as keys arrive */
	zipf_init(&z, 1000, THETA);
	zipf_grow(&z, 1500000);
	T_ASSERT_EQ(z.n, 1500000);
	check_zeta(&z, zn, "1000 grown to 1500000");
	boundaries(&z, zn, "1000 grown to 1500000");
	/* a generator never shrinks */
	zipf_grow(&z, 2000);
	T_ASSERT_EQ(z.n, 1500000);
	return T_EXIT_PASS;
}
