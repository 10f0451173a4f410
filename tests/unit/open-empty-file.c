// SPDX-License-Identifier: BSD-3-Clause
/* open-empty-file.c -- opening a 0-byte file */
/*
 * Proves: a 0-byte file is refused with PMKV_E_FOREIGN (and a message
 * naming the path or its size) without PMKV_F_CREATE, read-write and
 * read-only, and stays 0 bytes. libpmemobj would die with SIGBUS reading
 * the header of an empty mapping, so this also proves pmkv checks the size
 * before handing the file to PMDK.
 */
#include <errno.h>

#include "t.h"

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	char path[512];

	t_pool_tmp(path, sizeof(path), "empty");
	t_write_file(path, "", 0);
	t_snap_take(&snap, path);

	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), PMKV_E_FOREIGN, path,
		     "empty", "size", "small");
	T_ASSERT(kv == NULL);
	T_ASSERT_UNCHANGED(&snap);

	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_FOREIGN, path,
		     "empty", "size", "small");
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);
	T_ASSERT_EQ(t_file_size(path), 0);

	t_snap_free(&snap);
	return T_EXIT_PASS;
}
