/* SPDX-License-Identifier: BSD-3-Clause */
/* util.h -- helpers shared by the pmkv-cli commands */
#ifndef PMKV_CLI_UTIL_H
#define PMKV_CLI_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pmkv;

/* exit codes of pmkv-cli and every command */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2
#define CLI_DAMAGED 3	/* salvage: copied, but damage was skipped */

/* flags for util_size_fmt() and json_size() */
#define UTIL_HUMAN (1U << 0)

/* long enough for "18446744073709551615" and "1023.99 EiB" */
#define UTIL_SIZE_BUF 32

/*
 * util_err -- print a library failure as every command does:
 * "pmkv-cli <cmd>: <path>: <pmkv_strerror(rc)>: <pmkv_errormsg()>"
 *
 * Call it right after the failing call: pmkv_errormsg() is meaningful only
 * then. When the library left no message, detail (printf-style, may be
 * NULL) stands in for it. Returns CLI_FAIL.
 */
int util_err(const char *cmd, const char *path, int rc, const char *detail,
	     ...) __attribute__((format(printf, 4, 5)));

/*
 * util_usage_err -- "pmkv-cli <cmd>: <message>", then the command's usage,
 * both on stderr. Returns CLI_USAGE.
 */
int util_usage_err(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * util_bad_option -- report what getopt_long() refused ('?' or ':' with a
 * leading ':' in the optstring). Returns CLI_USAGE.
 */
int util_bad_option(const char *cmd, const char *usage, int c, char **argv);

/*
 * util_plain_args -- parse the arguments of a command whose only option
 * is --help and which takes exactly nargs operands (need says which, for
 * the usage error). Returns -1 when the command should go on with its
 * operands at argv[optind], else the exit code to return at once.
 */
int util_plain_args(int argc, char **argv, const char *usage, int nargs,
		    const char *need);

/* util_print_usage -- "usage: pmkv-cli <usage>" on f */
void util_print_usage(FILE *f, const char *usage);

/*
 * util_parse_u64 -- a decimal number, nothing else: no sign, no suffix,
 * no spaces. Returns 0 or -EINVAL (also on overflow).
 */
int util_parse_u64(const char *s, uint64_t *out);

/*
 * util_parse_size -- a byte count with an optional binary suffix:
 * "67108864", "64K", "64M", "1G", "2T" (K = 1024; case-insensitive; an
 * optional "iB" or "B" may follow the letter). Returns 0 or -EINVAL.
 */
int util_parse_size(const char *s, uint64_t *out);

/*
 * util_size_fmt -- the one size formatter: plain bytes, or with UTIL_HUMAN
 * "64.00 MiB". Returns buf, which holds UTIL_SIZE_BUF bytes.
 */
const char *util_size_fmt(char *buf, uint64_t bytes, unsigned flags);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and its NUL */
#define UTIL_UUID_BUF 37

/* util_uuid_fmt -- 16 bytes as a lower-case uuid string; returns buf */
const char *util_uuid_fmt(char *buf, const uint8_t uuid[16]);

/*
 * util_escape -- a byte string made printable: bytes 0x20..0x7e stand for
 * themselves except '\', which becomes "\\"; every other byte becomes
 * "\xNN" (two lower-case hex digits). Tabs and newlines are escaped too,
 * so an escaped key never breaks a "key<TAB>value" line.
 *
 * util_escape_len() is the length of the result without its NUL;
 * util_escape() writes into dst (util_escape_len() + 1 bytes) and returns
 * it; util_fput_escaped() writes to a stream.
 */
size_t util_escape_len(const void *p, size_t n);
char *util_escape(char *dst, const void *p, size_t n);
int util_fput_escaped(FILE *f, const void *p, size_t n);

/*
 * util_open -- open a pool for a command, printing the failure
 *
 * [in] flags: PMKV_F_* (0: an existing pool, read-write).
 * Returns CLI_OK with *kv set, or CLI_FAIL after util_err().
 */
int util_open(const char *cmd, const char *path, unsigned flags,
	      uint64_t size, struct pmkv **kv);

/*
 * util_close_stdout -- flush stdout and report a failed write (a full
 * disk, a closed pipe). Returns rc, or CLI_FAIL when stdout failed.
 */
int util_close_stdout(const char *cmd, int rc);

#endif /* PMKV_CLI_UTIL_H */
