// SPDX-License-Identifier: BSD-3-Clause
/* engine-pmkv.c -- bench's adapter for libpmkv, the engine under test */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmkv.h>

#include "engine.h"

struct bench_db {
	struct pmkv *kv;
	bool no_helper;
};

struct bench_thr {
	struct pmkv *kv;
	struct pmkv_iter *it;	/* made at the first scan, then reused */
};

static int pm_open(const struct bench_store_conf *c, struct bench_db **db,
		   char *msg, size_t msglen)
{
	struct pmkv_config *cfg = NULL;
	unsigned flags = (c->create ? PMKV_F_CREATE | PMKV_F_EXCL : 0) |
			 (c->no_helper ? PMKV_F_NO_HELPER : 0);
	struct bench_db *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->no_helper = c->no_helper;
	rc = pmkv_config_new(&cfg);
	if (!rc)
		rc = pmkv_config_set_flags(cfg, flags);
	if (!rc && c->create && c->size)
		rc = pmkv_config_set_size(cfg, c->size);
	if (!rc)
		rc = pmkv_open(c->path, cfg, &d->kv);
	if (rc) {
		snprintf(msg, msglen, "%s", pmkv_errormsg());
		free(d);
	} else {
		*db = d;
	}
	pmkv_config_free(&cfg);
	return rc;
}

static void pm_close(struct bench_db **db)
{
	if (!db || !*db)
		return;
	pmkv_close(&(*db)->kv);
	free(*db);
	*db = NULL;
}

static int pm_destroy(const char *path, char *msg, size_t msglen)
{
	if (unlink(path) && errno != ENOENT) {
		snprintf(msg, msglen, "cannot remove: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void pm_describe(struct bench_db *db, char *buf, size_t len)
{
	struct pmkv_info info;
	int major, minor;
	const char *how = "unknown medium";

	pmkv_version(&major, &minor);
	if (!pmkv_get_info(db->kv, &info, sizeof(info)))
		how = !info.is_pmem ? "msync of the record's pages" :
		      info.pmem_forced ?
		      "cache-line flush + fence (pmem forced)" :
		      "cache-line flush + fence";
	snprintf(buf, len,
		 "libpmkv %d.%d; every put and delete durable on return: %s%s",
		 major, minor, how,
		 db->no_helper ? "; no helper thread (--no_helper)" : "");
}

static int pm_stats(struct bench_db *db, uint64_t *fences, uint64_t *flushed)
{
	struct pmkv_stats st;
	int rc = pmkv_get_stats(db->kv, &st, sizeof(st));

	if (!rc) {
		*fences = st.fences;
		*flushed = st.flushed_bytes;
	}
	return rc;
}

static int pm_memory(struct bench_db *db, uint64_t *index_bytes,
		     uint64_t *keys)
{
	struct pmkv_stats st;
	int rc = pmkv_get_stats(db->kv, &st, sizeof(st));

	if (!rc) {
		*index_bytes = st.index_bytes;
		*keys = st.keys;
	}
	return rc;
}

static int pm_thr_new(struct bench_db *db, struct bench_thr **t)
{
	*t = calloc(1, sizeof(**t));
	if (!*t)
		return -ENOMEM;
	(*t)->kv = db->kv;
	return 0;
}

static void pm_thr_free(struct bench_thr **t)
{
	if (!t || !*t)
		return;
	pmkv_iter_free(&(*t)->it);
	free(*t);
	*t = NULL;
}

static int pm_put(struct bench_thr *t, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	return pmkv_put(t->kv, key, klen, val, vlen);
}

static int pm_get(struct bench_thr *t, const void *key, size_t klen,
		  void *buf, size_t bufsz, size_t *vlen)
{
	return pmkv_get(t->kv, key, klen, buf, bufsz, vlen);
}

static int pm_del(struct bench_thr *t, const void *key, size_t klen)
{
	return pmkv_delete(t->kv, key, klen);
}

static int pm_scan(struct bench_thr *t, const void *key, size_t klen,
		   uint64_t n, bench_scan_fn fn, void *arg)
{
	int rc = 0;

	/* pmkv iterators are not snapshots: one serves every scan */
	if (!t->it && (rc = pmkv_iter_new(t->kv, &t->it)))
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		const void *k, *v;
		size_t kl, vl;

		rc = i ? pmkv_iter_next(t->it) : pmkv_iter_seek(t->it, key,
								 klen);
		if (rc == -ENOENT)
			return 0;
		if (!rc)
			rc = pmkv_iter_key(t->it, &k, &kl);
		if (!rc)
			rc = pmkv_iter_value(t->it, &v, &vl);
		if (!rc)
			rc = fn(arg, k, kl, v, vl);
		if (rc)
			return rc;
	}
	return 0;
}

static const char *pm_errmsg(struct bench_thr *t)
{
	(void)t;
	return pmkv_errormsg();
}

/* bench's cancel flag, polled as the bytes move */
static int pm_progress(uint64_t done, uint64_t total, void *arg)
{
	(void)done;
	(void)total;
	return atomic_load_explicit((const atomic_bool *)arg,
				    memory_order_relaxed);
}

static int xfer_config(const struct bench_xfer_conf *c,
		       struct pmkv_transfer_config **tc)
{
	int rc = pmkv_transfer_config_new(tc);

	if (!rc)
		rc = pmkv_transfer_config_set_queue_depth(*tc,
							  c->queue_depth);
	if (!rc && c->cancel)
		rc = pmkv_transfer_config_set_progress(*tc, pm_progress,
						       (void *)c->cancel);
	return rc;
}

static void xfer_report(const struct pmkv_transfer_report *r,
			struct bench_xfer_report *rep)
{
	rep->bytes = r->bytes;
	rep->has_path = true;
	snprintf(rep->path, sizeof(rep->path), "%s",
		 pmkv_transfer_path_name(r->path));
	rep->bounce_bytes = r->bounce_bytes;
}

/* the call that failed, and the library's message if it left one */
static void xfer_msg(char *msg, size_t msglen, const char *call)
{
	const char *m = pmkv_errormsg();

	snprintf(msg, msglen, "%s%s%s", call, *m ? ": " : "", m);
}

static int pm_backup(struct bench_db *db, const struct bench_xfer_conf *c,
		     struct bench_xfer_report *rep, char *msg, size_t msglen)
{
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report r = { 0 };
	int rc = xfer_config(c, &tc);

	if (!rc)
		rc = pmkv_backup(db->kv, c->target, tc, &r, sizeof(r));
	if (rc)
		xfer_msg(msg, msglen, "pmkv_backup");
	else
		xfer_report(&r, rep);
	pmkv_transfer_config_free(&tc);
	return rc;
}

static int pm_restore(const struct bench_xfer_conf *c, const char *path,
		      struct bench_xfer_report *rep, char *msg, size_t msglen)
{
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report r = { 0 };
	int rc = xfer_config(c, &tc);

	/* the pool takes the backup's size: the config names none */
	if (!rc)
		rc = pmkv_restore(c->target, path, NULL, tc, &r, sizeof(r));
	if (rc)
		xfer_msg(msg, msglen, "pmkv_restore");
	else
		xfer_report(&r, rep);
	pmkv_transfer_config_free(&tc);
	return rc;
}

struct pmkv *engine_pmkv_handle(struct bench_db *db)
{
	return db->kv;
}

const struct bench_engine engine_pmkv = {
	.name = "pmkv",
	.suffix = NULL,		/* the pool path itself */
	.delete_finds = true,
	.has_stats = true,
	.open = pm_open,
	.close = pm_close,
	.destroy = pm_destroy,
	.describe = pm_describe,
	.stats = pm_stats,
	.memory = pm_memory,
	.thr_new = pm_thr_new,
	.thr_free = pm_thr_free,
	.put = pm_put,
	.get = pm_get,
	.del = pm_del,
	.scan = pm_scan,
	.errmsg = pm_errmsg,
	.backup_how = "pmkv_backup: the pool's segments by direct I/O, hot",
	.restore_how = "pmkv_restore: a new pool, its pages read by direct I/O",
	.backup = pm_backup,
	.restore = pm_restore,
};
