// SPDX-License-Identifier: BSD-3-Clause
/* backup-errors.c -- bad input to backup, restore and verify loses nothing */
/*
 * Proves, each with a clear error and nothing lost:
 * - backup: a target that exists (-EEXIST, the file unchanged; replaced
 *   with PMKV_T_OVERWRITE), a missing directory (-ENOENT), a file system
 *   that fills (-ENOSPC, no file left, the pool and its writers go on), a
 *   progress callback that stops it (-ECANCELED, no file left), a base
 *   of another pool (PMKV_E_FOREIGN), a base that is no backup;
 * - verify and restore: a file that is no backup or empty
 *   (PMKV_E_FOREIGN), a header of another format (PMKV_E_VERSION), a
 *   flipped byte in a header, a table or a record, a backup cut short
 *   (PMKV_E_CORRUPT; the message names the segment and offset for a
 *   record), a base that was removed (-ENOENT) or replaced by another
 *   backup (PMKV_E_FOREIGN); a failed restore leaves no pool behind;
 * - restore onto an existing pool (-EEXIST, the pool unchanged);
 * - a pool whose restore did not finish is refused by every open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup_file.h"
#include "t.h"

static char pool[4096], other[4096];

static void fill(struct pmkv *kv, unsigned n)
{
	char k[32], v[600];

	memset(v, 'v', sizeof(v));
	for (unsigned i = 0; i < n; i++) {
		int klen = sprintf(k, "key/%06u", i);

		T_ASSERT_OK(pmkv_put(kv, k, (size_t)klen, v, sizeof(v)));
	}
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static int stop_at_half(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	return done * 2 >= total;
}

/* the backup's header, read and written back with its checksum redone */
static void edit_header(const char *bk, void (*edit)(struct pmkv_backup_header *))
{
	struct pmkv_backup_header h;

	t_pread(bk, &h, sizeof(h), 0);
	edit(&h);
	h.csum = backup_file_header_csum(&h);
	t_pwrite(bk, &h, sizeof(h), 0);
}

static void future(struct pmkv_backup_header *h)
{
	h->format_major = PMKV_FORMAT_MAJOR + 1;
}

/* a copy of bk with one byte flipped at off */
static void flipped(const char *bk, char *out, size_t n, uint64_t off)
{
	uint8_t b;

	t_backup_tmp(out, n, "flipped");
	t_copy_file(bk, out);
	t_pread(out, &b, 1, off);
	b ^= 0x10;
	t_pwrite(out, &b, 1, off);
}

/* restore and verify both refuse bk with want; no pool is left */
static void refused(const char *bk, int want, const char *needle)
{
	char out[4096];

	T_EXPECT_ERR(pmkv_verify(bk, NULL, NULL, 0), want, needle);
	t_pool_tmp(out, sizeof(out), "refused");
	T_EXPECT_ERR(pmkv_restore(bk, out, NULL, NULL, NULL, 0), want, needle);
	T_ASSERT(!exists(out));
}

int main(void)
{
	struct pmkv_transfer_config *tc;
	struct pmkv_backup_seg e;
	char bk[4096], bk2[4096], bad[4096], out[4096], path[4096];
	struct t_snap snap;
	struct pmkv *kv, *kv2;
	uint64_t one = 1, sz;

	kv = t_pool_create(t_pool_tmp(pool, sizeof(pool), "errors"), 32ULL << 20);
	fill(kv, 3000);
	t_backup_tmp(bk, sizeof(bk), "errors");
	T_ASSERT_OK(pmkv_backup(kv, bk, NULL, NULL, 0));

	/* the target exists: refused, unchanged; replaced when asked */
	t_snap_take(&snap, bk);
	T_EXPECT_ERR(pmkv_backup(kv, bk, NULL, NULL, 0), -EEXIST, "exists");
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
	T_ASSERT_OK(pmkv_transfer_config_new(&tc));
	T_ASSERT_OK(pmkv_transfer_config_set_flags(tc, PMKV_T_OVERWRITE));
	T_ASSERT_OK(pmkv_backup(kv, bk, tc, NULL, 0));
	T_ASSERT_OK(pmkv_verify(bk, NULL, NULL, 0));
	T_ASSERT_EQ(pmkv_transfer_config_set_flags(tc, ~0U), -EINVAL);
	T_ASSERT_EQ(pmkv_transfer_config_set_queue_depth(tc, 0), -EINVAL);
	T_ASSERT_EQ(pmkv_transfer_config_set_queue_depth(tc, PMKV_QUEUE_DEPTH_MAX + 1),
		    -EINVAL);

	/* stopped half-way: nothing at the target */
	T_ASSERT_OK(pmkv_transfer_config_set_flags(tc, 0));
	T_ASSERT_OK(pmkv_transfer_config_set_progress(tc, stop_at_half, NULL));
	t_backup_tmp(bk2, sizeof(bk2), "cancel");
	T_EXPECT_ERR(pmkv_backup(kv, bk2, tc, NULL, 0), -ECANCELED, "progress");
	T_ASSERT(!exists(bk2));
	pmkv_transfer_config_free(&tc);

	T_EXPECT_ERR(pmkv_backup(kv, "/nonexistent-dir/backup", NULL, NULL, 0),
		     -ENOENT, "nonexistent");
	T_ASSERT_EQ(pmkv_backup(kv, NULL, NULL, NULL, 0), -EINVAL);

	/* a base of another pool, or no backup at all */
	kv2 = t_pool_create(t_pool_tmp(other, sizeof(other), "other"), 0);
	fill(kv2, 10);
	T_ASSERT_OK(pmkv_transfer_config_new(&tc));
	T_ASSERT_OK(pmkv_transfer_config_set_base(tc, bk));
	t_backup_tmp(bk2, sizeof(bk2), "foreign");
	T_EXPECT_ERR(pmkv_backup(kv2, bk2, tc, NULL, 0), PMKV_E_FOREIGN,
		     "another pool");
	T_ASSERT(!exists(bk2));
	T_ASSERT_OK(pmkv_transfer_config_set_base(tc, pool));
	T_EXPECT_ERR(pmkv_backup(kv, bk2, tc, NULL, 0), PMKV_E_FOREIGN,
		     "not a pmkv backup");
	pmkv_transfer_config_free(&tc);

	/* a full file system: -ENOSPC, no file left, writers go on */
	{
		const char *dir = t_mount_tmpfs(1ULL << 20);

		snprintf(path, sizeof(path), "%s/backup", dir);
		T_EXPECT_ERR(pmkv_backup(kv, path, NULL, NULL, 0), -ENOSPC,
			     "room");
		T_ASSERT(!exists(path));
		snprintf(path, sizeof(path), "%s/backup.pmkv-partial", dir);
		T_ASSERT(!exists(path));
		fill(kv, 3100);
	}

	/* what is no backup */
	refused(pool, PMKV_E_FOREIGN, "not a pmkv backup");
	t_backup_tmp(bad, sizeof(bad), "empty");
	t_write_file(bad, "", 0);
	refused(bad, PMKV_E_FOREIGN, "not a pmkv backup");

	/* damage: header, table, a record; cut short; another format */
	flipped(bk, bad, sizeof(bad), 100);
	refused(bad, PMKV_E_CORRUPT, "header");
	flipped(bk, bad, sizeof(bad), 4096 + 8);
	refused(bad, PMKV_E_CORRUPT, "table");
	t_pread(bk, &e, sizeof(e), 4096);
	flipped(bk, bad, sizeof(bad), e.file_off + 64 + 48 + 20);
	refused(bad, PMKV_E_CORRUPT, "segment");
	flipped(bk, bad, sizeof(bad), e.file_off + 8);
	refused(bad, PMKV_E_CORRUPT, "header");
	t_backup_tmp(bad, sizeof(bad), "short");
	t_copy_file(bk, bad);
	sz = t_file_size(bad);
	T_ASSERT_OK(truncate(bad, (off_t)(sz - 4096)));
	refused(bad, PMKV_E_CORRUPT, "cut short");
	t_backup_tmp(bad, sizeof(bad), "future");
	t_copy_file(bk, bad);
	edit_header(bad, future);
	refused(bad, PMKV_E_VERSION, "format");

	/* an incremental backup whose base is gone, or another one */
	T_ASSERT_OK(pmkv_transfer_config_new(&tc));
	T_ASSERT_OK(pmkv_transfer_config_set_base(tc, bk));
	t_backup_tmp(bk2, sizeof(bk2), "incr");
	fill(kv, 3200);
	T_ASSERT_OK(pmkv_backup(kv, bk2, tc, NULL, 0));
	T_ASSERT_OK(pmkv_verify(bk2, NULL, NULL, 0));
	t_backup_tmp(bad, sizeof(bad), "moved");
	T_ASSERT_OK(rename(bk, bad));
	refused(bk2, -ENOENT, "base");
	T_ASSERT_OK(pmkv_transfer_config_set_flags(tc, PMKV_T_OVERWRITE));
	T_ASSERT_OK(pmkv_transfer_config_set_base(tc, NULL));
	T_ASSERT_OK(pmkv_backup(kv, bk, tc, NULL, 0));
	refused(bk2, PMKV_E_FOREIGN, "not the base");
	pmkv_transfer_config_free(&tc);

	/* restore onto a pool: refused, the pool unchanged */
	T_ASSERT_OK(pmkv_close(&kv2));
	t_snap_take(&snap, other);
	T_EXPECT_ERR(pmkv_restore(bk, other, NULL, NULL, NULL, 0), -EEXIST,
		     "holds a pool");
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	/* a restore that did not finish: no open accepts the pool */
	T_ASSERT_OK(pmkv_restore(bk, t_pool_tmp(out, sizeof(out), "restored"),
				 NULL, NULL, NULL, 0));
	t_pwrite(out, &one, sizeof(one), t_super_off(out) +
		 offsetof(struct pmkv_super, restoring));
	T_EXPECT_ERR(pmkv_open(out, NULL, &kv2), PMKV_E_CORRUPT,
		     "did not finish");
	{
		struct pmkv_config *cfg = t_cfg(0, PMKV_F_RDONLY);

		T_EXPECT_ERR(pmkv_open(out, cfg, &kv2), PMKV_E_CORRUPT,
			     "did not finish");
		pmkv_config_free(&cfg);
		cfg = t_cfg(0, PMKV_F_CREATE);
		T_EXPECT_ERR(pmkv_open(out, cfg, &kv2), PMKV_E_CORRUPT,
			     "did not finish");
		pmkv_config_free(&cfg);
	}
	T_ASSERT_OK(pmkv_close(&kv));
	unlink(bk);
	unlink(bk2);
	return T_EXIT_PASS;
}
