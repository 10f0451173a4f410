// SPDX-License-Identifier: BSD-3-Clause
/* afl-open.c -- a fuzz target: open any pool image and read all of it */
/*
 * Input: a pool image, raw or squeezed by seedfmt (damage-fuzz
 * --write-seed), from the file named by the first argument or stdin. It
 * is written to a temporary pool, opened read-write, read-only and (where
 * the header has it) with PMKV_F_SALVAGE; each open that succeeds is read
 * whole: an iterator, a scan, and a get of every key the iterator gave.
 *
 * Without a model there is no "wrong value", but the answers must agree:
 * a scan and an iterator give keys in strictly increasing order, a get
 * of a key they gave returns its value or PMKV_E_CORRUPT, and no call
 * returns a positive code. A disagreement calls abort(), which AFL++ and
 * libFuzzer count as a crash; an open or read refused with any negative
 * code is a clean outcome and returns normally.
 *
 * Built as a normal program; with -DPMKV_LIBFUZZER (clang
 * -fsanitize=fuzzer) it defines LLVMFuzzerTestOneInput instead of main.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmkv.h>

#include "seedfmt.h"

#define KEYS_MAX 100000U	/* keys read back per open: bounds the time */

struct seen {
	struct pmkv *kv;
	uint8_t *buf;
	size_t bufsz;
	uint8_t prev[PMKV_KEY_MAX];
	size_t prev_len;
	unsigned n;
};

static void fail(const char *what, int rc)
{
	fprintf(stderr, "afl-open: %s: %d (%s): %s\n", what, rc,
		pmkv_strerror(rc), pmkv_errormsg());
	abort();
}

/* a key from a scan or the iterator: in order, and get agrees */
static void visit(struct seen *s, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	size_t got = 0;
	int cmp, rc;

	if (klen < 1 || klen > PMKV_KEY_MAX || vlen > PMKV_VALUE_MAX)
		fail("a key or value past the limits", (int)klen);
	if (s->prev_len) {
		cmp = memcmp(s->prev, key, klen < s->prev_len ? klen :
							       s->prev_len);
		if (cmp > 0 || (cmp == 0 && s->prev_len >= klen))
			fail("keys twice or out of order", 0);
	}
	memcpy(s->prev, key, klen);
	s->prev_len = klen;
	s->n++;
	if (vlen > s->bufsz) {
		free(s->buf);
		s->bufsz = vlen;
		s->buf = malloc(vlen);
		if (!s->buf)
			abort();
	}
	rc = pmkv_get(s->kv, key, klen, s->buf, s->bufsz, &got);
	if (rc == PMKV_E_CORRUPT)
		return;
	if (rc)
		fail("get of a key the scan gave", rc);
	if (got != vlen || (vlen && memcmp(s->buf, val, vlen)))
		fail("get and scan disagree on a value", 0);
}

static int scan_cb(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct seen *s = arg;

	visit(s, key, klen, val, vlen);
	return s->n >= KEYS_MAX;
}

static void read_all(struct pmkv *kv)
{
	struct seen s = { .kv = kv };
	struct pmkv_iter *it;
	const void *k, *v;
	size_t klen, vlen;
	int rc;

	rc = pmkv_scan(kv, NULL, 0, NULL, 0, scan_cb, &s);
	if (rc > 1 || (rc < 0 && rc != PMKV_E_CORRUPT && rc != -ENOMEM))
		fail("scan", rc);
	s.prev_len = 0;
	s.n = 0;
	if (pmkv_iter_new(kv, &it))
		goto out;
	for (rc = pmkv_iter_seek(it, NULL, 0); !rc && s.n < KEYS_MAX;
	     rc = pmkv_iter_next(it)) {
		if (pmkv_iter_key(it, &k, &klen) ||
		    pmkv_iter_value(it, &v, &vlen))
			fail("iterator on a key without one", 0);
		visit(&s, k, klen, v, vlen);
	}
	if (rc > 0 || (rc < 0 && rc != -ENOENT && rc != PMKV_E_CORRUPT &&
		       rc != -ENOMEM))
		fail("iterator", rc);
	pmkv_iter_free(&it);
	/* a key nobody wrote, and the shortest and longest keys */
	rc = pmkv_get(kv, "\xff\xfe", 2, NULL, 0, NULL);
	if (rc > 0)
		fail("get of a key never written", rc);
out:
	free(s.buf);
}

static void open_read(const char *path, unsigned flags)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	int rc;

	if (pmkv_config_new(&cfg))
		abort();
	rc = pmkv_config_set_flags(cfg, flags);
	if (rc == -EINVAL && !(flags & PMKV_F_RDONLY))
		rc = pmkv_config_set_flags(cfg, flags | PMKV_F_RDONLY);
	if (rc)
		fail("config flags", rc);
	rc = pmkv_open(path, cfg, &kv);
	pmkv_config_free(&cfg);
	if (rc > 0)
		fail("open returned a positive code", rc);
	if (rc)
		return;
	read_all(kv);
	pmkv_close(&kv);
}

static int write_pool(const char *path, const uint8_t *img, uint64_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint64_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (done < len) {
		n = write(fd, img + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (uint64_t)n;
	}
	return close(fd);
}

static const char *pool_path(void)
{
	static char path[4096];
	const char *dir = getenv("TMPDIR");

	if (!path[0]) {
		if (!access("/dev/shm", W_OK))
			dir = "/dev/shm";
		snprintf(path, sizeof(path), "%s/pmkv-afl-%d.pool",
			 dir && *dir ? dir : "/tmp", (int)getpid());
	}
	return path;
}

/* each open sees the image as given: a read-write one may change it */
static int run_one(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = {
		0, PMKV_F_RDONLY,
#ifdef PMKV_F_SALVAGE
		PMKV_F_SALVAGE,
#endif
	};
	const char *path = pool_path();
	uint8_t *img;
	uint64_t len;
	size_t i;

	if (seedfmt_decode(data, size, &img, &len))
		return 0;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (write_pool(path, img, len)) {
			perror(path);
			abort();
		}
		open_read(path, modes[i]);
	}
	unlink(path);
	free(img);
	return 0;
}

#ifdef PMKV_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);
	return run_one(data, size);
}
#else
static uint8_t *slurp(FILE *in, size_t *n)
{
	size_t cap = 1 << 20, got = 0, r;
	uint8_t *buf = malloc(cap), *nb;

	while (buf && (r = fread(buf + got, 1, cap - got, in)) > 0) {
		got += r;
		if (got == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	*n = got;
	return buf;
}

int main(int argc, char **argv)
{
	FILE *in = argc > 1 ? fopen(argv[1], "rb") : stdin;
	uint8_t *data;
	size_t n;

	if (!in) {
		perror(argv[1]);
		return 99;
	}
	/* flushes, not msync: AFL runs this thousands of times a minute */
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);
	data = slurp(in, &n);
	if (in != stdin)
		fclose(in);
	if (!data)
		return 99;
	run_one(data, n);
	free(data);
	return 0;
}
#endif
