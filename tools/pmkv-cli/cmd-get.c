// SPDX-License-Identifier: BSD-3-Clause
/* cmd-get.c -- pmkv-cli get: write one key's value to stdout, as it is */
/*
 * With --output the value goes to a new file by pmkv_get_to_fd(), from
 * the pool's pages where direct I/O allows. The key is looked up first,
 * so that an absent key leaves the file alone even with --overwrite;
 * the pool is open read-only here and nothing else can write it
 * meanwhile. A file this command created is removed when the get fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmkv.h>

#include "builtin.h"
#include "json.h"
#include "transfer.h"
#include "util.h"

static const char usage[] =
	"get <path> [--] <key>\n"
	"       pmkv-cli get <path> <key> --output=<file> [--overwrite]\n"
	"                    [--no-direct] [--no-uring] [--queue-depth=<n>]"
	" [--json] [--human]";

/* the first try's buffer: most values fit, the rest cost a second get */
#define GET_BUF 4096

struct get_args {
	struct transfer_args a;
	const char *output;
	bool overwrite;
	bool output_opts;	/* an option that only --output goes with */
};

/* the options; -1 to go on, else the exit code */
static int parse(struct get_args *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "overwrite", no_argument, NULL, 'W' },
		TRANSFER_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = g->a.cmd;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":o:W" TRANSFER_OPTSTRING, opts,
				NULL)) != -1) {
		if (c == 'o') {
			if (!*optarg)
				return util_usage_err(cmd, usage,
						      "--output needs a file");
			g->output = optarg;
			continue;
		}
		if (c == 'W')
			g->overwrite = true;
		else if ((rc = transfer_opt(&g->a, c, argv)) >= 0)
			return rc;
		g->output_opts = true;
	}
	if (!g->output && g->output_opts)
		return util_usage_err(cmd, usage,
				      "--overwrite and the transfer options go with --output");
	if (argc - optind != 2)
		return util_usage_err(cmd, usage, argc - optind > 2 ?
				      "too many arguments" :
				      "needs a path and a key");
	return -1;
}

static int no_key(const char *cmd, const char *path, const char *key)
{
	fprintf(stderr, "pmkv-cli %s: %s: %s: no key \"", cmd, path,
		pmkv_strerror(-ENOENT));
	util_fput_escaped(stderr, key, strlen(key));
	fputs("\"\n", stderr);
	return CLI_FAIL;
}

/*
 * The output file, open for writing: new, or with --overwrite an existing
 * one cut to 0 bytes (*created false). Regular files and block devices
 * only: the value is written at an offset.
 */
static int open_output(const struct get_args *g, int *fd, bool *created)
{
	const char *cmd = g->a.cmd;
	struct stat st;

	*fd = open(g->output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	/* only a file this open made may be removed after a failure */
	*created = *fd >= 0;
	if (*fd < 0 && errno == EEXIST && g->overwrite)
		*fd = open(g->output, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, "pmkv-cli %s: %s: %s%s\n", cmd, g->output,
			strerror(errno), errno == EEXIST ?
			" (--overwrite replaces it)" : "");
		return CLI_FAIL;
	}
	if (fstat(*fd, &st) || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		fprintf(stderr, "pmkv-cli %s: %s: not a regular file or a block device\n",
			cmd, g->output);
		close(*fd);
		*fd = -1;
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* the pool's own failures name the pool; the others are the file's */
static bool pool_failure(int rc)
{
	return rc == -ENOENT || rc == -EINVAL || rc == -ENOMEM ||
	       (rc <= PMKV_E_CORRUPT && rc >= PMKV_E_LAST);
}

static int get_file(struct get_args *g, const char *path, const char *key)
{
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report rep;
	const char *cmd = g->a.cmd;
	struct pmkv *kv = NULL;
	bool created = false;
	int fd = -1, rc;

	rc = util_open(cmd, path, PMKV_F_RDONLY, 0, &kv);
	if (rc)
		return rc;
	rc = pmkv_exists(kv, key, strlen(key));
	if (rc == -ENOENT) {
		rc = no_key(cmd, path, key);
		goto out;
	} else if (rc) {
		rc = util_err(cmd, path, rc, "lookup of a %zu-byte key",
			      strlen(key));
		goto out;
	}
	rc = open_output(g, &fd, &created);
	if (rc)
		goto out;
	rc = transfer_config(&g->a, g->output, NULL, &tc);
	if (rc)
		goto out;
	memset(&rep, 0, sizeof(rep));
	rc = pmkv_get_to_fd(kv, key, strlen(key), fd, 0, NULL, tc, &rep,
			    sizeof(rep));
	transfer_done();
	if (rc) {
		rc = util_err(cmd, pool_failure(rc) ? path : g->output, rc,
			      "get of a %zu-byte key", strlen(key));
		goto out;
	}
	/* a file system may report a failed write only at close */
	rc = close(fd);
	fd = -1;
	if (rc) {
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, g->output,
			strerror(errno));
		rc = CLI_FAIL;
		goto out;
	}
	if (g->a.json) {
		struct json_object *o = value_to_json(path, key, strlen(key),
						      g->output, 0, &rep,
						      g->a.flags);

		json_print(stdout, o);
		json_object_put(o);
	}
	rc = CLI_OK;
out:
	if (fd >= 0)
		close(fd);
	/* no half value under the name: a file we made goes */
	if (rc != CLI_OK && created)
		unlink(g->output);
	pmkv_transfer_config_free(&tc);
	pmkv_close(&kv);
	return transfer_exit(cmd, rc);
}

int cmd_get(int argc, char **argv)
{
	struct get_args g = { .a = { .cmd = argv[0], .usage = usage } };
	const char *cmd = argv[0], *path, *key;
	struct pmkv *kv = NULL;
	size_t len = GET_BUF, vlen = 0;
	char *buf = NULL;
	int rc;

	rc = parse(&g, argc, argv);
	if (rc >= 0)
		return rc;
	path = argv[optind];
	key = argv[optind + 1];
	if (g.output)
		return get_file(&g, path, key);

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
		rc = no_key(cmd, path, key);
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
