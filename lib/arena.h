/* SPDX-License-Identifier: BSD-3-Clause */
/* arena.h -- DRAM for the index's nodes (and recovery's item blocks) */
#ifndef PMKV_ARENA_H
#define PMKV_ARENA_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define ARENA_CLASSES 4
#define ARENA_NODE_MAX (32u << 10)	/* the largest size arena_alloc() takes */

struct warmer;

struct arena {
	pthread_mutex_t lock;	/* writers on different leaves share it */
	struct chunk *chunks;
	uint8_t *cur;		/* the rest of the newest chunk */
	size_t left;
	size_t next_chunk;	/* size of the next chunk to map */
	size_t class_size[ARENA_CLASSES];
	struct free_node *free[ARENA_CLASSES];
	int nclasses;
	uint64_t bytes;		/* mapped (atomic reads) */
	struct warmer *warm;	/* maps new chunks ahead, if set */
};

void arena_init(struct arena *a);
void arena_destroy(struct arena *a);
/* size rounded up to whole cache lines; NULL when out of memory */
void *arena_alloc(struct arena *a, size_t size);
/* p came from arena_alloc(a, size) with the same size */
void arena_free(struct arena *a, void *p, size_t size);
/*
 * Give back to the kernel the pages of every free node of min_size bytes
 * or more; those nodes are not reused. Returns the bytes released, which
 * no longer count in bytes.
 */
size_t arena_trim(struct arena *a, size_t min_size);

#endif /* PMKV_ARENA_H */
