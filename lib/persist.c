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
#include <string.h>
#include <sys/mman.h>
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

const struct persist_ops persist_pmem = {
	.copy = pmem_copy,
	.flush = pmem_flush_range,
	.fence = pmem_fence,
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

const struct persist_ops persist_msync = {
	.copy = msync_copy,
	.flush = msync_flush_range,
	.fence = msync_fence,
	.name = "msync (page cache)",
};

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
