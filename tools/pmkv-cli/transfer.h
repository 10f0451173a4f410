/* SPDX-License-Identifier: BSD-3-Clause */
/* transfer.h -- what backup, restore and verify share: options, progress, report */
#ifndef PMKV_CLI_TRANSFER_H
#define PMKV_CLI_TRANSFER_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpmkv.h>

/* the long options every transfer command takes, and their getopt letters */
#define TRANSFER_OPTS \
	{ "no-direct", no_argument, NULL, 'D' }, \
	{ "no-uring", no_argument, NULL, 'U' }, \
	{ "queue-depth", required_argument, NULL, 'q' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "human", no_argument, NULL, 'u' }, \
	{ "help", no_argument, NULL, 'h' }
#define TRANSFER_OPTSTRING "DUq:juh"	/* after the command's ":" and letters */
/* backup and restore only: verify reads into its own buffer, never the pool */
#define TRANSFER_OPT_NO_FIXED { "no-fixed", no_argument, NULL, 'F' }

struct transfer_args {
	const char *cmd;	/* argv[0] */
	const char *usage;
	unsigned tflags;	/* PMKV_T_* */
	unsigned depth;		/* 0: the library's default */
	unsigned flags;		/* UTIL_HUMAN */
	bool json;
};

/*
 * transfer_opt -- handle one getopt_long() result c that every transfer
 * command knows (TRANSFER_OPTS, and 'F' from TRANSFER_OPT_NO_FIXED).
 * Returns -1 when it was handled and parsing goes on, else the exit code
 * to return at once (CLI_OK after --help, CLI_USAGE).
 */
int transfer_opt(struct transfer_args *a, int c, char **argv);

/*
 * transfer_config -- a transfer config from the arguments, with the
 * progress line when standard error is a terminal, and a progress
 * callback that stops the transfer once SIGINT, SIGTERM or SIGHUP came:
 * the library then removes what it wrote, which dying at once would
 * leave behind. The handlers stay until transfer_done().
 * [in] base: pmkv_backup()'s base, or NULL.
 * Returns CLI_OK with *tc set, or CLI_FAIL after printing why.
 */
int transfer_config(const struct transfer_args *a, const char *path,
		    const char *base, struct pmkv_transfer_config **tc);

/*
 * transfer_done -- right after the library call: clear the progress line
 * and put back the signal handlers. It calls no pmkv function, so
 * pmkv_errormsg() still says why the call failed.
 */
void transfer_done(void);

/*
 * transfer_exit -- the command's last word: util_close_stdout(), then,
 * if a signal stopped the transfer and the command failed, die of that
 * signal as an interrupted command should. Returns the exit code.
 */
int transfer_exit(const char *cmd, int rc);

/*
 * transfer_print -- the report, as text or (--json) one JSON object.
 * [in] what: "backup", "restore" or "verify"; backup, pool, base: the
 * paths named on the command line (pool and base may be NULL).
 */
void transfer_print(const struct transfer_args *a, const char *what,
		    const char *backup, const char *pool, const char *base,
		    const struct pmkv_transfer_report *rep);

/* MB per second as bench counts MB, 2^20 bytes; 0 when ns is 0 */
double transfer_mb_per_sec(uint64_t bytes, uint64_t ns);

#endif /* PMKV_CLI_TRANSFER_H */
