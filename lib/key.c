// SPDX-License-Identifier: BSD-3-Clause
/* key.c -- key prefixes and the byte order of keys */
#include <string.h>

#include "key.h"

uint64_t key_prefix(const void *k, size_t len)
{
	uint8_t b[8] = { 0 };

	memcpy(b, k, len < 8 ? len : 8);
	return ((uint64_t)b[0] << 56) | ((uint64_t)b[1] << 48) |
	       ((uint64_t)b[2] << 40) | ((uint64_t)b[3] << 32) |
	       ((uint64_t)b[4] << 24) | ((uint64_t)b[5] << 16) |
	       ((uint64_t)b[6] << 8) | (uint64_t)b[7];
}

/* memcmp order, a shorter key first on a common prefix */
int key_cmp_bytes(const uint8_t *a, uint32_t alen, const uint8_t *b,
		  uint32_t blen)
{
	uint32_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}
