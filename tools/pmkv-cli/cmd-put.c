// SPDX-License-Identifier: BSD-3-Clause
/* cmd-put.c -- pmkv-cli put: insert or overwrite one key, durably */
/*
 * With --file the value is a file's bytes, read by pmkv_put_from_fd()
 * straight into the pool where direct I/O allows. Only regular files and
 * block devices are taken: the call reads at an offset, and holds the
 * thread's writer while it reads, which a pipe could make last forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmkv.h>

#include "builtin.h"
#include "json.h"
#include "transfer.h"
#include "util.h"

static const char usage[] =
	"put <path> [--] <key> <value>\n"
	"       pmkv-cli put <path> <key> --file=<file> [--offset=<bytes>]"
	" [--length=<bytes>]\n"
	"                    [--no-direct] [--no-uring] [--queue-depth=<n>]"
	" [--json] [--human]";

struct put_args {
	struct transfer_args a;
	const char *file;
	uint64_t offset, length;
	bool has_length;
	bool file_opts;		/* an option that only --file goes with */
};

/* the options; -1 to go on, else the exit code */
static int parse(struct put_args *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "offset", required_argument, NULL, 'O' },
		{ "length", required_argument, NULL, 'l' },
		TRANSFER_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = p->a.cmd;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":f:O:l:" TRANSFER_OPTSTRING,
				opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!*optarg)
				return util_usage_err(cmd, usage,
						      "--file needs a file");
			p->file = optarg;
			continue;
		case 'O':
			if (util_parse_size(optarg, &p->offset))
				return util_usage_err(cmd, usage,
					"bad --offset '%s': a byte count such as 4096 or 64K",
					optarg);
			p->file_opts = true;
			continue;
		case 'l':
			if (util_parse_size(optarg, &p->length))
				return util_usage_err(cmd, usage,
					"bad --length '%s': a byte count such as 1048576 or 1M",
					optarg);
			p->has_length = true;
			p->file_opts = true;
			continue;
		}
		if ((rc = transfer_opt(&p->a, c, argv)) >= 0)
			return rc;
		p->file_opts = true;
	}
	if (!p->file && p->file_opts)
		return util_usage_err(cmd, usage,
				      "--offset, --length and the transfer options go with --file");
	if (p->file && argc - optind != 2)
		return util_usage_err(cmd, usage, argc - optind > 2 ?
				      "too many arguments (the value comes from --file)" :
				      "needs a path and a key");
	if (!p->file && argc - optind != 3)
		return util_usage_err(cmd, usage, argc - optind > 3 ?
				      "too many arguments" :
				      "needs a path, a key and a value");
	return -1;
}

/*
 * The value's file, open for reading, and the bytes of it to put: the
 * rest of the file after the offset unless --length says
 */
static int open_value(const struct put_args *p, int *fd, size_t *vlen)
{
	const char *cmd = p->a.cmd;
	struct stat st;
	off_t end;

	*fd = open(p->file, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st)) {
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, p->file,
			strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "pmkv-cli %s: %s: not a regular file or a block device\n",
			cmd, p->file);
		goto err;
	}
	if (p->has_length) {
		*vlen = (size_t)p->length;
		return CLI_OK;
	}
	/* a block device's st_size is 0: its end is where lseek finds it */
	end = lseek(*fd, 0, SEEK_END);
	if (end < 0) {
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, p->file,
			strerror(errno));
		goto err;
	}
	if (p->offset > (uint64_t)end) {
		fprintf(stderr, "pmkv-cli %s: %s: --offset %llu is past its end (%lld bytes)\n",
			cmd, p->file, (unsigned long long)p->offset,
			(long long)end);
		goto err;
	}
	*vlen = (size_t)((uint64_t)end - p->offset);
	return CLI_OK;
err:
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return CLI_FAIL;
}

/* the pool's own failures name the pool; the others are the file's */
static bool pool_failure(int rc)
{
	return rc == -EINVAL || rc == -ENOSPC || rc == -ENOMEM ||
	       rc == -EROFS || (rc <= PMKV_E_CORRUPT && rc >= PMKV_E_LAST);
}

static int put_file(struct put_args *p, const char *path, const char *key)
{
	struct pmkv_transfer_config *tc = NULL;
	struct pmkv_transfer_report rep;
	const char *cmd = p->a.cmd;
	struct pmkv *kv = NULL;
	size_t vlen;
	int fd, rc;

	rc = open_value(p, &fd, &vlen);
	if (rc)
		return rc;
	rc = util_open(cmd, path, 0, 0, &kv);
	if (rc)
		goto out;
	rc = transfer_config(&p->a, path, NULL, &tc);
	if (rc)
		goto out;
	memset(&rep, 0, sizeof(rep));
	rc = pmkv_put_from_fd(kv, key, strlen(key), fd, p->offset, vlen, tc,
			      &rep, sizeof(rep));
	transfer_done();
	if (rc) {
		rc = util_err(cmd, pool_failure(rc) ? path : p->file, rc,
			      "put of %zu bytes at offset %llu", vlen,
			      (unsigned long long)p->offset);
		goto out;
	}
	if (p->a.json) {
		struct json_object *o = value_to_json(path, key, strlen(key),
						      p->file, p->offset, &rep,
						      p->a.flags);

		json_print(stdout, o);
		json_object_put(o);
	}
	rc = CLI_OK;
out:
	pmkv_transfer_config_free(&tc);
	pmkv_close(&kv);
	close(fd);
	return transfer_exit(cmd, rc);
}

int cmd_put(int argc, char **argv)
{
	struct put_args p = { .a = { .cmd = argv[0], .usage = usage } };
	const char *cmd = argv[0], *path, *key, *val;
	struct pmkv *kv = NULL;
	int rc;

	rc = parse(&p, argc, argv);
	if (rc >= 0)
		return rc;
	path = argv[optind];
	key = argv[optind + 1];
	if (p.file)
		return put_file(&p, path, key);
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
