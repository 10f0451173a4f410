// SPDX-License-Identifier: BSD-3-Clause
/* open-missing-path.c -- opening a path that does not exist */
/*
 * Proves: pmkv_open() of a missing path fails with -ENOENT and a message
 * naming the path, with a NULL config, an empty config and PMKV_F_RDONLY;
 * no handle is returned and no file is left behind. PMKV_F_CREATE in a
 * directory that does not exist also fails with -ENOENT.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

static void assert_absent(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		T_FAIL("%s exists after a failed open", path);
	T_ASSERT_EQ(errno, ENOENT);
}

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	char path[512], nested[600];

	t_pool_tmp(path, sizeof(path), "missing");

	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), -ENOENT, path);
	T_ASSERT(kv == NULL);
	assert_absent(path);

	cfg = t_cfg(0, 0);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), -ENOENT, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT(cfg == NULL);
	assert_absent(path);

	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), -ENOENT, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	assert_absent(path);

	/* CREATE cannot make a file in a directory that is not there */
	snprintf(nested, sizeof(nested), "%s/pool", path);
	cfg = t_cfg(0, PMKV_F_CREATE);
	T_EXPECT_ERR(pmkv_open(nested, cfg, &kv), -ENOENT, nested, path);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	assert_absent(path);

	return T_EXIT_PASS;
}
