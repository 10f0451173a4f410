/* SPDX-License-Identifier: BSD-3-Clause */
/* layout.h -- every structure pmkv keeps on media; doc/format.md mirrors it */
#ifndef PMKV_LAYOUT_H
#define PMKV_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/*
 * All fields are little-endian, fixed width, and at offsets fixed by the
 * _Static_asserts below; pointers are stored as offsets from the start of
 * the pool. Only aligned 8-byte stores are failure-atomic, and nothing
 * here relies on a larger one.
 */

/* libpmemobj layout name: PMDK refuses a pool created with another one */
#define PMKV_LAYOUT_NAME "pmkv"

/*
 * Format version. A development build would write PMKV_FORMAT_MAJOR_DEV
 * so that no release ever accepts its pools (LMDB's 999 trick).
 */
#define PMKV_FORMAT_MAJOR 1
#define PMKV_FORMAT_MINOR 0
#define PMKV_FORMAT_MAJOR_DEV 999

/* "PMKVPOOL" read as a little-endian u64 */
#define PMKV_SUPER_MAGIC 0x4c4f4f50564b4d50ULL
/* stored little-endian: a big-endian reader sees 0x0807060504030201 */
#define PMKV_BYTE_ORDER_MARK 0x0102030405060708ULL

/*
 * The superblock is libpmemobj's root object. Bytes [0, 128) are written
 * once at create and covered by csum; the counters after them change and
 * are each published by one 8-byte store.
 */
struct pmkv_super {
	uint64_t magic;		/* PMKV_SUPER_MAGIC */
	uint32_t format_major;
	uint32_t format_minor;
	uint64_t byte_order;	/* PMKV_BYTE_ORDER_MARK */
	uint64_t pool_size;	/* bytes, as created: a shorter file is truncated */
	uint64_t segment_size;	/* bytes of a regular log segment, header included */
	uint32_t key_max;	/* PMKV_KEY_MAX of the creating build */
	uint32_t value_max;	/* PMKV_VALUE_MAX of the creating build */
	uint64_t create_time_ns;	/* CLOCK_REALTIME at create */
	uint8_t uuid[16];	/* random, names the pool in messages */
	uint8_t reserved[48];	/* zero */
	uint64_t csum;		/* XXH64(bytes [0, 120), seed 0) */

	/* mutable: not covered by csum */
	uint64_t next_segment_id;	/* the next segment gets this id; never reused */
	uint8_t reserved2[120];	/* zero */
};
#define PMKV_SUPER_CSUM_END offsetof(struct pmkv_super, csum)

_Static_assert(offsetof(struct pmkv_super, format_major) == 8, "layout");
_Static_assert(offsetof(struct pmkv_super, byte_order) == 16, "layout");
_Static_assert(offsetof(struct pmkv_super, uuid) == 56, "layout");
_Static_assert(offsetof(struct pmkv_super, csum) == 120, "layout");
_Static_assert(offsetof(struct pmkv_super, next_segment_id) == 128, "layout");
_Static_assert(sizeof(struct pmkv_super) == 256, "layout");

/* libpmemobj type number of a log segment (pmemobj_first/next find them) */
#define PMKV_TYPE_SEGMENT 1

/* "PMKVSEG1" read as a little-endian u64 */
#define PMKV_SEGMENT_MAGIC 0x31474553564b4d50ULL

/*
 * A log segment: this header, then records back to back from
 * PMKV_SEGMENT_DATA to size. The header is written and persisted by the
 * allocation's constructor, before libpmemobj publishes the allocation.
 */
struct pmkv_segment {
	uint64_t magic;		/* PMKV_SEGMENT_MAGIC */
	uint64_t id;		/* unique for the pool's lifetime */
	uint64_t size;		/* bytes, header included */
	uint64_t csum;		/* XXH64(bytes [0, 24), seed 0) */
	uint8_t reserved[32];	/* zero */
};
#define PMKV_SEGMENT_DATA sizeof(struct pmkv_segment)
_Static_assert(sizeof(struct pmkv_segment) == 64, "layout");

/* flags in pmkv_record.vlen_flags, above the value length */
#define PMKV_REC_VLEN_MASK 0x3fffffffU	/* value length: up to 1 GiB - 1 */
#define PMKV_REC_TOMBSTONE (1U << 30)	/* a delete: the value is empty */
#define PMKV_REC_BATCH (1U << 31)	/* part of a batch: see batch_count */

/*
 * A record. It is valid only if csum matches, segment_id equals the id of
 * the segment holding it (memory reused from a freed segment can still
 * hold old records whose checksums match), version is not 0 and the
 * lengths fit in the segment. Recovery stops a segment's scan at the first
 * record that is not valid: a writer persists each record before writing
 * the next one in the same segment, so only the last can be torn.
 *
 * Records of a batch are written back to back in one segment with one
 * version; the first one says how many there are, and recovery applies
 * the batch only if every one of them is valid.
 */
struct pmkv_record {
	uint64_t csum;		/* XXH3_64bits(bytes [8, 40 + klen + vlen)) */
	uint64_t version;	/* newest wins; unique per operation */
	uint64_t segment_id;	/* owning segment */
	uint32_t klen;		/* 1..key_max */
	uint32_t vlen_flags;	/* value length | PMKV_REC_* */
	uint32_t batch_count;	/* records in the batch, first record only; else 0 */
	uint32_t reserved;	/* zero */
	/* key, then value, then zero padding to 8 bytes */
};
_Static_assert(sizeof(struct pmkv_record) == 40, "layout");
_Static_assert(offsetof(struct pmkv_record, klen) == 24, "layout");

#define PMKV_REC_ALIGN 8ULL

static inline uint64_t record_size(uint32_t klen, uint32_t vlen)
{
	uint64_t n = sizeof(struct pmkv_record) + (uint64_t)klen + vlen;

	return (n + PMKV_REC_ALIGN - 1) & ~(PMKV_REC_ALIGN - 1);
}

#endif /* PMKV_LAYOUT_H */
