/* SPDX-License-Identifier: BSD-3-Clause */
/* floor-io.h -- the transfer floor: direct I/O bandwidth of a directory */
#ifndef PMKV_CLI_FLOOR_IO_H
#define PMKV_CLI_FLOOR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What no backup to, or restore from, a directory can beat: a scratch
 * file there written sequentially with O_DIRECT from an anonymous,
 * page-aligned buffer (extending a new file, as a backup does, then
 * fdatasync), then read back with O_DIRECT, at the queue depth the
 * transfers use, in requests of FLOOR_IO_REQUEST bytes (pmkv's largest).
 * Through io_uring; where the kernel refuses io_uring, one pwrite/pread
 * at a time, as pmkv's sync-direct path does. Each figure is the median
 * of FLOOR_IO_ROUNDS rounds.
 */
#define FLOOR_IO_ROUNDS 3
#define FLOOR_IO_REQUEST (1U << 20)

struct bench_io_floor {
	bool measured;		/* else skip says why */
	char skip[192];
	bool uring;		/* io_uring; else pwrite/pread */
	char how[192];		/* what was used, and why for a fallback */
	unsigned depth;		/* requests in flight */
	uint64_t request;	/* bytes of each */
	uint64_t bytes;		/* of the scratch file */
	unsigned rounds;
	double write_gbps, read_gbps;	/* 10^9 bytes a second */
	/* CPU seconds (user + system) per 10^9 bytes, over the rounds */
	double write_cpu_s_per_gb, read_cpu_s_per_gb;
};

/*
 * floor_io_measure -- measure both into *f
 *
 * [in] dir: where the scratch file goes; it is unlinked at once.
 * [in] bytes: of the file, rounded up to FLOOR_IO_REQUEST.
 * Returns 0 (with f->measured false and f->skip set where the directory
 * refuses O_DIRECT), or -errno with msg set.
 */
int floor_io_measure(struct bench_io_floor *f, const char *dir,
		     uint64_t bytes, unsigned depth, char *msg, size_t msglen);

#endif /* PMKV_CLI_FLOOR_IO_H */
