/* SPDX-License-Identifier: BSD-3-Clause */
/* hist.h -- a log-linear latency histogram in nanoseconds */
#ifndef PMKV_CLI_HIST_H
#define PMKV_CLI_HIST_H

#include <stdint.h>

/*
 * Values below HIST_SUB are counted exactly. Above, every power of two
 * [2^k, 2^(k+1)) is split into HIST_SUB equal buckets, so a bucket is at
 * most 1/32 (3.1%) of its values wide: percentiles are that precise
 * whether an op takes 200 ns or 20 ms. 1920 buckets (15 KiB) cover all of
 * uint64_t, so no value is ever clipped.
 */
#define HIST_SUB_BITS 5
#define HIST_SUB (1U << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t min, max;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_init(struct hist *h);

static inline unsigned hist_index(uint64_t v)
{
	unsigned k;

	if (v < HIST_SUB)
		return (unsigned)v;
	k = 63U - (unsigned)__builtin_clzll(v);	/* k >= HIST_SUB_BITS */
	return (k - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned)((v >> (k - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* hist_add -- count one value; the hot path of every benchmark op */
static inline void hist_add(struct hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* hist_merge -- add src's counts to dst (per-thread histograms) */
void hist_merge(struct hist *dst, const struct hist *src);

/*
 * hist_percentile -- the value at or below which a fraction q (0..1) of
 * the counts lie: the upper edge of the bucket that holds it, never more
 * than the largest value seen. 0 for an empty histogram.
 */
uint64_t hist_percentile(const struct hist *h, double q);

/*
 * One row of a printed histogram: 8 of our buckets merged, 4 rows per
 * power of two (all values below HIST_SUB ns in the first), so a run's
 * histogram is tens of rows, not hundreds. [lo, hi] in ns, inclusive.
 */
struct hist_row {
	uint64_t lo, hi, count;
};

#define HIST_ROWS_MAX (HIST_BUCKETS / 8 + 1)

/* hist_rows -- the non-empty rows of h into rows; returns how many */
unsigned hist_rows(const struct hist *h, struct hist_row *rows);

#endif /* PMKV_CLI_HIST_H */
