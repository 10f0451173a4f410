// SPDX-License-Identifier: BSD-3-Clause
/* gup-pmd.c -- GUP through PMD-mapped DAX pages (the huge devmap path) */

/*
 * Bug class: the huge-page GUP paths (__gup_device_huge_pmd, follow_devmap_pmd)
 * take and drop ZONE_DEVICE references on their own, separately from the
 * PTE paths: the 2017 get/put imbalance was in this family (fixed by
 * 71389703839e "mm, zone_device: Replace {get, put}_zone_device_page()
 * with a single reference to fix pmem crash"), and a 2 MiB page's tail
 * pages must be counted against the right head.
 *
 * A PMD mapping is checked, not assumed: smaps does not count DAX PMDs,
 * so the test counts faults.  Touching every 4 KiB page of a 2 MiB range
 * costs one fault with a PMD and 512 with PTEs.  An fsdax file gets PMDs
 * only where its extent is 2 MiB aligned on the device: FIEMAP says
 * whether that is the case, and a file that could not get one skips.
 * Then O_DIRECT writes from and reads into the whole huge page, data
 * checked, and the mapping must still be a PMD (no further faults).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define LEN	(2 * KT_2M)

/* faults taken to touch every 4 KiB of [p, p + 2M) */
static long touch_faults(char *p)
{
	long f0 = kt_minflt();

	for (size_t i = 0; i < KT_2M; i += KT_4K)
		((volatile char *)p)[i];
	return kt_minflt() - f0;
}

/* is the file's first extent 2 MiB aligned on the device? -1: unknown */
static int extent_aligned(int fd)
{
	/* struct fiemap ends in a flexible array: room for one extent */
	uint64_t raw[(sizeof(struct fiemap) + sizeof(struct fiemap_extent)) / 8];
	struct fiemap *fm = (struct fiemap *)raw;
	struct fiemap_extent *ext = fm->fm_extents;

	memset(raw, 0, sizeof(raw));
	fm->fm_length = KT_2M;
	fm->fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) || fm->fm_mapped_extents < 1)
		return -1;
	ksft_print_msg("first extent: physical %#llx, length %#llx\n",
		       (unsigned long long)ext->fe_physical,
		       (unsigned long long)ext->fe_length);
	return (ext->fe_physical % KT_2M) == 0 && ext->fe_length >= KT_2M;
}

/* 1 pass, 0 fail, -1 skip */
static int one(const struct kt_sub *s, int fd, char *dram)
{
	struct kt_map m;
	long faults;
	ssize_t n;
	int rc = 0;

	if (kt_map(s, "gup-pmd", LEN, &m))
		return 0;
	if ((uintptr_t)m.addr % KT_2M) {
		ksft_print_msg("mapping at %p is not 2 MiB aligned\n", m.addr);
		goto out;
	}
	faults = touch_faults(m.addr);
	ksft_print_msg("%s: %ld faults to touch 2 MiB\n", s->name, faults);
	/* a PMD costs one fault; a few more for the stack or the libc */
	if (faults > 8) {
		if (s->kind == KT_FSDAX && extent_aligned(m.fd) != 1) {
			ksft_print_msg("extent not 2 MiB aligned: no PMD possible\n");
			rc = -1;
		} else {
			ksft_print_msg("mapped with PTEs where a PMD was possible\n");
		}
		goto out;
	}
	/* the whole huge page in one bio each way */
	kt_fill(m.addr, KT_2M, 0x5000);
	n = pwrite(fd, m.addr, KT_2M, 0);
	if (n != (ssize_t)KT_2M || pread(fd, dram, KT_2M, 0) != (ssize_t)KT_2M ||
	    kt_check(dram, KT_2M, 0x5000) >= 0) {
		ksft_print_msg("O_DIRECT write from the PMD: %zd, data %s\n", n,
			       kt_check(dram, KT_2M, 0x5000) >= 0 ? "wrong" : "right");
		goto out;
	}
	kt_fill(dram, KT_2M, 0x5001);
	if (pwrite(fd, dram, KT_2M, KT_2M) != (ssize_t)KT_2M)
		goto out;
	memset(m.addr, 0, KT_2M);
	n = pread(fd, m.addr, KT_2M, KT_2M);
	if (n != (ssize_t)KT_2M || kt_check(m.addr, KT_2M, 0x5001) >= 0) {
		ksft_print_msg("O_DIRECT read into the PMD: %zd, data %s\n", n,
			       kt_check(m.addr, KT_2M, 0x5001) >= 0 ? "wrong" : "right");
		goto out;
	}
	faults = touch_faults(m.addr);
	if (faults > 8) {
		ksft_print_msg("after the I/O: %ld faults, the PMD was split\n",
			       faults);
		goto out;
	}
	rc = 1;
out:
	kt_unmap(&m);
	return rc;
}

int main(void)
{
	struct kt_sub subs[3];
	int n = kt_substrates(KT_SUB_DEVDAX2M | KT_SUB_FSDAX, subs);
	const char *dev = kt_fast_dev();
	char *dram;
	int fd;

	ksft_print_header();
	ksft_set_plan(n);
	if (!dev)
		ksft_exit_skip("no null_blk device (KT_FAST)");
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&dram, KT_2M, KT_2M))
		ksft_exit_fail_msg("open %s: %s\n", dev, strerror(errno));
	for (int i = 0; i < n; i++) {
		char name[64];
		int rc;

		snprintf(name, sizeof(name), "pmd_odirect_%s", subs[i].name);
		if (!subs[i].path) {
			ksft_test_result_skip(name, "no %s\n", subs[i].name);
			continue;
		}
		kt_kmsg_mark();
		rc = one(&subs[i], fd, dram);
		if (rc < 0)
			ksft_test_result_skip(name, "no 2 MiB aligned extent\n");
		else
			ksft_test_result(kt_kmsg_scan() == 0 && rc == 1, name);
	}
	ksft_finished();
}
