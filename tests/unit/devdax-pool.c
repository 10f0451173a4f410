// SPDX-License-Identifier: BSD-3-Clause
/* devdax-pool.c -- a pool on a device-dax character device */
/*
 * Proves: on the device PMKV_TEST_DEVDAX names (SKIP when unset; the
 * kernel suite's guest sets it, tests/kernel/run --engine) a pool is created
 * in place over a zeroed start, reports PMKV_MEDIA_DEVDAX with the
 * device's alignment and real pmem, puts at one fence each, and keeps
 * 20000 keys, overwrites, deletes and a batch across close and reopen;
 * PMKV_F_EXCL is refused on a device (it always exists); and a device
 * that holds a pool opens without PMKV_F_CREATE.
 *
 * The test overwrites the device's first 4 KiB: point it only at a
 * device whose contents do not matter.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "t.h"

#define NKEYS 20000U

static void key_of(unsigned i, char *k, size_t *klen)
{
	*klen = (size_t)sprintf(k, "devdax/%08u", i);
}

static size_t val_of(unsigned i, unsigned g, char *v)
{
	return (size_t)sprintf(v, "value %u of generation %u %0*u", i, g,
			       (int)(i % 97), 0);
}

static struct pmkv *open_dev(const char *dev, unsigned flags)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	int rc;

	T_ASSERT_OK(pmkv_config_new(&cfg));
	T_ASSERT_OK(pmkv_config_set_flags(cfg, flags));
	rc = pmkv_open(dev, cfg, &kv);
	pmkv_config_free(&cfg);
	if (rc)
		T_FAIL("pmkv_open(%s, flags %#x): %s: %s", dev, flags,
		       pmkv_strerror(rc), pmkv_errormsg());
	return kv;
}

static void check(struct pmkv *kv, unsigned g)
{
	char k[64], v[256], want[256];
	size_t klen, vlen, wlen;
	unsigned i;

	for (i = 0; i < NKEYS; i++) {
		key_of(i, k, &klen);
		if (i % 10 == 3) {
			T_ASSERT_EQ(pmkv_exists(kv, k, klen), -ENOENT);
			continue;
		}
		wlen = val_of(i, i % 4 == 0 ? g : 1, want);
		T_ASSERT_OK(pmkv_get(kv, k, klen, v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, wlen);
		T_ASSERT_MEM_EQ(v, want, wlen);
	}
	T_ASSERT_OK(pmkv_get(kv, "batch/a", 7, v, sizeof(v), &vlen));
	T_ASSERT_EQ(vlen, 1);
}

int main(void)
{
	const char *dev = getenv("PMKV_TEST_DEVDAX");
	struct pmkv_stats before, after;
	struct pmkv_info info;
	struct pmkv_config *cfg;
	struct pmkv_batch *b;
	char k[64], v[256];
	void *map;
	struct pmkv *kv = NULL;
	size_t klen, vlen;
	unsigned i;
	int fd;

	/* never a device that was not handed to us: its start is zeroed */
	if (!dev || !*dev)
		t_skip("PMKV_TEST_DEVDAX names no device whose contents may be lost (the kernel suite's guest sets it)");
	/*
	 * a zeroed start is free space for PMKV_F_CREATE; devdax has no
	 * read() or write(), only mmap() in units of its alignment (2 MiB
	 * covers 4 KiB and 2 MiB devices)
	 */
	fd = open(dev, O_RDWR);
	if (fd < 0)
		t_error("open %s: %s", dev, strerror(errno));
	map = mmap(NULL, 2U << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		t_error("mmap %s: %s", dev, strerror(errno));
	memset(map, 0, 4096);	/* device memory: no page cache to sync */
	munmap(map, 2U << 20);
	close(fd);

	T_ASSERT_OK(pmkv_config_new(&cfg));
	T_ASSERT_OK(pmkv_config_set_flags(cfg, PMKV_F_CREATE | PMKV_F_EXCL));
	T_ASSERT_EQ(pmkv_open(dev, cfg, &kv), -EEXIST);
	pmkv_config_free(&cfg);

	kv = open_dev(dev, PMKV_F_CREATE);
	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	t_info("%s: media %d, is_pmem %d, align %llu, pool %llu bytes", dev,
	       info.media, info.is_pmem, (unsigned long long)info.device_align,
	       (unsigned long long)info.pool_size);
	T_ASSERT_EQ(info.media, PMKV_MEDIA_DEVDAX);
	T_ASSERT_EQ(info.is_pmem, 1);
	T_ASSERT_EQ(info.pmem_forced, 0);
	T_ASSERT(info.device_align >= 4096);

	T_ASSERT_OK(pmkv_get_stats(kv, &before, sizeof(before)));
	for (i = 0; i < NKEYS; i++) {
		key_of(i, k, &klen);
		vlen = val_of(i, 1, v);
		T_ASSERT_OK(pmkv_put(kv, k, klen, v, vlen));
	}
	/* one fence a put; a new log segment adds a few of libpmemobj's */
	T_ASSERT_OK(pmkv_get_stats(kv, &after, sizeof(after)));
	t_info("%u puts: %llu fences, %llu new segments", NKEYS,
	       (unsigned long long)(after.fences - before.fences),
	       (unsigned long long)(after.segments - before.segments));
	T_ASSERT(after.fences - before.fences >= NKEYS);
	T_ASSERT(after.fences - before.fences <=
		 NKEYS + 8 * (after.segments - before.segments + 1));
	for (i = 0; i < NKEYS; i += 4) {
		key_of(i, k, &klen);
		vlen = val_of(i, 2, v);
		T_ASSERT_OK(pmkv_put(kv, k, klen, v, vlen));
	}
	for (i = 3; i < NKEYS; i += 10) {
		key_of(i, k, &klen);
		T_ASSERT_OK(pmkv_delete(kv, k, klen));
	}
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	T_ASSERT_OK(pmkv_batch_put(b, "batch/a", 7, "a", 1));
	T_ASSERT_OK(pmkv_batch_put(b, "batch/b", 7, "b", 1));
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
	check(kv, 2);
	T_ASSERT_OK(pmkv_close(&kv));

	/* a device holding a pool opens without PMKV_F_CREATE */
	kv = open_dev(dev, 0);
	check(kv, 2);
	T_ASSERT_OK(pmkv_get_stats(kv, &after, sizeof(after)));
	T_ASSERT(after.recovered_records > 0);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
