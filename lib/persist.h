/* SPDX-License-Identifier: BSD-3-Clause */
/* persist.h -- the flush and fence strategies, chosen once at open */
#ifndef PMKV_PERSIST_H
#define PMKV_PERSIST_H

#include <stddef.h>
#include <stdint.h>

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
};

struct persist_ops {
	/* copy n bytes to pmem and start writing them back; no fence */
	void (*copy)(struct persist_ctx *c, void *dst, const void *src, size_t n);
	/* start writing back a range already stored to; no fence */
	void (*flush)(struct persist_ctx *c, const void *p, size_t n);
	/* everything copied or flushed through c before is durable after */
	void (*fence)(struct persist_ctx *c);
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
 * After a fence: a failed msync means the medium may not have what was
 * written, so the handle is poisoned and refuses writes from then on.
 * 0, or PMKV_E_POISONED with its message. The only place that poisons.
 */
int persist_check(struct pmkv *kv, struct persist_ctx *pc);

#endif /* PMKV_PERSIST_H */
