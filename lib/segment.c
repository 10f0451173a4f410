// SPDX-License-Identifier: BSD-3-Clause
/*
 * segment.c -- log segments on media, their DRAM descriptors, and writers
 *
 * A segment is a libpmemobj allocation of type PMKV_TYPE_SEGMENT. Its id
 * comes from the superblock's next_segment_id, made durable before the
 * allocation, so an id is never handed out twice: records left in memory
 * that a freed segment occupied carry an id no live segment has.
 *
 * A writer appends to one open segment under its lock. Threads map to
 * writers by a per-thread number, so threads rarely share a writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "internal.h"

int segment_table_init(struct pmkv *kv)
{
	/* a segment is at least segment_size, so this many always suffice */
	kv->nsegs_max = (uint32_t)(kv->sb->pool_size / kv->segment_size) + 64;
	kv->segs = calloc(kv->nsegs_max, sizeof(*kv->segs));
	kv->free_slots = calloc(kv->nsegs_max, sizeof(*kv->free_slots));
	if (!kv->segs || !kv->free_slots)
		return pmkv_err(-ENOMEM, "no memory for %u segment slots",
				kv->nsegs_max);
	for (uint32_t i = 0; i < kv->nsegs_max; i++)
		kv->free_slots[i] = kv->nsegs_max - 1 - i;
	kv->nfree_slots = kv->nsegs_max;
	return 0;
}

void segment_table_fini(struct pmkv *kv)
{
	if (kv->segs)
		for (uint32_t i = 0; i < kv->nsegs_max; i++)
			free(kv->segs[i]);
	free(kv->segs);
	free(kv->free_slots);
	kv->segs = NULL;
	kv->free_slots = NULL;
}

/* a descriptor in a free slot; seg_lock held */
static struct seg *desc_new(struct pmkv *kv, uint64_t off, uint64_t id,
			    uint64_t size)
{
	struct seg *s;

	if (kv->nfree_slots == 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->off = off;
	s->id = id;
	s->size = size;
	s->used = PMKV_SEGMENT_DATA;
	/* open until its user closes it: reclamation must not take it empty */
	s->open = true;
	s->slot = kv->free_slots[--kv->nfree_slots];
	kv->segs[s->slot] = s;
	kv->nsegs++;
	return s;
}

static uint64_t header_csum(const struct pmkv_segment *h)
{
	return XXH64(h, offsetof(struct pmkv_segment, csum), 0);
}

struct ctor_arg {
	uint64_t id, size;
};

/* runs before libpmemobj publishes the allocation */
static int segment_ctor(PMEMobjpool *pop, void *ptr, void *arg)
{
	const struct ctor_arg *a = arg;
	struct pmkv_segment *h = ptr;

	memset(h, 0, sizeof(*h));
	h->magic = PMKV_SEGMENT_MAGIC;
	h->id = a->id;
	h->size = a->size;
	h->csum = header_csum(h);
	pmemobj_persist(pop, h, sizeof(*h));
	return 0;
}

/*
 * A new segment of size bytes, open: the caller closes it when it is done
 * appending. -ENOSPC when libpmemobj has no room (the
 * caller may reclaim and retry); no message is set for that case.
 */
int segment_alloc(struct pmkv *kv, uint64_t size, struct seg **out)
{
	struct ctor_arg a = { .size = size };
	struct seg *s;
	PMEMoid oid;

	pthread_mutex_lock(&kv->seg_lock);
	if (kv->nfree_slots == 0) {
		pthread_mutex_unlock(&kv->seg_lock);
		return -ENOSPC;
	}
	a.id = kv->sb->next_segment_id;
	kv->sb->next_segment_id = a.id + 1;
	/* the id must be spent durably before any record can carry it */
	persist_range(kv->persist, &kv->misc_pc, &kv->sb->next_segment_id,
		      sizeof(kv->sb->next_segment_id));
	if (kv->misc_pc.error) {
		pthread_mutex_unlock(&kv->seg_lock);
		return persist_check(kv, &kv->misc_pc);
	}
	if (pmemobj_alloc(kv->pop, &oid, size, PMKV_TYPE_SEGMENT,
			  segment_ctor, &a)) {
		int e = errno;

		pthread_mutex_unlock(&kv->seg_lock);
		if (e == ENOMEM)
			return -ENOSPC;
		return pmkv_err(-e, "%s: segment allocation of %llu bytes: %s",
				kv->path, (unsigned long long)size,
				pmemobj_errormsg());
	}
	s = desc_new(kv, oid.off, a.id, size);
	pthread_mutex_unlock(&kv->seg_lock);
	if (!s) {
		pmemobj_free(&oid);
		return pmkv_err(-ENOMEM, "no memory for a segment descriptor");
	}
	/* its pages mapped and touched before the writer stores to them */
	warm_add(&kv->warm, kv_ptr(kv, s->off), size);
	*out = s;
	return 0;
}

void segment_free(struct pmkv *kv, struct seg *s)
{
	PMEMoid oid = pmemobj_oid(kv_ptr(kv, s->off));

	pthread_mutex_lock(&kv->seg_lock);
	pmemobj_free(&oid);
	kv->segs[s->slot] = NULL;
	kv->free_slots[kv->nfree_slots++] = s->slot;
	kv->nsegs--;
	pthread_mutex_unlock(&kv->seg_lock);
	free(s);
}

/* a segment found at open; PMKV_E_CORRUPT if its header is damaged */
int segment_adopt(struct pmkv *kv, PMEMoid oid, struct seg **out)
{
	const struct pmkv_segment *h = pmemobj_direct(oid);
	size_t usable = pmemobj_alloc_usable_size(oid);
	struct seg *s;

	if (h->magic != PMKV_SEGMENT_MAGIC || h->csum != header_csum(h) ||
	    h->size > usable || h->size < PMKV_SEGMENT_DATA ||
	    h->id == 0 || h->id >= kv->sb->next_segment_id) {
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: segment at offset %llu has a damaged header (id %llu, size %llu)",
				kv->path, (unsigned long long)oid.off,
				(unsigned long long)h->id, (unsigned long long)h->size);
	}
	pthread_mutex_lock(&kv->seg_lock);
	s = desc_new(kv, oid.off, h->id, h->size);
	if (s)
		s->open = false;	/* nobody appends to a recovered segment */
	pthread_mutex_unlock(&kv->seg_lock);
	if (!s)
		return pmkv_err(-ENOMEM, "no memory for a segment descriptor");
	*out = s;
	return 0;
}

static __thread unsigned thread_slot = ~0U;
static unsigned next_thread_slot;

struct writer *writer_get(struct pmkv *kv)
{
	struct writer *w;

	if (thread_slot == ~0U)
		thread_slot = __atomic_fetch_add(&next_thread_slot, 1,
						 __ATOMIC_RELAXED);
	w = &kv->writers[thread_slot % NWRITERS];
	pthread_mutex_lock(&w->lock);
	return w;
}

void writer_put(struct writer *w)
{
	pthread_mutex_unlock(&w->lock);
}

/* the counters of the calling thread's writer, without its lock */
struct writer *writer_of_thread(struct pmkv *kv)
{
	if (thread_slot == ~0U)
		thread_slot = __atomic_fetch_add(&next_thread_slot, 1,
						 __ATOMIC_RELAXED);
	return &kv->writers[thread_slot % NWRITERS];
}

uint64_t writer_min_inflight(struct pmkv *kv)
{
	uint64_t min = UINT64_MAX;

	for (int i = 0; i < NWRITERS; i++) {
		uint64_t v = __atomic_load_n(&kv->writers[i].inflight,
					     __ATOMIC_SEQ_CST);

		if (v && v < min)
			min = v;
	}
	return min;
}

/*
 * Room for n bytes. A record larger than a regular segment's payload gets
 * a segment of its own, which the caller closes after writing; the
 * writer's open segment stays. -ENOSPC when even reclamation finds no room;
 * deletes (for_delete) then take the segment kept for them.
 */
int segment_reserve(struct pmkv *kv, struct writer *w, uint64_t n,
		    bool for_delete, struct seg **out)
{
	uint64_t payload = kv->segment_size - PMKV_SEGMENT_DATA;
	uint64_t size;
	struct seg *s;
	uint32_t tries;
	int rc;

	if (n <= payload && w->seg && w->seg->used + n <= w->seg->size) {
		*out = w->seg;
		return 0;
	}
	if (n <= payload) {
		size = kv->segment_size;
		if (w->seg) {
			/* full: from now on reclamation may take it */
			__atomic_store_n(&w->seg->open, false, __ATOMIC_RELEASE);
			w->seg = NULL;
		}
	} else {
		size = (n + PMKV_SEGMENT_DATA + 4095) & ~4095ULL;
	}
	/* each reclamation frees one segment; a bounded number will do */
	for (tries = 0;; tries++) {
		rc = segment_alloc(kv, size, &s);
		if (rc != -ENOSPC)
			break;
		if (tries > kv->nsegs_max)
			break;
		rc = gc_collect(kv);
		if (rc)
			break;
	}
	if (rc == -ENOSPC && for_delete && n <= payload) {
		/* a full pool must still let deletes make room */
		pthread_mutex_lock(&kv->gc_lock);
		s = kv->del_reserve;
		kv->del_reserve = NULL;
		pthread_mutex_unlock(&kv->gc_lock);
		if (s)
			rc = 0;
	}
	if (rc)
		return rc;
	if (n <= payload)
		w->seg = s;
	*out = s;
	return 0;
}
