// SPDX-License-Identifier: BSD-3-Clause
/* regions-test.c -- the region map reads a format 2 image as the spec says */
/*
 * The library cannot write format 2 pools yet, so this builds one by hand
 * from the spec: PMDK's header and root offset, a superblock with two
 * extents and its copy, a slot table with free, live, multi-slot and
 * damaged entries, and segments holding small, empty, tombstone and large
 * (4096-aligned) records, each walk ending at an invalid header. Every
 * byte must get the kind the spec gives it; a format 1 superblock must map
 * as PMDK's parts and the superblock only; with the primary damaged the
 * map must find the copy. Exit 0 when all hold.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "regions.h"

#define IMG (1ULL << 20)
#define ROOT 0x10000ULL
#define TABLE 0x11000ULL
#define SEG 0x10000ULL		/* 64 KiB slots */
#define EXT0 0x20000ULL
#define EXT1 0x80000ULL
#define COPY 0xc0000ULL

static uint8_t *img;
static int fails;

static void w64(uint64_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(img + off, &v, 8);
}

static void w32(uint64_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(img + off, &v, 4);
}

static void super(uint64_t off, uint32_t major)
{
	w64(off, 0x4c4f4f50564b4d50ULL);
	w32(off + 8, major);
	w64(off + 16, 0x0102030405060708ULL);
	w64(off + 24, IMG);
	w64(off + 32, SEG);
	w32(off + 40, 4096);
	w32(off + 44, 256U << 20);
	w64(off + 72, TABLE);
	w32(off + 80, 8);
	w32(off + 84, 2);
	w64(off + 88, COPY);
	w64(off + 128, EXT0);
	w64(off + 136, 4);
	w64(off + 144, EXT1);
	w64(off + 152, 4);
	w64(off + 1016, XXH64(img + off, 1016, 0));
}

static void slot(unsigned s, uint64_t state, uint64_t id, uint32_t span)
{
	uint64_t e = TABLE + s * 32ULL;

	w64(e + 8, id);
	w32(e + 16, span);
	w64(e + 24, XXH64(img + e + 8, 16, 0));
	w64(e, state);
}

static void segment(uint64_t off, uint64_t id, uint64_t size)
{
	w64(off, 0x32474553564b4d50ULL);
	w64(off + 8, id);
	w64(off + 16, size);
	/* the pool's uuid at 24 stays zero here: the map does not read it */
	w64(off + 40, XXH64(img + off, 40, 0));
}

/* a record at segment offset pos; returns where the next one starts */
static uint64_t record(uint64_t seg, uint64_t pos, uint64_t id,
		       const char *key, uint32_t vlen, bool tomb,
		       uint64_t *voff)
{
	uint64_t h = seg + pos, v;
	uint32_t klen = (uint32_t)strlen(key);
	uint8_t buf[40 + 64];

	w64(h + 8, 7);
	w64(h + 16, id);
	w32(h + 24, klen);
	w32(h + 28, vlen | (tomb ? 1U << 30 : 0));
	w32(h + 36, (uint32_t)pos);
	memcpy(img + h + 48, key, klen);
	v = pos + 48 + klen;
	if (vlen >= 65536)
		v = (v + 4095) & ~4095ULL;
	memset(img + seg + v, 0x5a, vlen);
	w64(h + 40, XXH3_64bits(img + seg + v, vlen));
	memcpy(buf, img + h + 8, 40);
	memcpy(buf + 40, key, klen);
	w64(h, XXH3_64bits(buf, 40 + klen));
	*voff = v;
	return (v + vlen + 7) & ~7ULL;
}

static void expect(const struct region_map *m, uint64_t off,
		   enum region_kind want, const char *why)
{
	enum region_kind got = regions_kind_at(m, off);

	if (got == want)
		return;
	printf("not ok: 0x%llx (%s) is %s, expected %s\n",
	       (unsigned long long)off, why, region_kind_name(got),
	       region_kind_name(want));
	fails++;
}

static void expect_eq(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return;
	printf("not ok: %s: %llu, expected %llu\n", what,
	       (unsigned long long)got, (unsigned long long)want);
	fails++;
}

/* sorted, contiguous, and every byte counted once */
static void whole(const struct region_map *m)
{
	uint64_t at = 0, sum = 0;
	size_t i;
	int k;

	for (i = 0; i < m->n; i++) {
		if (m->r[i].off != at)
			break;
		at += m->r[i].len;
	}
	for (k = 0; k < REGION_NR; k++)
		sum += m->bytes[k];
	expect_eq("bytes mapped in order", at, IMG);
	expect_eq("bytes counted", sum, IMG);
}

struct layout {
	uint64_t a, a_v, b, c, c_v, d;	/* record offsets in the pool */
};

static void build(struct layout *l)
{
	uint64_t end, v, s1 = EXT0, s2 = EXT0 + 2 * SEG, s3 = EXT1;

	memset(img, 0, IMG);
	memcpy(img, "PMEMOBJ", 8);
	w32(8, 6);
	memcpy(img + 4096, "pmkv", 5);
	w64(6144, ROOT);
	w64(6160, 4096);
	super(ROOT, 2);
	w64(ROOT + 1024, 9);	/* next_segment_id */
	memcpy(img + COPY, img + ROOT, 1024);

	/* slot 0: segment 5; 1: free; 2-3: segment 6; 4: a bad header;
	 * 5: free with stale bytes; 6-7: free */
	slot(0, 0x45564c54534b4d50ULL, 5, 1);
	slot(2, 0x45564c54534b4d50ULL, 6, 2);
	slot(4, 0x45564c54534b4d50ULL, 7, 1);
	slot(5, 0, 3, 1);

	segment(s1, 5, SEG);
	l->a = s1 + 64;
	end = record(s1, 64, 5, "alpha", 10, false, &v);
	l->a_v = s1 + v;
	l->b = s1 + end;
	end = record(s1, end, 5, "beta", 0, true, &v);
	/* copied from elsewhere: its offset field names another place */
	record(s1, end, 5, "delta", 3, false, &v);
	w32(s1 + end + 36, 64);

	segment(s2, 6, 2 * SEG);
	l->c = s2 + 64;
	end = record(s2, 64, 6, "gamma", 70000, false, &v);
	l->c_v = s2 + v;
	l->d = s2 + end;
	record(s2, end, 6, "epsilon", 8, false, &v);
	img[l->d + 50] ^= 1;	/* a key byte: hcsum fails */

	segment(s3, 7, SEG);
	img[s3] ^= 0x80;	/* segment magic damaged */
}

static void check_v2(const struct layout *l)
{
	struct region_map m;

	if (regions_map(img, IMG, &m)) {
		printf("not ok: regions_map failed\n");
		fails++;
		return;
	}
	whole(&m);
	expect_eq("format", m.format_major, 2);
	expect_eq("segments walked", m.segments, 2);
	expect_eq("records walked", m.records, 3);
	expect(&m, 0, REGION_PMDK_HEADER, "pool header");
	expect(&m, 5000, REGION_PMDK_DESCRIPTOR, "descriptor");
	expect(&m, 0x2000, REGION_PMDK_META, "lanes");
	expect(&m, ROOT, REGION_SUPER, "superblock");
	expect(&m, ROOT + 1031, REGION_SUPER, "next_segment_id");
	expect(&m, ROOT + 1032, REGION_PMDK_META, "superblock reserved");
	expect(&m, TABLE, REGION_SLOT_TABLE, "slot 0");
	expect(&m, TABLE + 255, REGION_SLOT_TABLE, "slot 7");
	expect(&m, TABLE + 256, REGION_PMDK_META, "after the table");
	expect(&m, EXT0, REGION_SEGMENT_HEADER, "segment 5 header");
	expect(&m, l->a, REGION_RECORD_HEADER, "alpha header");
	expect(&m, l->a + 48, REGION_KEY, "alpha key");
	expect(&m, l->a_v, REGION_VALUE, "alpha value");
	expect(&m, l->a_v + 10, REGION_FREE, "alpha padding");
	expect(&m, l->b + 47, REGION_RECORD_HEADER, "beta header");
	expect(&m, l->b + 48 + 3, REGION_KEY, "beta key");
	expect(&m, l->b + 56, REGION_FREE, "after beta: copied record");
	expect(&m, EXT0 + SEG - 1, REGION_FREE, "segment 5 tail");
	expect(&m, EXT0 + SEG, REGION_FREE, "free slot 1");
	expect(&m, EXT0 + 2 * SEG, REGION_SEGMENT_HEADER, "segment 6 header");
	expect(&m, l->c + 48 + 5, REGION_FREE, "gamma's alignment gap");
	expect(&m, l->c_v, REGION_VALUE, "gamma value");
	expect_eq("gamma's value 4096-aligned", l->c_v % 4096, 0);
	expect(&m, l->c_v + 69999, REGION_VALUE, "gamma value end");
	expect(&m, l->d, REGION_FREE, "epsilon, damaged key");
	expect(&m, EXT0 + 4 * SEG - 1, REGION_FREE, "segment 6 span end");
	expect(&m, EXT1, REGION_SEGMENT_HEADER, "damaged segment header");
	expect(&m, EXT1 + 64, REGION_FREE, "after a damaged header");
	expect(&m, EXT1 + SEG, REGION_FREE, "slot 5, stale bytes");
	expect(&m, COPY, REGION_SUPER_COPY, "copy");
	expect(&m, COPY + 1023, REGION_SUPER_COPY, "copy end");
	expect(&m, COPY + 1024, REGION_PMDK_META, "after the copy");
	expect(&m, IMG - 1, REGION_PMDK_META, "heap end");
	regions_free(&m);
}

static void check_damaged_primary(void)
{
	struct region_map m;

	img[ROOT + 100] ^= 4;
	if (regions_map(img, IMG, &m)) {
		fails++;
		return;
	}
	expect_eq("records, primary damaged", m.records, 3);
	expect(&m, COPY, REGION_SUPER, "the copy, found from the end");
	whole(&m);
	regions_free(&m);
	img[ROOT + 100] ^= 4;
}

static void check_format1(void)
{
	struct region_map m;

	super(ROOT, 1);
	if (regions_map(img, IMG, &m)) {
		fails++;
		return;
	}
	expect_eq("format 1", m.format_major, 1);
	expect_eq("format 1 records", m.records, 0);
	expect(&m, ROOT + 1023, REGION_SUPER, "format 1 superblock");
	expect(&m, TABLE, REGION_PMDK_META, "format 1: no slot table");
	whole(&m);
	regions_free(&m);
}

int main(void)
{
	struct layout l;

	img = malloc(IMG);
	if (!img)
		return 99;
	build(&l);
	check_v2(&l);
	check_damaged_primary();
	check_format1();
	free(img);
	printf("%s: regions of a hand-built format 2 image\n",
	       fails ? "not ok" : "ok");
	return fails ? 1 : 0;
}
