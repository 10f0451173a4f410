// SPDX-License-Identifier: BSD-3-Clause
/*
 * kv.c -- put, get, delete, exists
 *
 * Puts and deletes are commits of one record (commit.c says how they are
 * made durable and published). Gets and exists read the index without a
 * lock (design.md section 7) and fall back to locking the key's leaf.
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
#include "spin.h"

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
	struct ilock lk;
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

	rc = index_lock(&kv->index, k, true, &lk);
	if (rc) {
		/* no memory for the index: take the record back */
		rc = pmkv_err(-ENOMEM, "no memory for the index");
		commit_retract(&c, in.off);
		goto out;
	}
	__atomic_fetch_add(&c.seg->live, in.size, __ATOMIC_RELAXED);
	rc = commit_publish_locked(kv, &lk, &in);
	index_unlock(&lk);
	if (rc) {
		/* beside a damaged key: in no index, so no record either */
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

/*
 * Reads take no lock (design.md section 7): they read the index and the
 * record, then check that the key's leaf and the batch sequence did not
 * move. After READ_TRIES tries that met a writer they lock the leaf, as
 * a writer would, with batch_lock held so that no batch is half published.
 */
#define READ_TRIES 4
#define TRY_AGAIN 1		/* a writer moved the leaf: try again */
#define TRY_LOCKED 2		/* an error the locked path reports */

/*
 * A batch publishes for about as long as it has keys: wait that long
 * (spinning) for an even sequence. Odd after that: the caller tries
 * again, then locks.
 */
#define READ_SPINS 128

static uint64_t batch_begin(const struct pmkv *kv)
{
	uint64_t seq = __atomic_load_n(&kv->batch_seq, __ATOMIC_ACQUIRE);

	for (int i = 0; (seq & 1) && i < READ_SPINS; i++) {
		cpu_relax();
		seq = __atomic_load_n(&kv->batch_seq, __ATOMIC_ACQUIRE);
	}
	return seq;
}

/* what was read since index_find_racy() holds: leaf and batches quiet */
static inline bool read_valid(const struct pmkv *kv, const struct iread *rd,
			      uint64_t bseq)
{
	return index_read_valid(rd) &&
	       __atomic_load_n(&kv->batch_seq, __ATOMIC_RELAXED) == bseq;
}

/* the locked path's start and end: the key's leaf, no batch publishing */
static void lock_key(struct pmkv *kv, const struct key *k, struct ilock *lk)
{
	int rc;

	pthread_mutex_lock(&kv->batch_lock);
	rc = index_lock(&kv->index, k, false, lk);
	/* without room to make, locking cannot fail */
	PMKV_ASSERT(rc == 0);
	(void)rc;
}

static void unlock_key(struct pmkv *kv, struct ilock *lk)
{
	index_unlock(lk);
	pthread_mutex_unlock(&kv->batch_lock);
}

/* the entry of a live key, its leaf locked; NULL if none */
static struct ientry *find_live(struct ilock *lk, const struct key *k)
{
	struct ientry *e = index_locked_find(lk, k);

	if (!e || !IE_LIVE(e->off))
		return NULL;
	return e;
}

/*
 * No live entry for k in its locked leaf: -ENOENT, or PMKV_E_CORRUPT when
 * a record beside where k would be, read to compare keys, is damaged: its
 * key cannot be read, or (an index loaded from a checkpoint, index.h's
 * verify_keys) fails its checksum. k may be that key.
 */
static int absent(struct pmkv *kv, struct ilock *lk, const struct key *k)
{
	if (index_locked_damaged(lk, k))
		return rec_beside_damaged(kv->path);
	return -ENOENT;
}

/*
 * find_live() without the lock: 1 live, 0 not, -1 when a writer was in
 * or the answer needs the lock (INDEX_DAMAGED)
 */
static int find_live_try(struct pmkv *kv, const struct key *k)
{
	uint64_t bseq = batch_begin(kv);
	struct ientry e;
	struct iread rd;
	int found;

	if (bseq & 1)
		return -1;
	index_racy_begin();
	found = index_find_racy(&kv->index, k, &e, &rd);
	index_racy_end();
	if (found < 0 || !read_valid(kv, &rd, bseq))
		return -1;
	return found && IE_LIVE(e.off);
}

/* 1 when k is live, 0 when not, or PMKV_E_CORRUPT (absent()) */
static int key_live(struct pmkv *kv, const struct key *k)
{
	struct ilock lk;
	int found;

	for (int i = 0; i < READ_TRIES; i++) {
		int rc = find_live_try(kv, k);

		if (rc >= 0)
			return rc;
		cpu_relax();
	}
	lock_key(kv, k, &lk);
	found = find_live(&lk, k) != NULL;
	if (!found && absent(kv, &lk, k) != -ENOENT)
		found = PMKV_E_CORRUPT;
	unlock_key(kv, &lk);
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
 * The value at val of the record whose header is h, where a get checks
 * and copies it from: a large one through the file, as it was written
 * (persist.h), into the thread's buffer; else in place
 */
static const uint8_t *value_read(struct pmkv *kv, const struct pmkv_record *h,
				 const uint8_t *val)
{
	const uint8_t *copy;

	if (rec_size(h) < PERSIST_FILE_MIN)
		return val;
	copy = persist_file_read(&kv->misc_pc, val, rec_vlen(h));
	return copy ? copy : val;
}

/*
 * One try of a get without the lock: 0, -ENOENT or -ENOBUFS as
 * pmkv_get() returns them (messages left to it), TRY_AGAIN, or
 * TRY_LOCKED for a record that fails its checks in a quiet leaf.
 * index_find_racy() bounded the record's header and key; the value is
 * bounded here, from one copy of the header, before anything is read.
 */
static int get_try(struct pmkv *kv, const struct key *k, void *buf,
		   size_t bufsz, uint32_t *vlen)
{
	uint64_t bseq = batch_begin(kv), off;
	const struct pmkv_record *r;
	struct pmkv_record h;
	const uint8_t *val;
	struct ientry e;
	struct iread rd;
	int found;
	uint32_t n;

	if (bseq & 1)
		return TRY_AGAIN;
	found = index_find_racy(&kv->index, k, &e, &rd);
	if (found == RACY_BAD)
		return TRY_AGAIN;
	if (found == INDEX_DAMAGED)
		return read_valid(kv, &rd, bseq) ? TRY_LOCKED : TRY_AGAIN;
	if (!found || !IE_LIVE(e.off))
		return read_valid(kv, &rd, bseq) ? -ENOENT : TRY_AGAIN;
	off = IE_OFF(&e);
	r = kv_ptr(kv, off);
	if (badblocks_hit(&kv->bad, off, sizeof(h)))
		return read_valid(kv, &rd, bseq) ? TRY_LOCKED : TRY_AGAIN;
	memcpy(&h, r, sizeof(h));
	n = rec_vlen(&h);
	if (rec_on_bad(kv, off, &h))
		return read_valid(kv, &rd, bseq) ? TRY_LOCKED : TRY_AGAIN;
	/* checks over torn bytes prove nothing until the leaf says quiet */
	if (rec_check_entry(kv->base, kv->index.limit, &h, off, k->p, k->len,
			    SALVAGE_SEG(kv, e.seg)))
		return read_valid(kv, &rd, bseq) ? TRY_LOCKED : TRY_AGAIN;
	if (bufsz < n) {
		if (!read_valid(kv, &rd, bseq))
			return TRY_AGAIN;
		*vlen = n;
		return -ENOBUFS;
	}
	val = (const uint8_t *)r + (record_value_at(h.offset, h.klen, n) -
				    h.offset);
	val = value_read(kv, &h, val);
	if (rec_vcsum(val, n) != h.vcsum)
		return read_valid(kv, &rd, bseq) ? TRY_LOCKED : TRY_AGAIN;
	if (n)
		memcpy(buf, val, n);
	if (!read_valid(kv, &rd, bseq))
		return TRY_AGAIN;
	*vlen = n;
	return 0;
}

/* pmkv_get() with the key's leaf locked */
static int get_locked(struct pmkv *kv, const struct key *k, void *buf,
		      size_t bufsz, uint32_t *vlen)
{
	const struct pmkv_record *r;
	const uint8_t *val;
	const char *why;
	struct ientry *e;
	struct ilock lk;
	uint64_t off;
	uint32_t n;
	int rc = 0;

	lock_key(kv, k, &lk);
	e = find_live(&lk, k);
	if (!e) {
		rc = absent(kv, &lk, k);
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
	n = rec_vlen(r);
	/* a media error must not come back as data, nor as a size */
	why = rec_check_entry(kv->base, kv->index.limit, r, off, k->p, k->len,
			      SALVAGE_SEG(kv, e->seg));
	if (why) {
		rc = rec_damaged(kv->path, r, off, why);
		goto out;
	}
	*vlen = n;
	if (bufsz < n) {
		rc = -ENOBUFS;
		goto out;
	}
	val = value_read(kv, r, rec_val(r));
	if (rec_vcsum(val, n) != r->vcsum) {
		rc = rec_damaged(kv->path, r, off,
				 "its value fails its checksum");
		goto out;
	}
	if (n)
		memcpy(buf, val, n);
out:
	unlock_key(kv, &lk);
	return rc;
}

int kv_value_pin(struct pmkv *kv, const void *key, size_t klen,
		 struct kv_pinned *p)
{
	const struct pmkv_record *r;
	struct ientry *e;
	struct ilock lk;
	const char *why;
	struct key k;
	uint64_t off;
	int rc;

	rc = key_args(kv, key, klen, &k);
	if (rc)
		return rc;
	/* no reclamation under way: a victim it picked may not be pinned */
	pthread_mutex_lock(&kv->gc_lock);
	lock_key(kv, &k, &lk);
	e = find_live(&lk, &k);
	if (!e) {
		rc = absent(kv, &lk, &k);
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
	why = rec_check_entry(kv->base, kv->index.limit, r, off, k.p, k.len,
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
	unlock_key(kv, &lk);
	pthread_mutex_unlock(&kv->gc_lock);
	return rc;
}

int pmkv_get(struct pmkv *kv, const void *key, size_t klen, void *buf,
	     size_t bufsz, size_t *vlen)
{
	struct key k;
	uint32_t n = 0;
	int rc, i;

	rc = key_args(kv, key, klen, &k);
	if (rc)
		return rc;
	if (!buf && bufsz)
		return pmkv_err(-EINVAL, "buf is NULL with bufsz %zu", bufsz);
	for (i = 0; i < READ_TRIES; i++) {
		index_racy_begin();
		rc = get_try(kv, &k, buf, bufsz, &n);
		index_racy_end();
		if (rc != TRY_AGAIN)
			break;
		cpu_relax();
	}
	if (rc > 0)
		rc = get_locked(kv, &k, buf, bufsz, &n);
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
	rc = key_live(kv, &k);
	return rc == 1 ? 0 : rc ? rc : err_plain(-ENOENT, "no such key");
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
	rc = key_live(kv, &k);
	if (rc < 0)
		return rc;
	if (!rc)
		return err_plain(-ENOENT, "no such key");
	rc = write_one(kv, &k, NULL, 0, true, NULL, &was_live);
	if (rc)
		return rc;
	/* a concurrent delete got there first */
	return was_live ? 0 : err_plain(-ENOENT, "no such key");
}
