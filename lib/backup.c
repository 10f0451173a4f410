// SPDX-License-Identifier: BSD-3-Clause
/*
 * backup.c -- pmkv_backup: the pool's state at one version, into a file
 *
 * The snapshot: reclamation's lock, then commits frozen (none under way,
 * none beginning: freeze() below), then the segment lock, for as long as
 * it takes to list the segments. A commit holds its writer's lock from
 * its version to its segment's new end, so V, the next version, splits the log
 * exactly: every segment's bytes before its end are the records below V,
 * and records written later lie past those ends or in new segments. The
 * listed segments are pinned, so reclamation does not free them; each is
 * unpinned as soon as its bytes are on the target. Their bytes below the
 * ends never change (only the header's reclaim word does, and restore
 * writes headers anew), so copying them while writers append is safe.
 *
 * The bytes go by direct I/O from the pool's mapping to the target
 * (transfer.c): the kernel pins the pool's pages, device DAX or fsdax
 * pages included, for each request. The table and then the header follow,
 * each after a flush of the target: a file without a valid header is no
 * backup. A new file is written under another name and renamed at the
 * end, so that a failure leaves nothing at the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <xxhash.h>

#include "backup_file.h"
#include "internal.h"
#include "pool.h"
#include "segment.h"
#include "transfer.h"

/* a segment of the snapshot */
struct bseg {
	struct seg *s;		/* pinned until its copy is done */
	bool pinned;
	struct pmkv_backup_seg e;
};

struct backup {
	struct pmkv *kv;
	const struct pmkv_transfer_config *tc;
	const char *target;
	char *partial;		/* the file written, renamed at the end */
	int fd;
	bool direct, blockdev;
	struct bchain base;	/* an incremental backup's */
	char *realbase;		/* its absolute path, for restore to follow */
	struct bseg *segs;
	uint32_t n;
	uint64_t version, next_id;
	struct pmkv_backup_header *h;
	struct pmkv_backup_seg *table;
	uint64_t table_bytes;
	struct xfer x;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void unpin(void *arg)
{
	struct bseg *b = arg;

	__atomic_sub_fetch(&b->s->pins, 1, __ATOMIC_RELEASE);
	b->pinned = false;
}

static int bseg_cmp(const void *a, const void *b)
{
	const struct bseg *x = a, *y = b;

	return x->e.id < y->e.id ? -1 : x->e.id > y->e.id;
}

/*
 * No commit under way and none beginning: frozen makes a commit that
 * takes its writer from now on wait (commit.h), and taking each writer's
 * lock once waits for one that began before. One lock at a time: holding
 * all 64 is what the rest of the engine would allow, but ThreadSanitizer
 * tracks at most 64 locks a thread and aborts.
 */
static void freeze(struct pmkv *kv)
{
	__atomic_store_n(&kv->frozen, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NWRITERS; i++) {
		pthread_mutex_lock(&kv->writers[i].lock);
		pthread_mutex_unlock(&kv->writers[i].lock);
	}
}

static void thaw(struct pmkv *kv)
{
	pthread_mutex_lock(&kv->freeze_lock);
	__atomic_store_n(&kv->frozen, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&kv->thaw);
	pthread_mutex_unlock(&kv->freeze_lock);
}

/* V and the segments below it, pinned (see the top of the file) */
static int snapshot(struct backup *b)
{
	struct pmkv *kv = b->kv;
	int rc = 0;

	/* reclamation's lock first: its commits are its own, and one
	   snapshot at a time */
	pthread_mutex_lock(&kv->gc_lock);
	freeze(kv);
	pthread_mutex_lock(&kv->seg_lock);
	b->version = __atomic_load_n(&kv->version, __ATOMIC_SEQ_CST);
	b->next_id = kv->sb->next_segment_id;
	b->segs = calloc(kv->nsegs ? kv->nsegs : 1, sizeof(*b->segs));
	if (!b->segs) {
		rc = pmkv_err(-ENOMEM, "no memory for %u segments", kv->nsegs);
	} else {
		for (uint32_t i = 0; i < kv->nsegs_max; i++) {
			struct seg *s = kv->segs[i];
			uint64_t used;

			if (!s)
				continue;
			used = __atomic_load_n(&s->used, __ATOMIC_ACQUIRE);
			if (used <= PMKV_SEGMENT_DATA)
				continue;	/* no record: nothing to keep */
			PMKV_ASSERT(b->n < kv->nsegs);
			__atomic_add_fetch(&s->pins, 1, __ATOMIC_ACQ_REL);
			b->segs[b->n++] = (struct bseg){
				.s = s, .pinned = true,
				.e = { .id = s->id, .size = s->size,
				       .used = used },
			};
		}
	}
	pthread_mutex_unlock(&kv->seg_lock);
	thaw(kv);
	pthread_mutex_unlock(&kv->gc_lock);
	if (!rc)
		qsort(b->segs, b->n, sizeof(*b->segs), bseg_cmp);
	return rc;
}

/* the base chain of an incremental backup: this pool's, and older */
static int open_base(struct backup *b)
{
	const struct pmkv_backup_header *h;
	int rc = backup_file_chain_open(&b->base, b->tc->base, b->tc);

	if (rc)
		return rc;
	h = backup_file_top(&b->base)->h;
	if (memcmp(h->pool_uuid, b->kv->sb->uuid, sizeof(h->pool_uuid)))
		return pmkv_err(PMKV_E_FOREIGN, "%s: a backup of another pool than %s",
				b->tc->base, b->kv->path);
	if (h->segment_size != b->kv->segment_size ||
	    h->next_segment_id > b->kv->sb->next_segment_id)
		return pmkv_err(PMKV_E_FOREIGN, "%s: not a backup of this pool as it was",
				b->tc->base);
	if (b->base.n >= BCHAIN_MAX)
		return pmkv_err(-EINVAL, "%s: a chain of %u backups already; make a full backup",
				b->tc->base, b->base.n);
	return 0;
}

/* where each segment's bytes go: from and len against the base, file_off */
static uint64_t plan(struct backup *b)
{
	const struct bfile *base = b->base.n ? backup_file_top(&b->base) : NULL;
	uint64_t at;

	b->table_bytes = ((uint64_t)b->n * sizeof(struct pmkv_backup_seg) +
			  PMKV_SLOT_ALIGN - 1) & ~(PMKV_SLOT_ALIGN - 1);
	at = PMKV_SLOT_ALIGN + b->table_bytes;
	for (uint32_t i = 0; i < b->n; i++) {
		struct pmkv_backup_seg *e = &b->segs[i].e;
		const struct pmkv_backup_seg *o = base ? backup_file_find(base, e->id) : NULL;

		e->from = 0;
		/* sealed segments never change: copy what is new since the base */
		if (o && o->size == e->size && o->used <= e->used)
			e->from = o->used == e->used ? e->used :
				  o->used & ~(PMKV_SLOT_ALIGN - 1);
		e->len = e->from == e->used ? 0 :
			 backup_file_piece_len(e->from, e->used);
		e->file_off = e->len ? at : 0;
		e->csum = backup_file_seg_csum(e);
		at += e->len;
	}
	return at;
}

/* a zero page where the header goes, durable */
static int invalidate(struct backup *b)
{
	void *zero = aligned_alloc(PMKV_SLOT_ALIGN, PMKV_SLOT_ALIGN);
	ssize_t n;

	if (!zero)
		return pmkv_err(-ENOMEM, "no memory for a page");
	memset(zero, 0, PMKV_SLOT_ALIGN);
	n = pwrite(b->fd, zero, PMKV_SLOT_ALIGN, 0);
	free(zero);
	if (n != (ssize_t)PMKV_SLOT_ALIGN || fdatasync(b->fd))
		return pmkv_err(n < 0 ? -errno : -EIO, "%s: cannot clear its first page: %s",
				b->target, n < 0 ? strerror(errno) : "short write");
	return 0;
}

static int open_target(struct backup *b, uint64_t size)
{
	const char *t = b->target;
	struct stat st;
	int rc;

	if (!stat(t, &st)) {
		if (S_ISBLK(st.st_mode)) {
			uint64_t dev;

			b->blockdev = true;
			rc = transfer_open_file(t, O_WRONLY, 0, b->tc, &b->direct);
			if (rc < 0)
				return pmkv_err(rc, "%s: %s", t, strerror(-rc));
			b->fd = rc;
			if (ioctl(b->fd, BLKGETSIZE64, &dev))
				return pmkv_err(-errno, "%s: %s", t, strerror(errno));
			if (dev < size)
				return pmkv_err(-ENOSPC, "%s: %llu bytes, the backup needs %llu",
						t, (unsigned long long)dev,
						(unsigned long long)size);
			/* an older backup there stops being one before it is overwritten */
			return invalidate(b);
		}
		if (!S_ISREG(st.st_mode))
			return pmkv_err(-EINVAL, "%s: neither a file nor a block device", t);
		if (!(b->tc->flags & PMKV_T_OVERWRITE))
			return pmkv_err(-EEXIST, "%s: exists (PMKV_T_OVERWRITE replaces it)", t);
	} else if (errno != ENOENT) {
		return pmkv_err(-errno, "%s: %s", t, strerror(errno));
	}
	if (asprintf(&b->partial, "%s.pmkv-partial", t) < 0) {
		b->partial = NULL;
		return pmkv_err(-ENOMEM, "no memory for a path");
	}
	/* what a crashed backup left under that name is no backup */
	if (unlink(b->partial) && errno != ENOENT)
		return pmkv_err(-errno, "%s: %s", b->partial, strerror(errno));
	rc = transfer_open_file(b->partial, O_WRONLY | O_CREAT | O_EXCL, 0600,
			    b->tc, &b->direct);
	if (rc < 0) {
		free(b->partial);
		b->partial = NULL;
		return pmkv_err(rc, "%s: %s", t, strerror(-rc));
	}
	b->fd = rc;
	/* a full file system says so now, not half-way */
	rc = posix_fallocate(b->fd, 0, (off_t)size);
	if (rc == ENOSPC || rc == EFBIG || rc == EDQUOT)
		return pmkv_err(-ENOSPC, "%s: no room for %llu bytes", t,
				(unsigned long long)size);
	if (rc && rc != EOPNOTSUPP && rc != EINVAL)
		return pmkv_err(-rc, "%s: %s", t, strerror(rc));
	return 0;
}

/* n bytes from an aligned buffer at off, then the target flushed */
static int write_durable(struct backup *b, const void *buf, uint64_t n,
			 uint64_t off)
{
	uint64_t put = 0;

	while (put < n) {
		ssize_t w = pwrite(b->fd, (const uint8_t *)buf + put, n - put,
				   (off_t)(off + put));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return pmkv_err(w < 0 ? -errno : -ENOSPC, "%s: cannot write: %s",
					b->target, w < 0 ? strerror(errno) :
					"no room");
		put += (uint64_t)w;
	}
	if (b->x.path == PMKV_PATH_BUFFERED)
		b->x.bounce_bytes += n;
	b->x.bytes += n;
	if (fdatasync(b->fd))
		return pmkv_err(-errno, "%s: cannot flush: %s", b->target,
				strerror(errno));
	return 0;
}

static void fill_header(struct backup *b, uint64_t size, uint64_t time_ns)
{
	struct pmkv_backup_header *h = b->h;
	const struct pmkv_super *sb = b->kv->sb;

	memset(h, 0, sizeof(*h));
	h->magic = PMKV_BACKUP_MAGIC;
	h->format_major = PMKV_FORMAT_MAJOR;
	h->format_minor = PMKV_FORMAT_MINOR;
	h->byte_order = PMKV_BYTE_ORDER_MARK;
	if (getrandom(h->uuid, sizeof(h->uuid), 0) != sizeof(h->uuid))
		memcpy(h->uuid, &time_ns, sizeof(time_ns));
	memcpy(h->pool_uuid, sb->uuid, sizeof(h->pool_uuid));
	h->version = b->version;
	h->chain = 1;
	if (b->base.n) {
		const struct bfile *base = backup_file_top(&b->base);

		memcpy(h->base_uuid, base->h->uuid, sizeof(h->base_uuid));
		h->base_version = base->h->version;
		h->chain = base->h->chain + 1;
	}
	h->nsegs = b->n;
	h->create_time_ns = time_ns;
	h->pool_size = sb->pool_size;
	h->segment_size = b->kv->segment_size;
	h->next_segment_id = b->next_id;
	h->key_max = sb->key_max;
	h->value_max = sb->value_max;
	h->table_off = PMKV_SLOT_ALIGN;
	h->data_off = PMKV_SLOT_ALIGN + b->table_bytes;
	h->file_size = size;
}

static int copy_segments(struct backup *b, uint64_t size)
{
	struct pmkv *kv = b->kv;
	struct iovec *reg = calloc(b->n ? b->n : 1, sizeof(*reg));
	unsigned nreg = 0;
	int rc;

	if (!reg)
		return pmkv_err(-ENOMEM, "no memory for %u ranges", b->n);
	/* what is copied, and nothing else of the pool, is registered */
	for (uint32_t i = 0; i < b->n; i++)
		if (b->segs[i].e.len)
			reg[nreg++] = (struct iovec){
				kv_ptr(kv, b->segs[i].s->off + b->segs[i].e.from),
				b->segs[i].e.len };
	/* progress counts the segments' bytes: the table and header are small */
	rc = transfer_start(&b->x, b->target, b->fd, true, b->direct, b->tc,
			    reg, nreg, size - PMKV_SLOT_ALIGN - b->table_bytes);
	free(reg);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < b->n && !b->x.error; i++) {
		struct bseg *s = &b->segs[i];

		if (!s->e.len) {
			unpin(s);	/* all of it is in the base */
			continue;
		}
		transfer_add(&b->x, kv_ptr(kv, s->s->off + s->e.from), s->e.file_off,
			 s->e.len, unpin, s);
	}
	return transfer_wait(&b->x);
}

/* the table, then the header: each after what it describes is durable */
static int finish(struct backup *b, uint64_t size, uint64_t time_ns)
{
	uint8_t *tbl = (uint8_t *)b->table;
	int rc;

	for (uint32_t i = 0; i < b->n; i++)
		b->table[i] = b->segs[i].e;
	memset(tbl + (uint64_t)b->n * sizeof(*b->table), 0,
	       b->table_bytes - (uint64_t)b->n * sizeof(*b->table));
	fill_header(b, size, time_ns);
	b->h->table_csum = XXH64(b->table, (size_t)b->n * sizeof(*b->table), 0);
	if (b->realbase)
		strcpy(b->h->base_path, b->realbase);
	b->h->csum = backup_file_header_csum(b->h);
	/* write_durable() flushes the file: the segments' bytes with the table */
	rc = b->table_bytes ? write_durable(b, b->table, b->table_bytes,
					    PMKV_SLOT_ALIGN) : 0;
	return rc ? rc : write_durable(b, b->h, sizeof(*b->h), 0);
}

/* the complete file takes the target's name */
static int publish(struct backup *b)
{
	int rc;

	if (!b->partial)
		return 0;
	if (b->tc->flags & PMKV_T_OVERWRITE)
		rc = rename(b->partial, b->target);
	else
		rc = renameat2(AT_FDCWD, b->partial, AT_FDCWD, b->target,
			       RENAME_NOREPLACE);
	if (rc)
		return pmkv_err(-errno, "%s: cannot rename %s to it: %s",
				b->target, b->partial, strerror(errno));
	free(b->partial);
	b->partial = NULL;
	pool_sync_dir_of(b->target);
	return 0;
}

static void report(const struct backup *b, struct pmkv_transfer_report *rep,
		   size_t rep_size, uint64_t t0)
{
	struct pmkv_transfer_report r = { 0 };

	if (!rep)
		return;
	r.path = b->x.path;
	r.chain = b->h->chain;
	r.bytes = b->x.bytes;
	r.bounce_bytes = b->x.bounce_bytes;
	r.segments = b->n;
	for (uint32_t i = 0; i < b->n; i++)
		r.segments_copied += b->segs[i].e.len != 0;
	r.version = b->version;
	r.elapsed_ns = now_ns(CLOCK_MONOTONIC) - t0;
	memcpy(r.uuid, b->h->uuid, sizeof(r.uuid));
	memcpy(r.base_uuid, b->h->base_uuid, sizeof(r.base_uuid));
	memcpy(r.pool_uuid, b->h->pool_uuid, sizeof(r.pool_uuid));
	memcpy(rep, &r, rep_size < sizeof(r) ? rep_size : sizeof(r));
}

static void backup_fini(struct backup *b)
{
	transfer_end(&b->x);
	/* segments the copy did not reach */
	for (uint32_t i = 0; i < b->n; i++)
		if (b->segs[i].pinned)
			unpin(&b->segs[i]);
	if (b->fd > 0)
		close(b->fd);
	if (b->partial)
		unlink(b->partial);
	backup_file_chain_close(&b->base);
	free(b->partial);
	free(b->realbase);
	free(b->segs);
	free(b->table);
	free(b->h);
}

int pmkv_backup(struct pmkv *kv, const char *target,
		const struct pmkv_transfer_config *tc,
		struct pmkv_transfer_report *rep, size_t rep_size)
{
	struct backup b = { .kv = kv, .target = target, .fd = -1 };
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), time_ns, size;
	int rc;

	if (!kv || !target || !*target)
		return pmkv_err(-EINVAL, "kv or target is NULL or empty");
	if (kv->salvage)
		return pmkv_err(-EINVAL, "%s: opened to salvage: copy it with pmkv-cli salvage instead",
				kv->path);
	b.tc = tc ? tc : &transfer_config_default;
	if (b.tc->base) {
		rc = open_base(&b);
		if (rc)
			goto out;
		b.realbase = realpath(b.tc->base, NULL);
		if (!b.realbase || strlen(b.realbase) >= PMKV_BACKUP_PATH_MAX) {
			rc = pmkv_err(b.realbase ? -ENAMETOOLONG : -errno,
				      "%s: no absolute path of fewer than %d bytes",
				      b.tc->base, PMKV_BACKUP_PATH_MAX);
			goto out;
		}
	}
	b.h = aligned_alloc(PMKV_SLOT_ALIGN, sizeof(*b.h));
	if (!b.h) {
		rc = pmkv_err(-ENOMEM, "no memory for a backup header");
		goto out;
	}
	memset(b.h, 0, sizeof(*b.h));
	time_ns = now_ns(CLOCK_REALTIME);
	rc = snapshot(&b);
	if (rc)
		goto out;
	size = plan(&b);
	b.table = aligned_alloc(PMKV_SLOT_ALIGN, b.table_bytes ? b.table_bytes :
					       PMKV_SLOT_ALIGN);
	if (!b.table) {
		rc = pmkv_err(-ENOMEM, "no memory for a segment table");
		goto out;
	}
	rc = open_target(&b, size);
	if (!rc)
		rc = copy_segments(&b, size);
	if (!rc)
		rc = finish(&b, size, time_ns);
	if (!rc)
		rc = publish(&b);
	__atomic_add_fetch(&kv->transfer_bytes, b.x.bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&kv->bounce_bytes, b.x.bounce_bytes, __ATOMIC_RELAXED);
	if (!rc) {
		report(&b, rep, rep_size, t0);
		log_info("%s: backed up %s at version %llu, %u segments, %llu bytes by %s",
			 target, kv->path, (unsigned long long)b.version, b.n,
			 (unsigned long long)b.x.bytes,
			 pmkv_transfer_path_name(b.x.path));
	}
out:
	backup_fini(&b);
	return rc;
}
