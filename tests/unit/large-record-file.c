// SPDX-License-Identifier: BSD-3-Clause
/* large-record-file.c -- large records go to a page-cache pool by its file */
/*
 * Proves: in a pool file that is not DAX, records of PERSIST_FILE_MIN
 * bytes and more are written by pwritev(), not through the mapping: 4 MiB
 * of 64 KiB values map (Rss of the pool's mapping) under a quarter of
 * that, where the same puts through the mapping map all of it (so the
 * measure can fail). Values on both sides of the threshold, and one
 * larger than a segment, read back byte for byte, pass check_run(), and
 * do so again after a reopen, which reads them through the mapping. A
 * changed byte of a large value is PMKV_E_CORRUPT with the caller's
 * buffer unchanged, however the get reads it. Run twice by meson: pmem
 * forced (flush + fence) and msync.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"
#include "check.h"
#include "kv.h"
#include "persist.h"
#include "t.h"

#define KiB 1024U
#define NBIG 64U
#define BIG (64 * KiB)

static const size_t sizes[] = {
	PERSIST_FILE_MIN - 200, PERSIST_FILE_MIN, 20000, 65535, 65536,
	65536 + 3, 300 * KiB, 1100 * KiB,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* kB of the mapping that holds p, as /proc/self/smaps counts them */
static uint64_t rss_of(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	uint64_t kb = 0;

	if (!f)
		t_skip("no /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, v;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && sscanf(line, "Rss: %lu kB", &v) == 1) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

static void fill(uint8_t *v, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void attach_all(struct pmkv *kv, int fd, const void *base)
{
	persist_file_attach(&kv->misc_pc, fd, base);
	persist_file_attach(&kv->gcw.pc, fd, base);
	for (int i = 0; i < NWRITERS; i++)
		persist_file_attach(&kv->writers[i].pc, fd, base);
}

/* every value put so far reads back, and the pool's invariants hold */
static void verify(struct pmkv *kv, uint8_t *want, uint8_t *got)
{
	char key[16];
	size_t vlen;

	for (unsigned i = 0; i < 2 * NBIG; i++) {
		snprintf(key, sizeof(key), "big%04u", i);
		fill(want, BIG, i);
		T_ASSERT_OK(pmkv_get(kv, key, strlen(key), got, BIG, &vlen));
		T_ASSERT_EQ(vlen, BIG);
		if (memcmp(got, want, BIG))
			T_FAIL("value of %s differs", key);
	}
	for (unsigned i = 0; i < NSIZES; i++) {
		snprintf(key, sizeof(key), "size%u", i);
		fill(want, sizes[i], 1000 + i);
		T_ASSERT_OK(pmkv_get(kv, key, strlen(key), got, 2 * KiB * KiB,
				     &vlen));
		T_ASSERT_EQ(vlen, sizes[i]);
		if (memcmp(got, want, sizes[i]))
			T_FAIL("value of %zu bytes differs", sizes[i]);
	}
	T_ASSERT_OK(check_run(kv));
}

/* a value byte changed in the pool: reported, never copied out */
static void damaged(struct pmkv *kv, uint8_t *got)
{
	struct kv_pinned p;
	uint8_t *v;
	size_t vlen;

	T_ASSERT_OK(kv_value_pin(kv, "big0001", 7, &p));
	v = (uint8_t *)p.val;
	kv_value_unpin(&p);
	memset(got, 0x5a, BIG);
	v[BIG - 9] ^= 0x10;
	T_EXPECT_ERR(pmkv_get(kv, "big0001", 7, got, BIG, &vlen),
		     PMKV_E_CORRUPT, "checksum");
	for (size_t i = 0; i < BIG; i++)
		if (got[i] != 0x5a)
			T_FAIL("byte %zu of the buffer was written", i);
	v[BIG - 9] ^= 0x10;
	T_ASSERT_OK(pmkv_get(kv, "big0001", 7, got, BIG, &vlen));
	T_ASSERT_EQ(vlen, BIG);
}

int main(void)
{
	uint8_t *want = malloc(2 * KiB * KiB), *got = malloc(2 * KiB * KiB);
	struct pmkv_config *cfg;
	uint64_t rss0, rss1, rss2;
	struct pmkv *kv;
	char path[512], key[16];
	int fd;

	if (!want || !got)
		t_error("no memory");
	t_pool_tmp(path, sizeof(path), "large-file");
	kv = t_pool_create(path, 64ULL * KiB * KiB);
	T_ASSERT_OK(pmkv_close(&kv));
	/* no warmer: only the writer's own stores may map pages */
	cfg = t_cfg(0, PMKV_F_NO_HELPER);
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	pmkv_config_free(&cfg);
	t_info("media %d, persist %s", kv->media, kv->persist->name);
	if (PMKV_CRASH_TEST || kv->media != PMKV_MEDIA_FILE) {
		int media = kv->media;

		/* the crash build and DAX write through the mapping */
		T_ASSERT(kv->writers[0].pc.file_base == NULL);
		T_ASSERT(kv->misc_pc.file_base == NULL);
		T_ASSERT_OK(pmkv_close(&kv));
		t_skip("no page-cache file here (media %d, crash build %d)",
		       media, PMKV_CRASH_TEST);
	}
	T_ASSERT(kv->misc_pc.file_base == kv->base);
	for (int i = 0; i < NWRITERS; i++)
		T_ASSERT(kv->writers[i].pc.file_base == kv->base);

	rss0 = rss_of(kv->base);
	for (unsigned i = 0; i < NBIG; i++) {
		snprintf(key, sizeof(key), "big%04u", i);
		fill(want, BIG, i);
		T_ASSERT_OK(pmkv_put(kv, key, strlen(key), want, BIG));
	}
	rss1 = rss_of(kv->base);
	t_info("through the file: %llu kB mapped for %u kB of values",
	       (unsigned long long)(rss1 - rss0), NBIG * BIG / KiB);
	T_ASSERT(rss1 - rss0 < NBIG * BIG / KiB / 4);

	/* the same puts through the mapping map every page they store to */
	fd = kv->misc_pc.file_fd;
	attach_all(kv, -1, NULL);
	for (unsigned i = NBIG; i < 2 * NBIG; i++) {
		snprintf(key, sizeof(key), "big%04u", i);
		fill(want, BIG, i);
		T_ASSERT_OK(pmkv_put(kv, key, strlen(key), want, BIG));
	}
	rss2 = rss_of(kv->base);
	t_info("through the mapping: %llu kB mapped",
	       (unsigned long long)(rss2 - rss1));
	T_ASSERT(rss2 - rss1 >= NBIG * BIG / KiB);
	attach_all(kv, fd, kv->base);

	for (unsigned i = 0; i < NSIZES; i++) {
		snprintf(key, sizeof(key), "size%u", i);
		fill(want, sizes[i], 1000 + i);
		T_ASSERT_OK(pmkv_put(kv, key, strlen(key), want, sizes[i]));
	}
	verify(kv, want, got);
	damaged(kv, got);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = t_pool_open(path, 0);
	verify(kv, want, got);
	T_ASSERT_OK(pmkv_close(&kv));
	free(want);
	free(got);
	return T_EXIT_PASS;
}
