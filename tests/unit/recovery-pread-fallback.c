// SPDX-License-Identifier: BSD-3-Clause
/* recovery-pread-fallback.c -- an open survives a pread() that fails or lies */
/*
 * On a file, recovery reads each segment with pread() into a buffer and
 * uses the copy only when its header matches the mapping's (recovery.c,
 * read_copy()). This program defines pread64() itself, so that the
 * library's calls (for reads of 64 KiB or more: segments, nothing else)
 * come here, and proves that every key of a closed pool is found with its
 * value, and every record recovered, when pread():
 *   - fails with EIO: the mapping is read instead;
 *   - is interrupted (EINTR) and then returns 4 KiB at a time: the copy is
 *     assembled whole;
 *   - returns bytes that are not the mapping's (every byte inverted, as a
 *     file laid out otherwise would): the header check refuses the copy;
 *   - works.
 * Each case also checks that pread() was called, so a build that no
 * longer reaches this pread64() fails rather than passes unexercised.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t.h"

#define NKEYS 20000U
#define BIG_READ (64u << 10)

static enum { WORKS, FAILS, SHORT, FOREIGN } mode;
static unsigned calls, interrupted;

/* the library's pread(): meson builds with _FILE_OFFSET_BITS=64 */
ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r;

	if (n < BIG_READ)
		return syscall(SYS_pread64, fd, buf, n, off);
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	switch (mode) {
	case FAILS:
		errno = EIO;
		return -1;
	case SHORT:
		/* every other call is interrupted, the rest are short */
		if (__atomic_fetch_add(&interrupted, 1, __ATOMIC_RELAXED) % 2 == 0) {
			errno = EINTR;
			return -1;
		}
		return syscall(SYS_pread64, fd, buf, 4096, off);
	case FOREIGN:
		r = syscall(SYS_pread64, fd, buf, n, off);
		for (ssize_t i = 0; i < r; i++)
			((uint8_t *)buf)[i] ^= 0xff;
		return r;
	case WORKS:
		break;
	}
	return syscall(SYS_pread64, fd, buf, n, off);
}

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "pread/%05u", i);
}

static void check(const char *path, const char *what)
{
	struct pmkv_stats st;
	struct pmkv *kv;
	uint64_t v;
	size_t klen, vlen;
	char k[32];

	/* recovery reads the log only when no checkpoint stands in for it */
	t_pool_forget_checkpoint(path);
	calls = 0;
	kv = t_pool_open(path, 0);
	if (calls == 0)
		T_FAIL("%s: recovery never called pread64()", what);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.recovered_records, NKEYS);
	T_ASSERT_EQ(st.keys, NKEYS);
	for (unsigned i = 0; i < NKEYS; i++) {
		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_get(kv, k, klen, &v, sizeof(v), &vlen));
		T_ASSERT_EQ(vlen, sizeof(v));
		T_ASSERT_EQ(v, (uint64_t)i * 7);
	}
	T_ASSERT_OK(pmkv_close(&kv));
	t_info("%s: %u segment reads, %u keys found", what, calls, NKEYS);
}

int main(void)
{
	char path[512], k[32];
	struct pmkv *kv;
	size_t klen;

	t_pool_tmp(path, sizeof(path), "pread");
	kv = t_pool_create(path, 64ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++) {
		uint64_t v = (uint64_t)i * 7;

		klen = key_of(i, k);
		T_ASSERT_OK(pmkv_put(kv, k, klen, &v, sizeof(v)));
	}
	T_ASSERT_OK(pmkv_close(&kv));

	mode = FAILS;
	check(path, "pread fails with EIO");
	mode = SHORT;
	check(path, "pread interrupted, then 4 KiB at a time");
	mode = FOREIGN;
	check(path, "pread returns other bytes");
	mode = WORKS;
	check(path, "pread works");
	return T_EXIT_PASS;
}
