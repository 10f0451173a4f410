/* SPDX-License-Identifier: BSD-3-Clause */
/* damage.h -- the kinds of damage a trial applies to a pool image */
#ifndef PMKV_DAMAGE_DAMAGE_H
#define PMKV_DAMAGE_DAMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "regions.h"
#include "rng.h"

enum damage_kind {
	DAMAGE_FLIP,		/* 1 to 3 bits in one 64-byte line */
	DAMAGE_ZERO64,		/* a cache line reads as zeros */
	DAMAGE_ZERO4K,		/* a page reads as zeros */
	DAMAGE_COPY64,		/* 64 bytes from elsewhere: a misdirected write */
	DAMAGE_TRUNCATE,	/* the file ends early */
	DAMAGE_NR,
};

struct damage {
	enum damage_kind kind;
	uint64_t off, len;	/* the bytes changed; for truncate, cut off */
	uint64_t src;		/* copy64: where the bytes come from */
	unsigned nbits;
	uint64_t bit[3];	/* flip: bit numbers from the pool's start */
};

const char *damage_name(enum damage_kind k);
int damage_parse(const char *name);

/*
 * damage_plan -- damage of kind k at the pool offset aim
 *
 * Lines and pages are aligned as the medium fails; copy64 takes its bytes,
 * 8-aligned as records are, half the time from another place of the same
 * region kind (a valid record header over another is the hard case) and
 * otherwise from anywhere.
 */
void damage_plan(struct damage *d, enum damage_kind k, uint64_t aim,
		 uint64_t size, const struct region_map *m, struct rng *r);

/* apply to an image of size bytes; returns the image's new size */
uint64_t damage_apply(const struct damage *d, uint8_t *img, uint64_t size);

/* one line: "flip 2 bits at 0x123456" */
void damage_describe(const struct damage *d, char *buf, size_t n);

#endif /* PMKV_DAMAGE_DAMAGE_H */
