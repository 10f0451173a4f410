// SPDX-License-Identifier: BSD-3-Clause
/*
 * batch.c -- puts and deletes committed all-or-nothing
 *
 * Commit writes the batch's records back to back in one segment, all with
 * one version; the first carries the number of records. ONE fence makes
 * them durable; recovery applies a batch only when every record of it is
 * valid, so a crash before the fence leaves none of it. Publication runs
 * with kv->batch_seq odd, which gets check, so a concurrent get sees all
 * of the batch or none of it. Every key gets its entry first (a
 * placeholder for a new one), so that running out of index memory fails
 * the commit before anything is published: what was added is removed and
 * the batch retracted (commit_retract() on all of its records). commit.c
 * has the protocol that puts share.
 *
 * A key appears at most once in a batch: an operation on a key the batch
 * holds replaces that operation in place, found through a hash of the
 * batch's keys. So PMKV_BATCH_MAX and the size limit count what the batch
 * will write, and a full batch still takes a replacement (issue 15: it
 * counted every call and refused one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include <libpmemobj.h>

#include "args.h"
#include "commit.h"
#include "internal.h"
#include "record.h"
#include "space.h"

struct op {
	uint8_t *key;		/* key then value, one allocation */
	uint32_t klen, vlen;
	bool tomb;
};

struct pmkv_batch {
	struct pmkv *kv;
	struct op *ops;
	uint32_t n, cap;
	uint64_t bytes;		/* records' size on media */
	/*
	 * ops[slots[h] - 1] for a key hashing near h, 0 for an empty slot;
	 * open addressing, at most half full so probes stay short
	 */
	uint32_t *slots;
	uint32_t nslots;	/* a power of two, or 0 */
};

int pmkv_batch_new(struct pmkv *kv, struct pmkv_batch **b)
{
	struct pmkv_batch *nb;

	if (!kv || !b)
		return pmkv_err(-EINVAL, "kv or b is NULL");
	nb = calloc(1, sizeof(*nb));
	if (!nb)
		return pmkv_err(-ENOMEM, "no memory for a batch");
	nb->kv = kv;
	*b = nb;
	return 0;
}

static void batch_clear(struct pmkv_batch *b)
{
	for (uint32_t i = 0; i < b->n; i++)
		free(b->ops[i].key);
	b->n = 0;
	b->bytes = 0;
	if (b->slots)
		memset(b->slots, 0, b->nslots * sizeof(b->slots[0]));
}

void pmkv_batch_free(struct pmkv_batch **b)
{
	if (!b || !*b)
		return;
	batch_clear(*b);
	free((*b)->ops);
	free((*b)->slots);
	free(*b);
	*b = NULL;
}

/* the slot that holds key, or the empty one where it would go */
static uint32_t *batch_slot(const struct pmkv_batch *b, const void *key,
			    uint32_t klen)
{
	uint32_t mask = b->nslots - 1;
	uint32_t h = (uint32_t)XXH3_64bits(key, klen) & mask;

	for (;; h = (h + 1) & mask) {
		const struct op *o;

		if (!b->slots[h])
			return &b->slots[h];
		o = &b->ops[b->slots[h] - 1];
		if (o->klen == klen && !memcmp(o->key, key, klen))
			return &b->slots[h];
	}
}

static void batch_reindex(struct pmkv_batch *b)
{
	memset(b->slots, 0, b->nslots * sizeof(b->slots[0]));
	for (uint32_t i = 0; i < b->n; i++)
		*batch_slot(b, b->ops[i].key, b->ops[i].klen) = i + 1;
}

/* room in ops[] and in the hash for one more operation */
static int batch_grow(struct pmkv_batch *b)
{
	if (b->n == b->cap) {
		uint32_t ncap = b->cap ? b->cap * 2 : 16;
		struct op *n = realloc(b->ops, ncap * sizeof(*n));

		if (!n)
			return pmkv_err(-ENOMEM, "no memory for a batch of %u", ncap);
		b->ops = n;
		b->cap = ncap;
	}
	if (2 * (b->n + 1) > b->nslots) {
		uint32_t nslots = b->nslots ? b->nslots * 2 : 32;
		uint32_t *slots = calloc(nslots, sizeof(*slots));

		if (!slots)
			return pmkv_err(-ENOMEM, "no memory for a batch of %u",
					b->n + 1);
		free(b->slots);
		b->slots = slots;
		b->nslots = nslots;
		batch_reindex(b);
	}
	return 0;
}

/* a put or delete of a key the batch holds: takes the place of the old */
static int batch_replace(struct pmkv_batch *b, struct op *o, const void *val,
			 size_t vlen, bool tomb)
{
	uint64_t old = record_size(o->klen, o->vlen);
	uint64_t rsize = record_size(o->klen, (uint32_t)vlen);
	uint8_t *p;

	if (b->bytes - old + rsize + PMKV_SEGMENT_DATA > PMEMOBJ_MAX_ALLOC_SIZE)
		return pmkv_err(-E2BIG, "batch records would exceed %zu bytes",
				(size_t)PMEMOBJ_MAX_ALLOC_SIZE);
	if (vlen != o->vlen) {
		p = realloc(o->key, o->klen + vlen);
		if (!p)
			return pmkv_err(-ENOMEM, "no memory for a batch operation");
		o->key = p;
	}
	if (vlen)
		memcpy(o->key + o->klen, val, vlen);
	o->vlen = (uint32_t)vlen;
	o->tomb = tomb;
	b->bytes = b->bytes - old + rsize;
	return 0;
}

static int batch_add(struct pmkv_batch *b, const void *key, size_t klen,
		     const void *val, size_t vlen, bool tomb)
{
	uint32_t *slot;
	uint64_t rsize;
	struct op *o;
	int rc;

	if (!b)
		return pmkv_err(-EINVAL, "batch is NULL");
	rc = args_key(key, klen);
	if (!rc)
		rc = args_value(val, vlen);
	if (rc)
		return rc;
	if (b->nslots) {
		slot = batch_slot(b, key, (uint32_t)klen);
		if (*slot)
			return batch_replace(b, &b->ops[*slot - 1], val, vlen,
					     tomb);
	}
	if (b->n == PMKV_BATCH_MAX)
		return pmkv_err(-E2BIG, "a batch holds at most %u operations",
				PMKV_BATCH_MAX);
	rsize = record_size((uint32_t)klen, (uint32_t)vlen);
	if (b->bytes + rsize + PMKV_SEGMENT_DATA > PMEMOBJ_MAX_ALLOC_SIZE)
		return pmkv_err(-E2BIG, "batch records would exceed %zu bytes",
				(size_t)PMEMOBJ_MAX_ALLOC_SIZE);
	rc = batch_grow(b);
	if (rc)
		return rc;
	o = &b->ops[b->n];
	o->key = malloc(klen + vlen);
	if (!o->key)
		return pmkv_err(-ENOMEM, "no memory for a batch operation");
	memcpy(o->key, key, klen);
	if (vlen)
		memcpy(o->key + klen, val, vlen);
	o->klen = (uint32_t)klen;
	o->vlen = (uint32_t)vlen;
	o->tomb = tomb;
	/* batch_grow() may have moved the slots */
	*batch_slot(b, key, (uint32_t)klen) = ++b->n;
	b->bytes += rsize;
	return 0;
}

int pmkv_batch_put(struct pmkv_batch *b, const void *key, size_t klen,
		   const void *val, size_t vlen)
{
	return batch_add(b, key, klen, val, vlen, false);
}

int pmkv_batch_delete(struct pmkv_batch *b, const void *key, size_t klen)
{
	return batch_add(b, key, klen, NULL, 0, true);
}

static int op_cmp(const void *pa, const void *pb)
{
	const struct op *a = pa, *b = pb;

	return key_cmp_bytes(a->key, a->klen, b->key, b->klen);
}

/*
 * Records go out in key order. The hash follows the operations to their
 * new places: a batch whose commit fails is kept, and may be added to.
 */
static void batch_sort(struct pmkv_batch *b)
{
	qsort(b->ops, b->n, sizeof(b->ops[0]), op_cmp);
	batch_reindex(b);
}

/* the keys of b, made for the index, and whether b only deletes */
static bool batch_keys(struct pmkv_batch *b, struct install *in)
{
	bool all_deletes = true;

	for (uint32_t i = 0; i < b->n; i++) {
		key_make(&in[i].key, b->ops[i].key, b->ops[i].klen);
		all_deletes &= b->ops[i].tomb;
	}
	return all_deletes;
}

/* append every record of b, back to back, all with c's version */
static void batch_append(struct pmkv_batch *b, struct commit *c,
			 struct install *in)
{
	for (uint32_t i = 0; i < b->n; i++) {
		struct op *o = &b->ops[i];
		uint32_t flags = PMKV_REC_BATCH | (o->tomb ? PMKV_REC_TOMBSTONE : 0);

		in[i].off = commit_append(c, o->key, o->klen, o->key + o->klen,
					  o->vlen, flags, i == 0 ? b->n : 0,
					  &in[i].size);
		in[i].version = c->version;
		in[i].seg = c->seg;
		in[i].tomb = o->tomb;
	}
}

/*
 * Take back the entries of in[0, made): the counts they took, and the
 * placeholders nothing else published into since
 */
static void batch_unhold(struct pmkv *kv, struct install *in, uint32_t made)
{
	for (uint32_t i = 0; i < made; i++) {
		struct ilock lk;
		struct ientry *e;

		(void)index_lock(&kv->index, &in[i].key, false, &lk);
		e = index_locked_find(&lk, &in[i].key);
		PMKV_ASSERT(e && e->count > 0);
		if (--e->count == 0 && (e->off & IE_HOLD))
			index_locked_remove(&lk, &in[i].key);
		index_unlock(&lk);
	}
}

/*
 * An entry for every key of the batch, before anything is published, so
 * that running out of memory changes nothing: each counts the batch's
 * durable record (so reclamation cannot drop it meanwhile), and a new key
 * gets a placeholder that points at it (so it can be compared) and that
 * readers take for absent. On -ENOMEM the entries go back as they were.
 */
static int batch_hold(struct pmkv *kv, struct pmkv_batch *b,
		      struct install *in)
{
	uint32_t made;

	for (made = 0; made < b->n; made++) {
		struct ilock lk;
		struct ientry *e;
		bool created;

		if (index_lock(&kv->index, &in[made].key, true, &lk))
			break;
		e = index_locked_upsert(&lk, &in[made].key, &created);
		if (!e) {
			index_unlock(&lk);
			batch_unhold(kv, in, made);
			return rec_beside_damaged(kv->path);
		}
		if (created)
			e->off = in[made].off | IE_TOMB | IE_HOLD;
		e->count++;
		in[made].counted = true;
		index_unlock(&lk);
	}
	if (made == b->n)
		return 0;
	batch_unhold(kv, in, made);
	return pmkv_err(-ENOMEM, "no memory for the index");
}

/*
 * Publish a durable batch whose entries are held: one batch at a time,
 * batch_seq odd meanwhile, so that a get sees all of it or none.
 */
static void batch_publish(struct pmkv *kv, struct pmkv_batch *b,
			  struct commit *c, struct install *in)
{
	uint64_t written = 0;

	/*
	 * the records' sizes as written: b->bytes bounds them, but a value
	 * that starts on a slot boundary takes what its place makes it take
	 */
	for (uint32_t i = 0; i < b->n; i++)
		written += in[i].size;
	__atomic_fetch_add(&c->seg->live, written, __ATOMIC_RELAXED);
	pthread_mutex_lock(&kv->batch_lock);
	__atomic_store_n(&kv->batch_seq, kv->batch_seq + 1, __ATOMIC_RELAXED);
	/* the entries change after gets see the odd sequence */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (uint32_t i = 0; i < b->n; i++) {
		struct ilock lk;

		/* the entry is there, held: no room to make, no failure */
		(void)index_lock(&kv->index, &in[i].key, false, &lk);
		/* a held entry is found, never refused */
		(void)commit_publish_locked(kv, &lk, &in[i]);
		index_unlock(&lk);
	}
	__atomic_store_n(&kv->batch_seq, kv->batch_seq + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&kv->batch_lock);
}

int pmkv_batch_commit(struct pmkv_batch *b)
{
	struct install *in;
	struct commit c;
	struct pmkv *kv;
	bool all_deletes;
	int rc;

	if (!b)
		return pmkv_err(-EINVAL, "batch is NULL");
	kv = b->kv;
	rc = args_writable(kv);
	if (rc)
		return rc;
	if (b->n == 0)
		return 0;
	batch_sort(b);
	in = calloc(b->n, sizeof(*in));
	if (!in)
		return pmkv_err(-ENOMEM, "no memory to commit %u operations", b->n);
	all_deletes = batch_keys(b, in);
	/* may reclaim space, which locks leaves: before ours */
	rc = space_begin_commit(kv, &c, b->bytes, all_deletes);
	if (rc) {
		free(in);
		if (rc == -ENOSPC)
			return pmkv_err(-ENOSPC, "%s: pool full: no room for a batch of %llu bytes",
					kv->path, (unsigned long long)b->bytes);
		return rc;
	}
	batch_append(b, &c, in);
	/* every record of the batch is durable, or (to recovery) none is */
	rc = commit_fence(&c);
	if (!rc) {
		rc = batch_hold(kv, b, in);
		if (rc)
			commit_retract(&c, in[0].off);
		else
			batch_publish(kv, b, &c, in);
	}
	if (!rc)
		c.w->puts += b->n;
	commit_end(&c, rc == 0);
	free(in);
	if (!rc)
		batch_clear(b);
	return rc;
}
