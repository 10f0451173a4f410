// SPDX-License-Identifier: BSD-3-Clause
/* cmd-info.c -- pmkv-cli info: a pool's medium, sizes and counters */
#include <inttypes.h>
#include <stdio.h>

#include <libpmkv.h>

#include "builtin.h"
#include "json.h"
#include "util.h"

static const char usage[] = "info <path> [--json] [--human]";

static const char *pmem_text(const struct pmkv_info *info)
{
	if (info->pmem_forced)
		return "yes, forced by PMEM_IS_PMEM_FORCE=1";
	if (info->is_pmem)
		return "yes";
	return "no: msync at page granularity";
}

static void print_text(const char *path, const struct pmkv_info *info,
		       const struct pmkv_stats *st, unsigned flags)
{
	char b[UTIL_SIZE_BUF];

	printf("path:              %s\n", path);
	printf("media:             %s\n", json_media_name(info->media));
	printf("pmem:              %s\n", pmem_text(info));
	printf("format:            %u.%u\n", info->format_major,
	       info->format_minor);
	printf("pool size:         %s\n",
	       util_size_fmt(b, info->pool_size, flags));
	printf("segment size:      %s\n",
	       util_size_fmt(b, info->segment_size, flags));
	if (info->media == PMKV_MEDIA_DEVDAX)
		printf("device align:      %s\n",
		       util_size_fmt(b, info->device_align, flags));
	printf("keys:              %" PRIu64 "\n", st->keys);
	printf("segments:          %" PRIu64 "\n", st->segments);
	printf("log bytes used:    %s\n",
	       util_size_fmt(b, st->log_bytes_used, flags));
	printf("log bytes live:    %s\n",
	       util_size_fmt(b, st->log_bytes_live, flags));
	printf("index bytes:       %s\n",
	       util_size_fmt(b, st->index_bytes, flags));
	printf("recovered records: %" PRIu64 "\n", st->recovered_records);
	printf("recovery time:     %.3f ms\n", (double)st->recovery_ns / 1e6);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "human", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *path;
	struct pmkv_info info;
	struct pmkv_stats st;
	struct pmkv *kv = NULL;
	unsigned flags = 0;
	bool json = false;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":juh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'u':
			flags |= UTIL_HUMAN;
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
	path = argv[optind];

	rc = util_open(cmd, path, PMKV_F_RDONLY, 0, &kv);
	if (rc)
		return rc;
	rc = pmkv_get_info(kv, &info, sizeof(info));
	if (!rc)
		rc = pmkv_get_stats(kv, &st, sizeof(st));
	if (rc) {
		rc = util_err(cmd, path, rc, NULL);
		pmkv_close(&kv);
		return rc;
	}
	pmkv_close(&kv);

	if (json) {
		struct json_object *o = pool_to_json(path, &info, &st, flags);

		json_print(stdout, o);
		json_object_put(o);
	} else {
		print_text(path, &info, &st, flags);
	}
	return util_close_stdout(cmd, CLI_OK);
}
