// SPDX-License-Identifier: BSD-3-Clause
/* reject-truncated-pool.c -- a pool file shorter than it was created */
/*
 * Proves: a 32 MiB pool cut to 16 MiB, or shortened by one page, is
 * refused with PMKV_E_CORRUPT and a message naming the path or the size,
 * read-write and read-only, and is left byte-for-byte unchanged. The
 * untouched original still opens with its data, so the cut is the cause.
 */
#include <errno.h>
#include <unistd.h>

#include "t.h"

#define MiB (1ULL << 20)

static void refuse_cut(const char *orig, uint64_t size)
{
	static const unsigned flags[] = { 0, PMKV_F_RDONLY };
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	char path[512];
	unsigned i;

	t_pool_tmp(path, sizeof(path), "cut");
	t_copy_file(orig, path);
	if (truncate(path, (off_t)size))
		t_error("truncate %s: %s", path, strerror(errno));
	t_info("%s cut to %llu bytes", path, (unsigned long long)size);
	t_snap_take(&snap, path);

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cfg = t_cfg(0, flags[i]);
		T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_CORRUPT, path,
			     "trunc", "size", "short");
		T_ASSERT(kv == NULL);
		pmkv_config_free(&cfg);
		T_ASSERT_UNCHANGED(&snap);
	}
	t_snap_free(&snap);
	unlink(path);
}

int main(void)
{
	char orig[512], val[8];
	struct pmkv *kv;
	size_t vlen = 0;

	t_pool_tmp(orig, sizeof(orig), "orig");
	kv = t_pool_create(orig, 32 * MiB);
	T_ASSERT_OK(pmkv_put(kv, "key", 3, "value", 5));
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT_EQ(t_file_size(orig), 32 * MiB);

	refuse_cut(orig, 16 * MiB);
	refuse_cut(orig, 32 * MiB - 4096);

	kv = t_pool_open(orig, 0);
	T_ASSERT_OK(pmkv_get(kv, "key", 3, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 5);
	T_ASSERT_MEM_EQ(val, "value", 5);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
