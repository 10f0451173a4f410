// SPDX-License-Identifier: BSD-3-Clause
/* cmd-scan.c -- pmkv-cli scan: keys and values in key order, or a count */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "json.h"
#include "util.h"

static const char usage[] =
	"scan <path> [--start=<key>] [--end=<key>] [--limit=<n>] [--reverse] "
	"[--count] [--json]";

struct scan_out {
	bool json;
	uint64_t limit;		/* 0: no limit */
	uint64_t count;
	int err;		/* a failed write to stdout */
};

/* a callback return of ours that is not an error: the limit was reached */
#define SCAN_LIMIT 1
#define SCAN_EIO 2

static int print_record(const void *key, size_t klen, const void *val,
			size_t vlen, void *arg)
{
	struct scan_out *o = arg;

	if (o->json) {
		struct json_object *r = record_to_json(key, klen, val, vlen);
		const char *s = json_object_to_json_string_ext(r,
			JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE);

		/* streamed, so a scan of a large pool is not held in memory */
		if (printf("%s  %s", o->count ? ",\n" : "", s) < 0)
			o->err = -EIO;
		json_object_put(r);
	} else if (util_fput_escaped(stdout, key, klen) || putchar('\t') < 0 ||
		   util_fput_escaped(stdout, val, vlen) || putchar('\n') < 0) {
		o->err = -EIO;
	}
	if (o->err)
		return SCAN_EIO;
	o->count++;
	return o->limit && o->count >= o->limit ? SCAN_LIMIT : 0;
}

/*
 * [start, end) from its last key down, through an iterator bounded by
 * the range. Returns as pmkv_scan() with print_record.
 */
static int scan_reverse(struct pmkv *kv, const char *start, const char *end,
			struct scan_out *out)
{
	struct pmkv_iter *it;
	const void *k, *v;
	size_t klen, vlen;
	int rc;

	/* an empty range, as pmkv_scan() takes it; set_bounds refuses it */
	if (start && end && strcmp(start, end) >= 0)
		return 0;
	rc = pmkv_iter_new(kv, &it);
	if (rc)
		return rc;
	rc = pmkv_iter_set_bounds(it, start, start ? strlen(start) : 0, end,
				  end ? strlen(end) : 0);
	for (rc = rc ? rc : pmkv_iter_seek_last(it); rc == 0;
	     rc = pmkv_iter_prev(it)) {
		/* neither fails on an iterator that is on a key */
		pmkv_iter_key(it, &k, &klen);
		pmkv_iter_value(it, &v, &vlen);
		rc = print_record(k, klen, v, vlen, out);
		if (rc)
			break;
	}
	pmkv_iter_free(&it);
	return rc == -ENOENT ? 0 : rc;
}

/* the number of keys in [start, end): a number, or a JSON object */
static int print_count(const char *cmd, const char *path, struct pmkv *kv,
		       const char *start, const char *end, bool json)
{
	struct json_object *o;
	uint64_t n;
	int rc;

	rc = pmkv_count(kv, start, start ? strlen(start) : 0, end,
			end ? strlen(end) : 0, &n);
	if (rc)
		return util_err(cmd, path, rc, "count");
	if (!json) {
		printf("%" PRIu64 "\n", n);
		return CLI_OK;
	}
	o = count_to_json(start, end, n);
	json_print(stdout, o);
	json_object_put(o);
	return CLI_OK;
}

/* the records of [start, end), in either order */
static int print_records(const char *cmd, const char *path, struct pmkv *kv,
			 const char *start, const char *end, bool reverse,
			 struct scan_out *out)
{
	int rc;

	if (out->json)
		fputs("[\n", stdout);
	if (reverse)
		rc = scan_reverse(kv, start, end, out);
	else
		rc = pmkv_scan(kv, start, start ? strlen(start) : 0, end,
			       end ? strlen(end) : 0, print_record, out);
	if (rc == SCAN_LIMIT)
		rc = 0;
	if (rc == SCAN_EIO)
		return CLI_FAIL;	/* util_close_stdout() says why */
	if (rc)
		return util_err(cmd, path, rc, "scan after %" PRIu64 " records",
				out->count);
	if (out->json)
		fputs(out->count ? "\n]\n" : "]\n", stdout);
	return CLI_OK;
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "limit", required_argument, NULL, 'n' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "count", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *path, *start = NULL, *end = NULL;
	bool reverse = false, count = false;
	struct scan_out out = { 0 };
	struct pmkv *kv = NULL;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:e:n:rcjh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			/* keys are never empty: "" means from the first key */
			start = *optarg ? optarg : NULL;
			break;
		case 'e':
			end = *optarg ? optarg : NULL;
			break;
		case 'n':
			if (util_parse_u64(optarg, &out.limit) || !out.limit)
				return util_usage_err(cmd, usage,
					"bad --limit '%s': a number of records, at least 1",
					optarg);
			break;
		case 'r':
			reverse = true;
			break;
		case 'c':
			count = true;
			break;
		case 'j':
			out.json = true;
			break;
		case 'h':
			util_print_usage(stdout, usage);
			return util_close_stdout(cmd, CLI_OK);
		default:
			return util_bad_option(cmd, usage, c, argv);
		}
	}
	if (argc - optind != 1)
		return util_usage_err(cmd, usage, argc - optind ?
				      "too many arguments" : "no path given");
	/* a count has no order and no records to limit */
	if (count && (reverse || out.limit))
		return util_usage_err(cmd, usage, "--count takes no %s",
				      reverse ? "--reverse" : "--limit");
	path = argv[optind];

	rc = util_open(cmd, path, PMKV_F_RDONLY, 0, &kv);
	if (rc)
		return rc;
	if (count)
		rc = print_count(cmd, path, kv, start, end, out.json);
	else
		rc = print_records(cmd, path, kv, start, end, reverse, &out);
	pmkv_close(&kv);
	return util_close_stdout(cmd, rc);
}
