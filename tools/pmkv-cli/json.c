// SPDX-License-Identifier: BSD-3-Clause
/* json.c -- the JSON form of every object pmkv-cli prints, through json-c */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"
#include "json.h"
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

struct json_object *bench_config_to_json(const struct bench_config *cfg)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pool = info_to_json(&cfg->info, 0);
	char lib[32];

	snprintf(lib, sizeof(lib), "%d.%d", cfg->lib_major, cfg->lib_minor);
	add(pool, "path", json_object_new_string(cfg->path));
	add(pool, "existing", json_object_new_boolean(cfg->existing));
	add(pool, "kept", json_object_new_boolean(cfg->keep));
	add(pool, "pmem_force_set_by",
	    cfg->force ? json_object_new_string(cfg->force) : NULL);

	add(o, "engine", json_object_new_string("pmkv"));
	add(o, "benchmarks", json_object_new_string(cfg->benchmarks));
	add(o, "num", json_object_new_uint64(cfg->p.num));
	add(o, "reads", json_object_new_uint64(cfg->p.reads));
	add(o, "key_size", json_object_new_uint64(cfg->p.key_size));
	add(o, "value_size", json_object_new_uint64(cfg->p.value_size));
	add(o, "threads", json_object_new_uint64(cfg->p.threads));
	add(o, "seed", json_object_new_uint64(cfg->p.seed));
	add(o, "key_order", json_object_new_string(
		"big-endian counter: seq is sorted order"));
	add(o, "pool", pool);
	add(o, "build_type", json_object_new_string(cfg->build_type));
	add(o, "cli_version", json_object_new_string(cfg->cli_version));
	add(o, "lib_version", json_object_new_string(lib));
	add(o, "cpu", json_object_new_string(cfg->cpu));
	add(o, "cpus", json_object_new_int64(cfg->cpus));
	add(o, "kernel", json_object_new_string(cfg->kernel));
	add(o, "loadavg", json_fixed(cfg->loadavg[0], 2));
	return o;
}

struct json_object *bench_result_to_json(const struct bench_result *res)
{
	struct json_object *o = json_object_new_object();

	add(o, "engine", json_object_new_string("pmkv"));
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
	add(o, "fences_per_op", json_fixed(res->fences_per_op, 4));
	add(o, "flushed_bytes_per_op",
	    json_fixed(res->flushed_bytes_per_op, 2));
	add(o, "found", res->has_found ? json_object_new_uint64(res->found) :
					  NULL);
	add(o, "expected", res->expected >= 0 ?
			   json_object_new_int64(res->expected) : NULL);
	add(o, "wrong", json_object_new_uint64(res->wrong));
	add(o, "verified", json_object_new_boolean(res->verified));
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
