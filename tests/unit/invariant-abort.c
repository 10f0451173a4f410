// SPDX-License-Identifier: BSD-3-Clause
/* invariant-abort.c -- a broken invariant stops the library, loudly */
/*
 * PMKV_ASSERT (lib/invariant.h) is on in debug and test builds and
 * compiled out of release ones. Each case runs in a child, which must:
 *   - with asserts on, die of SIGABRT after saying "invariant failed",
 *     where, and the condition, before it changes anything;
 *   - with asserts off, not evaluate the condition at all.
 * The cases are the library's own asserts, reached on purpose:
 *   - arena_free() of a size no arena class has (the arena's "cannot
 *     happen": before the assert it was silently ignored);
 *   - index_unlock() of a leaf that is not locked (an even version);
 *   - commit_append() of more than commit_begin() reserved (a
 *     reservation must never pass the segment's end): the pool is
 *     reopened afterwards and holds what it held before;
 * and PMKV_ASSERT itself with a side effect, to show it is not evaluated
 * when compiled out.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "commit.h"

static int evaluated;

static bool count_and_fail(void)
{
	evaluated++;
	return false;
}

static void case_macro(void *arg)
{
	(void)arg;
	PMKV_ASSERT(count_and_fail());
	/* reached only when compiled out, which must not evaluate it */
	_exit(evaluated == 0 ? 0 : 3);
}

static void case_arena(void *arg)
{
	struct arena a;
	void *p;

	(void)arg;
	arena_init(&a);
	p = arena_alloc(&a, 256);
	if (!p)
		_exit(4);
	/* a size that no node was allocated with */
	arena_free(&a, p, 1024);
	arena_destroy(&a);
	_exit(0);
}

static void case_unlock(void *arg)
{
	uint64_t leaf[128] = { 0 };	/* a version word of 0: unlocked */
	struct ilock lk = { .leaf = leaf };

	(void)arg;
	index_unlock(&lk);
	_exit(0);
}

static void case_commit(void *arg)
{
	struct pmkv *kv = arg;
	uint8_t val[200] = { 0 };
	struct commit c;
	uint64_t size;

	if (commit_begin(kv, &c, record_size(3, 1), ROOM_NEW))
		_exit(4);
	/* a record larger than the room taken */
	commit_append(&c, "big", 3, val, sizeof(val), 0, 0, &size);
	_exit(0);
}

/* run fn(arg) in a child; its wait status, and what it wrote to stderr */
static int run_child(void (*fn)(void *), void *arg, char *out, size_t n)
{
	struct rlimit no_core = { 0, 0 };
	int fds[2], status;
	ssize_t got, len = 0;
	pid_t pid;

	T_ASSERT(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn(arg);
		_exit(5);
	}
	close(fds[1]);
	while (len + 1 < (ssize_t)n &&
	       (got = read(fds[0], out + len, n - 1 - (size_t)len)) > 0)
		len += got;
	out[len] = '\0';
	close(fds[0]);
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	return status;
}

static void expect(const char *name, void (*fn)(void *), void *arg,
		   const char *expr)
{
	char out[4096];
	int status = run_child(fn, arg, out, sizeof(out));

	if (!PMKV_ASSERTS) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			T_FAIL("%s: asserts are compiled out, yet the child ended with status %#x: %s",
			       name, status, out);
		t_info("%s: compiled out, not evaluated", name);
		return;
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		T_FAIL("%s: want SIGABRT, got status %#x; stderr: %s", name,
		       status, out);
	if (!strstr(out, "invariant failed at ") || !strstr(out, expr))
		T_FAIL("%s: stderr does not name the invariant '%s': %s",
		       name, expr, out);
	t_info("%s: aborted with: %s", name, out);
}

int main(void)
{
	char path[512];
	struct pmkv *kv;
	size_t vlen;
	char v[8];

	t_info("asserts are %s in this build", PMKV_ASSERTS ? "on" : "off");
	expect("macro", case_macro, NULL, "count_and_fail()");
	expect("arena", case_arena, NULL, "cl >= 0");
	expect("unlock", case_unlock, NULL, "v & 1");

	t_pool_tmp(path, sizeof(path), "invariant-abort");
	kv = t_pool_create(path, 64 << 20);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "before", 6));
	if (PMKV_ASSERTS)
		expect("commit", case_commit, kv, "c->off <= c->end");
	pmkv_close(&kv);
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get(kv, "k", 1, v, sizeof(v), &vlen));
	T_ASSERT_EQ(vlen, 6);
	T_ASSERT_MEM_EQ(v, "before", 6);
	T_ASSERT_EQ(pmkv_exists(kv, "big", 3), -ENOENT);
	pmkv_close(&kv);
	unlink(path);
	return T_EXIT_PASS;
}
