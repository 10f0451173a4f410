// SPDX-License-Identifier: BSD-3-Clause
/*
 * holes.c -- a sparse pool file is filled before it is mapped, or refused
 *
 * A store to a page of a shared file mapping that has no block behind it
 * makes the file system allocate one at the page fault; when it has no
 * room, the process gets SIGBUS, not an error (issue 15: an existing pool
 * copied sparse, opened on a full file system, died on its first put).
 * Pools pmkv creates are allocated whole, but a copy (cp --sparse, rsync
 * -S, a restore) can have holes wherever the pool held zeros. So a
 * read-write open allocates every hole first, and a file system without
 * room refuses the open with -ENOSPC while nothing has been stored.
 *
 * posix_fallocate() only allocates: blocks it adds read as zeros, as the
 * hole did, and blocks already there are left as they are, so the pool's
 * contents do not change, whether it succeeds or fails half way. (Where
 * the file system cannot fallocate, glibc writes a zero byte into each
 * block that reads as zero: the same bytes, and the caller holds the
 * pool's lock, so no one else is writing.) The allocation is not
 * fsync()ed: if a crash loses it, the hole is back, still reads as zeros,
 * and the next open fills it again.
 *
 * ext4 and XFS report allocated but never written (unwritten) extents as
 * holes too, so a pool they preallocated is "filled" again at each open:
 * a walk over extents that are already there, which needs no space and
 * cannot fail for want of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "errormsg.h"
#include "holes.h"

/*
 * The next hole at or after off, and where data starts again after it
 * (both capped at size). 0 with *hole == size when there is none.
 */
static int next_hole(int fd, uint64_t off, uint64_t size, uint64_t *hole,
		     uint64_t *end)
{
	off_t h, d;

	*hole = size;
	h = lseek(fd, (off_t)off, SEEK_HOLE);
	if (h < 0)
		/* ENXIO: off is at or past the end of the file */
		return errno == ENXIO ? 0 : -errno;
	if ((uint64_t)h >= size)
		return 0;
	d = lseek(fd, h, SEEK_DATA);
	if (d < 0 && errno != ENXIO)
		return -errno;
	*hole = (uint64_t)h;
	/* ENXIO: no data after the hole, it runs to the end of the file */
	*end = d < 0 || (uint64_t)d > size ? size : (uint64_t)d;
	return 0;
}

int holes_fill(int fd, uint64_t size, const char *path)
{
	uint64_t off = 0, hole = size, end = size;
	int rc;

	while (off < size) {
		rc = next_hole(fd, off, size, &hole, &end);
		if (rc == -EINVAL)
			/*
			 * Kernels and file systems without SEEK_HOLE say
			 * EINVAL; the generic code calls the whole file data.
			 * Neither tells us of a hole, so there is none to fill.
			 */
			return 0;
		if (rc)
			return pmkv_err(rc, "%s: cannot look for holes in the pool file: %s",
					path, strerror(-rc));
		if (hole >= size)
			return 0;
		rc = posix_fallocate(fd, (off_t)hole, (off_t)(end - hole));
		if (rc == ENOSPC || rc == EDQUOT)
			return pmkv_err(-ENOSPC, "%s: the pool file is sparse (a hole at offset %" PRIu64 ") and the file system has no room to fill it: %s",
					path, hole, strerror(rc));
		if (rc)
			return pmkv_err(-rc, "%s: the pool file is sparse (a hole at offset %" PRIu64 ") and filling it failed: %s",
					path, hole, strerror(rc));
		off = end;
	}
	return 0;
}
