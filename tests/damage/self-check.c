// SPDX-License-Identifier: BSD-3-Clause
/* self-check.c -- the fuzzer can fail: wrong answers, crashes and hangs */
/*
 * A fuzzer that never reports wrong data proves nothing until it is shown
 * to see it. On an undamaged pool built by the workload, each case below
 * changes the model, not the pool, or runs a child that misbehaves, and
 * must get its verdict:
 *   - the model as built: correct;
 *   - one byte of a live key's value changed in the model: wrong-data
 *     (the pool's value "differs"; as a stale value would);
 *   - a live key marked deleted: wrong-data (a deleted key returned alive);
 *   - a deleted key marked live: wrong-data (a live key -ENOENT);
 *   - a child killed by SIGSEGV: crash; one that never answers: hang.
 * Exit 0 when every case got its verdict.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <libpmkv.h>

#include "child.h"
#include "fuzz.h"
#include "workload.h"

#define SELF_KEYS 400U
#define SELF_HANG_MS 300U

static int first(const struct model *m, enum model_state s, uint32_t min)
{
	unsigned i;

	for (i = 0; i < m->nkeys; i++)
		if (m->ent[i].state == s && m->ent[i].vlen >= min)
			return (int)i;
	return -1;
}

static void crash_child(void *arg, struct check_report *r)
{
	(void)arg;
	(void)r;
	raise(SIGSEGV);
}

static void hang_child(void *arg, struct check_report *r)
{
	(void)arg;
	(void)r;
	/* never answers: the parent's deadline is what ends it */
	for (;;)
		pause();
}

static unsigned ncase;

static int expect(const char *name, int got, int want, const char *detail)
{
	ncase++;
	printf("%s %u %s # %s%s%s\n", got == want ? "ok" : "not ok", ncase,
	       name, verdict_name(got), detail[0] ? ": " : "", detail);
	return got != want;
}

static int check(struct fuzz *f, const char *path, const char *name,
		 int want)
{
	struct check_opts o = { 0 };
	struct check_report r;
	int rc = fuzz_check(f, &f->m, path, &o, &r);

	return rc < 0 ? 99 : expect(name, rc, want, r.detail);
}

static int model_cases(struct fuzz *f, const char *trial)
{
	int live = first(&f->m, MODEL_LIVE, 1);
	int dead = first(&f->m, MODEL_DELETED, 0);
	struct model_ent save;
	int fails = 0;

	if (live < 0 || dead < 0)
		return 99;
	fails += check(f, trial, "model as built", V_CORRECT);

	f->m.ent[live].val[0] ^= 1;
	fails += check(f, trial, "a value changed in the model", V_WRONG);
	f->m.ent[live].val[0] ^= 1;

	save = f->m.ent[live];
	f->m.ent[live].state = MODEL_DELETED;
	fails += check(f, trial, "a live key deleted in the model", V_WRONG);
	f->m.ent[live] = save;

	save = f->m.ent[dead];
	f->m.ent[dead].state = MODEL_LIVE;
	fails += check(f, trial, "a deleted key live in the model", V_WRONG);
	f->m.ent[dead] = save;
	return fails;
}

int fuzz_self_check(struct fuzz *f, const char *pristine)
{
	struct workload_info wi;
	struct check_report r;
	unsigned keys = f->keys < SELF_KEYS ? f->keys : SELF_KEYS;
	int fails, rc;

	rc = workload_build(pristine, f->pool_size, keys, f->seed, &f->m, &wi);
	if (rc) {
		fprintf(stderr, "# building the pool: %s\n", pmkv_strerror(rc));
		return 99;
	}
	printf("1..6\n");
	fails = model_cases(f, pristine);
	if (fails >= 99)
		return 99;
	rc = child_run(crash_child, NULL, f->timeout_ms, &r);
	fails += rc < 0 ? 99 : expect("a child killed by SIGSEGV", rc,
				      V_CRASH, r.detail);
	rc = child_run(hang_child, NULL, SELF_HANG_MS, &r);
	fails += rc < 0 ? 99 : expect("a child that never answers", rc,
				      V_HANG, r.detail);
	return fails >= 99 ? 99 : fails ? 1 : 0;
}
