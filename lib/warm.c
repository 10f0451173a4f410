// SPDX-License-Identifier: BSD-3-Clause
/*
 * warm.c -- map a new segment's pages before the writers get there
 *
 * The first store to a page of a fresh mapping costs a page fault, and
 * under a hypervisor that keeps its own copy of the page tables (shadow or
 * PVM paging, as on our CI machines) the first touch costs again even
 * after madvise(MADV_POPULATE_WRITE): 8 us a 4 KiB page here, against
 * 0.6 us for a whole put. A writer crossing into a new page every 25
 * records would pay that on one put in 25.
 *
 * So a writable handle keeps one thread that, for each segment a writer
 * opens, populates the segment and then reads one byte of each page from
 * its start, running ahead of the writer, which appends more slowly than
 * the thread touches. The thread never stores to the pool. It is best
 * effort: when it cannot start, segment_alloc() populates in place.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "warm.h"

bool warm_pages_inside(const void *addr, uint64_t size, uintptr_t *lo,
		  uintptr_t *hi)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);

	*lo = ((uintptr_t)addr + pg - 1) & ~(pg - 1);
	*hi = ((uintptr_t)addr + size) & ~(pg - 1);
	return *hi > *lo;
}

void warm_populate(void *addr, uint64_t size)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t lo, hi;

	/* best effort: kernels before 5.14 say EINVAL */
	if (warm_pages_inside(addr, size, &lo, &hi))
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
	(void)addr;
	(void)size;
#endif
}

/*
 * One load from p that the compiler keeps. Written as asm so that
 * ThreadSanitizer does not count it as a read racing with the writers'
 * stores: the value is never used.
 */
static inline void touch(const uint8_t *p)
{
#if defined(__x86_64__) || defined(__i386__)
	uint8_t v;

	__asm__ volatile("movb %1, %0" : "=q"(v) : "m"(*p));
	(void)v;
#else
	(void)*(const volatile uint8_t *)p;
#endif
}

static void warm_range(const uint8_t *p, uint64_t n)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uintptr_t first = (uintptr_t)p & ~(pg - 1);

	warm_populate((void *)p, n);
	/* every page [p, p + n) reaches, the first one too */
	for (uintptr_t a = first; a < (uintptr_t)p + n; a += pg)
		touch(a < (uintptr_t)p ? p : (const uint8_t *)a);
}

static void *warm_main(void *arg)
{
	struct warmer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		const uint8_t *p;
		uint64_t n;

		while (w->head == w->tail && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		p = w->q[w->head % WARM_QUEUE].p;
		n = w->q[w->head % WARM_QUEUE].n;
		w->head++;
		pthread_mutex_unlock(&w->lock);
		warm_range(p, n);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int warm_start(struct warmer *w)
{
	int e;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	e = pthread_create(&w->tid, NULL, warm_main, w);
	if (e) {
		log_warn("no thread to map new segments ahead (%s): puts will fault",
			 strerror(e));
		return -e;
	}
	w->running = true;
	return 0;
}

void warm_stop(struct warmer *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->tid, NULL);
	w->running = false;
}

static bool warm_queue(struct warmer *w, void *p, uint64_t n)
{
	bool queued = false;

	if (w->running) {
		pthread_mutex_lock(&w->lock);
		if (w->tail - w->head < WARM_QUEUE) {
			w->q[w->tail % WARM_QUEUE].p = p;
			w->q[w->tail % WARM_QUEUE].n = n;
			w->tail++;
			queued = true;
			pthread_cond_signal(&w->cond);
		}
		pthread_mutex_unlock(&w->lock);
	}
	return queued;
}

void warm_add(struct warmer *w, void *p, uint64_t n)
{
	/* no thread, or it is far behind: at least spare the page faults */
	if (!warm_queue(w, p, n))
		warm_populate(p, n);
}

void warm_hint(struct warmer *w, void *p, uint64_t n)
{
	(void)warm_queue(w, p, n);
}
