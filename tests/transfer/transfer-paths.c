// SPDX-License-Identifier: BSD-3-Clause
/* transfer-paths.c -- every transfer path, forced by flags or a sandbox */
/*
 * Proves: with the default flags, PMKV_T_NO_FIXED, PMKV_T_NO_URING and
 * PMKV_T_NO_DIRECT, a backup, its verify and its restore each take the
 * path this machine allows for that flag (tx.h: the registered-buffer
 * path where io_uring accepts the pool's pages -- devdax from 6.12,
 * tmpfs files; never fsdax or page-cache files -- else plain io_uring,
 * else synchronous direct I/O, else buffered), report it, bounce no byte
 * unless buffered and every byte when buffered, and the restored pool
 * holds the model byte for byte. In a child whose seccomp filter answers
 * io_uring_setup() with ENOSYS, as a sandbox would, the same default
 * calls fall back to "sync-direct" and still round-trip.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tx.h"

#define NKEYS 200U

struct env {
	const char *tdir;	/* where backups go */
	bool uring, direct, fixed;
};

/* one backup with flags, verified, restored and compared */
static void round_trip(struct tx_pool *pool, const struct tx_model *m,
		       const struct env *env, unsigned flags, bool uring,
		       const char *tag)
{
	struct pmkv_transfer_report rb, rv, rr;
	struct pmkv_transfer_config *tc = tx_tc(flags, NULL);
	enum pmkv_transfer_path want;
	char target[512], dest[512], what[640];
	bool dev, direct;
	int rc, why;

	tx_path(target, sizeof(target), env->tdir, "paths");
	snprintf(what, sizeof(what), "%s backup", tag);
	rc = pmkv_backup(pool->kv, target, tc, &rb, sizeof(rb));
	if (rc)
		T_FAIL("%s: %s: %s", what, pmkv_strerror(rc), pmkv_errormsg());
	tx_check_report(&rb, tx_expect(flags, env->direct, uring, env->fixed),
			what);

	direct = tx_direct_works(target, false);
	snprintf(what, sizeof(what), "%s verify", tag);
	rc = pmkv_verify(target, tc, &rv, sizeof(rv));
	if (rc)
		T_FAIL("%s: %s: %s", what, pmkv_strerror(rc), pmkv_errormsg());
	/* verify's own buffer: registered or not, either io_uring path */
	want = tx_expect(flags, direct, uring, true);
	tx_check_report2(&rv, want, want == PMKV_PATH_URING_FIXED ?
			 PMKV_PATH_URING : want, what);
	T_ASSERT(rv.records > 0);

	tx_restore_dest(dest, sizeof(dest), "paths-restored", pool, &dev);
	snprintf(what, sizeof(what), "%s restore into %s", tag, dest);
	rc = pmkv_restore(target, dest, NULL, tc, &rr, sizeof(rr));
	if (rc)
		T_FAIL("%s: %s: %s", what, pmkv_strerror(rc), pmkv_errormsg());
	tx_check_report(&rr, tx_expect(flags, direct, uring,
				       tx_fixed_works(dest, &why)), what);
	T_ASSERT_EQ(rr.records, rv.records);
	tx_check_pool(dest, m, what);
	tx_dest_release(dest, dev);
	if (unlink(target))
		t_error("unlink %s: %s", target, strerror(errno));
	pmkv_transfer_config_free(&tc);
}

/* ------------------------------------------------------------------ */
/* a sandbox without io_uring */

#if defined(__x86_64__)
#define TX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TX_AUDIT_ARCH
/*
 * io_uring_setup() fails with ENOSYS, everything else is allowed; a
 * foreign architecture's calls are allowed too (the numbers differ)
 */
static int deny_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TX_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(f) / sizeof(f[0])),
		.filter = f,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

/*
 * In a child: no handle crosses fork(), so the parent has closed the
 * pool and the child opens it read-only (a read-only handle can be
 * backed up). Exits 0 when every check passed.
 */
static void sandboxed(struct tx_pool *pool, const struct tx_model *m,
		      const struct env *env)
{
	pid_t pid;
	int st, rc;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	if (pid == 0) {
		rc = deny_io_uring();
		/* a kernel built without CONFIG_SECCOMP_FILTER (tinyconfig) */
		if (rc == -EINVAL) {
			t_info("no seccomp filters on this kernel: the case without io_uring is not run");
			fflush(stdout);
			exit(T_EXIT_PASS);
		}
		if (rc)
			t_error("seccomp filter: %s", strerror(-rc));
		/* the filter works, or the test proves nothing */
		errno = 0;
		if (syscall(__NR_io_uring_setup, 4, NULL) != -1 ||
		    errno != ENOSYS)
			t_error("io_uring_setup under the filter: %s, not ENOSYS",
				strerror(errno));
		if (tx_uring_works())
			t_error("liburing still sets up a ring under the filter");
		pool->kv = t_pool_open(pool->path, PMKV_F_RDONLY);
		round_trip(pool, m, env, 0, false, "seccomp (no io_uring)");
		T_ASSERT_OK(pmkv_close(&pool->kv));
		fflush(stdout);
		exit(T_EXIT_PASS);
	}
	if (waitpid(pid, &st, 0) != pid)
		t_error("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(st))
		T_FAIL("the sandboxed child died of signal %d", WTERMSIG(st));
	if (WEXITSTATUS(st) != T_EXIT_PASS)
		exit(WEXITSTATUS(st));	/* it said why */
}
#endif

int main(void)
{
	static const unsigned cases[] = {
		0, PMKV_T_NO_FIXED, PMKV_T_NO_URING, PMKV_T_NO_DIRECT,
		PMKV_T_NO_URING | PMKV_T_NO_DIRECT,
	};
	unsigned i, kver = tx_kernel_version();
	struct tx_model m;
	struct tx_pool pool;
	struct env env;
	int why;

	tx_pool_create(&pool, "paths", 64 * TX_MiB);
	env.tdir = tx_target_dir();
	env.uring = tx_uring_works();
	env.direct = tx_direct_works(env.tdir, true);
	env.fixed = tx_fixed_works(pool.path, &why);
	t_info("kernel %u.%u; io_uring %s; backups in %s: %s", kver / 1000,
	       kver % 1000, env.uring ? "works" : "refused", env.tdir,
	       env.direct ? "direct I/O" : "no direct I/O");
	if (env.fixed)
		t_info("registered buffers over the pool's pages: accepted: uring-fixed expected");
	else
		t_info("registered buffers over the pool's pages: refused (%s)%s: uring expected",
		       strerror(why), pool.devdax && kver < 6012 ?
		       ", as before 6.12 on devdax" : "");
	if (pool.devdax && kver >= 6012 && !env.fixed)
		t_info("note: a kernel from 6.12 is expected to register devdax pages");

	tx_model_init(&m, NKEYS);
	tx_fill(pool.kv, &m, 0, NKEYS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		round_trip(&pool, &m, &env, cases[i], env.uring,
			   tx_flags_name(cases[i]));

#ifdef TX_AUDIT_ARCH
	tx_pool_close(&pool);
	sandboxed(&pool, &m, &env);
	tx_pool_reopen(&pool);
	tx_model_check(pool.kv, &m, "the pool after the sandboxed backup");
#else
	t_info("no seccomp case: no audit arch for this machine");
#endif
	tx_pool_destroy(&pool);
	tx_model_free(&m);
	return T_EXIT_PASS;
}
