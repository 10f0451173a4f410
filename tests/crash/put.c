/* SPDX-License-Identifier: BSD-3-Clause */
/* put.c -- a crash during a put of a new key */
/*
 * Invariant: a put that returned 0 survives a power failure at any
 * persistence point after it; a put in flight is whole or absent, and
 * nothing else changes. On a pool holding 40 keys of every size, new keys
 * get values of 0, 1, 8, 63, 64, 4096 and 262144 bytes (the last larger
 * than a segment: a segment of its own, allocated by libpmemobj inside the
 * put). Crashes are simulated before every fence of pmkv and of
 * libpmemobj, strict and with evictions, and during the reopen.
 */
#include "t.h"
#include "harness.h"

static const uint32_t sizes[] = { 0, 1, 8, 63, 64, 4096, 262144 };

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash during put of a new key");
	cw_opts_parse(&o, argc, argv);

	cw_init(&w, "put-new", 16ULL << 20, 64);
	cw_phase_setup(&w, true);
	for (uint32_t k = 0; k < 40; k++)
		cw_put(&w, k, sizes[k % 6]);
	cw_phase_setup(&w, false);
	for (uint32_t i = 0; i < 7; i++)
		cw_put(&w, 40 + i, sizes[i]);
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
