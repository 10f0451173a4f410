/* SPDX-License-Identifier: BSD-3-Clause */
/* t.h -- helpers shared by the unit tests: exit codes, temp pools, asserts */
#ifndef PMKV_T_H
#define PMKV_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libpmkv.h>

/* meson's exit codes: 77 is a skip, 99 a broken harness */
#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77
#define T_EXIT_ERROR 99

/*
 * The asserts print where they are, the expression, the values, and what
 * libpmkv says about the code and about the calling thread's last failure,
 * then exit with T_EXIT_FAIL. pmkv_errormsg() is copied before anything
 * else is called, since it is only valid until the next pmkv call.
 */
void t_fail_assert(const char *file, int line, const char *expr,
		   const char *errmsg) __attribute__((noreturn));
void t_fail_eq(const char *file, int line, const char *expr,
	       const char *want_expr, long long got, long long want,
	       const char *errmsg, const char *got_str, const char *want_str)
	__attribute__((noreturn));
void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* a copy of pmkv_errormsg() that later pmkv calls cannot change */
const char *t_errmsg_copy(const char *msg);

#define T_ASSERT(cond)							\
	do {								\
		if (!(cond))						\
			t_fail_assert(__FILE__, __LINE__, #cond,	\
				      t_errmsg_copy(pmkv_errormsg()));	\
	} while (0)

#define T_ASSERT_EQ(expr, want)						\
	do {								\
		long long t_got_ = (long long)(expr);			\
		long long t_want_ = (long long)(want);			\
		if (t_got_ != t_want_) {				\
			const char *t_msg_ =				\
				t_errmsg_copy(pmkv_errormsg());		\
			t_fail_eq(__FILE__, __LINE__, #expr, #want,	\
				  t_got_, t_want_, t_msg_,		\
				  pmkv_strerror((int)t_got_),		\
				  pmkv_strerror((int)t_want_));		\
		}							\
	} while (0)

#define T_ASSERT_OK(expr) T_ASSERT_EQ(expr, 0)

#define T_ASSERT_MEM_EQ(got, want, n)					\
	do {								\
		size_t t_n_ = (n);					\
		if (memcmp((got), (want), t_n_) != 0)			\
			t_fail(__FILE__, __LINE__,			\
			       "%s and %s differ in their first %zu bytes", \
			       #got, #want, t_n_);			\
	} while (0)

#define T_FAIL(...) t_fail(__FILE__, __LINE__, __VA_ARGS__)

/*
 * T_EXPECT_ERR -- a call that must fail with exactly want
 *
 * Also checks that pmkv_errormsg() is not empty and names at least one of
 * the given strings (the path, or words of the cause; case-insensitive).
 * Evaluates to nothing; exits on a mismatch.
 */
void t_check_err(const char *file, int line, const char *expr, int got,
		 int want, const char *errmsg, const char *got_str,
		 const char *want_str, const char *const *needles);

#define T_EXPECT_ERR(expr, want, ...)					\
	do {								\
		int t_got_ = (expr);					\
		const char *t_msg_ = t_errmsg_copy(pmkv_errormsg());	\
		t_check_err(__FILE__, __LINE__, #expr, t_got_, (want),	\
			    t_msg_, pmkv_strerror(t_got_),		\
			    pmkv_strerror(want),			\
			    (const char *const[]){ __VA_ARGS__, NULL }); \
	} while (0)

/* a line of diagnostics, "# "-prefixed */
void t_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* print why and exit with T_EXIT_SKIP */
void t_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* print why and exit with T_EXIT_ERROR: the harness, not pmkv, broke */
void t_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* ------------------------------------------------------------------ */
/* temporary pools */

/*
 * t_pool_tmp -- a fresh path that does not exist yet
 *
 * In $PMKV_TEST_DIR when set; else on /dev/shm (tmpfs), or in $TMPDIR
 * (else /tmp) when /dev/shm is missing. The file, if the test creates it, is removed at exit by the
 * process that asked for the path (not by forked children); set T_KEEP=1
 * to keep it. Returns buf. Exits with T_EXIT_ERROR if n is too small.
 */
char *t_pool_tmp(char *buf, size_t n, const char *name);

/* the directory t_pool_tmp() uses */
const char *t_tmp_dir(void);

/*
 * t_backup_tmp -- a fresh path for a backup, removed at exit like a pool's
 *
 * In $PMKV_TEST_BACKUP_DIR when set, else /var/tmp: backups move by
 * direct I/O, which tmpfs refuses.
 */
char *t_backup_tmp(char *buf, size_t n, const char *name);

/*
 * t_mount_tmpfs -- a tmpfs of size bytes, to fill; its directory
 *
 * Mounted in a mount namespace of the test's own, and unmounted at exit.
 * A second call replaces the first mount. Skips the test without root or
 * where mounting is refused.
 */
const char *t_mount_tmpfs(uint64_t size);

/* skip the test on a kernel without madvise() (tinyconfig's) */
void t_need_madvise(void);

/* the file offset of a pool's superblock (libpmemobj's root object) */
uint64_t t_super_off(const char *path);
/*
 * Make the next open of the closed pool at path read its whole log, as
 * after a crash: the superblock names no index checkpoint any more
 */
void t_pool_forget_checkpoint(const char *path);

/* whether files in dir take O_DIRECT (tmpfs does not) */
bool t_dir_direct(const char *dir);

/* a new pool of the given size (0: PMKV_POOL_DEFAULT); exits on failure */
struct pmkv *t_pool_create(const char *path, uint64_t size);

/* open an existing pool with flags (0 or PMKV_F_RDONLY); exits on failure */
struct pmkv *t_pool_open(const char *path, unsigned flags);

/*
 * t_open_each_refusal -- opens that run out of memory fail cleanly
 *
 * For k = 1 .. normal, arm(k) makes the k-th allocation of the kind the
 * caller counts, and every later one, fail; arm(0) refuses nothing.
 * pmkv_open(path) must then succeed and pass check(), or fail with
 * -ENOMEM, a message that says "memory" and no handle, after which an
 * open with nothing refused recovers `records` records and passes
 * check(). Returns the number of opens that failed.
 */
unsigned t_open_each_refusal(const char *path, unsigned normal,
			     void (*arm)(unsigned k),
			     void (*check)(struct pmkv *kv), uint64_t records);

/*
 * t_cfg -- a config with a size and flags; exits on failure
 *
 * Free it with pmkv_config_free() after the checks on pmkv_open(): that is
 * a pmkv call, and would end the life of pmkv_errormsg()'s message.
 */
struct pmkv_config *t_cfg(uint64_t size, unsigned flags);

/* ------------------------------------------------------------------ */
/* files */

/* write len bytes to a new file (mode 0600); exits with T_EXIT_ERROR */
void t_write_file(const char *path, const void *buf, size_t len);

/* copy a file to a new path (mode 0600); exits with T_EXIT_ERROR */
void t_copy_file(const char *src, const char *dst);

/* the size of a file, or exits with T_EXIT_ERROR */
uint64_t t_file_size(const char *path);

/* read len bytes at off from a file, or write them; exit on error */
void t_pread(const char *path, void *buf, size_t len, uint64_t off);
void t_pwrite(const char *path, const void *buf, size_t len, uint64_t off);

/* SHA-256 of a file's contents; returns 0 or -errno */
int t_file_sha(const char *path, uint8_t sha[32]);

/*
 * A snapshot of a file: its size and its bytes (so a difference is
 * reported at its first offset), or for a file over T_SNAP_MAX_BYTES its
 * SHA-256.
 */
#define T_SNAP_MAX_BYTES (64ULL << 20)
struct t_snap {
	char path[4096];
	uint64_t size;
	uint8_t sha[32];	/* only when bytes is NULL */
	uint8_t *bytes;		/* NULL when the file is larger */
};

/* take a snapshot; exits with T_EXIT_ERROR when the file cannot be read */
void t_snap_take(struct t_snap *s, const char *path);

/* free the bytes of a snapshot */
void t_snap_free(struct t_snap *s);

/*
 * t_file_equal -- whether the file is byte-for-byte what the snapshot saw
 *
 * On a difference, prints the first differing offset (or the sizes) as a
 * diagnostic and returns false.
 */
bool t_file_equal(const struct t_snap *s);

#define T_ASSERT_UNCHANGED(snap)					\
	do {								\
		if (!t_file_equal(snap))				\
			t_fail(__FILE__, __LINE__,			\
			       "%s changed although nothing may be written", \
			       (snap)->path);				\
	} while (0)

/* ------------------------------------------------------------------ */
/* devices and privileges */

/*
 * t_require_devdax -- the path of a /dev/dax* device, or a skip
 *
 * Exits with T_EXIT_SKIP and the reason when none exists.
 */
const char *t_require_devdax(void);

/* ------------------------------------------------------------------ */
/* randomness: reproducible, seed from $T_SEED or the clock, printed once */

/* one byte to a pipe; fails the test (t_error) if it cannot */
void t_pipe_put(int fd, char c);
/* one byte from a pipe, or 0 when the other side is gone (it exited) */
char t_pipe_get(int fd);

/* a pmkv_scan() callback that counts records into the unsigned at arg */
int t_count_cb(const void *key, size_t klen, const void *val, size_t vlen,
	       void *arg);

/* memcmp order, a shorter key first on a common prefix: <0, 0, >0 */
int t_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

/*
 * Keys of T_KEY4_LEN bytes in groups of 4 that share their first 8, so
 * that leaves and separators order keys of one 8-byte prefix: key n is
 * the group (n / 4, big-endian), "pmkv", then n % 4. t_key4_num() gives
 * n back, and fails the test on a key not made so.
 */
#define T_KEY4_LEN 9
void t_key4(unsigned n, uint8_t k[T_KEY4_LEN]);
unsigned t_key4_num(const uint8_t *k, size_t klen);

uint64_t t_seed(void);
uint64_t t_rand(void);
/* a value in [0, n) */
uint64_t t_rand_below(uint64_t n);
void t_rand_fill(void *buf, size_t len);

/* a small independent generator for threads */
struct t_rng {
	uint64_t s;
};
uint64_t t_rng_next(struct t_rng *r);

#endif /* PMKV_T_H */
