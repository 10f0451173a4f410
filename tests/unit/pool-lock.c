// SPDX-License-Identifier: BSD-3-Clause
/* pool-lock.c -- the pool lock: one holder, and a child of it holds nothing */
/*
 * Proves, on lock_acquire() and lock_release() directly (lib/lock.c):
 *   - a second lock of a held path fails with -EBUSY and a message naming
 *     the path, in the same process and in a forked child;
 *   - a child forked while its parent holds the lock holds nothing of it:
 *     once the parent releases, the child's own lock succeeds (issue 15:
 *     the inherited descriptor kept the lock and the child got -EBUSY),
 *     and the parent is then refused until the child releases;
 *     That holds with the file mapped, as a pool is, through a
 *     descriptor of its own, the mapping inherited by the child;
 *   - the child's copy of the parent's struct lock is not held, so
 *     releasing it cannot close a descriptor the child has opened since;
 *   - a struct lock that is not held may be released; a released lock
 *     can be taken again; a missing path is -ENOENT.
 *
 * The child is driven through pipes: no sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "t.h"

/* the child: the parent's struct lock is inherited as `inherited` */
static void child(const char *path, struct lock *inherited, int cmd,
		  int reply)
{
	struct lock mine;
	int fd;

	/* nothing of the parent's lock is ours */
	T_ASSERT_EQ(inherited->fd, -1);
	T_ASSERT(inherited->next == NULL);

	/* the parent holds it */
	T_EXPECT_ERR(lock_acquire(path, &mine), -EBUSY, path);
	T_ASSERT_EQ(mine.fd, -1);
	t_pipe_put(reply, 'k');

	/* the parent has released it: now it is ours */
	T_ASSERT_EQ(t_pipe_get(cmd), 'r');
	T_ASSERT_OK(lock_acquire(path, &mine));
	T_ASSERT(mine.fd >= 0);
	T_ASSERT(!mine.shared);

	/*
	 * a descriptor opened now may take the number the parent's lock had;
	 * releasing the inherited copy must leave it open
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	lock_release(inherited);
	if (fcntl(fd, F_GETFD) < 0)
		T_FAIL("releasing the inherited lock closed fd %d", fd);
	close(fd);
	t_pipe_put(reply, 'k');

	/* hold it until the parent has seen that it is refused */
	T_ASSERT_EQ(t_pipe_get(cmd), 'x');
	lock_release(&mine);
	T_ASSERT_EQ(mine.fd, -1);
	t_pipe_put(reply, 'k');
	exit(T_EXIT_PASS);
}

int main(void)
{
	struct lock a, b, zero = { 0 };
	int cmd[2], reply[2], status, fd;
	char path[512], missing[512];
	void *map;
	pid_t pid;

	t_pool_tmp(path, sizeof(path), "lock");
	t_write_file(path, "pool", 4);
	t_pool_tmp(missing, sizeof(missing), "lock-missing");

	/* a lock not on the list is not held: releasing it closes nothing */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	zero.fd = fd;
	lock_release(&zero);
	if (fcntl(fd, F_GETFD) < 0)
		T_FAIL("releasing a lock that is not held closed its fd %d", fd);
	close(fd);

	T_EXPECT_ERR(lock_acquire(missing, &a), -ENOENT, missing);
	T_ASSERT_EQ(a.fd, -1);
	lock_release(&a);

	/* same process */
	T_ASSERT_OK(lock_acquire(path, &a));
	T_ASSERT(a.fd >= 0);
	T_EXPECT_ERR(lock_acquire(path, &b), -EBUSY, path);
	T_ASSERT_EQ(b.fd, -1);
	lock_release(&a);
	T_ASSERT_EQ(a.fd, -1);
	lock_release(&a);
	T_ASSERT_OK(lock_acquire(path, &a));
	/* mapped as pool.c maps a pool: not through the lock's descriptor */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	map = mmap(NULL, 4, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		t_error("mmap %s: %s", path, strerror(errno));
	close(fd);

	/* a child forked while the parent holds it */
	if (pipe(cmd) || pipe(reply))
		t_error("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	if (pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		child(path, &a, cmd[0], reply[1]);
	}
	close(cmd[0]);
	close(reply[1]);

	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("the child failed while the parent held the lock");
	/* the parent's lock is whole after the child closed its copy */
	T_EXPECT_ERR(lock_acquire(path, &b), -EBUSY, path);
	lock_release(&a);
	t_pipe_put(cmd[1], 'r');
	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("the child could not lock the pool after the parent released it");

	/* the child holds it now */
	T_EXPECT_ERR(lock_acquire(path, &b), -EBUSY, path);
	t_pipe_put(cmd[1], 'x');
	if (t_pipe_get(reply[0]) != 'k')
		T_FAIL("the child failed to release the lock");
	if (waitpid(pid, &status, 0) != pid)
		t_error("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != T_EXIT_PASS)
		T_FAIL("child status 0x%x", status);

	T_ASSERT_OK(lock_acquire(path, &b));
	lock_release(&b);
	munmap(map, 4);
	return T_EXIT_PASS;
}
