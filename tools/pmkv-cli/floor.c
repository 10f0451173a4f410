// SPDX-License-Identifier: BSD-3-Clause
/* floor.c -- measure a record's persist and a random DRAM miss */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libpmem.h>

#include "floor.h"

/* the scratch log: large enough that appends do not stay in L1/L2 */
#define SCRATCH_BYTES (16ULL << 20)
/* each round of (a) lasts about this long */
#define PERSIST_ROUND_NS 20000000ULL
/* hops of (b) per round: 100 to 500 ns each, 25 to 130 ms a round */
#define CHASE_HOPS (1U << 18)
#define LINE 64
/* one line of every 8 (512 bytes) is on the chase */
#define GROUP_LINES 8
#define HUGE_PAGE (2ULL << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Make the scratch file in dir and map SCRATCH_BYTES of it through
 * libpmem, which says in *pmem whether it is pmem. The file is unlinked
 * at once: only the mapping is used, and nothing is left behind.
 * Returns 0, or -errno with msg set.
 */
static int scratch_map(struct bench_floor *f, const char *dir, char **map,
		       size_t *mapped, int *pmem, char *msg, size_t msglen)
{
	int fd;

	snprintf(f->scratch, sizeof(f->scratch), "%s/pmkv-bench-floor.XXXXXX",
		 dir);
	fd = mkstemp(f->scratch);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: %s", f->scratch, strerror(errno));
		return -errno;
	}
	close(fd);
	/* libpmem decides pmem or not here, as it does for the pool */
	*map = pmem_map_file(f->scratch, SCRATCH_BYTES, PMEM_FILE_CREATE, 0600,
			     mapped, pmem);
	unlink(f->scratch);
	if (!*map) {
		snprintf(msg, msglen, "%s: %s", f->scratch, pmem_errormsg());
		return -errno;
	}
	return 0;
}

/* the record (a) persists: stride bytes of noise, fixed from run to run */
static unsigned char *record_new(uint64_t stride)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	unsigned char *src = malloc(stride);

	if (!src)
		return NULL;
	for (uint64_t i = 0; i < stride; i++)
		src[i] = (unsigned char)xorshift(&s);
	return src;
}

/*
 * Note whether the scratch mapping is pmem, and forced so, then fault
 * all of it in and make it durable before (a) is timed.
 */
static void scratch_fault(struct bench_floor *f, char *map, size_t mapped,
			  int pmem)
{
	f->is_pmem = pmem;
	f->pmem_forced = pmem && getenv("PMEM_IS_PMEM_FORCE") &&
			 !strcmp(getenv("PMEM_IS_PMEM_FORCE"), "1");
	/* page faults are not part of a put: take them all now */
	memset(map, 0, mapped);
	if (pmem)
		pmem_persist(map, mapped);
	else
		pmem_msync(map, mapped);
}

/*
 * (a): records appended to a scratch file beside the pool, each made
 * durable before the next; f->persist_ns is the median of the rounds'
 * means. A record the scratch file cannot hold is skipped, with the
 * reason in f->persist_skip. Returns 0, or -errno with msg set.
 */
static int measure_persist(struct bench_floor *f, const char *dir,
			   char *msg, size_t msglen)
{
	const uint64_t stride = (f->record_bytes + 7) & ~7ULL;
	double round_ns[FLOOR_ROUNDS];
	unsigned char *src;
	size_t mapped;
	uint64_t off = 0;
	char *map;
	int pmem, rc;

	if (stride > SCRATCH_BYTES) {
		snprintf(f->persist_skip, sizeof(f->persist_skip),
			 "a record of %llu bytes is larger than the scratch file",
			 (unsigned long long)f->record_bytes);
		return 0;
	}
	rc = scratch_map(f, dir, &map, &mapped, &pmem, msg, msglen);
	if (rc)
		return rc;
	src = record_new(stride);
	if (!src) {
		pmem_unmap(map, mapped);
		return -ENOMEM;
	}
	scratch_fault(f, map, mapped, pmem);

	for (unsigned r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = now_ns(), t1, n = 0;

		do {
			/* a batch between clock reads; the clock is no floor */
			for (unsigned i = 0; i < 64; i++, n++) {
				if (off + stride > mapped)
					off = 0;
				if (pmem) {
					pmem_memcpy_persist(map + off, src,
							    f->record_bytes);
				} else {
					memcpy(map + off, src,
					       f->record_bytes);
					pmem_msync(map + off,
						   f->record_bytes);
				}
				off += stride;
			}
			t1 = now_ns();
		} while (t1 - t0 < PERSIST_ROUND_NS);
		round_ns[r] = (double)(t1 - t0) / (double)n;
		f->persist_ops += n;
	}
	f->persist_ns = median(round_ns, FLOOR_ROUNDS);
	f->has_persist = true;
	free(src);
	pmem_unmap(map, mapped);
	return 0;
}

static void read_thp(struct bench_floor *f)
{
	FILE *fp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128], *a, *b;

	snprintf(f->thp, sizeof(f->thp), "unknown");
	if (!fp)
		return;
	/* "always [madvise] never": the bracketed one is in use */
	if (fgets(line, sizeof(line), fp) && (a = strchr(line, '[')) &&
	    (b = strchr(a, ']'))) {
		*b = '\0';
		snprintf(f->thp, sizeof(f->thp), "%s", a + 1);
	}
	fclose(fp);
}

/* AnonHugePages of this process, in bytes; 0 when unknown */
static uint64_t anon_huge(void)
{
	FILE *fp = fopen("/proc/self/smaps_rollup", "r");
	char line[128];
	unsigned long long kb = 0;

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			break;
	if (fp)
		fclose(fp);
	return (uint64_t)kb << 10;
}

/*
 * Map the chase buffer, len bytes and HUGE_PAGE more to align it in, and
 * *order, room for the cycle through groups groups. Both or neither:
 * returns 0, or -ENOMEM with msg set and nothing left allocated.
 */
static int chase_alloc(uint64_t len, uint64_t groups, char **map,
		       uint32_t **order, char *msg, size_t msglen)
{
	/* aligned to 2 MiB, so huge pages can back all of it */
	*map = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*order = malloc(groups * sizeof(**order));
	if (*map == MAP_FAILED || !*order) {
		snprintf(msg, msglen, "no memory for a %llu-byte chase buffer",
			 (unsigned long long)len);
		if (*map != MAP_FAILED)
			munmap(*map, len + HUGE_PAGE);
		free(*order);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The chase buffer: map aligned to HUGE_PAGE, huge pages asked for and
 * every page faulted in before (b) is timed. f->huge_bytes is how much
 * of it huge pages back, from AnonHugePages before (huge0) and after.
 */
static char *chase_fault(struct bench_floor *f, char *map, uint64_t len,
			 uint64_t huge0)
{
	char *buf;

	buf = (char *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
	/*
	 * A TLB miss is not part of the floor: an index can avoid it with
	 * huge pages, a DRAM miss it cannot. Where THP is off, the figure
	 * includes page walks; the header says how much was huge.
	 */
	madvise(buf, len, MADV_HUGEPAGE);
	memset(buf, 0, len);
	f->huge_bytes = anon_huge() - huge0;
	if (f->huge_bytes > len)
		f->huge_bytes = len;
	return buf;
}

/*
 * Link one line of each of the groups groups of buf into one random
 * cycle, order[] being scratch for it; returns where the chase starts.
 */
static void **chase_link(char *buf, uint32_t *order, uint64_t groups)
{
	uint64_t s = 0x2545f4914f6cdd1dULL;

	/*
	 * Sattolo's shuffle: one cycle through all groups, so the chase
	 * never settles into a short loop that fits in the cache, and no
	 * stride for a prefetcher to find. One random line of each group
	 * of GROUP_LINES is on the cycle: the footprint is 1/GROUP_LINES of
	 * the buffer (still far beyond the LLC), and the set-up touches
	 * that many lines fewer.
	 */
	for (uint64_t i = 0; i < groups; i++)
		order[i] = (uint32_t)i;
	for (uint64_t i = groups - 1; i > 0; i--) {
		uint64_t j = xorshift(&s) % i;
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (uint64_t i = 0; i < groups; i++)
		order[i] = (uint32_t)(order[i] * GROUP_LINES +
				      xorshift(&s) % GROUP_LINES);
	for (uint64_t i = 0; i < groups; i++)
		*(void **)(buf + (uint64_t)order[i] * LINE) =
			buf + (uint64_t)order[(i + 1) % groups] * LINE;
	/* on the cycle: most lines are not */
	return (void **)(buf + (uint64_t)order[0] * LINE);
}

/*
 * (b): a pointer chase through f->chase_bytes, one dependent load per
 * hop; f->miss_ns is the median of the rounds' means. Returns 0, or
 * -EINVAL or -ENOMEM with msg set.
 */
static int measure_miss(struct bench_floor *f, char *msg, size_t msglen)
{
	uint64_t groups = f->chase_bytes / (LINE * GROUP_LINES);
	double round_ns[FLOOR_ROUNDS];
	uint64_t huge0, len;
	uint32_t *order;
	char *map, *buf;
	void **p;
	int rc;

	if (groups < 2 || groups > UINT32_MAX) {
		snprintf(msg, msglen, "a chase buffer of %llu bytes",
			 (unsigned long long)f->chase_bytes);
		return -EINVAL;
	}
	read_thp(f);
	huge0 = anon_huge();
	len = groups * LINE * GROUP_LINES;
	rc = chase_alloc(len, groups, &map, &order, msg, msglen);
	if (rc)
		return rc;
	buf = chase_fault(f, map, len, huge0);
	p = chase_link(buf, order, groups);
	free(order);

	for (unsigned i = 0; i < CHASE_HOPS; i++)	/* warm the TLB */
		p = *p;
	for (unsigned r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = now_ns();

		for (unsigned i = 0; i < CHASE_HOPS; i++)
			p = *p;
		round_ns[r] = (double)(now_ns() - t0) / CHASE_HOPS;
		f->hops += CHASE_HOPS;
	}
	/* the chase's result is used, so the loads cannot be dropped */
	__asm__ volatile("" : : "r"(p) : "memory");
	f->miss_ns = median(round_ns, FLOOR_ROUNDS);
	munmap(map, len + HUGE_PAGE);
	return 0;
}

int floor_measure(struct bench_floor *f, const char *dir,
		  uint64_t record_bytes, uint64_t chase_bytes, char *msg,
		  size_t msglen)
{
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->record_bytes = record_bytes;
	f->chase_bytes = chase_bytes & ~(uint64_t)(LINE * GROUP_LINES - 1);
	if (dir)
		rc = measure_persist(f, dir, msg, msglen);
	else
		snprintf(f->persist_skip, sizeof(f->persist_skip),
			 "the pool is a device: no scratch file beside it");
	if (!rc)
		rc = measure_miss(f, msg, msglen);
	return rc;
}

double floor_ns(const struct bench_floor *f, double reads, double writes)
{
	return (reads + writes) * f->miss_ns +
	       writes * (f->has_persist ? f->persist_ns : 0);
}
