// SPDX-License-Identifier: BSD-3-Clause
/* t.c -- helpers shared by the unit tests: exit codes, temp pools, asserts */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "t.h"

/* ------------------------------------------------------------------ */
/* reporting */

static void vreport(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	exit(T_EXIT_FAIL);
}

void t_fail_assert(const char *file, int line, const char *expr,
		   const char *errmsg)
{
	fflush(stdout);
	fprintf(stderr, "FAIL %s:%d: %s\n  pmkv_errormsg: \"%s\"\n", file,
		line, expr, errmsg);
	exit(T_EXIT_FAIL);
}

void t_fail_eq(const char *file, int line, const char *expr,
	       const char *want_expr, long long got, long long want,
	       const char *errmsg, const char *got_str, const char *want_str)
{
	/* a positive value is an errno or a count, not a pmkv code */
	if (got > 0 && got < 4096)
		got_str = strerror((int)got);
	else if (got > 0)
		got_str = "a count";
	if (want > 0 && want < 4096)
		want_str = strerror((int)want);
	else if (want > 0)
		want_str = "a count";
	fflush(stdout);
	fprintf(stderr,
		"FAIL %s:%d: %s == %s\n"
		"  got      %lld (%s)\n"
		"  expected %lld (%s)\n"
		"  pmkv_errormsg: \"%s\"\n",
		file, line, expr, want_expr, got, got_str, want, want_str,
		errmsg);
	exit(T_EXIT_FAIL);
}

static __thread char errmsg_buf[2048];

const char *t_errmsg_copy(const char *msg)
{
	snprintf(errmsg_buf, sizeof(errmsg_buf), "%s", msg ? msg : "(NULL)");
	return errmsg_buf;
}

void t_check_err(const char *file, int line, const char *expr, int got,
		 int want, const char *errmsg, const char *got_str,
		 const char *want_str, const char *const *needles)
{
	const char *const *n;

	if (got != want)
		t_fail_eq(file, line, expr, want_str, got, want, errmsg,
			  got_str, want_str);
	if (errmsg[0] == '\0' || strcmp(errmsg, "(NULL)") == 0)
		t_fail(file, line, "%s returned %d (%s) but pmkv_errormsg() "
		       "is empty", expr, got, got_str);
	if (!needles[0])
		return;
	for (n = needles; *n; n++)
		if (strcasestr(errmsg, *n))
			return;
	fflush(stdout);
	fprintf(stderr, "FAIL %s:%d: %s returned %d (%s) as expected, but "
		"pmkv_errormsg() \"%s\" names none of:", file, line, expr,
		got, got_str, errmsg);
	for (n = needles; *n; n++)
		fprintf(stderr, " \"%s\"", *n);
	fputc('\n', stderr);
	exit(T_EXIT_FAIL);
}

void t_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

void t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("SKIP: ", fmt, ap);
	va_end(ap);
	exit(T_EXIT_SKIP);
}

void t_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("ERROR (harness): ", fmt, ap);
	va_end(ap);
	exit(T_EXIT_ERROR);
}

/* ------------------------------------------------------------------ */
/* temporary pools */

#define MAX_TMP 64
static char tmp_paths[MAX_TMP][512];
static int ntmp;
static pid_t tmp_owner;

/*
 * Forked children exit through the same atexit handlers; only the process
 * that asked for a path removes it, or a child would pull the parent's
 * pool away from under it.
 */
static void tmp_cleanup(void)
{
	const char *keep = getenv("T_KEEP");
	int i;

	if (getpid() != tmp_owner)
		return;
	for (i = 0; i < ntmp; i++) {
		if (keep && strcmp(keep, "1") == 0)
			t_info("kept %s", tmp_paths[i]);
		else
			unlink(tmp_paths[i]);
	}
	ntmp = 0;
}

/*
 * A test killed by a signal runs no atexit handler, and a pool on tmpfs is
 * memory: remove the files, then die of the same signal. Only where the
 * signal has no handler yet, so a sanitizer's own handler stays in charge.
 */
static void tmp_on_signal(int sig)
{
	int i;

	if (getpid() == tmp_owner && !getenv("T_KEEP"))
		for (i = 0; i < ntmp; i++)
			unlink(tmp_paths[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tmp_catch_signals(void)
{
	static const int sigs[] = {
		SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTERM, SIGINT,
	};
	struct sigaction old, sa;
	unsigned i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tmp_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO))
			sigaction(sigs[i], &sa, NULL);
}

/*
 * Remove what earlier runs left behind when they died without cleaning up
 * (a sanitizer's _exit, SIGKILL by a timeout): files named by
 * t_pool_tmp() whose process no longer exists.
 */
static void tmp_reap_stale(const char *dir)
{
	char path[1024], *end;
	const char *p;
	struct dirent *d;
	int dashes;
	long pid;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		char name[256];

		if (strncmp(d->d_name, "pmkv-t-", 7))
			continue;
		/*
		 * pmkv-t-<name>-<pid>-<counter>-<random>, and what the library
		 * makes of it: <that>.pmkv-creating, <that>.pmkv-partial, whose
		 * own dash must not be taken for one of ours (it made a live
		 * test's pool in creation look like pid 12's, and removed it)
		 */
		snprintf(name, sizeof(name), "%s", d->d_name);
		name[strcspn(name, ".")] = '\0';
		dashes = 0;
		for (p = name + strlen(name); p > name + 7; p--)
			if (p[-1] == '-' && ++dashes == 3)
				break;
		if (dashes != 3)
			continue;
		pid = strtol(p, &end, 10);
		if (pid <= 0 || *end != '-')
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
}

const char *t_tmp_dir(void)
{
	struct stat st;
	const char *d;

	/* the kernel suite's guest points this at an fsdax mount */
	d = getenv("PMKV_TEST_DIR");
	if (d && *d)
		return d;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	d = getenv("TMPDIR");
	if (d && *d)
		return d;
	return "/tmp";
}

static char *tmp_in(char *buf, size_t n, const char *dir, const char *name)
{
	static unsigned counter;
	struct stat st;
	int len, tries;

	for (tries = 0; tries < 1000; tries++) {
		len = snprintf(buf, n, "%s/pmkv-t-%s-%d-%u-%08llx",
			       dir, name, (int)getpid(), counter++,
			       (unsigned long long)(t_rand() & 0xffffffff));
		if (len < 0 || (size_t)len >= n)
			t_error("t_pool_tmp: buffer of %zu bytes too small", n);
		if (lstat(buf, &st) != 0 && errno == ENOENT)
			break;
	}
	if (tries == 1000)
		t_error("t_pool_tmp: no free name in %s", dir);

	if (!tmp_owner) {
		tmp_owner = getpid();
		tmp_reap_stale(t_tmp_dir());
		atexit(tmp_cleanup);
		tmp_catch_signals();
	}
	if (ntmp < MAX_TMP && tmp_owner == getpid() &&
	    strlen(buf) < sizeof(tmp_paths[0]))
		snprintf(tmp_paths[ntmp++], sizeof(tmp_paths[0]), "%s", buf);
	return buf;
}

char *t_pool_tmp(char *buf, size_t n, const char *name)
{
	return tmp_in(buf, n, t_tmp_dir(), name);
}

char *t_backup_tmp(char *buf, size_t n, const char *name)
{
	const char *d = getenv("PMKV_TEST_BACKUP_DIR");
	static bool reaped;

	d = d && *d ? d : "/var/tmp";
	/* what a test killed before its cleanup left there, as in t_tmp_dir() */
	if (!reaped) {
		reaped = true;
		tmp_reap_stale(d);
	}
	return tmp_in(buf, n, d, name);
}

void t_need_madvise(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		t_error("mmap: %s", strerror(errno));
	err = madvise(p, (size_t)pg, MADV_DONTNEED) ? errno : 0;
	munmap(p, (size_t)pg);
	if (err == ENOSYS)
		t_skip("no madvise() on this kernel (CONFIG_ADVISE_SYSCALLS): index memory is never given back");
}

uint64_t t_super_off(const char *path)
{
	uint64_t off;

	/* libpmemobj's root object offset, in its pool header */
	t_pread(path, &off, sizeof(off), 6144);
	return off;
}

void t_pool_forget_checkpoint(const char *path)
{
	/* struct pmkv_super's ckpt_gen: layout.h fixes it at 1064 */
	const uint64_t zero = 0;

	t_pwrite(path, &zero, sizeof(zero), t_super_off(path) + 1064);
}

bool t_dir_direct(const char *dir)
{
	char path[4096];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/pmkv-t-direct-%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		t_error("%s: %s", path, strerror(errno));
	ok = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT) == 0;
	close(fd);
	unlink(path);
	return ok;
}

struct pmkv_config *t_cfg(uint64_t size, unsigned flags)
{
	struct pmkv_config *cfg = NULL;
	int ret;

	ret = pmkv_config_new(&cfg);
	if (ret)
		t_fail(__FILE__, __LINE__, "pmkv_config_new: %d (%s)", ret,
		       pmkv_strerror(ret));
	ret = pmkv_config_set_size(cfg, size);
	if (ret)
		t_fail(__FILE__, __LINE__, "pmkv_config_set_size(%llu): %d "
		       "(%s)", (unsigned long long)size, ret,
		       pmkv_strerror(ret));
	ret = pmkv_config_set_flags(cfg, flags);
	if (ret)
		t_fail(__FILE__, __LINE__, "pmkv_config_set_flags(0x%x): %d "
		       "(%s)", flags, ret, pmkv_strerror(ret));
	return cfg;
}

static struct pmkv *open_or_fail(const char *path, uint64_t size,
				 unsigned flags)
{
	struct pmkv_config *cfg = t_cfg(size, flags);
	struct pmkv *kv = NULL;
	int ret;

	ret = pmkv_open(path, cfg, &kv);
	if (ret) {
		const char *msg = t_errmsg_copy(pmkv_errormsg());

		t_fail(__FILE__, __LINE__, "opening %s (size %llu, flags "
		       "0x%x): %d (%s): %s", path, (unsigned long long)size,
		       flags, ret, pmkv_strerror(ret), msg);
	}
	if (!kv)
		t_fail(__FILE__, __LINE__, "pmkv_open(%s) returned 0 but no "
		       "handle", path);
	pmkv_config_free(&cfg);
	return kv;
}

struct pmkv *t_pool_create(const char *path, uint64_t size)
{
	return open_or_fail(path, size, PMKV_F_CREATE | PMKV_F_EXCL);
}

struct pmkv *t_pool_open(const char *path, unsigned flags)
{
	return open_or_fail(path, 0, flags);
}

/* the records a handle recovered at open */
static uint64_t recovered(struct pmkv *kv)
{
	struct pmkv_stats st;

	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	return st.recovered_records;
}

unsigned t_open_each_refusal(const char *path, unsigned normal,
			     void (*arm)(unsigned k),
			     void (*check)(struct pmkv *kv), uint64_t records)
{
	unsigned failed = 0;
	struct pmkv *kv;
	int rc;

	for (unsigned k = 1; k <= normal; k++) {
		kv = NULL;
		/* recovery's allocations, not the close's checkpoint's */
		t_pool_forget_checkpoint(path);
		arm(k);
		rc = pmkv_open(path, NULL, &kv);
		arm(0);
		if (rc == 0) {
			check(kv);
			T_ASSERT_OK(pmkv_close(&kv));
			continue;
		}
		failed++;
		T_ASSERT(kv == NULL);
		if (rc != -ENOMEM || !strstr(pmkv_errormsg(), "memory"))
			T_FAIL("open with allocation %u on refused: %s (%s)", k,
			       pmkv_strerror(rc), pmkv_errormsg());
		/*
		 * Nothing lost. (Not the file to the byte: PMDK counts every
		 * open in the pool, failed ones too.)
		 */
		t_pool_forget_checkpoint(path);
		kv = t_pool_open(path, 0);
		check(kv);
		T_ASSERT_EQ(recovered(kv), records);
		T_ASSERT_OK(pmkv_close(&kv));
	}
	return failed;
}

/* ------------------------------------------------------------------ */
/* files */

void t_write_file(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			t_error("write %s: %s", path, strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	if (close(fd))
		t_error("close %s: %s", path, strerror(errno));
}

void t_copy_file(const char *src, const char *dst)
{
	uint64_t size = t_file_size(src);
	void *buf;

	buf = malloc(size ? (size_t)size : 1);
	if (!buf)
		t_error("copy %s: no memory for %llu bytes", src,
			(unsigned long long)size);
	t_pread(src, buf, (size_t)size, 0);
	t_write_file(dst, buf, (size_t)size);
	free(buf);
}

uint64_t t_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		t_error("stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

void t_pread(const char *path, void *buf, size_t len, uint64_t off)
{
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	r = pread(fd, buf, len, (off_t)off);
	if (r < 0 || (size_t)r != len)
		t_error("pread %s: %zu bytes at %llu: %s", path, len,
			(unsigned long long)off,
			r < 0 ? strerror(errno) : "short read");
	close(fd);
}

void t_pwrite(const char *path, const void *buf, size_t len, uint64_t off)
{
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	w = pwrite(fd, buf, len, (off_t)off);
	if (w < 0 || (size_t)w != len)
		t_error("pwrite %s: %zu bytes at %llu: %s", path, len,
			(unsigned long long)off,
			w < 0 ? strerror(errno) : "short write");
	if (close(fd))
		t_error("close %s: %s", path, strerror(errno));
}

/*
 * SHA-256 (FIPS 180-4). A test dependency on a crypto library for one
 * hash is not worth it; this only has to name a file's contents.
 */
struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t used;
	uint64_t bytes;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(struct sha256 *c, const uint8_t *p)
{
	uint32_t w[64], a, b, cc, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       (ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^
			(w[i - 2] >> 10));
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
		     ((a & b) ^ (a & cc) ^ (b & cc));
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->used = 0;
	c->bytes = 0;
}

static void sha_update(struct sha256 *c, const uint8_t *p, size_t len)
{
	size_t n;

	c->bytes += len;
	while (len) {
		n = 64 - c->used;
		if (n > len)
			n = len;
		memcpy(c->block + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == 64) {
			sha_block(c, c->block);
			c->used = 0;
		}
	}
}

static void sha_final(struct sha256 *c, uint8_t out[32])
{
	uint64_t bits = c->bytes * 8;
	uint8_t pad = 0x80, zero = 0, len[8];
	int i;

	sha_update(c, &pad, 1);
	while (c->used != 56)
		sha_update(c, &zero, 1);
	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(c, len, 8);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/*
 * read_file -- read a whole file; hash it when sha is set, keep its bytes
 * when keep is set (NULL in *keep when the file is larger than
 * T_SNAP_MAX_BYTES)
 */
static int read_file(const char *path, uint8_t *sha, uint64_t *size,
		     uint8_t **keep)
{
	static uint8_t chunk[1 << 16];
	uint8_t *bytes = NULL;
	struct sha256 c;
	struct stat st;
	uint64_t off = 0;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (keep && (uint64_t)st.st_size <= T_SNAP_MAX_BYTES) {
		bytes = malloc(st.st_size ? (size_t)st.st_size : 1);
		if (!bytes) {
			close(fd);
			return -ENOMEM;
		}
	}
	if (sha)
		sha_init(&c);
	for (;;) {
		if (bytes && off < (uint64_t)st.st_size)
			r = read(fd, bytes + off, (size_t)st.st_size - off);
		else
			r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			free(bytes);
			close(fd);
			return err;
		}
		if (r == 0)
			break;
		if (bytes && off >= (uint64_t)st.st_size) {
			/* the file grew while it was read: hash only */
			free(bytes);
			bytes = NULL;
		}
		if (sha)
			sha_update(&c, bytes ? bytes + off : chunk, (size_t)r);
		off += (uint64_t)r;
	}
	close(fd);
	if (sha)
		sha_final(&c, sha);
	if (bytes && off != (uint64_t)st.st_size) {
		free(bytes);
		bytes = NULL;
	}
	*size = off;
	if (keep)
		*keep = bytes;
	else
		free(bytes);
	return 0;
}

int t_file_sha(const char *path, uint8_t sha[32])
{
	uint64_t size;

	return read_file(path, sha, &size, NULL);
}

/*
 * A snapshot keeps the bytes when it can and compares them directly; the
 * SHA-256 is for files too large to keep.
 */
void t_snap_take(struct t_snap *s, const char *path)
{
	int ret;

	snprintf(s->path, sizeof(s->path), "%s", path);
	s->bytes = NULL;
	ret = read_file(path, NULL, &s->size, &s->bytes);
	if (!ret && !s->bytes)
		ret = read_file(path, s->sha, &s->size, NULL);
	else
		memset(s->sha, 0, sizeof(s->sha));
	if (ret)
		t_error("snapshot of %s: %s", path, strerror(-ret));
}

void t_snap_free(struct t_snap *s)
{
	free(s->bytes);
	s->bytes = NULL;
}

/* compare a file with kept bytes, a chunk at a time; -1: equal */
static int64_t first_difference(const char *path, const uint8_t *want,
				uint64_t want_size, uint64_t *size)
{
	static uint8_t chunk[1 << 16];
	int64_t diff = -1;
	uint64_t off = 0, i;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -2;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -2;
		}
		if (r == 0)
			break;
		if (diff < 0) {
			for (i = 0; i < (uint64_t)r; i++) {
				if (off + i >= want_size ||
				    chunk[i] != want[off + i]) {
					diff = (int64_t)(off + i);
					break;
				}
			}
		}
		off += (uint64_t)r;
	}
	close(fd);
	*size = off;
	return diff;
}

bool t_file_equal(const struct t_snap *s)
{
	uint8_t sha[32], now;
	uint64_t size = 0;
	int64_t diff;
	int ret;

	if (!s->bytes) {
		ret = read_file(s->path, sha, &size, NULL);
		if (ret) {
			t_info("%s: cannot read it back: %s", s->path,
			       strerror(-ret));
			return false;
		}
		if (size == s->size && memcmp(sha, s->sha, sizeof(sha)) == 0)
			return true;
		t_info("%s: contents changed (size %llu, was %llu; SHA-256 "
		       "differs)", s->path, (unsigned long long)size,
		       (unsigned long long)s->size);
		return false;
	}
	diff = first_difference(s->path, s->bytes, s->size, &size);
	if (diff == -2) {
		t_info("%s: cannot read it back: %s", s->path,
		       strerror(errno));
		return false;
	}
	if (diff >= 0 && (uint64_t)diff < s->size) {
		t_pread(s->path, &now, 1, (uint64_t)diff);
		t_info("%s: first difference at offset %lld (0x%llx): 0x%02x, "
		       "was 0x%02x", s->path, (long long)diff,
		       (unsigned long long)diff, now, s->bytes[diff]);
		return false;
	}
	if (size != s->size) {
		t_info("%s: size %llu, was %llu", s->path,
		       (unsigned long long)size, (unsigned long long)s->size);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* devices */

const char *t_require_devdax(void)
{
	static char path[256];
	glob_t g;

	if (glob("/dev/dax*", 0, NULL, &g) != 0 || g.gl_pathc == 0)
		t_skip("no /dev/dax* device on this machine");
	snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
	globfree(&g);
	return path;
}

/* ------------------------------------------------------------------ */
/* randomness */

static uint64_t rng_state;

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t t_seed(void)
{
	static uint64_t seed;
	static bool done;
	struct timespec ts;
	const char *e;

	if (done)
		return seed;
	e = getenv("T_SEED");
	if (e && *e) {
		seed = strtoull(e, NULL, 0);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ULL ^
		       (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	}
	done = true;
	rng_state = seed;
	t_info("seed %llu (rerun with T_SEED=%llu)", (unsigned long long)seed,
	       (unsigned long long)seed);
	return seed;
}

uint64_t t_rand(void)
{
	t_seed();
	return splitmix64(&rng_state);
}

uint64_t t_rand_below(uint64_t n)
{
	return n ? t_rand() % n : 0;
}

void t_rand_fill(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t r;
	size_t n;

	while (len) {
		r = t_rand();
		n = len < 8 ? len : 8;
		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

uint64_t t_rng_next(struct t_rng *r)
{
	return splitmix64(&r->s);
}

void t_pipe_put(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		t_error("pipe write: %s", strerror(errno));
}

char t_pipe_get(int fd)
{
	ssize_t r;
	char c;

	r = read(fd, &c, 1);
	if (r < 0)
		t_error("pipe read: %s", strerror(errno));
	return r == 1 ? c : 0;
}

int t_count_cb(const void *key, size_t klen, const void *val, size_t vlen,
	       void *arg)
{
	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	(*(unsigned *)arg)++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* a small file system to fill */

static char mnt[64];
static pid_t mounter;


static void unmount(void)
{
	if (getpid() != mounter || !mnt[0])
		return;
	if (umount2(mnt, MNT_DETACH))
		fprintf(stderr, "# umount %s: %s\n", mnt, strerror(errno));
	rmdir(mnt);
	mnt[0] = '\0';
}

/* a tmpfs of size bytes at mnt, replacing any mounted there before */
const char *t_mount_tmpfs(uint64_t size)
{
	char opt[64];

	if (!mnt[0]) {
		if (geteuid() != 0)
			t_skip("not root: cannot mount a small tmpfs to fill");
		if (unshare(CLONE_NEWNS))
			t_skip("unshare(CLONE_NEWNS): %s", strerror(errno));
		/*
		 * keep our mounts out of the namespace we came from; the
		 * kernel ignores source and type here, valgrind wants them
		 */
		if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL))
			t_skip("making / private: %s", strerror(errno));
		snprintf(mnt, sizeof(mnt), "/tmp/pmkv-t-fullfs-XXXXXX");
		if (!mkdtemp(mnt))
			t_error("mkdtemp: %s", strerror(errno));
		mounter = getpid();
		atexit(unmount);
	} else if (umount2(mnt, MNT_DETACH)) {
		t_error("umount %s: %s", mnt, strerror(errno));
	}
	snprintf(opt, sizeof(opt), "size=%llu", (unsigned long long)size);
	if (mount("tmpfs", mnt, "tmpfs", 0, opt))
		t_skip("mount tmpfs %s at %s: %s", opt, mnt, strerror(errno));
	return mnt;
}

int t_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

void t_key4(unsigned n, uint8_t k[T_KEY4_LEN])
{
	unsigned g = n >> 2;

	k[0] = (uint8_t)(g >> 24);
	k[1] = (uint8_t)(g >> 16);
	k[2] = (uint8_t)(g >> 8);
	k[3] = (uint8_t)g;
	memcpy(k + 4, "pmkv", 4);
	k[8] = (uint8_t)(n & 3);
}

unsigned t_key4_num(const uint8_t *k, size_t klen)
{
	if (klen != T_KEY4_LEN || memcmp(k + 4, "pmkv", 4) || k[8] > 3)
		T_FAIL("a key this test did not write (%zu bytes)", klen);
	return (unsigned)k[0] << 26 | (unsigned)k[1] << 18 |
	       (unsigned)k[2] << 10 | (unsigned)k[3] << 2 | k[8];
}
