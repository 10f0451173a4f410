// SPDX-License-Identifier: BSD-3-Clause
/*
 * kv.c -- put, get, delete, exists
 *
 * Puts and deletes are commits of one record (commit.c says how they are
 * made durable and published). Gets and exists read the index without a
 * lock first (design.md section 7) and fall back to the shard's read lock.
 */
#include <errno.h>
#include <string.h>

#include "args.h"
#include "commit.h"
#include "internal.h"
#include "kv.h"
#include "record.h"
#include "segment.h"
#include "space.h"

/* the checks every keyed call starts with, and the key made */
static int key_args(struct pmkv *kv, const void *key, size_t klen,
		    struct key *k)
{
	int rc;

	if (!kv)
		return pmkv_err(-EINVAL, "kv is NULL");
	rc = args_key(key, klen);
	if (rc)
		return rc;
	key_make(k, key, klen);
	return 0;
}

/* a put (tomb false) or a delete of k, as one commit */
static int write_one(struct pmkv *kv, const struct key *k, const void *val,
		     uint32_t vlen, bool tomb, const struct kv_fill *fill,
		     bool *was_live)
{
	struct install in = { .key = *k, .tomb = tomb };
	struct commit c;
	struct shard *sh;
	int rc;

	in.size = record_size(k->len, vlen);
	rc = space_begin_commit(kv, &c, in.size, tomb);
	if (rc == -ENOSPC)
		return pmkv_err(-ENOSPC,
				"%s: pool full: no room for a record of %llu bytes",
				kv->path, (unsigned long long)in.size);
	if (rc)
		return rc;
	in.version = c.version;
	in.seg = c.seg;
	if (fill)
		rc = commit_append_filled(&c, k->p, k->len, vlen, fill->fn,
					  fill->arg, &in.off, &in.size);
	else
		in.off = commit_append(&c, k->p, k->len, val, vlen,
				       tomb ? PMKV_REC_TOMBSTONE : 0, 0, &in.size);
	if (!rc)
		rc = commit_fence(&c);
	if (rc)
		goto out;	/* on media or not: recovery decides, as for a crash */

	__atomic_fetch_add(&c.seg->live, in.size, __ATOMIC_RELAXED);
	sh = kv_shard(kv, k);
	shard_write_lock(sh);
	rc = commit_publish_locked(kv, sh, &in);
	shard_write_unlock(sh);
	if (rc) {
		/* no memory for the index: take the record back */
		__atomic_fetch_sub(&c.seg->live, in.size, __ATOMIC_RELAXED);
		commit_retract(&c, in.off);
		goto out;
	}
	if (tomb)
		c.w->deletes++;
	else
		c.w->puts++;
out:
	commit_end(&c, rc == 0);
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
		rc = args_value(val, vlen);
	if (!rc)
		rc = args_writable(kv);
	if (rc)
		return rc;
	return write_one(kv, &k, val, (uint32_t)vlen, false, NULL, &was_live);
}

int kv_put_filled(struct pmkv *kv, const void *key, size_t klen, size_t vlen,
		  const struct kv_fill *fill)
{
	struct key k;
	bool was_live;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (!rc && vlen > PMKV_VALUE_MAX)
		rc = pmkv_err(-EINVAL, "value of %zu bytes; the limit is %u",
			      vlen, PMKV_VALUE_MAX);
	if (!rc)
		rc = args_writable(kv);
	if (rc)
		return rc;
	return write_one(kv, &k, NULL, (uint32_t)vlen, false, fill, &was_live);
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
	shard_racy_begin();
	found = btree_find_racy(&sh->t, k, &e);
	shard_racy_end();
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
 * The record at off, whose header h was read (its first bytes are not
 * bad), reaches a known media error: then nothing more of it is read.
 * Lengths that do not fit are left to rec_check_entry().
 */
static inline bool rec_on_bad(struct pmkv *kv, uint64_t off,
			      const struct pmkv_record *h)
{
	return kv->bad.n && off + sizeof(*h) <= kv->sb->pool_size &&
	       rec_fits(h, kv->sb->pool_size - off, PMKV_KEY_MAX,
			PMKV_VALUE_MAX) &&
	       badblocks_hit(&kv->bad, off, rec_size(h));
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
	const uint8_t *val;
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
	if (badblocks_hit(&kv->bad, off, sizeof(h)))
		return shard_read_valid(sh, seq) ? TRY_LOCKED : TRY_AGAIN;
	memcpy(&h, r, sizeof(h));
	n = rec_vlen(&h);
	if (rec_on_bad(kv, off, &h))
		return shard_read_valid(sh, seq) ? TRY_LOCKED : TRY_AGAIN;
	/* checks over torn bytes prove nothing until seq says quiet */
	if (rec_check_entry(kv->base, sh->t.limit, &h, off, k->p, k->len,
			    SALVAGE_SEG(kv, e.seg)))
		return shard_read_valid(sh, seq) ? TRY_LOCKED : TRY_AGAIN;
	if (bufsz < n) {
		if (!shard_read_valid(sh, seq))
			return TRY_AGAIN;
		*vlen = n;
		return -ENOBUFS;
	}
	val = (const uint8_t *)r + (record_value_at(h.offset, h.klen, n) -
				    h.offset);
	if (rec_vcsum(val, n) != h.vcsum)
		return shard_read_valid(sh, seq) ? TRY_LOCKED : TRY_AGAIN;
	if (n)
		memcpy(buf, val, n);
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
	const char *why;
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
	if (badblocks_hit(&kv->bad, off, sizeof(*r)) || rec_on_bad(kv, off, r)) {
		pthread_rwlock_unlock(&sh->lock);
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: record at pool offset %llu: a bad block (media error)",
				kv->path, (unsigned long long)off);
	}
	n = rec_vlen(r);
	/* a media error must not come back as data, nor as a size */
	why = rec_check_entry(kv->base, sh->t.limit, r, off, k->p, k->len,
			      SALVAGE_SEG(kv, e->seg));
	if (why) {
		pthread_rwlock_unlock(&sh->lock);
		return rec_damaged(kv->path, r, off, why);
	}
	*vlen = n;
	if (bufsz < n) {
		pthread_rwlock_unlock(&sh->lock);
		return -ENOBUFS;
	}
	if (!rec_value_valid(r)) {
		pthread_rwlock_unlock(&sh->lock);
		return rec_damaged(kv->path, r, off,
				   "its value fails its checksum");
	}
	if (n)
		memcpy(buf, rec_val(r), n);
	pthread_rwlock_unlock(&sh->lock);
	return 0;
}

int kv_value_pin(struct pmkv *kv, const void *key, size_t klen,
		 struct kv_pinned *p)
{
	const struct pmkv_record *r;
	struct shard *sh;
	struct ientry *e;
	const char *why;
	struct key k;
	uint64_t off;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (rc)
		return rc;
	sh = kv_shard(kv, &k);
	/* no reclamation under way: a victim it picked may not be pinned */
	pthread_mutex_lock(&kv->gc_lock);
	pthread_rwlock_rdlock(&sh->lock);
	e = find_live(sh, &k);
	if (!e) {
		rc = -ENOENT;
		goto out;
	}
	off = IE_OFF(e);
	r = kv_ptr(kv, off);
	if (badblocks_hit(&kv->bad, off, sizeof(*r)) || rec_on_bad(kv, off, r)) {
		rc = pmkv_err(PMKV_E_CORRUPT,
			      "%s: record at pool offset %llu: a bad block (media error)",
			      kv->path, (unsigned long long)off);
		goto out;
	}
	why = rec_check_entry(kv->base, sh->t.limit, r, off, k.p, k.len,
			      SALVAGE_SEG(kv, e->seg));
	if (why) {
		rc = rec_damaged(kv->path, r, off, why);
		goto out;
	}
	p->seg = kv->segs[e->seg];
	__atomic_add_fetch(&p->seg->pins, 1, __ATOMIC_ACQ_REL);
	p->off = off;
	p->hdr = *r;
	p->val = rec_val(r);
out:
	pthread_rwlock_unlock(&sh->lock);
	pthread_mutex_unlock(&kv->gc_lock);
	return rc;
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
	sh = kv_shard(kv, &k);
	for (i = 0; i < READ_TRIES; i++) {
		shard_racy_begin();
		rc = get_try(kv, sh, &k, buf, bufsz, &n);
		shard_racy_end();
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
		__atomic_fetch_add(&writer_of_thread(kv->writers)->gets, 1,
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
	return key_is_live(kv_shard(kv, &k), &k) ? 0 :
	       err_plain(-ENOENT, "no such key");
}

int pmkv_delete(struct pmkv *kv, const void *key, size_t klen)
{
	struct key k;
	bool was_live;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (!rc)
		rc = args_writable(kv);
	if (rc)
		return rc;
	/* an absent key costs no record */
	if (!key_is_live(kv_shard(kv, &k), &k))
		return err_plain(-ENOENT, "no such key");
	rc = write_one(kv, &k, NULL, 0, true, NULL, &was_live);
	if (rc)
		return rc;
	/* a concurrent delete got there first */
	return was_live ? 0 : err_plain(-ENOENT, "no such key");
}
