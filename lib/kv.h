/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv.h -- what the large-value calls (value_fd.c) need of put and get
 *
 * A value that comes from a file is filled in place, in the record's own
 * pmem pages, by fill->fn, between the commit's room and its fence; one
 * that goes to a file is read from a pinned segment, which reclamation
 * leaves alone until it is unpinned.
 */
#ifndef PMKV_KV_H
#define PMKV_KV_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "segment.h"

struct pmkv;

struct kv_fill {
	/* store vlen bytes at dst (page-aligned for large values); 0 or -errno */
	int (*fn)(void *arg, uint8_t *dst, uint32_t vlen);
	void *arg;
};

/* pmkv_put() of a value fill->fn stores in place; its errors, and fn's */
int kv_put_filled(struct pmkv *kv, const void *key, size_t klen, size_t vlen,
		  const struct kv_fill *fill);

struct kv_pinned {
	struct seg *seg;
	uint64_t off;		/* the record's pool offset */
	struct pmkv_record hdr;	/* checked, except the value's checksum */
	const uint8_t *val;
};

/*
 * The live record of key, its segment pinned: 0, -ENOENT, -EINVAL or
 * PMKV_E_CORRUPT. The caller checks the value against hdr.vcsum and
 * unpins with kv_value_unpin().
 */
int kv_value_pin(struct pmkv *kv, const void *key, size_t klen,
		 struct kv_pinned *p);
static inline void kv_value_unpin(struct kv_pinned *p)
{
	__atomic_sub_fetch(&p->seg->pins, 1, __ATOMIC_RELEASE);
}

#endif /* PMKV_KV_H */
