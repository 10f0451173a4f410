// SPDX-License-Identifier: BSD-3-Clause
/* hist-merge.c -- merged per-thread histograms equal one of all samples */
/*
 * Proves, for tools/pmkv-cli/hist.c, as bench merges its threads':
 *   - samples split at random between two histograms and merged give the
 *     same count, minimum, maximum, buckets and percentiles as all the
 *     samples recorded into one, including values in the top bucket;
 *   - merging into a fresh histogram copies the source, and merging an
 *     empty one changes nothing: its minimum of UINT64_MAX (nothing seen)
 *     does not become a value;
 *   - merging is order-free: a into b equals b into a.
 */
#include <inttypes.h>

#include "t.h"
#include "hist.h"

static const double qs[] = {
	0, 1e-6, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1,
};

static void same(const struct hist *got, const struct hist *want,
		 const char *what)
{
	if (got->count != want->count || got->min != want->min ||
	    got->max != want->max)
		T_FAIL("%s: count %" PRIu64 " min %" PRIu64 " max %" PRIu64
		       ", expected %" PRIu64 " %" PRIu64 " %" PRIu64, what,
		       got->count, got->min, got->max, want->count,
		       want->min, want->max);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (got->bucket[i] != want->bucket[i])
			T_FAIL("%s: bucket %u holds %" PRIu64 ", expected %"
			       PRIu64, what, i, got->bucket[i],
			       want->bucket[i]);
	for (size_t j = 0; j < sizeof(qs) / sizeof(qs[0]); j++) {
		uint64_t g = hist_percentile(got, qs[j]);
		uint64_t w = hist_percentile(want, qs[j]);

		if (g != w)
			T_FAIL("%s: percentile %g is %" PRIu64
			       ", expected %" PRIu64, what, qs[j], g, w);
	}
}

int main(void)
{
	static struct hist all, a, b, m, empty, fresh;
	const unsigned n = 100000;

	hist_init(&all);
	hist_init(&a);
	hist_init(&b);
	hist_init(&empty);
	for (unsigned i = 0; i < n; i++) {
		/* every magnitude, and the extremes now and then */
		uint64_t v = t_rand() >> t_rand_below(64);

		if (i % 997 == 0)
			v = i % 2 ? UINT64_MAX : 0;
		hist_add(&all, v);
		/* b gets the small share, as a thread that started late */
		hist_add(t_rand_below(10) ? &a : &b, v);
	}
	T_ASSERT(a.count && b.count);

	m = a;
	hist_merge(&m, &b);
	same(&m, &all, "a + b");
	m = b;
	hist_merge(&m, &a);
	same(&m, &all, "b + a");

	/* a fresh destination, as bench's merged histogram starts */
	hist_init(&fresh);
	hist_merge(&fresh, &a);
	same(&fresh, &a, "fresh + a");
	hist_merge(&fresh, &b);
	same(&fresh, &all, "fresh + a + b");

	/* an empty source changes nothing, its minimum least of all */
	m = b;
	hist_merge(&m, &empty);
	same(&m, &b, "b + empty");
	m = empty;
	hist_merge(&m, &empty);
	same(&m, &empty, "empty + empty");
	T_ASSERT(m.min == UINT64_MAX && m.max == 0 && m.count == 0);
	return T_EXIT_PASS;
}
