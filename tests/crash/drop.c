/* SPDX-License-Identifier: BSD-3-Clause */
/* drop.c -- the harness can fail: remove one flush or fence, see it caught */
/*
 * Proves: with one of pmkv's own flushes or fences removed (the recorder
 * ignores it, PMKV_CRASH_DROP, lib/crash.h), enumerating the crash points
 * of a small workload reports violations: an acknowledged put or batch
 * missing, or a pool that no longer opens. Each target names the removed
 * call by its ordinal among pmkv's calls at that site. A target marked
 * "must fail" that yields no violation fails this test; the others are
 * removals that a later fence of pmkv's happens to cover (a fence orders
 * every earlier flush of the thread, whoever issues it), reported as such.
 * The test passes when every "must fail" target was caught: the last line
 * reads "crash images: N, violations: V" with V > 0.
 */
#include <errno.h>

#include "t.h"
#include "harness.h"

struct target {
	const char *drop;	/* PMKV_CRASH_DROP */
	const char *workload;
	bool must_fail;
	const char *what;
};

static const struct target targets[] = {
	{ "fence:2@write_one|pmkv_put", "puts", true,
	  "the fence after a put's record (kv.c, write_one)" },
	{ "flush:2@write_one|pmkv_put", "puts", true,
	  "the flush of a put's record (rec_write from write_one)" },
	{ "fence:1@pmkv_batch_commit", "batch", true,
	  "the fence after a batch's records (batch.c)" },
	{ "flush:3@batch_append|pmkv_batch_commit", "batch", true,
	  "the flush of the third record of a batch" },
	{ "flush:1@segment_alloc", "puts", true,
	  "the flush of superblock.next_segment_id before a segment is allocated" },
	{ "flush:1@consider|copy_forward|gc_collect", "reclaim", true,
	  "the flush of the first record reclamation copies forward" },
	{ "fence:1@segment_alloc", "puts", false,
	  "the fence before a slot entry goes live (the fence after its state orders it too)" },
	{ "fence:1@copy_forward|gc_collect", "reclaim", false,
	  "the fence after reclamation's copies (the fence after its segments' reclaim words orders them before the victim goes)" },
};

static void workload(struct cw *w, const char *name)
{
	if (!strcmp(name, "puts")) {
		cw_init(w, "puts", 16ULL << 20, 32);
		cw_phase_setup(w, true);
		for (uint32_t k = 0; k < 10; k++)
			cw_put(w, k, 100);
		cw_phase_setup(w, false);
		cw_put(w, 10, 100);
		cw_put(w, 11, 4096);
		cw_put(w, 12, 262144);	/* a segment of its own */
		cw_put(w, 13, 8);
		cw_put(w, 3, 64);
	} else if (!strcmp(name, "batch")) {
		cw_init(w, "batch", 16ULL << 20, 32);
		cw_phase_setup(w, true);
		for (uint32_t k = 0; k < 10; k++)
			cw_put(w, k, 100);
		cw_phase_setup(w, false);
		for (uint32_t b = 0; b < 2; b++) {
			cw_batch_begin(w);
			for (uint32_t i = 0; i < 5; i++)
				cw_batch_put(w, 10 + b * 5 + i, 64 + i);
			cw_batch_end(w);
		}
		cw_put(w, 1, 10);
	} else {
		cw_reclaim(w, "reclaim", 1200);
	}
}

int main(int argc, char **argv)
{
	size_t n = sizeof(targets) / sizeof(targets[0]);
	unsigned missed = 0;
	struct cw_opts o;
	struct cw w;

	cw_begin(argc, argv, "the harness catches a removed flush or fence");
	cw_opts_parse(&o, argc, argv);
	/* every point, strict images: the removal alone must show */
	o.images = 0;
	o.evict = 0;
	o.recovery = 0;
	o.max_reports = 2;
	o.expect_violations = true;

	for (size_t i = 0; i < n; i++) {
		const struct target *t = &targets[i];
		uint64_t v0 = cw_total.violations, i0 = cw_total.images;

		if (o.only && strcmp(o.only, t->workload))
			continue;
		setenv("PMKV_CRASH_DROP", t->drop, 1);
		workload(&w, t->workload);
		cw_run(&w, &o);
		cw_free(&w);
		t_info("drop %s, %s: %llu violations in %llu images%s",
		       t->drop, t->what,
		       (unsigned long long)(cw_total.violations - v0),
		       (unsigned long long)(cw_total.images - i0),
		       t->must_fail ? "" : " (covered by a later fence: not required)");
		if (t->must_fail && cw_total.violations == v0) {
			printf("# NOT CAUGHT: drop %s\n", t->drop);
			missed++;
		}
	}
	unsetenv("PMKV_CRASH_DROP");
	if (missed) {
		cw_end(&o);
		return T_EXIT_FAIL;
	}
	return cw_end(&o);
}
