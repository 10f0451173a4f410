// SPDX-License-Identifier: BSD-3-Clause
/* devdax-missing.c -- a devdax path with no device behind it */
/*
 * Proves: pmkv_open("/dev/dax97.3") fails with -ENOENT and a message
 * naming the path, read-write and read-only, and no file appears there.
 */
#include <errno.h>
#include <sys/stat.h>

#include "t.h"

#define NODEV "/dev/dax97.3"

int main(void)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct stat st;

	if (lstat(NODEV, &st) == 0)
		t_skip("%s exists on this machine", NODEV);

	T_EXPECT_ERR(pmkv_open(NODEV, NULL, &kv), -ENOENT, NODEV);
	T_ASSERT(kv == NULL);

	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(NODEV, cfg, &kv), -ENOENT, NODEV);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);

	T_ASSERT(lstat(NODEV, &st) != 0 && errno == ENOENT);
	return T_EXIT_PASS;
}
