// SPDX-License-Identifier: BSD-3-Clause
/* open-small-file.c -- opening a file smaller than any pool */
/*
 * Proves: a 1 MiB file of data is refused with PMKV_E_FOREIGN, read-write
 * and read-only, with a message naming the path or the size, and is left
 * byte-for-byte unchanged.
 */
#include <errno.h>

#include "t.h"

#define SMALL (1U << 20)

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	char path[512];
	void *data;

	data = malloc(SMALL);
	if (!data)
		t_error("no memory");
	t_rand_fill(data, SMALL);
	t_pool_tmp(path, sizeof(path), "small");
	t_write_file(path, data, SMALL);
	free(data);
	t_snap_take(&snap, path);

	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), PMKV_E_FOREIGN, path,
		     "size", "small");
	T_ASSERT(kv == NULL);
	T_ASSERT_UNCHANGED(&snap);

	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_FOREIGN, path,
		     "size", "small");
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);

	t_snap_free(&snap);
	return T_EXIT_PASS;
}
