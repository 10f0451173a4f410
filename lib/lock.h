/* SPDX-License-Identifier: BSD-3-Clause */
/* lock.h -- one open of a pool at a time, and none inherited across fork() */
#ifndef PMKV_LOCK_H
#define PMKV_LOCK_H

#include <stdbool.h>

/* a zeroed struct lock is not held, nor is one whose acquire failed */
struct lock {
	int fd;
	bool shared;		/* a read lock: the file could not be opened
				   for writing (see lock.c) */
	struct lock *prev, *next;	/* on the list of held locks; NULL
					   when not held */
};

/*
 * lock_acquire -- lock the pool file or devdax device at path
 *
 * 0 with l held, -EBUSY when the pool is locked already (by this process
 * or another), or -errno when path cannot be opened. l->fd is open on
 * path (read-write unless l->shared) with O_CLOEXEC; the caller may
 * fstat() and read through it, but must neither close it nor mmap() it:
 * a mapping holds the open file description, and with it the lock, for
 * as long as the mapping lasts, in every child that inherits it too. Map
 * through a descriptor of your own.
 */
int lock_acquire(const char *path, struct lock *l);

/* release l and close l->fd; a lock that is not held is left alone */
void lock_release(struct lock *l);

#endif /* PMKV_LOCK_H */
