/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shutdown.h -- the platform's unsafe-shutdown count, kept with the pool
 *
 * After a power failure that the platform could not flush (its ADR
 * failed), stores that were flushed and fenced may be lost: the NVDIMMs
 * count such shutdowns. pmkv records the count and the device while a
 * read-write handle is open, and the next open tells whether one happened
 * meanwhile. Recovery verifies every checksum at every open, so the pool
 * is never trusted unchecked; the count says why damage may be found,
 * and is reported (pmkv_get_info()).
 */
#ifndef PMKV_SHUTDOWN_H
#define PMKV_SHUTDOWN_H

#include <stdbool.h>
#include <stdint.h>

struct pmkv;

struct shutdown {
	bool known;		/* the platform reports a count for the device */
	uint64_t usc;		/* its unsafe-shutdown count */
	uint64_t device;	/* XXH64 of its device id */
	bool unsafe;		/* one happened while the pool was open */
};

/*
 * The count and device id of the DAX file or device open at fd, from
 * libpmem2 (known false where it has none: a file that is not DAX, an
 * emulated NVDIMM). Never fails.
 */
void shutdown_query(int fd, bool dax, struct shutdown *s);
/* once recovery accepted the pool: whether one happened (no write) */
void shutdown_check(struct pmkv *kv);
/*
 * Read-write, once recovery accepted the pool: shutdown_check(), then
 * mark the pool open with this count (two fences).
 */
void shutdown_open(struct pmkv *kv);
/* a clean close of a read-write handle: not open any more (one fence) */
void shutdown_close(struct pmkv *kv);

#endif /* PMKV_SHUTDOWN_H */
