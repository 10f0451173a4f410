// SPDX-License-Identifier: BSD-3-Clause
/* second-open-busy.c -- a pool is open once, in one process */
/*
 * Proves: while a pool is open, a second pmkv_open() of it fails with
 * -EBUSY and a message naming the path, from the same process (read-write
 * and read-only) and from another process; the holder's data and handle
 * are unaffected and the failed opens write nothing. After the holder
 * closes, the pool opens again, in this process and in the other one.
 *
 * The other process is forked before the pool is opened (no handle ever
 * crosses fork()) and is driven through pipes: no sleeps.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

/* the child: wait for "open" from the parent, try, report, repeat */
static void child(const char *path, int cmd, int reply)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	char val[8];
	size_t vlen;

	T_ASSERT_EQ(t_pipe_get(cmd), 'b');
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), -EBUSY, path);
	T_ASSERT(kv == NULL);
	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), -EBUSY, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	t_pipe_put(reply, 'k');

	/* the parent has closed it: now it is ours */
	T_ASSERT_EQ(t_pipe_get(cmd), 'f');
	kv = t_pool_open(path, 0);
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
	struct pmkv_config *cfg;
	struct pmkv *kv, *kv2 = NULL;
	struct t_snap snap;
	char path[512], val[8];
	size_t vlen;
	pid_t pid;

	t_pool_tmp(path, sizeof(path), "busy");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_close(&kv));

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

	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "parent", 6));
	t_snap_take(&snap, path);

	/* same process */
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv2), -EBUSY, path);
	T_ASSERT(kv2 == NULL);
	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv2), -EBUSY, path);
	T_ASSERT(kv2 == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);

	/* another process */
	t_pipe_put(cmd[1], 'b');
	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("child failed while the pool was held");
	T_ASSERT_UNCHANGED(&snap);

	/* the holder is unaffected */
	T_ASSERT_OK(pmkv_get(kv, "k", 1, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 6);
	T_ASSERT_OK(pmkv_put(kv, "k2", 2, "x", 1));
	T_ASSERT_OK(pmkv_close(&kv));
	t_snap_free(&snap);

	/* closed: the same process may open it again */
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_exists(kv, "k2", 2));
	T_ASSERT_OK(pmkv_close(&kv));

	t_pipe_put(cmd[1], 'f');
	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("child could not open the pool after the parent closed");
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
