/* SPDX-License-Identifier: BSD-3-Clause */
/* libpmkv.h -- the public interface of libpmkv, a key-value store for pmem */
#ifndef LIBPMKV_H
#define LIBPMKV_H

/*
 * The model
 * ---------
 * A pmkv pool is one region of persistent memory: a devdax device
 * (/dev/daxX.Y, used whole), a file on a DAX filesystem (mapped with
 * MAP_SYNC), or an ordinary file (tmpfs or disk, made durable with msync).
 * The medium is detected once, at open, and decides how every later write
 * is made durable; nothing else in the API depends on it.
 *
 * Inside the pool, each put appends one checksummed record to a log; an
 * ordered index in DRAM points at the newest record of every key and is
 * rebuilt from the log at open. A put, delete or batch commit is durable
 * when it returns 0: it survives power loss at any later moment. An
 * interrupted put is either whole or absent after a crash. Opening after a
 * crash needs no action from the user.
 *
 * Objects:
 *   struct pmkv_config   how to open: size and flags (memory only)
 *   struct pmkv          an open pool: put/get/delete/scan
 *   struct pmkv_iter     an ordered cursor over a pool
 *   struct pmkv_batch    puts and deletes committed all-or-nothing
 *   struct pmkv_transfer_config  how backup, restore and verify move data
 *
 * Keys are byte strings of 1 to PMKV_KEY_MAX bytes compared with memcmp()
 * order, a shorter key first on a common prefix. Values are 0 to
 * PMKV_VALUE_MAX bytes.
 *
 * Errors: every call that can fail returns 0 or a negative code: -errno
 * where an errno says what happened, PMKV_E_* otherwise. pmkv_strerror()
 * names any code; pmkv_errormsg() gives the calling thread's detail of its
 * last failure.
 *
 * Caveats
 * -------
 * - One pool can be open once at a time, in one process: a second
 *   pmkv_open() of it, from this process or another, fails with -EBUSY.
 * - Do not use a handle in a child after fork(); open the pool again there
 *   after the parent has closed it. A handle opened for writing runs one
 *   helper thread (it maps new log segments and index memory ahead of the
 *   writers), which a child would not have; PMKV_F_NO_HELPER opens
 *   without it.
 * - A handle may be shared by any number of threads, for every call but
 *   pmkv_close(), which must be the last call on the handle. Iterators and
 *   batches belong to one thread at a time.
 * - Pointers returned by an iterator stay valid until the next call on that
 *   iterator; the library copies records out, so they are never pointers
 *   into the pool.
 * - Only 8-byte aligned stores are failure-atomic on pmem. The library
 *   relies on nothing larger, and neither should callers that share the
 *   region.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMKV_VERSION_MAJOR 0
#define PMKV_VERSION_MINOR 1

/* limits */
#define PMKV_KEY_MAX 4096U		/* bytes in a key, at most */
#define PMKV_VALUE_MAX (256U << 20)	/* bytes in a value, at most */
#define PMKV_POOL_MIN (16ULL << 20)	/* the smallest pool pmkv creates */
#define PMKV_POOL_DEFAULT (64ULL << 20)	/* size when the config names none */
#define PMKV_BATCH_MAX 65536U		/* operations in one batch, at most */

/* flags for pmkv_config_set_flags() */
#define PMKV_F_CREATE (1U << 0)	/* create the pool if the path has none */
#define PMKV_F_EXCL (1U << 1)	/* with CREATE: fail if a pool or file is there */
/* open read-only, which needs read permission only: writes fail with -EROFS */
#define PMKV_F_RDONLY (1U << 2)
#define PMKV_F_NO_HELPER (1U << 3) /* no helper thread: puts fault pages in */
#define PMKV_F_SALVAGE (1U << 4) /* read a damaged pool: read-only, see pmkv_open */
#define PMKV_F_VALID (PMKV_F_CREATE | PMKV_F_EXCL | PMKV_F_RDONLY | \
		      PMKV_F_NO_HELPER | PMKV_F_SALVAGE)

/*
 * Error codes of pmkv's own, in -20000..-20999: clear of -errno, of LMDB's
 * codes and of PMDK's PMEM2_E_*.
 */
#define PMKV_E_CORRUPT (-20000)	/* a pmkv pool, but damaged: checksum, size */
#define PMKV_E_FOREIGN (-20001)	/* not a pmkv pool: nothing was changed */
#define PMKV_E_VERSION (-20002)	/* a pool of a format this build cannot read */
#define PMKV_E_GRANULARITY (-20003) /* the medium cannot give the durability */
#define PMKV_E_POISONED (-20004) /* a durable write failed: the handle is read-only */
#define PMKV_E_LAST (-20004)

/* media, as detected by pmkv_open() */
enum pmkv_media {
	PMKV_MEDIA_FILE = 1,	/* ordinary file: page granularity, msync */
	PMKV_MEDIA_FSDAX = 2,	/* file on a DAX filesystem, MAP_SYNC */
	PMKV_MEDIA_DEVDAX = 3,	/* device DAX character device */
};

struct pmkv;
struct pmkv_config;
struct pmkv_iter;
struct pmkv_batch;
struct pmkv_transfer_config;

/* ------------------------------------------------------------------ */
/* version */

/*
 * pmkv_version -- the library's version at run time
 *
 * [out] major, minor: may be NULL. Compare with PMKV_VERSION_MAJOR and
 * PMKV_VERSION_MINOR, the version this program was compiled against.
 */
void pmkv_version(int *major, int *minor);

/* ------------------------------------------------------------------ */
/* config setup */

/*
 * pmkv_config_new -- a configuration with defaults: no flags, size 0
 *
 * [out] cfg: the new configuration; free it with pmkv_config_free().
 * Returns 0 or -ENOMEM.
 */
int pmkv_config_new(struct pmkv_config **cfg);

/*
 * pmkv_config_free -- free a configuration and set *cfg to NULL
 *
 * NULL and a pointer to NULL are accepted. A pool opened with the
 * configuration does not need it any more.
 */
void pmkv_config_free(struct pmkv_config **cfg);

/*
 * pmkv_config_set_size -- the size of a pool that PMKV_F_CREATE creates
 *
 * [in] bytes: 0 means the whole device for devdax, and PMKV_POOL_DEFAULT
 * for a file. Ignored when the pool exists, except on devdax, where a
 * pool always takes the whole device and any other size is -EINVAL.
 * Returns 0, or -EINVAL when bytes is neither 0 nor at least PMKV_POOL_MIN.
 */
int pmkv_config_set_size(struct pmkv_config *cfg, uint64_t bytes);

/*
 * pmkv_config_set_flags -- PMKV_F_* flags for pmkv_open()
 *
 * PMKV_F_SALVAGE opens a damaged pool to copy out what is readable, and
 * implies PMKV_F_RDONLY (see pmkv_open).
 * Returns 0, or -EINVAL for bits outside PMKV_F_VALID, for PMKV_F_EXCL
 * without PMKV_F_CREATE, and for PMKV_F_CREATE with PMKV_F_RDONLY or with
 * PMKV_F_SALVAGE.
 */
int pmkv_config_set_flags(struct pmkv_config *cfg, unsigned flags);

/*
 * pmkv_config_set_mode -- permission bits of a file that PMKV_F_CREATE
 * creates (default 0600). Returns 0, or -EINVAL for bits outside 07777.
 */
int pmkv_config_set_mode(struct pmkv_config *cfg, mode_t mode);

/* ------------------------------------------------------------------ */
/* pool lifecycle */

/*
 * pmkv_open -- open a pool, creating it if the config says so
 *
 * [in] path: a devdax device, or a file.
 * [in] cfg: NULL opens an existing pool read-write.
 * [out] kv: the handle, set only on success.
 *
 * Nothing is written to a file or device that turns out not to be a pmkv
 * pool of this format, nor to one that fails validation. With
 * PMKV_F_CREATE, an empty file, or a file or device whose first 4 KiB are
 * zeros, is taken as free space and a pool is created in it; PMKV_F_EXCL
 * refuses any existing path, so it always fails on a devdax device.
 * PMKV_F_RDONLY refuses writes through the handle. The pool is mapped
 * PROT_READ, so nothing at all reaches the file or device (on fsdax too,
 * where such a mapping needs no MAP_SYNC: no PMKV_E_GRANULARITY), and read
 * permission alone is enough. libpmemobj only creates pools; it never
 * opens one. PMKV_F_SALVAGE implies PMKV_F_RDONLY and reads a damaged
 * pool past its damage instead of failing with PMKV_E_CORRUPT (see
 * pmkv_open(3) for what it keeps and what it reports).
 *
 * Returns 0, or:
 *   -ENOENT       no such path (without PMKV_F_CREATE), or no such device
 *   -EISDIR       path is a directory
 *   -EACCES       no permission for the path
 *   -EEXIST       PMKV_F_CREATE | PMKV_F_EXCL and the path exists
 *   -EBUSY        the pool is open already (this process or another)
 *   -EINVAL       a bad argument, or a path that is neither a file nor DAX
 *   -ENOMEM       out of memory (DRAM)
 *   -ENOSPC       the filesystem cannot hold a pool of the size asked, or
 *                 fill the holes of a sparse pool file (read-write)
 *   PMKV_E_FOREIGN      not a pmkv pool (empty or zeros without
 *                       PMKV_F_CREATE, too small, other data, another
 *                       libpmemobj layout, the opposite byte order)
 *   PMKV_E_CORRUPT      a pmkv pool that fails validation (checksum,
 *                       truncated file, damage in the slot table or the
 *                       log, a superblock copy where the start is damaged,
 *                       a bad block the kernel reports in any of them),
 *                       or whose creation was interrupted (PMKV_F_CREATE
 *                       finishes it); nothing was written
 *   PMKV_E_VERSION      a pool of a newer format
 *   PMKV_E_GRANULARITY  a DAX file whose mapping the kernel will not make
 *                       synchronous (MAP_SYNC refused)
 */
int pmkv_open(const char *path, const struct pmkv_config *cfg,
	      struct pmkv **kv);

/*
 * pmkv_close -- close a pool and set *kv to NULL
 *
 * Every acknowledged write is already durable; close writes nothing that
 * recovery would need. NULL and a pointer to NULL are accepted. Returns 0.
 * No other thread may use the handle during or after the call.
 */
int pmkv_close(struct pmkv **kv);

/* ------------------------------------------------------------------ */
/* data */

/*
 * pmkv_put -- insert or overwrite a key, durably
 *
 * [in] key, klen: 1..PMKV_KEY_MAX bytes.
 * [in] val, vlen: 0..PMKV_VALUE_MAX bytes (val may be NULL when vlen is 0).
 * Returns 0 when the record is durable, or:
 *   -EINVAL (empty or oversized key, oversized value, NULL pointer),
 *   -ENOSPC (the pool is full; nothing acknowledged is lost),
 *   -ENOMEM (no DRAM for the index; the put did not happen),
 *   -EROFS (read-only handle), PMKV_E_POISONED (making the record durable
 *   failed: whether it survives is decided at the next open, as for a
 *   crash; the handle refuses further writes), PMKV_E_CORRUPT (the pool
 *   was full and reclamation met a record damaged since the open; the put
 *   did not happen).
 * Thread-safe; per key, puts and deletes are linearizable.
 */
int pmkv_put(struct pmkv *kv, const void *key, size_t klen, const void *val,
	     size_t vlen);

/*
 * pmkv_get -- copy the value of a key into a buffer
 *
 * [in] buf, bufsz: where to copy (buf may be NULL when bufsz is 0).
 * [out] vlen: the value's size; may be NULL.
 * Returns 0, or:
 *   -ENOENT   no such key
 *   -ENOBUFS  bufsz is smaller than the value; *vlen says how much is
 *             needed; buf is unchanged unless writers raced the call
 *             (it reads without a lock and retries: see pmkv_get(3))
 *   -EINVAL   a bad argument
 *   PMKV_E_CORRUPT  the record fails its checksum, claims a value past
 *                   PMKV_VALUE_MAX or the pool, or lies on a known bad
 *                   block (media error); under PMKV_F_SALVAGE also a
 *                   newest record the open found damaged
 * Thread-safe.
 */
int pmkv_get(struct pmkv *kv, const void *key, size_t klen, void *buf,
	     size_t bufsz, size_t *vlen);

/*
 * pmkv_exists -- whether a key is present
 *
 * Returns 0 when it is, -ENOENT when not, -EINVAL for a bad key.
 */
int pmkv_exists(struct pmkv *kv, const void *key, size_t klen);

/*
 * pmkv_delete -- remove a key, durably
 *
 * Returns 0 when the removal is durable, -ENOENT when the key was absent
 * (nothing is written), -EINVAL, -ENOSPC, -ENOMEM, -EROFS,
 * PMKV_E_POISONED or PMKV_E_CORRUPT, as pmkv_put().
 */
int pmkv_delete(struct pmkv *kv, const void *key, size_t klen);

/*
 * pmkv_scan_cb -- called by pmkv_scan() for each key in order
 *
 * key and val point into a buffer of the library, valid only during the
 * call. Return 0 to go on; any other value stops the scan and is returned
 * by pmkv_scan(). The callback may call any pmkv function on the handle.
 */
typedef int (*pmkv_scan_cb)(const void *key, size_t klen, const void *val,
			    size_t vlen, void *arg);

/*
 * pmkv_scan -- call cb for every key in [start, end), in key order
 *
 * [in] start, slen: first key (inclusive); NULL: from the first key.
 * [in] end, elen: last key (exclusive); NULL: to the last key.
 * Under concurrent writes keys come in strictly increasing order, each at
 * most once, and every key present and unchanged for the whole scan is
 * seen; the scan is not a snapshot.
 * Returns 0 at the end, the callback's nonzero return, or -EINVAL,
 * -ENOMEM, PMKV_E_CORRUPT (a damaged record; under PMKV_F_SALVAGE it is
 * skipped and logged instead).
 */
int pmkv_scan(struct pmkv *kv, const void *start, size_t slen,
	      const void *end, size_t elen, pmkv_scan_cb cb, void *arg);

/* ------------------------------------------------------------------ */
/* iterators */

/*
 * pmkv_iter_new -- an ordered cursor, positioned nowhere until a seek
 *
 * Returns 0 or -ENOMEM. Free it with pmkv_iter_free() before closing the
 * pool. Ordering guarantees are those of pmkv_scan().
 */
int pmkv_iter_new(struct pmkv *kv, struct pmkv_iter **it);

/*
 * pmkv_iter_free -- free an iterator and set *it to NULL
 */
void pmkv_iter_free(struct pmkv_iter **it);

/*
 * pmkv_iter_seek -- move to the first key >= key (NULL: the first key)
 *
 * Returns 0 when positioned on a key, -ENOENT when no key is >= key,
 * -EINVAL, -ENOMEM or PMKV_E_CORRUPT.
 */
int pmkv_iter_seek(struct pmkv_iter *it, const void *key, size_t klen);

/*
 * pmkv_iter_next -- move to the next key
 *
 * Returns 0 when positioned on a key, -ENOENT at the end (and on an
 * iterator that was never positioned), -ENOMEM or PMKV_E_CORRUPT.
 */
int pmkv_iter_next(struct pmkv_iter *it);

/*
 * pmkv_iter_key, pmkv_iter_value -- the current record
 *
 * [out] key, klen / val, vlen: valid until the next call on the iterator.
 * Returns 0, or -ENOENT when the iterator is not on a key.
 */
int pmkv_iter_key(const struct pmkv_iter *it, const void **key,
		  size_t *klen);
int pmkv_iter_value(const struct pmkv_iter *it, const void **val,
		    size_t *vlen);

/*
 * pmkv_iter_set_bounds -- keep the iterator inside [lower, upper)
 *
 * [in] lower, llen: the smallest key it may stop on (inclusive); NULL: none.
 * [in] upper, ulen: the key it stops before (exclusive); NULL: none.
 * The bounds are copied. Every seek and step after this call respects
 * them: a seek below lower starts at lower, next stops (-ENOENT) before
 * upper, prev stops before going under lower. The iterator is left on no
 * key. Returns 0, -EINVAL (a bound's length, or lower >= upper) or -ENOMEM.
 */
int pmkv_iter_set_bounds(struct pmkv_iter *it, const void *lower, size_t llen,
			 const void *upper, size_t ulen);

/*
 * pmkv_iter_seek_for_prev -- move to the last key <= key (NULL: the last key)
 *
 * Returns 0 when positioned on a key, -ENOENT when no key is <= key (within
 * the bounds), -EINVAL, -ENOMEM or PMKV_E_CORRUPT.
 */
int pmkv_iter_seek_for_prev(struct pmkv_iter *it, const void *key,
			    size_t klen);

/*
 * pmkv_iter_seek_last -- move to the last key (below the upper bound)
 *
 * Returns as pmkv_iter_seek_for_prev().
 */
int pmkv_iter_seek_last(struct pmkv_iter *it);

/*
 * pmkv_iter_prev -- move to the previous key
 *
 * Returns 0 when positioned on a key, -ENOENT at the beginning (and on an
 * iterator on no key), -ENOMEM or PMKV_E_CORRUPT. next and prev may be
 * mixed: each goes on from the key the iterator is on. Under concurrent
 * writes prev gives strictly decreasing keys, each at most once.
 */
int pmkv_iter_prev(struct pmkv_iter *it);

/*
 * pmkv_count -- the number of keys in [start, end)
 *
 * [in] start, slen / end, elen: as for pmkv_scan(); NULL: unbounded.
 * [out] count: the keys found. Reads the index only, not the records:
 * its cost is that of walking the range's index entries, not its values.
 * Exact while writers are quiet; under concurrent writes every key
 * present for the whole call is counted once and no other key more than
 * once. Returns 0 (a count of 0 when start >= end), -EINVAL, -ENOMEM, or
 * PMKV_E_CORRUPT when a key it must compare was damaged since open.
 */
int pmkv_count(struct pmkv *kv, const void *start, size_t slen,
	       const void *end, size_t elen, uint64_t *count);

/* ------------------------------------------------------------------ */
/* batches */

/*
 * pmkv_batch_new -- an empty batch of puts and deletes for one pool
 *
 * Returns 0 or -ENOMEM. The batch copies keys and values when they are
 * added; it belongs to one thread at a time.
 */
int pmkv_batch_new(struct pmkv *kv, struct pmkv_batch **b);

/*
 * pmkv_batch_put, pmkv_batch_delete -- add an operation to a batch
 *
 * A later operation on the same key replaces an earlier one, and does not
 * count as another operation: a batch holds up to PMKV_BATCH_MAX keys. A
 * delete of a key that is absent at commit time is not an error.
 * Returns 0, -EINVAL (limits as pmkv_put), -E2BIG (a key beyond
 * PMKV_BATCH_MAX, or a batch whose records exceed the largest single
 * allocation) or -ENOMEM.
 */
int pmkv_batch_put(struct pmkv_batch *b, const void *key, size_t klen,
		   const void *val, size_t vlen);
int pmkv_batch_delete(struct pmkv_batch *b, const void *key, size_t klen);

/*
 * pmkv_batch_commit -- apply every operation, all or nothing
 *
 * Durable when it returns 0: after a crash either every operation of the
 * batch is there or none is. Concurrent gets see all of it or none of it.
 * The batch is emptied on success and kept on failure.
 * Returns 0, -ENOSPC, -EROFS, -ENOMEM, PMKV_E_POISONED or PMKV_E_CORRUPT
 * (as pmkv_put()).
 */
int pmkv_batch_commit(struct pmkv_batch *b);

/*
 * pmkv_batch_free -- free a batch (committed or not) and set *b to NULL
 */
void pmkv_batch_free(struct pmkv_batch **b);

/* ------------------------------------------------------------------ */
/* backup, restore and verify */

/*
 * A backup is one file (or block device) holding the pool's state as of
 * one version: its segments, moved by direct I/O straight from the pool's
 * pages to the target and, at restore, from the backup into the new
 * pool's pages. An incremental backup names a base backup and holds only
 * what is new since it; restore applies the chain. See pmkv_backup(3).
 */

/* flags for pmkv_transfer_config_set_flags() */
#define PMKV_T_OVERWRITE (1U << 0)	/* backup: replace an existing file */
#define PMKV_T_NO_DIRECT (1U << 1)	/* buffered I/O, without O_DIRECT */
#define PMKV_T_NO_URING (1U << 2)	/* synchronous I/O, without io_uring */
#define PMKV_T_NO_FIXED (1U << 3)	/* io_uring without registered buffers */
#define PMKV_T_VALID (PMKV_T_OVERWRITE | PMKV_T_NO_DIRECT | PMKV_T_NO_URING | \
		      PMKV_T_NO_FIXED)

#define PMKV_QUEUE_DEPTH_DEFAULT 64U	/* requests in flight */
#define PMKV_QUEUE_DEPTH_MAX 4096U

/* how a transfer moved its bytes, the fastest first; chosen at run time */
enum pmkv_transfer_path {
	PMKV_PATH_NONE = 0,		/* nothing was moved */
	PMKV_PATH_URING_FIXED = 1,	/* io_uring, O_DIRECT, the pool's
					   mapping registered as buffers */
	PMKV_PATH_URING = 2,		/* io_uring, O_DIRECT */
	PMKV_PATH_SYNC_DIRECT = 3,	/* pread/pwrite, O_DIRECT: no io_uring */
	PMKV_PATH_BUFFERED = 4,		/* the page cache: the target refuses
					   O_DIRECT, or PMKV_T_NO_DIRECT */
};

/*
 * pmkv_progress_cb -- called as a transfer goes on: done of total bytes
 *
 * Return 0 to go on; any other value stops the transfer, which then
 * fails with -ECANCELED and leaves nothing behind.
 */
typedef int (*pmkv_progress_cb)(uint64_t done, uint64_t total, void *arg);

/*
 * pmkv_transfer_config_new -- transfer options with defaults: a full
 * backup, no flags, PMKV_QUEUE_DEPTH_DEFAULT, no progress callback.
 * Returns 0 or -ENOMEM. A NULL config means these defaults everywhere.
 */
int pmkv_transfer_config_new(struct pmkv_transfer_config **tc);

/* pmkv_transfer_config_free -- free it and set *tc to NULL (NULL is fine) */
void pmkv_transfer_config_free(struct pmkv_transfer_config **tc);

/*
 * pmkv_transfer_config_set_flags -- PMKV_T_* flags
 * Returns 0, or -EINVAL for bits outside PMKV_T_VALID.
 */
int pmkv_transfer_config_set_flags(struct pmkv_transfer_config *tc,
				   unsigned flags);

/*
 * pmkv_transfer_config_set_base -- make pmkv_backup() incremental
 *
 * [in] base: a backup of the same pool (full or incremental), which must
 * stay where it is: restore reads it again. NULL: a full backup. The path
 * is copied. Returns 0, -EINVAL (too long) or -ENOMEM.
 */
int pmkv_transfer_config_set_base(struct pmkv_transfer_config *tc,
				  const char *base);

/*
 * pmkv_transfer_config_set_queue_depth -- requests kept in flight, each
 * of up to 1 MiB. Returns 0, or -EINVAL outside 1..PMKV_QUEUE_DEPTH_MAX.
 */
int pmkv_transfer_config_set_queue_depth(struct pmkv_transfer_config *tc,
					 unsigned depth);

/*
 * pmkv_transfer_config_set_progress -- call cb(done, total, arg) as
 * bytes move (NULL: none). Returns 0.
 */
int pmkv_transfer_config_set_progress(struct pmkv_transfer_config *tc,
				      pmkv_progress_cb cb, void *arg);

/* what a backup, restore or verify did */
struct pmkv_transfer_report {
	enum pmkv_transfer_path path;
	uint32_t chain;		/* backups read (restore, verify) or that a
				   restore of this one reads (backup) */
	uint64_t bytes;		/* moved between memory and the file */
	uint64_t bounce_bytes;	/* of them, copied through a buffer or the
				   page cache by the CPU */
	uint64_t segments;	/* segments in the backed-up state */
	uint64_t segments_copied;	/* of them, with bytes in this file */
	uint64_t records;	/* restore, verify: records checked */
	uint64_t version;	/* V: the backup holds every write below it */
	uint64_t elapsed_ns;
	uint8_t uuid[16];	/* the backup's */
	uint8_t base_uuid[16];	/* its base's; zeros for a full backup */
	uint8_t pool_uuid[16];	/* the pool's it was taken of */
};

/*
 * pmkv_transfer_path_name -- "uring-fixed", "uring", "sync-direct",
 * "buffered" or "none"; never NULL
 */
const char *pmkv_transfer_path_name(enum pmkv_transfer_path path);

/*
 * pmkv_backup -- copy the pool's state into a new backup file, hot
 *
 * [in] target: a new file, or a block device.
 * [in] tc: options (NULL: defaults); its base makes the backup incremental.
 * [out] rep: what was done, may be NULL; [in] rep_size: sizeof(*rep) as
 * the caller knows it.
 * The backup holds the state at one version V, taken when the call
 * starts: every write acknowledged before the call, no write after it;
 * a batch is in it whole or not at all. Other threads may go on using
 * the handle meanwhile. Segments the backup has still to copy are not
 * reclaimed; a writer that needs room only they could give gets -ENOSPC
 * until they are copied (see pmkv_backup(3)).
 * Returns 0 when the backup is durable, or:
 *   -EEXIST   target exists (PMKV_T_OVERWRITE replaces a file)
 *   -ENOSPC   the target's filesystem is full: the partial file is removed
 *   -EINVAL   a bad argument or a target that is neither a file nor a
 *             block device
 *   -ECANCELED  the progress callback asked to stop
 *   -EROFS    never: a read-only handle can be backed up
 *   PMKV_E_FOREIGN  the base is no backup, or one of another pool
 *   PMKV_E_CORRUPT  the base is damaged or cut short
 *   PMKV_E_VERSION  the base is of another format
 *   -errno    the target's own errors (-EIO, -EACCES, ...)
 * The pool and its writers are unaffected by any failure.
 */
int pmkv_backup(struct pmkv *kv, const char *target,
		const struct pmkv_transfer_config *tc,
		struct pmkv_transfer_report *rep, size_t rep_size);

/*
 * pmkv_restore -- make a new pool at path from a backup and its chain
 *
 * [in] backup: a backup file; an incremental one's bases are read from
 * where they were when it was taken.
 * [in] cfg: PMKV_F_CREATE is implied (PMKV_F_NO_HELPER is kept); its
 * size, if not 0, is the new pool's (0: the backup's pool size); the
 * segments are the backup's size whatever the pool's; mode as for
 * pmkv_open(). A devdax device must hold no pool.
 * The bytes go from the backup into the new pool's pages by direct I/O,
 * are made durable, and every record's checksums are checked before the
 * pool becomes valid: a pool whose restore was interrupted is refused by
 * pmkv_open() with PMKV_E_CORRUPT. The pool is closed at return.
 * Returns 0, or:
 *   -EEXIST   path holds a pool or a file that is not empty
 *   -ENOENT   no such backup (or base)
 *   -ENOSPC   the pool or its filesystem is too small for the backup
 *   -EINVAL   a bad argument
 *   -ECANCELED  the progress callback asked to stop
 *   PMKV_E_FOREIGN  not a backup, or a chain mixing pools
 *   PMKV_E_CORRUPT  a backup damaged or cut short (nothing stays valid)
 *   PMKV_E_VERSION  a backup of another format
 */
int pmkv_restore(const char *backup, const char *path,
		 const struct pmkv_config *cfg,
		 const struct pmkv_transfer_config *tc,
		 struct pmkv_transfer_report *rep, size_t rep_size);

/*
 * pmkv_verify -- check a backup and its chain without restoring it
 *
 * Reads every byte by direct I/O and checks the header, the table, the
 * chain (the same pool, in order) and every record's checksums.
 * Returns 0, or -ENOENT, PMKV_E_FOREIGN, PMKV_E_VERSION, PMKV_E_CORRUPT
 * (the message names the backup file, the segment and the offset),
 * -ECANCELED or -errno.
 */
int pmkv_verify(const char *backup, const struct pmkv_transfer_config *tc,
		struct pmkv_transfer_report *rep, size_t rep_size);

/*
 * pmkv_put_from_fd -- put a value of vlen bytes read from a file
 *
 * [in] fd: open for reading; its flags and offset are not changed.
 * [in] offset: where the value starts in the file.
 * [in] tc, rep, rep_size: as for pmkv_backup() (no base).
 * The device writes the value straight into the record's pmem pages by
 * direct I/O where it can: a value of 64 KiB or more read from a page-
 * aligned offset of a file that takes O_DIRECT (its last partial page,
 * and anything else, goes through the page cache: bounce bytes). The put
 * is durable and atomic as any pmkv_put(), one fence after the value is
 * flushed. Returns 0, pmkv_put()'s errors, or:
 *   -EBADF    fd is not open for reading
 *   -EINVAL   fd is neither a regular file nor a block device (a pipe
 *             or a socket has no offsets)
 *   -ENODATA  the file ends before offset + vlen; nothing was put
 *   -errno    the file's own read errors; nothing was put
 * The writer of the calling thread is held while the value is read.
 */
int pmkv_put_from_fd(struct pmkv *kv, const void *key, size_t klen, int fd,
		     uint64_t offset, size_t vlen,
		     const struct pmkv_transfer_config *tc,
		     struct pmkv_transfer_report *rep, size_t rep_size);

/*
 * pmkv_get_to_fd -- write a key's value to a file at offset
 *
 * [in] fd: open for writing. [out] vlen: the value's size; may be NULL.
 * The value's checksum is checked before a byte is written; the bytes go
 * from the pool's pages by direct I/O as pmkv_put_from_fd() reads them.
 * Returns 0, -ENOENT, -EINVAL (also for fd neither a regular file nor a
 * block device, or open with O_APPEND), -EBADF (not open for writing),
 * PMKV_E_CORRUPT, or the file's own write errors (-ENOSPC, -EIO, ...:
 * what was written of the value then is undefined).
 */
int pmkv_get_to_fd(struct pmkv *kv, const void *key, size_t klen, int fd,
		   uint64_t offset, size_t *vlen,
		   const struct pmkv_transfer_config *tc,
		   struct pmkv_transfer_report *rep, size_t rep_size);

/* ------------------------------------------------------------------ */
/* information and statistics */

struct pmkv_info {
	enum pmkv_media media;
	int is_pmem;		/* 1: flushes reach the medium from user space */
	int pmem_forced;	/* 1: PMEM_IS_PMEM_FORCE=1 made it so */
	uint64_t pool_size;	/* bytes of the pool */
	uint64_t segment_size;	/* bytes of one log segment */
	uint32_t format_major, format_minor;
	uint64_t device_align;	/* devdax alignment, 0 elsewhere */
	int unsafe_shutdown;	/* 1: the platform counted an unsafe shutdown
				   while the pool was last open read-write */
};

/*
 * pmkv_get_info -- what pmkv_open() found and decided
 *
 * [in] size: sizeof(struct pmkv_info) as the caller knows it; fields
 * beyond it are not written, and bytes beyond the library's own struct are
 * left alone. Returns 0 or -EINVAL.
 */
int pmkv_get_info(struct pmkv *kv, struct pmkv_info *info, size_t size);

struct pmkv_stats {
	uint64_t keys;		/* live keys */
	uint64_t puts, gets, deletes;	/* calls that succeeded; a batch counts
					   each of its operations as a put */
	uint64_t fences;	/* persistence fences (drains, msyncs) */
	uint64_t flushed_bytes;	/* bytes flushed to the medium */
	uint64_t log_bytes_used;	/* bytes in allocated segments */
	uint64_t log_bytes_live;	/* of them, still needed */
	uint64_t segments;	/* allocated log segments */
	uint64_t gc_runs;	/* segments reclaimed */
	uint64_t gc_bytes_copied;	/* live bytes moved by reclamation */
	uint64_t index_bytes;	/* DRAM held by the index */
	uint64_t recovery_ns;	/* time pmkv_open() spent rebuilding */
	uint64_t recovered_records;	/* valid records read at open */
	uint64_t damaged_records;	/* PMKV_F_SALVAGE: damaged records
					   found at open (scans skip them) */
	uint64_t damaged_segments;	/* PMKV_F_SALVAGE: slots read around
					   a damaged entry or header, or left */
	uint64_t transfer_bytes;	/* moved by pmkv_backup() and the
					   large-value calls on this handle */
	uint64_t bounce_bytes;	/* of them, copied by the CPU through a
				   buffer or the page cache: 0 when direct */
};

/*
 * pmkv_get_stats -- counters since open
 *
 * Counters are summed from per-thread parts without stopping writers: each
 * is exact once writers are quiet. [in] size as for pmkv_get_info().
 * Returns 0 or -EINVAL.
 */
int pmkv_get_stats(struct pmkv *kv, struct pmkv_stats *st, size_t size);

/* ------------------------------------------------------------------ */
/* error handling */

/*
 * pmkv_errormsg -- the calling thread's message for its last failure
 *
 * Set on failure only: meaningful right after a call that failed. Never
 * NULL; valid until the thread's next pmkv call.
 */
const char *pmkv_errormsg(void);

/*
 * pmkv_strerror -- a constant string for any return code: PMKV_E_*,
 * -errno or 0. Never NULL.
 */
const char *pmkv_strerror(int code);

/*
 * pmkv_err_to_errno -- the positive errno closest to a return code
 *
 * -errno gives errno; PMKV_E_CORRUPT gives EUCLEAN, PMKV_E_FOREIGN
 * EINVAL, PMKV_E_VERSION EPROTONOSUPPORT, PMKV_E_GRANULARITY EOPNOTSUPP,
 * PMKV_E_POISONED EIO, and anything else EINVAL.
 */
int pmkv_err_to_errno(int code);

/* ------------------------------------------------------------------ */
/* logging */

/* levels, as syslog numbers */
#define PMKV_LOG_ERR 3
#define PMKV_LOG_WARN 4
#define PMKV_LOG_INFO 6
#define PMKV_LOG_DEBUG 7

/*
 * pmkv_log_fn -- a log sink: message is formatted, without a newline
 */
typedef void (*pmkv_log_fn)(void *userdata, int level, const char *file,
			    int line, const char *func, const char *message);

/*
 * pmkv_log_set_fn -- send log messages to fn (NULL: back to stderr)
 *
 * The library is silent until PMKV_LOG (err, warn, info, debug or 3..7)
 * or pmkv_log_set_level() asks for messages. Neither call is thread-safe:
 * make them before other threads use the library.
 */
void pmkv_log_set_fn(pmkv_log_fn fn, void *userdata);

/*
 * pmkv_log_set_level -- the most verbose level that is logged
 *
 * Returns 0, or -EINVAL outside PMKV_LOG_ERR - 1 (silent) .. PMKV_LOG_DEBUG.
 */
int pmkv_log_set_level(int level);

#ifdef __cplusplus
}
#endif

#endif /* LIBPMKV_H */
