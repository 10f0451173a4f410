// SPDX-License-Identifier: BSD-3-Clause
/*
 * engine-rocksdb.c -- bench's adapter for RocksDB, through its C API
 *
 * RocksDB's defaults, but without compression: bench's values are random
 * bytes, so compressing them costs CPU and saves nothing. Durable by
 * default: the write-ahead log is on and every write has sync=true, so a
 * put returns after the log is fdatasynced. Each scan makes its own
 * iterator, as db_bench's seekrandom does, so it sees the latest writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmkv.h>
#include <rocksdb/c.h>

#include "engine.h"

#ifndef BENCH_ROCKSDB_VERSION
#define BENCH_ROCKSDB_VERSION "unknown"
#endif

struct bench_db {
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_writeoptions_t *wo;
	rocksdb_readoptions_t *ro;
	bool sync;
};

struct bench_thr {
	struct bench_db *db;
	char msg[512];
};

/* take RocksDB's malloc()ed error string into msg; -EIO */
static int rd_err(char *err, const char *op, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: %s", op, err);
	free(err);
	return -EIO;
}

static rocksdb_options_t *options_new(void)
{
	rocksdb_options_t *o = rocksdb_options_create();

	if (o)
		rocksdb_options_set_compression(o, rocksdb_no_compression);
	return o;
}

static void db_free(struct bench_db *d)
{
	if (d->db)
		rocksdb_close(d->db);
	if (d->ro)
		rocksdb_readoptions_destroy(d->ro);
	if (d->wo)
		rocksdb_writeoptions_destroy(d->wo);
	if (d->opts)
		rocksdb_options_destroy(d->opts);
	free(d);
}

static int rd_destroy(const char *path, char *msg, size_t msglen);

static bool has_current(const char *dir)
{
	struct stat st;
	char *f;
	bool r;

	if (asprintf(&f, "%s/CURRENT", dir) < 0)
		return false;
	r = stat(f, &st) == 0 && S_ISREG(st.st_mode);
	free(f);
	return r;
}

static int rd_open(const struct bench_store_conf *c, struct bench_db **db,
		   char *msg, size_t msglen)
{
	struct bench_db *d;
	struct stat st;
	char *err = NULL;

	if (!stat(c->path, &st) && c->create) {
		snprintf(msg, msglen, "a store is there already");
		return -EEXIST;
	}
	if (!c->create && stat(c->path, &st)) {
		snprintf(msg, msglen, "%s", strerror(errno));
		return -errno;
	}
	/* rocksdb_open() writes LOCK and LOG before it looks for CURRENT */
	if (!c->create && !has_current(c->path)) {
		snprintf(msg, msglen, "no CURRENT file");
		return PMKV_E_FOREIGN;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->sync = c->sync;
	d->opts = options_new();
	d->wo = rocksdb_writeoptions_create();
	d->ro = rocksdb_readoptions_create();
	if (!d->opts || !d->wo || !d->ro) {
		db_free(d);
		return -ENOMEM;
	}
	rocksdb_options_set_create_if_missing(d->opts, c->create);
	rocksdb_options_set_error_if_exists(d->opts, c->create);
	rocksdb_writeoptions_set_sync(d->wo, c->sync);
	d->db = rocksdb_open(d->opts, c->path, &err);
	if (err) {
		int rc = c->create ? rd_err(err, "rocksdb_open", msg, msglen) :
				     (rd_err(err, "rocksdb_open", msg, msglen),
				      PMKV_E_FOREIGN);

		db_free(d);
		if (c->create) {
			char ignored[64];

			rd_destroy(c->path, ignored, sizeof(ignored));
		}
		return rc;
	}
	*db = d;
	return 0;
}

static void rd_close(struct bench_db **db)
{
	if (!db || !*db)
		return;
	db_free(*db);
	*db = NULL;
}

static int rd_destroy(const char *path, char *msg, size_t msglen)
{
	rocksdb_options_t *o = options_new();
	char *err = NULL;

	if (!o)
		return -ENOMEM;
	rocksdb_destroy_db(o, path, &err);
	rocksdb_options_destroy(o);
	if (err)
		return rd_err(err, "rocksdb_destroy_db", msg, msglen);
	if (rmdir(path) && errno != ENOENT) {
		snprintf(msg, msglen, "cannot remove: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void rd_describe(struct bench_db *db, char *buf, size_t len)
{
	snprintf(buf, len, "RocksDB %s (built against); defaults, no compression; %s",
		 BENCH_ROCKSDB_VERSION,
		 db->sync ? "durable: write-ahead log with sync=true, an fdatasync per put and delete" :
			    "NOT durable: write-ahead log without sync (--sync=0)");
}

static int rd_thr_new(struct bench_db *db, struct bench_thr **t)
{
	*t = calloc(1, sizeof(**t));
	if (!*t)
		return -ENOMEM;
	(*t)->db = db;
	return 0;
}

static void rd_thr_free(struct bench_thr **t)
{
	if (!t || !*t)
		return;
	free(*t);
	*t = NULL;
}

static int rd_put(struct bench_thr *t, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	char *err = NULL;

	rocksdb_put(t->db->db, t->db->wo, key, klen, val, vlen, &err);
	return err ? rd_err(err, "rocksdb_put", t->msg, sizeof(t->msg)) : 0;
}

static int rd_get(struct bench_thr *t, const void *key, size_t klen,
		  void *buf, size_t bufsz, size_t *vlen)
{
	rocksdb_pinnableslice_t *ps;
	const char *v;
	char *err = NULL;
	int rc = 0;

	/* pinned: no copy into a malloc()ed string, ours is the only one */
	ps = rocksdb_get_pinned(t->db->db, t->db->ro, key, klen, &err);
	if (err)
		return rd_err(err, "rocksdb_get_pinned", t->msg,
			      sizeof(t->msg));
	if (!ps)
		return -ENOENT;
	v = rocksdb_pinnableslice_value(ps, vlen);
	if (*vlen <= bufsz)
		memcpy(buf, v, *vlen);
	else
		rc = -ENOBUFS;
	rocksdb_pinnableslice_destroy(ps);
	return rc;
}

static int rd_del(struct bench_thr *t, const void *key, size_t klen)
{
	char *err = NULL;

	/* a tombstone whether or not the key is there: delete_finds false */
	rocksdb_delete(t->db->db, t->db->wo, key, klen, &err);
	return err ? rd_err(err, "rocksdb_delete", t->msg, sizeof(t->msg)) :
		     0;
}

static int rd_scan(struct bench_thr *t, const void *key, size_t klen,
		   uint64_t n, bench_scan_fn fn, void *arg)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(t->db->db,
							 t->db->ro);
	char *err = NULL;
	int rc = 0;

	if (!it)
		return -ENOMEM;
	rocksdb_iter_seek(it, key, klen);
	for (uint64_t i = 0; i < n; i++) {
		const char *k, *v;
		size_t kl, vl;

		if (i)
			rocksdb_iter_next(it);
		if (!rocksdb_iter_valid(it))
			break;
		k = rocksdb_iter_key(it, &kl);
		v = rocksdb_iter_value(it, &vl);
		rc = fn(arg, k, kl, v, vl);
		if (rc)
			break;
	}
	if (!rc) {
		rocksdb_iter_get_error(it, &err);
		if (err)
			rc = rd_err(err, "rocksdb_iter", t->msg,
				    sizeof(t->msg));
	}
	rocksdb_iter_destroy(it);
	return rc;
}

/*
 * RocksDB's BackupEngine, which Debian 12's C API has (it would be
 * preferred to a checkpoint anyway: a checkpoint on the store's own
 * filesystem hard-links the table files instead of copying them). Its
 * defaults: table files shared, the live write-ahead log copied too, no
 * flush first, every file synced; one background thread copies.
 */
static int rd_backup(struct bench_db *db, const struct bench_xfer_conf *c,
		     struct bench_xfer_report *rep, char *msg, size_t msglen)
{
	rocksdb_backup_engine_t *be;
	char *err = NULL;

	(void)rep;	/* the caller counts the backup's files */
	be = rocksdb_backup_engine_open(db->opts, c->target, &err);
	if (err)
		return rd_err(err, "rocksdb_backup_engine_open", msg, msglen);
	rocksdb_backup_engine_create_new_backup(be, db->db, &err);
	rocksdb_backup_engine_close(be);
	return err ? rd_err(err, "rocksdb_backup_engine_create_new_backup",
			    msg, msglen) : 0;
}

static int rd_restore(const struct bench_xfer_conf *c, const char *path,
		      struct bench_xfer_report *rep, char *msg, size_t msglen)
{
	rocksdb_options_t *o = options_new();
	rocksdb_restore_options_t *ro = rocksdb_restore_options_create();
	rocksdb_backup_engine_t *be = NULL;
	char *err = NULL;
	int rc = 0;

	(void)rep;
	if (!o || !ro) {
		rc = -ENOMEM;
		goto out;
	}
	be = rocksdb_backup_engine_open(o, c->target, &err);
	if (err) {
		rc = rd_err(err, "rocksdb_backup_engine_open", msg, msglen);
		goto out;
	}
	/* the write-ahead log goes with the tables, as the store had it */
	rocksdb_backup_engine_restore_db_from_latest_backup(be, path, path, ro,
							    &err);
	if (err)
		rc = rd_err(err, "rocksdb_backup_engine_restore_db_from_latest_backup",
			    msg, msglen);
	rocksdb_backup_engine_close(be);
out:
	if (ro)
		rocksdb_restore_options_destroy(ro);
	if (o)
		rocksdb_options_destroy(o);
	return rc;
}

static const char *rd_errmsg(struct bench_thr *t)
{
	return t->msg;
}

const struct bench_engine engine_rocksdb = {
	.name = "rocksdb",
	.suffix = ".rocksdb",
	.delete_finds = false,
	.has_stats = false,
	.open = rd_open,
	.close = rd_close,
	.destroy = rd_destroy,
	.describe = rd_describe,
	.thr_new = rd_thr_new,
	.thr_free = rd_thr_free,
	.put = rd_put,
	.get = rd_get,
	.del = rd_del,
	.scan = rd_scan,
	.errmsg = rd_errmsg,
	.backup_how = "BackupEngine (rocksdb_backup_engine_create_new_backup: defaults, no flush first)",
	.restore_how = "BackupEngine (rocksdb_backup_engine_restore_db_from_latest_backup)",
	.backup = rd_backup,
	.restore = rd_restore,
};
