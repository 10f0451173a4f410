// SPDX-License-Identifier: BSD-3-Clause
/* json.c -- the JSON form of every object pmkv-cli prints, through json-c */
#include <errno.h>
#include <stdlib.h>

#include <string.h>

#include "bench.h"
#include "hist.h"
#include "json.h"
#include "transfer.h"
#include "util.h"

/* json-c gives doubles 17 digits; figures are read by people too */
static struct json_object *json_fixed(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

struct json_object *json_size(uint64_t bytes, unsigned flags)
{
	char buf[UTIL_SIZE_BUF];

	if (flags & UTIL_HUMAN)
		return json_object_new_string(util_size_fmt(buf, bytes, flags));
	return json_object_new_uint64(bytes);
}

const char *json_media_name(enum pmkv_media media)
{
	switch (media) {
	case PMKV_MEDIA_FILE:
		return "file";
	case PMKV_MEDIA_FSDAX:
		return "fsdax";
	case PMKV_MEDIA_DEVDAX:
		return "devdax";
	}
	return "unknown";
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

struct json_object *info_to_json(const struct pmkv_info *info, unsigned flags)
{
	struct json_object *o = json_object_new_object();
	char fmt[32];

	snprintf(fmt, sizeof(fmt), "%u.%u", info->format_major,
		 info->format_minor);
	add(o, "media", json_object_new_string(json_media_name(info->media)));
	add(o, "is_pmem", json_object_new_boolean(info->is_pmem));
	add(o, "pmem_forced", json_object_new_boolean(info->pmem_forced));
	add(o, "pool_size", json_size(info->pool_size, flags));
	add(o, "segment_size", json_size(info->segment_size, flags));
	add(o, "format", json_object_new_string(fmt));
	if (info->media == PMKV_MEDIA_DEVDAX)
		add(o, "device_align", json_size(info->device_align, flags));
	return o;
}

struct json_object *stats_to_json(const struct pmkv_stats *st, unsigned flags)
{
	struct json_object *o = json_object_new_object();

	add(o, "keys", json_object_new_uint64(st->keys));
	add(o, "puts", json_object_new_uint64(st->puts));
	add(o, "gets", json_object_new_uint64(st->gets));
	add(o, "deletes", json_object_new_uint64(st->deletes));
	add(o, "fences", json_object_new_uint64(st->fences));
	add(o, "flushed_bytes", json_size(st->flushed_bytes, flags));
	add(o, "log_bytes_used", json_size(st->log_bytes_used, flags));
	add(o, "log_bytes_live", json_size(st->log_bytes_live, flags));
	add(o, "segments", json_object_new_uint64(st->segments));
	add(o, "gc_runs", json_object_new_uint64(st->gc_runs));
	add(o, "gc_bytes_copied", json_size(st->gc_bytes_copied, flags));
	add(o, "index_bytes", json_size(st->index_bytes, flags));
	add(o, "recovery_ns", json_object_new_uint64(st->recovery_ns));
	add(o, "recovered_records",
	    json_object_new_uint64(st->recovered_records));
	return o;
}

/* move every member of src into dst, then free src */
static void merge(struct json_object *dst, struct json_object *src)
{
	json_object_object_foreach(src, key, val)
		add(dst, key, json_object_get(val));
	json_object_put(src);
}

struct json_object *pool_to_json(const char *path,
				 const struct pmkv_info *info,
				 const struct pmkv_stats *st, unsigned flags)
{
	struct json_object *o = json_object_new_object();

	add(o, "path", json_object_new_string(path));
	merge(o, info_to_json(info, flags));
	merge(o, stats_to_json(st, flags));
	return o;
}

static struct json_object *escaped(const void *p, size_t n)
{
	char *buf = malloc(util_escape_len(p, n) + 1);
	struct json_object *s;

	if (!buf)
		return NULL;
	s = json_object_new_string(util_escape(buf, p, n));
	free(buf);
	return s;
}

struct json_object *record_to_json(const void *key, size_t klen,
				   const void *val, size_t vlen)
{
	struct json_object *o = json_object_new_object();

	add(o, "key", escaped(key, klen));
	add(o, "value", escaped(val, vlen));
	return o;
}

struct json_object *count_to_json(const char *start, const char *end,
				  uint64_t count)
{
	struct json_object *o = json_object_new_object();

	add(o, "start", start ? escaped(start, strlen(start)) : NULL);
	add(o, "end", end ? escaped(end, strlen(end)) : NULL);
	add(o, "count", json_object_new_uint64(count));
	return o;
}

static struct json_object *uuid_to_json(const uint8_t uuid[16])
{
	static const uint8_t zero[16];
	char buf[UTIL_UUID_BUF];

	if (!memcmp(uuid, zero, sizeof(zero)))
		return NULL;
	return json_object_new_string(util_uuid_fmt(buf, uuid));
}

struct json_object *transfer_to_json(const char *what, const char *backup,
				     const char *pool, const char *base,
				     const struct pmkv_transfer_report *rep,
				     unsigned flags)
{
	struct json_object *o = json_object_new_object();
	bool is_backup = !strcmp(what, "backup");

	add(o, "backup", json_object_new_string(backup));
	if (pool)
		add(o, "pool", json_object_new_string(pool));
	if (is_backup)
		add(o, "base", base ? json_object_new_string(base) : NULL);
	add(o, "path", json_object_new_string(
		pmkv_transfer_path_name(rep->path)));
	add(o, "bytes", json_size(rep->bytes, flags));
	add(o, "bounce_bytes", json_size(rep->bounce_bytes, flags));
	add(o, "segments", json_object_new_uint64(rep->segments));
	add(o, "segments_copied", json_object_new_uint64(rep->segments_copied));
	if (!is_backup)
		add(o, "records", json_object_new_uint64(rep->records));
	add(o, "version", json_object_new_uint64(rep->version));
	add(o, "chain", json_object_new_uint64(rep->chain));
	add(o, "elapsed_ns", json_object_new_uint64(rep->elapsed_ns));
	add(o, "mb_per_sec",
	    json_fixed(transfer_mb_per_sec(rep->bytes, rep->elapsed_ns), 1));
	add(o, "uuid", uuid_to_json(rep->uuid));
	add(o, "base_uuid", uuid_to_json(rep->base_uuid));
	add(o, "pool_uuid", uuid_to_json(rep->pool_uuid));
	return o;
}

struct json_object *value_to_json(const char *pool, const void *key,
				  size_t klen, const char *file,
				  uint64_t offset,
				  const struct pmkv_transfer_report *rep,
				  unsigned flags)
{
	struct json_object *o = json_object_new_object();

	add(o, "pool", json_object_new_string(pool));
	add(o, "key", escaped(key, klen));
	add(o, "file", json_object_new_string(file));
	add(o, "offset", json_object_new_uint64(offset));
	add(o, "path", json_object_new_string(
		pmkv_transfer_path_name(rep->path)));
	add(o, "bytes", json_size(rep->bytes, flags));
	add(o, "bounce_bytes", json_size(rep->bounce_bytes, flags));
	return o;
}

static struct json_object *store_to_json(const struct bench_store *st)
{
	struct json_object *o = json_object_new_object();

	add(o, "name", json_object_new_string(st->eng->name));
	add(o, "path", json_object_new_string(st->path));
	add(o, "mode", json_object_new_string(st->mode));
	add(o, "existing", json_object_new_boolean(st->existing));
	return o;
}

struct json_object *bench_config_to_json(const struct bench_config *cfg)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pool = NULL, *engines = json_object_new_array();
	char lib[32];

	snprintf(lib, sizeof(lib), "%d.%d", cfg->lib_major, cfg->lib_minor);
	if (cfg->has_pmkv) {
		pool = info_to_json(&cfg->info, 0);
		add(pool, "path", json_object_new_string(cfg->path));
		add(pool, "existing", json_object_new_boolean(cfg->existing));
		add(pool, "kept", json_object_new_boolean(cfg->keep));
		add(pool, "pmem_force_set_by",
		    cfg->force ? json_object_new_string(cfg->force) : NULL);
	}
	for (unsigned i = 0; i < cfg->nstores; i++)
		json_object_array_add(engines, store_to_json(&cfg->store[i]));

	/* the first engine, which the ratios divide by */
	add(o, "engine", json_object_new_string(cfg->store[0].eng->name));
	add(o, "engines", engines);
	add(o, "benchmarks", json_object_new_string(cfg->benchmarks));
	add(o, "num", json_object_new_uint64(cfg->p.num));
	add(o, "reads", json_object_new_uint64(cfg->p.reads));
	add(o, "key_size", json_object_new_uint64(cfg->p.key_size));
	add(o, "value_size", json_object_new_uint64(cfg->p.value_size));
	add(o, "threads", json_object_new_uint64(cfg->p.threads));
	add(o, "seed", json_object_new_uint64(cfg->p.seed));
	add(o, "seek_nexts", json_object_new_uint64(cfg->p.seek_nexts));
	add(o, "distribution",
	    json_object_new_string(bench_dist_name(cfg->p.dist)));
	add(o, "duration", json_object_new_uint64(cfg->p.duration));
	add(o, "sync", json_object_new_boolean(cfg->sync));
	add(o, "key_order", json_object_new_string(
		"big-endian counter: seq is sorted order"));
	add(o, "directory", json_object_new_string(cfg->dir));
	add(o, "filesystem", json_object_new_string(cfg->fs));
	add(o, "pool", pool);
	add(o, "build_type", json_object_new_string(cfg->build_type));
	add(o, "build_flags", json_object_new_string(cfg->build_flags));
	add(o, "cli_version", json_object_new_string(cfg->cli_version));
	add(o, "lib_version", json_object_new_string(lib));
	add(o, "cpu", json_object_new_string(cfg->cpu));
	add(o, "cpus", json_object_new_int64(cfg->cpus));
	add(o, "kernel", json_object_new_string(cfg->kernel));
	add(o, "loadavg", json_fixed(cfg->loadavg[0], 2));
	/* the transfer benchmarks' inputs; null without them */
	add(o, "backup_dir", cfg->has_xfer ?
			     json_object_new_string(cfg->backup_dir) : NULL);
	add(o, "backup_filesystem", cfg->has_xfer ?
				    json_object_new_string(cfg->backup_fs) :
				    NULL);
	add(o, "queue_depth", cfg->has_xfer ?
			      json_object_new_uint64(cfg->queue_depth) : NULL);
	return o;
}

struct json_object *floor_to_json(const struct bench_floor *f)
{
	struct json_object *o = json_object_new_object();
	double w = floor_ns(f, 0, 1), r = floor_ns(f, 1, 0);

	add(o, "record_bytes", json_object_new_uint64(f->record_bytes));
	add(o, "persist_ns", f->has_persist ? json_fixed(f->persist_ns, 1) :
					      NULL);
	add(o, "persist_ops", json_object_new_uint64(f->persist_ops));
	add(o, "persist_is_pmem", json_object_new_boolean(f->is_pmem));
	add(o, "persist_pmem_forced",
	    json_object_new_boolean(f->pmem_forced));
	add(o, "persist_skipped", f->has_persist ? NULL :
			json_object_new_string(f->persist_skip));
	add(o, "dram_miss_ns", json_fixed(f->miss_ns, 1));
	add(o, "chase_bytes", json_object_new_uint64(f->chase_bytes));
	add(o, "chase_hops", json_object_new_uint64(f->hops));
	add(o, "thp", json_object_new_string(f->thp));
	add(o, "chase_huge_bytes", json_object_new_uint64(f->huge_bytes));
	add(o, "write_ns", json_fixed(w, 1));
	add(o, "read_ns", json_fixed(r, 1));
	return o;
}

struct json_object *io_floor_to_json(const struct bench_io_floor *f)
{
	struct json_object *o = json_object_new_object();
	bool m = f->measured;

	add(o, "measured", json_object_new_boolean(m));
	add(o, "skipped", m ? NULL : json_object_new_string(f->skip));
	add(o, "how", m ? json_object_new_string(f->how) : NULL);
	add(o, "io_uring", json_object_new_boolean(f->uring));
	add(o, "queue_depth", json_object_new_uint64(f->depth));
	add(o, "request_bytes", json_object_new_uint64(f->request));
	add(o, "bytes", json_object_new_uint64(f->bytes));
	add(o, "rounds", json_object_new_uint64(f->rounds));
	add(o, "write_gb_per_sec", m ? json_fixed(f->write_gbps, 4) : NULL);
	add(o, "read_gb_per_sec", m ? json_fixed(f->read_gbps, 4) : NULL);
	add(o, "write_cpu_s_per_gb",
	    m ? json_fixed(f->write_cpu_s_per_gb, 4) : NULL);
	add(o, "read_cpu_s_per_gb",
	    m ? json_fixed(f->read_cpu_s_per_gb, 4) : NULL);
	return o;
}

static struct json_object *hist_to_json(const struct hist *h)
{
	struct json_object *a = json_object_new_array();
	struct hist_row *rows = malloc(HIST_ROWS_MAX * sizeof(*rows));
	unsigned n = rows ? hist_rows(h, rows) : 0;

	for (unsigned i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		add(o, "lo_ns", json_object_new_uint64(rows[i].lo));
		add(o, "hi_ns", json_object_new_uint64(rows[i].hi));
		add(o, "count", json_object_new_uint64(rows[i].count));
		json_object_array_add(a, o);
	}
	free(rows);
	return a;
}

/* a double, or null when its figure does not apply */
static struct json_object *fixed_or_null(bool has, double v, int decimals)
{
	return has ? json_fixed(v, decimals) : NULL;
}

/* backup, restore: the transfer's figures, beside the common ones */
static void xfer_to_json(struct json_object *o, const struct bench_result *r)
{
	const struct bench_xfer_report *x = &r->xrep;
	bool fl = r->io_floor_gbps > 0;

	add(o, "method", json_object_new_string(r->xfer_how));
	add(o, "target", json_object_new_string(r->target ? r->target : ""));
	add(o, "bytes", json_object_new_uint64(r->xfer_bytes));
	add(o, "gb_per_sec", json_fixed(r->gb_per_sec, 4));
	add(o, "cpu_user_s_per_gb", json_fixed(r->user_s_per_gb, 4));
	add(o, "cpu_sys_s_per_gb", json_fixed(r->sys_s_per_gb, 4));
	add(o, "path", x->has_path ? json_object_new_string(x->path) : NULL);
	add(o, "bounce_bytes", x->has_path ?
			       json_object_new_uint64(x->bounce_bytes) : NULL);
	add(o, "floor_gb_per_sec", fixed_or_null(fl, r->io_floor_gbps, 4));
	add(o, "floor_ratio", fixed_or_null(fl, r->io_floor_ratio, 4));
	if (!strcmp(r->name, "restore")) {
		add(o, "open_seconds", json_fixed(r->open_seconds, 6));
		add(o, "made_backup", json_object_new_boolean(r->made_backup));
	}
}

/* backup-puts: overwrite alone and during backups, and the backups */
static void hot_to_json(struct json_object *o, const struct bench_result *r)
{
	add(o, "method", json_object_new_string(r->xfer_how));
	add(o, "puts_per_sec_alone", json_fixed(r->puts_alone, 1));
	add(o, "puts_per_sec_during_backups", json_fixed(r->ops_per_sec, 1));
	add(o, "puts_ratio", json_fixed(r->puts_ratio, 4));
	add(o, "backups", json_object_new_uint64(r->backups));
	add(o, "backups_cancelled",
	    json_object_new_uint64(r->backups_cancelled));
	add(o, "backup_bytes", json_object_new_uint64(r->backup_bytes));
	add(o, "backup_busy", json_fixed(r->backup_busy, 4));
}

struct json_object *bench_result_to_json(const struct bench_result *res)
{
	struct json_object *o = json_object_new_object();

	add(o, "engine", json_object_new_string(res->engine));
	add(o, "benchmark", json_object_new_string(res->name));
	add(o, "threads", json_object_new_uint64(res->threads));
	add(o, "ops", json_object_new_uint64(res->ops));
	add(o, "seconds", json_fixed(res->seconds, 6));
	add(o, "ops_per_sec", json_fixed(res->ops_per_sec, 1));
	add(o, "micros_per_op", json_fixed(res->micros_per_op, 4));
	add(o, "mb_per_sec", json_fixed(res->mb_per_sec, 2));
	add(o, "p50_us", json_fixed(res->p50_us, 3));
	add(o, "p99_us", json_fixed(res->p99_us, 3));
	add(o, "p999_us", json_fixed(res->p999_us, 3));
	add(o, "max_us", json_fixed(res->max_us, 3));
	add(o, "fences_per_op",
	    fixed_or_null(res->has_stats, res->fences_per_op, 4));
	add(o, "flushed_bytes_per_op",
	    fixed_or_null(res->has_stats, res->flushed_bytes_per_op, 2));
	add(o, "index_bytes", res->has_stats ?
			      json_object_new_uint64(res->index_bytes) : NULL);
	add(o, "keys", res->has_stats ? json_object_new_uint64(res->keys) :
					NULL);
	add(o, "found", res->has_found ? json_object_new_uint64(res->found) :
					  NULL);
	add(o, "expected", res->expected >= 0 ?
			   json_object_new_int64(res->expected) : NULL);
	add(o, "wrong", json_object_new_uint64(res->wrong));
	add(o, "verified", json_object_new_boolean(res->verified));
	add(o, "reads_per_op", json_fixed(res->reads_per_op, 4));
	add(o, "writes_per_op", json_fixed(res->writes_per_op, 4));
	add(o, "floor_ns", json_fixed(res->floor_ns, 1));
	add(o, "floor_multiple",
	    fixed_or_null(res->floor_multiple > 0, res->floor_multiple, 2));
	add(o, "vs_engine", res->vs_engine ?
			    json_object_new_string(res->vs_engine) : NULL);
	add(o, "ratio_vs_first", fixed_or_null(res->vs_engine != NULL,
					       res->ratio_vs_first, 4));
	if (!strncmp(res->name, "ycsb-", 5)) {
		struct json_object *m = json_object_new_object();

		add(m, "read", json_object_new_uint64(res->n_read));
		add(m, "update", json_object_new_uint64(res->n_update));
		add(m, "insert", json_object_new_uint64(res->n_insert));
		add(m, "scan", json_object_new_uint64(res->n_scan));
		add(m, "read_modify_write", json_object_new_uint64(res->n_rmw));
		add(o, "mix", m);
	}
	if (!strcmp(res->name, "readwhilewriting"))
		add(o, "writer_ops", json_object_new_uint64(res->writer_ops));
	if (res->is_xfer)
		xfer_to_json(o, res);
	if (res->is_hot)
		hot_to_json(o, res);
	if (res->is_open) {
		add(o, "open_clean_seconds", json_fixed(res->open_clean_s, 6));
		add(o, "open_crash_seconds", json_fixed(res->open_crash_s, 6));
		add(o, "close_seconds", json_fixed(res->close_s, 6));
		if (res->open_floor_s > 0)
			add(o, "open_floor_seconds",
			    json_fixed(res->open_floor_s, 6));
	}
	if (res->hist)
		add(o, "histogram", hist_to_json(res->hist));
	return o;
}

int json_print(FILE *f, struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	return fprintf(f, "%s\n", s) < 0 ? -EIO : 0;
}
