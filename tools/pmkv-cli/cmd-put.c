// SPDX-License-Identifier: BSD-3-Clause
/* cmd-put.c -- pmkv-cli put: insert or overwrite one key, durably */
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "util.h"

static const char usage[] = "put <path> [--] <key> <value>";

int cmd_put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *path, *key, *val;
	struct pmkv *kv = NULL;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			util_print_usage(stdout, usage);
			return util_close_stdout(cmd, CLI_OK);
		default:
			return util_bad_option(cmd, usage, c, argv);
		}
	}
	if (argc - optind != 3)
		return util_usage_err(cmd, usage, argc - optind > 3 ?
				      "too many arguments" :
				      "needs a path, a key and a value");
	path = argv[optind];
	key = argv[optind + 1];
	val = argv[optind + 2];

	rc = util_open(cmd, path, 0, 0, &kv);
	if (rc)
		return rc;
	rc = pmkv_put(kv, key, strlen(key), val, strlen(val));
	if (rc)
		rc = util_err(cmd, path, rc, "put of a %zu-byte key",
			      strlen(key));
	pmkv_close(&kv);
	return rc;
}
