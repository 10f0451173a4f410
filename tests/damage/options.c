// SPDX-License-Identifier: BSD-3-Clause
/* options.c -- damage-fuzz's command line */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

/* defaults: the CI run (meson.build) names its own seed and trials */
#define TRIALS_DEFAULT 300U
#define KEYS_DEFAULT 3000U
#define POOL_DEFAULT (16ULL << 20)	/* 256 KiB segments */
#define TIMEOUT_DEFAULT 20000U		/* ms per check, on a loaded machine */
#define SHOW_DEFAULT 20U

enum opt {
	OPT_TRIALS = 256, OPT_SEED, OPT_KEYS, OPT_DIR, OPT_KINDS, OPT_DAMAGE,
	OPT_TRIAL, OPT_TIMEOUT, OPT_POOL, OPT_SHOW, OPT_SAVE, OPT_WRITE_SEED,
	OPT_SELF_CHECK, OPT_VERBOSE, OPT_HELP,
};

static const struct {
	struct option o;
	const char *arg, *help;
} opts[] = {
	{ { "trials", 1, NULL, OPT_TRIALS }, "N", "trials to run (300)" },
	{ { "seed", 1, NULL, OPT_SEED }, "S", "seed of workload and damage (clock)" },
	{ { "keys", 1, NULL, OPT_KEYS }, "K", "keys the workload writes (3000)" },
	{ { "dir", 1, NULL, OPT_DIR }, "DIR", "pool files here (/dev/shm, $TMPDIR, /tmp)" },
	{ { "kinds", 1, NULL, OPT_KINDS }, "LIST", "targets: region kinds and 'uniform'" },
	{ { "damage", 1, NULL, OPT_DAMAGE }, "LIST", "flip,zero64,zero4k,copy64,truncate" },
	{ { "trial", 1, NULL, OPT_TRIAL }, "T", "replay trial T alone, verbosely" },
	{ { "timeout", 1, NULL, OPT_TIMEOUT }, "MS", "a check that takes longer hangs (20000)" },
	{ { "pool-size", 1, NULL, OPT_POOL }, "BYTES", "pool size (16 MiB)" },
	{ { "show", 1, NULL, OPT_SHOW }, "N", "print at most N bad checks (20)" },
	{ { "save", 1, NULL, OPT_SAVE }, "DIR", "keep each bad trial's image there" },
	{ { "write-seed", 1, NULL, OPT_WRITE_SEED }, "FILE", "write the pool as an afl seed; no trials" },
	{ { "self-check", 0, NULL, OPT_SELF_CHECK }, NULL, "prove that wrong data is caught" },
	{ { "verbose", 0, NULL, OPT_VERBOSE }, NULL, "every check of every trial" },
	{ { "help", 0, NULL, OPT_HELP }, NULL, "this" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *out)
{
	char left[48];
	size_t i;

	fprintf(out, "usage: damage-fuzz [options]\n");
	for (i = 0; i < NOPTS; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].o.name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(out, "  %-22s %s\n", left, opts[i].help);
	}
	fprintf(out, "region kinds:");
	for (i = 0; i < TARGETS_NR; i++)
		fprintf(out, " %s", region_kind_label((int)i));
	fprintf(out, "\n");
}

static int number(const char *name, const char *s, uint64_t *v)
{
	char *end;

	*v = strtoull(s, &end, 0);
	if (end == s || *end) {
		fprintf(stderr, "damage-fuzz: --%s: not a number: %s\n", name, s);
		return -1;
	}
	return 0;
}

/* a comma-separated list of names into a mask */
static int names(const char *name, const char *s, int (*parse)(const char *),
		 uint32_t *mask)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int k, rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		k = parse(tok);
		if (k < 0) {
			fprintf(stderr, "damage-fuzz: --%s: unknown: %s\n",
				name, tok);
			rc = -1;
		} else {
			*mask |= 1U << k;
		}
	}
	free(copy);
	return rc;
}

static int target_parse(const char *s)
{
	return strcmp(s, "uniform") ? region_kind_parse(s) : TARGET_UNIFORM;
}

static int one(struct fuzz *f, int c, const char *name, const char *arg)
{
	uint64_t v = 0;

	switch (c) {
	case OPT_TRIALS: case OPT_SEED: case OPT_KEYS: case OPT_TRIAL:
	case OPT_TIMEOUT: case OPT_POOL: case OPT_SHOW:
		if (number(name, arg, &v))
			return -1;
		break;
	}
	switch (c) {
	case OPT_TRIALS: f->trials = (unsigned)v; break;
	case OPT_SEED: f->seed = v; break;
	case OPT_KEYS: f->keys = (unsigned)v; break;
	case OPT_TRIAL: f->only = (int)v; f->verbose = true; break;
	case OPT_TIMEOUT: f->timeout_ms = (unsigned)v; break;
	case OPT_POOL: f->pool_size = v; break;
	case OPT_SHOW: f->show = (unsigned)v; break;
	case OPT_DIR: f->dir = arg; break;
	case OPT_SAVE: f->save = arg; break;
	case OPT_WRITE_SEED: f->write_seed = arg; break;
	case OPT_SELF_CHECK: f->self_check = true; break;
	case OPT_VERBOSE: f->verbose = true; break;
	case OPT_KINDS:
		return names(name, arg, target_parse, &f->target_mask);
	case OPT_DAMAGE:
		return names(name, arg, damage_parse, &f->damage_mask);
	case OPT_HELP: usage(stdout); return 1;
	default: usage(stderr); return -1;
	}
	return 0;
}

int fuzz_options(struct fuzz *f, int argc, char **argv)
{
	struct option lo[NOPTS + 1];
	struct timespec ts;
	bool seeded = false;
	size_t i;
	int c, rc, idx;

	clock_gettime(CLOCK_REALTIME, &ts);
	f->trials = TRIALS_DEFAULT;
	f->keys = KEYS_DEFAULT;
	f->pool_size = POOL_DEFAULT;
	f->timeout_ms = TIMEOUT_DEFAULT;
	f->show = SHOW_DEFAULT;
	f->seed = (uint64_t)ts.tv_sec * 1000003ULL ^ (uint64_t)ts.tv_nsec;
	f->only = -1;
	for (i = 0; i < NOPTS; i++)
		lo[i] = opts[i].o;
	memset(&lo[NOPTS], 0, sizeof(lo[NOPTS]));
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		seeded |= c == OPT_SEED;
		rc = one(f, c, c >= OPT_TRIALS ? lo[idx].name : "?", optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	if (!seeded)
		printf("# no --seed: seed %" PRIu64 "\n", f->seed);
	return 0;
}

void fuzz_targets(struct fuzz *f)
{
	int k;

	f->ndamage = f->ntargets = 0;
	for (k = 0; k < DAMAGE_NR; k++)
		if (!f->damage_mask || (f->damage_mask & (1U << k)))
			f->damage[f->ndamage++] = k;
	/* a kind the pool does not hold cannot be aimed at */
	for (k = 0; k < TARGETS_NR; k++)
		if ((!f->target_mask || (f->target_mask & (1U << k))) &&
		    (k == TARGET_UNIFORM || f->map.bytes[k]))
			f->targets[f->ntargets++] = k;
	if (!f->ntargets)
		f->targets[f->ntargets++] = TARGET_UNIFORM;
}
