// SPDX-License-Identifier: BSD-3-Clause
/* reject-flipped-superblock.c -- one damaged byte in the superblock */
/*
 * Proves: flipping any one byte of the checksummed part of pmkv's
 * superblock (bytes [0, 64) and the checksum itself) makes pmkv_open()
 * refuse the pool with PMKV_E_CORRUPT and a message naming the path,
 * read-write and read-only, and leaves the file byte-for-byte unchanged.
 * The major version bytes are the one exception the format allows: the
 * version is judged before the checksum (a newer format may checksum other
 * bytes), so a flip there may read as PMKV_E_VERSION instead. The
 * untouched original opens with its data, so the flip is the cause.
 *
 * The superblock is libpmemobj's root object: its file offset is PMDK's
 * root_offset, the u64 at file offset 6144; offsets inside it come from
 * lib/layout.h.
 */
#include <errno.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "format.h"

#define PMDK_ROOT_OFFSET 6144

static uint64_t super_offset(const char *path)
{
	struct pmkv_super sb;
	uint64_t off;

	t_pread(path, &off, sizeof(off), PMDK_ROOT_OFFSET);
	if (off < PMDK_ROOT_OFFSET || off + sizeof(sb) > t_file_size(path))
		T_FAIL("%s: root_offset %llu is outside the file", path,
		       (unsigned long long)off);
	t_pread(path, &sb, sizeof(sb), off);
	if (sb.magic != PMKV_SUPER_MAGIC)
		T_FAIL("%s: no superblock at root_offset %llu (magic %016llx)",
		       path, (unsigned long long)off,
		       (unsigned long long)sb.magic);
	if (sb.csum != format_super_csum(&sb))
		T_FAIL("%s: a fresh pool's superblock fails its checksum",
		       path);
	return off;
}

static unsigned counts[2];

/*
 * Flip one byte of the working copy, try to open it, and flip it back. The
 * snapshot is patched along with the file, so "unchanged" means: nothing
 * but the flipped byte differs from the pristine pool.
 */
static void refuse_flip(const char *path, struct t_snap *snap,
			uint64_t sboff, unsigned at)
{
	static const unsigned flags[] = { 0, PMKV_F_RDONLY };
	bool major = at >= offsetof(struct pmkv_super, format_major) &&
		     at < offsetof(struct pmkv_super, format_minor);
	uint64_t pos = sboff + at;
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	uint8_t b, orig;
	unsigned i;
	int ret, want = PMKV_E_CORRUPT;

	t_pread(path, &orig, 1, pos);
	T_ASSERT_EQ(orig, snap->bytes[pos]);
	b = orig ^ 0xff;
	t_pwrite(path, &b, 1, pos);
	snap->bytes[pos] = b;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		cfg = t_cfg(0, flags[i]);
		ret = pmkv_open(path, cfg, &kv);
		if (major && ret == PMKV_E_VERSION)
			want = PMKV_E_VERSION;
		if (ret != want)
			t_info("flip at superblock byte %u", at);
		T_EXPECT_ERR(ret, want, path);
		T_ASSERT(kv == NULL);
		pmkv_config_free(&cfg);
		T_ASSERT_UNCHANGED(snap);
	}
	counts[want == PMKV_E_CORRUPT ? 0 : 1]++;

	t_pwrite(path, &orig, 1, pos);
	snap->bytes[pos] = orig;
}

int main(void)
{
	char orig[512], path[512], val[8];
	struct t_snap snap;
	struct pmkv *kv;
	uint64_t sboff;
	size_t vlen = 0;
	unsigned at;

	t_pool_tmp(orig, sizeof(orig), "orig");
	kv = t_pool_create(orig, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "key", 3, "value", 5));
	T_ASSERT_OK(pmkv_close(&kv));
	sboff = super_offset(orig);
	t_info("superblock at file offset %llu", (unsigned long long)sboff);

	t_pool_tmp(path, sizeof(path), "flip");
	t_copy_file(orig, path);
	t_snap_take(&snap, path);
	T_ASSERT(snap.bytes != NULL);
	for (at = 0; at < 64; at++)
		refuse_flip(path, &snap, sboff, at);
	for (at = offsetof(struct pmkv_super, csum);
	     at < offsetof(struct pmkv_super, csum) + 8; at++)
		refuse_flip(path, &snap, sboff, at);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
	t_info("%u flips refused as corrupt, %u as another version",
	       counts[0], counts[1]);

	kv = t_pool_open(orig, 0);
	T_ASSERT_OK(pmkv_get(kv, "key", 3, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 5);
	T_ASSERT_MEM_EQ(val, "value", 5);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
