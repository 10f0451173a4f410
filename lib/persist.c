// SPDX-License-Identifier: BSD-3-Clause
/*
 * persist.c -- every flush and fence pmkv issues, and their counts
 *
 * The strategy is chosen once at open (pool.c) and kept in kv->persist:
 * hot paths call through it and never ask "is this pmem?". Each call
 * counts into the caller's persist_ctx, so the number of fences per put is
 * an exact figure (pmkv_get_stats(), the benchmark, a unit test). This file
 * is also the seam the crash-test build replaces.
 *
 * libpmemobj's own persists (segment allocation, freeing) go through
 * libpmemobj and are not counted here.
 */
#include <errno.h>
#include <libpmem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "persist.h"

/* pmem: flushes from user space, a fence (sfence) makes them durable */
static void pmem_copy(struct persist_ctx *c, void *dst, const void *src,
		      size_t n)
{
	pmem_memcpy_nodrain(dst, src, n);
	c->flushed_bytes += n;
}

static void pmem_flush_range(struct persist_ctx *c, const void *p, size_t n)
{
	pmem_flush(p, n);
	c->flushed_bytes += n;
}

static void pmem_fence(struct persist_ctx *c)
{
	pmem_drain();
	c->fences++;
}

/*
 * The pool's file takes the bytes: pwritev() until all are written, false
 * on an error or a write that stopped short (then the caller copies all
 * of them through the mapping, the same bytes again where some landed)
 */
static bool file_write(struct persist_ctx *c, void *dst,
		       const struct iovec *iov, int iovcnt, size_t n)
{
	off_t at = (const uint8_t *)dst - c->file_base;
	ssize_t got;

	if (!c->file_base)
		return false;
	do
		got = pwritev(c->file_fd, iov, iovcnt, at);
	while (got < 0 && errno == EINTR);
	return got == (ssize_t)n;
}

/*
 * Only pmem forced on a file that is not DAX gets here (pool.c): the
 * page cache is the medium, and the kernel's copy has put the bytes
 * there. A flush through the mapping would fault in the pages the write
 * went around, for nothing.
 */
static bool pmem_write(struct persist_ctx *c, void *dst,
		       const struct iovec *iov, int iovcnt, size_t n)
{
	if (!file_write(c, dst, iov, iovcnt, n))
		return false;
	c->flushed_bytes += n;
	return true;
}

const struct persist_ops persist_pmem = {
	.copy = pmem_copy,
	.flush = pmem_flush_range,
	.fence = pmem_fence,
	.write = pmem_write,
	.name = "pmem (flush + drain)",
};

/*
 * msync: the page cache stands between us and the medium. Flushes only
 * widen the pending range; the fence msyncs it. Ranges far apart are
 * synced separately rather than syncing everything between them.
 */
#define MSYNC_GAP (1UL << 20)

static void msync_pending(struct persist_ctx *c)
{
	if (c->lo == c->hi)
		return;
	if (pmem_msync((void *)c->lo, c->hi - c->lo) && !c->error)
		c->error = errno;
	c->fences++;
	c->lo = c->hi = 0;
}

static void msync_flush_range(struct persist_ctx *c, const void *p, size_t n)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + n;

	if (n == 0)
		return;
	c->flushed_bytes += n;
	if (c->lo != c->hi &&
	    (lo > c->hi + MSYNC_GAP || hi + MSYNC_GAP < c->lo))
		msync_pending(c);
	if (c->lo == c->hi) {
		c->lo = lo;
		c->hi = hi;
		return;
	}
	if (lo < c->lo)
		c->lo = lo;
	if (hi > c->hi)
		c->hi = hi;
}

static void msync_copy(struct persist_ctx *c, void *dst, const void *src,
		       size_t n)
{
	memcpy(dst, src, n);
	msync_flush_range(c, dst, n);
}

static void msync_fence(struct persist_ctx *c)
{
	msync_pending(c);
}

/* the fence msyncs the range: that writes back what pwritev() dirtied */
static bool msync_write(struct persist_ctx *c, void *dst,
			const struct iovec *iov, int iovcnt, size_t n)
{
	if (!file_write(c, dst, iov, iovcnt, n))
		return false;
	msync_flush_range(c, dst, n);
	return true;
}

const struct persist_ops persist_msync = {
	.copy = msync_copy,
	.flush = msync_flush_range,
	.fence = msync_fence,
	.write = msync_write,
	.name = "msync (page cache)",
};

void persist_file_attach(struct persist_ctx *c, int fd, const void *base)
{
	c->file_fd = fd;
	c->file_base = base;
}

/* the calling thread's buffer for persist_file_read(), freed at its exit */
struct read_buf {
	void *p;
	size_t n;
};

static pthread_key_t read_buf_key;
static pthread_once_t read_buf_once = PTHREAD_ONCE_INIT;
static bool read_buf_ok;

static void read_buf_free(void *arg)
{
	struct read_buf *b = arg;

	free(b->p);
	free(b);
}

static void read_buf_init(void)
{
	read_buf_ok = pthread_key_create(&read_buf_key, read_buf_free) == 0;
}

static void *read_buf(size_t n)
{
	struct read_buf *b;
	void *p;

	pthread_once(&read_buf_once, read_buf_init);
	if (!read_buf_ok)
		return NULL;
	b = pthread_getspecific(read_buf_key);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b || pthread_setspecific(read_buf_key, b)) {
			free(b);
			return NULL;
		}
	}
	if (b->n < n) {
		p = realloc(b->p, n);
		if (!p)
			return NULL;
		b->p = p;
		b->n = n;
	}
	return b->p;
}

const void *persist_file_read(const struct persist_ctx *c, const void *src,
			      size_t n)
{
	off_t at = (const uint8_t *)src - c->file_base;
	size_t done = 0;
	uint8_t *buf;

	if (!c->file_base || n > PERSIST_READ_MAX)
		return NULL;
	buf = read_buf(n);
	if (!buf)
		return NULL;
	while (done < n) {
		ssize_t got = pread(c->file_fd, buf + done, n - done,
				    at + (off_t)done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return NULL;
		done += (size_t)got;
	}
	return buf;
}

int persist_check(struct pmkv *kv, struct persist_ctx *pc)
{
	int e = pc->error;

	if (!e)
		return 0;
	pc->error = 0;
	__atomic_store_n(&kv->poisoned, 1, __ATOMIC_RELEASE);
	return pmkv_err(PMKV_E_POISONED,
			"%s: making a write durable failed (%s); the handle refuses writes from now on",
			kv->path, strerror(e));
}
