// SPDX-License-Identifier: BSD-3-Clause
/* cmd-backup.c -- pmkv-cli backup: copy a pool into a backup file */
/*
 * The pool is opened read-only: a backup writes nothing to it, and a
 * pool that only read permission reaches can be backed up. A pool that
 * a program holds open cannot be opened here (-EBUSY); that program
 * backs it up hot with pmkv_backup() itself.
 */
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "transfer.h"
#include "util.h"

static const char usage[] =
	"backup <pool> <target> [--base=<backup>] [--overwrite]\n"
	"                       [--no-direct] [--no-uring] [--no-fixed]"
	" [--queue-depth=<n>]\n"
	"                       [--json] [--human]";

int cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' },
		{ "overwrite", no_argument, NULL, 'o' },
		TRANSFER_OPT_NO_FIXED,
		TRANSFER_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct transfer_args a = { .cmd = argv[0], .usage = usage };
	const char *pool, *target, *base = NULL;
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report rep;
	struct pmkv *kv = NULL;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":b:oF" TRANSFER_OPTSTRING, opts,
				NULL)) != -1) {
		if (c == 'b') {
			if (!*optarg)
				return util_usage_err(a.cmd, usage,
						      "--base needs a backup file");
			base = optarg;
		} else if (c == 'o') {
			a.tflags |= PMKV_T_OVERWRITE;
		} else if ((rc = transfer_opt(&a, c, argv)) >= 0) {
			return rc;
		}
	}
	if (argc - optind != 2)
		return util_usage_err(a.cmd, usage, argc - optind > 2 ?
				      "too many arguments" :
				      "a pool and a target are needed");
	pool = argv[optind];
	target = argv[optind + 1];

	rc = util_open(a.cmd, pool, PMKV_F_RDONLY, 0, &kv);
	if (rc)
		return rc;
	rc = transfer_config(&a, target, base, &tc);
	if (rc)
		goto out;
	memset(&rep, 0, sizeof(rep));
	rc = pmkv_backup(kv, target, tc, &rep, sizeof(rep));
	transfer_done();
	if (rc) {
		rc = util_err(a.cmd, target, rc, "backup of %s", pool);
		goto out;
	}
	transfer_print(&a, "backup", target, pool, base, &rep);
	rc = CLI_OK;
out:
	pmkv_transfer_config_free(&tc);
	pmkv_close(&kv);
	return transfer_exit(a.cmd, rc);
}
