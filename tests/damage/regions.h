/* SPDX-License-Identifier: BSD-3-Clause */
/* regions.h -- a map of a pool image by structure, for aiming damage */
#ifndef PMKV_DAMAGE_REGIONS_H
#define PMKV_DAMAGE_REGIONS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The map follows the on-media format 2 spec (doc/format.md once it lands),
 * read with byte offsets of its own rather than lib/layout.h, so that a
 * renamed field does not change what the fuzzer aims at. It is a map, not
 * a checker: a segment's walk stops at its first invalid record header.
 */
enum region_kind {
	REGION_PMDK_HEADER,	/* [0, 4096): libpmemobj's pool header */
	REGION_PMDK_DESCRIPTOR,	/* [4096, 8192): layout name, root offset */
	REGION_PMDK_META,	/* lanes, heap, and anything unclassified */
	REGION_SUPER,		/* the primary superblock */
	REGION_SUPER_COPY,	/* the superblock's copy at copy_off */
	REGION_SLOT_TABLE,
	REGION_SEGMENT_HEADER,	/* 64 bytes at each live slot */
	REGION_RECORD_HEADER,	/* 48 bytes */
	REGION_KEY,
	REGION_VALUE,
	REGION_FREE,		/* free slots, segment tails, record gaps */
	REGION_NR,
};

struct region {
	uint64_t off;		/* pool offset */
	uint64_t len;
	enum region_kind kind;
};

struct region_map {
	struct region *r;
	size_t n, cap;
	uint64_t bytes[REGION_NR];	/* total length of each kind */
	uint32_t format_major;	/* 0 when no superblock was found */
	uint64_t segments, records;	/* live segments and valid records walked */
};

/*
 * regions_map -- classify every byte of a pool image
 *
 * Regions come out sorted by offset, covering [0, len) without overlap.
 * An image whose superblock is not format 2 is mapped as PMDK's parts,
 * the superblock and pmdk-meta for the rest. Returns 0 or -ENOMEM.
 */
int regions_map(const uint8_t *img, uint64_t len, struct region_map *m);

void regions_free(struct region_map *m);

/* the region's name as the table prints it ("record-header") */
const char *region_kind_name(enum region_kind k);

/* the kind named name, or -1 */
int region_kind_parse(const char *name);

/*
 * regions_pick -- a byte of the given kind, uniform over all its bytes
 *
 * r is a random number; returns the pool offset, or UINT64_MAX when the
 * map holds no byte of that kind.
 */
uint64_t regions_pick(const struct region_map *m, enum region_kind k,
		      uint64_t r);

/* the kind of the byte at off (REGION_PMDK_META past the map) */
enum region_kind regions_kind_at(const struct region_map *m, uint64_t off);

#endif /* PMKV_DAMAGE_REGIONS_H */
