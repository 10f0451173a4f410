// SPDX-License-Identifier: BSD-3-Clause
/* report.c -- damage-fuzz's table, its verdict, and the images kept */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libpmkv.h>

#include "fuzz.h"
#include "seedfmt.h"

const char *region_kind_label(int target)
{
	return target == TARGET_UNIFORM ? "uniform" :
					  region_kind_name((enum region_kind)target);
}

/* the columns in issue 15's order, not the verdicts' order of worst */
static const enum verdict columns[V_NR] = {
	V_CORRECT, V_CLEAN, V_WRONG, V_CRASH, V_HANG,
};

static void row(const char *dmg, const char *target, const unsigned *n)
{
	int c;

	printf("%-9s %-16s", dmg, target);
	for (c = 0; c < V_NR; c++)
		printf(" %11u", n[columns[c]]);
	printf("\n");
}

/* rows damage x target, columns the verdicts; then the totals */
static void table(const struct fuzz *f, const unsigned (*tally)[V_NR],
		  unsigned *total)
{
	unsigned c, ncombo = f->ndamage * f->ntargets;
	int v;

	printf("%-9s %-16s", "damage", "region");
	for (v = 0; v < V_NR; v++)
		printf(" %11s", verdict_name(columns[v]));
	printf("\n");
	for (c = 0; c < ncombo; c++) {
		unsigned sum = 0;

		for (v = 0; v < V_NR; v++) {
			sum += tally[c][v];
			total[v] += tally[c][v];
		}
		if (sum)
			row(damage_name(f->damage[c / f->ntargets]),
			    region_kind_label(f->targets[c % f->ntargets]),
			    tally[c]);
	}
	row("total", "", total);
}

int fuzz_report(const struct fuzz *f)
{
	unsigned total[V_NR] = { 0 }, salvage[V_NR] = { 0 }, n = 0;
	int v;

	table(f, f->tally, total);
#ifdef PMKV_F_SALVAGE
	/* informational: a destroyed header can hide a newer version from
	 * salvage, which then serves an older one; only a crash or hang
	 * there fails the run */
	printf("\nsalvage (PMKV_F_SALVAGE):\n");
	table(f, f->salvage_tally, salvage);
#else
	printf("# salvage: not tried, libpmkv.h defines no PMKV_F_SALVAGE\n");
#endif
	for (v = 0; v < V_NR; v++)
		n += total[v];
	printf("damage trials: %u, correct: %u, clean-error: %u, "
	       "wrong-data: %u (made-permanent: %u), crash: %u, hang: %u\n",
	       n, total[V_CORRECT], total[V_CLEAN], total[V_WRONG],
	       f->made_permanent, total[V_CRASH], total[V_HANG]);
	if (f->bad_lines > f->show && !f->verbose)
		printf("# %u bad checks, %u printed: --show N for more, "
		       "--trial T to replay one\n", f->bad_lines, f->show);
	return total[V_WRONG] || total[V_CRASH] || total[V_HANG] ||
	       salvage[V_CRASH] || salvage[V_HANG];
}

void fuzz_save_failure(const struct fuzz *f, const struct trial *t)
{
	char path[4200];
	uint8_t *enc;
	size_t n;

	snprintf(path, sizeof(path), "%s/damage-%" PRIu64 "-%u.pmkvz",
		 f->save, f->seed, t->n);
	if (seedfmt_encode(f->img, t->size, &enc, &n))
		return;
	if (fuzz_write_file(path, enc, n))
		fprintf(stderr, "# could not keep %s\n", path);
	else
		printf("# trial %u kept: %s (afl-open reads it)\n", t->n, path);
	free(enc);
}
