// SPDX-License-Identifier: BSD-3-Clause
/* open-no-permission.c -- opening a pool the caller may not access */
/*
 * Proves: a valid pool in a 0600 file owned by someone else is refused
 * with -EACCES and a message naming the path, read-write and read-only,
 * and stays byte-for-byte unchanged; the same pool made world-readable
 * (0644) is refused with -EACCES too, even with PMKV_F_RDONLY, since
 * libpmemobj opens every pool read-write (pmkv_open(3) says so), and
 * stays unchanged.
 *
 * Root passes every permission check, so as root the opens run in a forked
 * child that has dropped to uid/gid 65534 (nobody). A user that is not root
 * instead makes the file mode 0000, which refuses its owner too unless it
 * holds CAP_DAC_OVERRIDE; then the test cannot run and is skipped.
 */
#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

#define NOBODY 65534

static void refused(const char *path)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;

	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), -EACCES, path);
	T_ASSERT(kv == NULL);
	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), -EACCES, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
}

static void readable_only(const char *path)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;

	/* a read-write open needs write access; a read-only one does not */
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), -EACCES, path);
	T_ASSERT(kv == NULL);
	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	T_ASSERT_OK(pmkv_close(&kv));
	pmkv_config_free(&cfg);
}

/* run fn(path) as nobody in a child; its exit code is the verdict */
static void as_nobody(void (*fn)(const char *), const char *path)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(T_EXIT_SKIP);
		if (geteuid() != NOBODY || access(path, F_OK) != 0)
			_exit(T_EXIT_SKIP);
		fn(path);
		exit(T_EXIT_PASS);
	}
	if (waitpid(pid, &status, 0) != pid)
		t_error("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status))
		T_FAIL("child died with signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) == T_EXIT_SKIP)
		t_skip("cannot drop privileges to uid %d", NOBODY);
	if (WEXITSTATUS(status) != T_EXIT_PASS)
		exit(WEXITSTATUS(status));
}

int main(void)
{
	struct t_snap snap;
	struct pmkv *kv;
	char path[512];

	t_pool_tmp(path, sizeof(path), "noperm");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "value", 5));
	T_ASSERT_OK(pmkv_close(&kv));

	if (geteuid() == 0) {
		if (chown(path, 0, 0) || chmod(path, 0600))
			t_error("chown/chmod %s: %s", path, strerror(errno));
		t_snap_take(&snap, path);
		as_nobody(refused, path);
		T_ASSERT_UNCHANGED(&snap);

		if (chmod(path, 0644))
			t_error("chmod %s: %s", path, strerror(errno));
		as_nobody(readable_only, path);
	} else {
		if (chmod(path, 0000))
			t_error("chmod %s: %s", path, strerror(errno));
		if (access(path, R_OK) == 0)
			t_skip("mode 0000 does not stop uid %d (capabilities)",
			       (int)geteuid());
		/* the owner may not read it either: snapshot as it was */
		if (chmod(path, 0600))
			t_error("chmod %s: %s", path, strerror(errno));
		t_snap_take(&snap, path);
		if (chmod(path, 0000))
			t_error("chmod %s: %s", path, strerror(errno));
		refused(path);
		if (chmod(path, 0600))
			t_error("chmod %s: %s", path, strerror(errno));
		T_ASSERT_UNCHANGED(&snap);
	}

	t_snap_free(&snap);
	return T_EXIT_PASS;
}
