// SPDX-License-Identifier: BSD-3-Clause
/* hist.c -- merging and percentiles of the log-linear latency histogram */
#include <math.h>
#include <string.h>

#include "hist.h"

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* the largest value that hist_index() puts into bucket i */
static uint64_t bucket_top(unsigned i)
{
	unsigned k, sub, shift;

	if (i < HIST_SUB)
		return i;
	k = i / HIST_SUB + HIST_SUB_BITS - 1;
	sub = i % HIST_SUB;
	shift = k - HIST_SUB_BITS;
	return (((uint64_t)(HIST_SUB + sub) << shift) - 1) +
	       ((uint64_t)1 << shift);
}

uint64_t hist_percentile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	/* the first bucket with ceil(q * count) counts at or below it */
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t top = bucket_top(i);

			if (top > h->max)
				top = h->max;
			if (top < h->min)
				top = h->min;
			return top;
		}
	}
	return h->max;
}
