/* SPDX-License-Identifier: BSD-3-Clause */
/* ksft.h -- KTAP v1 output with the kselftest helper names */

/*
 * Written from Documentation/dev-tools/ktap.rst: a "KTAP version 1" line,
 * a plan "1..N", one "ok|not ok N name [# SKIP reason]" line per test and
 * "# " diagnostics.  The names and exit codes are kselftest's so that a
 * kernel developer reads these programs without a guide: exit 0 pass,
 * 1 fail, 4 skip.  Only the subset the pmkv kernel suite uses is here.
 */
#ifndef PMKV_KSFT_H
#define PMKV_KSFT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_XFAIL	2
#define KSFT_XPASS	3
#define KSFT_SKIP	4

struct ksft_count {
	unsigned int pass;
	unsigned int fail;
	unsigned int skip;
	unsigned int planned;
};

static struct ksft_count ksft_cnt;

static inline unsigned int ksft_test_num(void)
{
	return ksft_cnt.pass + ksft_cnt.fail + ksft_cnt.skip + 1;
}

/*
 * Line-buffer stdout: if the kernel kills us, every result printed so far
 * has already reached the console.
 */
static inline void ksft_print_header(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n");
}

static inline void ksft_set_plan(unsigned int plan)
{
	ksft_cnt.planned = plan;
	printf("1..%u\n", plan);
}

static inline __attribute__((format(printf, 1, 2)))
void ksft_print_msg(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2)))
void ksft_test_result_pass(const char *fmt, ...)
{
	va_list ap;

	printf("ok %u ", ksft_test_num());
	ksft_cnt.pass++;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* fmt is the test name, optionally followed by " # why" */
static inline __attribute__((format(printf, 1, 2)))
void ksft_test_result_fail(const char *fmt, ...)
{
	va_list ap;

	printf("not ok %u ", ksft_test_num());
	ksft_cnt.fail++;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/*
 * Unlike kselftest's, this one takes the test's name apart from the
 * reason, so that a skipped test keeps the name LKFT and KCIDB key it by:
 * "ok N name # SKIP reason".
 */
static inline __attribute__((format(printf, 2, 3)))
void ksft_test_result_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("ok %u %s # SKIP ", ksft_test_num(), name);
	ksft_cnt.skip++;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static inline void ksft_test_result(int pass, const char *name)
{
	if (pass)
		ksft_test_result_pass("%s\n", name);
	else
		ksft_test_result_fail("%s\n", name);
}

static inline __attribute__((noreturn)) void ksft_exit_pass(void)
{
	exit(KSFT_PASS);
}

static inline __attribute__((noreturn)) void ksft_exit_fail(void)
{
	exit(KSFT_FAIL);
}

static inline __attribute__((noreturn)) void ksft_exit_skip(const char *why)
{
	/* a whole program skipped: plan 0 and the reason, as kselftest does */
	if (!ksft_cnt.planned && ksft_test_num() == 1)
		printf("1..0 # SKIP %s\n", why);
	else
		ksft_print_msg("SKIP %s\n", why);
	exit(KSFT_SKIP);
}

/* "Bail out!" ends the program: the harness could not go on */
static inline __attribute__((noreturn, format(printf, 1, 2)))
void ksft_exit_fail_msg(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	exit(KSFT_FAIL);
}

/*
 * Exit with the code the results add up to: any failure fails, a plan
 * that was not met fails, and a program whose every test skipped skips
 * rather than passes (ndctl's ndctl_test_result()).
 */
static inline __attribute__((noreturn)) void ksft_finished(void)
{
	unsigned int done = ksft_cnt.pass + ksft_cnt.fail + ksft_cnt.skip;

	if (ksft_cnt.planned && done != ksft_cnt.planned) {
		ksft_print_msg("planned %u tests but ran %u\n",
			       ksft_cnt.planned, done);
		exit(KSFT_FAIL);
	}
	ksft_print_msg("Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
		       ksft_cnt.pass, ksft_cnt.fail, ksft_cnt.skip);
	if (ksft_cnt.fail)
		exit(KSFT_FAIL);
	if (done && ksft_cnt.skip == done)
		exit(KSFT_SKIP);
	exit(KSFT_PASS);
}

#endif /* PMKV_KSFT_H */
