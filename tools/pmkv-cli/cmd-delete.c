// SPDX-License-Identifier: BSD-3-Clause
/* cmd-delete.c -- pmkv-cli delete: remove one key, durably */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "util.h"

static const char usage[] = "delete <path> [--] <key>";

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *path, *key;
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
	if (argc - optind != 2)
		return util_usage_err(cmd, usage, argc - optind > 2 ?
				      "too many arguments" :
				      "needs a path and a key");
	path = argv[optind];
	key = argv[optind + 1];

	rc = util_open(cmd, path, 0, 0, &kv);
	if (rc)
		return rc;
	rc = pmkv_delete(kv, key, strlen(key));
	if (rc == -ENOENT) {
		fprintf(stderr, "pmkv-cli %s: %s: %s: no key \"", cmd, path,
			pmkv_strerror(rc));
		util_fput_escaped(stderr, key, strlen(key));
		fputs("\"\n", stderr);
		rc = CLI_FAIL;
	} else if (rc) {
		rc = util_err(cmd, path, rc, "delete of a %zu-byte key",
			      strlen(key));
	}
	pmkv_close(&kv);
	return rc;
}
