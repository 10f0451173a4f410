// SPDX-License-Identifier: BSD-3-Clause
/* open-directory.c -- opening a directory as a pool */
/*
 * Proves: pmkv_open() of a directory fails with -EISDIR and a message
 * naming it, without and with PMKV_F_CREATE and with PMKV_F_RDONLY, and
 * leaves the directory empty.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

static int entries(const char *dir)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	dp = opendir(dir);
	if (!dp)
		t_error("opendir %s: %s", dir, strerror(errno));
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

int main(void)
{
	static const unsigned flags[] = {
		0, PMKV_F_CREATE, PMKV_F_RDONLY,
	};
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct stat st;
	char dir[512];
	unsigned i;

	t_pool_tmp(dir, sizeof(dir), "dir");
	if (mkdir(dir, 0700))
		t_error("mkdir %s: %s", dir, strerror(errno));

	T_EXPECT_ERR(pmkv_open(dir, NULL, &kv), -EISDIR, dir);
	T_ASSERT(kv == NULL);

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cfg = t_cfg(0, flags[i]);
		T_EXPECT_ERR(pmkv_open(dir, cfg, &kv), -EISDIR, dir);
		T_ASSERT(kv == NULL);
		pmkv_config_free(&cfg);
		T_ASSERT(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
		T_ASSERT_EQ(entries(dir), 0);
	}

	if (rmdir(dir))
		T_FAIL("rmdir %s: %s", dir, strerror(errno));
	return T_EXIT_PASS;
}
