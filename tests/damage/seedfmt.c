// SPDX-License-Identifier: BSD-3-Clause
/* seedfmt.c -- pool images for fuzzers, with their zero runs squeezed */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seedfmt.h"

/* zero runs shorter than this stay literal: a pair costs 8 bytes */
#define RUN_MIN 64U
#define CHUNK_MAX 0xffffffffULL

static void put32(uint8_t **p, uint64_t v)
{
	uint32_t le = htole32((uint32_t)v);

	memcpy(*p, &le, 4);
	*p += 4;
}

static uint64_t zero_run(const uint8_t *img, uint64_t at, uint64_t len)
{
	uint64_t n = 0;

	while (at + n < len && !img[at + n] && n < CHUNK_MAX)
		n++;
	return n;
}

int seedfmt_encode(const uint8_t *img, uint64_t len, uint8_t **out,
		   size_t *olen)
{
	/* worst case: one pair per RUN_MIN bytes plus the literals */
	uint8_t *o = malloc(16 + len + (len / RUN_MIN + 2) * 8), *p;
	uint64_t at = 0, lit, z;

	if (!o)
		return -ENOMEM;
	memcpy(o, SEEDFMT_MAGIC, 8);
	z = htole64(len);
	memcpy(o + 8, &z, 8);
	p = o + 16;
	while (at < len) {
		/* a literal runs until a zero run long enough to squeeze */
		for (lit = 0; at + lit < len && lit < CHUNK_MAX; lit++)
			if (!img[at + lit] &&
			    zero_run(img, at + lit, len) >= RUN_MIN)
				break;
		put32(&p, lit);
		memcpy(p, img + at, lit);
		p += lit;
		at += lit;
		z = zero_run(img, at, len);
		put32(&p, z);
		at += z;
	}
	*out = o;
	*olen = (size_t)(p - o);
	return 0;
}

static uint64_t get32(const uint8_t *in, size_t n, size_t *at)
{
	uint32_t le = 0;

	if (*at + 4 > n) {
		*at = n;
		return 0;
	}
	memcpy(&le, in + *at, 4);
	*at += 4;
	return le32toh(le);
}

int seedfmt_decode(const uint8_t *in, size_t n, uint8_t **img,
		   uint64_t *len)
{
	uint64_t size, pos = 0, lit;
	size_t at = 16;
	uint8_t *o;

	if (n < 16 || memcmp(in, SEEDFMT_MAGIC, 8)) {
		o = malloc(n ? n : 1);
		if (!o)
			return -ENOMEM;
		memcpy(o, in, n);
		*img = o;
		*len = n;
		return 0;
	}
	memcpy(&size, in + 8, 8);
	size = le64toh(size);
	if (size > SEEDFMT_MAX)
		size = SEEDFMT_MAX;
	o = calloc(1, size ? size : 1);
	if (!o)
		return -ENOMEM;
	while (at < n && pos < size) {
		lit = get32(in, n, &at);
		if (lit > n - at)
			lit = n - at;
		if (lit > size - pos)
			lit = size - pos;
		memcpy(o + pos, in + at, lit);
		at += lit;
		pos += lit;
		pos += get32(in, n, &at);
	}
	*img = o;
	*len = size;
	return 0;
}
