// SPDX-License-Identifier: BSD-3-Clause
/*
 * recovery.c -- rebuild the DRAM index from the log at open
 *
 * Every segment is read from its first record to the first one that is not
 * valid (layout.h says what valid means); a writer persisted each record
 * before writing the next, so nothing acknowledged lies beyond. A batch
 * counts only when all of its records are valid. For each key the newest
 * version wins; equal versions are a record and its reclamation copy, with
 * the same contents. Nothing is written: a crash during recovery changes
 * nothing, and the next open starts over.
 */
#include <errno.h>
#include <time.h>

#include "internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int apply(struct pmkv *kv, struct seg *s, uint64_t off)
{
	const struct pmkv_record *r = kv_ptr(kv, off);
	struct install in = {
		.off = off,
		.size = rec_size(r),
		.version = r->version,
		.seg = s,
		.tomb = r->vlen_flags & PMKV_REC_TOMBSTONE,
	};

	key_make(&in.key, rec_key(r), r->klen);
	s->live += in.size;
	kv->recovered_records++;
	return install_locked(kv, &kv->shards[index_shard_of(&in.key)], &in);
}

/* bytes of the whole batch starting at off, or 0 if any record is bad */
static uint64_t batch_extent(struct pmkv *kv, struct seg *s, uint64_t off)
{
	const struct pmkv_record *first = kv_ptr(kv, off);
	uint64_t pos = off, end = s->off + s->size;

	for (uint32_t i = 0; i < first->batch_count; i++) {
		const struct pmkv_record *r = kv_ptr(kv, pos);

		if (!rec_valid(r, end - pos, s->id, kv->sb->key_max,
			       kv->sb->value_max) ||
		    !(r->vlen_flags & PMKV_REC_BATCH) ||
		    r->version != first->version ||
		    (i > 0 && r->batch_count != 0))
			return 0;
		pos += rec_size(r);
	}
	return pos - off;
}

static int scan_segment(struct pmkv *kv, struct seg *s, uint64_t *max_version)
{
	uint64_t off = s->off + PMKV_SEGMENT_DATA, end = s->off + s->size;
	int rc;

	while (off < end) {
		const struct pmkv_record *r = kv_ptr(kv, off);
		uint64_t n;

		if (!rec_valid(r, end - off, s->id, kv->sb->key_max,
			       kv->sb->value_max))
			break;
		if (r->vlen_flags & PMKV_REC_BATCH) {
			/* a batch is whole or it is the torn end of the log */
			n = r->batch_count ? batch_extent(kv, s, off) : 0;
			if (!n)
				break;
			for (uint64_t p = off; p < off + n;
			     p += rec_size(kv_ptr(kv, p))) {
				rc = apply(kv, s, p);
				if (rc)
					return rc;
			}
		} else {
			n = rec_size(r);
			rc = apply(kv, s, off);
			if (rc)
				return rc;
		}
		if (r->version > *max_version)
			*max_version = r->version;
		off += n;
	}
	s->used = off - s->off;
	return 0;
}

int recovery_run(struct pmkv *kv)
{
	uint64_t t0 = now_ns(), max_version = 0;
	PMEMoid oid;
	int rc;

	for (oid = pmemobj_first(kv->pop); !OID_IS_NULL(oid);
	     oid = pmemobj_next(oid)) {
		struct seg *s;

		if (pmemobj_type_num(oid) != PMKV_TYPE_SEGMENT)
			continue;
		rc = segment_adopt(kv, oid, &s);
		if (rc)
			return rc;
		rc = scan_segment(kv, s, &max_version);
		if (rc)
			return rc;
	}
	kv->version = max_version + 1;
	kv->recovery_ns = now_ns() - t0;
	return 0;
}
