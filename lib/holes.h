/* SPDX-License-Identifier: BSD-3-Clause */
/* holes.h -- a sparse pool file is filled before it is mapped, or refused */
#ifndef PMKV_HOLES_H
#define PMKV_HOLES_H

#include <stdint.h>

/*
 * holes_fill -- allocate every hole in the first size bytes of fd
 *
 * fd is a regular file open for writing. 0 when there were no holes or
 * all are filled now; -ENOSPC (or -errno) with a message naming path and
 * the hole when the file system cannot fill one. The file's contents are
 * never written: a filled hole still reads as zeros.
 */
int holes_fill(int fd, uint64_t size, const char *path);

#endif /* PMKV_HOLES_H */
