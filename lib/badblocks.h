/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * badblocks.h -- the pool's known media errors, as pool offset ranges
 *
 * Real pmem reports uncorrectable errors as bad blocks: a load from one is
 * SIGBUS (a machine check), a read() EIO. pmkv asks libpmem2 for them at
 * open and never touches a known-bad byte afterwards: what lies there is
 * damage under the recovery policy (doc/format.md).
 */
#ifndef PMKV_BADBLOCKS_H
#define PMKV_BADBLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct badblocks {
	uint64_t *off, *len;	/* sorted, apart, pool offsets and bytes */
	size_t n;
};

/*
 * The bad blocks of the pool file or device open at fd, from libpmem2,
 * into *b (empty for a medium that has none to report, such as a file on
 * a file system that is not DAX). 0 or -ENOMEM; a failed query on DAX is
 * logged and leaves *b empty.
 */
int badblocks_query(int fd, const char *path, bool dax, struct badblocks *b);
void badblocks_fini(struct badblocks *b);

bool badblocks_hit_slow(const struct badblocks *b, uint64_t off,
			uint64_t len);
/* whether [off, off + len) holds a known-bad byte */
static inline bool badblocks_hit(const struct badblocks *b, uint64_t off,
				 uint64_t len)
{
	return __builtin_expect(b->n != 0, 0) && badblocks_hit_slow(b, off, len);
}
/* the first offset at or after off that is not bad */
uint64_t badblocks_skip(const struct badblocks *b, uint64_t off);

#endif /* PMKV_BADBLOCKS_H */
