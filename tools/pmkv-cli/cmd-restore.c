// SPDX-License-Identifier: BSD-3-Clause
/* cmd-restore.c -- pmkv-cli restore: make a new pool from a backup */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "transfer.h"
#include "util.h"

static const char usage[] =
	"restore <backup> <pool> [--size=<bytes>]\n"
	"                        [--no-direct] [--no-uring] [--no-fixed]"
	" [--queue-depth=<n>]\n"
	"                        [--json] [--human]";

/*
 * the path an error is about, for the "pmkv-cli restore: <path>:" of the
 * message: the new pool for what only the pool's path or medium can
 * cause, else the backup, whose damage shows even when the recovery of
 * the new pool is what finds it
 */
static const char *err_path(int rc, const char *backup, const char *pool)
{
	switch (rc) {
	case -EEXIST:
	case -EBUSY:
	case -EISDIR:
	case -ENOSPC:
	case PMKV_E_GRANULARITY:
		return pool;
	}
	return backup;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		TRANSFER_OPT_NO_FIXED,
		TRANSFER_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct transfer_args a = { .cmd = argv[0], .usage = usage };
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report rep;
	struct pmkv_config *cfg = NULL;
	const char *backup, *pool;
	uint64_t size = 0;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:F" TRANSFER_OPTSTRING, opts,
				NULL)) != -1) {
		if (c == 's') {
			if (util_parse_size(optarg, &size) ||
			    size < PMKV_POOL_MIN)
				return util_usage_err(a.cmd, usage,
					"bad --size '%s': a byte count of at least %lluM, such as 64M or 1G",
					optarg, PMKV_POOL_MIN >> 20);
		} else if ((rc = transfer_opt(&a, c, argv)) >= 0) {
			return rc;
		}
	}
	if (argc - optind != 2)
		return util_usage_err(a.cmd, usage, argc - optind > 2 ?
				      "too many arguments" :
				      "a backup and a new pool are needed");
	backup = argv[optind];
	pool = argv[optind + 1];

	/* PMKV_F_CREATE is implied; the size, if any, is the config's */
	rc = pmkv_config_new(&cfg);
	if (!rc && size)
		rc = pmkv_config_set_size(cfg, size);
	if (rc) {
		rc = util_err(a.cmd, pool, rc, "size %" PRIu64, size);
		goto out;
	}
	rc = transfer_config(&a, pool, NULL, &tc);
	if (rc)
		goto out;
	memset(&rep, 0, sizeof(rep));
	rc = pmkv_restore(backup, pool, cfg, tc, &rep, sizeof(rep));
	transfer_done();
	if (rc) {
		rc = util_err(a.cmd, err_path(rc, backup, pool), rc,
			      "restore into %s", pool);
		goto out;
	}
	transfer_print(&a, "restore", backup, pool, NULL, &rep);
	rc = CLI_OK;
out:
	pmkv_transfer_config_free(&tc);
	pmkv_config_free(&cfg);
	return transfer_exit(a.cmd, rc);
}
