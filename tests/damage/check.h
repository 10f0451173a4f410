/* SPDX-License-Identifier: BSD-3-Clause */
/* check.h -- open a pool and judge every answer against the model */
#ifndef PMKV_DAMAGE_CHECK_H
#define PMKV_DAMAGE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* worst last: a trial takes the worst verdict of its checks */
enum verdict {
	V_CORRECT,	/* every answer equals the model */
	V_CLEAN,	/* open refused, or some answers PMKV_E_CORRUPT */
	V_HANG,		/* the check did not finish in time */
	V_CRASH,	/* the check died of a signal (or exited unasked) */
	V_WRONG,	/* an answer that is neither the model's nor an error */
	V_NR,
};

const char *verdict_name(enum verdict v);

struct check_opts {
	unsigned flags;		/* for pmkv_open(): 0, RDONLY, SALVAGE */
	bool probes;		/* put the probes after reading (read-write) */
	bool probes_maybe;	/* probes may be present (a reopen after one) */
};

/* what a check sends its parent: fixed size, one write() */
struct check_report {
	int verdict;
	int open_rc;
	uint32_t answers;	/* gets, exists and keys scanned */
	uint32_t corrupt;	/* of them PMKV_E_CORRUPT */
	uint32_t wrong;
	uint32_t probes_acked;	/* bit i: probe i's put returned 0 */
	uint32_t ms;		/* the child's life, as the parent saw it */
	char detail[240];	/* the first wrong answer, or the first error */
};

/*
 * check_run -- open path and ask it everything the model knows
 *
 * Every model key by pmkv_get() and pmkv_exists(), then a full pmkv_scan()
 * and a full iterator walk: values, order (strictly increasing, so a key
 * seen twice is out of order) and completeness. An open refused with
 * PMKV_E_CORRUPT, _FOREIGN or _VERSION, and any answer PMKV_E_CORRUPT, is a
 * clean error; any other code, any value or presence that differs from
 * the model, is wrong data. Closes the pool before returning.
 */
void check_run(const char *path, const struct model *m,
	       const struct check_opts *o, struct check_report *r);

#endif /* PMKV_DAMAGE_CHECK_H */
