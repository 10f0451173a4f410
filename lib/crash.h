/* SPDX-License-Identifier: BSD-3-Clause */
/* crash.h -- the crash-test recorder: what a power failure would leave */
#ifndef PMKV_CRASH_H
#define PMKV_CRASH_H

/*
 * Built with -Dcrash_test=true only, as the static library pmkv_crash,
 * and linked (whole) into the programs of tests/crash next to
 * libpmkv_internal. lib/persist_crash.c defines libpmem's persistence
 * functions (pmem_flush, pmem_drain, pmem_persist, pmem_msync,
 * pmem_memcpy*, pmem_memmove*, pmem_memset*, pmem_deep_*); the program
 * exports them, so they interpose on libpmem for pmkv's own calls
 * (lib/persist.c) and for libpmemobj's, which Debian's libpmemobj makes
 * through the PLT. Each forwards to the real function (dlsym RTLD_NEXT)
 * and, while the recorder is armed, records into a shadow of the pool:
 *
 *   flush    the bytes of the range, as they are now, become pending;
 *   fence    (drain) pending ranges become durable in the shadow;
 *   msync    both at once, for the range rounded out to pages.
 *
 * Only ranges flushed and then fenced are durable; each fence is a
 * persistence point. The shadow starts as the pool file's bytes when the
 * recorder is armed, so arm it at a clean point: before the pool is
 * opened. A file that does not exist yet starts as zeros when it is first
 * mapped, also under a temporary name next to path ("<path>.<suffix>");
 * the recorder follows its inode, and until it is renamed to path a crash
 * leaves no file there. File system metadata (creation, size, rename) is
 * taken as durable at once. The model assumes one
 * thread issues the persists (a fence orders that thread's flushes only);
 * the crash workloads are single-threaded.
 *
 * doc/crash-tests.md describes the harness built on this.
 */
#include <stdbool.h>
#include <stdint.h>

/* a persistence point, as the hook sees it */
struct crash_point {
	uint64_t n;		/* 1, 2, ...: fences since crash_rec_start() */
	bool own;		/* issued by pmkv's code, not by libpmemobj */
	const char *site;	/* the pmkv function that asked for it, or "?" */
	unsigned ranges;	/* pending ranges this fence makes durable */
	uint64_t bytes;		/* and their bytes */
	bool dropped;		/* PMKV_CRASH_DROP: this fence does nothing */
};

/*
 * Called at each persistence point before the fence takes effect, so an
 * image written from the hook is what a power failure just before that
 * fence completes would leave. It may write images, stop the process with
 * _exit(), or return to let the fence complete.
 */
typedef void (*crash_point_fn)(void *arg, const struct crash_point *p);

struct crash_stats {
	uint64_t points;	/* fences, all of them */
	uint64_t own_points;	/* of which pmkv's own */
	uint64_t flushes, own_flushes;
	uint64_t flushed_bytes;
	uint64_t outside;	/* flushes of memory that is not the pool */
	/* PMKV_CRASH_DROP: what was dropped, 0 when nothing matched */
	uint64_t dropped_at;	/* the point (fence) or flush number */
	char dropped_site[64];
};

enum crash_image_mode {
	CRASH_IMAGE_STRICT,	/* the shadow: only what was fenced */
	/*
	 * the shadow, plus a seeded random subset of the pending 8-byte
	 * words (torn flushes) and of the unflushed 8-byte words that
	 * differ from the shadow (cache evictions)
	 */
	CRASH_IMAGE_EVICT,
};

/*
 * crash_rec_start -- arm the recorder for the pool file at path
 *
 * [in] path: the pool file; it need not exist yet (pool creation).
 * [in] fn, arg: the hook, may be NULL.
 * Reads PMKV_CRASH_DROP, "fence:N[@site]" or "flush:N[@site]": the N-th
 * fence (flush) issued by pmkv's own code, counting only those whose site
 * is site when one is given ("a|b": either, for a function the compiler
 * may inline into another), is ignored by the recorder (the real one
 * still runs). A dropped flush never becomes durable unless the range is
 * flushed again; the ranges of a dropped fence stay pending until the
 * next fence, which may be libpmemobj's.
 * Returns 0 or -errno.
 */
int crash_rec_start(const char *path, crash_point_fn fn, void *arg);

/* disarm; the shadow is kept for crash_rec_image() until the next start */
void crash_rec_stop(void);

/*
 * crash_rec_image -- write what a crash now would leave to path
 *
 * From the hook, or after the workload (armed or not). The unflushed
 * bytes of CRASH_IMAGE_EVICT are read from the pool file, which on tmpfs
 * shares its pages with the pool's mapping. Returns 0 or -errno.
 */
int crash_rec_image(const char *path, enum crash_image_mode mode,
		    uint64_t seed);

/*
 * crash_rec_unpersisted -- bytes of [off, off + len) of the pool file that
 * differ from the shadow: stored but never flushed and fenced
 *
 * After a clean close, any in the whole file (off 0, len UINT64_MAX) are
 * libpmemobj's run-time fields and free-chunk headers, or stores the
 * recorder did not see; any in pmkv's records or superblock are a flush
 * pmkv forgot. first_off gets the offset of the first, if any. Returns
 * the count or -errno.
 */
int64_t crash_rec_unpersisted(uint64_t off, uint64_t len, uint64_t *first_off);

void crash_rec_get_stats(struct crash_stats *st);

#endif /* PMKV_CRASH_H */
