// SPDX-License-Identifier: BSD-3-Clause
/* arena-nodes.c -- the index's node arena: alignment, no overlap, reuse */
/*
 * Proves, on lib/arena.c directly (with and without the helper thread of
 * lib/warm.c mapping chunks ahead):
 *   - nodes of two sizes are cache-line aligned and never overlap: each is
 *     filled with its own pattern, and all patterns are intact afterwards;
 *   - a freed node is handed out again, by size, before new memory;
 *   - what is mapped stays within half again what is in use, plus a
 *     chunk;
 *   - with the thread, new chunks are queued to it;
 *   - a size above ARENA_NODE_MAX is refused with EINVAL, and more sizes
 *     than the arena has classes for are refused too;
 *   - freed large nodes (recovery's item blocks) are cut into small nodes,
 *     38 nodes of 832 bytes out of each 32000, before a new chunk is
 *     mapped, and the large nodes still in use keep their bytes;
 *   - arena_trim() gives back the whole pages of free large nodes (mincore
 *     sees them gone), takes them off the arena's count of bytes and never
 *     hands those nodes out again.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"

/* not multiples of a cache line: the arena rounds them up */
#define SMALL 790
#define LARGE 912
#define N 20000U

static void *nodes[N];

static size_t size_of(unsigned i)
{
	return i & 1 ? LARGE : SMALL;
}

static void fill(unsigned i)
{
	memset(nodes[i], (int)(i * 31u + 7u), size_of(i));
}

static void check(unsigned i)
{
	const uint8_t *p = nodes[i];

	for (size_t j = 0; j < size_of(i); j++)
		if (p[j] != (uint8_t)(i * 31u + 7u))
			T_FAIL("node %u byte %zu overwritten", i, j);
}

static void run(struct warmer *w)
{
	struct arena a;
	uint64_t used = 0;
	void *again;

	arena_init(&a);
	a.warm = w;
	for (unsigned i = 0; i < N; i++) {
		nodes[i] = arena_alloc(&a, size_of(i));
		T_ASSERT(nodes[i] != NULL);
		T_ASSERT_EQ((uintptr_t)nodes[i] % CACHELINE, 0);
		fill(i);
		used += size_of(i);
	}
	for (unsigned i = 0; i < N; i++)
		check(i);
	/* rounding and the unused tail of the newest chunk, no more */
	if (a.bytes > used + used / 2 + (2u << 20))
		T_FAIL("%llu bytes mapped for %llu in use",
		       (unsigned long long)a.bytes, (unsigned long long)used);

	/* freed nodes come back first, by size */
	arena_free(&a, nodes[10], SMALL);
	arena_free(&a, nodes[11], LARGE);
	again = arena_alloc(&a, LARGE);
	T_ASSERT(again == nodes[11]);
	again = arena_alloc(&a, SMALL);
	T_ASSERT(again == nodes[10]);
	fill(10);
	fill(11);
	for (unsigned i = 0; i < N; i++)
		check(i);

	errno = 0;
	T_ASSERT(arena_alloc(&a, ARENA_NODE_MAX + 1) == NULL);
	T_ASSERT_EQ(errno, EINVAL);
	/* two classes in use; the rest fill up, then a new size is refused */
	for (size_t s = 64; s <= 64 * (ARENA_CLASSES - 2); s += 64)
		T_ASSERT(arena_alloc(&a, s) != NULL);
	errno = 0;
	T_ASSERT(arena_alloc(&a, 64 * ARENA_CLASSES) == NULL);
	T_ASSERT_EQ(errno, EINVAL);

	if (w)
		warm_stop(w);	/* before the chunks it may be touching go */
	arena_destroy(&a);
	T_ASSERT_EQ(a.bytes, 0);
}

#define BIG 32000U		/* a multiple of 64, as an item block is */
#define NBIG 64U

static bool inside(const void *p, void *const *bigs, unsigned nbig)
{
	for (unsigned i = 0; i < nbig; i++)
		if (bigs[i] && (const uint8_t *)p >= (uint8_t *)bigs[i] &&
		    (const uint8_t *)p < (uint8_t *)bigs[i] + BIG)
			return true;
	return false;
}

static void run_reuse(void)
{
	void *big[NBIG], *freed[NBIG] = { 0 }, *p;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	unsigned carved = 0, per_big = BIG / 832U;
	uint64_t mapped;
	size_t released;
	struct arena a;

	arena_init(&a);
	for (unsigned i = 0; i < NBIG; i++) {
		big[i] = arena_alloc(&a, BIG);
		T_ASSERT(big[i] != NULL);
		memset(big[i], 0xb5, BIG);
	}
	/* every other one goes back: the rest stay in use */
	for (unsigned i = 0; i < NBIG; i += 2) {
		arena_free(&a, big[i], BIG);
		freed[i] = big[i];
	}
	mapped = a.bytes;
	/* small nodes until a new chunk is needed */
	while (a.bytes == mapped) {
		p = arena_alloc(&a, SMALL);
		T_ASSERT(p != NULL);
		if (a.bytes != mapped)
			break;
		if (inside(p, freed, NBIG))
			carved++;
		memset(p, 0x11, SMALL);
	}
	if (carved != NBIG / 2 * per_big)
		T_FAIL("%u small nodes cut from %u freed large ones, want %u",
		       carved, NBIG / 2, NBIG / 2 * per_big);
	for (unsigned i = 1; i < NBIG; i += 2)
		for (unsigned j = 0; j < BIG; j++)
			if (((uint8_t *)big[i])[j] != 0xb5)
				T_FAIL("large node %u byte %u overwritten", i, j);

	/* the rest go back too, and trim returns their pages */
	memset(freed, 0, sizeof(freed));
	for (unsigned i = 1; i < NBIG; i += 2) {
		arena_free(&a, big[i], BIG);
		freed[i] = big[i];
	}
	mapped = a.bytes;
	released = arena_trim(&a, BIG);
	T_ASSERT(released >= NBIG / 2 * (BIG - 2 * pg));
	T_ASSERT_EQ(a.bytes, mapped - released);
	for (unsigned i = 1; i < NBIG; i += 2) {
		uintptr_t lo = ((uintptr_t)big[i] + pg - 1) & ~(pg - 1);
		unsigned char vec = 1;

		T_ASSERT(lo + pg <= (uintptr_t)big[i] + BIG);
		T_ASSERT_OK(mincore((void *)lo, pg, &vec));
		if (vec & 1)
			T_FAIL("large node %u: page %p still resident", i,
			       (void *)lo);
	}
	/* trimmed nodes are not handed out again */
	for (unsigned i = 0; i < NBIG; i++) {
		p = arena_alloc(&a, BIG);
		T_ASSERT(p != NULL);
		T_ASSERT(!inside(p, freed, NBIG));
	}
	arena_destroy(&a);
}

int main(void)
{
	struct warmer w;

	t_need_madvise();
	run(NULL);
	T_ASSERT_OK(warm_start(&w));
	run(&w);
	/* chunks were queued to the thread, not populated in place */
	T_ASSERT(w.tail > 0);
	run_reuse();
	return T_EXIT_PASS;
}
