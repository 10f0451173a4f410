/* SPDX-License-Identifier: BSD-3-Clause */
/* child.h -- run a check in a child process, with a deadline */
#ifndef PMKV_DAMAGE_CHILD_H
#define PMKV_DAMAGE_CHILD_H

#include <sys/types.h>

#include "check.h"

typedef void (*child_fn)(void *arg, struct check_report *r);

/*
 * child_run -- fn(arg, r) in a forked child; its report comes back
 *
 * The child writes its report to a pipe and exits. The parent waits on
 * the pipe until the deadline: a child still running then is killed and
 * judged V_HANG; one that dies of a signal, or exits without a whole
 * report, V_CRASH. Returns the verdict, also in r->verdict, or -errno
 * when the harness itself failed (fork, pipe).
 */
int child_run(child_fn fn, void *arg, unsigned timeout_ms,
	      struct check_report *r);

/*
 * child_start, child_wait -- the same in two halves, so that two checks of
 * one trial (read-write and read-only, on two copies) run side by side on
 * two cores; the deadline counts from the start.
 */
struct child {
	pid_t pid;
	int fd;
	int64_t start_ms;
};

int child_start(struct child *c, child_fn fn, void *arg);
int child_wait(struct child *c, unsigned timeout_ms, struct check_report *r);

#endif /* PMKV_DAMAGE_CHILD_H */
