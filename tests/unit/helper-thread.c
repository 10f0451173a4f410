// SPDX-License-Identifier: BSD-3-Clause
/* helper-thread.c -- a writable handle runs one helper thread, unless told not to */
/*
 * Proves, counting the entries of /proc/self/task around each open:
 *   - a read-write handle adds exactly one thread, and pmkv_close() joins
 *     it (the count is back where it was);
 *   - PMKV_F_NO_HELPER, alone or with PMKV_F_CREATE, and PMKV_F_RDONLY add
 *     none;
 *   - without the helper, puts into fresh segments and index memory still
 *     work: 20000 keys (more than one 1 MiB segment) are read back before
 *     and after a reopen.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "t.h"

#define NKEYS 20000U

static unsigned threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		t_error("opendir /proc/self/task: %s", strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * The thread count once it is want, or what it is after a bounded number
 * of yields: threads that were joined leave /proc/self/task a moment
 * after pthread_join() returns (recovery's helpers, for one)
 */
static unsigned threads_settle(unsigned want)
{
	unsigned n = threads();

	for (int i = 0; n != want && i < 100000; i++) {
		sched_yield();
		n = threads();
	}
	return n;
}

/* records its thread id, so that main can wait for it to leave /proc */
static void *nothing(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

/*
 * pthread_join() returns once the thread cleared its tid, a moment before
 * the kernel takes it out of /proc/self/task: count only after that
 */
static void wait_gone(pid_t tid)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/task/%d", (int)tid);
	while (access(p, F_OK) == 0)
		sched_yield();
}

static struct pmkv *open_with(const char *path, unsigned flags)
{
	struct pmkv_config *cfg = NULL;
	struct pmkv *kv = NULL;

	T_ASSERT_OK(pmkv_config_new(&cfg));
	T_ASSERT_OK(pmkv_config_set_flags(cfg, flags));
	T_ASSERT_OK(pmkv_config_set_size(cfg, 64ULL << 20));
	T_ASSERT_OK(pmkv_open(path, cfg, &kv));
	pmkv_config_free(&cfg);
	return kv;
}

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "helper/%05u", i);
}

static void check_keys(struct pmkv *kv)
{
	uint64_t v;
	size_t klen, vlen;
	char k[32];

	for (unsigned i = 0; i < NKEYS; i++) {
		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_get(kv, k, klen, &v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, sizeof(v));
		T_ASSERT_EQ(v, (uint64_t)i + 1);
	}
}

int main(void)
{
	struct pmkv_stats st;
	char path[512], k[32];
	struct pmkv *kv;
	pthread_t tid;
	pid_t gone = 0;
	unsigned base;
	size_t klen;

	/*
	 * ThreadSanitizer starts a thread of its own at the first
	 * pthread_create(): have that happen before the count is taken.
	 */
	T_ASSERT_OK(pthread_create(&tid, NULL, nothing, &gone));
	T_ASSERT_OK(pthread_join(tid, NULL));
	wait_gone(gone);
	base = threads();

	t_pool_tmp(path, sizeof(path), "helper");

	/* created without the helper; the puts fault their own pages */
	kv = open_with(path, PMKV_F_CREATE | PMKV_F_NO_HELPER);
	T_ASSERT_EQ(threads_settle(base), base);
	for (unsigned i = 0; i < NKEYS; i++) {
		uint64_t v = (uint64_t)i + 1;

		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_put(kv, k, klen, &v, sizeof(v)));
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT(st.segments >= 2);
	check_keys(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT_EQ(threads_settle(base), base);

	/* the default: one helper, joined at close */
	kv = open_with(path, 0);
	T_ASSERT_EQ(threads_settle(base + 1), base + 1);
	check_keys(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT_EQ(threads_settle(base), base);

	kv = open_with(path, PMKV_F_NO_HELPER);
	T_ASSERT_EQ(threads_settle(base), base);
	check_keys(kv);
	T_ASSERT_OK(pmkv_close(&kv));

	kv = open_with(path, PMKV_F_RDONLY);
	T_ASSERT_EQ(threads_settle(base), base);
	check_keys(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT_EQ(threads_settle(base), base);
	return T_EXIT_PASS;
}
