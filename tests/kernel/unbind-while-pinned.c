// SPDX-License-Identifier: BSD-3-Clause
/* unbind-while-pinned.c -- devdax teardown waits for pinned pages */

/*
 * Bug class: a ZONE_DEVICE teardown that does not wait for the references
 * GUP handed out.  In 2017 the pgmap reference went missing on the get
 * side, so memunmap_pages() saw the percpu ref drop to zero early (fixed
 * by 71389703839e "mm, zone_device: Replace {get, put}_zone_device_page()
 * with a single reference to fix pmem crash").  Since 27674ef6c73f "mm:
 * remove the extra ZONE_DEVICE struct page refcount" (2022) a GUP
 * reference holds only the page, and memunmap_pages() waits for the pgmap
 * references alone, so "ndctl disable-namespace" removes the memmap under
 * a pinned page and the later put touches freed struct pages (R3 in the
 * notes: an oops at release on every Debian kernel measured, 6.1 to 7.3).
 * No upstream fix is known.
 *
 * Modes (argv[1]), each run in a boot of its own since R3 oopses:
 *   vmsplice  a child holds a devdax page in a pipe for KT_HOLD_MS
 *   odirect   a child's O_DIRECT read into a devdax page is in flight on
 *             the delayed null_blk
 *   registered  a child registers a devdax page as an io_uring fixed
 *             buffer (a long-term pin, accepted on devdax since 6.12) and
 *             unregisters it at KT_HOLD_MS (R3b); SKIP where the kernel
 *             refuses the registration with EOPNOTSUPP (any other error
 *             fails)
 *   mapped    a child maps and touches a page, holds no pin: the disable
 *             must complete and the child's next access must SIGBUS
 * The pin is held in a child: a kernel that correctly waits for it would
 * deadlock a process that both holds the pin and unbinds.  The disable
 * must not return before the pin is released.  The namespace is enabled
 * again afterwards and must come back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>

#include "ksft.h"
#include "kt.h"

static const struct kt_sub *sub;
static int go_fd[2], ready_fd[2];
static int hold;

static char *map_dax(int *fd)
{
	char *p;

	*fd = open(sub->path, O_RDWR);
	if (*fd < 0)
		return NULL;
	p = mmap(NULL, KT_2M, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void sigbus(int sig)
{
	(void)sig;
	_exit(0);
}

/* the holder: pin (or just map) a page, say so, wait for "go", release */
static int holder(void *arg)
{
	const char *mode = arg;
	int fd, pfd[2];
	char c, *p = map_dax(&fd), buf[KT_4K];

	if (!p)
		return 2;
	kt_fill(p, KT_4K, 11);
	if (!strcmp(mode, "vmsplice")) {
		struct iovec iov = { p, KT_4K };

		if (pipe(pfd) || vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)KT_4K)
			return 3;
		if (write(ready_fd[1], "r", 1) != 1 || read(go_fd[0], &c, 1) != 1)
			return 2;
		/* the pipe's page reference is dropped here */
		if (read(pfd[0], buf, KT_4K) != (ssize_t)KT_4K)
			return 4;
		return kt_check(buf, KT_4K, 11) >= 0 ? 5 : 0;
	}
	if (!strcmp(mode, "registered")) {
		struct io_uring ring;
		struct iovec iov = { p, KT_4K };
		int ret;

		if (io_uring_queue_init(4, &ring, 0))
			return 3;
		ret = io_uring_register_buffers(&ring, &iov, 1);
		if (ret) {
			/* EOPNOTSUPP is the documented refusal; else a bug */
			fprintf(stderr, "# register_buffers: %s\n", strerror(-ret));
			return write(ready_fd[1], ret == -EOPNOTSUPP ? "n" : "e",
				     1) == 1 ? 7 : 2;
		}
		if (write(ready_fd[1], "r", 1) != 1 || read(go_fd[0], &c, 1) != 1)
			return 2;
		/* the long-term pin is dropped here */
		return io_uring_unregister_buffers(&ring) ? 4 : 0;
	}
	if (!strcmp(mode, "odirect")) {
		struct kt_io io;

		if (kt_io_start(&io, kt_slow_dev(), p, KT_4K, 0, false))
			return 3;
		if (write(ready_fd[1], "r", 1) != 1)
			return 2;
		return kt_io_join(&io) == (ssize_t)KT_4K ? 0 : 4;
	}
	/* mapped: no pin; after the disable the mapping must be revoked */
	if (write(ready_fd[1], "r", 1) != 1 || read(go_fd[0], &c, 1) != 1)
		return 2;
	signal(SIGBUS, sigbus);
	((volatile char *)p)[0] = 1;
	return 6;	/* the access went through: not revoked */
}

static int wait_ns_back(void)
{
	int64_t ms;
	int rc = kt_ns("enable-namespace", sub->ns, 60000, &ms);

	ksft_print_msg("enable-namespace %s: rc %d after %lld ms, %s %s\n",
		       sub->ns, rc, (long long)ms, sub->path,
		       access(sub->path, F_OK) ? "missing" : "back");
	return rc == 0 && access(sub->path, F_OK) == 0;
}

static char name[64];

static bool run(const char *mode)
{
	const char *argv[] = { "ndctl", "disable-namespace", sub->ns, NULL };
	bool pinned = strcmp(mode, "mapped") != 0;
	int64_t t0, released = 0;
	pid_t hpid, dpid;
	bool ok = true;
	int rc = -ETIMEDOUT;
	char c;

	if (pipe(go_fd) || pipe(ready_fd))
		return false;
	hpid = kt_child(holder, (void *)mode);
	if (read(ready_fd[0], &c, 1) != 1) {
		ksft_print_msg("holder failed to set up: exit %d\n",
			       kt_child_wait(hpid, 10000));
		return false;
	}
	if (c == 'e') {
		ksft_print_msg("io_uring registration failed, neither accepted nor refused with EOPNOTSUPP\n");
		kt_child_wait(hpid, 10000);
		return false;
	}
	if (c == 'n') {
		kt_child_wait(hpid, 10000);
		ksft_test_result_skip(name, "io_uring refuses to register devdax memory: no long-term pin to hold\n");
		ksft_finished();
	}
	t0 = kt_now_ms();
	dpid = kt_spawn(argv);
	if (pinned) {
		/* a correct kernel is still waiting when the hold ends */
		int wait = !strcmp(mode, "odirect") ? hold + 5000 : hold;

		if (!strcmp(mode, "odirect")) {
			/* the device ends the hold; see whether disable beat it */
			rc = kt_child_wait(dpid, wait);
			if (rc != -ETIMEDOUT && kt_inflight(kt_slow_dev()) > 0) {
				ksft_print_msg("disable-namespace returned (rc %d) after %lld ms with the O_DIRECT read into its page still in flight\n",
					       rc, (long long)(kt_now_ms() - t0));
				ok = false;
			}
		} else {
			rc = kt_child_wait(dpid, wait);
			if (rc != -ETIMEDOUT) {
				ksft_print_msg("disable-namespace returned (rc %d) after %lld ms while %s held its page\n",
					       rc, (long long)(kt_now_ms() - t0),
					       strcmp(mode, "registered") ?
					       "a pipe" : "a registered io_uring buffer");
				ok = false;
			}
			released = kt_now_ms();
			if (write(go_fd[1], "g", 1) != 1)
				ok = false;
		}
	}
	if (rc == -ETIMEDOUT)
		rc = kt_child_wait(dpid, 60000);
	ksft_print_msg("disable-namespace: rc %d after %lld ms%s\n", rc,
		       (long long)(kt_now_ms() - t0),
		       released ? " (pin released at the hold's end)" : "");
	if (rc) {
		if (rc == -ETIMEDOUT)
			kt_child_kill(dpid, 5000);
		ok = false;
	}
	if (!pinned && write(go_fd[1], "g", 1) != 1)
		ok = false;
	rc = kt_child_wait(hpid, hold + 10000);
	if (rc < 0) {
		/* an oopsed holder may never become a waitable zombie */
		ksft_print_msg("holder: %s\n", strerror(-rc));
		if (rc == -ETIMEDOUT)
			kt_child_kill(hpid, 5000);
		ok = false;
	} else if (rc) {
		ksft_print_msg("holder: exit %d (%s)\n", rc,
			       rc == 6 ? "page still accessible after the disable" :
			       rc > 128 ? "killed by a signal" :
			       rc == 4 ? "its I/O or pipe read failed" :
			       rc == 5 ? "the pipe gave back other data" : "failed");
		ok = false;
	}
	return wait_ns_back() && ok;
}

int main(int argc, char **argv)
{
	struct kt_sub subs[2];
	const char *mode = argc > 1 ? argv[1] : "vmsplice";
	/* one substrate per mode: after an oops nothing else is meaningful */
	unsigned int mask = !strcmp(mode, "odirect") ? KT_SUB_DEVDAX2M :
			    KT_SUB_DEVDAX4K;
	bool ok;

	kt_substrates(mask, subs);
	sub = &subs[0];
	hold = kt_hold_ms();
	ksft_print_header();
	ksft_set_plan(1);
	snprintf(name, sizeof(name), "disable_%s_%s", mode, sub->name);
	if (!sub->path || !sub->ns)
		ksft_exit_skip("no devdax namespace");
	if (!strcmp(mode, "odirect") && !kt_slow_dev())
		ksft_exit_skip("no delayed null_blk");
	if (!hold)
		hold = 2000;
	ksft_print_msg("%s (%s), hold %d ms\n", sub->path, sub->ns, hold);
	kt_kmsg_mark();
	ok = run(mode);
	ksft_test_result(kt_kmsg_scan() == 0 && ok, name);
	ksft_finished();
}
