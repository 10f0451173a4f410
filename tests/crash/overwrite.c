/* SPDX-License-Identifier: BSD-3-Clause */
/* overwrite.c -- a crash during an overwrite: same size, smaller, larger */
/*
 * Invariant: an overwrite that returned 0 survives a power failure at any
 * persistence point after it; one in flight leaves the old value or the
 * new one, whole, and nothing else changes. The pool holds three keys of
 * each size (0, 1, 8, 63, 64, 4096, 262144 bytes); each workload
 * overwrites one key of each size with a value of the same size, of the
 * next smaller size, or of the next larger one.
 */
#include "t.h"
#include "harness.h"

#define NSIZES 7
static const uint32_t sizes[NSIZES] = { 0, 1, 8, 63, 64, 4096, 262144 };

/* key k holds sizes[k % NSIZES] after setup */
static void setup(struct cw *w)
{
	cw_phase_setup(w, true);
	for (uint32_t k = 0; k < 3 * NSIZES; k++)
		cw_put(w, k, sizes[k % NSIZES]);
	cw_phase_setup(w, false);
}

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash during overwrites");
	cw_opts_parse(&o, argc, argv);

	cw_init(&w, "overwrite-same", 16ULL << 20, 32);
	setup(&w);
	for (uint32_t i = 0; i < NSIZES; i++)
		cw_put(&w, NSIZES + i, sizes[i]);
	cw_run(&w, &o);
	cw_free(&w);

	cw_init(&w, "overwrite-smaller", 16ULL << 20, 32);
	setup(&w);
	for (uint32_t i = 1; i < NSIZES; i++)
		cw_put(&w, NSIZES + i, sizes[i - 1]);
	cw_run(&w, &o);
	cw_free(&w);

	cw_init(&w, "overwrite-larger", 16ULL << 20, 32);
	setup(&w);
	for (uint32_t i = 0; i + 1 < NSIZES; i++)
		cw_put(&w, NSIZES + i, sizes[i + 1]);
	/* and one key twice in a row */
	cw_put(&w, 2 * NSIZES, 64);
	cw_put(&w, 2 * NSIZES, 4096);
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
