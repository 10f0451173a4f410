// SPDX-License-Identifier: BSD-3-Clause
/*
 * batch.c -- puts and deletes committed all-or-nothing
 *
 * Commit writes the batch's records back to back in one segment, all with
 * one version; the first carries the number of records. ONE fence makes
 * them durable; recovery applies a batch only when every record of it is
 * valid, so a crash before the fence leaves none of it. Publication takes
 * the write locks of every shard involved, in shard order, and holds them
 * until all of it is published, so a concurrent get sees all of the batch
 * or none of it. If the index runs out of memory half way, what was added
 * is removed and the batch retracted (record_retract() on its first
 * record), so the commit fails with nothing changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct op {
	uint8_t *key;		/* key then value, one allocation */
	uint32_t klen, vlen;
	bool tomb;
	uint32_t seq;		/* order of addition: the later op wins */
};

struct pmkv_batch {
	struct pmkv *kv;
	struct op *ops;
	uint32_t n, cap;
	uint64_t bytes;		/* records' size on media */
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
}

void pmkv_batch_free(struct pmkv_batch **b)
{
	if (!b || !*b)
		return;
	batch_clear(*b);
	free((*b)->ops);
	free(*b);
	*b = NULL;
}

static int batch_add(struct pmkv_batch *b, const void *key, size_t klen,
		     const void *val, size_t vlen, bool tomb)
{
	uint64_t rsize;
	struct op *o;
	int rc;

	if (!b)
		return pmkv_err(-EINVAL, "batch is NULL");
	rc = check_kv_args(key, klen);
	if (!rc)
		rc = check_val_args(val, vlen);
	if (rc)
		return rc;
	if (b->n == PMKV_BATCH_MAX)
		return pmkv_err(-E2BIG, "a batch holds at most %u operations",
				PMKV_BATCH_MAX);
	rsize = record_size((uint32_t)klen, (uint32_t)vlen);
	if (b->bytes + rsize + PMKV_SEGMENT_DATA > PMEMOBJ_MAX_ALLOC_SIZE)
		return pmkv_err(-E2BIG, "batch records would exceed %zu bytes",
				(size_t)PMEMOBJ_MAX_ALLOC_SIZE);
	if (b->n == b->cap) {
		uint32_t ncap = b->cap ? b->cap * 2 : 16;
		struct op *n = realloc(b->ops, ncap * sizeof(*n));

		if (!n)
			return pmkv_err(-ENOMEM, "no memory for a batch of %u", ncap);
		b->ops = n;
		b->cap = ncap;
	}
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
	o->seq = b->n++;
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
	int c = key_cmp_bytes(a->key, a->klen, b->key, b->klen);

	if (c)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* sort by key and keep only the last operation on each key */
static void batch_dedup(struct pmkv_batch *b)
{
	uint32_t out = 0;

	qsort(b->ops, b->n, sizeof(b->ops[0]), op_cmp);
	for (uint32_t i = 0; i < b->n; i++) {
		if (i + 1 < b->n &&
		    key_cmp_bytes(b->ops[i].key, b->ops[i].klen,
				  b->ops[i + 1].key, b->ops[i + 1].klen) == 0) {
			b->bytes -= record_size(b->ops[i].klen, b->ops[i].vlen);
			free(b->ops[i].key);
			continue;
		}
		b->ops[out++] = b->ops[i];
	}
	b->n = out;
}

int pmkv_batch_commit(struct pmkv_batch *b)
{
	struct install *in = NULL;
	bool locked[NSHARDS] = { false };
	struct pmkv *kv;
	struct writer *w;
	struct seg *s;
	uint64_t version, off;
	uint32_t prepared;
	bool all_deletes = true;
	int rc = 0;

	if (!b)
		return pmkv_err(-EINVAL, "batch is NULL");
	kv = b->kv;
	rc = check_writable(kv);
	if (rc)
		return rc;
	if (b->n == 0)
		return 0;
	batch_dedup(b);
	in = calloc(b->n, sizeof(*in));
	if (!in)
		return pmkv_err(-ENOMEM, "no memory to commit %u operations", b->n);

	for (uint32_t i = 0; i < b->n; i++) {
		key_make(&in[i].key, b->ops[i].key, b->ops[i].klen);
		locked[index_shard_of(&in[i].key)] = true;
		all_deletes &= b->ops[i].tomb;
	}
	w = writer_get(kv);
	/* may reclaim space, which takes shard locks: before ours */
	rc = segment_reserve(kv, w, b->bytes, all_deletes, &s);
	if (rc) {
		writer_put(w);
		free(in);
		if (rc == -ENOSPC)
			return pmkv_err(-ENOSPC, "%s: pool full: no room for a batch of %llu bytes",
					kv->path, (unsigned long long)b->bytes);
		return rc;
	}
	__atomic_store_n(&w->inflight, __atomic_load_n(&kv->version,
			 __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	version = __atomic_fetch_add(&kv->version, 1, __ATOMIC_SEQ_CST);
	off = s->off + s->used;
	for (uint32_t i = 0; i < b->n; i++) {
		struct op *o = &b->ops[i];
		struct pmkv_record hdr;
		uint32_t flags = PMKV_REC_BATCH | (o->tomb ? PMKV_REC_TOMBSTONE : 0);

		rec_prepare(&hdr, version, s->id, o->key, o->klen,
			    o->key + o->klen, o->vlen, flags, i == 0 ? b->n : 0);
		rec_write(kv->persist, &w->pc, kv_ptr(kv, off), &hdr, o->key,
			  o->key + o->klen);
		in[i].off = off;
		in[i].size = record_size(o->klen, o->vlen);
		in[i].version = version;
		in[i].seg = s;
		in[i].tomb = o->tomb;
		off += in[i].size;
	}
	/* every record of the batch is durable, or (to recovery) none is */
	kv->persist->fence(&w->pc);
	rc = persist_check(kv, &w->pc);
	if (rc)
		goto out;

	/*
	 * All shards involved, locked in order, until all of the batch is
	 * published: a get sees all of it or none. Entries for new keys are
	 * made first, so running out of memory changes nothing.
	 */
	for (unsigned i = 0; i < NSHARDS; i++)
		if (locked[i])
			shard_write_lock(&kv->shards[i]);
	for (prepared = 0; prepared < b->n; prepared++) {
		struct shard *sh = &kv->shards[index_shard_of(&in[prepared].key)];
		bool created;
		struct ientry *e = btree_upsert(&sh->t, &in[prepared].key, &created);

		if (!e) {
			rc = pmkv_err(-ENOMEM, "no memory for the index");
			break;
		}
		/* a placeholder: comparable (its record is written), count 0 */
		if (created)
			e->off = in[prepared].off;
	}
	if (rc) {
		for (uint32_t i = 0; i < prepared; i++) {
			struct shard *sh = &kv->shards[index_shard_of(&in[i].key)];
			struct ientry *e = btree_find(&sh->t, &in[i].key);

			if (e && e->count == 0)
				btree_remove(&sh->t, &in[i].key);
		}
	} else {
		__atomic_fetch_add(&s->live, b->bytes, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < b->n; i++)
			publish_locked(kv, &kv->shards[index_shard_of(&in[i].key)],
				       &in[i]);
		__atomic_store_n(&s->used, off - s->off, __ATOMIC_RELEASE);
	}
	for (unsigned i = 0; i < NSHARDS; i++)
		if (locked[i])
			shard_write_unlock(&kv->shards[i]);
	if (rc)
		record_retract(kv, &w->pc, in[0].off);
out:
	__atomic_store_n(&w->inflight, 0, __ATOMIC_RELEASE);
	if (s != w->seg)
		__atomic_store_n(&s->open, false, __ATOMIC_RELEASE);
	if (!rc)
		w->puts += b->n;
	writer_put(w);
	free(in);
	if (!rc)
		batch_clear(b);
	return rc;
}
