// SPDX-License-Identifier: BSD-3-Clause
/* truncate-while-pinned.c -- truncate and punch-hole wait for pinned pages */

/*
 * Bug class: a put of a GUP reference on an fsdax page that does not go
 * through the ZONE_DEVICE release hook, so the truncate waiting for the
 * page to become idle is never told (a lost wake-up), or a truncate that
 * does not wait at all and frees blocks still under DMA.  The 2019 shape
 * was release_pages() skipping put_devmap_managed_page(), fixed by
 * 07d802699528 "mm: devmap: refactor 1-based refcounting for ZONE_DEVICE
 * pages" / "mm/swap: fix release_pages() when releasing devmap pages".
 * Debian 6.1.y has it again (R1 in the notes): the stable backport of
 * 38b43539d64b "block: Fix page refcounts for unaligned buffers in
 * __bio_release_pages()" releases bio pages with folio_put_refs(), which
 * skips the devmap wake-up; ftruncate then sleeps in ext4_break_layouts /
 * xfs_break_dax_layouts after the I/O completed, until a signal.
 *
 * For ext4 and xfs mounted -o dax, a page of a file is held
 *   - by a pipe (vmsplice) in a child, released after KT_HOLD_MS, and
 *   - by an O_DIRECT read into it, or write from it, in flight on the
 *     delayed null_blk (held KT_HOLD_MS by the device),
 * while another process truncates or punches it.  The truncate must not
 * return while the page is held (it would free a block under DMA) and
 * must return soon after it is released.  Then the data: what was read
 * landed in the page, what was written reached the device, the rest of
 * the file is intact and the freed range reads back as zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define FILE_LEN	(2 * KT_2M)
#define CUT		KT_2M		/* truncate to here; the held page */
#define PAGE_AT		(CUT + 16 * KT_4K)

enum how { TRUNCATE, PUNCH };

/* written by the child that truncates, read by the parent */
struct shared {
	int64_t start_ms, end_ms;
	int err;
};

static struct shared *sh;
static int g_fd;
static enum how g_how;
static int hold, slack;

static int cut(void *arg)
{
	int rc;

	(void)arg;
	sh->start_ms = kt_now_ms();
	if (g_how == TRUNCATE)
		rc = ftruncate(g_fd, CUT);
	else
		rc = fallocate(g_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       PAGE_AT, KT_4K);
	sh->err = rc ? errno : 0;
	sh->end_ms = kt_now_ms();
	return rc ? 1 : 0;
}

static const char *verb(void)
{
	return g_how == TRUNCATE ? "truncate" : "punch";
}

/* start the cut in a child; returns its pid */
static pid_t start_cut(int fd, enum how how)
{
	g_fd = fd;
	g_how = how;
	memset(sh, 0, sizeof(*sh));
	return kt_child(cut, NULL);
}

/*
 * Wait for the cut to finish at most deadline_ms after now.  On timeout
 * report how long it has been blocked, then free it with SIGKILL so the
 * rest of the suite can go on.  Returns true if it finished.
 */
static bool wait_cut(pid_t pid, int deadline_ms, int64_t released_ms)
{
	int rc = kt_child_wait(pid, deadline_ms);

	if (rc == -ETIMEDOUT) {
		ksft_print_msg("%s still blocked %lld ms after the page was released (%lld ms in all)\n",
			       verb(), (long long)(kt_now_ms() - released_ms),
			       (long long)(kt_now_ms() - sh->start_ms));
		rc = kt_child_kill(pid, 10000);
		ksft_print_msg("SIGKILL %s: %s\n", verb(),
			       rc == -ETIMEDOUT ? "still there after 10 s" : "it ended");
		return false;
	}
	if (rc) {
		ksft_print_msg("%s failed: %s\n", verb(), strerror(sh->err));
		return false;
	}
	return true;
}

/* the cut must not finish before released_ms, and soon after it */
static bool check_timing(int64_t released_ms)
{
	int64_t early = released_ms - sh->end_ms;
	int64_t late = sh->end_ms - released_ms;

	ksft_print_msg("%s took %lld ms, returned %lld ms after the release\n",
		       verb(), (long long)(sh->end_ms - sh->start_ms),
		       (long long)late);
	/* 50 ms: the release and our clock read are not one instant */
	if (early > 50) {
		ksft_print_msg("%s returned %lld ms before the pinned page was released\n",
			       verb(), (long long)early);
		return false;
	}
	return late <= slack;
}

static char orig[FILE_LEN];

/*
 * Nothing landed where it should not: the file outside the cut range is
 * as it was, and the cut range reads as zeros (re-extended after a
 * truncate).  A block freed under DMA and reused would show here.
 */
static bool check_file(int fd, enum how how)
{
	static char buf[FILE_LEN];
	size_t lo = how == TRUNCATE ? CUT : PAGE_AT;
	size_t hi = how == TRUNCATE ? FILE_LEN : PAGE_AT + KT_4K;
	ssize_t bad;

	if (how == TRUNCATE && ftruncate(fd, FILE_LEN))
		return false;
	if (pread(fd, buf, FILE_LEN, 0) != (ssize_t)FILE_LEN)
		return false;
	if (memcmp(buf, orig, lo) || memcmp(buf + hi, orig + hi, FILE_LEN - hi)) {
		ksft_print_msg("file changed outside the %s range\n", verb());
		return false;
	}
	bad = kt_check_byte(buf + lo, hi - lo, 0);
	if (bad >= 0) {
		ksft_print_msg("%s range holds data at +%zd\n", verb(), bad);
		return false;
	}
	return true;
}

static int make_file(const struct kt_sub *s, struct kt_map *m)
{
	if (kt_map(s, "truncate-while-pinned", FILE_LEN, m))
		return -1;
	kt_fill(m->addr, FILE_LEN, 7);
	memcpy(orig, m->addr, FILE_LEN);
	return 0;
}

/* ---- a page held by a pipe ---------------------------------------------- */

static int pipe_fd[2], go_fd[2], ready_fd[2];
static char *held_page;

/* vmsplice the page, say so, wait for "go", drain and check the pipe */
static int holder(void *arg)
{
	struct iovec iov = { held_page, KT_4K };
	char c, *buf = malloc(KT_4K);

	(void)arg;
	if (vmsplice(pipe_fd[1], &iov, 1, 0) != (ssize_t)KT_4K)
		return 2;
	if (write(ready_fd[1], "r", 1) != 1 || read(go_fd[0], &c, 1) != 1)
		return 2;
	/* reading drops the pipe's page reference: the release */
	if (read(pipe_fd[0], buf, KT_4K) != (ssize_t)KT_4K)
		return 3;
	return memcmp(buf, arg ? arg : buf, KT_4K) ? 4 : 0;
}

static bool case_vmsplice(const struct kt_sub *s, enum how how)
{
	struct kt_map m;
	static char want[KT_4K];
	pid_t hpid, cpid;
	int64_t released;
	char c;
	bool ok = false;
	int rc;

	if (make_file(s, &m))
		return false;
	held_page = m.addr + PAGE_AT;
	memcpy(want, held_page, KT_4K);
	if (pipe(pipe_fd) || pipe(go_fd) || pipe(ready_fd))
		goto out;
	hpid = kt_child(holder, want);
	if (read(ready_fd[0], &c, 1) != 1) {
		ksft_print_msg("vmsplice of the DAX page failed\n");
		kt_child_wait(hpid, 5000);
		goto out_pipes;
	}
	/* only the child holds the page now */
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	cpid = start_cut(m.fd, how);
	/* the cut must still be waiting when the hold ends */
	rc = kt_child_wait(cpid, hold);
	if (rc != -ETIMEDOUT) {
		ksft_print_msg("%s returned after %lld ms while a pipe held the page\n",
			       verb(), (long long)(sh->end_ms - sh->start_ms));
		released = kt_now_ms();
		if (write(go_fd[1], "g", 1) != 1)
			goto out_pipes;
		kt_child_wait(hpid, 5000);
		goto out_pipes;
	}
	released = kt_now_ms();
	if (write(go_fd[1], "g", 1) != 1)
		goto out_pipes;
	rc = kt_child_wait(hpid, 5000);
	if (rc) {
		ksft_print_msg("pipe holder: exit %d (3: short read, 4: data changed)\n", rc);
		wait_cut(cpid, slack, released);
		goto out_pipes;
	}
	ok = wait_cut(cpid, slack, released) && check_timing(released) &&
	     check_file(m.fd, how);
out_pipes:
	close(go_fd[0]);
	close(go_fd[1]);
	close(ready_fd[0]);
	close(ready_fd[1]);
out:
	kt_unmap(&m);
	return ok;
}

/* ---- a page under O_DIRECT ------------------------------------------------ */

static bool case_odirect(const struct kt_sub *s, enum how how, bool write,
			 bool after)
{
	const char *dev = kt_slow_dev();
	static char dram[KT_4K] __attribute__((aligned(4096)));
	struct kt_map m;
	struct kt_io io;
	pid_t cpid;
	bool ok = false;

	if (make_file(s, &m))
		return false;
	if (!write) {
		/* what the device holds: the read must bring exactly this */
		int fd = open(dev, O_RDWR | O_DIRECT);

		kt_fill(dram, KT_4K, 99);
		if (fd < 0 || pwrite(fd, dram, KT_4K, 0) != (ssize_t)KT_4K)
			goto out;
		close(fd);
	}
	if (kt_io_start(&io, dev, m.addr + PAGE_AT, KT_4K, 0, write))
		goto out;
	if (after) {
		/* control: the I/O is over before the cut begins */
		kt_io_join(&io);
		if (!write && memcmp(m.addr + PAGE_AT, dram, KT_4K)) {
			ksft_print_msg("the read did not land in the page\n");
			goto out;
		}
		cpid = start_cut(m.fd, how);
		ok = wait_cut(cpid, slack, io.end_ms);
		/* a cut killed at its deadline never wrote end_ms */
		if (ok)
			ksft_print_msg("%s after the I/O: %lld ms\n", verb(),
				       (long long)(sh->end_ms - sh->start_ms));
		else
			ksft_print_msg("%s after the I/O: not done in %d ms\n",
				       verb(), slack);
		ok = ok && sh->end_ms - sh->start_ms < slack &&
		     io.ret == (ssize_t)KT_4K && check_file(m.fd, how);
		goto out;
	}
	cpid = start_cut(m.fd, how);
	/* held by the device for KT_HOLD_MS; give it that plus the slack */
	bool done = wait_cut(cpid, hold + slack, io.start_ms + hold);
	ssize_t n = kt_io_join(&io);

	if (n != (ssize_t)KT_4K) {
		ksft_print_msg("O_DIRECT %s returned %zd\n", write ? "write" : "read", n);
		goto out;
	}
	ksft_print_msg("I/O held %lld ms\n", (long long)(io.end_ms - io.start_ms));
	if (!done)
		goto out;
	ok = check_timing(io.end_ms);
	if (write) {
		/* the device got the page as it was when the write began */
		int fd = open(dev, O_RDONLY | O_DIRECT);

		if (fd < 0 || pread(fd, dram, KT_4K, 0) != (ssize_t)KT_4K)
			ok = false;
		else if (memcmp(dram, orig + PAGE_AT, KT_4K)) {
			ksft_print_msg("device did not get the page's data\n");
			ok = false;
		}
		if (fd >= 0)
			close(fd);
	}
	ok = check_file(m.fd, how) && ok;
out:
	kt_unmap(&m);
	return ok;
}

int main(void)
{
	struct kt_sub subs[2];
	int n = kt_substrates(KT_SUB_FSDAX, subs);
	static const struct {
		const char *name;
		enum how how;
		bool write, after;
	} cases[] = {
		{ "truncate_after_odirect", TRUNCATE, false, true },
		{ "truncate_odirect_read", TRUNCATE, false, false },
		{ "truncate_odirect_write", TRUNCATE, true, false },
		{ "punch_odirect_read", PUNCH, false, false },
	};
	const int ncases = sizeof(cases) / sizeof(cases[0]);

	ksft_print_header();
	ksft_set_plan(n * (ncases + 2));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	hold = kt_hold_ms();
	/* after the release, a correct kernel returns within ms; TCG is slow */
	slack = hold > 3000 ? hold : 3000;
	ksft_print_msg("hold %d ms (slow null_blk %s), slack %d ms\n", hold,
		       kt_slow_dev() ? kt_slow_dev() : "(none)", slack);

	for (int i = 0; i < n; i++) {
		char name[96];
		bool ok;

		for (int h = TRUNCATE; h <= PUNCH; h++) {
			snprintf(name, sizeof(name), "%s_vmsplice_%s",
				 h == TRUNCATE ? "truncate" : "punch", subs[i].name);
			if (!subs[i].path || !hold) {
				ksft_test_result_skip(name, "no %s\n",
					subs[i].path ? "hold" : subs[i].name);
				continue;
			}
			kt_kmsg_mark();
			ok = case_vmsplice(&subs[i], h);
			ksft_test_result(kt_kmsg_scan() == 0 && ok, name);
		}
		for (int c = 0; c < ncases; c++) {
			snprintf(name, sizeof(name), "%s_%s", cases[c].name,
				 subs[i].name);
			if (!subs[i].path || !kt_slow_dev()) {
				ksft_test_result_skip(name, "no %s\n",
					subs[i].path ? "delayed null_blk" : subs[i].name);
				continue;
			}
			kt_kmsg_mark();
			ok = case_odirect(&subs[i], cases[c].how, cases[c].write,
					  cases[c].after);
			ksft_test_result(kt_kmsg_scan() == 0 && ok, name);
		}
	}
	ksft_finished();
}
