// SPDX-License-Identifier: BSD-3-Clause
/* gup-odirect.c -- balanced O_DIRECT round trips through DAX pages */

/*
 * Bug class: the get side and the put side of a GUP reference on a
 * ZONE_DEVICE page disagree.  In 2017 the generic get_user_pages_fast()
 * took a page reference without the dev_pagemap reference that put_page()
 * then dropped: "percpu ref (dax_pmem_percpu_release) <= 0", crashes,
 * corruption.  Fixed by 71389703839e "mm, zone_device: Replace {get,
 * put}_zone_device_page() with a single reference to fix pmem crash".
 *
 * Many O_DIRECT writes from and reads into DAX-mapped pages (bio
 * pages pinned by GUP-fast, or faulted in by the GUP slow path when the
 * mapping is fresh), with the data checked on both sides every round.
 * If every get met its put, the devdax namespaces can then be disabled
 * and enabled again promptly: memunmap_pages() waits for the pgmap
 * references, so a leak shows as a timeout here, an underflow as a log
 * splat.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define LEN		(4UL << 20)	/* two PMDs' worth */
#define XFER		(1UL << 20)

static int rounds = 40;

/* map, or fault in every page first on odd rounds */
static int fresh_map(const struct kt_sub *s, struct kt_map *m, int round)
{
	if (kt_map(s, "gup-odirect", LEN, m))
		return -1;
	if (round & 1)
		for (size_t i = 0; i < LEN; i += KT_4K)
			((volatile char *)m->addr)[i] = 0;
	return 0;
}

/* DAX page -> bio -> null_blk, then back into DRAM and compare */
static bool write_from(const struct kt_sub *s, int fd, char *dram)
{
	for (int r = 0; r < rounds; r++) {
		struct kt_map m;
		off_t at = (r % 4) * XFER;
		uint32_t seed = 0x1000 + r;
		ssize_t n, bad;

		if (fresh_map(s, &m, r))
			return false;
		kt_fill(m.addr + at, XFER, seed);
		n = pwrite(fd, m.addr + at, XFER, r * XFER);
		kt_unmap(&m);
		if (n != (ssize_t)XFER) {
			ksft_print_msg("round %d: pwrite from %s: %zd %s\n",
				       r, s->name, n, strerror(errno));
			return false;
		}
		memset(dram, 0, XFER);
		n = pread(fd, dram, XFER, r * XFER);
		bad = kt_check(dram, XFER, seed);
		if (n != (ssize_t)XFER || bad >= 0) {
			ksft_print_msg("round %d: device holds wrong data at %zd\n",
				       r, bad);
			return false;
		}
	}
	return true;
}

/* null_blk -> bio -> DAX page; check through the mapping and the media */
static bool read_into(const struct kt_sub *s, int fd, char *dram)
{
	for (int r = 0; r < rounds; r++) {
		struct kt_map m;
		off_t at = (r % 4) * XFER;
		uint32_t seed = 0x2000 + r;
		ssize_t n, bad;

		kt_fill(dram, XFER, seed);
		if (pwrite(fd, dram, XFER, r * XFER) != (ssize_t)XFER)
			return false;
		if (fresh_map(s, &m, r))
			return false;
		memset(m.addr + at, 0x5a, XFER);
		n = pread(fd, m.addr + at, XFER, r * XFER);
		bad = kt_check(m.addr + at, XFER, seed);
		if (n != (ssize_t)XFER || bad >= 0) {
			ksft_print_msg("round %d: %s page holds wrong data at %zd (read %zd)\n",
				       r, s->name, bad, n);
			kt_unmap(&m);
			return false;
		}
		/* and it is in the media, not only in what we mapped */
		if (s->kind == KT_FSDAX) {
			n = pread(m.fd, dram, XFER, at);
			bad = kt_check(dram, XFER, seed);
			if (n != (ssize_t)XFER || bad >= 0) {
				ksft_print_msg("round %d: file read back wrong at %zd\n",
					       r, bad);
				kt_unmap(&m);
				return false;
			}
		}
		kt_unmap(&m);
	}
	return true;
}

static void reconfigure(const struct kt_sub *s)
{
	char name[64];
	int64_t off_ms = 0, on_ms = 0;
	int rc;

	snprintf(name, sizeof(name), "reconfigure_%s", s->name);
	if (!s->path || !s->ns) {
		ksft_test_result_skip(name, "no %s namespace\n", s->name);
		return;
	}
	kt_kmsg_mark();
	rc = kt_ns("disable-namespace", s->ns, 60000, &off_ms);
	if (rc) {
		ksft_print_msg("disable-namespace %s: %s after %lld ms\n", s->ns,
			       rc == -ETIMEDOUT ? "timeout" : "failed",
			       (long long)off_ms);
		ksft_test_result_fail("%s\n", name);
		return;
	}
	rc = kt_ns("enable-namespace", s->ns, 60000, &on_ms);
	ksft_print_msg("%s: disable %lld ms, enable %lld ms\n", s->ns,
		       (long long)off_ms, (long long)on_ms);
	if (rc || access(s->path, F_OK)) {
		ksft_print_msg("enable-namespace %s: rc %d, %s %s\n", s->ns, rc,
			       s->path, access(s->path, F_OK) ? "missing" : "back");
		ksft_test_result_fail("%s\n", name);
		return;
	}
	ksft_test_result(kt_kmsg_scan() == 0, name);
}

int main(int argc, char **argv)
{
	struct kt_sub subs[4];
	const char *dev = kt_fast_dev();
	int n = kt_substrates(KT_SUB_ALL, subs);
	char *dram;
	int fd;

	if (argc > 1)
		rounds = atoi(argv[1]);
	ksft_print_header();
	ksft_set_plan(n * 2 + 2);
	ksft_print_msg("%d rounds of %lu KiB per case, fast null_blk %s\n",
		       rounds, XFER >> 10, dev ? dev : "(none)");
	if (!dev)
		ksft_exit_skip("no null_blk device (KT_FAST)");
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&dram, KT_4K, XFER))
		ksft_exit_fail_msg("open %s: %s\n", dev, strerror(errno));

	for (int i = 0; i < n; i++) {
		char wname[64], rname[64];

		snprintf(wname, sizeof(wname), "write_from_%s", subs[i].name);
		snprintf(rname, sizeof(rname), "read_into_%s", subs[i].name);
		if (!subs[i].path) {
			ksft_test_result_skip(wname, "no %s\n", subs[i].name);
			ksft_test_result_skip(rname, "no %s\n", subs[i].name);
			continue;
		}
		kt_kmsg_mark();
		bool ok = write_from(&subs[i], fd, dram);

		ksft_test_result(kt_kmsg_scan() == 0 && ok, wname);
		kt_kmsg_mark();
		ok = read_into(&subs[i], fd, dram);
		ksft_test_result(kt_kmsg_scan() == 0 && ok, rname);
	}
	close(fd);
	for (int i = 0; i < n; i++)
		if (subs[i].kind == KT_DEVDAX)
			reconfigure(&subs[i]);
	ksft_finished();
}
