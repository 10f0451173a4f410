// SPDX-License-Identifier: BSD-3-Clause
/* cmd-salvage.c -- pmkv-cli salvage: copy what a damaged pool still holds */
/*
 * A damaged pool is never repaired in place: it is opened with
 * PMKV_F_SALVAGE (read-only, damage skipped and reported) and every key
 * whose newest record is whole is put into a new pool, in batches, so the
 * damaged one stays as it was for a second look.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libpmkv.h>

#include "builtin.h"
#include "util.h"

static const char usage[] = "salvage <damaged-pool> <new-pool> [--size=<bytes>]";

/* operations a batch commits at once: memory stays small */
#define SALVAGE_BATCH 1024

struct copy {
	struct pmkv_batch *b;
	uint32_t n;
	uint64_t keys;
	int rc;
};

static int copy_one(const void *key, size_t klen, const void *val,
		    size_t vlen, void *arg)
{
	struct copy *c = arg;

	c->rc = pmkv_batch_put(c->b, key, klen, val, vlen);
	if (!c->rc && ++c->n == SALVAGE_BATCH) {
		c->rc = pmkv_batch_commit(c->b);
		c->n = 0;
	}
	if (c->rc)
		return 1;	/* stop the scan; c->rc says why */
	c->keys++;
	return 0;
}

int cmd_salvage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *from, *to;
	struct pmkv *src = NULL, *dst = NULL;
	struct copy c = { 0 };
	struct pmkv_stats st;
	struct pmkv_info info;
	uint64_t size = 0;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (opt) {
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
			return util_bad_option(cmd, usage, opt, argv);
		}
	}
	if (argc - optind != 2)
		return util_usage_err(cmd, usage, argc - optind > 2 ?
				      "too many arguments" :
				      "a damaged pool and a new pool are needed");
	from = argv[optind];
	to = argv[optind + 1];

	/* every damaged record is reported, on standard error, unless
	   PMKV_LOG asks for something else */
	if (!getenv("PMKV_LOG"))
		pmkv_log_set_level(PMKV_LOG_ERR);
	rc = util_open(cmd, from, PMKV_F_SALVAGE, 0, &src);
	if (rc)
		return rc;
	if (!size && !pmkv_get_info(src, &info, sizeof(info)))
		size = info.pool_size;
	rc = util_open(cmd, to, PMKV_F_CREATE | PMKV_F_EXCL, size, &dst);
	if (rc)
		goto out;
	rc = pmkv_batch_new(dst, &c.b);
	if (rc) {
		rc = util_err(cmd, to, rc, NULL);
		goto out;
	}
	rc = pmkv_scan(src, NULL, 0, NULL, 0, copy_one, &c);
	if (!rc && c.n)
		c.rc = pmkv_batch_commit(c.b);
	if (c.rc)
		rc = util_err(cmd, to, c.rc, "copying");
	else if (rc)
		rc = util_err(cmd, from, rc, "reading");
	pmkv_batch_free(&c.b);
	if (rc)
		goto out;
	pmkv_get_stats(src, &st, sizeof(st));
	printf("%s: %" PRIu64 " keys copied to %s; %" PRIu64 " damaged records and %" PRIu64 " damaged segments skipped\n",
	       from, c.keys, to, st.damaged_records, st.damaged_segments);
	rc = st.damaged_records || st.damaged_segments ? CLI_DAMAGED : CLI_OK;
out:
	pmkv_close(&dst);
	pmkv_close(&src);
	return util_close_stdout(cmd, rc);
}
