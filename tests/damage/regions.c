// SPDX-License-Identifier: BSD-3-Clause
/* regions.c -- a map of a pool image by structure, for aiming damage */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "regions.h"

/*
 * Offsets from the format 2 spec, spelled out here on purpose (see
 * regions.h). PMDK's: the root object's pool offset is a u64 at 6144.
 */
#define PMDK_DESC_OFF 4096ULL
#define PMDK_META_OFF 8192ULL
#define PMDK_ROOT_OFF 6144ULL

#define SB_MAGIC 0x4c4f4f50564b4d50ULL	/* "PMKVPOOL" */
#define SB_STATIC 1024ULL	/* bytes the copy repeats */
#define SB_MUTABLE 1032ULL	/* ... and next_segment_id after them */
#define SB_MUTABLE3 1088ULL	/* format 3: ... up to the checkpoint's
				   generation, offset and sequence */
#define SB_MAJOR 8
#define SB_SEGMENT_SIZE 32
#define SB_KEY_MAX 40
#define SB_VALUE_MAX 44
#define SB_TABLE_OFF 72
#define SB_NSLOTS 80
#define SB_NEXTENTS 84
#define SB_COPY_OFF 88
#define SB_EXTENTS 128
#define SB_EXTENTS_MAX 48U
#define SB_CSUM 1016
#define SB_COPY_SEARCH (64ULL << 20)	/* how far back the probe looks */

#define SLOT_SIZE 32ULL
#define SLOT_LIVE 0x45564c54534b4d50ULL	/* "PMKSTLVE" */
#define SLOT_ID 8
#define SLOT_SPAN 16

#define SEG_MAGIC 0x32474553564b4d50ULL	/* "PMKVSEG2" */
#define SEG_HDR 64ULL
#define SEG_ID 8
#define SEG_SIZE 16
#define SEG_CSUM 40	/* after the pool's uuid (16 bytes at 24) */

#define REC_HDR 48ULL
#define REC_VERSION 8
#define REC_SEGMENT_ID 16
#define REC_KLEN 24
#define REC_VLEN_FLAGS 28
#define REC_OFFSET 36
#define REC_VLEN_MASK 0x3fffffffU
#define REC_TOMBSTONE (1U << 30)
#define REC_VALUE_ALIGN_MIN 65536U	/* values this long start 4096-aligned */

static const char *const kind_names[REGION_NR] = {
	[REGION_PMDK_HEADER] = "pmdk-header",
	[REGION_PMDK_DESCRIPTOR] = "pmdk-descriptor",
	[REGION_PMDK_META] = "pmdk-meta",
	[REGION_SUPER] = "superblock",
	[REGION_SUPER_COPY] = "superblock-copy",
	[REGION_SLOT_TABLE] = "slot-table",
	[REGION_SEGMENT_HEADER] = "segment-header",
	[REGION_RECORD_HEADER] = "record-header",
	[REGION_KEY] = "key",
	[REGION_VALUE] = "value",
	[REGION_FREE] = "free-space",
};

const char *region_kind_name(enum region_kind k)
{
	return (unsigned)k < REGION_NR ? kind_names[k] : "?";
}

int region_kind_parse(const char *name)
{
	int k;

	for (k = 0; k < REGION_NR; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* regions may be added in any order and clipped to the image */
static int add(struct region_map *m, uint64_t len_img, uint64_t off,
	       uint64_t len, enum region_kind kind)
{
	struct region *r;

	if (off >= len_img || len == 0)
		return 0;
	if (len > len_img - off)
		len = len_img - off;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;

		r = realloc(m->r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		m->r = r;
		m->cap = cap;
	}
	m->r[m->n++] = (struct region){ .off = off, .len = len, .kind = kind };
	return 0;
}

/* ------------------------------------------------------------------ */
/* superblock */

struct super {
	uint64_t off, segment_size, table_off, copy_off;
	uint32_t major, key_max, value_max, nslots, nextents;
	const uint8_t *p;
};

static bool super_at(const uint8_t *img, uint64_t len, uint64_t off)
{
	if (off < PMDK_META_OFF || off > len || len - off < SB_MUTABLE)
		return false;
	if (rd64(img + off) != SB_MAGIC)
		return false;
	return XXH64(img + off, SB_CSUM, 0) == rd64(img + off + SB_CSUM);
}

/*
 * The primary at PMDK's root offset; when it fails, the copy, found the
 * way the spec's probe finds it: 4096-aligned, from the end backwards.
 * The pristine pools the fuzzer maps always have a good primary; the
 * search is for images that are damaged already (afl seeds, --map).
 */
static bool super_find(const uint8_t *img, uint64_t len, struct super *sb)
{
	uint64_t off = len >= PMDK_ROOT_OFF + 8 ? rd64(img + PMDK_ROOT_OFF) : 0;
	uint64_t stop;

	if (!super_at(img, len, off)) {
		stop = len > SB_COPY_SEARCH ? len - SB_COPY_SEARCH : 0;
		for (off = len & ~4095ULL; off >= stop && off >= 4096;
		     off -= 4096)
			if (super_at(img, len, off))
				break;
		/* no copy: a primary with the magic is still worth aiming
		 * at (format 1 has no csum at 1016) */
		if (off < stop || off < 4096) {
			off = len >= PMDK_ROOT_OFF + 8 ?
				      rd64(img + PMDK_ROOT_OFF) : 0;
			if (off < PMDK_META_OFF || off > len ||
			    len - off < SB_MUTABLE || rd64(img + off) != SB_MAGIC)
				return false;
		}
	}
	sb->off = off;
	sb->p = img + off;
	sb->major = rd32(sb->p + SB_MAJOR);
	sb->segment_size = rd64(sb->p + SB_SEGMENT_SIZE);
	sb->key_max = rd32(sb->p + SB_KEY_MAX);
	sb->value_max = rd32(sb->p + SB_VALUE_MAX);
	sb->table_off = rd64(sb->p + SB_TABLE_OFF);
	sb->nslots = rd32(sb->p + SB_NSLOTS);
	sb->nextents = rd32(sb->p + SB_NEXTENTS);
	sb->copy_off = rd64(sb->p + SB_COPY_OFF);
	return true;
}

/* the fields the walk relies on, bounded so that a bad one cannot run away */
static bool super_usable(const struct super *sb, uint64_t len)
{
	/* format 3 is format 2 and an index checkpoint in free slots */
	return (sb->major == 2 || sb->major == 3) && sb->segment_size >= 4096 &&
	       sb->segment_size % 4096 == 0 && sb->segment_size <= len &&
	       sb->nextents >= 1 && sb->nextents <= SB_EXTENTS_MAX &&
	       sb->key_max >= 1 && sb->key_max <= (1U << 20) &&
	       sb->table_off < len &&
	       (uint64_t)sb->nslots * SLOT_SIZE <= len - sb->table_off;
}

/* ------------------------------------------------------------------ */
/* segments and records */

struct walk {
	struct region_map *m;
	const uint8_t *img;
	uint64_t len;
	const struct super *sb;
	uint8_t *hbuf;		/* header bytes [8, 48) and the key, hashed */
};

/*
 * The record at segment offset pos, if its header is valid by the spec's
 * rules; *end is where the next one starts and *voff where its value does.
 */
static bool record_valid(const struct walk *w, const uint8_t *seg,
			 uint64_t id, uint64_t size, uint64_t pos,
			 uint64_t *voff, uint64_t *end)
{
	const uint8_t *h = seg + pos;
	uint32_t klen, vf, vlen;
	uint64_t v;

	if (pos + REC_HDR > size)
		return false;
	klen = rd32(h + REC_KLEN);
	vf = rd32(h + REC_VLEN_FLAGS);
	vlen = vf & REC_VLEN_MASK;
	if (rd64(h + REC_VERSION) == 0 || rd64(h + REC_SEGMENT_ID) != id ||
	    rd32(h + REC_OFFSET) != pos || klen < 1 ||
	    klen > w->sb->key_max || vlen > w->sb->value_max ||
	    ((vf & REC_TOMBSTONE) && vlen))
		return false;
	v = pos + REC_HDR + klen;
	if (vlen >= REC_VALUE_ALIGN_MIN)
		v = round_up(v, 4096);
	if (round_up(v + vlen, 8) > size)
		return false;
	memcpy(w->hbuf, h + REC_VERSION, REC_HDR - REC_VERSION);
	memcpy(w->hbuf + REC_HDR - REC_VERSION, h + REC_HDR, klen);
	if (XXH3_64bits(w->hbuf, REC_HDR - REC_VERSION + klen) != rd64(h))
		return false;
	*voff = v;
	*end = round_up(v + vlen, 8);
	return true;
}

static int records(struct walk *w, uint64_t seg_off, uint64_t id,
		   uint64_t size)
{
	const uint8_t *seg = w->img + seg_off;
	uint64_t pos = SEG_HDR, voff, end, klen;
	int rc = 0;

	while (!rc && record_valid(w, seg, id, size, pos, &voff, &end)) {
		klen = rd32(seg + pos + REC_KLEN);
		rc = add(w->m, w->len, seg_off + pos, REC_HDR,
			 REGION_RECORD_HEADER);
		rc = rc ?: add(w->m, w->len, seg_off + pos + REC_HDR, klen,
			       REGION_KEY);
		/* the alignment gap and the padding hold no data */
		rc = rc ?: add(w->m, w->len, seg_off + pos + REC_HDR + klen,
			       voff - pos - REC_HDR - klen, REGION_FREE);
		rc = rc ?: add(w->m, w->len, seg_off + voff,
			       rd32(seg + pos + REC_VLEN_FLAGS) &
				       REC_VLEN_MASK,
			       REGION_VALUE);
		w->m->records++;
		pos = end;
	}
	return rc;
}

/* one live segment of span slots at seg_off; returns 0 or -ENOMEM */
static int segment(struct walk *w, uint64_t seg_off, const uint8_t *entry,
		   uint64_t span)
{
	const uint8_t *h = w->img + seg_off;
	uint64_t room = span * w->sb->segment_size, size;
	uint64_t id = rd64(entry + SLOT_ID);
	int rc;

	if (room > w->len - seg_off)
		room = w->len - seg_off;
	rc = add(w->m, w->len, seg_off, SEG_HDR, REGION_SEGMENT_HEADER);
	if (rc || room < SEG_HDR)
		return rc;
	size = rd64(h + SEG_SIZE);
	if (rd64(h) == SEG_MAGIC && rd64(h + SEG_ID) == id &&
	    size >= SEG_HDR && size <= room &&
	    XXH64(h, SEG_CSUM, 0) == rd64(h + SEG_CSUM)) {
		w->m->segments++;
		rc = records(w, seg_off, id, size);
	}
	/* after the last record: the segment's tail and the span's rest */
	return rc;
}

static int extents(struct walk *w)
{
	const struct super *sb = w->sb;
	uint64_t s = 0, e, j, n, off, span, slot_off;
	const uint8_t *entry;
	int rc = 0;

	for (e = 0; e < sb->nextents && !rc; e++) {
		off = rd64(sb->p + SB_EXTENTS + e * 16);
		n = rd64(sb->p + SB_EXTENTS + e * 16 + 8);
		if (off >= w->len || n > (w->len - off) / sb->segment_size)
			break;
		for (j = 0; j < n && s < sb->nslots && !rc; j += span, s += span) {
			entry = w->img + sb->table_off + s * SLOT_SIZE;
			slot_off = off + j * sb->segment_size;
			span = 1;
			if (rd64(entry) != SLOT_LIVE) {
				rc = add(w->m, w->len, slot_off,
					 sb->segment_size, REGION_FREE);
				continue;
			}
			span = rd32(entry + SLOT_SPAN);
			if (span < 1 || span > n - j)
				span = 1;
			rc = segment(w, slot_off, entry, span);
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* the map */

static int by_off(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Sort, clip overlaps (the earlier region keeps its bytes), and give every
 * gap to pmdk-meta or, inside a segment's slots, to free space: the walk
 * adds only what it recognises, so whatever it left inside a live segment
 * is the tail after its last valid record.
 */
static int normalise(struct region_map *m, uint64_t len,
		     const struct region_map *slots)
{
	struct region_map out = { 0 };
	uint64_t at = 0, end, gap_end;
	size_t i, si = 0;
	int rc = 0;

	qsort(m->r, m->n, sizeof(*m->r), by_off);
	for (i = 0; i <= m->n && !rc; i++) {
		end = i < m->n ? m->r[i].off : len;
		while (at < end && !rc) {
			/* the gap is free space where a slot covers it */
			while (si < slots->n &&
			       slots->r[si].off + slots->r[si].len <= at)
				si++;
			if (si < slots->n && slots->r[si].off <= at) {
				gap_end = slots->r[si].off + slots->r[si].len;
				gap_end = gap_end < end ? gap_end : end;
				rc = add(&out, len, at, gap_end - at,
					 REGION_FREE);
			} else {
				gap_end = si < slots->n &&
						  slots->r[si].off < end ?
						  slots->r[si].off : end;
				rc = add(&out, len, at, gap_end - at,
					 REGION_PMDK_META);
			}
			at = gap_end;
		}
		if (i == m->n || rc)
			break;
		if (m->r[i].off + m->r[i].len <= at)
			continue;
		rc = add(&out, len, at, m->r[i].off + m->r[i].len - at,
			 m->r[i].kind);
		at = m->r[i].off + m->r[i].len;
	}
	if (rc) {
		free(out.r);
		return rc;
	}
	free(m->r);
	m->r = out.r;
	m->n = out.n;
	m->cap = out.cap;
	return 0;
}

/* the pool ranges of every slot, free or live, sorted */
static int slot_ranges(const uint8_t *img, uint64_t len,
		       const struct super *sb, struct region_map *slots)
{
	uint64_t e, off, n;
	int rc = 0;

	for (e = 0; e < sb->nextents && !rc; e++) {
		off = rd64(sb->p + SB_EXTENTS + e * 16);
		n = rd64(sb->p + SB_EXTENTS + e * 16 + 8);
		if (off >= len || n > (len - off) / sb->segment_size)
			break;
		rc = add(slots, len, off, n * sb->segment_size, REGION_FREE);
	}
	(void)img;
	qsort(slots->r, slots->n, sizeof(*slots->r), by_off);
	return rc;
}

static int map_format2(const uint8_t *img, uint64_t len, struct super *sb,
		       struct region_map *m, struct region_map *slots)
{
	struct walk w = { .m = m, .img = img, .len = len, .sb = sb };
	int rc;

	/* a copy that passes its own checks, else none is mapped */
	if (super_at(img, len, sb->copy_off) && sb->copy_off != sb->off)
		rc = add(m, len, sb->copy_off, SB_STATIC, REGION_SUPER_COPY);
	else
		rc = 0;
	rc = rc ?: add(m, len, sb->table_off, sb->nslots * SLOT_SIZE,
		       REGION_SLOT_TABLE);
	rc = rc ?: slot_ranges(img, len, sb, slots);
	if (rc)
		return rc;
	w.hbuf = malloc(REC_HDR + sb->key_max);
	if (!w.hbuf)
		return -ENOMEM;
	rc = extents(&w);
	free(w.hbuf);
	return rc;
}

int regions_map(const uint8_t *img, uint64_t len, struct region_map *m)
{
	struct region_map slots = { 0 };
	struct super sb;
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = add(m, len, 0, PMDK_DESC_OFF, REGION_PMDK_HEADER);
	rc = rc ?: add(m, len, PMDK_DESC_OFF, PMDK_META_OFF - PMDK_DESC_OFF,
		       REGION_PMDK_DESCRIPTOR);
	if (!rc && super_find(img, len, &sb)) {
		m->format_major = sb.major;
		/* next_segment_id, right after the static bytes, is the
		 * superblock's too: a bad one could reuse a segment id */
		rc = add(m, len, sb.off, sb.major == 3 ? SB_MUTABLE3 :
			 sb.major == 2 ? SB_MUTABLE : SB_STATIC, REGION_SUPER);
		if (!rc && super_usable(&sb, len))
			rc = map_format2(img, len, &sb, m, &slots);
	}
	rc = rc ?: normalise(m, len, &slots);
	free(slots.r);
	if (rc) {
		regions_free(m);
		return rc;
	}
	for (i = 0; i < m->n; i++)
		m->bytes[m->r[i].kind] += m->r[i].len;
	return 0;
}

void regions_free(struct region_map *m)
{
	free(m->r);
	memset(m, 0, sizeof(*m));
}

uint64_t regions_pick(const struct region_map *m, enum region_kind k,
		      uint64_t r)
{
	uint64_t want;
	size_t i;

	if ((unsigned)k >= REGION_NR || !m->bytes[k])
		return UINT64_MAX;
	want = r % m->bytes[k];
	for (i = 0; i < m->n; i++) {
		if (m->r[i].kind != k)
			continue;
		if (want < m->r[i].len)
			return m->r[i].off + want;
		want -= m->r[i].len;
	}
	return UINT64_MAX;
}

enum region_kind regions_kind_at(const struct region_map *m, uint64_t off)
{
	size_t lo = 0, hi = m->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->r[mid].off + m->r[mid].len <= off)
			lo = mid + 1;
		else if (m->r[mid].off > off)
			hi = mid;
		else
			return m->r[mid].kind;
	}
	return REGION_PMDK_META;
}
