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
	const char *cmd = argv[0], *path, *key, *val;
	struct pmkv *kv = NULL;
	int rc;

	rc = util_plain_args(argc, argv, usage, 3, "needs a path, a key and a value");
	if (rc >= 0)
		return rc;
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
