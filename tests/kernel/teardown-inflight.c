// SPDX-License-Identifier: BSD-3-Clause
/* teardown-inflight.c -- munmap, exit and fork while I/O into DAX pages flies */

/*
 * Bug class: the reference an in-flight bio holds on a DAX page must
 * outlive the mapping it was taken through, and be dropped exactly once
 * when the I/O ends, whatever happened to the mapping or the process
 * meanwhile.  A missing get frees the page under DMA; a missing or
 * misrouted put leaks it (later truncates or namespace disables hang) or
 * loses the wake-up.  The ZONE_DEVICE get/put pairing was fixed in 2017
 * by 71389703839e "mm, zone_device: Replace {get, put}_zone_device_page()
 * with a single reference to fix pmem crash".
 *
 * With an O_DIRECT read from the delayed null_blk into a DAX page in
 * flight (KT_HOLD_MS):
 *   munmap  the mapping goes away; the data still lands in the media
 *   exit    the process that submitted it (io_uring) exits at once
 *   fork    a child shares the mapping; both see the data afterwards
 * Then the page holds either all of the old data or all of the new (the
 * read's), never a mix, and on fsdax a truncate must not wait: no
 * reference was left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define LEN	KT_2M
#define AT	(4 * KT_4K)
#define OLD	30
#define NEW	31

static const struct kt_sub *sub;
static struct kt_map m;
static int hold;
static int go[2];

/* the page in the media, through a fresh mapping: all new, or all old? */
static bool landed(bool must_be_new)
{
	char *p = mmap(NULL, LEN, PROT_READ, MAP_SHARED, m.fd, 0);
	bool isnew, isold;

	if (p == MAP_FAILED)
		return false;
	isnew = kt_check(p + AT, KT_4K, NEW) < 0;
	isold = kt_check(p + AT, KT_4K, OLD) < 0;
	munmap(p, LEN);
	if (!isnew && (must_be_new || !isold)) {
		ksft_print_msg("page holds %s\n", isold ? "the old data, not the read's" :
			       "neither the old data nor the read's");
		return false;
	}
	ksft_print_msg("page holds the %s data\n", isnew ? "read's" : "old");
	return true;
}

static bool no_reference_left(void)
{
	int64_t t0 = kt_now_ms();
	bool ok;

	if (sub->kind != KT_FSDAX)
		return true;
	ok = ftruncate(m.fd, 0) == 0;
	ksft_print_msg("truncate afterwards: %lld ms\n",
		       (long long)(kt_now_ms() - t0));
	return ok && kt_now_ms() - t0 < 2000;
}

static bool do_munmap(void)
{
	struct kt_io io;

	if (kt_io_start(&io, kt_slow_dev(), m.addr + AT, KT_4K, 0, false))
		return false;
	munmap(m.addr, m.len);
	m.addr = NULL;
	if (kt_io_join(&io) != (ssize_t)KT_4K) {
		ksft_print_msg("read returned %zd\n", io.ret);
		return false;
	}
	return landed(true);
}

static int exiter(void *arg)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int fd = open(kt_slow_dev(), O_RDONLY | O_DIRECT);

	(void)arg;
	if (fd < 0 || io_uring_queue_init(2, &ring, 0))
		return 2;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, m.addr + AT, KT_4K, 0);
	if (io_uring_submit(&ring) != 1)
		return 3;
	_exit(0);	/* with the read in flight, ring and mapping still up */
}

static bool do_exit(void)
{
	pid_t pid = kt_child(exiter, NULL);
	int64_t t0 = kt_now_ms();
	int rc = kt_child_wait(pid, hold + 10000);
	int w;

	ksft_print_msg("child exited %d after %lld ms\n", rc,
		       (long long)(kt_now_ms() - t0));
	if (rc) {
		if (rc == -ETIMEDOUT)
			kt_child_kill(pid, 5000);
		return false;
	}
	w = kt_wait_inflight(kt_slow_dev(), false, hold + 5000);
	if (w < 0) {
		ksft_print_msg("request still in flight %d ms after exit\n", hold + 5000);
		return false;
	}
	return landed(false);
}

static int forked(void *arg)
{
	char c;

	(void)arg;
	if (read(go[0], &c, 1) != 1)
		return 2;
	return kt_check(m.addr + AT, KT_4K, NEW) < 0 ? 0 : 1;
}

static bool do_fork(void)
{
	struct kt_io io;
	pid_t pid;
	int rc;

	if (pipe(go))
		return false;
	if (kt_io_start(&io, kt_slow_dev(), m.addr + AT, KT_4K, 0, false))
		return false;
	pid = kt_child(forked, NULL);
	kt_io_join(&io);
	if (write(go[1], "g", 1) != 1)
		return false;
	rc = kt_child_wait(pid, 10000);
	close(go[0]);
	close(go[1]);
	if (rc)
		ksft_print_msg("forked child: exit %d (1: it does not see the read's data)\n", rc);
	return io.ret == (ssize_t)KT_4K && rc == 0 &&
	       kt_check(m.addr + AT, KT_4K, NEW) < 0 && landed(true);
}

int main(void)
{
	static const struct {
		const char *name;
		bool (*fn)(void);
	} cases[] = {
		{ "munmap", do_munmap }, { "exit", do_exit }, { "fork", do_fork },
	};
	struct kt_sub subs[4];
	int n = kt_substrates(KT_SUB_ALL, subs);
	char *dram;
	int fd;

	ksft_print_header();
	ksft_set_plan(n * 3);
	hold = kt_hold_ms();
	if (!kt_slow_dev())
		ksft_exit_skip("no delayed null_blk (KT_SLOW)");
	/* what every read brings: the pattern NEW at device offset 0 */
	fd = open(kt_slow_dev(), O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&dram, KT_4K, KT_4K))
		ksft_exit_fail_msg("open %s: %s\n", kt_slow_dev(), strerror(errno));
	kt_fill(dram, KT_4K, NEW);
	if (pwrite(fd, dram, KT_4K, 0) != (ssize_t)KT_4K)
		ksft_exit_fail_msg("pwrite %s: %s\n", kt_slow_dev(), strerror(errno));
	close(fd);
	ksft_print_msg("hold %d ms on %s\n", hold, kt_slow_dev());
	for (int i = 0; i < n; i++) {
		sub = &subs[i];
		for (int c = 0; c < 3; c++) {
			char name[64];
			bool ok;

			snprintf(name, sizeof(name), "%s_%s", cases[c].name, sub->name);
			if (!sub->path) {
				ksft_test_result_skip(name, "no %s\n", sub->name);
				continue;
			}
			if (kt_map(sub, "teardown-inflight", LEN, &m)) {
				ksft_test_result_fail("%s\n", name);
				continue;
			}
			kt_fill(m.addr + AT, KT_4K, OLD);
			kt_kmsg_mark();
			ok = cases[c].fn() && no_reference_left();
			ksft_test_result(kt_kmsg_scan() == 0 && ok, name);
			kt_unmap(&m);
		}
	}
	ksft_finished();
}
