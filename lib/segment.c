// SPDX-License-Identifier: BSD-3-Clause
/*
 * segment.c -- log segments on media, their DRAM descriptors, and writers
 *
 * A segment is a libpmemobj allocation of type PMKV_TYPE_SEGMENT. Its id
 * comes from the superblock's next_segment_id, made durable before the
 * allocation, so an id is never handed out twice: records left in memory
 * that a freed segment occupied carry an id no live segment has.
 *
 * This file is the allocator: it hands out segments and room in them and
 * says -ENOSPC when libpmemobj has none. It never reclaims (space.c, above
 * it and gc.c, does). Two free segments are kept in reserve, under
 * seg_lock: one that reclamation copies into, so that it can always run,
 * and one for deletes in a full pool, since freeing space must not need
 * free space.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "internal.h"
#include "segment.h"

int segment_table_init(struct pmkv *kv)
{
	/* a segment is at least segment_size, so this many always suffice */
	kv->nsegs_max = (uint32_t)(kv->sb->pool_size / kv->segment_size) + 64;
	kv->segs = calloc(kv->nsegs_max, sizeof(*kv->segs));
	kv->free_slots = calloc(kv->nsegs_max, sizeof(*kv->free_slots));
	if (!kv->segs || !kv->free_slots) {
		/* one of the two may have come: nothing stays behind */
		segment_table_fini(kv);
		return pmkv_err(-ENOMEM, "no memory for %u segment slots",
				kv->nsegs_max);
	}
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
 * appending. -ENOSPC when libpmemobj has no room (space.c may reclaim and
 * retry); no message is set for that case.
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

/* take a reserve (*r), NULL when it is gone */
static struct seg *reserve_take(struct pmkv *kv, struct seg **r)
{
	struct seg *s;

	pthread_mutex_lock(&kv->seg_lock);
	s = *r;
	*r = NULL;
	pthread_mutex_unlock(&kv->seg_lock);
	return s;
}

/* a regular segment for a writer whose own is full, by how */
static int room_new(struct pmkv *kv, enum room how, struct seg **out)
{
	int rc;

	switch (how) {
	case ROOM_RECLAIM:
		*out = reserve_take(kv, &kv->reserve);
		if (*out)
			return 0;
		/* fall through */
	case ROOM_NEW:
		rc = segment_alloc(kv, kv->segment_size, out);
		break;
	case ROOM_DELETE:
	default:
		/* a full pool must still let deletes make room */
		*out = reserve_take(kv, &kv->del_reserve);
		rc = *out ? 0 : -ENOSPC;
		break;
	}
	return rc;
}

/* segment_room() when w's open segment has no room for n bytes */
int segment_room_slow(struct pmkv *kv, struct writer *w, uint64_t n,
		      enum room how, struct seg **out)
{
	uint64_t payload = kv->segment_size - PMKV_SEGMENT_DATA;
	struct seg *s;
	int rc;

	if (n > payload) {
		/* reclamation never copies a record this large: see gc.c */
		PMKV_ASSERT(how != ROOM_RECLAIM);
		if (how != ROOM_NEW)
			return -ENOSPC;
		return segment_alloc(kv, (n + PMKV_SEGMENT_DATA + 4095) &
				     ~4095ULL, out);
	}
	if (w->seg) {
		/* full: from now on reclamation may take it */
		segment_close(w->seg);
		w->seg = NULL;
	}
	rc = room_new(kv, how, &s);
	if (rc)
		return rc;
	w->seg = s;
	*out = s;
	return 0;
}

int segment_reserves_refill(struct pmkv *kv)
{
	struct seg **need[] = { &kv->reserve, &kv->del_reserve };

	/* reclamation's first, then the deletes' one; both allocated open */
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		struct seg *s;
		bool empty;
		int rc;

		pthread_mutex_lock(&kv->seg_lock);
		empty = *need[i] == NULL;
		pthread_mutex_unlock(&kv->seg_lock);
		if (!empty)
			continue;
		rc = segment_alloc(kv, kv->segment_size, &s);
		if (rc)
			return rc;
		pthread_mutex_lock(&kv->seg_lock);
		/* only reclamation (under gc_lock) and open refill: no race */
		PMKV_ASSERT(*need[i] == NULL);
		*need[i] = s;
		pthread_mutex_unlock(&kv->seg_lock);
	}
	return 0;
}

/*
 * At open: segments that hold no record (the reserves of the last run, or
 * segments allocated just before a crash) become this run's reserves, and
 * any others go back to libpmemobj; the newest segment with room left
 * becomes the opening thread's writer's. Opening a pool again and again,
 * as a command-line tool does, then costs no space. Appending after the
 * last valid record is what a writer does anyway: whatever lies beyond it
 * is invalid to recovery.
 */
void segment_adopt_empty(struct pmkv *kv)
{
	struct writer *w = writer_of_thread(kv->writers);
	struct seg *newest = NULL;

	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		if (!s || s->used != PMKV_SEGMENT_DATA || s->open)
			continue;
		if (s->size == kv->segment_size && !kv->reserve) {
			s->open = true;
			kv->reserve = s;
		} else if (s->size == kv->segment_size && !kv->del_reserve) {
			s->open = true;
			kv->del_reserve = s;
		} else {
			segment_free(kv, s);
		}
	}
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		if (s && !s->open && s->size == kv->segment_size &&
		    s->size - s->used >= s->size / 4 &&
		    (!newest || s->id > newest->id))
			newest = s;
	}
	if (newest && !w->seg) {
		newest->open = true;
		w->seg = newest;
	}
}
