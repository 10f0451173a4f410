/* SPDX-License-Identifier: BSD-3-Clause */
/* gc.h -- space reclamation: empty the segment with the most dead bytes */
#ifndef PMKV_GC_H
#define PMKV_GC_H

struct pmkv;

/*
 * Reclaim one segment. 0 when one was freed; -ENOSPC when no segment has
 * anything to reclaim or there is no room to copy to.
 */
int gc_collect(struct pmkv *kv);

#endif /* PMKV_GC_H */
