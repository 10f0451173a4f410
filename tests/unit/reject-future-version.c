// SPDX-License-Identifier: BSD-3-Clause
/* reject-future-version.c -- a pool of a format this build cannot read */
/*
 * Proves: a pool whose superblock names a newer format major version (with
 * a correct checksum, as that newer build would write it) is refused with
 * PMKV_E_VERSION and a message naming the path or the version, read-write
 * and read-only, and is left byte-for-byte unchanged; so is a pool whose
 * key limit is larger than this build's PMKV_KEY_MAX (it may hold keys
 * this build cannot handle); and so is a pool of format 2, the one before
 * the index checkpoint, whose build would write without clearing
 * ckpt_gen. The control -- the same rewrite with this
 * build's own values -- opens with its data, so the checksum helper and
 * the offsets are right and only the version decides.
 */
#include <errno.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "format.h"

/* copy orig, let fix() change the superblock, recompute its checksum */
static void rewrite(const char *orig, char *path, size_t n,
		    void (*fix)(struct pmkv_super *))
{
	struct pmkv_super sb;
	uint64_t off;

	t_pool_tmp(path, n, "version");
	t_copy_file(orig, path);
	off = t_super_off(path);
	t_pread(path, &sb, sizeof(sb), off);
	T_ASSERT_EQ(sb.magic, PMKV_SUPER_MAGIC);
	T_ASSERT_EQ(sb.csum, format_super_csum(&sb));
	fix(&sb);
	sb.csum = format_super_csum(&sb);
	t_pwrite(path, &sb, sizeof(sb), off);
}

static void refuse(const char *path, int want, const char *word)
{
	static const unsigned flags[] = { 0, PMKV_F_RDONLY };
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	unsigned i;

	t_snap_take(&snap, path);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cfg = t_cfg(0, flags[i]);
		T_EXPECT_ERR(pmkv_open(path, cfg, &kv), want, path, word);
		T_ASSERT(kv == NULL);
		pmkv_config_free(&cfg);
		T_ASSERT_UNCHANGED(&snap);
	}
	t_snap_free(&snap);
}

static void same(struct pmkv_super *sb)
{
	(void)sb;
}

static void next_major(struct pmkv_super *sb)
{
	sb->format_major++;
}

static void format2(struct pmkv_super *sb)
{
	sb->format_major = 2;
}

static void far_major(struct pmkv_super *sb)
{
	sb->format_major = 0xfffffff0U;
}

static void big_keys(struct pmkv_super *sb)
{
	sb->key_max = PMKV_KEY_MAX * 2;
}

int main(void)
{
	char orig[512], path[512], val[8];
	struct pmkv_info info;
	struct pmkv *kv;
	size_t vlen = 0;

	t_pool_tmp(orig, sizeof(orig), "orig");
	kv = t_pool_create(orig, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "key", 3, "value", 5));
	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	T_ASSERT_OK(pmkv_close(&kv));
	t_info("pool format %u.%u", info.format_major, info.format_minor);

	/* control: rewritten with our own values, it opens */
	rewrite(orig, path, sizeof(path), same);
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get(kv, "key", 3, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 5);
	T_ASSERT_MEM_EQ(val, "value", 5);
	T_ASSERT_OK(pmkv_close(&kv));

	rewrite(orig, path, sizeof(path), next_major);
	refuse(path, PMKV_E_VERSION, "version");

	T_ASSERT_EQ(PMKV_FORMAT_MAJOR, 3);
	rewrite(orig, path, sizeof(path), format2);
	refuse(path, PMKV_E_VERSION, "version");

	rewrite(orig, path, sizeof(path), far_major);
	refuse(path, PMKV_E_VERSION, "version");

	rewrite(orig, path, sizeof(path), big_keys);
	refuse(path, PMKV_E_VERSION, "key");

	return T_EXIT_PASS;
}
