/* SPDX-License-Identifier: BSD-3-Clause */
/* scan.c -- load keys in one batch, then read ranges by callback and iterator */

/*
 * Usage: scan [POOL]
 *
 * POOL defaults to a file in /dev/shm named for this process. A pool that
 * this program creates, it removes again; an existing pool is opened and
 * keeps the keys written here.
 */
#define _POSIX_C_SOURCE 200809L

#include <libpmkv.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NKEYS 20

/* report a failed call: the code's name, then the thread's detail */
static void fail(const char *path, const char *call, int ret)
{
	char msg[512];

	/* copy the detail first: it is valid only until the next pmkv call */
	snprintf(msg, sizeof(msg), "%s", pmkv_errormsg());
	fprintf(stderr, "scan: %s: %s: %s: %s\n", path, call,
		pmkv_strerror(ret), msg);
}

/* key:00 .. key:19 with values v0 .. v19, all or nothing */
static int load(const char *path, struct pmkv *kv)
{
	struct pmkv_batch *b;
	char k[16], v[16];
	int i, ret;

	ret = pmkv_batch_new(kv, &b);
	if (ret) {
		fail(path, "pmkv_batch_new", ret);
		return ret;
	}
	for (i = 0; i < NKEYS && ret == 0; i++) {
		snprintf(k, sizeof(k), "key:%02d", i);
		snprintf(v, sizeof(v), "v%d", i);
		/* the batch copies key and value */
		ret = pmkv_batch_put(b, k, strlen(k), v, strlen(v));
	}
	if (ret)
		fail(path, "pmkv_batch_put", ret);
	else if ((ret = pmkv_batch_commit(b)) != 0)
		fail(path, "pmkv_batch_commit", ret);
	pmkv_batch_free(&b);
	return ret;
}

struct count {
	int seen;
	int stop_after;
};

/* key and val are valid only during the call */
static int print_record(const void *key, size_t klen, const void *val,
			size_t vlen, void *arg)
{
	struct count *c = arg;

	printf("  %.*s = %.*s\n", (int)klen, (const char *)key, (int)vlen,
	       (const char *)val);
	if (++c->seen == c->stop_after)
		return 1;	/* any nonzero value ends the scan */
	return 0;
}

static int scan_ranges(const char *path, struct pmkv *kv)
{
	struct count c = { 0, 0 };
	int ret;

	printf("scan [key:05, key:10):\n");
	ret = pmkv_scan(kv, "key:05", 6, "key:10", 6, print_record, &c);
	if (ret) {
		fail(path, "pmkv_scan", ret);
		return 1;
	}
	if (c.seen != 5) {
		fprintf(stderr, "scan: %s: %d keys in [key:05, key:10)\n",
			path, c.seen);
		return 1;
	}

	printf("scan from the first key, stopping after 3:\n");
	c.seen = 0;
	c.stop_after = 3;
	ret = pmkv_scan(kv, NULL, 0, NULL, 0, print_record, &c);
	if (ret != 1 || c.seen != 3) {
		fprintf(stderr, "scan: %s: stopped scan returned %d after %d keys\n",
			path, ret, c.seen);
		return 1;
	}
	return 0;
}

static int iterate(const char *path, struct pmkv *kv)
{
	struct pmkv_iter *it;
	const void *k, *v;
	size_t klen, vlen;
	int ret, n = 0;

	ret = pmkv_iter_new(kv, &it);
	if (ret) {
		fail(path, "pmkv_iter_new", ret);
		return 1;
	}
	printf("iterate from key:15 to the last key:\n");
	/* -ENOENT ends the loop: no key left */
	for (ret = pmkv_iter_seek(it, "key:15", 6); ret == 0;
	     ret = pmkv_iter_next(it)) {
		ret = pmkv_iter_key(it, &k, &klen);
		if (ret == 0)
			ret = pmkv_iter_value(it, &v, &vlen);
		if (ret)
			break;
		if (klen < 4 || memcmp(k, "key:", 4) != 0)
			break;	/* past our keys, in a pool that has others */
		/* valid until the next call on the iterator */
		printf("  %.*s = %.*s\n", (int)klen, (const char *)k,
		       (int)vlen, (const char *)v);
		n++;
	}
	pmkv_iter_free(&it);
	if (ret != 0 && ret != -ENOENT) {
		fail(path, "pmkv_iter", ret);
		return 1;
	}
	if (n != NKEYS - 15) {
		fprintf(stderr, "scan: %s: %d keys from key:15\n", path, n);
		return 1;
	}
	return 0;
}

static int run(const char *path)
{
	struct pmkv_config *cfg;
	struct pmkv *kv;
	int ret, rc = 1;

	ret = pmkv_config_new(&cfg);
	if (ret) {
		fail(path, "pmkv_config_new", ret);
		return 1;
	}
	ret = pmkv_config_set_flags(cfg, PMKV_F_CREATE);
	if (ret == 0)
		ret = pmkv_config_set_size(cfg, PMKV_POOL_MIN);
	if (ret == 0)
		ret = pmkv_open(path, cfg, &kv);
	pmkv_config_free(&cfg);
	if (ret) {
		fail(path, "pmkv_open", ret);
		return 1;
	}

	if (load(path, kv) == 0 && scan_ranges(path, kv) == 0 &&
	    iterate(path, kv) == 0)
		rc = 0;
	pmkv_close(&kv);
	return rc;
}

int main(int argc, char *argv[])
{
	char tmp[64];
	const char *path = argc > 1 ? argv[1] : NULL;
	struct stat st;
	int created, rc;

	if (argc > 2) {
		fprintf(stderr, "usage: scan [POOL]\n");
		return 2;
	}
	if (path == NULL) {
		snprintf(tmp, sizeof(tmp), "/dev/shm/pmkv-scan-%ld.pool",
			 (long)getpid());
		path = tmp;
	}
	created = stat(path, &st) != 0 && errno == ENOENT;

	rc = run(path);

	if (created && unlink(path) != 0 && errno != ENOENT) {
		perror(path);
		rc = 1;
	}
	return rc;
}
