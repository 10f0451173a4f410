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
#define PMKV_FORMAT_MAJOR 3
#define PMKV_FORMAT_MINOR 0
#define PMKV_FORMAT_MAJOR_DEV 999

/* "PMKVPOOL" read as a little-endian u64 */
#define PMKV_SUPER_MAGIC 0x4c4f4f50564b4d50ULL
/* stored little-endian: a big-endian reader sees 0x0807060504030201 */
#define PMKV_BYTE_ORDER_MARK 0x0102030405060708ULL

/*
 * Slots, and so segments, start on this boundary of the pool: the direct
 * I/O alignment of every block device and file system pmkv copies to.
 */
#define PMKV_SLOT_ALIGN 4096ULL
#define PMKV_EXTENTS_MAX 48

/* a run of slots in one libpmemobj object, allocated at create */
struct pmkv_extent {
	uint64_t off;		/* pool offset of its first slot */
	uint64_t nslots;
};

/*
 * The superblock is libpmemobj's root object; a copy of its static bytes
 * lies at copy_off, in the last page of the last extent. Bytes [0, 1024)
 * are written once at create and covered by csum; next_segment_id is
 * kept in the primary only and published by one 8-byte store.
 */
struct pmkv_super {
	uint64_t magic;		/* PMKV_SUPER_MAGIC */
	uint32_t format_major;
	uint32_t format_minor;
	uint64_t byte_order;	/* PMKV_BYTE_ORDER_MARK */
	uint64_t pool_size;	/* bytes, as created: a shorter file is truncated */
	uint64_t segment_size;	/* bytes of a slot, a multiple of PMKV_SLOT_ALIGN */
	uint32_t key_max;	/* PMKV_KEY_MAX of the creating build */
	uint32_t value_max;	/* PMKV_VALUE_MAX of the creating build */
	uint64_t create_time_ns;	/* CLOCK_REALTIME at create */
	uint8_t uuid[16];	/* random, names the pool in messages */
	uint64_t table_off;	/* pool offset of nslots struct pmkv_slot */
	uint32_t nslots;
	uint32_t nextents;
	uint64_t copy_off;	/* pool offset of the superblock's copy */
	uint8_t reserved[32];	/* zero */
	struct pmkv_extent extents[PMKV_EXTENTS_MAX];
	uint8_t reserved2[120];	/* zero */
	uint64_t csum;		/* XXH64(bytes [0, 1016), seed 0) */

	/* mutable, primary only: not covered by csum */
	uint64_t next_segment_id;	/* the next segment gets this id; never reused */
	uint64_t open_dirty;	/* 1 while a read-write handle is open */
	uint64_t open_usc;	/* the device's unsafe-shutdown count then */
	uint64_t open_device;	/* XXH64 of its device id; 0: none known */
	uint64_t restoring;	/* nonzero while pmkv_restore() fills the pool:
				   no open accepts it */
	/*
	 * The index checkpoint of the last clean close (struct pmkv_ckpt):
	 * ckpt_gen names it, 0 when there is none to trust; a read-write
	 * open stores 0 before anything else is written. ckpt_seq is the
	 * last generation handed out, never reused.
	 */
	uint64_t ckpt_gen;
	uint64_t ckpt_off;	/* pool offset of its header */
	uint64_t ckpt_seq;
	uint8_t reserved3[3008];	/* zero */
};
#define PMKV_SUPER_CSUM_END offsetof(struct pmkv_super, csum)
#define PMKV_SUPER_STATIC offsetof(struct pmkv_super, next_segment_id)

_Static_assert(offsetof(struct pmkv_super, format_major) == 8, "layout");
_Static_assert(offsetof(struct pmkv_super, byte_order) == 16, "layout");
_Static_assert(offsetof(struct pmkv_super, uuid) == 56, "layout");
_Static_assert(offsetof(struct pmkv_super, table_off) == 72, "layout");
_Static_assert(offsetof(struct pmkv_super, copy_off) == 88, "layout");
_Static_assert(offsetof(struct pmkv_super, extents) == 128, "layout");
_Static_assert(offsetof(struct pmkv_super, csum) == 1016, "layout");
_Static_assert(offsetof(struct pmkv_super, next_segment_id) == 1024, "layout");
_Static_assert(offsetof(struct pmkv_super, open_dirty) == 1032, "layout");
_Static_assert(offsetof(struct pmkv_super, open_usc) == 1040, "layout");
_Static_assert(offsetof(struct pmkv_super, restoring) == 1056, "layout");
_Static_assert(offsetof(struct pmkv_super, ckpt_gen) == 1064, "layout");
_Static_assert(offsetof(struct pmkv_super, ckpt_off) == 1072, "layout");
_Static_assert(offsetof(struct pmkv_super, ckpt_seq) == 1080, "layout");
_Static_assert(sizeof(struct pmkv_super) == 4096, "layout");

/* "PMKSTLVE" read as a little-endian u64: a segment starts in this slot */
#define PMKV_SLOT_LIVE 0x45564c54534b4d50ULL

/*
 * One entry a slot. state 0 is free whatever the rest holds; a segment
 * of span slots has a LIVE entry in its first and zeros in the others.
 * The body (id, span, csum) is made durable before state becomes LIVE,
 * by one 8-byte store: a crash leaves a slot free or whole. Freeing
 * zeroes the segment header's magic first, then the state, so that a
 * free entry in front of a whole header with records is damage (a lost
 * entry), never a segment given back.
 */
struct pmkv_slot {
	uint64_t state;		/* 0 or PMKV_SLOT_LIVE; else damaged */
	uint64_t id;		/* the segment's id */
	uint32_t span;		/* slots the segment covers, >= 1 */
	uint32_t reserved;	/* zero */
	uint64_t csum;		/* XXH64(bytes [8, 24), seed 0) */
};
_Static_assert(sizeof(struct pmkv_slot) == 32, "layout");

/* "PMKVSEG2" read as a little-endian u64 */
#define PMKV_SEGMENT_MAGIC 0x32474553564b4d50ULL

/* pmkv_segment.reclaim: high half of the word, low half a segment offset */
#define PMKV_SEG_RECLAIM_TAG 0x5245434cULL	/* "LCER": reclamation's */
#define PMKV_SEG_SEALED_TAG 0x4c414553ULL	/* "SEAL": a writer's, sealed */
#define PMKV_SEG_RECLAIM(end) ((PMKV_SEG_RECLAIM_TAG << 32) | (end))
#define PMKV_SEG_SEALED(end) ((PMKV_SEG_SEALED_TAG << 32) | (end))

/*
 * A log segment: this header, then records back to back from
 * PMKV_SEGMENT_DATA to size. Written and made durable before its slot
 * entry becomes LIVE.
 *
 * reclaim tells recovery how a tear can look. A writer's segment is
 * fenced commit by commit: only its last commit can be torn, so a bad
 * record with a whole commit after it is damage; PMKV_SEG_SEALED(end),
 * written when the segment filled up or the pool was closed, says that
 * everything before end is whole, so that damage in what was once the
 * last commit is not taken for a tear either. Reclamation fences once
 * for many copies: PMKV_SEG_RECLAIM(end) says that everything before end
 * is durable, and that after it a tear may hide whole copies (their
 * originals are not freed before end moves past them).
 */
struct pmkv_segment {
	uint64_t magic;		/* PMKV_SEGMENT_MAGIC; 0 once freed */
	uint64_t id;		/* unique for the pool's lifetime */
	uint64_t size;		/* bytes, header included */
	uint8_t uuid[16];	/* the pool's (superblock): not an old pool's */
	uint64_t csum;		/* XXH64(bytes [0, 40), seed 0) */
	uint64_t reclaim;	/* 0, PMKV_SEG_SEALED(end) or PMKV_SEG_RECLAIM(end) */
	uint8_t reserved[8];	/* zero */
};
#define PMKV_SEGMENT_DATA sizeof(struct pmkv_segment)
_Static_assert(offsetof(struct pmkv_segment, csum) == 40, "layout");
_Static_assert(offsetof(struct pmkv_segment, reclaim) == 48, "layout");
_Static_assert(sizeof(struct pmkv_segment) == 64, "layout");

/* flags in pmkv_record.vlen_flags, above the value length */
#define PMKV_REC_VLEN_MASK 0x3fffffffU	/* value length: up to 1 GiB - 1 */
#define PMKV_REC_TOMBSTONE (1U << 30)	/* a delete: the value is empty */
#define PMKV_REC_BATCH (1U << 31)	/* part of a batch: see batch_count */

/*
 * A record. Two checksums, so that damage stays local: hcsum covers the
 * header and the key, so a record whose value is damaged still says
 * which key it held and where the next record starts; vcsum covers the
 * value, so that reclamation copies a record without hashing it again.
 * offset makes a record copied elsewhere, even in its own segment, fail.
 * The rules that make a record valid are in doc/format.md.
 */
struct pmkv_record {
	uint64_t hcsum;		/* XXH3_64bits(bytes [8, 48), then the key) */
	uint64_t version;	/* newest wins; unique per operation; 0 retracted */
	uint64_t segment_id;	/* owning segment */
	uint32_t klen;		/* 1..key_max */
	uint32_t vlen_flags;	/* value length | PMKV_REC_* */
	uint32_t batch_count;	/* records in the batch, first record only; else 0 */
	uint32_t offset;	/* from the start of its segment */
	uint64_t vcsum;		/* XXH3_64bits(the value) */
	/* key, then [zero gap], value, then zero padding to 8 bytes */
};
_Static_assert(sizeof(struct pmkv_record) == 48, "layout");
_Static_assert(offsetof(struct pmkv_record, klen) == 24, "layout");
_Static_assert(offsetof(struct pmkv_record, offset) == 36, "layout");

#define PMKV_REC_ALIGN 8ULL
/* values this long start on a PMKV_SLOT_ALIGN boundary: direct I/O */
#define PMKV_VALUE_ALIGN_MIN 65536U

/* segment offset of the value of a record at segment offset pos */
static inline uint64_t record_value_at(uint64_t pos, uint32_t klen,
				       uint32_t vlen)
{
	uint64_t v = pos + sizeof(struct pmkv_record) + klen;

	if (vlen >= PMKV_VALUE_ALIGN_MIN)
		v = (v + PMKV_SLOT_ALIGN - 1) & ~(PMKV_SLOT_ALIGN - 1);
	return v;
}

/* bytes of a record at segment offset pos, padding included */
static inline uint64_t record_span(uint64_t pos, uint32_t klen, uint32_t vlen)
{
	uint64_t end = record_value_at(pos, klen, vlen) + vlen;

	return ((end + PMKV_REC_ALIGN - 1) & ~(PMKV_REC_ALIGN - 1)) - pos;
}

/* the most bytes a record can take, wherever it lands */
static inline uint64_t record_size(uint32_t klen, uint32_t vlen)
{
	uint64_t n = sizeof(struct pmkv_record) + (uint64_t)klen + vlen;

	if (vlen >= PMKV_VALUE_ALIGN_MIN)
		n += PMKV_SLOT_ALIGN - PMKV_REC_ALIGN;
	return (n + PMKV_REC_ALIGN - 1) & ~(PMKV_REC_ALIGN - 1);
}

/*
 * The index checkpoint (checkpoint.c; doc/format.md section 12): written
 * at a clean close into free slots, read at the next open instead of the
 * log. This header, then the segment table, the key prefixes and the
 * index entries, each 8-byte aligned, from its first byte. It is trusted
 * only when the superblock's ckpt_gen names it and every hash matches;
 * the slots it lies in stay free in the slot table, and the first
 * segment allocated there overwrites it.
 */
/* "PMKVCKPT" read as a little-endian u64 */
#define PMKV_CKPT_MAGIC 0x54504b43564b4d50ULL

struct pmkv_ckpt {
	uint64_t magic;		/* PMKV_CKPT_MAGIC */
	uint32_t format_major;	/* PMKV_FORMAT_MAJOR of the writer */
	uint32_t format_minor;
	uint64_t gen;		/* the superblock's ckpt_gen when valid */
	uint8_t uuid[16];	/* the pool's (superblock) */
	uint64_t bytes;		/* all of it, this header included */
	uint64_t nentries;	/* index entries, tombstones included */
	uint64_t nlive;		/* entries that are not tombstones */
	uint64_t nsegs;		/* entries in the segment table */
	uint64_t version;	/* the next record version */
	uint64_t segs_off;	/* from the header: nsegs struct pmkv_ckpt_seg */
	uint64_t pfx_off;	/* nentries u64: keys' first 8 bytes, big-endian */
	uint64_t ents_off;	/* nentries struct pmkv_ckpt_entry */
	uint64_t segs_hash[2];	/* XXH3_128bits of each array: low, high */
	uint64_t pfx_hash[2];
	uint64_t ents_hash[2];
	uint8_t reserved[3936];	/* zero */
	uint64_t csum;		/* XXH3_64bits(bytes [0, 4088)) */
};
_Static_assert(offsetof(struct pmkv_ckpt, gen) == 16, "layout");
_Static_assert(offsetof(struct pmkv_ckpt, segs_off) == 80, "layout");
_Static_assert(offsetof(struct pmkv_ckpt, segs_hash) == 104, "layout");
_Static_assert(offsetof(struct pmkv_ckpt, csum) == 4088, "layout");
_Static_assert(sizeof(struct pmkv_ckpt) == 4096, "layout");

#define PMKV_CKPT_SEG_APPENDABLE 1U	/* nothing valid lies past used */

/* a segment as the closing handle knew it, in slot order */
struct pmkv_ckpt_seg {
	uint32_t slot;		/* its first slot */
	uint32_t flags;		/* PMKV_CKPT_SEG_* */
	uint64_t id;		/* as its slot entry and header say */
	uint64_t size;
	uint64_t reclaim;	/* its header's reclaim word */
	uint64_t used;		/* end of its last record */
	uint64_t live;		/* bytes of records the index still needs */
	uint64_t reserved[2];	/* zero */
};
_Static_assert(sizeof(struct pmkv_ckpt_seg) == 64, "layout");

/*
 * An index entry, as the DRAM index keeps it (btree.h's struct ientry):
 * the record's pool offset, bit 0 set for a tombstone; the key's records
 * on media; the slot of the newest one's segment
 */
struct pmkv_ckpt_entry {
	uint64_t off;
	uint32_t count;
	uint32_t seg;
};
_Static_assert(sizeof(struct pmkv_ckpt_entry) == 16, "layout");

/*
 * Backup files (backup.c; doc/format.md section 9). A backup is a
 * header page, a table of segments, then each segment's bytes, every part
 * on a PMKV_SLOT_ALIGN boundary of the file so that they move by direct
 * I/O straight from and into the pool's pages. The header is written
 * last, after everything else is durable: a file without a valid header
 * is no backup. It shares the pool's format version.
 */
/* "PMKVBACK" read as a little-endian u64 */
#define PMKV_BACKUP_MAGIC 0x4b434142564b4d50ULL
#define PMKV_BACKUP_PATH_MAX 2048

struct pmkv_backup_header {
	uint64_t magic;		/* PMKV_BACKUP_MAGIC */
	uint32_t format_major;	/* PMKV_FORMAT_MAJOR of the writer */
	uint32_t format_minor;
	uint64_t byte_order;	/* PMKV_BYTE_ORDER_MARK */
	uint8_t uuid[16];	/* random: names this backup */
	uint8_t base_uuid[16];	/* the base's uuid; zeros: a full backup */
	uint8_t pool_uuid[16];	/* the pool's (superblock) */
	uint64_t version;	/* V: every record below it, none from V on */
	uint64_t base_version;	/* the base's V; 0 for a full backup */
	uint32_t chain;		/* backups to restore: 1 full, base's + 1 */
	uint32_t nsegs;		/* entries in the table */
	uint64_t create_time_ns;	/* CLOCK_REALTIME when V was taken */
	uint64_t pool_size;	/* of the pool backed up */
	uint64_t segment_size;
	uint64_t next_segment_id;	/* the pool's at V */
	uint32_t key_max, value_max;
	uint64_t table_off;	/* file offset of the table */
	uint64_t data_off;	/* file offset of the first segment's bytes */
	uint64_t file_size;	/* bytes of the file: a shorter one is cut */
	uint64_t table_csum;	/* XXH64 of the nsegs entries, seed 0 */
	char base_path[PMKV_BACKUP_PATH_MAX];	/* the base, as found; NUL-ended */
	uint8_t reserved[1872];	/* zero */
	uint64_t csum;		/* XXH64(bytes [0, 4088), seed 0) */
};
_Static_assert(offsetof(struct pmkv_backup_header, uuid) == 24, "layout");
_Static_assert(offsetof(struct pmkv_backup_header, version) == 72, "layout");
_Static_assert(offsetof(struct pmkv_backup_header, key_max) == 128, "layout");
_Static_assert(offsetof(struct pmkv_backup_header, base_path) == 168, "layout");
_Static_assert(offsetof(struct pmkv_backup_header, csum) == 4088, "layout");
_Static_assert(sizeof(struct pmkv_backup_header) == 4096, "layout");

/*
 * A segment of the backed-up state: its bytes [from, used) lie in this
 * file at file_off (len bytes, used - from rounded up to the page: the
 * bytes past used are not the segment's); those before from, in the base
 * chain. len 0: the base chain has all of them.
 */
struct pmkv_backup_seg {
	uint64_t id;
	uint64_t size;		/* bytes of the segment, header included */
	uint64_t used;		/* its end at V */
	uint64_t from;		/* segment offset of this file's first byte */
	uint64_t file_off;	/* a multiple of PMKV_SLOT_ALIGN */
	uint64_t len;
	uint64_t reserved;	/* zero */
	uint64_t csum;		/* XXH64(bytes [0, 56), seed 0) */
};
_Static_assert(sizeof(struct pmkv_backup_seg) == 64, "layout");

#endif /* PMKV_LAYOUT_H */
