/* SPDX-License-Identifier: BSD-3-Clause */
/* create.c -- a crash while a pool is created, and during its first open */
/*
 * Invariant: a crash while pmkv_open(PMKV_F_CREATE) makes a new pool
 * leaves a path that pmkv_open(PMKV_F_CREATE) turns into a sound, empty
 * pool (no repair tool, no other flag); a crash during the first open of
 * a new pool leaves it sound and empty. libpmemobj does nearly all the
 * writing here (pool header, lanes, heap, the root object that is pmkv's
 * superblock); pmkv adds the superblock's contents and the first segment
 * ids.
 */
#include "t.h"
#include "harness.h"

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash during pool creation and first open");
	cw_opts_parse(&o, argc, argv);

	cw_init(&w, "create", 16ULL << 20, 8);
	w.create = true;
	cw_phase_setup(&w, false);
	cw_put(&w, 1, 64);
	cw_run(&w, &o);
	cw_free(&w);

	cw_init(&w, "first-open", 16ULL << 20, 8);
	cw_phase_setup(&w, false);
	cw_put(&w, 1, 64);
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
