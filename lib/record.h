/* SPDX-License-Identifier: BSD-3-Clause */
/* record.h -- log records: encode, checksum, bound, validate, write */
#ifndef PMKV_RECORD_H
#define PMKV_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "persist.h"

static inline const uint8_t *rec_key(const struct pmkv_record *r)
{
	return (const uint8_t *)(r + 1);
}
static inline uint32_t rec_vlen(const struct pmkv_record *r)
{
	return r->vlen_flags & PMKV_REC_VLEN_MASK;
}
/* the value: after the key, or on the next page for a large one */
static inline const uint8_t *rec_val(const struct pmkv_record *r)
{
	return (const uint8_t *)r + (record_value_at(r->offset, r->klen,
						     rec_vlen(r)) - r->offset);
}
static inline uint64_t rec_size(const struct pmkv_record *r)
{
	return record_span(r->offset, r->klen, rec_vlen(r));
}

/*
 * Fill hdr for a record at segment offset pos of segment seg_id, with
 * both checksums; vcsum is the value's, from rec_vcsum() (a copy keeps
 * the original's).
 */
void rec_prepare(struct pmkv_record *hdr, uint64_t version, uint64_t seg_id,
		 uint64_t pos, const void *key, uint32_t klen, uint32_t vlen,
		 uint64_t vcsum, uint32_t flags, uint32_t batch_count);
uint64_t rec_vcsum(const void *val, uint32_t vlen);
/* the header checksum of r, whose key follows it */
uint64_t rec_hcsum(const struct pmkv_record *r, const void *key);
/*
 * The record's lengths are within the limits and its bytes within avail.
 * Checked before a length read from the medium sizes a copy, an
 * allocation or a checksum.
 */
bool rec_fits(const struct pmkv_record *r, uint64_t avail, uint32_t key_max,
	      uint32_t value_max);
/*
 * The header at segment offset pos of segment seg_id, size bytes long,
 * is whole: its fields agree with where it lies, and hcsum matches. The
 * value is not read.
 */
bool rec_header_valid(const struct pmkv_record *r, uint64_t pos,
		      uint64_t size, uint64_t seg_id, uint32_t key_max,
		      uint32_t value_max);
/* a valid header whose value matches vcsum */
static inline bool rec_value_valid(const struct pmkv_record *r)
{
	return rec_vcsum(rec_val(r), rec_vlen(r)) == r->vcsum;
}
/*
 * What is wrong with the live record at pool offset off that an index
 * entry points at, or NULL: h is a copy of its header (a get without the
 * lock reads it once), base the pool, limit its size; key (if not NULL)
 * is the key the entry was found by. Lengths, the segment it names (its
 * header lies at off - h->offset; or, for seg_id not 0, it is the segment
 * seg_id at pool offset seg_off: salvage reads segments whose header is
 * damaged), that it is no tombstone, the key if given, and the header
 * checksum unless a key was given outside salvage; not the value, whose
 * checksum the caller checks.
 */
const char *rec_check_entry(const uint8_t *base, uint64_t limit,
			    const struct pmkv_record *h, uint64_t off,
			    const void *key, uint32_t klen, uint64_t seg_off,
			    uint64_t seg_id);
/*
 * PMKV_E_CORRUPT, with its message, for a record the index points at that
 * fails its checks: a media error, never data or a size to act on.
 */
/*
 * PMKV_E_CORRUPT, with its message, for a key the index could not place:
 * a record beside where it would go is damaged (index.h's
 * INDEX_DAMAGED, index_locked_damaged()), so its key cannot be compared
 */
int rec_beside_damaged(const char *path);
int rec_damaged(const char *path, const struct pmkv_record *r, uint64_t off,
		const char *what);
/*
 * write a prepared record at dst, val its value: copy + flush, no fence;
 * val NULL with a length: the value is in place already, and is flushed
 */
void rec_write(const struct persist_ops *ops, struct persist_ctx *pc,
	       void *dst, const struct pmkv_record *hdr, const void *key,
	       const void *val);

#endif /* PMKV_RECORD_H */
