/* SPDX-License-Identifier: BSD-3-Clause */
/* put-get.c -- create a pool, put, get, reopen, delete: the basic calls */

/*
 * Usage: put-get [POOL]
 *
 * POOL defaults to a file in /dev/shm named for this process. A pool that
 * this program creates, it removes again; an existing pool is opened and
 * left in place, without the key this program writes.
 */
#define _POSIX_C_SOURCE 200809L

#include <libpmkv.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char key[] = "greeting";
static const char val[] = "hello, persistent world";

/* report a failed call: the code's name, then the thread's detail */
static void fail(const char *path, const char *call, int ret)
{
	char msg[512];

	/* copy the detail first: it is valid only until the next pmkv call */
	snprintf(msg, sizeof(msg), "%s", pmkv_errormsg());
	fprintf(stderr, "put-get: %s: %s: %s: %s\n", path, call,
		pmkv_strerror(ret), msg);
}

static int open_pool(const char *path, unsigned flags, struct pmkv **kv)
{
	struct pmkv_config *cfg;
	int ret;

	ret = pmkv_config_new(&cfg);
	if (ret) {
		fail(path, "pmkv_config_new", ret);
		return ret;
	}
	ret = pmkv_config_set_flags(cfg, flags);
	if (ret == 0)
		ret = pmkv_config_set_size(cfg, PMKV_POOL_MIN);
	if (ret == 0)
		ret = pmkv_open(path, cfg, kv);
	if (ret)
		fail(path, "pmkv_open", ret);
	pmkv_config_free(&cfg);
	return ret;
}

/* put a key and read it back, first into a buffer that is too small */
static int put_and_get(const char *path)
{
	struct pmkv *kv;
	char buf[64];
	size_t vlen = 0;
	int ret, rc = 1;

	if (open_pool(path, PMKV_F_CREATE, &kv))
		return 1;

	/* durable once it returns 0 */
	ret = pmkv_put(kv, key, strlen(key), val, strlen(val));
	if (ret) {
		fail(path, "pmkv_put", ret);
		goto out_close;
	}

	/* too small: buf is left alone and vlen says what is needed */
	ret = pmkv_get(kv, key, strlen(key), buf, 4, &vlen);
	if (ret != -ENOBUFS || vlen != strlen(val)) {
		fprintf(stderr, "put-get: %s: get into 4 bytes: %s, vlen %zu\n",
			path, pmkv_strerror(ret), vlen);
		goto out_close;
	}

	ret = pmkv_get(kv, key, strlen(key), buf, sizeof(buf) - 1, &vlen);
	if (ret) {
		fail(path, "pmkv_get", ret);
		goto out_close;
	}
	buf[vlen] = '\0';
	printf("%s = %s\n", key, buf);
	rc = 0;

out_close:
	pmkv_close(&kv);
	return rc;
}

/* after a reopen the key is there; delete it */
static int reopen_and_delete(const char *path)
{
	struct pmkv *kv;
	int ret, rc = 1;

	if (open_pool(path, 0, &kv))
		return 1;

	ret = pmkv_exists(kv, key, strlen(key));
	if (ret) {
		fail(path, "pmkv_exists after reopen", ret);
		goto out_close;
	}
	ret = pmkv_delete(kv, key, strlen(key));
	if (ret) {
		fail(path, "pmkv_delete", ret);
		goto out_close;
	}
	ret = pmkv_exists(kv, key, strlen(key));
	if (ret != -ENOENT) {
		fprintf(stderr, "put-get: %s: exists after delete: %s\n",
			path, pmkv_strerror(ret));
		goto out_close;
	}
	printf("%s deleted\n", key);
	rc = 0;

out_close:
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
		fprintf(stderr, "usage: put-get [POOL]\n");
		return 2;
	}
	if (path == NULL) {
		snprintf(tmp, sizeof(tmp), "/dev/shm/pmkv-put-get-%ld.pool",
			 (long)getpid());
		path = tmp;
	}
	created = stat(path, &st) != 0 && errno == ENOENT;

	rc = put_and_get(path);
	if (rc == 0)
		rc = reopen_and_delete(path);

	if (created && unlink(path) != 0 && errno != ENOENT) {
		perror(path);
		rc = 1;
	}
	return rc;
}
