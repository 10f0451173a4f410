/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * checkpoint.h -- the DRAM index saved at a clean close, loaded at open
 *
 * An open after a clean close loads the index and the segments' state
 * from the checkpoint instead of reading the whole log; anything that
 * does not match sends it back to the log (recovery.c).
 */
#ifndef PMKV_CHECKPOINT_H
#define PMKV_CHECKPOINT_H

#include <stddef.h>

struct pmkv;
struct seg;

/*
 * At a clean close of a read-write handle, after the segments are sealed
 * and before the pool is marked closed: write the checkpoint into free
 * slots and name it in the superblock (two fences). Skipped, and logged
 * at info, when the pool has no room for it or the handle cannot write.
 */
void checkpoint_write(struct pmkv *kv);
/*
 * At open, once segment_load() listed the pool's nsegs segments (in slot
 * order): 0 when the checkpoint filled the index and the segments' used,
 * live and appendable, and kv->version; 1 when there is none to trust
 * (then nothing was changed and the log must be read); -ENOMEM.
 * Writes nothing.
 */
int checkpoint_load(struct pmkv *kv, struct seg **segs, size_t nsegs);
/*
 * A read-write open, before anything else writes to the pool: the
 * superblock no longer names a checkpoint (one fence, none if it named
 * none). From here on a crash makes the next open read the log.
 */
void checkpoint_forget(struct pmkv *kv);

#endif /* PMKV_CHECKPOINT_H */
