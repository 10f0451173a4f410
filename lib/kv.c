// SPDX-License-Identifier: BSD-3-Clause
/*
 * kv.c -- put, get, delete, exists: the commit protocol
 *
 * A put or delete:
 *   1. takes its writer and room in the writer's open segment;
 *   2. takes a version from kv->version (after announcing a lower bound of
 *      it in writer->inflight, for reclamation: see gc.c);
 *   3. writes the record (header, key, value) with flushing stores;
 *   4. ONE fence: the record is durable. Nothing else was written, so a
 *      crash before the fence leaves at most this one record torn, which
 *      recovery tells by its checksum and ignores;
 *   5. publishes it in the DRAM index under the shard's write lock, unless
 *      a newer version of the key got there first. If the index has no
 *      memory for it, the record is retracted (record_retract()) and the
 *      put fails with -ENOMEM.
 * The put is acknowledged after 5, so what a reader sees is always durable.
 * The writer's lock is held through 5: a segment closes only when its
 * writer moves on, and then every record in it is in the index, which
 * reclamation relies on.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int check_kv_args(const void *key, size_t klen)
{
	if (!key)
		return pmkv_err(-EINVAL, "key is NULL");
	if (klen == 0)
		return pmkv_err(-EINVAL, "key is empty");
	if (klen > PMKV_KEY_MAX)
		return pmkv_err(-EINVAL, "key of %zu bytes; the limit is %u", klen,
				PMKV_KEY_MAX);
	return 0;
}

int check_val_args(const void *val, size_t vlen)
{
	if (vlen > PMKV_VALUE_MAX)
		return pmkv_err(-EINVAL, "value of %zu bytes; the limit is %u",
				vlen, PMKV_VALUE_MAX);
	if (!val && vlen)
		return pmkv_err(-EINVAL, "val is NULL with %zu bytes", vlen);
	return 0;
}

/* the checks every keyed call starts with, and the key made */
static int key_args(struct pmkv *kv, const void *key, size_t klen,
		    struct key *k)
{
	int rc;

	if (!kv)
		return pmkv_err(-EINVAL, "kv is NULL");
	rc = check_kv_args(key, klen);
	if (rc)
		return rc;
	key_make(k, key, klen);
	return 0;
}

int check_writable(struct pmkv *kv)
{
	if (kv->rdonly)
		return pmkv_err(-EROFS, "%s: opened read-only", kv->path);
	if (__atomic_load_n(&kv->poisoned, __ATOMIC_RELAXED))
		return pmkv_err(PMKV_E_POISONED,
				"%s: an earlier durable write failed", kv->path);
	return 0;
}

static inline struct shard *shard_for(struct pmkv *kv, const struct key *k)
{
	return &kv->shards[index_shard_of(k)];
}

/*
 * Make a durable record that will not be published invalid, so recovery
 * does not bring it back: its version becomes 0 with one 8-byte store.
 * It is the last record of its segment (the caller does not advance the
 * segment's end), so no valid record follows it.
 */
void record_retract(struct pmkv *kv, struct persist_ctx *pc, uint64_t off)
{
	struct pmkv_record *r = kv_ptr(kv, off);

	__atomic_store_n(&r->version, 0, __ATOMIC_RELAXED);
	persist_range(kv->persist, pc, &r->version, sizeof(r->version));
	/* if even that failed, recovery may find the record: refuse writes */
	persist_check(kv, pc);
}

/*
 * Publish a durable record; the shard's write lock is held. The record's
 * bytes were already added to its segment's live count. An entry with
 * count 0 is a batch's placeholder (batch.c), made for this record.
 * Returns 0 or -ENOMEM, with nothing changed.
 */
int publish_locked(struct pmkv *kv, struct shard *sh, struct install *in)
{
	const struct pmkv_record *old;
	struct ientry *e;
	bool created;

	e = btree_upsert(&sh->t, &in->key, &created);
	if (!e)
		return pmkv_err(-ENOMEM, "no memory for the index");
	if (e->count == 0) {
		e->off = in->off | (in->tomb ? IE_TOMB : 0);
		e->count = 1;
		e->seg = in->seg->slot;
		in->was_live = false;
		if (!in->tomb)
			sh->nkeys++;
		return 0;
	}
	e->count++;
	old = kv_ptr(kv, IE_OFF(e));
	in->was_live = !(e->off & IE_TOMB);
	if (old->version < in->version) {
		struct seg *os = kv->segs[e->seg];

		__atomic_fetch_sub(&os->live, rec_size(old), __ATOMIC_RELAXED);
		e->off = in->off | (in->tomb ? IE_TOMB : 0);
		e->seg = in->seg->slot;
		sh->nkeys += (uint64_t)!in->tomb - (uint64_t)in->was_live;
	} else {
		/* a newer version won the race: ours is dead on arrival */
		__atomic_fetch_sub(&in->seg->live, in->size, __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * A record the index points at was whole when it was made durable: lengths
 * that no longer fit are a media error, and must not size a copy, an
 * allocation or a checksum.
 */
int record_damaged(struct pmkv *kv, const struct pmkv_record *r, uint64_t off)
{
	return pmkv_err(PMKV_E_CORRUPT,
			"%s: record at offset %llu claims a key of %u and a value of %u bytes, past the limits (PMKV_KEY_MAX, PMKV_VALUE_MAX) or the end of the pool",
			kv->path, (unsigned long long)off, r->klen, rec_vlen(r));
}

/* after a fence: a failed msync means the medium may not have it */
int persist_check(struct pmkv *kv, struct persist_ctx *pc)
{
	int e = pc->error;

	if (!e)
		return 0;
	pc->error = 0;
	__atomic_store_n(&kv->poisoned, 1, __ATOMIC_RELEASE);
	return pmkv_err(PMKV_E_POISONED,
			"%s: making a write durable failed (%s); the handle refuses writes from now on",
			kv->path, strerror(e));
}

static int write_one(struct pmkv *kv, const struct key *k, const void *val,
		     uint32_t vlen, bool tomb, bool *was_live)
{
	struct install in = { .key = *k, .tomb = tomb };
	struct pmkv_record hdr;
	struct writer *w;
	struct shard *sh;
	struct seg *s;
	int rc;

	in.size = record_size(k->len, vlen);
	w = writer_get(kv);
	rc = segment_reserve(kv, w, in.size, tomb, &s);
	if (rc) {
		writer_put(w);
		if (rc == -ENOSPC)
			return pmkv_err(-ENOSPC,
					"%s: pool full: no room for a record of %llu bytes",
					kv->path, (unsigned long long)in.size);
		return rc;
	}
	/* announce a lower bound before taking the version: see gc.c */
	__atomic_store_n(&w->inflight, __atomic_load_n(&kv->version,
			 __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	in.version = __atomic_fetch_add(&kv->version, 1, __ATOMIC_SEQ_CST);
	in.seg = s;
	in.off = s->off + s->used;
	rec_prepare(&hdr, in.version, s->id, k->p, k->len, val, vlen,
		    tomb ? PMKV_REC_TOMBSTONE : 0, 0);
	rec_write(kv->persist, &w->pc, kv_ptr(kv, in.off), &hdr, k->p, val);
	/*
	 * The record must be durable before the index points at it: a reader
	 * must never see what a crash could take away.
	 */
	kv->persist->fence(&w->pc);
	rc = persist_check(kv, &w->pc);
	if (rc)
		goto out;	/* on media or not: recovery decides, as for a crash */

	__atomic_fetch_add(&s->live, in.size, __ATOMIC_RELAXED);
	sh = shard_for(kv, k);
	shard_write_lock(sh);
	rc = publish_locked(kv, sh, &in);
	shard_write_unlock(sh);
	if (rc) {
		/* no memory for the index: take the record back */
		__atomic_fetch_sub(&s->live, in.size, __ATOMIC_RELAXED);
		record_retract(kv, &w->pc, in.off);
		goto out;
	}
	__atomic_store_n(&s->used, s->used + in.size, __ATOMIC_RELEASE);
	if (tomb)
		w->deletes++;
	else
		w->puts++;
out:
	__atomic_store_n(&w->inflight, 0, __ATOMIC_RELEASE);
	if (s != w->seg)
		__atomic_store_n(&s->open, false, __ATOMIC_RELEASE);
	writer_put(w);
	*was_live = in.was_live;
	return rc;
}

int pmkv_put(struct pmkv *kv, const void *key, size_t klen, const void *val,
	     size_t vlen)
{
	struct key k;
	bool was_live;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (!rc)
		rc = check_val_args(val, vlen);
	if (!rc)
		rc = check_writable(kv);
	if (rc)
		return rc;
	return write_one(kv, &k, val, (uint32_t)vlen, false, &was_live);
}

/* the entry of a live key, with the shard's read lock held; NULL if none */
static struct ientry *find_live(struct shard *sh,
				const struct key *k)
{
	struct ientry *e = btree_find(&sh->t, k);

	if (!e || (e->off & IE_TOMB))
		return NULL;
	return e;
}

/*
 * Reads take no lock first (design.md section 7): they read the tree and
 * the record, then check that the shard's sequence did not move. After
 * READ_TRIES tries that met a writer they take the read lock, which waits
 * for it.
 */
#define READ_TRIES 4
#define TRY_AGAIN 1		/* a writer moved the shard: try again */
#define TRY_LOCKED 2		/* an error the locked path reports */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * A writer in the shard holds it for about a tree insert: wait that long
 * (spinning, as the read lock would make a sleeping wait of it) for an
 * even sequence. Odd after that: the caller tries again, then locks.
 */
#define READ_SPINS 128

static uint64_t read_begin(const struct shard *sh)
{
	uint64_t seq = shard_read_begin(sh);

	for (int i = 0; (seq & 1) && i < READ_SPINS; i++) {
		cpu_relax();
		seq = shard_read_begin(sh);
	}
	return seq;
}

/* find_live() without the lock: 1 live, 0 not, -1 when a writer moved the shard */
static int find_live_try(struct shard *sh, const struct key *k)
{
	uint64_t seq = read_begin(sh);
	struct ientry e;
	int found;

	if (seq & 1)
		return -1;
	racy_begin();
	found = btree_find_racy(&sh->t, k, &e);
	racy_end();
	if (found == RACY_BAD || !shard_read_valid(sh, seq))
		return -1;
	return found == 1 && !(e.off & IE_TOMB);
}

static bool key_is_live(struct shard *sh, const struct key *k)
{
	bool found;

	for (int i = 0; i < READ_TRIES; i++) {
		int rc = find_live_try(sh, k);

		if (rc >= 0)
			return rc;
		cpu_relax();
	}
	pthread_rwlock_rdlock(&sh->lock);
	found = find_live(sh, k) != NULL;
	pthread_rwlock_unlock(&sh->lock);
	return found;
}

/*
 * One try of a get without the lock: 0, -ENOENT or -ENOBUFS as
 * pmkv_get() returns them (messages left to it), TRY_AGAIN, or
 * TRY_LOCKED for a record that fails its checks in a quiet shard.
 * btree_find_racy() bounded the record's header and key; the value is
 * bounded here, from one copy of the header, before anything is read.
 */
static int get_try(struct pmkv *kv, struct shard *sh, const struct key *k,
		   void *buf, size_t bufsz, uint32_t *vlen)
{
	uint64_t seq = read_begin(sh), off;
	const struct pmkv_record *r;
	struct pmkv_record h;
	struct ientry e;
	int found;
	uint32_t n;

	if (seq & 1)
		return TRY_AGAIN;
	found = btree_find_racy(&sh->t, k, &e);
	if (found == RACY_BAD)
		return TRY_AGAIN;
	if (!found || (e.off & IE_TOMB))
		return shard_read_valid(sh, seq) ? -ENOENT : TRY_AGAIN;
	off = IE_OFF(&e);
	r = kv_ptr(kv, off);
	memcpy(&h, r, sizeof(h));
	n = rec_vlen(&h);
	if (h.klen != k->len ||
	    !rec_fits(&h, sh->t.limit - off, PMKV_KEY_MAX, PMKV_VALUE_MAX))
		return shard_read_valid(sh, seq) ? TRY_LOCKED : TRY_AGAIN;
	if (bufsz < n) {
		if (!shard_read_valid(sh, seq))
			return TRY_AGAIN;
		*vlen = n;
		return -ENOBUFS;
	}
	/* a checksum over torn bytes proves nothing until seq says quiet */
	if (rec_csum(&h, rec_key(r), rec_key(r) + h.klen) != h.csum)
		return shard_read_valid(sh, seq) ? TRY_LOCKED : TRY_AGAIN;
	if (n)
		memcpy(buf, rec_key(r) + h.klen, n);
	if (!shard_read_valid(sh, seq))
		return TRY_AGAIN;
	*vlen = n;
	return 0;
}

/* pmkv_get() with the shard's read lock */
static int get_locked(struct pmkv *kv, struct shard *sh, const struct key *k,
		      void *buf, size_t bufsz, uint32_t *vlen)
{
	const struct pmkv_record *r;
	struct ientry *e;
	uint64_t off;
	uint32_t n;

	pthread_rwlock_rdlock(&sh->lock);
	e = find_live(sh, k);
	if (!e) {
		pthread_rwlock_unlock(&sh->lock);
		return -ENOENT;
	}
	off = IE_OFF(e);
	r = kv_ptr(kv, off);
	n = rec_vlen(r);
	/* a media error must not come back as data, nor as a size */
	if (!rec_fits(r, sh->t.limit - off, PMKV_KEY_MAX, PMKV_VALUE_MAX)) {
		pthread_rwlock_unlock(&sh->lock);
		return record_damaged(kv, r, off);
	}
	*vlen = n;
	if (bufsz < n) {
		pthread_rwlock_unlock(&sh->lock);
		return -ENOBUFS;
	}
	if (rec_csum(r, rec_key(r), rec_val(r)) != r->csum) {
		pthread_rwlock_unlock(&sh->lock);
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: record at offset %llu fails its checksum",
				kv->path, (unsigned long long)off);
	}
	if (n)
		memcpy(buf, rec_val(r), n);
	pthread_rwlock_unlock(&sh->lock);
	return 0;
}

int pmkv_get(struct pmkv *kv, const void *key, size_t klen, void *buf,
	     size_t bufsz, size_t *vlen)
{
	struct shard *sh;
	struct key k;
	uint32_t n = 0;
	int rc, i;

	rc = key_args(kv, key, klen, &k);
	if (rc)
		return rc;
	if (!buf && bufsz)
		return pmkv_err(-EINVAL, "buf is NULL with bufsz %zu", bufsz);
	sh = shard_for(kv, &k);
	for (i = 0; i < READ_TRIES; i++) {
		racy_begin();
		rc = get_try(kv, sh, &k, buf, bufsz, &n);
		racy_end();
		if (rc != TRY_AGAIN)
			break;
		cpu_relax();
	}
	if (rc > 0)
		rc = get_locked(kv, sh, &k, buf, bufsz, &n);
	if (rc == -ENOENT)
		return err_plain(-ENOENT, "no such key");
	if (rc == -ENOBUFS || !rc) {
		if (vlen)
			*vlen = n;
	}
	if (rc == -ENOBUFS)
		return err_quiet(-ENOBUFS, "value of %u bytes, buffer of %zu", n,
				 bufsz);
	if (!rc)
		__atomic_fetch_add(&writer_of_thread(kv)->gets, 1,
				   __ATOMIC_RELAXED);
	return rc;
}

int pmkv_exists(struct pmkv *kv, const void *key, size_t klen)
{
	struct key k;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (rc)
		return rc;
	return key_is_live(shard_for(kv, &k), &k) ? 0 :
	       err_plain(-ENOENT, "no such key");
}

int pmkv_delete(struct pmkv *kv, const void *key, size_t klen)
{
	struct key k;
	bool was_live;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (!rc)
		rc = check_writable(kv);
	if (rc)
		return rc;
	/* an absent key costs no record */
	if (!key_is_live(shard_for(kv, &k), &k))
		return err_plain(-ENOENT, "no such key");
	rc = write_one(kv, &k, NULL, 0, true, &was_live);
	if (rc)
		return rc;
	/* a concurrent delete got there first */
	return was_live ? 0 : err_plain(-ENOENT, "no such key");
}
