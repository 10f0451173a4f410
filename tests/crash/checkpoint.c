/* SPDX-License-Identifier: BSD-3-Clause */
/* checkpoint.c -- a crash while the index checkpoint is written or loaded */
/*
 * Invariant: whatever persistence point a power failure hits in a clean
 * close, which writes the index checkpoint and names it in the superblock,
 * or in the open after it, which loads the checkpoint and unnames it
 * before anything else is written, the next open finds every
 * acknowledged operation and nothing else: through the checkpoint when
 * it is whole and named, through the log otherwise. The pool starts from
 * a clean close (so the workload's own open loads a checkpoint) with
 * puts, overwrites and deletes of keys of every size; the workload adds
 * more of each, then closes, writing a new one. The image after that
 * close has its reopen, two puts and close crashed at every point.
 */
#include "t.h"
#include "harness.h"

static const uint32_t sizes[] = { 0, 1, 8, 63, 64, 4096 };

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash while the index checkpoint is written or loaded");
	cw_opts_parse(&o, argc, argv);

	cw_init(&w, "checkpoint", 16ULL << 20, 64);
	w.reopen_closed = true;
	cw_phase_setup(&w, true);
	for (uint32_t k = 0; k < 40; k++)
		cw_put(&w, k, sizes[k % 6]);
	for (uint32_t k = 0; k < 40; k += 4)
		cw_put(&w, k, sizes[(k + 1) % 6]);
	for (uint32_t k = 2; k < 40; k += 9)
		cw_del(&w, k);
	cw_phase_setup(&w, false);
	cw_put(&w, 41, 64);
	cw_put(&w, 3, 4096);
	cw_del(&w, 5);
	cw_batch_begin(&w);
	cw_batch_put(&w, 42, 8);
	cw_batch_del(&w, 6);
	cw_batch_end(&w);
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
