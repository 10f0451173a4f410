// SPDX-License-Identifier: BSD-3-Clause
/*
 * lock.c -- one open of a pool at a time, and none inherited across fork()
 *
 * The lock is an OFD lock (F_OFD_SETLK) on the whole file or device. It
 * belongs to the open file description, so a second open in the same
 * process conflicts with the first, as one in another process does;
 * classic POSIX locks would not, and would be dropped by any close() of
 * the file anywhere in the process. It is not flock() because libpmemobj
 * flock()s the pools it creates or opens: the two kinds never conflict,
 * so the caller may hold this lock while libpmemobj does its own.
 *
 * A lock lives as long as any descriptor of its description, and fork()
 * copies descriptors: a child would keep the parent's lock after the
 * parent closed the pool, and its own open, the one libpmkv.h tells it to
 * make, would fail with -EBUSY (issue 15). So every held lock is on a
 * list, and a pthread_atfork() child handler closes them all in the
 * child. The list's mutex is held across fork() (prepare to parent and
 * child) and across the open, lock and close below, so no descriptor is
 * ever outside the list when a child is made. O_CLOEXEC covers exec, and
 * posix_spawn() and vfork(), which run no atfork handlers. A mapping
 * holds its description as a descriptor does, and a child inherits
 * mappings too: the pool is never mapped through the lock's descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "errormsg.h"
#include "lock.h"

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock held = { .fd = -1, .prev = &held, .next = &held };
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_rc;

static void fork_prepare(void)
{
	pthread_mutex_lock(&held_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&held_lock);
}

/*
 * The child's copies of the parent's descriptors: closing them leaves the
 * parent's locks alone, which hold while the parent's own copies are open.
 * The child's struct locks become "not held", so that a lock_release() on
 * a handle copied from the parent cannot close a descriptor number the
 * child has reused since.
 */
static void fork_child(void)
{
	struct lock *l = held.next;

	while (l != &held) {
		struct lock *next = l->next;

		close(l->fd);
		l->fd = -1;
		l->prev = l->next = NULL;
		l = next;
	}
	held.prev = held.next = &held;
	pthread_mutex_unlock(&held_lock);
}

static void atfork_register(void)
{
	atfork_rc = pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* a whole-file lock on fd: 0, or the errno of the conflict or failure */
static int lock_fd(int fd, bool shared)
{
	struct flock fl = {
		.l_type = shared ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,	/* to the end, however the file grows */
	};

	return fcntl(fd, F_OFD_SETLK, &fl) ? errno : 0;
}

int lock_acquire(const char *path, struct lock *l)
{
	int fd, e, rc = 0;
	bool shared = false;

	l->fd = -1;
	l->prev = l->next = NULL;
	pthread_once(&atfork_once, atfork_register);
	if (atfork_rc)
		return pmkv_err(-atfork_rc, "%s: cannot register the fork handler that keeps a child from holding the pool's lock: %s",
				path, strerror(atfork_rc));

	pthread_mutex_lock(&held_lock);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && (errno == EACCES || errno == EROFS)) {
		/*
		 * A file this process may only read can only be opened
		 * read-only. An exclusive OFD lock needs a descriptor open
		 * for writing, so it gets a shared one: it still conflicts
		 * with every writable open, and readers that cannot write
		 * cannot harm each other.
		 */
		shared = true;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		rc = pmkv_err(-errno, "%s: cannot open it to lock it: %s", path,
			      strerror(errno));
		goto out;
	}
	e = lock_fd(fd, shared);
	if (e) {
		close(fd);
		if (e == EAGAIN || e == EACCES)
			rc = pmkv_err(-EBUSY, "%s: pool is open already, in this process or another",
				      path);
		else
			rc = pmkv_err(-e, "%s: cannot lock it: %s", path,
				      strerror(e));
		goto out;
	}
	l->fd = fd;
	l->shared = shared;
	l->next = held.next;
	l->prev = &held;
	held.next->prev = l;
	held.next = l;
out:
	pthread_mutex_unlock(&held_lock);
	return rc;
}

void lock_release(struct lock *l)
{
	pthread_mutex_lock(&held_lock);
	if (l->next) {
		l->prev->next = l->next;
		l->next->prev = l->prev;
		l->prev = l->next = NULL;
		/* the last descriptor of the description: the lock goes too */
		close(l->fd);
		l->fd = -1;
	}
	pthread_mutex_unlock(&held_lock);
}
