/* SPDX-License-Identifier: BSD-3-Clause */
/* backup.c -- back up a pool while it is open, verify, restore, read back */

/*
 * Usage: backup [DIR]
 *
 * Creates a pool, a backup of it and a restored pool in DIR (default
 * /dev/shm), under names made from this process's id, and removes all
 * three at the end. The restored pool holds what the pool held when the
 * backup started: a key put after it is not there.
 */
#define _POSIX_C_SOURCE 200809L

#include <libpmkv.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NKEYS 100

/* report a failed call: the code's name, then the thread's detail */
static void fail(const char *path, const char *call, int ret)
{
	char msg[512];

	/* copy the detail first: it is valid only until the next pmkv call */
	snprintf(msg, sizeof(msg), "%s", pmkv_errormsg());
	fprintf(stderr, "backup: %s: %s: %s: %s\n", path, call,
		pmkv_strerror(ret), msg);
}

/*
 * Called as the bytes move, in the thread that called pmkv_backup(),
 * pmkv_restore() or pmkv_verify(). Returning nonzero would cancel the
 * transfer (-ECANCELED), leaving no backup file or pool behind.
 */
static int progress(uint64_t done, uint64_t total, void *arg)
{
	const char *what = arg;

	/* a progress line is for people: draw it on a terminal only */
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%s: %" PRIu64 " of %" PRIu64 " KiB", what,
			done >> 10, total >> 10);
	return 0;
}

static void progress_end(void)
{
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
}

static int open_pool(const char *path, unsigned flags, struct pmkv **kv)
{
	struct pmkv_config *cfg;
	int ret;

	ret = pmkv_config_new(&cfg);
	if (ret) {
		fail(path, "pmkv_config_new", ret);
		return ret;
	}
	ret = pmkv_config_set_flags(cfg, flags);
	if (ret == 0)
		ret = pmkv_config_set_size(cfg, PMKV_POOL_MIN);
	if (ret == 0)
		ret = pmkv_open(path, cfg, kv);
	if (ret)
		fail(path, "pmkv_open", ret);
	pmkv_config_free(&cfg);
	return ret;
}

/* a backup copies records without reading them: only the others count them */
static void print_report(const char *what, const struct pmkv_transfer_report *r)
{
	printf("%s: version %" PRIu64 ", %" PRIu64 " bytes by %s, %" PRIu64
	       " of them bounced", what, r->version, r->bytes,
	       pmkv_transfer_path_name(r->path), r->bounce_bytes);
	if (r->records)
		printf(", %" PRIu64 " records checked", r->records);
	printf("\n");
}

/* fill a pool, back it up while it is open, write once more after that */
static int make_backup(const char *pool, const char *backup)
{
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report rep;
	struct pmkv_stats st;
	struct pmkv *kv;
	char key[32], val[64];
	int ret, rc = 1;

	if (open_pool(pool, PMKV_F_CREATE | PMKV_F_EXCL, &kv))
		return 1;
	for (int i = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "key-%03d", i);
		snprintf(val, sizeof(val), "value of key %d", i);
		ret = pmkv_put(kv, key, strlen(key), val, strlen(val));
		if (ret) {
			fail(pool, "pmkv_put", ret);
			goto out;
		}
	}

	ret = pmkv_transfer_config_new(&tc);
	if (ret == 0)
		ret = pmkv_transfer_config_set_progress(tc, progress, "backup");
	if (ret) {
		fail(pool, "pmkv_transfer_config", ret);
		goto out;
	}
	/*
	 * The backup holds every write acknowledged before this call. Other
	 * threads could go on putting meanwhile; the bytes go from the pool's
	 * pages to the file by direct I/O where the file system allows it.
	 */
	ret = pmkv_backup(kv, backup, tc, &rep, sizeof(rep));
	progress_end();
	if (ret) {
		fail(backup, "pmkv_backup", ret);
		goto out;
	}
	print_report("backup", &rep);

	/* after the backup's version: a restore of it will not have this */
	ret = pmkv_put(kv, "after", 5, "not in the backup", 17);
	if (ret) {
		fail(pool, "pmkv_put", ret);
		goto out;
	}

	/* what the handle's backups moved, and how much the CPU copied */
	ret = pmkv_get_stats(kv, &st, sizeof(st));
	if (ret) {
		fail(pool, "pmkv_get_stats", ret);
		goto out;
	}
	printf("stats: transfer_bytes %" PRIu64 ", bounce_bytes %" PRIu64 "\n",
	       st.transfer_bytes, st.bounce_bytes);
	rc = 0;

out:
	pmkv_transfer_config_free(&tc);
	pmkv_close(&kv);
	return rc;
}

/* check every record of the backup, then make a new pool from it */
static int verify_and_restore(const char *backup, const char *restored)
{
	struct pmkv_transfer_report rep;
	int ret;

	/* NULL options: the defaults, no progress callback */
	ret = pmkv_verify(backup, NULL, &rep, sizeof(rep));
	if (ret) {
		fail(backup, "pmkv_verify", ret);
		return 1;
	}
	print_report("verify", &rep);

	/*
	 * NULL config: a pool of the backup's size. The new pool is closed
	 * when the call returns, and no open accepts it until the restore
	 * has checked every record.
	 */
	ret = pmkv_restore(backup, restored, NULL, NULL, &rep, sizeof(rep));
	if (ret) {
		fail(restored, "pmkv_restore", ret);
		return 1;
	}
	print_report("restore", &rep);
	return 0;
}

/* the restored pool has the keys from before the backup, not the later one */
static int read_back(const char *restored)
{
	struct pmkv *kv;
	char buf[64];
	size_t vlen = 0;
	int ret, rc = 1;

	if (open_pool(restored, PMKV_F_RDONLY, &kv))
		return 1;
	ret = pmkv_get(kv, "key-042", 7, buf, sizeof(buf) - 1, &vlen);
	if (ret) {
		fail(restored, "pmkv_get key-042", ret);
		goto out;
	}
	buf[vlen] = '\0';
	printf("restored: key-042 = %s\n", buf);

	ret = pmkv_exists(kv, "after", 5);
	if (ret != -ENOENT) {
		fprintf(stderr, "backup: %s: a key put after the backup: %s\n",
			restored, pmkv_strerror(ret));
		goto out;
	}
	printf("restored: after is not there\n");
	rc = 0;

out:
	pmkv_close(&kv);
	return rc;
}

static int remove_file(const char *path)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	perror(path);
	return 1;
}

int main(int argc, char *argv[])
{
	const char *dir = argc > 1 ? argv[1] : "/dev/shm";
	char pool[512], backup[512], restored[512];
	long pid = (long)getpid();
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: backup [DIR]\n");
		return 2;
	}
	snprintf(pool, sizeof(pool), "%s/pmkv-backup-%ld.pool", dir, pid);
	snprintf(backup, sizeof(backup), "%s/pmkv-backup-%ld.backup", dir, pid);
	snprintf(restored, sizeof(restored), "%s/pmkv-backup-%ld.restored",
		 dir, pid);

	/* names of this process's own: never remove what was there before */
	if (access(pool, F_OK) == 0 || access(backup, F_OK) == 0 ||
	    access(restored, F_OK) == 0) {
		fprintf(stderr, "backup: %s/pmkv-backup-%ld.*: exists\n", dir,
			pid);
		return 1;
	}

	rc = make_backup(pool, backup);
	if (rc == 0)
		rc = verify_and_restore(backup, restored);
	if (rc == 0)
		rc = read_back(restored);

	rc |= remove_file(restored);
	rc |= remove_file(backup);
	rc |= remove_file(pool);
	return rc;
}
