// SPDX-License-Identifier: BSD-3-Clause
/* zipf.c -- YCSB's zipfian generator, with zeta(n) that scales to 2^64 */
#include <math.h>

#include "zipf.h"

/* exact terms of zeta(n): 1M pow() calls, ~20 ms, once per benchmark */
#define ZIPF_EXACT 1000000ULL

/* sum of i^-theta for i in (a, b], b > a >= 1, by Euler-Maclaurin */
static double tail(double a, double b, double theta)
{
	double e = 1.0 - theta;

	return (pow(b, e) - pow(a, e)) / e +
	       (pow(b, -theta) - pow(a, -theta)) / 2.0 +
	       theta / 12.0 * (pow(a, -theta - 1) - pow(b, -theta - 1));
}

/* sum of i^-theta for i in (from, to] */
static double zeta_add(uint64_t from, uint64_t to, double theta)
{
	double s = 0;
	uint64_t i = from + 1;

	for (; i <= to && i <= ZIPF_EXACT; i++)
		s += pow((double)i, -theta);
	if (to >= i)
		s += tail((double)(i - 1), (double)to, theta);
	return s;
}

static void derive(struct zipf *z)
{
	z->eta = (1.0 - pow(2.0 / (double)z->n, 1.0 - z->theta)) /
		 (1.0 - z->zeta2 / z->zetan);
}

void zipf_init(struct zipf *z, uint64_t n, double theta)
{
	z->n = n ? n : 1;
	z->theta = theta;
	z->alpha = 1.0 / (1.0 - theta);
	z->zeta2 = zeta_add(0, 2, theta);
	z->zetan = zeta_add(0, z->n, theta);
	z->half_pow_theta = 1.0 + pow(0.5, theta);
	derive(z);
}

void zipf_grow(struct zipf *z, uint64_t n)
{
	if (n <= z->n)
		return;
	z->zetan += zeta_add(z->n, n, z->theta);
	z->n = n;
	derive(z);
}

uint64_t zipf_next(const struct zipf *z, double u)
{
	double uz = u * z->zetan;
	uint64_t r;

	if (uz < 1.0)
		return 0;
	if (uz < z->half_pow_theta)
		return z->n > 1;
	r = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0,
					  z->alpha));
	return r < z->n ? r : z->n - 1;
}
