// SPDX-License-Identifier: BSD-3-Clause
/* fork-reopen.c -- a child opens the pool once the parent has closed it */
/*
 * Proves the fork rule libpmkv.h documents ("do not use a handle in a
 * child after fork(); open the pool again there after the parent has
 * closed it"), with the pool open in the parent when it forks:
 *   - while the parent holds the pool, the child's pmkv_open() fails with
 *     -EBUSY and a message naming the path, read-write and read-only;
 *   - once the parent has closed it, the child's pmkv_open() succeeds
 *     (issue 15: it got -EBUSY, the child's inherited descriptor keeping
 *     the lock), reads the parent's key and writes its own;
 *   - the parent, after the child closed, reads the child's key.
 *
 * The handle is opened with its helper thread, as most are; the child
 * never touches the parent's handle. The child is driven through pipes:
 * no sleeps. Under AddressSanitizer the parent opens without the helper:
 * GCC 12's ASan does not hold its allocator's locks across fork(), and a
 * child forked while another thread is in the allocator can block in it
 * for ever (CI saw 5 hangs in 20 runs; glibc's malloc has no such gap).
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

static void child(const char *path, int cmd, int reply)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	char val[8];
	size_t vlen;

	/* the parent still holds it */
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), -EBUSY, path);
	T_ASSERT(kv == NULL);
	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), -EBUSY, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	t_pipe_put(reply, 'k');

	/* the parent has closed it: the child's own open must work */
	T_ASSERT_EQ(t_pipe_get(cmd), 'c');
	T_ASSERT_OK(pmkv_open(path, NULL, &kv));
	T_ASSERT_OK(pmkv_get(kv, "k", 1, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 6);
	T_ASSERT_MEM_EQ(val, "parent", 6);
	T_ASSERT_OK(pmkv_put(kv, "c", 1, "child", 5));
	T_ASSERT_OK(pmkv_close(&kv));
	t_pipe_put(reply, 'k');
	exit(T_EXIT_PASS);
}

int main(void)
{
	int cmd[2], reply[2], status;
	struct pmkv_config *cfg = NULL;
	struct pmkv *kv;
	char path[512], val[8];
	size_t vlen;
	pid_t pid;

	t_pool_tmp(path, sizeof(path), "fork-reopen");
#ifdef __SANITIZE_ADDRESS__
	cfg = t_cfg(PMKV_POOL_MIN, PMKV_F_CREATE | PMKV_F_NO_HELPER);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	pmkv_config_free(&cfg);
#else
	(void)cfg;
	kv = t_pool_create(path, PMKV_POOL_MIN);
#endif
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "parent", 6));

	if (pipe(cmd) || pipe(reply))
		t_error("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	if (pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		child(path, cmd[0], reply[1]);
	}
	close(cmd[0]);
	close(reply[1]);

	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("the child failed while the parent held the pool");
	/* the parent's handle is unaffected by the child's attempts */
	T_ASSERT_OK(pmkv_get(kv, "k", 1, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 6);
	T_ASSERT_OK(pmkv_close(&kv));

	t_pipe_put(cmd[1], 'c');
	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("the child could not open the pool after the parent closed it");
	if (waitpid(pid, &status, 0) != pid)
		t_error("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != T_EXIT_PASS)
		T_FAIL("child status 0x%x", status);

	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get(kv, "c", 1, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 5);
	T_ASSERT_MEM_EQ(val, "child", 5);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
