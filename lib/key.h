/* SPDX-License-Identifier: BSD-3-Clause */
/* key.h -- a key as the index compares it: bytes, length, 8-byte prefix */
#ifndef PMKV_KEY_H
#define PMKV_KEY_H

#include <stddef.h>
#include <stdint.h>

struct key {
	const uint8_t *p;
	uint32_t len;
	uint64_t prefix;	/* first 8 bytes, big-endian, zero padded */
};

uint64_t key_prefix(const void *k, size_t len);

static inline void key_make(struct key *k, const void *p, size_t len)
{
	k->p = p;
	k->len = (uint32_t)len;
	k->prefix = key_prefix(p, len);
}

/* memcmp order, a shorter key first on a common prefix: <0, 0, >0 */
int key_cmp_bytes(const uint8_t *a, uint32_t alen, const uint8_t *b,
		  uint32_t blen);

#endif /* PMKV_KEY_H */
