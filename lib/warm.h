/* SPDX-License-Identifier: BSD-3-Clause */
/* warm.h -- new segments and index chunks mapped ahead of the writers */
#ifndef PMKV_WARM_H
#define PMKV_WARM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define WARM_QUEUE 16

struct warmer {
	pthread_t tid;
	bool running, stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct {
		void *p;
		uint64_t n;
	} q[WARM_QUEUE];
	uint64_t head, tail;	/* q[head % WARM_QUEUE] is next */
};

int warm_start(struct warmer *w);
void warm_stop(struct warmer *w);
/* populate [p, p + n) and touch its pages, in the background if possible */
void warm_add(struct warmer *w, void *p, uint64_t n);
/*
 * touch the pages of [p, p + n) in the background, if the thread runs
 * and has room in its queue; nothing otherwise
 */
void warm_hint(struct warmer *w, void *p, uint64_t n);
void warm_populate(void *addr, uint64_t size);
/*
 * The whole pages inside [addr, addr + size): [*lo, *hi), false when there
 * are none. madvise() calls that must not reach a neighbour's bytes use it.
 */
bool warm_pages_inside(const void *addr, uint64_t size, uintptr_t *lo,
		       uintptr_t *hi);

#endif /* PMKV_WARM_H */
