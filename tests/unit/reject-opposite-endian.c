// SPDX-License-Identifier: BSD-3-Clause
/* reject-opposite-endian.c -- a pool written with the other byte order */
/*
 * Proves: a pool whose byte-order marker reads byte-swapped (with the
 * checksum fixed, as a big-endian build would have written it) is refused
 * with PMKV_E_FOREIGN and a message naming the path or the byte order,
 * read-write and read-only, and is left byte-for-byte unchanged. So is one
 * whose magic is byte-swapped too (every field swapped, as such a machine
 * writes them). A control rewrite with the native marker opens.
 */
#include <byteswap.h>
#include <errno.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "format.h"

#define PMDK_ROOT_OFFSET 6144

static void rewrite(const char *orig, char *path, size_t n, bool swap_magic,
		    bool swap_marker)
{
	struct pmkv_super sb;
	uint64_t off;

	t_pool_tmp(path, n, "endian");
	t_copy_file(orig, path);
	t_pread(path, &off, sizeof(off), PMDK_ROOT_OFFSET);
	t_pread(path, &sb, sizeof(sb), off);
	T_ASSERT_EQ(sb.magic, PMKV_SUPER_MAGIC);
	T_ASSERT_EQ(sb.byte_order, PMKV_BYTE_ORDER_MARK);
	if (swap_marker)
		sb.byte_order = bswap_64(sb.byte_order);
	if (swap_magic)
		sb.magic = bswap_64(sb.magic);
	sb.csum = format_super_csum(&sb);
	t_pwrite(path, &sb, sizeof(sb), off);
}

static void refuse(const char *path)
{
	static const unsigned flags[] = { 0, PMKV_F_RDONLY, PMKV_F_CREATE };
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	unsigned i;

	t_snap_take(&snap, path);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cfg = t_cfg(0, flags[i]);
		T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_FOREIGN, path,
			     "byte order", "endian");
		T_ASSERT(kv == NULL);
		pmkv_config_free(&cfg);
		T_ASSERT_UNCHANGED(&snap);
	}
	t_snap_free(&snap);
}

int main(void)
{
	char orig[512], path[512];
	struct pmkv *kv;

	t_pool_tmp(orig, sizeof(orig), "orig");
	kv = t_pool_create(orig, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "key", 3, "value", 5));
	T_ASSERT_OK(pmkv_close(&kv));

	rewrite(orig, path, sizeof(path), false, false);
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_exists(kv, "key", 3));
	T_ASSERT_OK(pmkv_close(&kv));

	rewrite(orig, path, sizeof(path), false, true);
	refuse(path);

	rewrite(orig, path, sizeof(path), true, true);
	refuse(path);
	return T_EXIT_PASS;
}
