// SPDX-License-Identifier: BSD-3-Clause
/* media-detect.c -- pmkv_open() tells a file, fsdax and devdax apart */
/*
 * Proves: a pool created in the test directory reports the media that
 * directory really is, and the persistence path follows from it.  On the
 * host (/dev/shm, tmpfs) that is PMKV_MEDIA_FILE, not pmem unless
 * PMEM_IS_PMEM_FORCE says so, and a put costs one msync.  The kernel
 * suite's guest runs it with PMKV_TEST_DIR on an ext4 or xfs -o dax mount
 * and PMKV_TEST_MEDIA=fsdax: the mapping must then be MAP_SYNC (media
 * PMKV_MEDIA_FSDAX, is_pmem, not forced) and a put costs one fence -- the
 * only place the suite meets real DAX.
 */
#include <stdlib.h>

#include "t.h"

int main(void)
{
	const char *want = getenv("PMKV_TEST_MEDIA");
	const char *force = getenv("PMEM_IS_PMEM_FORCE");
	struct pmkv_stats before, after;
	struct pmkv_info info;
	enum pmkv_media media;
	char path[512];
	struct pmkv *kv;

	if (!want || !*want)
		want = "file";
	if (!strcmp(want, "file"))
		media = PMKV_MEDIA_FILE;
	else if (!strcmp(want, "fsdax"))
		media = PMKV_MEDIA_FSDAX;
	else
		t_error("PMKV_TEST_MEDIA=%s: file or fsdax", want);

	t_pool_tmp(path, sizeof(path), "media");
	kv = t_pool_create(path, 32ULL << 20);
	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	t_info("%s: media %d, is_pmem %d, forced %d", path, info.media,
	       info.is_pmem, info.pmem_forced);
	T_ASSERT_EQ(info.media, media);
	if (media == PMKV_MEDIA_FSDAX) {
		T_ASSERT_EQ(info.is_pmem, 1);
		T_ASSERT_EQ(info.pmem_forced, 0);
	} else {
		T_ASSERT_EQ(info.is_pmem, force && !strcmp(force, "1"));
	}
	T_ASSERT_EQ(info.device_align, 0);

	/*
	 * one fence (a drain, or an msync of the record) per put, once the
	 * first put has allocated the writer's log segment
	 */
	T_ASSERT_OK(pmkv_put(kv, "first", 5, "segment", 7));
	T_ASSERT_OK(pmkv_get_stats(kv, &before, sizeof(before)));
	T_ASSERT_OK(pmkv_put(kv, "media", 5, "detected", 8));
	T_ASSERT_OK(pmkv_get_stats(kv, &after, sizeof(after)));
	T_ASSERT_EQ(after.fences - before.fences, 1);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	T_ASSERT_EQ(info.media, media);
	T_ASSERT_OK(pmkv_exists(kv, "media", 5));
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
