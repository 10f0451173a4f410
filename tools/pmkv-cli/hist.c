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

/* the smallest value that hist_index() puts into bucket i */
static uint64_t bucket_bottom(unsigned i)
{
	return i ? bucket_top(i - 1) + 1 : 0;
}

unsigned hist_rows(const struct hist *h, struct hist_row *rows)
{
	unsigned n = 0, i = 0;

	while (i < HIST_BUCKETS) {
		/* HIST_SUB is a multiple of 8: a row never spans two powers */
		unsigned end = i < HIST_SUB ? HIST_SUB : i + 8;
		uint64_t c = 0;

		for (unsigned j = i; j < end; j++)
			c += h->bucket[j];
		if (c) {
			rows[n].lo = bucket_bottom(i);
			rows[n].hi = bucket_top(end - 1);
			rows[n].count = c;
			n++;
		}
		i = end;
	}
	return n;
}
