/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * internal.h -- the handle, which every part of the engine reaches into
 *
 * Only struct pmkv and what every file needs to read it live here; each
 * module's interface is its own header, named for its file (segment.h
 * for segment.c). design.md's "Where things are" maps them.
 */
#ifndef PMKV_INTERNAL_H
#define PMKV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "libpmkv.h"
#include "layout.h"

#include "arena.h"
#include "badblocks.h"
#include "cacheline.h"
#include "errormsg.h"
#include "invariant.h"
#include "lock.h"
#include "log.h"
#include "persist.h"
#include "index.h"
#include "shutdown.h"
#include "warm.h"
#include "writer.h"

/* what pmkv_config_*() fill in and pmkv_open() reads */
struct pmkv_config {
	uint64_t size;
	unsigned flags;
	mode_t mode;
	/* pmkv_restore() only: a new pool, marked restoring, of this segment size */
	bool restore;
	uint64_t segment_size;
};

struct pmkv {
	char *path;
	uint8_t *base;		/* the pool mapping */
	uint64_t map_len;
	bool map_pmem;		/* mapped by pmem_map_file() */
	struct lock lock;	/* one handle a pool */
	struct badblocks bad;	/* known media errors: never touched */
	struct shutdown shutdown;	/* the platform's unsafe-shutdown count */
	struct pmkv_super *sb;	/* the primary, or its copy (from_copy) */
	uint64_t id_limit;	/* segment ids are below it (not from a copy) */
	unsigned flags;
	bool rdonly;
	bool salvage;		/* PMKV_F_SALVAGE: read past damage */
	bool from_copy;
	int poisoned;		/* a durable write failed: refuse writes */
	int frozen;		/* a backup's snapshot: no commit begins
				   (atomic; read by every commit, so kept
				   with the read-mostly fields) */

	enum pmkv_media media;
	bool is_pmem, pmem_forced;
	uint64_t device_align;
	const struct persist_ops *persist;

	uint64_t version;	/* next record version (atomic) */

	struct index index;	/* key -> newest record (index.c) */
	struct arena nodes;	/* the index's nodes */

	/*
	 * Batches publish one at a time (batch_lock), with batch_seq odd
	 * meanwhile; a get reads it before and after, so that it sees all of
	 * a batch or none. Its own line: only batches write it.
	 */
	pthread_mutex_t batch_lock;
	uint64_t batch_seq __attribute__((aligned(CACHELINE)));
	char batch_seq_pad[CACHELINE - sizeof(uint64_t)];
	struct writer writers[NWRITERS];

	/* segments (segment.c) */
	pthread_mutex_t seg_lock;	/* segs[], free slots, next_segment_id,
					   the reserves */
	struct pmkv_slot *slots;	/* the slot table, on media */
	struct seg **segs;		/* by first slot */
	uint8_t *slot_use;		/* by slot: free, used, damaged */
	uint32_t nsegs_max, nsegs;	/* nsegs_max: slots in the pool */
	uint32_t nfree_slots;
	struct persist_ctx misc_pc;	/* under seg_lock */
	uint64_t segment_size;
	struct seg *reserve;	/* kept free so reclamation can always run */
	struct seg *del_reserve;	/* deletes may take it when the pool is full:
					   freeing space must not need free space */

	/* backups' snapshots (backup.c): commits wait on thaw while frozen */
	pthread_mutex_t freeze_lock;
	pthread_cond_t thaw;

	/* reclamation (gc.c) */
	pthread_mutex_t gc_lock;
	struct writer gcw;	/* the writer reclamation copies with */
	uint64_t gc_runs, gc_bytes_copied;

	uint64_t recovery_ns, recovered_records;
	uint64_t damaged_segments, damaged_records;	/* salvage skipped them */
	uint64_t transfer_bytes, bounce_bytes;	/* backups (atomic) */

	struct warmer warm;	/* writable handles only */
};

/*
 * pmkv_open(), with fill(kv, arg) called between mapping the pool and
 * recovering it (pmkv_restore() fills a new pool there)
 */
int pmkv_open_with(const char *path, const struct pmkv_config *cfg,
		int (*fill)(struct pmkv *kv, void *arg), void *arg,
		struct pmkv **kvp);

static inline void *kv_ptr(const struct pmkv *kv, uint64_t off)
{
	return kv->base + off;
}
static inline uint64_t kv_off(const struct pmkv *kv, const void *p)
{
	return (uint64_t)((const uint8_t *)p - kv->base);
}
/*
 * The segment of slot i as rec_check_entry() takes it: (0, 0), to read
 * its header, except under salvage, which never frees a segment and may
 * read one whose header is damaged
 */
#define SALVAGE_SEG(kv, i)						\
	((kv)->salvage ? (kv)->segs[i]->off : 0),			\
	((kv)->salvage ? (kv)->segs[i]->id : 0)


#endif /* PMKV_INTERNAL_H */
