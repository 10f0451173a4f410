/* SPDX-License-Identifier: BSD-3-Clause */
/* batch.c -- a crash during a batch of 1, 10 or 100 operations */
/*
 * Invariant: a batch whose commit returned 0 survives a power failure at
 * any persistence point after it; a batch in flight is applied whole or
 * not at all (the oracle compares every key against the whole state
 * before and the whole state after, so half a batch is a violation). The
 * batches mix new keys, overwrites and deletes of every size; batch-10
 * holds a 262144-byte value, which makes it larger than a segment, and an
 * operation replaced by a later one on the same key.
 */
#include "t.h"
#include "harness.h"

#define NSIZES 6
static const uint32_t sizes[NSIZES] = { 0, 1, 8, 63, 64, 4096 };

static void prefill(struct cw *w, uint32_t n)
{
	cw_phase_setup(w, true);
	for (uint32_t k = 0; k < n; k++)
		cw_put(w, k, sizes[k % NSIZES]);
	cw_phase_setup(w, false);
}

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash during batch commits");
	cw_opts_parse(&o, argc, argv);

	cw_init(&w, "batch-1", 16ULL << 20, 64);
	prefill(&w, 30);
	cw_batch_begin(&w);
	cw_batch_put(&w, 40, 64);
	cw_batch_end(&w);
	cw_batch_begin(&w);
	cw_batch_del(&w, 5);
	cw_batch_end(&w);
	cw_batch_begin(&w);
	cw_batch_put(&w, 7, 4096);
	cw_batch_end(&w);
	cw_run(&w, &o);
	cw_free(&w);

	cw_init(&w, "batch-10", 16ULL << 20, 64);
	prefill(&w, 30);
	cw_batch_begin(&w);
	for (uint32_t i = 0; i < 6; i++)
		cw_batch_put(&w, 40 + i, sizes[i]);
	cw_batch_put(&w, 1, 63);		/* overwrites */
	cw_batch_put(&w, 2, 4096);
	cw_batch_del(&w, 3);		/* a delete */
	cw_batch_put(&w, 41, 8);		/* replaces the put of key 41 */
	cw_batch_end(&w);
	cw_batch_begin(&w);
	for (uint32_t i = 0; i < 8; i++)
		cw_batch_put(&w, 50 + i, sizes[i % NSIZES]);
	cw_batch_put(&w, 4, 262144);	/* larger than a segment */
	cw_batch_del(&w, 40);
	cw_batch_end(&w);
	cw_run(&w, &o);
	cw_free(&w);

	cw_init(&w, "batch-100", 16ULL << 20, 160);
	prefill(&w, 60);
	cw_batch_begin(&w);
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t k = (i * 37) % 150;

		if (i % 10 == 9)
			cw_batch_del(&w, k);
		else
			cw_batch_put(&w, k, sizes[i % NSIZES]);
	}
	cw_batch_end(&w);
	cw_put(&w, 159, 100);	/* a put after it, in the same segment */
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
