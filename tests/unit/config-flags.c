// SPDX-License-Identifier: BSD-3-Clause
/* config-flags.c -- the checks of struct pmkv_config's setters */
/*
 * Proves: pmkv_config_set_flags() refuses bits outside PMKV_F_VALID,
 * PMKV_F_EXCL without PMKV_F_CREATE and PMKV_F_CREATE with PMKV_F_RDONLY;
 * pmkv_config_set_size() refuses sizes between 1 and PMKV_POOL_MIN - 1;
 * pmkv_config_set_mode() refuses bits outside 07777 -- each with -EINVAL
 * and a message. Every valid combination is accepted, a refused call
 * leaves the config as it was (a later open behaves as the earlier
 * settings say), pmkv_open() refuses a NULL path or handle pointer, the
 * mode reaches the created file, and pmkv_config_free() accepts NULL.
 */
#include <errno.h>
#include <sys/stat.h>

#include "t.h"

int main(void)
{
	static const unsigned bad_flags[] = {
		1U << 5, 1U << 31, ~0U, PMKV_F_VALID | (1U << 8),
		PMKV_F_EXCL, PMKV_F_EXCL | PMKV_F_RDONLY,
		PMKV_F_CREATE | PMKV_F_RDONLY,
		PMKV_F_CREATE | PMKV_F_EXCL | PMKV_F_RDONLY,
		PMKV_F_CREATE | PMKV_F_SALVAGE,
	};
	static const unsigned good_flags[] = {
		0, PMKV_F_CREATE, PMKV_F_CREATE | PMKV_F_EXCL, PMKV_F_RDONLY,
		PMKV_F_NO_HELPER, PMKV_F_CREATE | PMKV_F_NO_HELPER,
		PMKV_F_RDONLY | PMKV_F_NO_HELPER, PMKV_F_SALVAGE,
		PMKV_F_SALVAGE | PMKV_F_RDONLY,
	};
	static const uint64_t bad_sizes[] = {
		1, 4096, PMKV_POOL_MIN / 2, PMKV_POOL_MIN - 1,
	};
	static const uint64_t good_sizes[] = {
		0, PMKV_POOL_MIN, PMKV_POOL_MIN + 4096, PMKV_POOL_DEFAULT,
	};
	struct pmkv_config *cfg = NULL, *null_cfg = NULL;
	struct pmkv *kv = NULL;
	struct stat st;
	char path[512];
	unsigned i;

	T_ASSERT_OK(pmkv_config_new(&cfg));
	T_ASSERT(cfg != NULL);

	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		T_EXPECT_ERR(pmkv_config_set_flags(cfg, bad_flags[i]),
			     -EINVAL, "flag", "EXCL", "RDONLY", "CREATE", "SALVAGE");
	for (i = 0; i < sizeof(good_flags) / sizeof(good_flags[0]); i++)
		T_ASSERT_OK(pmkv_config_set_flags(cfg, good_flags[i]));

	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		T_EXPECT_ERR(pmkv_config_set_size(cfg, bad_sizes[i]), -EINVAL,
			     "size", "small", "min");
	for (i = 0; i < sizeof(good_sizes) / sizeof(good_sizes[0]); i++)
		T_ASSERT_OK(pmkv_config_set_size(cfg, good_sizes[i]));

	T_EXPECT_ERR(pmkv_config_set_mode(cfg, 010000), -EINVAL, "mode");
	T_EXPECT_ERR(pmkv_config_set_mode(cfg, (mode_t)~0), -EINVAL, "mode");
	T_ASSERT_OK(pmkv_config_set_mode(cfg, 0640));

	/*
	 * The config now says CREATE, 16 MiB, mode 0640; the refused calls
	 * below must not change that.
	 */
	T_ASSERT_OK(pmkv_config_set_flags(cfg, PMKV_F_CREATE));
	T_ASSERT_OK(pmkv_config_set_size(cfg, PMKV_POOL_MIN));
	T_EXPECT_ERR(pmkv_config_set_flags(cfg, PMKV_F_CREATE |
					   PMKV_F_RDONLY), -EINVAL,
		     "flag", "RDONLY", "CREATE");
	T_EXPECT_ERR(pmkv_config_set_size(cfg, 1), -EINVAL, "size", "small",
		     "min");
	T_EXPECT_ERR(pmkv_config_set_mode(cfg, 010000), -EINVAL, "mode");

	t_pool_tmp(path, sizeof(path), "cfg");
	T_EXPECT_ERR(pmkv_open(NULL, cfg, &kv), -EINVAL, "path", "NULL");
	T_EXPECT_ERR(pmkv_open(path, cfg, NULL), -EINVAL, "NULL", "handle",
		     "kv", path);

	umask(0);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	T_ASSERT(kv != NULL);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT(kv == NULL);
	T_ASSERT_OK(stat(path, &st));
	T_ASSERT_EQ(st.st_mode & 07777, 0640);
	T_ASSERT_EQ(st.st_size, PMKV_POOL_MIN);

	pmkv_config_free(&cfg);
	T_ASSERT(cfg == NULL);
	pmkv_config_free(&cfg);
	pmkv_config_free(&null_cfg);
	pmkv_config_free(NULL);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT_OK(pmkv_close(NULL));
	return T_EXIT_PASS;
}
