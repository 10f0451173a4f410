// SPDX-License-Identifier: BSD-3-Clause
/*
 * check.c -- walk every structure and verify the invariants that the
 * commit protocol, reclamation and recovery rely on
 *
 * For tests and the crash harness: the handle must be quiet (no other
 * thread using it). Verified:
 *   - every record up to a segment's end of log is valid, batches whole;
 *   - every record's key has an index entry whose count equals the number
 *     of records of that key on media, and whose newest record it names;
 *   - no record of a key is newer than the one its entry names;
 *   - each segment's live bytes are the sizes of the records entries name;
 *   - the index is in key order, holds no batch's placeholder, and its
 *     key count is its number of non-tombstone entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

struct tally {
	const struct ientry *e;
	uint32_t records;
	bool head_seen;
};

struct tally_map {
	struct tally *slots;
	size_t mask;
};

static struct tally *tally_of(struct tally_map *m, const struct ientry *e)
{
	size_t i = ((uintptr_t)e >> 3) * 0x9e3779b97f4a7c15ULL & m->mask;

	while (m->slots[i].e && m->slots[i].e != e)
		i = (i + 1) & m->mask;
	m->slots[i].e = e;
	return &m->slots[i];
}

static int count_one(void *arg, uint64_t pfx, const struct ientry *e)
{
	(void)pfx;
	(void)e;
	++*(uint64_t *)arg;
	return 0;
}

static uint64_t entries_total(struct pmkv *kv)
{
	uint64_t n = 0;

	index_walk(&kv->index, count_one, &n);
	return n;
}

static int check_record(struct pmkv *kv, struct tally_map *m, struct seg *s,
			uint64_t off, uint64_t *live)
{
	const struct pmkv_record *r = kv_ptr(kv, off), *h;
	struct ientry *e;
	struct tally *t;
	struct key k;

	key_make(&k, rec_key(r), r->klen);
	e = index_find_quiet(&kv->index, &k);
	if (!e)
		return pmkv_err(PMKV_E_CORRUPT,
				"check: record at %llu in segment %llu has no index entry",
				(unsigned long long)off, (unsigned long long)s->id);
	h = kv_ptr(kv, IE_OFF(e));
	if (r->version > h->version)
		return pmkv_err(PMKV_E_CORRUPT,
				"check: record at %llu has version %llu, newer than the entry's %llu",
				(unsigned long long)off, (unsigned long long)r->version,
				(unsigned long long)h->version);
	t = tally_of(m, e);
	t->records++;
	if (IE_OFF(e) == off) {
		if (kv->segs[e->seg] != s)
			return pmkv_err(PMKV_E_CORRUPT,
					"check: entry of record at %llu names segment slot %u",
					(unsigned long long)off, e->seg);
		if (!!(e->off & IE_TOMB) != !!(r->vlen_flags & PMKV_REC_TOMBSTONE))
			return pmkv_err(PMKV_E_CORRUPT,
					"check: entry and record at %llu disagree on deletion",
					(unsigned long long)off);
		t->head_seen = true;
		*live += rec_size(r);
	}
	return 0;
}

static int check_segments(struct pmkv *kv, struct tally_map *m)
{
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];
		uint64_t off, end, live = 0;
		int rc;

		if (!s)
			continue;
		end = s->off + s->used;
		for (off = s->off + PMKV_SEGMENT_DATA; off < end;) {
			const struct pmkv_record *r = kv_ptr(kv, off);

			if (!rec_header_valid(r, off - s->off, s->size, s->id,
					      kv->sb->key_max,
					      kv->sb->value_max) ||
			    !rec_value_valid(r))
				return pmkv_err(PMKV_E_CORRUPT,
						"check: invalid record at %llu in segment %llu (end of log %llu)",
						(unsigned long long)off,
						(unsigned long long)s->id,
						(unsigned long long)end);
			rc = check_record(kv, m, s, off, &live);
			if (rc)
				return rc;
			off += rec_size(r);
		}
		if (off != end)
			return pmkv_err(PMKV_E_CORRUPT,
					"check: segment %llu's last record ends at %llu, past %llu",
					(unsigned long long)s->id, (unsigned long long)off,
					(unsigned long long)end);
		if (live != s->live)
			return pmkv_err(PMKV_E_CORRUPT,
					"check: segment %llu has %llu live bytes, counted %llu",
					(unsigned long long)s->id,
					(unsigned long long)live,
					(unsigned long long)s->live);
	}
	return 0;
}

struct entries_walk {
	struct pmkv *kv;
	struct tally_map *m;
	uint64_t nkeys, last_pfx;
	const struct pmkv_record *last;
};

static int check_entry(void *arg, uint64_t pfx, const struct ientry *e)
{
	struct entries_walk *w = arg;
	struct tally *t = tally_of(w->m, e);
	const struct pmkv_record *r = kv_ptr(w->kv, IE_OFF(e));

	if (e->off & IE_HOLD)
		return pmkv_err(PMKV_E_CORRUPT,
				"check: a batch's placeholder left for the record at %llu",
				(unsigned long long)IE_OFF(e));
	if (!t->head_seen || t->records != e->count)
		return pmkv_err(PMKV_E_CORRUPT,
				"check: entry for record at %llu counts %u records, found %u%s",
				(unsigned long long)IE_OFF(e), e->count,
				t->records,
				t->head_seen ? "" : ", its record not in any segment");
	/* every record named was checked above: its key can be read */
	if (w->last && (pfx < w->last_pfx ||
			key_cmp_bytes(rec_key(w->last), w->last->klen,
				      rec_key(r), r->klen) >= 0))
		return pmkv_err(PMKV_E_CORRUPT,
				"check: the index is out of key order at the record at %llu",
				(unsigned long long)IE_OFF(e));
	w->last = r;
	w->last_pfx = pfx;
	if (IE_LIVE(e->off))
		w->nkeys++;
	return 0;
}

static int check_entries(struct pmkv *kv, struct tally_map *m)
{
	struct entries_walk w = { .kv = kv, .m = m };
	int rc = index_walk(&kv->index, check_entry, &w);

	if (rc)
		return rc;
	if (w.nkeys != index_nkeys(&kv->index))
		return pmkv_err(PMKV_E_CORRUPT,
				"check: the index counts %llu keys, has %llu",
				(unsigned long long)index_nkeys(&kv->index),
				(unsigned long long)w.nkeys);
	return 0;
}

int check_run(struct pmkv *kv)
{
	struct tally_map m;
	size_t n = 16;
	int rc;

	while (n < 2 * entries_total(kv) + 16)
		n *= 2;
	m.slots = calloc(n, sizeof(*m.slots));
	if (!m.slots)
		return pmkv_err(-ENOMEM, "check: no memory for %zu tallies", n);
	m.mask = n - 1;
	rc = check_segments(kv, &m);
	if (!rc)
		rc = check_entries(kv, &m);
	free(m.slots);
	return rc;
}
