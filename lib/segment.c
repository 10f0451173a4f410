// SPDX-License-Identifier: BSD-3-Clause
/*
 * segment.c -- log segments on media, their DRAM descriptors, and room
 *
 * A segment takes one or more whole slots of the pool's extents (layout.h:
 * slots are cut at create, on PMKV_SLOT_ALIGN boundaries) and has a LIVE
 * entry in the slot table. Its id comes from the superblock's
 * next_segment_id, made durable before the entry is, so an id is never
 * handed out twice: records left in a slot by a freed segment carry an
 * id no live segment has.
 *
 * This file is the allocator: it hands out segments and room in them and
 * says -ENOSPC when no slot is free. It never reclaims (space.c, above
 * it and gc.c, does). Two free segments are kept in reserve, under
 * seg_lock: one that reclamation copies into, so that it can always run,
 * and one for deletes in a full pool, since freeing space must not need
 * free space.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "format.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

#define SLOT_FREE 0
#define SLOT_USED 1
#define SLOT_DAMAGED 2	/* salvage, or a bad block: neither free nor a segment */
#define SLOT_FREEING 3	/* a free a crash cut short: done after recovery */
#define SLOT_LEFTOVER 4	/* free, with a header to clear after recovery */

int segment_table_init(struct pmkv *kv)
{
	kv->nsegs_max = kv->sb->nslots;
	kv->slots = kv_ptr(kv, kv->sb->table_off);
	kv->segs = calloc(kv->nsegs_max, sizeof(*kv->segs));
	kv->slot_use = calloc(kv->nsegs_max, sizeof(*kv->slot_use));
	if (!kv->segs || !kv->slot_use) {
		/* one of the two may have come: nothing stays behind */
		segment_table_fini(kv);
		return pmkv_err(-ENOMEM, "no memory for %u segment slots",
				kv->nsegs_max);
	}
	kv->nfree_slots = kv->nsegs_max;
	return 0;
}

void segment_table_fini(struct pmkv *kv)
{
	if (kv->segs)
		for (uint32_t i = 0; i < kv->nsegs_max; i++)
			free(kv->segs[i]);
	free(kv->segs);
	free(kv->slot_use);
	kv->segs = NULL;
	kv->slot_use = NULL;
}

/* a descriptor for the segment in slots [slot, slot + span); seg_lock held */
static struct seg *desc_new(struct pmkv *kv, uint32_t slot, uint32_t span,
			    uint64_t id, uint64_t size)
{
	struct seg *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->off = format_slot_off(kv->sb, slot);
	s->id = id;
	s->size = size;
	s->used = PMKV_SEGMENT_DATA;
	/* open until its user closes it: reclamation must not take it empty */
	s->open = true;
	s->appendable = true;
	s->slot = slot;
	s->span = span;
	kv->segs[slot] = s;
	memset(kv->slot_use + slot, SLOT_USED, span);
	kv->nfree_slots -= span;
	kv->nsegs++;
	return s;
}

static uint64_t header_csum(const struct pmkv_segment *h)
{
	return XXH64(h, offsetof(struct pmkv_segment, csum), 0);
}

static uint64_t entry_csum(const struct pmkv_slot *e)
{
	return XXH64(&e->id, offsetof(struct pmkv_slot, csum) -
			     offsetof(struct pmkv_slot, id), 0);
}

/*
 * The first of span free slots in a row, all in one extent (extents are
 * apart in the pool); nslots if there are none. seg_lock held.
 */
static uint32_t find_run(struct pmkv *kv, uint32_t span)
{
	uint32_t first = 0;

	if (kv->nfree_slots < span)
		return kv->nsegs_max;
	for (uint32_t e = 0; e < kv->sb->nextents; e++) {
		uint32_t end = first + (uint32_t)kv->sb->extents[e].nslots;
		uint32_t run = 0;

		for (uint32_t i = first; i < end; i++) {
			run = kv->slot_use[i] == SLOT_FREE ? run + 1 : 0;
			if (run == span)
				return i + 1 - span;
		}
		first = end;
	}
	return kv->nsegs_max;
}

uint32_t segment_free_run(struct pmkv *kv, uint32_t span)
{
	uint32_t slot;

	pthread_mutex_lock(&kv->seg_lock);
	slot = find_run(kv, span);
	pthread_mutex_unlock(&kv->seg_lock);
	return slot;
}

/*
 * Make the segment in slots [slot, slot + span) durable: its header, the
 * body of its entry and the spent id, one fence; then the entry's state,
 * one 8-byte store, and another. A crash leaves the slot free or the
 * segment whole. seg_lock held.
 */
static int segment_publish(struct pmkv *kv, uint32_t slot, uint32_t span,
			   uint64_t id, uint64_t size)
{
	struct pmkv_segment *h = kv_ptr(kv, format_slot_off(kv->sb, slot));
	struct pmkv_slot *e = &kv->slots[slot];
	const struct persist_ops *ops = kv->persist;
	struct pmkv_segment nh = { .magic = PMKV_SEGMENT_MAGIC, .id = id,
				   .size = size };
	struct pmkv_slot ne = { .id = id, .span = span };

	memcpy(nh.uuid, kv->sb->uuid, sizeof(nh.uuid));
	nh.csum = header_csum(&nh);
	ne.csum = entry_csum(&ne);
	/* the id must be spent durably before any record can carry it */
	kv->sb->next_segment_id = id + 1;
	ops->flush(&kv->misc_pc, &kv->sb->next_segment_id,
		   sizeof(kv->sb->next_segment_id));
	ops->copy(&kv->misc_pc, h, &nh, sizeof(nh));
	ops->copy(&kv->misc_pc, &e->id, &ne.id, sizeof(ne) - sizeof(ne.state));
	ops->fence(&kv->misc_pc);
	__atomic_store_n(&e->state, PMKV_SLOT_LIVE, __ATOMIC_RELAXED);
	persist_range(ops, &kv->misc_pc, &e->state, sizeof(e->state));
	return kv->misc_pc.error ? persist_check(kv, &kv->misc_pc) : 0;
}

/*
 * A new segment of size bytes, open: the caller closes it when it is done
 * appending. -ENOSPC when no slots are free (space.c may reclaim and
 * retry); no message is set for that case. warm false leaves its pages to
 * whoever touches them first, for a writer whose records go through the
 * pool's file. (The crash tests name this function as a site.)
 */
int segment_alloc(struct pmkv *kv, uint64_t size, bool warm,
		  struct seg **out)
{
	uint64_t span64 = (size + kv->segment_size - 1) / kv->segment_size;
	uint32_t span, slot;
	struct seg *s;
	uint64_t id;
	int rc;

	if (span64 > kv->nsegs_max)
		return -ENOSPC;
	span = (uint32_t)span64;
	pthread_mutex_lock(&kv->seg_lock);
	slot = find_run(kv, span);
	if (slot == kv->nsegs_max) {
		pthread_mutex_unlock(&kv->seg_lock);
		return -ENOSPC;
	}
	id = kv->sb->next_segment_id;
	rc = segment_publish(kv, slot, span, id, size);
	if (rc) {
		pthread_mutex_unlock(&kv->seg_lock);
		return rc;
	}
	s = desc_new(kv, slot, span, id, size);
	pthread_mutex_unlock(&kv->seg_lock);
	if (!s) {
		/* LIVE on media, unknown here: the next open frees it empty */
		return pmkv_err(-ENOMEM, "no memory for a segment descriptor");
	}
	/* its pages mapped and touched before the writer stores to them */
	if (warm)
		warm_add(&kv->warm, kv_ptr(kv, s->off), size);
	*out = s;
	return 0;
}

/*
 * A free slot with a known media error is never handed out: a writer
 * would store to the bad bytes. Nothing is lost there, so it is not
 * damage to the policy.
 */
static void quarantine_bad(struct pmkv *kv, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; kv->bad.n && i < to; i++)
		if (kv->slot_use[i] == SLOT_FREE &&
		    badblocks_hit(&kv->bad, format_slot_off(kv->sb, i),
				  kv->segment_size)) {
			kv->slot_use[i] = SLOT_DAMAGED;
			kv->nfree_slots--;
			log_warn("%s: slot %u holds a bad block: it is not used",
				 kv->path, i);
		}
}

/*
 * The header's magic goes first, then the entry's state, a fence after
 * each: a free entry never stands before a whole header (segment_load()
 * takes that for a lost entry), and an interrupted free leaves a LIVE
 * entry before a header whose only change is its magic.
 */
void segment_free(struct pmkv *kv, struct seg *s)
{
	struct pmkv_slot *e = &kv->slots[s->slot];
	struct pmkv_segment *h = kv_ptr(kv, s->off);

	pthread_mutex_lock(&kv->seg_lock);
	__atomic_store_n(&h->magic, 0, __ATOMIC_RELAXED);
	persist_range(kv->persist, &kv->misc_pc, &h->magic, sizeof(h->magic));
	__atomic_store_n(&e->state, 0, __ATOMIC_RELAXED);
	persist_range(kv->persist, &kv->misc_pc, &e->state, sizeof(e->state));
	kv->segs[s->slot] = NULL;
	memset(kv->slot_use + s->slot, SLOT_FREE, s->span);
	kv->nfree_slots += s->span;
	kv->nsegs--;
	/* a segment's bad bytes past its size: its slots stay unused */
	quarantine_bad(kv, s->slot, s->slot + s->span);
	pthread_mutex_unlock(&kv->seg_lock);
	free(s);
}

void segment_set_reclaim(struct pmkv *kv, struct persist_ctx *pc,
			 struct seg *s, uint64_t word)
{
	struct pmkv_segment *h = kv_ptr(kv, s->off);

	s->reclaim = word;
	__atomic_store_n(&h->reclaim, word, __ATOMIC_RELAXED);
	kv->persist->flush(pc, &h->reclaim, sizeof(h->reclaim));
}

/* what is wrong with the LIVE entry e of slot and its segment; NULL if nothing */
static const char *entry_problem(struct pmkv *kv, uint32_t slot,
				 uint32_t ext_end, const struct pmkv_slot *e)
{
	const struct pmkv_segment *h;

	if (e->csum != entry_csum(e))
		return "its slot entry fails its checksum";
	if (e->span == 0 || e->span > ext_end - slot)
		return "its slot entry spans slots past its extent";
	if (e->id == 0 || e->id >= kv->id_limit)
		return "its slot entry names an id never issued";
	h = kv_ptr(kv, format_slot_off(kv->sb, slot));
	if (h->magic != PMKV_SEGMENT_MAGIC || h->csum != header_csum(h) ||
	    memcmp(h->uuid, kv->sb->uuid, sizeof(h->uuid)))
		return "its header is damaged";
	if (h->id != e->id)
		return "its header names another segment";
	if (h->size < PMKV_SEGMENT_DATA ||
	    h->size > (uint64_t)e->span * kv->segment_size ||
	    h->size <= (uint64_t)(e->span - 1) * kv->segment_size)
		return "its header's size does not fit its slots";
	if (h->reclaim && ((h->reclaim >> 32 != PMKV_SEG_RECLAIM_TAG &&
			    h->reclaim >> 32 != PMKV_SEG_SEALED_TAG) ||
			   (h->reclaim & 0xffffffffULL) > h->size))
		return "its header's sealed or reclamation word is damaged";
	for (uint32_t i = slot + 1; i < slot + e->span; i++)
		if (badblocks_hit(&kv->bad, kv_off(kv, &kv->slots[i]),
				  sizeof(kv->slots[i])) ||
		    kv->slots[i].state != 0)
			return "a slot it covers has an entry of its own, or a bad block";
	return NULL;
}

/*
 * What a free slot's header says (freeing zeroes the magic first, so a
 * whole header of this pool behind a free entry is not a freed segment)
 */
enum free_slot {
	FREE_PLAIN,		/* no whole header: free */
	FREE_LEFTOVER,		/* the newest id, no record: an allocation a
				   crash cut short; free, its header cleared */
	FREE_LOST,		/* a segment whose entry lost its state: damage */
};

static enum free_slot free_slot_kind(struct pmkv *kv, uint32_t slot,
				     uint32_t ext_end)
{
	const struct pmkv_segment *h = kv_ptr(kv, format_slot_off(kv->sb, slot));
	const struct pmkv_record *r = (const void *)((const uint8_t *)h +
						     PMKV_SEGMENT_DATA);
	uint64_t room = (uint64_t)(ext_end - slot) * kv->segment_size;

	if (h->magic != PMKV_SEGMENT_MAGIC || h->csum != header_csum(h) ||
	    memcmp(h->uuid, kv->sb->uuid, sizeof(h->uuid)) ||
	    h->size < PMKV_SEGMENT_DATA || h->size > room)
		return FREE_PLAIN;
	/* a retracted first record still shows the segment was written */
	if (r->segment_id == h->id && r->offset == PMKV_SEGMENT_DATA &&
	    r->klen != 0)
		return FREE_LOST;
	/*
	 * Allocations are one at a time, each fenced whole before the next,
	 * and an open clears a leftover before it allocates: only the newest
	 * id can be one (or the next, if the spent id did not reach the
	 * medium with the header). The copy knows no newest id: salvage
	 * takes it free.
	 */
	if (kv->from_copy || h->id + 1 == kv->id_limit || h->id == kv->id_limit)
		return FREE_LEFTOVER;
	return FREE_LOST;
}

/* a LIVE entry before a header whose magic alone is gone: a cut-short free */
static bool free_interrupted(struct pmkv *kv, uint32_t slot,
			     const struct pmkv_slot *e)
{
	struct pmkv_segment h;

	memcpy(&h, kv_ptr(kv, format_slot_off(kv->sb, slot)), sizeof(h));
	if (h.magic != 0 || h.id != e->id)
		return false;
	h.magic = PMKV_SEGMENT_MAGIC;
	return h.csum == header_csum(&h) && e->csum == entry_csum(e);
}

/*
 * A free a crash cut short: the slot is neither handed out nor written
 * until segment_finish_frees(), once the open has accepted the pool (an
 * open that refuses a pool writes nothing to it)
 */
static void finish_free(struct pmkv *kv, uint32_t slot)
{
	kv->slot_use[slot] = SLOT_FREEING;
	kv->nfree_slots--;
}

void segment_finish_frees(struct pmkv *kv)
{
	/* a read-only handle leaves them, and never allocates */
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct pmkv_slot *e = &kv->slots[i];

		if (kv->slot_use[i] == SLOT_LEFTOVER) {
			struct pmkv_segment *h = kv_ptr(kv,
						format_slot_off(kv->sb, i));

			/* before any allocation: see free_slot_kind() */
			__atomic_store_n(&h->magic, 0, __ATOMIC_RELAXED);
			persist_range(kv->persist, &kv->misc_pc, &h->magic,
				      sizeof(h->magic));
			kv->slot_use[i] = SLOT_FREE;
			quarantine_bad(kv, i, i + 1);
			continue;
		}
		if (kv->slot_use[i] != SLOT_FREEING)
			continue;
		__atomic_store_n(&e->state, 0, __ATOMIC_RELAXED);
		persist_range(kv->persist, &kv->misc_pc, &e->state,
			      sizeof(e->state));
		kv->slot_use[i] = SLOT_FREE;
		kv->nfree_slots++;
		quarantine_bad(kv, i, i + 1);
	}
}

/* damage in the table: the open fails, or salvage leaves the slot alone */
static int slot_damaged(struct pmkv *kv, uint32_t slot, const char *what)
{
	uint64_t off = format_slot_off(kv->sb, slot);

	if (!kv->salvage)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: segment in slot %u (pool offset %" PRIu64 "): %s",
				kv->path, slot, off, what);
	log_err("%s: salvage: skipping slot %u (pool offset %" PRIu64 "): %s",
		kv->path, slot, off, what);
	kv->slot_use[slot] = SLOT_DAMAGED;
	kv->nfree_slots--;
	kv->damaged_segments++;
	return 0;
}

/*
 * Salvage of a segment whose entry or header is damaged: its records name
 * their segment and their place in it, so what is left of the two (or,
 * failing both, its first record) says which segment it is. Records are
 * checked one by one as ever; a wrong guess only finds fewer of them.
 */
static bool salvage_guess(struct pmkv *kv, uint32_t slot, uint32_t ext_end,
			  bool entry_ok, uint64_t *id, uint32_t *span,
			  uint64_t *size)
{
	const struct pmkv_slot *e = &kv->slots[slot];
	const struct pmkv_segment *h = kv_ptr(kv, format_slot_off(kv->sb, slot));
	const struct pmkv_record *r = (const void *)((const uint8_t *)h +
						     PMKV_SEGMENT_DATA);
	uint64_t room = (uint64_t)(ext_end - slot) * kv->segment_size;

	if (h->magic == PMKV_SEGMENT_MAGIC && h->csum == header_csum(h) &&
	    !memcmp(h->uuid, kv->sb->uuid, sizeof(h->uuid)) &&
	    h->size >= PMKV_SEGMENT_DATA && h->size <= room) {
		*id = h->id;
		*size = h->size;
	} else if (entry_ok && e->csum == entry_csum(e) && e->span >= 1 &&
		   e->span <= ext_end - slot) {
		*id = e->id;
		*size = (uint64_t)e->span * kv->segment_size;
	} else if (!badblocks_hit(&kv->bad, kv_off(kv, r), sizeof(*r) +
				  PMKV_KEY_MAX) &&
		   rec_header_valid(r, PMKV_SEGMENT_DATA, kv->segment_size,
				    r->segment_id, kv->sb->key_max,
				    kv->sb->value_max)) {
		*id = r->segment_id;
		*size = kv->segment_size;
	} else {
		return false;
	}
	*span = (uint32_t)((*size + kv->segment_size - 1) / kv->segment_size);
	return true;
}

/*
 * At open: a descriptor for every LIVE slot entry, checked with the
 * segment's header; nothing is read through libpmemobj. Every entry is
 * 0 (free), LIVE (a segment) or damage. The segments in *list.
 */
int segment_load(struct pmkv *kv, struct seg ***list, size_t *n)
{
	struct seg **v = calloc(kv->nsegs_max ? kv->nsegs_max : 1, sizeof(*v));
	uint32_t first = 0;
	int rc = 0;

	if (!v)
		return pmkv_err(-ENOMEM, "no memory to list segments");
	*n = 0;
	for (uint32_t x = 0; x < kv->sb->nextents && !rc; x++) {
		uint32_t end = first + (uint32_t)kv->sb->extents[x].nslots;

		for (uint32_t i = first; i < end && !rc;) {
			const struct pmkv_slot *e = &kv->slots[i];
			uint64_t soff = format_slot_off(kv->sb, i);
			/* read only once no media error is known there */
			const struct pmkv_segment *h = kv_ptr(kv, soff);
			uint64_t id, size;
			const char *why;
			uint32_t span;

			/* a known media error is damage, and is never read */
			if (badblocks_hit(&kv->bad, kv_off(kv, e), sizeof(*e)) ||
			    badblocks_hit(&kv->bad, soff, PMKV_SEGMENT_DATA)) {
				why = "a bad block (media error) in its slot entry or header";
				if (!kv->salvage ||
				    badblocks_hit(&kv->bad, soff, PMKV_SEGMENT_DATA) ||
				    !salvage_guess(kv, i, end, false, &id, &span,
						   &size)) {
					rc = slot_damaged(kv, i, why);
					i++;
					continue;
				}
				goto adopt;
			}

			if (e->state == 0) {
				enum free_slot k = free_slot_kind(kv, i, end);

				if (k == FREE_LEFTOVER)
					kv->slot_use[i] = SLOT_LEFTOVER;
				if (k != FREE_LOST) {
					i++;
					continue;
				}
			}
			if (e->state == PMKV_SLOT_LIVE && free_interrupted(kv, i, e)) {
				finish_free(kv, i);
				i++;
				continue;
			}
			if (e->state == 0)
				why = "its slot entry says free, but a whole segment header of this pool is there (a lost entry)";
			else if (e->state == PMKV_SLOT_LIVE)
				why = entry_problem(kv, i, end, e);
			else
				why = "its slot entry's state is neither free nor live";
			id = e->id;
			span = e->span;
			size = h->size;
			if (why && (!kv->salvage ||
				    !salvage_guess(kv, i, end, true, &id, &span,
						   &size))) {
				rc = slot_damaged(kv, i, why);
				i++;
				continue;
			}
adopt:
			if (why) {
				log_err("%s: salvage: slot %u: %s; reading it as segment %llu of %llu bytes",
					kv->path, i, why, (unsigned long long)id,
					(unsigned long long)size);
				kv->damaged_segments++;
			}
			v[*n] = desc_new(kv, i, span, id, size);
			if (!v[*n]) {
				rc = pmkv_err(-ENOMEM, "no memory for a segment descriptor");
				break;
			}
			/* nobody appends to a recovered segment until open says */
			v[*n]->open = false;
			v[*n]->reclaim = why ? 0 : h->reclaim;
			(*n)++;
			i += span;
		}
		first = end;
	}
	if (rc) {
		free(v);
		return rc;
	}
	quarantine_bad(kv, 0, kv->nsegs_max);
	*list = v;
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
static int room_new(struct pmkv *kv, enum room how, bool warm,
		    struct seg **out)
{
	int rc;

	switch (how) {
	case ROOM_RECLAIM:
		*out = reserve_take(kv, &kv->reserve);
		if (*out)
			return 0;
		/* fall through */
	case ROOM_NEW:
		rc = segment_alloc(kv, kv->segment_size, warm, out);
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
	/*
	 * A writer of large records writes them through the file
	 * (record.c): touching the pages ahead of it would cost the warmer
	 * 4.5 us a page, on the core the writer may need, for nothing
	 */
	bool warm = !(n >= PERSIST_FILE_MIN && w->pc.file_base);
	struct seg *s;
	int rc;

	if (n > payload) {
		/* reclamation never copies a record this large: see gc.c */
		PMKV_ASSERT(how != ROOM_RECLAIM);
		if (how != ROOM_NEW)
			return -ENOSPC;
		return segment_alloc(kv, (n + PMKV_SEGMENT_DATA + 4095) &
				     ~4095ULL, warm, out);
	}
	if (w->seg) {
		/*
		 * Full: from now on reclamation may take it. A writer's is
		 * sealed (all of it is fenced); reclamation's is not, its
		 * last copies wait for its fence and seal() (gc.c)
		 */
		if (how != ROOM_RECLAIM)
			segment_seal(kv, &w->pc, w->seg);
		segment_close(w->seg);
		w->seg = NULL;
	}
	rc = room_new(kv, how, warm, &s);
	if (rc)
		return rc;
	if (how == ROOM_RECLAIM) {
		/* copies are fenced many at a time: recovery must know */
		segment_set_reclaim(kv, &w->pc, s, PMKV_SEG_RECLAIM(s->used));
		kv->persist->fence(&w->pc);
	}
	w->seg = s;
	*out = s;
	return 0;
}

void segment_touch_ahead(struct pmkv *kv, struct seg *s)
{
	warm_hint(&kv->warm, kv_ptr(kv, s->off + s->used), 1);
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
		rc = segment_alloc(kv, kv->segment_size, true, &s);
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
 * A recovered segment becomes a writer's (or a reserve's): appending after
 * its last valid record is what a writer does anyway, but only where
 * recovery found nothing valid beyond it, and with the segment strict
 * again if reclamation had it (layout.h, pmkv_segment.reclaim).
 */
static void adopt(struct pmkv *kv, struct seg *s)
{
	s->open = true;
	if (s->reclaim != PMKV_SEG_SEALED(s->used)) {
		segment_seal(kv, &kv->misc_pc, s);
		kv->persist->fence(&kv->misc_pc);
	}
}

void segment_seal(struct pmkv *kv, struct persist_ctx *pc, struct seg *s)
{
	segment_set_reclaim(kv, pc, s, PMKV_SEG_SEALED(s->used));
}

void segment_seal_all(struct pmkv *kv)
{
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		/* reclamation's copies are fenced too once it is idle */
		if (s && s->reclaim != PMKV_SEG_SEALED(s->used))
			segment_seal(kv, &kv->misc_pc, s);
	}
	kv->persist->fence(&kv->misc_pc);
	if (kv->misc_pc.error)
		log_warn("%s: sealing the segments at close failed: the next open checks them as after a crash",
			 kv->path);
}

/*
 * At open: segments that hold no record (the reserves of the last run, or
 * segments allocated just before a crash) become this run's reserves, and
 * any others are freed; the newest segment with room left becomes the
 * opening thread's writer's. Opening a pool again and again, as a
 * command-line tool does, then costs no space.
 */
void segment_adopt_empty(struct pmkv *kv)
{
	struct writer *w = writer_of_thread(kv->writers);
	struct seg *newest = NULL;

	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		if (!s || s->used != PMKV_SEGMENT_DATA || s->open)
			continue;
		if (s->appendable && s->size == kv->segment_size &&
		    !kv->reserve) {
			adopt(kv, s);
			kv->reserve = s;
		} else if (s->appendable && s->size == kv->segment_size &&
			   !kv->del_reserve) {
			adopt(kv, s);
			kv->del_reserve = s;
		} else {
			segment_free(kv, s);
		}
	}
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		struct seg *s = kv->segs[i];

		if (s && !s->open && s->appendable &&
		    s->size == kv->segment_size &&
		    s->size - s->used >= s->size / 4 &&
		    (!newest || s->id > newest->id))
			newest = s;
	}
	if (newest && !w->seg) {
		adopt(kv, newest);
		w->seg = newest;
	}
}

int segment_restore_claim(struct pmkv *kv, uint64_t size, uint32_t *slot,
			  uint64_t *off)
{
	uint64_t span = (size + kv->segment_size - 1) / kv->segment_size;

	/* nothing is on bad blocks yet: keep the restored segments off them */
	if (kv->nsegs == 0 && kv->nfree_slots == kv->nsegs_max)
		quarantine_bad(kv, 0, kv->nsegs_max);
	if (span == 0 || span > kv->nsegs_max)
		return -ENOSPC;
	*slot = find_run(kv, (uint32_t)span);
	if (*slot == kv->nsegs_max)
		return -ENOSPC;
	memset(kv->slot_use + *slot, SLOT_USED, span);
	kv->nfree_slots -= (uint32_t)span;
	*off = format_slot_off(kv->sb, *slot);
	return 0;
}

void segment_restore_publish(struct pmkv *kv, uint32_t slot, uint64_t id,
			     uint64_t size, uint64_t used)
{
	struct pmkv_segment *h = kv_ptr(kv, format_slot_off(kv->sb, slot));
	struct pmkv_slot *e = &kv->slots[slot];
	struct pmkv_segment nh = { .magic = PMKV_SEGMENT_MAGIC, .id = id,
				   .size = size,
				   /* everything before used is whole */
				   .reclaim = PMKV_SEG_SEALED(used) };
	struct pmkv_slot ne = { .state = PMKV_SLOT_LIVE, .id = id,
				.span = (uint32_t)((size + kv->segment_size - 1) /
						   kv->segment_size) };

	memcpy(nh.uuid, kv->sb->uuid, sizeof(nh.uuid));
	nh.csum = header_csum(&nh);
	ne.csum = entry_csum(&ne);
	kv->persist->copy(&kv->misc_pc, h, &nh, sizeof(nh));
	kv->persist->copy(&kv->misc_pc, e, &ne, sizeof(ne));
}

void segment_restore_done(struct pmkv *kv)
{
	memset(kv->slot_use, SLOT_FREE, kv->nsegs_max);
	kv->nfree_slots = kv->nsegs_max;
}
