/* SPDX-License-Identifier: BSD-3-Clause */
/* delete.c -- a crash during a delete, and during a put after it */
/*
 * Invariant: a delete that returned 0 survives a power failure at any
 * persistence point after it (the deleted value never comes back); one in
 * flight leaves the key whole or absent, and nothing else changes. The
 * pool holds keys of every size (0 to 262144 bytes); the workload deletes
 * one of each, deletes a key that is absent (no record is written), puts a
 * deleted key back and deletes it again.
 */
#include "t.h"
#include "harness.h"

#define NSIZES 7
static const uint32_t sizes[NSIZES] = { 0, 1, 8, 63, 64, 4096, 262144 };

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash during deletes");
	cw_opts_parse(&o, argc, argv);

	cw_init(&w, "delete", 16ULL << 20, 32);
	cw_phase_setup(&w, true);
	for (uint32_t k = 0; k < 2 * NSIZES; k++)
		cw_put(&w, k, sizes[k % NSIZES]);
	cw_phase_setup(&w, false);
	for (uint32_t i = 0; i < NSIZES; i++)
		cw_del(&w, i);
	cw_del(&w, 30);			/* never written */
	cw_put(&w, 3, 100);
	cw_del(&w, 3);
	cw_put(&w, 3, 4096);
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
