// SPDX-License-Identifier: BSD-3-Clause
/*
 * arena.c -- DRAM for index nodes, taken from the kernel in bulk
 *
 * A tree of a million keys is tens of thousands of nodes. Taken one by one
 * from malloc, each new heap page costs a page fault in the middle of a
 * put; under a hypervisor a fault costs 10 us or more (15 us on our CI
 * machine), more than a durable put. The arena maps chunks that grow by
 * half of what it holds, from 64 KiB up to 2 MiB, asks for huge pages on
 * the 2 MiB ones (fewer TLB misses on a random lookup), has the handle's
 * warmer (warm.c) populate and touch them ahead of use, and carves nodes
 * out of them. Freed nodes go on a list per size and are reused, and a
 * large freed node is cut into small ones before a new chunk is mapped;
 * chunks go back only when the arena is destroyed, and arena_trim() gives
 * back the pages of large free nodes.
 *
 * The index takes its nodes from one arena, under its own mutex (taken
 * once for every 16 inserts or so, when a node splits), which recovery's
 * item blocks share so that the index reuses their pages.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "cacheline.h"
#include "invariant.h"
#include "warm.h"

#define CHUNK_FIRST (64u << 10)
_Static_assert(ARENA_NODE_MAX <= CHUNK_FIRST / 2, "a chunk holds a node");
#define CHUNK_MAX (2u << 20)

struct chunk {
	struct chunk *next;
	size_t size;		/* bytes mapped, this header included */
};

struct free_node {
	struct free_node *next;
};

/* map a chunk of size bytes, size-aligned when it is huge-page sized */
static struct chunk *chunk_map(struct arena *a, size_t size)
{
	size_t len = size == CHUNK_MAX ? 2 * size : size;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct chunk *c;

	if (p == MAP_FAILED)
		return NULL;
	if (size == CHUNK_MAX) {
		uint8_t *al = (uint8_t *)(((uintptr_t)p + size - 1) &
					  ~((uintptr_t)size - 1));

		/* trim to one aligned huge page */
		if (al > p)
			munmap(p, (size_t)(al - p));
		if (al + size < p + len)
			munmap(al + size, (size_t)(p + len - (al + size)));
		p = al;
#ifdef MADV_HUGEPAGE
		(void)madvise(p, size, MADV_HUGEPAGE);
#endif
	}
	/* populated in the background if a warmer runs, else here */
	if (a->warm)
		warm_add(a->warm, p, size);
	else
		warm_populate(p, size);
	c = (struct chunk *)p;
	c->size = size;
	return c;
}

void arena_init(struct arena *a)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
}

void arena_destroy(struct arena *a)
{
	struct chunk *c = a->chunks;

	while (c) {
		struct chunk *next = c->next;

		munmap(c, c->size);
		c = next;
	}
	pthread_mutex_destroy(&a->lock);
	memset(a, 0, sizeof(*a));
}

/* the class of nodes of size bytes; -1 when there is none */
static int class_find(const struct arena *a, size_t size)
{
	for (int i = 0; i < a->nclasses; i++)
		if (a->class_size[i] == size)
			return i;
	return -1;
}

/* the class of size, made if it is new; -1 when all classes are taken */
static int class_of(struct arena *a, size_t size)
{
	int i = class_find(a, size);

	if (i >= 0)
		return i;
	if (a->nclasses == ARENA_CLASSES)
		return -1;
	a->class_size[a->nclasses] = size;
	return a->nclasses++;
}

/*
 * Cut further nodes of size out of a free node at least CARVE_MIN times
 * larger, rather than map new memory: recovery frees its 32 KB item blocks
 * part by part as it sorts them, and the index's nodes then
 * reuse pages already touched instead of faulting in new ones. The tail
 * of the region left behind is lost, as a chunk's tail is.
 */
#define CARVE_MIN 8

static bool carve_free(struct arena *a, size_t size)
{
	for (int i = 0; i < a->nclasses; i++) {
		struct free_node *f = a->free[i];

		if (!f || a->class_size[i] < CARVE_MIN * size)
			continue;
		a->free[i] = f->next;
		a->cur = (uint8_t *)f;
		a->left = a->class_size[i];
		return true;
	}
	return false;
}

static void *alloc_locked(struct arena *a, size_t size, int cl)
{
	struct free_node *f = a->free[cl];
	struct chunk *c;
	void *p;

	if (f) {
		a->free[cl] = f->next;
		return f;
	}
	/* out of room: a freed large node, or else a new chunk */
	if (a->left < size && !carve_free(a, size)) {
		size_t csize = a->next_chunk ? a->next_chunk : CHUNK_FIRST;

		c = chunk_map(a, csize);
		if (!c)
			return NULL;
		c->next = a->chunks;
		a->chunks = c;
		__atomic_store_n(&a->bytes, a->bytes + csize, __ATOMIC_RELAXED);
		/*
		 * Grow by half of what is mapped: the unused tail of the
		 * newest chunk stays under a third of the arena (doubling
		 * left up to half of it mapped and populated for nothing).
		 */
		a->next_chunk = ((size_t)a->bytes / 2 + CHUNK_FIRST - 1) &
				~(size_t)(CHUNK_FIRST - 1);
		if (a->next_chunk > CHUNK_MAX)
			a->next_chunk = CHUNK_MAX;
		/* the tail of the previous chunk is left unused: under a node */
		a->cur = (uint8_t *)c + CACHELINE;
		a->left = csize - CACHELINE;
	}
	p = a->cur;
	a->cur += size;
	a->left -= size;
	return p;
}

void *arena_alloc(struct arena *a, size_t size)
{
	void *p = NULL;
	int cl;

	/* whole cache lines: a node prefetched line by line starts on one */
	size = (size + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
	pthread_mutex_lock(&a->lock);
	cl = size > ARENA_NODE_MAX ? -1 : class_of(a, size);
	if (cl >= 0)
		p = alloc_locked(a, size, cl);
	pthread_mutex_unlock(&a->lock);
	if (cl < 0)
		errno = EINVAL;
	return p;
}

void arena_free(struct arena *a, void *p, size_t size)
{
	struct free_node *f = p;
	int cl;

	if (!p)
		return;
	size = (size + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
	pthread_mutex_lock(&a->lock);
	cl = class_find(a, size);
	/* every node came from arena_alloc() with this size: one of ours */
	PMKV_ASSERT(cl >= 0);
	if (cl >= 0) {
		f->next = a->free[cl];
		a->free[cl] = f;
	}
	pthread_mutex_unlock(&a->lock);
}

size_t arena_trim(struct arena *a, size_t min_size)
{
	size_t released = 0;

	pthread_mutex_lock(&a->lock);
	for (int i = 0; i < a->nclasses; i++) {
		size_t sz = a->class_size[i];

		if (sz < min_size)
			continue;
		for (struct free_node *f = a->free[i], *next; f; f = next) {
			uintptr_t lo, hi;

			next = f->next;
			if (warm_pages_inside(f, sz, &lo, &hi) &&
			    !madvise((void *)lo, hi - lo, MADV_DONTNEED))
				released += hi - lo;
		}
		a->free[i] = NULL;
	}
	__atomic_store_n(&a->bytes, a->bytes - released, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&a->lock);
	return released;
}
