// SPDX-License-Identifier: BSD-3-Clause
/* record.c -- encoding, checksumming and validating log records */
#include <string.h>
#include <sys/uio.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "errormsg.h"
#include "libpmkv.h"
#include "record.h"

#define HDR_HASHED (sizeof(struct pmkv_record) - sizeof(uint64_t))

uint64_t rec_hcsum(const struct pmkv_record *r, const void *key)
{
	uint8_t small[256];
	XXH3_state_t st;

	/* one pass over a contiguous copy is faster for typical keys */
	if (HDR_HASHED + r->klen <= sizeof(small)) {
		memcpy(small, &r->version, HDR_HASHED);
		memcpy(small + HDR_HASHED, key, r->klen);
		return XXH3_64bits(small, HDR_HASHED + r->klen);
	}
	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, &r->version, HDR_HASHED);
	XXH3_64bits_update(&st, key, r->klen);
	return XXH3_64bits_digest(&st);
}

uint64_t rec_vcsum(const void *val, uint32_t vlen)
{
	return XXH3_64bits(val, vlen);
}

void rec_prepare(struct pmkv_record *hdr, uint64_t version, uint64_t seg_id,
		 uint64_t pos, const void *key, uint32_t klen, uint32_t vlen,
		 uint64_t vcsum, uint32_t flags, uint32_t batch_count)
{
	hdr->version = version;
	hdr->segment_id = seg_id;
	hdr->klen = klen;
	hdr->vlen_flags = vlen | flags;
	hdr->batch_count = batch_count;
	hdr->offset = (uint32_t)pos;
	hdr->vcsum = vcsum;
	hdr->hcsum = rec_hcsum(hdr, key);
}

bool rec_fits(const struct pmkv_record *r, uint64_t avail, uint32_t key_max,
	      uint32_t value_max)
{
	return r->klen <= key_max && rec_vlen(r) <= value_max &&
	       avail >= sizeof(*r) &&
	       record_span(r->offset, r->klen, rec_vlen(r)) <= avail;
}

bool rec_header_valid(const struct pmkv_record *r, uint64_t pos,
		      uint64_t size, uint64_t seg_id, uint32_t key_max,
		      uint32_t value_max)
{
	if (pos + sizeof(*r) > size)
		return false;
	if (r->version == 0 || r->segment_id != seg_id || r->offset != pos)
		return false;
	if (r->klen == 0 || !rec_fits(r, size - pos, key_max, value_max))
		return false;
	if ((r->vlen_flags & PMKV_REC_TOMBSTONE) && rec_vlen(r))
		return false;
	return rec_hcsum(r, rec_key(r)) == r->hcsum;
}

const char *rec_check_entry(const uint8_t *base, uint64_t limit,
			    const struct pmkv_record *h, uint64_t off,
			    const void *key, uint32_t klen, uint64_t seg_off,
			    uint64_t seg_id)
{
	const struct pmkv_segment *seg;
	uint64_t start;

	if (h->klen == 0 || !rec_fits(h, limit - off, PMKV_KEY_MAX,
				      PMKV_VALUE_MAX))
		return "its lengths are past the limits (PMKV_KEY_MAX, PMKV_VALUE_MAX) or the end of the pool";
	/* the segment it names starts where its own offset says */
	start = off - h->offset;
	if (h->offset > off || start % PMKV_SLOT_ALIGN)
		return "it is not where it was written";
	seg = (const struct pmkv_segment *)(base + start);
	if (seg_id ? start != seg_off || seg_id != h->segment_id :
	    seg->magic != PMKV_SEGMENT_MAGIC || seg->id != h->segment_id ||
	    seg->size < h->offset)
		return "it is not in the segment it names";
	if (h->version == 0 || (h->vlen_flags & PMKV_REC_TOMBSTONE))
		return "it is not the live record its index entry says";
	/*
	 * A get has every field it uses checked without the header checksum:
	 * the key against its own, the lengths by the value's checksum (a
	 * wrong length hashes other bytes), the place against the segment.
	 * That saves a get a tenth of its instructions; a scan has no key
	 * to compare.
	 */
	if (key && (h->klen != klen ||
		    memcmp(base + off + sizeof(*h), key, klen)))
		return "its key is not the one its index entry was found by";
	/* salvage keeps records whose header failed: those must not serve */
	if (key && !seg_id)
		return NULL;
	/*
	 * On media the hashed header bytes and the key are contiguous:
	 * hash them in place. h may be a copy of the header (a get without
	 * the lock): then hash the copy's fields with the key.
	 */
	if ((h == (const void *)(base + off) ?
	     XXH3_64bits(&h->version, HDR_HASHED + h->klen) :
	     rec_hcsum(h, base + off + sizeof(*h))) != h->hcsum)
		return "its header fails its checksum";
	return NULL;
}

int rec_beside_damaged(const char *path)
{
	return pmkv_err(PMKV_E_CORRUPT,
			"%s: a record beside this key in the index is damaged: the keys cannot be compared",
			path);
}

int rec_damaged(const char *path, const struct pmkv_record *r, uint64_t off,
		const char *what)
{
	return pmkv_err(PMKV_E_CORRUPT,
			"%s: record at pool offset %llu (key of %u, value of %u bytes): %s",
			path, (unsigned long long)off, r->klen, rec_vlen(r), what);
}

/* the zeros of a record: before a page-aligned value, and after it */
static const uint8_t zero_page[PMKV_SLOT_ALIGN];

/*
 * The whole record in one write to the pool's file, when pc has one: the
 * same bytes as the copies below, header first. false when it did not
 * go that way.
 */
static bool rec_write_file(const struct persist_ops *ops,
			   struct persist_ctx *pc, uint8_t *d,
			   const struct pmkv_record *hdr, const void *key,
			   const void *val, uint64_t voff)
{
	uint32_t vlen = hdr->vlen_flags & PMKV_REC_VLEN_MASK;
	uint64_t size = rec_size(hdr);
	struct iovec iov[5] = {
		{ (void *)hdr, sizeof(*hdr) },
		{ (void *)key, hdr->klen },
		{ (void *)zero_page, voff - sizeof(*hdr) - hdr->klen },
		{ (void *)val, vlen },
		{ (void *)zero_page, size - voff - vlen },
	};

	return pc->file_base && ops->write(pc, d, iov, 5, size);
}

void rec_write(const struct persist_ops *ops, struct persist_ctx *pc,
	       void *dst, const struct pmkv_record *hdr, const void *key,
	       const void *val)
{
	uint32_t vlen = hdr->vlen_flags & PMKV_REC_VLEN_MASK;
	uint64_t size = rec_size(hdr);
	uint64_t voff = record_value_at(hdr->offset, hdr->klen, vlen) -
			hdr->offset;
	uint8_t *d = dst;
	uint8_t small[1024];
	uint64_t tail;

	/* one copy of a contiguous image for typical records */
	if (size <= sizeof(small) && (val || !vlen)) {
		memcpy(small, hdr, sizeof(*hdr));
		memcpy(small + sizeof(*hdr), key, hdr->klen);
		if (vlen)
			memcpy(small + voff, val, vlen);
		tail = size - voff - vlen;
		memset(small + size - tail, 0, tail);
		ops->copy(pc, d, small, size);
		return;
	}
	if (size >= PERSIST_FILE_MIN && val && rec_write_file(ops, pc, d, hdr,
							      key, val, voff))
		return;
	ops->copy(pc, d, hdr, sizeof(*hdr));
	ops->copy(pc, d + sizeof(*hdr), key, hdr->klen);
	if (voff > sizeof(*hdr) + hdr->klen) {
		/* the gap before a page-aligned value: zeros, as format.md says */
		ops->copy(pc, d + sizeof(*hdr) + hdr->klen, zero_page,
			  voff - sizeof(*hdr) - hdr->klen);
	}
	/* val NULL: the value was stored in place (commit_append_filled) */
	if (vlen && val)
		ops->copy(pc, d + voff, val, vlen);
	else if (vlen)
		ops->flush(pc, d + voff, vlen);
	tail = size - voff - vlen;
	if (tail)
		ops->copy(pc, d + size - tail, zero_page, tail);
}
