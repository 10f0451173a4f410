// SPDX-License-Identifier: BSD-3-Clause
/* record.c -- encoding, checksumming and validating log records */
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "errormsg.h"
#include "libpmkv.h"
#include "record.h"

/* the checksum covers everything after the csum field */
uint64_t rec_csum(const struct pmkv_record *hdr, const void *key,
		  const void *val)
{
	uint32_t vlen = hdr->vlen_flags & PMKV_REC_VLEN_MASK;
	size_t hlen = sizeof(*hdr) - sizeof(hdr->csum);
	uint8_t small[512];
	XXH3_state_t st;

	/* one pass over a contiguous copy is faster for typical records */
	if (hlen + hdr->klen + vlen <= sizeof(small)) {
		memcpy(small, &hdr->version, hlen);
		memcpy(small + hlen, key, hdr->klen);
		if (vlen)
			memcpy(small + hlen + hdr->klen, val, vlen);
		return XXH3_64bits(small, hlen + hdr->klen + vlen);
	}
	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, &hdr->version, hlen);
	XXH3_64bits_update(&st, key, hdr->klen);
	if (vlen)
		XXH3_64bits_update(&st, val, vlen);
	return XXH3_64bits_digest(&st);
}

void rec_prepare(struct pmkv_record *hdr, uint64_t version, uint64_t seg_id,
		 const void *key, uint32_t klen, const void *val,
		 uint32_t vlen, uint32_t flags, uint32_t batch_count)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = version;
	hdr->segment_id = seg_id;
	hdr->klen = klen;
	hdr->vlen_flags = vlen | flags;
	hdr->batch_count = batch_count;
	hdr->csum = rec_csum(hdr, key, val);
}

bool rec_fits(const struct pmkv_record *r, uint64_t avail, uint32_t key_max,
	      uint32_t value_max)
{
	return r->klen <= key_max && rec_vlen(r) <= value_max &&
	       record_size(r->klen, rec_vlen(r)) <= avail;
}

bool rec_valid(const struct pmkv_record *r, uint64_t avail, uint64_t seg_id,
	       uint32_t key_max, uint32_t value_max)
{
	if (avail < sizeof(*r))
		return false;
	if (r->version == 0 || r->segment_id != seg_id)
		return false;
	if (r->klen == 0 || !rec_fits(r, avail, key_max, value_max))
		return false;
	if ((r->vlen_flags & PMKV_REC_TOMBSTONE) && rec_vlen(r))
		return false;
	return rec_csum(r, rec_key(r), rec_val(r)) == r->csum;
}

/*
 * A record the index points at was whole when it was made durable: lengths
 * that no longer fit are a media error, and must not size a copy, an
 * allocation or a checksum.
 */
int rec_damaged(const char *path, const struct pmkv_record *r, uint64_t off)
{
	return pmkv_err(PMKV_E_CORRUPT,
			"%s: record at offset %llu claims a key of %u and a value of %u bytes, past the limits (PMKV_KEY_MAX, PMKV_VALUE_MAX) or the end of the pool",
			path, (unsigned long long)off, r->klen, rec_vlen(r));
}

void rec_write(const struct persist_ops *ops, struct persist_ctx *pc,
	       void *dst, const struct pmkv_record *hdr, const void *key,
	       const void *val)
{
	uint32_t vlen = hdr->vlen_flags & PMKV_REC_VLEN_MASK;
	uint64_t size = record_size(hdr->klen, vlen);
	uint8_t *d = dst;
	uint8_t small[1024];
	size_t tail;

	/* one copy of a contiguous image for typical records */
	if (size <= sizeof(small)) {
		memcpy(small, hdr, sizeof(*hdr));
		memcpy(small + sizeof(*hdr), key, hdr->klen);
		if (vlen)
			memcpy(small + sizeof(*hdr) + hdr->klen, val, vlen);
		tail = size - sizeof(*hdr) - hdr->klen - vlen;
		memset(small + size - tail, 0, tail);
		ops->copy(pc, d, small, size);
		return;
	}
	ops->copy(pc, d, hdr, sizeof(*hdr));
	ops->copy(pc, d + sizeof(*hdr), key, hdr->klen);
	if (vlen)
		ops->copy(pc, d + sizeof(*hdr) + hdr->klen, val, vlen);
	tail = size - sizeof(*hdr) - hdr->klen - vlen;
	if (tail) {
		static const uint8_t zero[PMKV_REC_ALIGN];

		ops->copy(pc, d + size - tail, zero, tail);
	}
}
