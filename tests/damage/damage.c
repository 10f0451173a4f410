// SPDX-License-Identifier: BSD-3-Clause
/* damage.c -- the kinds of damage a trial applies to a pool image */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "damage.h"

static const char *const names[DAMAGE_NR] = {
	[DAMAGE_FLIP] = "flip",
	[DAMAGE_ZERO64] = "zero64",
	[DAMAGE_ZERO4K] = "zero4k",
	[DAMAGE_COPY64] = "copy64",
	[DAMAGE_TRUNCATE] = "truncate",
};

const char *damage_name(enum damage_kind k)
{
	return (unsigned)k < DAMAGE_NR ? names[k] : "?";
}

int damage_parse(const char *name)
{
	int k;

	for (k = 0; k < DAMAGE_NR; k++)
		if (!strcmp(name, names[k]))
			return k;
	return -1;
}

static void range(struct damage *d, uint64_t off, uint64_t len,
		  uint64_t size)
{
	d->off = off;
	d->len = off + len > size ? size - off : len;
}

static uint64_t copy_source(uint64_t dst, uint64_t size,
			    const struct region_map *m, struct rng *r)
{
	uint64_t src = UINT64_MAX;

	if (rng_below(r, 2))
		src = regions_pick(m, regions_kind_at(m, dst), rng_next(r));
	if (src == UINT64_MAX || src + 64 > size)
		src = rng_below(r, size - 64);
	src &= ~7ULL;
	/* the same bytes would change nothing */
	if (src == dst)
		src = src >= 64 ? src - 64 : src + 64;
	return src;
}

void damage_plan(struct damage *d, enum damage_kind k, uint64_t aim,
		 uint64_t size, const struct region_map *m, struct rng *r)
{
	uint64_t line = aim & ~63ULL;
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->kind = k;
	switch (k) {
	case DAMAGE_FLIP:
		range(d, line, 64, size);
		d->nbits = 1 + (unsigned)rng_below(r, 3);
		d->bit[0] = aim * 8 + rng_below(r, 8);
		for (i = 1; i < d->nbits; i++)
			d->bit[i] = (line + rng_below(r, d->len)) * 8 +
				    rng_below(r, 8);
		break;
	case DAMAGE_ZERO64:
		range(d, line, 64, size);
		break;
	case DAMAGE_ZERO4K:
		range(d, aim & ~4095ULL, 4096, size);
		break;
	case DAMAGE_COPY64:
		if (size < 256) {
			range(d, 0, size, size);
			break;
		}
		aim &= ~7ULL;
		if (aim + 64 > size)
			aim = (size - 64) & ~7ULL;
		range(d, aim, 64, size);
		d->src = copy_source(aim, size, m, r);
		break;
	default:
		/* half the time at a page boundary, as a filesystem cuts */
		if (rng_below(r, 2))
			aim &= ~4095ULL;
		range(d, aim, size - aim, size);
		break;
	}
}

uint64_t damage_apply(const struct damage *d, uint8_t *img, uint64_t size)
{
	unsigned i;

	switch (d->kind) {
	case DAMAGE_FLIP:
		/* two equal bit numbers would cancel: flip each once */
		for (i = 0; i < d->nbits; i++) {
			unsigned j, dup = 0;

			for (j = 0; j < i; j++)
				dup |= d->bit[j] == d->bit[i];
			if (!dup)
				img[d->bit[i] / 8] ^= (uint8_t)(1U << (d->bit[i] % 8));
		}
		return size;
	case DAMAGE_ZERO64:
	case DAMAGE_ZERO4K:
		memset(img + d->off, 0, d->len);
		return size;
	case DAMAGE_COPY64:
		memmove(img + d->off, img + d->src, d->len);
		return size;
	default:
		return d->off;
	}
}

void damage_describe(const struct damage *d, char *buf, size_t n)
{
	switch (d->kind) {
	case DAMAGE_FLIP:
		snprintf(buf, n, "flip %u bit%s at 0x%" PRIx64 ".%u", d->nbits,
			 d->nbits > 1 ? "s" : "", d->bit[0] / 8,
			 (unsigned)(d->bit[0] % 8));
		break;
	case DAMAGE_COPY64:
		snprintf(buf, n, "copy64 0x%" PRIx64 " to 0x%" PRIx64, d->src,
			 d->off);
		break;
	case DAMAGE_TRUNCATE:
		snprintf(buf, n, "truncate at 0x%" PRIx64, d->off);
		break;
	default:
		snprintf(buf, n, "%s at 0x%" PRIx64, damage_name(d->kind),
			 d->off);
		break;
	}
}
