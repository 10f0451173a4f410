/* SPDX-License-Identifier: BSD-3-Clause */
/* engine.h -- the stores bench can drive, one adapter file each */
#ifndef PMKV_CLI_ENGINE_H
#define PMKV_CLI_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmkv;

/* an open store of one engine; each adapter defines its own */
struct bench_db;
/* one worker thread's handles on a store (LMDB's read transaction) */
struct bench_thr;

/* how to open a store */
struct bench_store_conf {
	const char *path;	/* pmkv: the pool; the others: a directory */
	uint64_t size;		/* pmkv: pool size; LMDB: map size */
	unsigned threads;	/* workers that use it at once, at most */
	bool create;		/* make a new store; -EEXIST if one is there */
	bool sync;		/* durable writes (pmkv: always) */
	bool no_helper;		/* pmkv: PMKV_F_NO_HELPER */
};

/* how backup() and restore() move a store to and from a backup */
struct bench_xfer_conf {
	/*
	 * the backup: a path that does not exist yet, in the backup
	 * directory; backup() makes a file (pmkv) or a directory there
	 */
	const char *target;
	unsigned queue_depth;	/* pmkv: requests in flight */
	/* non-NULL: the engine may stop early (-ECANCELED) once it is true */
	const atomic_bool *cancel;
};

/* what one backup() or restore() did, as far as the engine can say */
struct bench_xfer_report {
	/* bytes moved; 0: the caller counts the sizes of the backup's files */
	uint64_t bytes;
	bool has_path;		/* pmkv: path and bounce_bytes say how */
	char path[16];		/* pmkv_transfer_path_name() */
	uint64_t bounce_bytes;	/* of bytes, copied by the CPU on the way */
};

/*
 * Called by scan() for each record in key order; key and val are valid
 * only during the call. Nonzero stops the scan and is scan()'s return.
 */
typedef int (*bench_scan_fn)(void *arg, const void *key, size_t klen,
			     const void *val, size_t vlen);

/*
 * Every function returning int returns 0 or a negative code: -errno where
 * one fits (-ENOENT for a missing key, -ENOBUFS for a value larger than
 * the buffer, -ENOSPC for a full store), a PMKV_E_* code from pmkv.
 * After a failure, errmsg() (on the same thread) or msg says more.
 */
struct bench_engine {
	const char *name;
	/*
	 * appended to the pool path (minus a ".pool") to name the store;
	 * NULL for pmkv, whose store is the pool
	 */
	const char *suffix;
	/* del() says -ENOENT for a missing key (RocksDB cannot know) */
	bool delete_finds;
	/* stats() counts fences and flushed bytes */
	bool has_stats;

	/*
	 * open -- a store at c->path: a new one when c->create, else the one
	 * there (-ENOENT when there is none, PMKV_E_FOREIGN when the path
	 * holds something else; nothing is changed then)
	 */
	int (*open)(const struct bench_store_conf *c, struct bench_db **db,
		    char *msg, size_t msglen);
	/* close -- close and set *db to NULL; NULL is accepted */
	void (*close)(struct bench_db **db);
	/*
	 * destroy -- remove the store at path, closed; only ever called on
	 * a path open() accepted. 0 when there is nothing left.
	 */
	int (*destroy)(const char *path, char *msg, size_t msglen);
	/* describe -- version and durability mode, one line */
	void (*describe)(struct bench_db *db, char *buf, size_t len);
	/* stats -- cumulative fences and flushed bytes (has_stats only) */
	int (*stats)(struct bench_db *db, uint64_t *fences,
		     uint64_t *flushed_bytes);
	/* memory -- DRAM its index holds, and live keys (has_stats only) */
	int (*memory)(struct bench_db *db, uint64_t *index_bytes,
		      uint64_t *keys);

	int (*thr_new)(struct bench_db *db, struct bench_thr **t);
	void (*thr_free)(struct bench_thr **t);
	/* put -- insert or overwrite, durably as c->sync says */
	int (*put)(struct bench_thr *t, const void *key, size_t klen,
		   const void *val, size_t vlen);
	/* get -- copy the value into buf; *vlen is its size */
	int (*get)(struct bench_thr *t, const void *key, size_t klen,
		   void *buf, size_t bufsz, size_t *vlen);
	/* del -- remove; -ENOENT when absent (if delete_finds) */
	int (*del)(struct bench_thr *t, const void *key, size_t klen);
	/*
	 * scan -- seek to the first key >= key, then call fn for that record
	 * and the next ones, n records at most, in key order. Each call is
	 * one consistent read where the engine has snapshots.
	 */
	int (*scan)(struct bench_thr *t, const void *key, size_t klen,
		    uint64_t n, bench_scan_fn fn, void *arg);
	/* errmsg -- detail of the last failure on this thread */
	const char *(*errmsg)(struct bench_thr *t);

	/* what backup() and restore() call, for the report */
	const char *backup_how, *restore_how;
	/*
	 * backup -- a hot backup of the open store to c->target: other
	 * threads may go on using db meanwhile. Durable on return.
	 */
	int (*backup)(struct bench_db *db, const struct bench_xfer_conf *c,
		      struct bench_xfer_report *rep, char *msg,
		      size_t msglen);
	/*
	 * restore -- a new store at path (nothing there yet) from the
	 * backup c->target, closed on return: open() opens it
	 */
	int (*restore)(const struct bench_xfer_conf *c, const char *path,
		       struct bench_xfer_report *rep, char *msg,
		       size_t msglen);
};

/* NULL when no engine has that name or it is not built in */
const struct bench_engine *engine_lookup(const char *name);

/* "pmkv,lmdb,rocksdb": the engines this pmkv-cli is built with */
const char *engine_names(void);

/* whether name is an engine bench knows, built in or not */
bool engine_is_known(const char *name);

/* the pmkv handle of a pmkv store, for pmkv_get_info() */
struct pmkv *engine_pmkv_handle(struct bench_db *db);

#endif /* PMKV_CLI_ENGINE_H */
