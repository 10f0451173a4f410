/* SPDX-License-Identifier: BSD-3-Clause */
/* persist.h -- the flush and fence strategies, chosen once at open */
#ifndef PMKV_PERSIST_H
#define PMKV_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iovec;

/*
 * Per-writer persistence state: counters, and for the msync strategy the
 * range flushed since the last fence. One context is used by one thread at
 * a time (its owner holds the writer's lock).
 */
struct persist_ctx {
	uint64_t fences;
	uint64_t flushed_bytes;
	uintptr_t lo, hi;	/* msync: pending range, lo == hi when none */
	int error;		/* errno of a failed msync, until persist_check() */
	/*
	 * A pool in a page-cache file (not DAX): large records are written
	 * with pwritev() on file_fd, at their offset from file_base, the
	 * mapping. NULL when there is none (DAX, read-only, crash tests).
	 */
	const uint8_t *file_base;
	int file_fd;
};

struct persist_ops {
	/* copy n bytes to pmem and start writing them back; no fence */
	void (*copy)(struct persist_ctx *c, void *dst, const void *src, size_t n);
	/* start writing back a range already stored to; no fence */
	void (*flush)(struct persist_ctx *c, const void *p, size_t n);
	/* everything copied or flushed through c before is durable after */
	void (*fence)(struct persist_ctx *c);
	/*
	 * copy n bytes, gathered from iov, to pmem at dst through the file
	 * (c->file_base set); no fence. false when the file would not take
	 * them all: the caller copies them through the mapping then.
	 */
	bool (*write)(struct persist_ctx *c, void *dst, const struct iovec *iov,
		      int iovcnt, size_t n);
	const char *name;
};

struct pmkv;

extern const struct persist_ops persist_pmem;
extern const struct persist_ops persist_msync;

static inline void persist_range(const struct persist_ops *ops,
				 struct persist_ctx *c, const void *p, size_t n)
{
	ops->flush(c, p, n);
	ops->fence(c);
}

/*
 * Records this long go through the file when there is one: the kernel's
 * copy into the page cache needs no page of the mapping, and on a
 * hypervisor that shadows page tables the first store to a page costs
 * 10 us, 160 us for the 16 fresh pages of a 64 KiB value, against 10 us
 * for a pwrite() of it (doc/benchmarks.md, "Large values").
 */
#define PERSIST_FILE_MIN (16U << 10)

/* write large records through fd (a page-cache file mapped at base) */
void persist_file_attach(struct persist_ctx *c, int fd, const void *base);

/* the largest read persist_file_read() makes: more is read in place */
#define PERSIST_READ_MAX (4U << 20)

/*
 * The n bytes of the pool at src, read through the file (when c has one)
 * into a buffer of the calling thread's, valid until its next call: like
 * a write, the read needs no page of the mapping. NULL when there is no
 * file, n is past PERSIST_READ_MAX, no memory, or the read came short:
 * the caller reads the mapping. A copy, not the caller's buffer, so
 * that a value is checked before the caller's buffer is written.
 */
const void *persist_file_read(const struct persist_ctx *c, const void *src,
			      size_t n);

/*
 * After a fence: a failed msync means the medium may not have what was
 * written, so the handle is poisoned and refuses writes from then on.
 * 0, or PMKV_E_POISONED with its message. The only place that poisons.
 */
int persist_check(struct pmkv *kv, struct persist_ctx *pc);

#endif /* PMKV_PERSIST_H */
