// SPDX-License-Identifier: BSD-3-Clause
/* transfer-blockdev.c -- backups on a raw block device and a filesystem on it */
/*
 * Proves: on the block device PMKV_TEST_BLOCKDEV names (else the kernel
 * suite guest's memory-backed null_blk, $KT_FAST; SKIP when neither, or
 * when the device does not keep what is written), a pool's full backup
 * is written in place on the raw device by direct I/O (never buffered, no
 * byte bounced), verifies, and restores byte for byte; an incremental
 * backup in a file whose base is the device restores as a chain of two;
 * once the device holds another backup of the same pool, or no backup at
 * all, that chain is refused (PMKV_E_FOREIGN). Then, for ext4 and xfs
 * (where mkfs is there and we may mount), a filesystem made on the
 * device holds a full and an incremental backup, by direct I/O too, and
 * the chain restores byte for byte and verifies.
 *
 * The device's contents are lost: name only a device that is scratch.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tx.h"

#define NKEYS 400U

static char mnt[256];
static bool mounted;

static void unmount_at_exit(void)
{
	if (mounted)
		umount2(mnt, MNT_DETACH);
	if (mnt[0])
		rmdir(mnt);
}

/* no backup header, no filesystem: the first 64 KiB zeroed */
static void wipe_start(const char *dev)
{
	void *z = tx_aligned(64 * TX_KiB);

	memset(z, 0, 64 * TX_KiB);
	tx_dio(dev, true, z, 64 * TX_KiB, 0);
	free(z);
}

/* run argv; its exit status, 127 when it is not there */
static int run(char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		t_error("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct env {
	bool uring, fixed;
};

static void backup(struct tx_pool *p, const char *target, const char *base,
		   const struct env *env, struct pmkv_transfer_report *rep,
		   const char *what)
{
	struct pmkv_transfer_config *tc = tx_tc(0, base);
	int rc;

	rc = pmkv_backup(p->kv, target, tc, rep, sizeof(*rep));
	if (rc)
		T_FAIL("%s to %s: %s: %s", what, target, pmkv_strerror(rc),
		       pmkv_errormsg());
	pmkv_transfer_config_free(&tc);
	/* block devices and disk filesystems all take direct I/O */
	if (!tx_direct_works(target, false))
		T_FAIL("%s: %s refuses direct I/O", what, target);
	tx_check_report(rep, tx_expect(0, true, env->uring, env->fixed), what);
}

static void restore_verify(const struct tx_pool *p, const char *backup,
			   const struct pmkv_transfer_report *brep,
			   const struct tx_model *m, const struct env *env,
			   const char *what)
{
	struct pmkv_transfer_report rr, rv;
	char dest[512], msg[640];
	bool dev;
	int rc, why;

	tx_restore_dest(dest, sizeof(dest), "blockdev-restored", p, &dev);
	snprintf(msg, sizeof(msg), "restore of %s into %s", what, dest);
	rc = pmkv_restore(backup, dest, NULL, NULL, &rr, sizeof(rr));
	if (rc)
		T_FAIL("%s: %s: %s", msg, pmkv_strerror(rc), pmkv_errormsg());
	tx_check_report(&rr, tx_expect(0, true, env->uring,
				       tx_fixed_works(dest, &why)), msg);
	T_ASSERT_EQ(rr.chain, brep->chain);
	T_ASSERT_MEM_EQ(rr.uuid, brep->uuid, 16);
	tx_check_pool(dest, m, msg);
	tx_dest_release(dest, dev);

	snprintf(msg, sizeof(msg), "verify of %s", what);
	rc = pmkv_verify(backup, NULL, &rv, sizeof(rv));
	if (rc)
		T_FAIL("%s: %s: %s", msg, pmkv_strerror(rc), pmkv_errormsg());
	tx_check_report2(&rv, tx_expect(0, true, env->uring, true),
			 tx_expect(0, true, env->uring, false), msg);
	T_ASSERT_EQ(rv.chain, brep->chain);
	T_ASSERT_EQ(rv.records, rr.records);
}

/* more writes: overwrites, deletes, a batch */
static void churn(struct pmkv *kv, struct tx_model *m, unsigned round)
{
	struct tx_model pending = { 0 };
	struct pmkv_batch *b;
	unsigned i;

	for (i = round; i < NKEYS; i += 9)
		tx_put(kv, m, i, tx_mixed_len(i + round * 5 + 1));
	for (i = round + 4; i < NKEYS; i += 13)
		if (m->e[i].present)
			tx_delete(kv, m, i);
	tx_model_copy(&pending, m);
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	for (i = round + 2; i < NKEYS; i += 41)
		tx_batch_put(b, &pending, i, tx_mixed_len(i * 7));
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
	tx_model_copy(m, &pending);
	tx_model_free(&pending);
}

/* a full and an incremental backup in a filesystem made on dev */
static void on_filesystem(struct tx_pool *p, struct tx_model *m,
			  const char *dev, const char *fs,
			  const struct env *env, unsigned round)
{
	char mkfs[32], full[512], incr[512], what[64], fwhat[64];
	struct pmkv_transfer_report rf, ri;
	struct tx_model m1 = { 0 };
	int rc;

	snprintf(mkfs, sizeof(mkfs), "mkfs.%s", fs);
	{
		char *ext4[] = { mkfs, "-q", "-F", "-E", "nodiscard",
				 (char *)dev, NULL };
		char *xfs[] = { mkfs, "-q", "-f", "-K", (char *)dev, NULL };

		rc = run(strcmp(fs, "ext4") == 0 ? ext4 : xfs);
	}
	if (rc == 127) {
		t_info("%s: no %s here: not covered", fs, mkfs);
		return;
	}
	if (rc)
		t_error("%s %s: exit %d", mkfs, dev, rc);
	if (!mnt[0]) {
		snprintf(mnt, sizeof(mnt), "/tmp/pmkv-t-blockdev-mnt-XXXXXX");
		if (!mkdtemp(mnt))
			t_error("mkdtemp: %s", strerror(errno));
		atexit(unmount_at_exit);
	}
	if (mount(dev, mnt, fs, 0, NULL))
		t_error("mount -t %s %s %s: %s", fs, dev, mnt, strerror(errno));
	mounted = true;

	tx_path(full, sizeof(full), mnt, "full");
	snprintf(fwhat, sizeof(fwhat), "the full backup on %s", fs);
	backup(p, full, NULL, env, &rf, fwhat);
	tx_model_copy(&m1, m);
	churn(p->kv, m, round);
	tx_path(incr, sizeof(incr), mnt, "incr");
	snprintf(what, sizeof(what), "the incremental backup on %s", fs);
	backup(p, incr, full, env, &ri, what);
	T_ASSERT_EQ(ri.chain, 2);
	T_ASSERT_MEM_EQ(ri.base_uuid, rf.uuid, 16);
	restore_verify(p, full, &rf, &m1, env, fwhat);
	restore_verify(p, incr, &ri, m, env, what);

	unlink(full);
	unlink(incr);
	if (umount(mnt))
		t_error("umount %s: %s", mnt, strerror(errno));
	mounted = false;
	tx_model_free(&m1);
}

int main(void)
{
	struct pmkv_transfer_report rf, ri, again;
	struct tx_model m, m1 = { 0 };
	uint64_t size;
	const char *why_not, *dev = tx_blockdev(&size, &why_not);
	char incr[512];
	struct tx_pool pool;
	struct env env;
	int why;

	if (!dev)
		t_skip("%s", why_not);
	tx_pool_create(&pool, "blockdev", 64 * TX_MiB);
	env.uring = tx_uring_works();
	env.fixed = tx_fixed_works(pool.path, &why);
	t_info("%s: %llu bytes; io_uring %s; registered buffers over the pool: %s",
	       dev, (unsigned long long)size,
	       env.uring ? "works" : "refused",
	       env.fixed ? "accepted" : strerror(why));

	tx_model_init(&m, NKEYS);
	tx_fill(pool.kv, &m, 0, NKEYS);

	/* a full backup on the raw device, written in place */
	wipe_start(dev);
	backup(&pool, dev, NULL, &env, &rf, "the full backup on the raw device");
	T_ASSERT(rf.bytes < size);
	tx_model_copy(&m1, &m);

	/* an incremental one in a file, on the device as its base */
	churn(pool.kv, &m, 1);
	tx_path(incr, sizeof(incr), tx_target_dir(), "incr-on-blockdev");
	backup(&pool, incr, dev, &env, &ri,
	       "the incremental backup in a file, based on the raw device");
	T_ASSERT_EQ(ri.chain, 2);
	T_ASSERT_MEM_EQ(ri.base_uuid, rf.uuid, 16);
	T_ASSERT(ri.segments_copied < ri.segments);

	restore_verify(&pool, dev, &rf, &m1, &env,
		       "the full backup on the raw device");
	restore_verify(&pool, incr, &ri, &m, &env,
		       "the chain raw device + file");

	/* the device holds another backup of the pool: not the base */
	wipe_start(dev);
	backup(&pool, dev, NULL, &env, &again,
	       "a second full backup on the raw device");
	T_EXPECT_ERR(pmkv_verify(incr, NULL, NULL, 0), PMKV_E_FOREIGN, dev,
		     "base");
	/* and no backup at all */
	wipe_start(dev);
	T_EXPECT_ERR(pmkv_verify(incr, NULL, NULL, 0), PMKV_E_FOREIGN, dev,
		     "base", "backup");

	if (geteuid() != 0) {
		t_info("not root: no filesystem on %s", dev);
	} else {
		on_filesystem(&pool, &m, dev, "ext4", &env, 2);
		on_filesystem(&pool, &m, dev, "xfs", &env, 3);
	}
	wipe_start(dev);

	tx_model_check(pool.kv, &m, "the source pool");
	tx_pool_destroy(&pool);
	tx_model_free(&m);
	tx_model_free(&m1);
	return T_EXIT_PASS;
}
