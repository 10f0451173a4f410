/* SPDX-License-Identifier: BSD-3-Clause */
/* json.h -- one <object>_to_json() per object pmkv-cli prints */
#ifndef PMKV_CLI_JSON_H
#define PMKV_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>
#include <libpmkv.h>

struct bench_config;
struct bench_floor;
struct bench_io_floor;
struct bench_result;

/*
 * json_size -- the one size formatter for JSON: a number of bytes, or with
 * UTIL_HUMAN the string util_size_fmt() makes ("64.00 MiB")
 */
struct json_object *json_size(uint64_t bytes, unsigned flags);

/* "file", "fsdax", "devdax" or "unknown" */
const char *json_media_name(enum pmkv_media media);

/* what pmkv_get_info() says: medium, pmem, sizes, format */
struct json_object *info_to_json(const struct pmkv_info *info,
				 unsigned flags);

/* what pmkv_get_stats() says: keys, log and index bytes, recovery */
struct json_object *stats_to_json(const struct pmkv_stats *st,
				  unsigned flags);

/* a pool: its path, then the fields of info_to_json() and stats_to_json() */
struct json_object *pool_to_json(const char *path,
				 const struct pmkv_info *info,
				 const struct pmkv_stats *st, unsigned flags);

/* one scanned record: key and value escaped as util_escape() does */
struct json_object *record_to_json(const void *key, size_t klen,
				   const void *val, size_t vlen);

/*
 * what scan --count found: the range as given (escaped as util_escape()
 * does; null for a bound not given) and the number of keys in it
 */
struct json_object *count_to_json(const char *start, const char *end,
				  uint64_t count);

/*
 * what a backup, restore or verify did: the paths named on the command
 * line (what is "backup", "restore" or "verify"; pool and base may be
 * NULL and are then left out, except base for a backup, which is null
 * there for a full one), then every field of struct pmkv_transfer_report
 * by its C name ("path" its name, uuids as strings, base_uuid null for
 * a full backup, records for restore and verify only) and mb_per_sec
 */
struct json_object *transfer_to_json(const char *what, const char *backup,
				     const char *pool, const char *base,
				     const struct pmkv_transfer_report *rep,
				     unsigned flags);

/*
 * what a put --file or a get --output did: the pool, the key (escaped
 * as util_escape() does), the file and the offset in it, then path (the
 * transfer path's name), bytes and bounce_bytes of the report
 */
struct json_object *value_to_json(const char *pool, const void *key,
				  size_t klen, const char *file,
				  uint64_t offset,
				  const struct pmkv_transfer_report *rep,
				  unsigned flags);

/* every input of a benchmark run, the engines and their modes included */
struct json_object *bench_config_to_json(const struct bench_config *cfg);

/* the hardware floor: persist, DRAM miss and what follows */
struct json_object *floor_to_json(const struct bench_floor *f);

/* the direct I/O floor of the backup directory */
struct json_object *io_floor_to_json(const struct bench_io_floor *f);

/* one benchmark's figures on one engine */
struct json_object *bench_result_to_json(const struct bench_result *res);

/* json_print -- obj, pretty-printed and followed by a newline, to f */
int json_print(FILE *f, struct json_object *obj);

#endif /* PMKV_CLI_JSON_H */
