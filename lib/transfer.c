// SPDX-License-Identifier: BSD-3-Clause
/*
 * transfer.c -- move bytes between memory and a file: io_uring, O_DIRECT
 *
 * Paths, the fastest first, each a fallback of the one before:
 *   uring-fixed  io_uring, the pool mapping registered once for the whole
 *                transfer: the kernel pins its pages at registration and
 *                not per request. Kernels refuse it for fsdax and most
 *                file mappings (long-term pins) and beyond RLIMIT_MEMLOCK.
 *   uring        io_uring, O_DIRECT: pages pinned per request.
 *   sync-direct  pread/pwrite with O_DIRECT: io_uring_setup() failed
 *                (ENOSYS, EPERM: a sandbox, kernel.io_uring_disabled).
 *   buffered     the file refuses O_DIRECT (tmpfs), or the caller asked:
 *                the page cache is a bounce buffer, counted as such.
 * Registration is for one transfer only: a buffer registered while its
 * namespace is disabled oopses unfixed kernels (doc/kernel-suite.md, R3b).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#include "errormsg.h"
#include "invariant.h"
#include "log.h"
#include "transfer.h"

/* one registered buffer covers this much of the mapping (the kernel's cap) */
#define XFER_REG (1ULL << 30)
/* and at most this many of them (the kernel's IORING_MAX_REG_BUFFERS) */
#define XFER_REG_MAX 16384U

struct xfer_group {
	unsigned pending;	/* requests not completed, +1 while adding */
	void (*done)(void *arg);
	void *arg;
};

struct xfer_req {
	struct xfer_req *next;	/* on the free list */
	struct xfer_group *g;
	uint8_t *mem;
	uint64_t off, len;	/* what is left to move */
};

const struct pmkv_transfer_config transfer_config_default = {
	.depth = PMKV_QUEUE_DEPTH_DEFAULT,
};

/* whether direct I/O on fd works with XFER_ALIGN (statx, where known) */
static bool dio_fits(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) ||
	    !(stx.stx_mask & STATX_DIOALIGN))
		return true;	/* not reported (older kernels, devices) */
	return stx.stx_dio_offset_align &&
	       stx.stx_dio_offset_align <= XFER_ALIGN &&
	       stx.stx_dio_mem_align <= XFER_ALIGN;
}

int transfer_open_file(const char *path, int flags, mode_t mode,
		   const struct pmkv_transfer_config *tc, bool *direct)
{
	int fd = open(path, flags | O_CLOEXEC, mode), fl;

	*direct = false;
	if (fd < 0)
		return -errno;
	/* set after open: an O_CREAT open that EINVAL refuses still creates */
	fl = fcntl(fd, F_GETFL);
	if (!(tc->flags & PMKV_T_NO_DIRECT) && fl >= 0 && dio_fits(fd) &&
	    fcntl(fd, F_SETFL, fl | O_DIRECT) == 0)
		*direct = true;
	if (!*direct)
		log_info("%s: no direct I/O: %s", path,
			 tc->flags & PMKV_T_NO_DIRECT ? "PMKV_T_NO_DIRECT" :
			 "the file system refuses it");
	return fd;
}

static void progress(struct xfer *x, uint64_t n)
{
	x->done += n;
	if (x->progress && !x->error && x->progress(x->done, x->total,
						     x->progress_arg))
		x->error = pmkv_err(-ECANCELED, "%s: the progress callback stopped the transfer",
				    x->name);
}

static void fail(struct xfer *x, int err, const struct xfer_req *r)
{
	if (!x->error)
		x->error = pmkv_err(err, "%s: %s %llu bytes at %llu: %s", x->name,
				    x->to_fd ? "writing" : "reading",
				    (unsigned long long)r->len,
				    (unsigned long long)r->off, strerror(-err));
}

static void group_put(struct xfer_group *g)
{
	if (--g->pending == 0) {
		if (g->done)
			g->done(g->arg);
		free(g);
	}
}

static int iov_cmp(const void *a, const void *b)
{
	const struct iovec *x = a, *y = b;

	return x->iov_base < y->iov_base ? -1 : x->iov_base > y->iov_base;
}

/* the ranges, sorted and cut to the kernel's size, registered: 0 or why not */
static int register_buffers(struct xfer *x, const struct iovec *reg,
			    unsigned nreg)
{
	unsigned n = 0;
	int rc;

	for (unsigned i = 0; i < nreg; i++)
		n += (unsigned)((reg[i].iov_len + XFER_REG - 1) / XFER_REG);
	if (n == 0 || n > XFER_REG_MAX)
		return -E2BIG;
	x->reg = calloc(n, sizeof(*x->reg));
	if (!x->reg)
		return -ENOMEM;
	n = 0;
	for (unsigned i = 0; i < nreg; i++)
		for (uint64_t at = 0; at < reg[i].iov_len; at += XFER_REG) {
			uint64_t left = reg[i].iov_len - at;

			x->reg[n].iov_base = (uint8_t *)reg[i].iov_base + at;
			x->reg[n++].iov_len = left < XFER_REG ? left : XFER_REG;
		}
	qsort(x->reg, n, sizeof(*x->reg), iov_cmp);
	rc = io_uring_register_buffers(&x->ring, x->reg, n);
	if (rc) {
		free(x->reg);
		x->reg = NULL;
		return rc;
	}
	x->nreg = n;
	return 0;
}

/* the registered buffer holding [p, p + len), or -1 */
static int reg_index(const struct xfer *x, const uint8_t *p, uint64_t len)
{
	unsigned lo = 0, hi = x->nreg;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if ((const uint8_t *)x->reg[mid].iov_base <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	const struct iovec *v = &x->reg[lo - 1];
	const uint8_t *b = v->iov_base;

	return p + len <= b + v->iov_len ? (int)(lo - 1) : -1;
}

static void ring_up(struct xfer *x, const struct pmkv_transfer_config *tc,
		    const struct iovec *reg, unsigned nreg)
{
	int rc = io_uring_queue_init(x->depth, &x->ring, 0);

	if (rc) {
		log_info("%s: no io_uring (%s): synchronous direct I/O",
			 x->name, strerror(-rc));
		return;
	}
	x->ring_up = true;
	x->path = PMKV_PATH_URING;
	if (!reg || (tc->flags & PMKV_T_NO_FIXED))
		return;
	rc = register_buffers(x, reg, nreg);
	if (rc == 0)
		x->path = PMKV_PATH_URING_FIXED;
	else
		log_info("%s: io_uring will not register the pool's pages (%s): plain io_uring",
			 x->name, strerror(-rc));
}

int transfer_start(struct xfer *x, const char *name, int fd, bool to_fd,
		   bool direct, const struct pmkv_transfer_config *tc,
		   const struct iovec *reg, unsigned nreg, uint64_t total)
{
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->fd = fd;
	x->to_fd = to_fd;
	x->depth = tc->depth;
	x->total = total;
	x->progress = tc->progress;
	x->progress_arg = tc->progress_arg;
	if (!direct) {
		x->path = PMKV_PATH_BUFFERED;
		return 0;
	}
	x->path = PMKV_PATH_SYNC_DIRECT;
	if (!(tc->flags & PMKV_T_NO_URING))
		ring_up(x, tc, reg, nreg);
	if (!x->ring_up)
		return 0;
	x->reqs = calloc(x->depth, sizeof(*x->reqs));
	if (!x->reqs) {
		transfer_end(x);
		return pmkv_err(-ENOMEM, "no memory for %u requests", tc->depth);
	}
	for (unsigned i = 0; i < x->depth; i++) {
		x->reqs[i].next = x->free_reqs;
		x->free_reqs = &x->reqs[i];
	}
	return 0;
}

/* a request on the ring: fixed where its bytes lie in one registered buffer */
static void submit(struct xfer *x, struct xfer_req *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&x->ring);
	unsigned len = (unsigned)r->len;

	/* one sqe per request in flight, and no more in flight than depth */
	PMKV_ASSERT(sqe != NULL);
	int idx = x->nreg ? reg_index(x, r->mem, r->len) : -1;

	if (idx >= 0) {
		if (x->to_fd)
			io_uring_prep_write_fixed(sqe, x->fd, r->mem, len,
						  r->off, idx);
		else
			io_uring_prep_read_fixed(sqe, x->fd, r->mem, len,
						 r->off, idx);
	} else if (x->to_fd) {
		io_uring_prep_write(sqe, x->fd, r->mem, len, r->off);
	} else {
		io_uring_prep_read(sqe, x->fd, r->mem, len, r->off);
	}
	io_uring_sqe_set_data(sqe, r);
	x->inflight++;
}

/* reap completions: all of them, or one (waiting) and whatever is there */
static void reap(struct xfer *x, bool all)
{
	struct io_uring_cqe *cqe;
	bool got = false;
	int rc;

	io_uring_submit(&x->ring);
	while (x->inflight) {
		rc = all || !got ? io_uring_wait_cqe(&x->ring, &cqe) :
				   io_uring_peek_cqe(&x->ring, &cqe);
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN && got)
			break;
		if (rc) {
			/* the ring itself failed: nothing more completes */
			if (!x->error)
				x->error = pmkv_err(rc, "%s: io_uring: %s", x->name,
						    strerror(-rc));
			x->inflight = 0;
			return;
		}
		struct xfer_req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&x->ring, cqe);
		x->inflight--;
		got = true;
		/* the kernel wrote them behind memcheck's back */
		if (res > 0 && !x->to_fd)
			VALGRIND_MAKE_MEM_DEFINED(r->mem, (size_t)res);
		if (res > 0 && (uint64_t)res < r->len && !x->error) {
			/* short: the rest goes again (EOF shows as 0 next) */
			x->bytes += (uint64_t)res;
			progress(x, (uint64_t)res);
			r->mem += res;
			r->off += (uint64_t)res;
			r->len -= (uint64_t)res;
			submit(x, r);
			io_uring_submit(&x->ring);
			continue;
		}
		if (res < 0)
			fail(x, res, r);
		else if (res == 0)
			fail(x, x->to_fd ? -ENOSPC : -ENODATA, r);
		else {
			x->bytes += (uint64_t)res;
			progress(x, (uint64_t)res);
		}
		group_put(r->g);
		r->next = x->free_reqs;
		x->free_reqs = r;
	}
}

/* the synchronous paths: one request at a time */
static void move_sync(struct xfer *x, struct xfer_req *r)
{
	while (r->len && !x->error) {
		ssize_t n = x->to_fd ? pwrite(x->fd, r->mem, r->len, (off_t)r->off) :
				       pread(x->fd, r->mem, r->len, (off_t)r->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(x, n < 0 ? -errno : x->to_fd ? -ENOSPC : -ENODATA, r);
			break;
		}
		x->bytes += (uint64_t)n;
		if (x->path == PMKV_PATH_BUFFERED)
			x->bounce_bytes += (uint64_t)n;
		progress(x, (uint64_t)n);
		r->mem += n;
		r->off += (uint64_t)n;
		r->len -= (uint64_t)n;
	}
}

int transfer_add(struct xfer *x, void *mem, uint64_t off, uint64_t len,
	     void (*done)(void *arg), void *arg)
{
	struct xfer_group *g;
	uint8_t *p = mem;

	if (x->path != PMKV_PATH_BUFFERED)
		PMKV_ASSERT(((uintptr_t)mem | off | len) % XFER_ALIGN == 0);
	g = malloc(sizeof(*g));
	if (!g) {
		if (!x->error)
			x->error = pmkv_err(-ENOMEM, "no memory for a transfer");
		if (done)
			done(arg);
		return x->error;
	}
	g->pending = 1;	/* ours, until every request is out */
	g->done = done;
	g->arg = arg;
	while (len && !x->error) {
		uint64_t n = len < XFER_CHUNK ? len : XFER_CHUNK;
		struct xfer_req one = { .g = g, .mem = p, .off = off, .len = n };

		/* a request never straddles two registered buffers */
		if (x->nreg) {
			int i = reg_index(x, p, 1);

			if (i >= 0) {
				const uint8_t *end = (const uint8_t *)x->reg[i].iov_base +
						     x->reg[i].iov_len;

				if (p + n > end)
					one.len = n = (uint64_t)(end - p);
			}
		}
		if (!x->ring_up) {
			move_sync(x, &one);
		} else {
			if (!x->free_reqs)
				reap(x, false);
			if (x->error || !x->free_reqs)
				break;
			struct xfer_req *r = x->free_reqs;

			x->free_reqs = r->next;
			*r = one;
			g->pending++;
			submit(x, r);
			/* keep the device busy: submit in batches of 8 */
			if (x->inflight % 8 == 0)
				io_uring_submit(&x->ring);
		}
		p += n;
		off += n;
		len -= n;
	}
	group_put(g);
	return x->error;
}

int transfer_wait(struct xfer *x)
{
	if (x->ring_up)
		reap(x, true);
	return x->error;
}

void transfer_end(struct xfer *x)
{
	transfer_wait(x);
	if (x->ring_up) {
		if (x->nreg)
			io_uring_unregister_buffers(&x->ring);
		free(x->reg);
		x->reg = NULL;
		io_uring_queue_exit(&x->ring);
		x->ring_up = false;
		x->nreg = 0;
	}
	free(x->reqs);
	x->reqs = NULL;
	x->free_reqs = NULL;
}
