// SPDX-License-Identifier: BSD-3-Clause
/*
 * engine-lmdb.c -- bench's adapter for LMDB (liblmdb)
 *
 * One put or delete per write transaction, as an application that wants
 * each write durable on return must do. Durable by default: neither
 * MDB_NOSYNC nor MDB_NOMETASYNC, so each commit syncs the data file and
 * writes the meta page through an O_DSYNC descriptor. Reads reuse one
 * read-only transaction per thread (reset after each read, renewed before
 * the next) and scans one cursor, LMDB's cheapest way to read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmkv.h>
#include <lmdb.h>

#include "engine.h"

struct bench_db {
	MDB_env *env;
	MDB_dbi dbi;
	bool sync;
	uint64_t mapsize;
};

struct bench_thr {
	struct bench_db *db;
	MDB_txn *rtxn;		/* reset between reads */
	MDB_cursor *cur;	/* bound to rtxn, renewed with it */
	char msg[256];
};

/* LMDB's code as ours; what happened goes into msg */
static int lm_code(int rc, const char *op, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: %s", op, mdb_strerror(rc));
	switch (rc) {
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_READERS_FULL:
		return -EAGAIN;
	case MDB_BAD_VALSIZE:
		return -EINVAL;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return PMKV_E_FOREIGN;
	}
	return rc > 0 ? -rc : -EIO;
}

static int lm_err(struct bench_thr *t, int rc, const char *op)
{
	return lm_code(rc, op, t->msg, sizeof(t->msg));
}

static int lm_destroy(const char *path, char *msg, size_t msglen);

static bool has_data_file(const char *dir)
{
	char *f;
	struct stat st;
	bool r;

	if (asprintf(&f, "%s/data.mdb", dir) < 0)
		return false;
	r = stat(f, &st) == 0 && S_ISREG(st.st_mode);
	free(f);
	return r;
}

static int lm_open(const struct bench_store_conf *c, struct bench_db **db,
		   char *msg, size_t msglen)
{
	/* one slot per worker, and room for the readwhilewriting writer */
	unsigned readers = c->threads + 8;
	unsigned flags = MDB_NOTLS;
	struct bench_db *d;
	MDB_txn *txn;
	struct stat st;
	int rc;

	if (c->create) {
		if (mkdir(c->path, 0755)) {
			snprintf(msg, msglen, "mkdir: %s", strerror(errno));
			return -errno;
		}
	} else if (stat(c->path, &st)) {
		snprintf(msg, msglen, "%s", strerror(errno));
		return -errno;
	} else if (!S_ISDIR(st.st_mode) || !has_data_file(c->path)) {
		snprintf(msg, msglen, "not an LMDB environment: no data.mdb");
		return PMKV_E_FOREIGN;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->sync = c->sync;
	d->mapsize = c->size;
	if (!c->sync)
		flags |= MDB_NOSYNC | MDB_NOMETASYNC;
	rc = mdb_env_create(&d->env);
	if (rc) {
		rc = lm_code(rc, "mdb_env_create", msg, msglen);
		goto err_free;
	}
	if ((rc = mdb_env_set_mapsize(d->env, c->size)) ||
	    (rc = mdb_env_set_maxreaders(d->env, readers)) ||
	    (rc = mdb_env_open(d->env, c->path, flags, 0644))) {
		rc = lm_code(rc, "mdb_env_open", msg, msglen);
		goto err_close;
	}
	rc = mdb_txn_begin(d->env, NULL, 0, &txn);
	if (!rc && (rc = mdb_dbi_open(txn, NULL, 0, &d->dbi)))
		mdb_txn_abort(txn);
	else if (!rc)
		rc = mdb_txn_commit(txn);
	if (rc) {
		rc = lm_code(rc, "mdb_dbi_open", msg, msglen);
		goto err_close;
	}
	*db = d;
	return 0;

err_close:
	mdb_env_close(d->env);
err_free:
	free(d);
	if (c->create) {
		char ignored[64];

		lm_destroy(c->path, ignored, sizeof(ignored));
	}
	return rc;
}

static void lm_close(struct bench_db **db)
{
	if (!db || !*db)
		return;
	mdb_env_close((*db)->env);
	free(*db);
	*db = NULL;
}

static int lm_destroy(const char *path, char *msg, size_t msglen)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };

	for (size_t i = 0; i < 2; i++) {
		char *f;

		if (asprintf(&f, "%s/%s", path, files[i]) < 0)
			return -ENOMEM;
		if (unlink(f) && errno != ENOENT) {
			snprintf(msg, msglen, "cannot remove %s: %s", f,
				 strerror(errno));
			free(f);
			return -errno;
		}
		free(f);
	}
	if (rmdir(path) && errno != ENOENT) {
		snprintf(msg, msglen, "cannot remove: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void lm_describe(struct bench_db *db, char *buf, size_t len)
{
	snprintf(buf, len, "%s; one put per write transaction; %s; map size %llu MiB",
		 mdb_version(NULL, NULL, NULL),
		 db->sync ? "durable: each commit fdatasyncs the data file and writes the meta page O_DSYNC (no MDB_NOSYNC, no MDB_NOMETASYNC)" :
			    "NOT durable: MDB_NOSYNC | MDB_NOMETASYNC (--sync=0)",
		 (unsigned long long)(db->mapsize >> 20));
}

static int lm_thr_new(struct bench_db *db, struct bench_thr **t)
{
	*t = calloc(1, sizeof(**t));
	if (!*t)
		return -ENOMEM;
	(*t)->db = db;
	return 0;
}

static void lm_thr_free(struct bench_thr **t)
{
	if (!t || !*t)
		return;
	/* a read-only cursor outlives its transaction and is closed alone */
	if ((*t)->cur)
		mdb_cursor_close((*t)->cur);
	if ((*t)->rtxn)
		mdb_txn_abort((*t)->rtxn);
	free(*t);
	*t = NULL;
}

/* one write transaction around one change: durable when this returns */
static int lm_write(struct bench_thr *t, const void *key, size_t klen,
		    const void *val, size_t vlen, bool del)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(t->db->env, NULL, 0, &txn);
	if (rc)
		return lm_err(t, rc, "mdb_txn_begin");
	rc = del ? mdb_del(txn, t->db->dbi, &k, NULL) :
		   mdb_put(txn, t->db->dbi, &k, &v, 0);
	if (rc) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND)
			return -ENOENT;
		return lm_err(t, rc, del ? "mdb_del" : "mdb_put");
	}
	rc = mdb_txn_commit(txn);
	return rc ? lm_err(t, rc, "mdb_txn_commit") : 0;
}

static int lm_put(struct bench_thr *t, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	return lm_write(t, key, klen, val, vlen, false);
}

static int lm_del(struct bench_thr *t, const void *key, size_t klen)
{
	return lm_write(t, key, klen, NULL, 0, true);
}

/* the thread's read transaction, current as of now */
static int rtxn_start(struct bench_thr *t)
{
	int rc;

	if (!t->rtxn)
		rc = mdb_txn_begin(t->db->env, NULL, MDB_RDONLY, &t->rtxn);
	else
		rc = mdb_txn_renew(t->rtxn);
	return rc ? lm_err(t, rc, "mdb_txn_begin (read-only)") : 0;
}

static int lm_get(struct bench_thr *t, const void *key, size_t klen,
		  void *buf, size_t bufsz, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = rtxn_start(t);

	if (rc)
		return rc;
	rc = mdb_get(t->rtxn, t->db->dbi, &k, &v);
	if (!rc) {
		*vlen = v.mv_size;
		/* v points into the map, valid until the reset */
		if (v.mv_size <= bufsz)
			memcpy(buf, v.mv_data, v.mv_size);
		else
			rc = -ENOBUFS;
	} else {
		rc = rc == MDB_NOTFOUND ? -ENOENT : lm_err(t, rc, "mdb_get");
	}
	mdb_txn_reset(t->rtxn);
	return rc;
}

static int lm_scan(struct bench_thr *t, const void *key, size_t klen,
		   uint64_t n, bench_scan_fn fn, void *arg)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = rtxn_start(t);

	if (rc)
		return rc;
	rc = t->cur ? mdb_cursor_renew(t->rtxn, t->cur) :
		      mdb_cursor_open(t->rtxn, t->db->dbi, &t->cur);
	if (rc) {
		rc = lm_err(t, rc, "mdb_cursor_open");
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		rc = mdb_cursor_get(t->cur, &k, &v, i ? MDB_NEXT :
							 MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc) {
			rc = lm_err(t, rc, "mdb_cursor_get");
			break;
		}
		rc = fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (rc)
			break;
	}
out:
	mdb_txn_reset(t->rtxn);
	return rc;
}

/* fdatasync a file by name; -errno with msg set */
static int sync_file(const char *path, char *msg, size_t msglen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fdatasync(fd)) {
		rc = -errno;
		snprintf(msg, msglen, "%s %s: %s", fd < 0 ? "open" : "fdatasync",
			 path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * LMDB's hot copy, as mdb_copy does it: a read transaction keeps the
 * pages it copies, writers go on. mdb_env_copy2() writes data.mdb in the
 * directory through a descriptor it sets O_DIRECT where it can, but
 * never syncs it: the fdatasync after it makes the copy durable, as
 * pmkv's and RocksDB's backups are when they return.
 */
static int lm_backup(struct bench_db *db, const struct bench_xfer_conf *c,
		     struct bench_xfer_report *rep, char *msg, size_t msglen)
{
	char *data;
	int rc;

	(void)rep;	/* the caller counts data.mdb's size */
	if (mkdir(c->target, 0755)) {
		snprintf(msg, msglen, "mkdir %s: %s", c->target,
			 strerror(errno));
		return -errno;
	}
	/* without MDB_CP_COMPACT: the pages as they are, free ones too */
	rc = mdb_env_copy2(db->env, c->target, 0);
	if (rc)
		return lm_code(rc, "mdb_env_copy2", msg, msglen);
	if (asprintf(&data, "%s/data.mdb", c->target) < 0)
		return -ENOMEM;
	rc = sync_file(data, msg, msglen);
	free(data);
	return rc;
}

#define COPY_CHUNK (1U << 20)

/* from into a new file to, made durable: what cp and a sync would do */
static int copy_file(const char *from, const char *to, char *msg,
		     size_t msglen)
{
	char *buf = malloc(COPY_CHUNK);
	int in = -1, out = -1, rc = 0;
	ssize_t n = 0;

	if (!buf)
		return -ENOMEM;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  0644)) < 0) {
		rc = -errno;
		snprintf(msg, msglen, "open %s: %s", in < 0 ? from : to,
			 strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, COPY_CHUNK)) > 0) {
		for (ssize_t w, off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				rc = -errno;
				snprintf(msg, msglen, "write %s: %s", to,
					 strerror(errno));
				goto out;
			}
		}
	}
	if (n < 0 || fdatasync(out)) {
		rc = -errno;
		snprintf(msg, msglen, "%s %s: %s", n < 0 ? "read" : "fdatasync",
			 n < 0 ? from : to, strerror(errno));
	}
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(buf);
	return rc;
}

/* LMDB has no restore: its backup is a data file, copied back and opened */
static int lm_restore(const struct bench_xfer_conf *c, const char *path,
		      struct bench_xfer_report *rep, char *msg, size_t msglen)
{
	char *from = NULL, *to = NULL;
	MDB_env *env = NULL;
	int rc;

	(void)rep;
	if (mkdir(path, 0755)) {
		snprintf(msg, msglen, "mkdir: %s", strerror(errno));
		return -errno;
	}
	if (asprintf(&from, "%s/data.mdb", c->target) < 0)
		from = NULL;
	if (asprintf(&to, "%s/data.mdb", path) < 0)
		to = NULL;
	rc = from && to ? copy_file(from, to, msg, msglen) : -ENOMEM;
	/* the map size is the one in the file's meta page */
	if (!rc && (rc = mdb_env_create(&env)))
		rc = lm_code(rc, "mdb_env_create", msg, msglen);
	else if (!rc && (rc = mdb_env_open(env, path, MDB_NOTLS, 0644)))
		rc = lm_code(rc, "mdb_env_open", msg, msglen);
	if (env)
		mdb_env_close(env);
	free(from);
	free(to);
	return rc;
}

static const char *lm_errmsg(struct bench_thr *t)
{
	return t->msg;
}

const struct bench_engine engine_lmdb = {
	.name = "lmdb",
	.suffix = ".lmdb",
	.delete_finds = true,
	.has_stats = false,
	.open = lm_open,
	.close = lm_close,
	.destroy = lm_destroy,
	.describe = lm_describe,
	.thr_new = lm_thr_new,
	.thr_free = lm_thr_free,
	.put = lm_put,
	.get = lm_get,
	.del = lm_del,
	.scan = lm_scan,
	.errmsg = lm_errmsg,
	.backup_how = "mdb_env_copy2 into a directory, without MDB_CP_COMPACT (hot copy, as mdb_copy), then fdatasync",
	.restore_how = "a copy of data.mdb back (read + write + fdatasync), then mdb_env_open",
	.backup = lm_backup,
	.restore = lm_restore,
};
