/* SPDX-License-Identifier: BSD-3-Clause */
/* floor.h -- the hardware floor: what no durable put or get can avoid */
#ifndef PMKV_CLI_FLOOR_H
#define PMKV_CLI_FLOOR_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Two primitives, measured on one thread before the workloads:
 * (a) persist: one record (key + value + pmkv's 40-byte record header)
 *     copied into a libpmem mapping of a scratch file in the pool's
 *     directory and made durable: pmem_memcpy_persist() where libpmem
 *     says pmem (PMEM_IS_PMEM_FORCE included), memcpy + pmem_msync()
 *     elsewhere; appended one after another as a log does;
 * (b) miss: one dependent load from a random cache line of a buffer much
 *     larger than the last-level cache (a pointer chase along one random
 *     cycle through a random line of every 512 bytes), on huge pages where
 *     the kernel gives them, as an index lookup that misses pays.
 * A durable write costs at least (a) + (b), a read at least (b). Each is
 * the median of FLOOR_ROUNDS rounds' means, so one preempted round does
 * not move it.
 */
#define FLOOR_ROUNDS 9

struct bench_floor {
	uint64_t record_bytes;	/* bytes of each persist */
	bool has_persist;	/* (a) was measured */
	char persist_skip[128];	/* why not */
	char scratch[PATH_MAX];
	bool is_pmem, pmem_forced;	/* of the scratch mapping */
	double persist_ns;
	uint64_t persist_ops;
	uint64_t chase_bytes;
	double miss_ns;
	uint64_t hops;
	char thp[32];		/* transparent huge pages: the mode in use */
	uint64_t huge_bytes;	/* of the chase buffer, on huge pages */
};

/*
 * floor_measure -- measure both into *f
 *
 * [in] dir: where the scratch file goes; NULL skips (a) (a device).
 * Returns 0, or -errno with msg set (no memory for the buffer, the
 * scratch file cannot be made).
 */
int floor_measure(struct bench_floor *f, const char *dir,
		  uint64_t record_bytes, uint64_t chase_bytes, char *msg,
		  size_t msglen);

/* the floor of an op with reads random reads and writes durable writes */
double floor_ns(const struct bench_floor *f, double reads, double writes);

#endif /* PMKV_CLI_FLOOR_H */
