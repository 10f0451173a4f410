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
	const char *cmd = argv[0], *path, *key;
	struct pmkv *kv = NULL;
	int rc;

	rc = util_plain_args(argc, argv, usage, 2, "needs a path and a key");
	if (rc >= 0)
		return rc;
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
