/* SPDX-License-Identifier: BSD-3-Clause */
/* workload.h -- build the pool every trial damages a copy of */
#ifndef PMKV_DAMAGE_WORKLOAD_H
#define PMKV_DAMAGE_WORKLOAD_H

#include <stdint.h>

#include "model.h"

struct workload_info {
	uint64_t segments;	/* pmkv_get_stats() at the end */
	uint64_t segment_size;
	uint64_t gc_runs;
	uint32_t format_major;
};

/*
 * workload_build -- create a pool at path and fill it, public API only
 *
 * keys keys (every 17th index is never written, so absent keys sit between
 * present ones), then overwrites, deletes, batches and deletes undone;
 * values of 0 bytes up to past 64 KiB, random bytes. m gets the exact
 * expected contents. Returns 0, or the failing call's code with a
 * message on stderr.
 */
int workload_build(const char *path, uint64_t pool_size, unsigned keys,
		   uint64_t seed, struct model *m, struct workload_info *wi);

#endif /* PMKV_DAMAGE_WORKLOAD_H */
