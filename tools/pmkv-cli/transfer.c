// SPDX-License-Identifier: BSD-3-Clause
/* transfer.c -- options, progress line and report of backup, restore, verify */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "transfer.h"
#include "util.h"

/* the progress line is redrawn at most this often: a terminal is slow */
#define PROGRESS_NS 100000000ULL

/* one transfer per process: the state its callback and handlers share */
static struct {
	volatile sig_atomic_t sig;	/* the signal that asks us to stop */
	bool tty;		/* stderr is a terminal: draw the line */
	bool drawn;		/* a line is on the terminal to clear */
	bool caught;		/* our handlers are installed */
	const char *what;	/* "backup", "restore", "verify" */
	uint64_t t0, last;	/* CLOCK_MONOTONIC ns: start, last drawing */
	struct sigaction old[3];
} prog;

static const int stop_signals[3] = { SIGINT, SIGTERM, SIGHUP };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double transfer_mb_per_sec(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / 1048576.0 / ((double)ns / 1e9) : 0.0;
}

int transfer_opt(struct transfer_args *a, int c, char **argv)
{
	uint64_t v;

	switch (c) {
	case 'D':
		a->tflags |= PMKV_T_NO_DIRECT;
		return -1;
	case 'U':
		a->tflags |= PMKV_T_NO_URING;
		return -1;
	case 'F':
		a->tflags |= PMKV_T_NO_FIXED;
		return -1;
	case 'q':
		if (util_parse_u64(optarg, &v) || v < 1 ||
		    v > PMKV_QUEUE_DEPTH_MAX)
			return util_usage_err(a->cmd, a->usage,
				"bad --queue-depth '%s': a number of requests from 1 to %u",
				optarg, PMKV_QUEUE_DEPTH_MAX);
		a->depth = (unsigned)v;
		return -1;
	case 'j':
		a->json = true;
		return -1;
	case 'u':
		a->flags |= UTIL_HUMAN;
		return -1;
	case 'h':
		util_print_usage(stdout, a->usage);
		return util_close_stdout(a->cmd, CLI_OK);
	}
	return util_bad_option(a->cmd, a->usage, c, argv);
}

static int on_progress(uint64_t done, uint64_t total, void *arg)
{
	char b[UTIL_SIZE_BUF];
	uint64_t now;
	double pct;

	(void)arg;
	if (prog.sig)
		return 1;	/* the library stops and cleans up */
	if (!prog.tty)
		return 0;
	now = now_ns();
	if (done < total && now - prog.last < PROGRESS_NS)
		return 0;
	prog.last = now;
	pct = total ? 100.0 * (double)done / (double)total : 100.0;
	/* \033[K: a shorter line must not leave the end of a longer one */
	fprintf(stderr, "\r%s: %3.0f%% of %s, %.1f MB/s\033[K", prog.what,
		pct, util_size_fmt(b, total, UTIL_HUMAN),
		transfer_mb_per_sec(done, now - prog.t0));
	prog.drawn = true;
	return 0;
}

static void on_signal(int sig)
{
	prog.sig = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a wait in the library returns early, and the next
	   progress call stops the transfer */
	for (unsigned i = 0; i < 3; i++)
		sigaction(stop_signals[i], &sa, &prog.old[i]);
	prog.caught = true;
}

int transfer_config(const struct transfer_args *a, const char *path,
		    const char *base, struct pmkv_transfer_config **tc)
{
	int rc;

	rc = pmkv_transfer_config_new(tc);
	if (!rc)
		rc = pmkv_transfer_config_set_flags(*tc, a->tflags);
	if (!rc && a->depth)
		rc = pmkv_transfer_config_set_queue_depth(*tc, a->depth);
	if (!rc && base)
		rc = pmkv_transfer_config_set_base(*tc, base);
	if (!rc)
		rc = pmkv_transfer_config_set_progress(*tc, on_progress, NULL);
	if (rc) {
		rc = util_err(a->cmd, base && rc == -EINVAL ? base : path, rc,
			      "transfer options: flags %#x, queue depth %u",
			      a->tflags, a->depth);
		pmkv_transfer_config_free(tc);
		return rc;
	}
	prog.what = a->cmd;
	prog.tty = isatty(STDERR_FILENO);
	prog.t0 = now_ns();
	prog.last = prog.t0;
	catch_signals();
	return CLI_OK;
}

void transfer_done(void)
{
	if (prog.drawn)
		fputs("\r\033[K", stderr);
	prog.drawn = false;
	if (prog.caught)
		for (unsigned i = 0; i < 3; i++)
			sigaction(stop_signals[i], &prog.old[i], NULL);
	prog.caught = false;
}

int transfer_exit(const char *cmd, int rc)
{
	int sig = prog.sig;

	rc = util_close_stdout(cmd, rc);
	if (rc != CLI_OK && sig) {
		fprintf(stderr, "pmkv-cli %s: stopped by %s\n", cmd,
			strsignal(sig));
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return rc;
}

static void print_text(const struct transfer_args *a, const char *what,
		       const char *backup, const char *pool, const char *base,
		       const struct pmkv_transfer_report *rep)
{
	static const uint8_t zero[16];
	char b[UTIL_SIZE_BUF], u[UTIL_UUID_BUF];

	printf("backup:          %s\n", backup);
	if (pool)
		printf("pool:            %s\n", pool);
	if (base)
		printf("base:            %s\n", base);
	printf("transfer path:   %s\n", pmkv_transfer_path_name(rep->path));
	printf("bytes:           %s\n", util_size_fmt(b, rep->bytes, a->flags));
	printf("bounce bytes:    %s\n",
	       util_size_fmt(b, rep->bounce_bytes, a->flags));
	if (!strcmp(what, "backup")) {
		printf("segments:        %" PRIu64 " copied of %" PRIu64 "\n",
		       rep->segments_copied, rep->segments);
	} else {
		/* all of them were read; the rest came from the bases */
		printf("segments:        %" PRIu64 ", %" PRIu64 " with bytes in this backup\n",
		       rep->segments, rep->segments_copied);
		printf("records:         %" PRIu64 "\n", rep->records);
	}
	printf("version:         %" PRIu64 "\n", rep->version);
	printf("chain:           %" PRIu32 "\n", rep->chain);
	printf("uuid:            %s\n", util_uuid_fmt(u, rep->uuid));
	if (memcmp(rep->base_uuid, zero, sizeof(zero)))
		printf("base uuid:       %s\n",
		       util_uuid_fmt(u, rep->base_uuid));
	printf("pool uuid:       %s\n", util_uuid_fmt(u, rep->pool_uuid));
	printf("elapsed:         %.3f s\n", (double)rep->elapsed_ns / 1e9);
	printf("rate:            %.1f MB/s\n",
	       transfer_mb_per_sec(rep->bytes, rep->elapsed_ns));
}

void transfer_print(const struct transfer_args *a, const char *what,
		    const char *backup, const char *pool, const char *base,
		    const struct pmkv_transfer_report *rep)
{
	struct json_object *o;

	if (!a->json) {
		print_text(a, what, backup, pool, base, rep);
		return;
	}
	o = transfer_to_json(what, backup, pool, base, rep, a->flags);
	json_print(stdout, o);
	json_object_put(o);
}
