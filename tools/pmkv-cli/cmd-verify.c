// SPDX-License-Identifier: BSD-3-Clause
/* cmd-verify.c -- pmkv-cli verify: check a backup and its chain */
#include <stdio.h>
#include <string.h>

#include <libpmkv.h>

#include "builtin.h"
#include "transfer.h"
#include "util.h"

static const char usage[] =
	"verify <backup> [--no-direct] [--no-uring] [--queue-depth=<n>]\n"
	"                       [--json] [--human]";

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		TRANSFER_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct transfer_args a = { .cmd = argv[0], .usage = usage };
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report rep;
	const char *backup;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":" TRANSFER_OPTSTRING, opts,
				NULL)) != -1)
		if ((rc = transfer_opt(&a, c, argv)) >= 0)
			return rc;
	if (argc - optind != 1)
		return util_usage_err(a.cmd, usage, argc - optind ?
				      "too many arguments" : "no backup given");
	backup = argv[optind];

	rc = transfer_config(&a, backup, NULL, &tc);
	if (rc)
		return transfer_exit(a.cmd, rc);
	memset(&rep, 0, sizeof(rep));
	rc = pmkv_verify(backup, tc, &rep, sizeof(rep));
	transfer_done();
	if (rc) {
		rc = util_err(a.cmd, backup, rc, NULL);
	} else {
		transfer_print(&a, "verify", backup, NULL, NULL, &rep);
		rc = CLI_OK;
	}
	pmkv_transfer_config_free(&tc);
	return transfer_exit(a.cmd, rc);
}
