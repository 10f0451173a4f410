/* SPDX-License-Identifier: BSD-3-Clause */
/* pool.h -- the libpmemobj pool container and the medium under it */
#ifndef PMKV_POOL_H
#define PMKV_POOL_H

struct pmkv;
struct pmkv_config;

int pool_open(struct pmkv *kv, const char *path, const struct pmkv_config *cfg);
void pool_close(struct pmkv *kv);
/* read-write, once recovery accepted the pool: rewrite a stale superblock copy */
void pool_copy_refresh(struct pmkv *kv);
/* make a rename in path's directory durable; best effort where it cannot be */
void pool_sync_dir_of(const char *path);

#endif /* PMKV_POOL_H */
