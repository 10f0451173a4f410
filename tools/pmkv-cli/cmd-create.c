// SPDX-License-Identifier: BSD-3-Clause
/* cmd-create.c -- pmkv-cli create: make an empty pool at a new path */
#include <inttypes.h>
#include <stdio.h>

#include <libpmkv.h>

#include "builtin.h"
#include "json.h"
#include "util.h"

static const char usage[] = "create <path> [--size=<bytes>]";

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *path;
	struct pmkv_info info;
	struct pmkv *kv = NULL;
	char buf[UTIL_SIZE_BUF];
	uint64_t size = 0;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (util_parse_size(optarg, &size) ||
			    size < PMKV_POOL_MIN)
				return util_usage_err(cmd, usage,
					"bad --size '%s': a byte count of at least %lluM, such as 64M or 1G",
					optarg, PMKV_POOL_MIN >> 20);
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

	rc = util_open(cmd, path, PMKV_F_CREATE | PMKV_F_EXCL, size, &kv);
	if (rc)
		return rc;
	rc = pmkv_get_info(kv, &info, sizeof(info));
	if (rc) {
		rc = util_err(cmd, path, rc, NULL);
	} else {
		printf("%s: created, %s bytes, %s\n", path,
		       util_size_fmt(buf, info.pool_size, 0),
		       json_media_name(info.media));
		rc = CLI_OK;
	}
	pmkv_close(&kv);
	return util_close_stdout(cmd, rc);
}
