// SPDX-License-Identifier: BSD-3-Clause
/* badblocks.c -- known media errors of the pool, from libpmem2 */
#include <errno.h>
#include <stdlib.h>
#include <libpmem2.h>

#include "badblocks.h"
#include "errormsg.h"
#include "log.h"

static int add(struct badblocks *b, size_t *cap, uint64_t off, uint64_t len)
{
	if (b->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		uint64_t *o = realloc(b->off, ncap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		b->off = o;
		o = realloc(b->len, ncap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		b->len = o;
		*cap = ncap;
	}
	b->off[b->n] = off;
	b->len[b->n] = len;
	b->n++;
	return 0;
}

/* sorted by offset, overlapping or touching ranges merged */
static void normalize(struct badblocks *b)
{
	size_t w = 0;

	for (size_t i = 1; i < b->n; i++)
		for (size_t j = i; j > 0 && b->off[j - 1] > b->off[j]; j--) {
			uint64_t t = b->off[j];

			b->off[j] = b->off[j - 1];
			b->off[j - 1] = t;
			t = b->len[j];
			b->len[j] = b->len[j - 1];
			b->len[j - 1] = t;
		}
	for (size_t i = 1; i < b->n; i++) {
		uint64_t end = b->off[w] + b->len[w];

		if (b->off[i] <= end) {
			if (b->off[i] + b->len[i] > end)
				b->len[w] = b->off[i] + b->len[i] - b->off[w];
		} else {
			w++;
			b->off[w] = b->off[i];
			b->len[w] = b->len[i];
		}
	}
	if (b->n)
		b->n = w + 1;
}

int badblocks_query(int fd, const char *path, bool dax, struct badblocks *b)
{
	struct pmem2_badblock_context *ctx = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_badblock bb;
	size_t cap = 0;
	int rc;

	b->n = 0;
	if (!dax)
		return 0;	/* the page cache hides media errors as EIO */
	rc = pmem2_source_from_fd(&src, fd);
	if (!rc)
		rc = pmem2_badblock_context_new(&ctx, src);
	if (rc) {
		log_warn("%s: cannot ask libpmem2 for bad blocks: %s; known media errors are not avoided",
			 path, pmem2_errormsg());
		pmem2_source_delete(&src);
		return 0;
	}
	while ((rc = pmem2_badblock_next(ctx, &bb)) == 0) {
		rc = add(b, &cap, bb.offset, bb.length);
		if (rc)
			break;
	}
	pmem2_badblock_context_delete(&ctx);
	pmem2_source_delete(&src);
	if (rc == -ENOMEM) {
		badblocks_fini(b);
		return pmkv_err(-ENOMEM, "no memory for a list of bad blocks");
	}
	normalize(b);
	for (size_t i = 0; i < b->n; i++)
		log_warn("%s: bad block (media error) at pool offset %llu, %llu bytes",
			 path, (unsigned long long)b->off[i],
			 (unsigned long long)b->len[i]);
	return 0;
}

void badblocks_fini(struct badblocks *b)
{
	free(b->off);
	free(b->len);
	b->off = b->len = NULL;
	b->n = 0;
}

/* the first range that ends after off; n if none */
static size_t first_after(const struct badblocks *b, uint64_t off)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (b->off[mid] + b->len[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool badblocks_hit_slow(const struct badblocks *b, uint64_t off, uint64_t len)
{
	size_t i = first_after(b, off);

	return i < b->n && b->off[i] < off + len;
}

uint64_t badblocks_skip(const struct badblocks *b, uint64_t off)
{
	size_t i = first_after(b, off);

	if (i < b->n && b->off[i] <= off)
		return b->off[i] + b->len[i];
	return off;
}
