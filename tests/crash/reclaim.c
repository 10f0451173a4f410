/* SPDX-License-Identifier: BSD-3-Clause */
/* reclaim.c -- a crash while reclamation copies, republishes and frees */
/*
 * Invariant: reclamation never loses an acknowledged value or brings a
 * deleted one back, whatever persistence point a power failure hits:
 * before the copies are durable, between them and the free of the victim
 * (both copies and originals on media), inside libpmemobj's free and the
 * allocation of a new reserve segment. A 16 MiB pool holding 1200 keys of
 * 4 KiB is churned with random overwrites and deletes until reclamation
 * has run; the workload is the churn from a reopen up to and just past the
 * next reclamation, which copies live records and tombstones forward.
 */
#include "t.h"
#include "harness.h"

int main(int argc, char **argv)
{
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "crash during space reclamation");
	cw_opts_parse(&o, argc, argv);
	cw_reclaim(&w, "reclaim", 1200);
	cw_run(&w, &o);
	cw_free(&w);
	return cw_end(&o);
}
