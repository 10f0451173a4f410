/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * transfer.h -- move bytes between memory and a file: io_uring, O_DIRECT
 *
 * The one I/O engine of backup, restore and verify. Memory is the pool's
 * own mapping (or an aligned buffer), so with O_DIRECT the device reads
 * from or writes into those pages itself: the kernel pins them (GUP) for
 * each request and the CPU copies nothing. The path is chosen once, at
 * xfer_open(), the fastest the kernel and the file allow.
 */
#ifndef PMKV_TRANSFER_H
#define PMKV_TRANSFER_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "libpmkv.h"

/* bytes one request moves at most */
#define XFER_CHUNK (1U << 20)
/* offsets, lengths and addresses of direct I/O are multiples of this */
#define XFER_ALIGN 4096U

/* the options of struct pmkv_transfer_config (transfer_config.c) */
struct pmkv_transfer_config {
	unsigned flags;		/* PMKV_T_* */
	unsigned depth;
	char *base;
	pmkv_progress_cb progress;
	void *progress_arg;
};
extern const struct pmkv_transfer_config transfer_config_default;

struct xfer_req;

struct xfer {
	const char *name;	/* the file, for messages */
	int fd;
	bool to_fd;		/* memory to the file (write), else read */
	enum pmkv_transfer_path path;
	struct io_uring ring;
	bool ring_up;
	struct iovec *reg;	/* registered buffers, by address */
	unsigned nreg;
	unsigned depth, inflight;
	struct xfer_req *reqs, *free_reqs;
	uint64_t bytes, bounce_bytes;
	uint64_t done, total;	/* for the progress callback */
	pmkv_progress_cb progress;
	void *progress_arg;
	int error;		/* the first failure, with its message set */
};

/*
 * Open the file for a transfer: O_DIRECT unless the config or the file
 * refuses it (statx's DIOALIGN asking for more than XFER_ALIGN, EINVAL at
 * open): then buffered. flags are open(2)'s, without O_DIRECT. -errno.
 */
int transfer_open_file(const char *path, int flags, mode_t mode,
		   const struct pmkv_transfer_config *tc, bool *direct);
/*
 * Start a transfer on fd. reg: the nreg ranges (any order, apart) that
 * the transfer moves, to register with io_uring for it; only they are
 * pinned, not the whole pool. NULL: none. total: bytes the progress
 * callback is told of. 0 or -errno (every path falls back rather than
 * fail).
 */
int transfer_start(struct xfer *x, const char *name, int fd, bool to_fd,
		   bool direct, const struct pmkv_transfer_config *tc,
		   const struct iovec *reg, unsigned nreg, uint64_t total);
/*
 * Move len bytes between mem and file offset off, in requests of up to
 * XFER_CHUNK; with direct I/O all three are XFER_ALIGN multiples. done(arg)
 * is called once every request of this call has completed (or failed).
 * Returns x->error: after a failure nothing more is submitted.
 */
int transfer_add(struct xfer *x, void *mem, uint64_t off, uint64_t len,
	     void (*done)(void *arg), void *arg);
/* wait for every request; x->error */
int transfer_wait(struct xfer *x);
/* wait, unregister, tear the ring down */
void transfer_end(struct xfer *x);

#endif /* PMKV_TRANSFER_H */
