/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tx.h -- helpers of the transfer tests: a model of what a pool holds,
 * where pools, restores and backups go, and which path to expect
 *
 * The programs run on the host (a pool on tmpfs or PMKV_TEST_DIR, backups
 * in a directory on a disk) and in the kernel suite's guest (pools on
 * devdax and on ext4/xfs -o dax, backups on a DAX mount and on null_blk).
 * What path a transfer may take is decided here from probes of the
 * kernel and of the files themselves, not from what the library says.
 */
#ifndef PMKV_TX_H
#define PMKV_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "t.h"

#define TX_KiB 1024ULL
#define TX_MiB (1024ULL * 1024)

/* ------------------------------------------------------------------ */
/* the model: key i is "tx/%08u"; its value is a function of (i, gen, len) */

struct tx_ent {
	uint32_t gen;		/* 0: never written */
	uint32_t vlen;
	bool present;
};

struct tx_model {
	unsigned n;
	struct tx_ent *e;
	size_t vmax;		/* the largest value ever put */
};

void tx_model_init(struct tx_model *m, unsigned n);
/* dst becomes a copy of src (dst may hold an earlier copy) */
void tx_model_copy(struct tx_model *dst, const struct tx_model *src);
void tx_model_free(struct tx_model *m);
/* keys present */
unsigned tx_model_count(const struct tx_model *m);

size_t tx_key(unsigned i, char *k);	/* k: at least 16 bytes */
void tx_value(unsigned i, uint32_t gen, uint8_t *buf, size_t len);

/* a new value of len bytes for key i, durably, and in the model */
void tx_put(struct pmkv *kv, struct tx_model *m, unsigned i, size_t len);
/* key i must be present: removed from the pool and the model */
void tx_delete(struct pmkv *kv, struct tx_model *m, unsigned i);
/* add to a batch; the model changes only at tx_batch_commit() */
void tx_batch_put(struct pmkv_batch *b, struct tx_model *pending,
		  unsigned i, size_t len);
void tx_batch_delete(struct pmkv_batch *b, struct tx_model *pending,
		     unsigned i);

/*
 * Fill keys [first, first + count) with values of mixed sizes: mostly a
 * few bytes to a few KiB, every 16th of 64 KiB and more (65536, 65537,
 * 200000, and every 64th 1.5 MiB, past a 1 MiB segment).
 */
void tx_fill(struct pmkv *kv, struct tx_model *m, unsigned first,
	     unsigned count);
size_t tx_mixed_len(unsigned i);

/*
 * The pool holds exactly the model: every key's value byte for byte, no
 * deleted key, and no key the model does not know (a scan counts them).
 * what names the pool in a failure.
 */
void tx_model_check(struct pmkv *kv, const struct tx_model *m,
		    const char *what);
/* open path read-only, tx_model_check, close */
void tx_check_pool(const char *path, const struct tx_model *m,
		   const char *what);

/* ------------------------------------------------------------------ */
/* where things go */

/*
 * The source pool: on the device PMKV_TEST_DEVDAX names (its start is
 * zeroed first: set it only for a device whose contents may be lost), or
 * a file of size bytes from t_pool_tmp().
 */
struct tx_pool {
	char path[512];
	bool devdax;
	struct pmkv *kv;
	struct pmkv_info info;
};
void tx_pool_create(struct tx_pool *p, const char *name, uint64_t size);
void tx_pool_close(struct tx_pool *p);
/* open it again read-write (after tx_pool_close) */
void tx_pool_reopen(struct tx_pool *p);
/* close it and leave no pool behind: a device is wiped, a file removed */
void tx_pool_destroy(struct tx_pool *p);

/*
 * Backups go here: $PMKV_TEST_BACKUP_DIR (as t_backup_tmp()); else $PMKV_TEST_DIR unless it
 * is tmpfs; else the guest's ext4 or xfs DAX mount ($KT_EXT4, $KT_XFS);
 * else /var/tmp unless it is tmpfs; else t_tmp_dir().
 */
const char *tx_target_dir(void);
/*
 * Restored pools that are files go here: $PMKV_TEST_DIR unless it is
 * tmpfs; else the guest's DAX mount; else t_tmp_dir().
 */
const char *tx_restore_dir(void);

/*
 * tx_path -- a fresh path in dir, removed at exit by the process that
 * asked for it (with its ".pmkv-partial" sibling); T_KEEP=1 keeps it
 */
char *tx_path(char *buf, size_t n, const char *dir, const char *name);

/*
 * tx_restore_dest -- where a restore of the pool src goes: a spare devdax
 * device when src is on devdax and one is free (PMKV_TEST_DEVDAX_SPARE,
 * or the guest's other namespace, KT_DEVDAX_2M/4K, if it holds no pool
 * (tx_devdax_free) and is big enough); else a fresh file in
 * tx_restore_dir(). *dev says which. tx_dest_release() removes the file
 * or wipes the device again, so that the next restore finds it free.
 */
void tx_restore_dest(char *buf, size_t n, const char *name,
		     const struct tx_pool *src, bool *dev);
void tx_dest_release(const char *path, bool dev);

/*
 * tx_devdax_wipe -- no pool on a devdax device any more: its first 4 KiB
 * and its superblock's copy near the end zeroed (format 2 keeps one)
 */
void tx_devdax_wipe(const char *dev);
/* whether a devdax device holds no pool: zeros at the start, no copy */
bool tx_devdax_free(const char *dev);
/* its size from sysfs, 0 when unknown */
uint64_t tx_devdax_size(const char *dev);

/* ------------------------------------------------------------------ */
/* a scratch block device */

/*
 * tx_blockdev -- the device PMKV_TEST_BLOCKDEV names, else the guest's
 * memory-backed null_blk ($KT_FAST), with its size; NULL and why when
 * there is none or it does not keep what is written (it is written to)
 */
const char *tx_blockdev(uint64_t *size, const char **why);
/* len bytes at off of a file or device by O_DIRECT; exits on error */
void tx_dio(const char *path, bool wr, void *buf, size_t len, uint64_t off);
/* len bytes aligned to 4096; exits when out of memory */
void *tx_aligned(size_t len);

/* ------------------------------------------------------------------ */
/* what the kernel and the files allow: the expected paths */

/* the running kernel's major.minor as major * 1000 + minor */
unsigned tx_kernel_version(void);
/* io_uring_setup() works here (not ENOSYS, EPERM, io_uring_disabled) */
bool tx_uring_works(void);
/*
 * Whether io_uring registers buffers over a shared mapping of path
 * (a pool file or a devdax device; its first 2 MiB), as the engine would
 * register the pool's: shmem yes; fsdax and page-cache files no; devdax
 * from 6.12. why: the errno when not.
 */
bool tx_fixed_works(const char *path, int *why);
/*
 * Whether direct I/O with 4 KiB alignment works on a new file in dir, or
 * on the file or block device path: O_DIRECT accepted and statx's
 * DIOALIGN (where reported) at most 4096.
 */
bool tx_direct_works(const char *path_or_dir, bool is_dir);

/*
 * The path a transfer takes: NO_DIRECT or a file without direct I/O:
 * buffered; NO_URING or no io_uring: sync-direct; NO_FIXED or memory
 * io_uring does not register: uring; else uring-fixed.
 */
enum pmkv_transfer_path tx_expect(unsigned flags, bool direct, bool uring,
				  bool fixed);

/*
 * Check a report against the expected path and print it as
 * "# path: NAME what (bytes, bounce)": bounce_bytes must be 0 on every
 * path but buffered, and every byte on buffered.
 */
void tx_check_report(const struct pmkv_transfer_report *rep,
		     enum pmkv_transfer_path want, const char *what);
/* as tx_check_report, when either of two paths is right */
void tx_check_report2(const struct pmkv_transfer_report *rep,
		      enum pmkv_transfer_path want,
		      enum pmkv_transfer_path or, const char *what);

/* a transfer config with flags; free with pmkv_transfer_config_free */
struct pmkv_transfer_config *tx_tc(unsigned flags, const char *base);

/* PMKV_T_* flags as text, for messages */
const char *tx_flags_name(unsigned flags);

#endif /* PMKV_TX_H */
