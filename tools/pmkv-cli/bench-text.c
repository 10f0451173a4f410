// SPDX-License-Identifier: BSD-3-Clause
/* bench-text.c -- the text report of pmkv-cli bench */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-text.h"
#include "hist.h"
#include "json.h"
#include "util.h"

#define RULE "------------------------------------------------"
#define INDENT "               "

static const char *pmem_text(const struct bench_config *cfg, char *buf,
			     size_t len)
{
	if (!cfg->info.is_pmem) {
		snprintf(buf, len, "not pmem");
	} else if (!cfg->info.pmem_forced) {
		snprintf(buf, len, "pmem");
	} else if (cfg->force && !strcmp(cfg->force, "pmkv-cli")) {
		snprintf(buf, len,
			 "pmem forced: PMEM_IS_PMEM_FORCE=1 set by pmkv-cli, as the pool is on tmpfs (--no_force_pmem: msync)");
	} else {
		snprintf(buf, len,
			 "pmem forced: PMEM_IS_PMEM_FORCE=1 from the environment");
	}
	return buf;
}

static const char *granularity_text(const struct pmkv_info *info)
{
	if (!info->is_pmem)
		return "page: each fence is an msync";
	if (info->pmem_forced)
		return "cache line, emulated: flushes and fences run, the memory is DRAM";
	return "cache line: flush + fence";
}

/* (c): what backup and restore are measured against */
static void print_io_floor(const struct bench_config *cfg)
{
	const struct bench_io_floor *f = &cfg->io_floor;
	char b[UTIL_SIZE_BUF], n[UTIL_SIZE_BUF];

	if (!f->measured) {
		printf("             (c) direct I/O floor not measured: %s\n",
		       f->skip);
		return;
	}
	printf("             (c) direct I/O of the backup directory: write %.3f GB/s, read %.3f GB/s\n"
	       "                 (%s, O_DIRECT, queue depth %u of %s requests from an anonymous buffer;\n"
	       "                 a new %s file written, fdatasync, read back; median of %u rounds;\n"
	       "                 cpu %.4f s/GB writing, %.4f s/GB reading)\n",
	       f->write_gbps, f->read_gbps, f->how, f->depth,
	       util_size_fmt(b, f->request, UTIL_HUMAN),
	       util_size_fmt(n, f->bytes, UTIL_HUMAN), f->rounds,
	       f->write_cpu_s_per_gb, f->read_cpu_s_per_gb);
}

static void print_floor(const struct bench_config *cfg)
{
	const struct bench_floor *f = &cfg->floor;
	char b[UTIL_SIZE_BUF], h[UTIL_SIZE_BUF];

	if (f->has_persist)
		printf("floor:       (a) persist of one %" PRIu64 "-byte record (key + value + 40-byte header): %.3f us (%s)\n",
		       f->record_bytes, f->persist_ns / 1e3,
		       !f->is_pmem ? "memcpy + pmem_msync: not pmem" :
		       f->pmem_forced ? "pmem_memcpy_persist, pmem forced" :
					"pmem_memcpy_persist");
	else
		printf("floor:       (a) persist not measured: %s\n",
		       f->persist_skip);
	printf("             (b) random DRAM miss: %.3f us (pointer chase over %s, %s of it on huge pages; THP %s)\n",
	       f->miss_ns / 1e3, util_size_fmt(b, f->chase_bytes, UTIL_HUMAN),
	       util_size_fmt(h, f->huge_bytes, UTIL_HUMAN), f->thp);
	printf("             write floor (a)+(b) %.3f us, read floor (b) %.3f us; one thread, median of %d rounds\n",
	       floor_ns(f, 0, 1) / 1e3, floor_ns(f, 1, 0) / 1e3,
	       FLOOR_ROUNDS);
	if (cfg->has_xfer)
		print_io_floor(cfg);
}

void text_config(const struct bench_config *cfg, bool fresh_any)
{
	const struct bench_params *p = &cfg->p;
	char b1[UTIL_SIZE_BUF], b2[UTIL_SIZE_BUF], txt[192];
	bool cheap_sync = false;

	printf("pmkv-cli %s, libpmkv %d.%d, build type %s\n",
	       cfg->cli_version, cfg->lib_major, cfg->lib_minor,
	       cfg->build_type);
	printf("build:       %s\n", cfg->build_flags);
	if (!strcmp(cfg->build_type, "debug") ||
	    !strcmp(cfg->build_type, "plain"))
		printf("WARNING: built without optimization: the figures are not representative\n");
	printf("engines:     %s", cfg->engines);
	if (cfg->nstores > 1)
		printf(" (in turns, each closed before the next; ratios are against %s)",
		       cfg->store[0].eng->name);
	printf("\ndirectory:   %s (%s)\n", cfg->dir, cfg->fs);
	if (cfg->has_pmkv) {
		printf("pool:        %s (%s%s)\n", cfg->path,
		       cfg->existing ? (fresh_any ?
			"an existing pool, replaced by the fills" :
			"an existing pool, used as it is") : "new",
		       cfg->keep ? ", kept at the end" :
		       cfg->existing && !fresh_any ? "" :
		       ", removed at the end; --keep keeps it");
		printf("medium:      %s, %s\n",
		       json_media_name(cfg->info.media),
		       pmem_text(cfg, txt, sizeof(txt)));
		printf("granularity: %s\n", granularity_text(&cfg->info));
		printf("pool size:   %s bytes (%s)\n",
		       util_size_fmt(b1, cfg->info.pool_size, 0),
		       util_size_fmt(b2, cfg->info.pool_size, UTIL_HUMAN));
	}
	for (unsigned i = 0; i < cfg->nstores; i++) {
		const struct bench_store *st = &cfg->store[i];

		printf("%-12s %s%s: %s\n", st->eng->name, st->path,
		       st->existing ? " (existing)" : "", st->mode);
		cheap_sync |= st->eng->suffix && cfg->sync;
	}
	if (cheap_sync && cfg->on_tmpfs)
		printf("note:        on tmpfs, fdatasync and msync return at once: LMDB's and RocksDB's\n"
		       "             durable commits cost only the system calls here, not the flush a disk\n"
		       "             or pmem would need; pmkv's flush + fence does run, on DRAM\n");
	if (cfg->has_xfer) {
		printf("backups:     %s (%s), queue depth %u; GB = 10^9 bytes; a backup's page cache\n"
		       "             is dropped before restore reads it; restore's new store is beside the pool\n",
		       cfg->backup_dir, cfg->backup_fs, cfg->queue_depth);
		if (cfg->backup_on_tmpfs)
			printf("note:        the backups are on tmpfs, in memory: O_DIRECT there is refused (before\n"
			       "             Linux 6.6; pmkv then takes its buffered path and there is no floor)\n"
			       "             or a copy into the page cache; no figure here measures a disk\n");
	}
	printf("keys:        %u bytes, big-endian counters: seq is sorted order\n",
	       p->key_size);
	printf("values:      %u bytes\n", p->value_size);
	printf("entries:     %" PRIu64 " (reads %" PRIu64 ")\n", p->num,
	       p->reads);
	printf("threads:     %u\n", p->threads);
	printf("options:     seek_nexts %" PRIu64 ", distribution %s, ",
	       p->seek_nexts, bench_dist_name(p->dist));
	if (p->duration)
		printf("duration %" PRIu64 " s\n", p->duration);
	else
		printf("no duration\n");
	printf("seed:        %" PRIu64 "\n", p->seed);
	printf("cpu:         %s, %ld online\n", cfg->cpu, cfg->cpus);
	printf("kernel:      %s\n", cfg->kernel);
	printf("loadavg:     %.2f %.2f %.2f\n", cfg->loadavg[0],
	       cfg->loadavg[1], cfg->loadavg[2]);
	print_floor(cfg);
	printf("benchmarks:  %s\n", cfg->benchmarks);
	printf(RULE "\n");
	fflush(stdout);
}

void text_store_heading(const struct bench_config *cfg,
			const struct bench_store *st, unsigned e)
{
	if (cfg->nstores < 2)
		return;
	printf("== %s (engine %u of %u) ==\n", st->eng->name, e + 1,
	       cfg->nstores);
	fflush(stdout);
}

static void print_histogram(const struct hist *h)
{
	struct hist_row *rows = malloc(HIST_ROWS_MAX * sizeof(*rows));
	unsigned n = rows ? hist_rows(h, rows) : 0;
	uint64_t cum = 0;

	printf(INDENT "histogram, us:        from           to        count      %%    cum %%\n");
	for (unsigned i = 0; i < n; i++) {
		double pct = 100.0 * (double)rows[i].count / (double)h->count;
		int bar = (int)(pct / 2 + 0.5);

		cum += rows[i].count;
		printf(INDENT "              %12.3f %12.3f %12" PRIu64 " %6.2f %7.2f %.*s\n",
		       (double)rows[i].lo / 1e3, (double)rows[i].hi / 1e3,
		       rows[i].count, pct,
		       100.0 * (double)cum / (double)h->count, bar,
		       "##################################################");
	}
	free(rows);
}

/* backup, restore: bandwidth, CPU, how, and against the floor */
static void text_xfer(const struct bench_config *cfg,
		      const struct bench_result *r, const struct bench_def *def)
{
	const struct bench_xfer_report *x = &r->xrep;
	const bool restore = def->kind == BENCH_RESTORE;
	char b[UTIL_SIZE_BUF], bounce[UTIL_SIZE_BUF + 8];

	if (x->has_path)
		snprintf(bounce, sizeof(bounce), "%s bytes",
			 util_size_fmt(b, x->bounce_bytes, 0));
	else
		snprintf(bounce, sizeof(bounce), "-");
	printf("%-12s : %8.3f GB/s; %s in %.3f s; cpu s/GB: user %.4f, sys %.4f; path %s; bounce %s\n",
	       r->name, r->gb_per_sec, util_size_fmt(b, r->xfer_bytes,
						     UTIL_HUMAN),
	       r->seconds, r->user_s_per_gb, r->sys_s_per_gb,
	       x->has_path ? x->path : "-", bounce);
	printf(INDENT "%s\n", r->xfer_how);
	printf(INDENT "%s %s%s\n", restore ? "from" : "to", r->target,
	       r->made_backup ? " (made first, untimed)" : "");
	if (restore)
		printf(INDENT "the new store opened in %.3f s; readrandom found %" PRIu64 " of %" PRIu64 "\n",
		       r->open_seconds, r->found, r->check_reads);
	printf(INDENT);
	if (r->io_floor_gbps > 0)
		printf("%.2fx the direct I/O %s floor (%.3f GB/s)",
		       r->io_floor_ratio, restore ? "read" : "write",
		       r->io_floor_gbps);
	else
		printf("no direct I/O floor");
	if (r->vs_engine && cfg->nstores > 1 && strcmp(r->vs_engine, r->engine))
		printf("; %.2fx %s's GB/s", r->ratio_vs_first, r->vs_engine);
	printf("\n");
	fflush(stdout);
}

void text_result(const struct bench_config *cfg, const struct bench_result *r,
		 const struct bench_def *def)
{
	if (r->is_xfer) {
		text_xfer(cfg, r, def);
		return;
	}
	if (r->is_open) {
		printf("%-12s : %8.3f s after a clean close; %8.3f s after a crash\n",
		       r->name, r->open_clean_s, r->open_crash_s);
		printf(INDENT "the clean close took %.3f s", r->close_s);
		if (r->open_floor_s > 0)
			printf("; floor: %.3f s to first touch %.1f MB of fresh memory, what the index holds (%.1fx the floor)",
			       r->open_floor_s, (double)r->index_bytes / 1e6,
			       r->open_clean_s / r->open_floor_s);
		printf("\n");
		fflush(stdout);
		return;
	}
	printf("%-12s : %11.3f micros/op; %9.0f ops/sec; %7.1f MB/s;"
	       " %" PRIu64 " ops", r->name, r->micros_per_op, r->ops_per_sec,
	       r->mb_per_sec, r->ops);
	/* YCSB: of the operations that look a key up */
	if (r->has_found)
		printf("; %s %" PRIu64 " of %" PRIu64,
		       def->kind == BENCH_DELETERANDOM ? "deleted" : "found",
		       r->found, def->kind == BENCH_YCSB ?
		       r->n_read + r->n_scan + r->n_rmw : r->ops);
	printf("\n" INDENT "latency us: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
	       r->p50_us, r->p99_us, r->p999_us, r->max_us);
	if (r->has_stats)
		printf("; %.2f fences/op; %.1f flushed bytes/op",
		       r->fences_per_op, r->flushed_bytes_per_op);
	if (r->has_stats && r->keys)
		printf("; index %.1f B/key",
		       (double)r->index_bytes / (double)r->keys);
	printf("\n");
	if (def->kind == BENCH_YCSB)
		printf(INDENT "mix: %" PRIu64 " read, %" PRIu64 " update, %" PRIu64 " insert, %" PRIu64 " scan, %" PRIu64 " read-modify-write\n",
		       r->n_read, r->n_update, r->n_insert, r->n_scan,
		       r->n_rmw);
	if (def->kind == BENCH_READWHILEWRITING)
		printf(INDENT "the figures are the %u readers'; the writer did %" PRIu64 " puts\n",
		       r->threads, r->writer_ops);
	if (r->is_hot) {
		char b[UTIL_SIZE_BUF];

		printf(INDENT "puts/sec during backups %.0f, alone %.0f: %.2fx; a backup ran %.0f%% of the time\n",
		       r->ops_per_sec, r->puts_alone, r->puts_ratio,
		       100 * r->backup_busy);
		printf(INDENT "%" PRIu64 " backups done (%s), %" PRIu64 " stopped when the puts ended: %s\n",
		       r->backups, util_size_fmt(b, r->backup_bytes, UTIL_HUMAN),
		       r->backups_cancelled, r->xfer_how);
	}
	if (r->floor_multiple > 0 || (r->vs_engine && cfg->nstores > 1)) {
		printf(INDENT);
		if (r->floor_multiple > 0)
			printf("%.1fx the floor (%.3f us)", r->floor_multiple,
			       r->floor_ns / 1e3);
		if (r->vs_engine && cfg->nstores > 1 &&
		    strcmp(r->vs_engine, r->engine))
			printf("%s%.2fx %s's ops/sec",
			       r->floor_multiple > 0 ? "; " : "",
			       r->ratio_vs_first, r->vs_engine);
		printf("\n");
	}
	if (r->hist)
		print_histogram(r->hist);
	fflush(stdout);
}

void text_unverified(const char *cmd, const char *path,
		     const struct bench_result *r, bool to_stdout)
{
	char exp[32] = "";

	if (r->expected >= 0)
		snprintf(exp, sizeof(exp), ", expected %" PRId64, r->expected);
	fprintf(stderr, "pmkv-cli %s: %s: %s: verification failed: found %" PRIu64 " of %" PRIu64 "%s; %" PRIu64 " wrong keys or values\n",
		cmd, path, r->name, r->found, r->ops, exp, r->wrong);
	if (to_stdout)
		printf(INDENT "VERIFICATION FAILED: found %" PRIu64 "%s, %" PRIu64 " wrong\n",
		       r->found, exp, r->wrong);
}

/* backup and restore side by side: GB/s, CPU per GB, against the floor */
static void xfer_summary(const struct bench_config *cfg,
			 const struct bench_def **list, unsigned nlist,
			 const struct bench_result *res, const bool *ran)
{
	bool any = false;
	char head[64];

	for (unsigned i = 0; i < nlist; i++)
		any |= list[i]->kind == BENCH_BACKUP ||
		       list[i]->kind == BENCH_RESTORE;
	if (!any)
		return;
	printf("transfers: GB/s; \"cpu\": CPU seconds (user + sys) per GB; \"floor\": GB/s over the direct I/O floor\n");
	printf("%-18s", "benchmark");
	for (unsigned e = 0; e < cfg->nstores; e++) {
		snprintf(head, sizeof(head), "%s GB/s", cfg->store[e].eng->name);
		printf(" %13s %7s %6s", head, "cpu", "floor");
	}
	printf("\n");
	for (unsigned i = 0; i < nlist; i++) {
		if (list[i]->kind != BENCH_BACKUP &&
		    list[i]->kind != BENCH_RESTORE)
			continue;
		printf("%-18s", list[i]->name);
		for (unsigned e = 0; e < cfg->nstores; e++) {
			const struct bench_result *r = &res[e * nlist + i];

			if (!ran[e * nlist + i]) {
				printf(" %13s %7s %6s", "-", "-", "-");
				continue;
			}
			printf(" %13.3f %7.4f", r->gb_per_sec,
			       r->user_s_per_gb + r->sys_s_per_gb);
			if (r->io_floor_gbps > 0)
				printf(" %5.2fx", r->io_floor_ratio);
			else
				printf(" %6s", "-");
		}
		printf("\n");
	}
}

/* the open benchmark side by side: seconds, and pmkv's floor */
static void open_summary(const struct bench_config *cfg,
			 const struct bench_def **list, unsigned nlist,
			 const struct bench_result *res, const bool *ran)
{
	char head[64];

	for (unsigned i = 0; i < nlist; i++) {
		if (list[i]->kind != BENCH_OPEN)
			continue;
		printf("open: seconds to close, then to open after that clean close and after a crash\n");
		printf("%-18s", "engine");
		printf(" %9s %9s %9s %9s\n", "close", "clean", "crash",
		       "floor");
		for (unsigned e = 0; e < cfg->nstores; e++) {
			const struct bench_result *r = &res[e * nlist + i];

			snprintf(head, sizeof(head), "%s", cfg->store[e].eng->name);
			printf("%-18s", head);
			if (!ran[e * nlist + i]) {
				printf(" %9s %9s %9s %9s\n", "-", "-", "-", "-");
				continue;
			}
			printf(" %9.3f %9.3f %9.3f", r->close_s, r->open_clean_s,
			       r->open_crash_s);
			if (r->open_floor_s > 0)
				printf(" %9.3f\n", r->open_floor_s);
			else
				printf(" %9s\n", "-");
		}
	}
}

void text_summary(const struct bench_config *cfg,
		  const struct bench_def **list, unsigned nlist,
		  const struct bench_result *res, const bool *ran)
{
	const char *first = cfg->store[0].eng->name;
	char head[64];

	printf(RULE "\n");
	printf("side by side: ops/sec; \"vs %s\": ops/sec over %s's; \"floors\": micros/op over the floor\n",
	       first, first);
	printf("%-18s", "benchmark");
	for (unsigned e = 0; e < cfg->nstores; e++) {
		snprintf(head, sizeof(head), "%s ops/sec",
			 cfg->store[e].eng->name);
		printf(" %16s", head);
		if (e) {
			snprintf(head, sizeof(head), "vs %s", first);
			printf(" %9s", head);
		}
		printf(" %7s", "floors");
	}
	printf("\n");
	for (unsigned i = 0; i < nlist; i++) {
		/* seconds, not ops/sec: their own lines and tables say them */
		if (list[i]->kind == BENCH_BACKUP ||
		    list[i]->kind == BENCH_RESTORE ||
		    list[i]->kind == BENCH_OPEN)
			continue;
		printf("%-18s", list[i]->name);
		for (unsigned e = 0; e < cfg->nstores; e++) {
			const struct bench_result *r = &res[e * nlist + i];

			if (!ran[e * nlist + i]) {
				printf(" %16s", "-");
				if (e)
					printf(" %9s", "-");
				printf(" %7s", "-");
				continue;
			}
			printf(" %16.0f", r->ops_per_sec);
			if (e && r->vs_engine)
				printf(" %8.2fx", r->ratio_vs_first);
			else if (e)
				printf(" %9s", "-");
			if (r->floor_multiple > 0)
				printf(" %7.1f", r->floor_multiple);
			else
				printf(" %7s", "-");
		}
		printf("\n");
	}
	xfer_summary(cfg, list, nlist, res, ran);
	open_summary(cfg, list, nlist, res, ran);
	fflush(stdout);
}
