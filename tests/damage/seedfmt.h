/* SPDX-License-Identifier: BSD-3-Clause */
/* seedfmt.h -- pool images for fuzzers, with their zero runs squeezed */
#ifndef PMKV_DAMAGE_SEEDFMT_H
#define PMKV_DAMAGE_SEEDFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A pool is at least 16 MiB (PMKV_POOL_MIN), mostly zeros, while AFL++
 * takes inputs of 1 MiB at most. A seed is "PMKVZRL1", the image's size
 * (u64 LE), then pairs of u32 LE lengths: literal bytes, then a run of
 * zeros. Any input decodes: a short stream ends in zeros, lengths are cut
 * at the size, and an input without the magic is taken as a raw image.
 */
#define SEEDFMT_MAGIC "PMKVZRL1"
#define SEEDFMT_MAX (64ULL << 20)	/* the largest image decoded */

/* *out is malloc'd; returns 0 or -ENOMEM */
int seedfmt_encode(const uint8_t *img, uint64_t len, uint8_t **out,
		   size_t *olen);

/* *img is malloc'd (zero-filled, then written); returns 0 or -ENOMEM */
int seedfmt_decode(const uint8_t *in, size_t n, uint8_t **img,
		   uint64_t *len);

#endif /* PMKV_DAMAGE_SEEDFMT_H */
