// SPDX-License-Identifier: BSD-3-Clause
/* create-excl-existing.c -- PMKV_F_CREATE never overwrites what is there */
/*
 * Proves:
 *   - PMKV_F_CREATE | PMKV_F_EXCL over an existing pool fails with -EEXIST
 *     and a message naming the path; the pool is byte-for-byte unchanged
 *     and still opens with its data;
 *   - the same over a foreign non-empty file: -EEXIST, unchanged;
 *   - PMKV_F_CREATE without EXCL over an existing pool opens it (its data
 *     is there; no new pool replaced it);
 *   - PMKV_F_CREATE without EXCL over a foreign non-empty file:
 *     PMKV_E_FOREIGN, unchanged.
 */
#include <errno.h>

#include "t.h"

#define MiB (1ULL << 20)

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	char path[512], foreign[512], val[8];
	size_t vlen = 0;
	void *buf;

	t_pool_tmp(path, sizeof(path), "excl");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "old", 3));
	T_ASSERT_OK(pmkv_close(&kv));
	t_snap_take(&snap, path);

	cfg = t_cfg(32 * MiB, PMKV_F_CREATE | PMKV_F_EXCL);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), -EEXIST, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	/* CREATE alone opens the pool that is there, with its data */
	cfg = t_cfg(32 * MiB, PMKV_F_CREATE);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	pmkv_config_free(&cfg);
	T_ASSERT_OK(pmkv_get(kv, "k", 1, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 3);
	T_ASSERT_MEM_EQ(val, "old", 3);
	T_ASSERT_OK(pmkv_close(&kv));
	/* the size in the config is ignored when the pool exists */
	T_ASSERT_EQ(t_file_size(path), PMKV_POOL_MIN);

	/* a foreign file: someone's data, large enough to be a pool */
	buf = malloc(16 * MiB);
	if (!buf)
		t_error("no memory");
	t_rand_fill(buf, 16 * MiB);
	t_pool_tmp(foreign, sizeof(foreign), "foreign");
	t_write_file(foreign, buf, 16 * MiB);
	free(buf);
	t_snap_take(&snap, foreign);

	cfg = t_cfg(0, PMKV_F_CREATE | PMKV_F_EXCL);
	T_EXPECT_ERR(pmkv_open(foreign, cfg, &kv), -EEXIST, foreign);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);

	cfg = t_cfg(0, PMKV_F_CREATE);
	T_EXPECT_ERR(pmkv_open(foreign, cfg, &kv), PMKV_E_FOREIGN, foreign);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);

	t_snap_free(&snap);
	return T_EXIT_PASS;
}
