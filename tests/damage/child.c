// SPDX-License-Identifier: BSD-3-Clause
/* child.c -- run a check in a child process, with a deadline */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child(int fd, child_fn fn, void *arg)
{
	struct check_report r;
	const char *p = (const char *)&r;
	size_t left = sizeof(r);
	ssize_t n;

	fn(arg, &r);
	while (left) {
		n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(2);
		p += n;
		left -= (size_t)n;
	}
	/* _exit: the parent's atexit handlers and stdio are not ours */
	_exit(0);
}

/*
 * Read until EOF, which comes when the child has exited (it holds the only
 * write end), or until the deadline. Returns the bytes read, or -1 on a
 * timeout.
 */
static ssize_t collect(int fd, struct check_report *r, unsigned timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms, left;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -1;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return -1;
		n = read(fd, (char *)r + got,
			 got < sizeof(*r) ? sizeof(*r) - got : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (got == sizeof(*r)) {
			/* a whole report: what is left is the exit */
			char c;

			n = read(fd, &c, 1);
			if (n <= 0)
				return (ssize_t)got;
		}
	}
}

int child_start(struct child *c, child_fn fn, void *arg)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	c->start_ms = now_ms();
	c->pid = fork();
	if (c->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (c->pid == 0) {
		close(fds[0]);
		child(fds[1], fn, arg);
	}
	close(fds[1]);
	c->fd = fds[0];
	return 0;
}

int child_wait(struct child *c, unsigned timeout_ms, struct check_report *r)
{
	int64_t left = c->start_ms + timeout_ms - now_ms();
	int status = 0;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	got = collect(c->fd, r, left > 0 ? (unsigned)left : 0);
	close(c->fd);
	if (got < 0)
		kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < 0) {
		memset(r, 0, sizeof(*r));
		r->verdict = V_HANG;
		snprintf(r->detail, sizeof(r->detail),
			 "no answer in %u ms: killed", timeout_ms);
	} else if (WIFSIGNALED(status)) {
		memset(r, 0, sizeof(*r));
		r->verdict = V_CRASH;
		snprintf(r->detail, sizeof(r->detail), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (got != (ssize_t)sizeof(*r) || WEXITSTATUS(status)) {
		memset(r, 0, sizeof(*r));
		r->verdict = V_CRASH;
		snprintf(r->detail, sizeof(r->detail),
			 "exited with %d after a %zd-byte report",
			 WEXITSTATUS(status), got);
	}
	r->ms = (uint32_t)(now_ms() - c->start_ms);
	return r->verdict;
}

int child_run(child_fn fn, void *arg, unsigned timeout_ms,
	      struct check_report *r)
{
	struct child c;
	int rc = child_start(&c, fn, arg);

	return rc ? rc : child_wait(&c, timeout_ms, r);
}
