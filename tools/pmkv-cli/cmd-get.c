// SPDX-License-Identifier: BSD-3-Clause
/* cmd-get.c -- pmkv-cli get: write one key's value to stdout, as it is */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "util.h"

static const char usage[] = "get <path> [--] <key>";

/* the first try's buffer: most values fit, the rest cost a second get */
#define GET_BUF 4096

int cmd_get(int argc, char **argv)
{
	const char *cmd = argv[0], *path, *key;
	struct pmkv *kv = NULL;
	size_t len = GET_BUF, vlen = 0;
	char *buf = NULL;
	int rc;

	rc = util_plain_args(argc, argv, usage, 2, "needs a path and a key");
	if (rc >= 0)
		return rc;
	path = argv[optind];
	key = argv[optind + 1];

	rc = util_open(cmd, path, PMKV_F_RDONLY, 0, &kv);
	if (rc)
		return rc;
	for (;;) {
		char *nbuf = realloc(buf, len ? len : 1);

		if (!nbuf) {
			rc = -ENOMEM;
			break;
		}
		buf = nbuf;
		rc = pmkv_get(kv, key, strlen(key), buf, len, &vlen);
		/* -ENOBUFS set vlen to the size needed; the value may grow */
		if (rc != -ENOBUFS)
			break;
		len = vlen;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "pmkv-cli %s: %s: %s: no key \"", cmd, path,
			pmkv_strerror(rc));
		util_fput_escaped(stderr, key, strlen(key));
		fputs("\"\n", stderr);
		rc = CLI_FAIL;
	} else if (rc) {
		rc = util_err(cmd, path, rc, "get of a %zu-byte key",
			      strlen(key));
	} else if (fwrite(buf, 1, vlen, stdout) != vlen) {
		rc = CLI_FAIL;
	}
	free(buf);
	pmkv_close(&kv);
	return util_close_stdout(cmd, rc);
}
