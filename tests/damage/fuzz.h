/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz.h -- damage-fuzz's state, shared by its options, report, self-check */
#ifndef PMKV_DAMAGE_FUZZ_H
#define PMKV_DAMAGE_FUZZ_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "damage.h"
#include "model.h"
#include "regions.h"

/* a target is a region kind, or this: anywhere in the file */
#define TARGET_UNIFORM REGION_NR
#define TARGETS_NR (REGION_NR + 1)

struct fuzz {
	/* options */
	unsigned trials, keys, timeout_ms, show;
	uint64_t seed, pool_size;
	const char *dir, *write_seed, *save;
	bool verbose, self_check;
	int only;		/* --trial: replay this one, or -1 */
	uint32_t target_mask, damage_mask;	/* asked for; 0: all */

	/* what the trials go round */
	int damage[DAMAGE_NR], targets[TARGETS_NR];
	unsigned ndamage, ntargets;

	/* the pool */
	struct model m;
	struct region_map map;
	uint8_t *pristine, *img, *scratch;
	uint64_t size;

	/* results, by damage kind x target */
	unsigned tally[DAMAGE_NR * TARGETS_NR][V_NR];
	unsigned salvage_tally[DAMAGE_NR * TARGETS_NR][V_NR];
	unsigned made_permanent, bad_lines;
};

struct trial {
	unsigned n, combo;
	int target;
	enum region_kind hit;	/* the kind of the byte aimed at */
	struct damage d;
	uint64_t size;		/* of the damaged image */
	int verdict, salvage;
	bool made_permanent;
};

/* options.c: returns 0, 1 after --help, or -1 on a usage error */
int fuzz_options(struct fuzz *f, int argc, char **argv);
/* the damage kinds and targets the trials go round, from the map */
void fuzz_targets(struct fuzz *f);

/* report.c */
const char *region_kind_label(int target);
int fuzz_report(const struct fuzz *f);
void fuzz_save_failure(const struct fuzz *f, const struct trial *t);

/* self-check.c: proves that wrong answers, crashes and hangs are seen */
int fuzz_self_check(struct fuzz *f, const char *pristine);

/* damage-fuzz.c */
int fuzz_check(const struct fuzz *f, const struct model *m,
	       const char *path, const struct check_opts *o,
	       struct check_report *r);
int fuzz_write_file(const char *path, const uint8_t *buf, uint64_t len);

#endif /* PMKV_DAMAGE_FUZZ_H */
