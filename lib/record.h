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
static inline const uint8_t *rec_val(const struct pmkv_record *r)
{
	return rec_key(r) + r->klen;
}
static inline uint32_t rec_vlen(const struct pmkv_record *r)
{
	return r->vlen_flags & PMKV_REC_VLEN_MASK;
}
static inline uint64_t rec_size(const struct pmkv_record *r)
{
	return record_size(r->klen, rec_vlen(r));
}

/* fill hdr and compute the checksum over hdr, key and value */
void rec_prepare(struct pmkv_record *hdr, uint64_t version, uint64_t seg_id,
		 const void *key, uint32_t klen, const void *val,
		 uint32_t vlen, uint32_t flags, uint32_t batch_count);
uint64_t rec_csum(const struct pmkv_record *hdr, const void *key,
		  const void *val);
/*
 * The record's lengths are within the limits and its bytes within avail.
 * Checked before a length read from the medium sizes a copy, an
 * allocation or a checksum.
 */
bool rec_fits(const struct pmkv_record *r, uint64_t avail, uint32_t key_max,
	      uint32_t value_max);
/* true when the record at r (avail bytes to the segment end) is valid */
bool rec_valid(const struct pmkv_record *r, uint64_t avail, uint64_t seg_id,
	       uint32_t key_max, uint32_t value_max);
/*
 * PMKV_E_CORRUPT, with its message, for a record the index points at whose
 * lengths fail rec_fits(): a media error, never a size to act on.
 */
int rec_damaged(const char *path, const struct pmkv_record *r, uint64_t off);
/* write a prepared record to dst through ops: copy + flush, no fence */
void rec_write(const struct persist_ops *ops, struct persist_ctx *pc,
	       void *dst, const struct pmkv_record *hdr, const void *key,
	       const void *val);

#endif /* PMKV_RECORD_H */
