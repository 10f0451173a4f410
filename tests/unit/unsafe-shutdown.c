// SPDX-License-Identifier: BSD-3-Clause
/* unsafe-shutdown.c -- the platform's count tells a power loss from a crash */
/*
 * NVDIMMs count the shutdowns they could not make safe; libpmem2 reads the
 * count. This host has no NVDIMM (nor has the guest's emulated one a
 * count), so the program wraps shutdown_query() (lib/shutdown.c) to play
 * the platform. It proves that pmkv_get_info().unsafe_shutdown is 1 after,
 * and only after, the count changed while a read-write handle was open:
 *   - clean closes, then a higher count: 0 (the pool was closed);
 *   - a process that dies with the pool open, the count unchanged: 0 (a
 *     crash of the process, not of the platform);
 *   - the same with the count changed: 1, read-write and read-only; the
 *     pool is whole (recovery verified every checksum);
 *   - the pool moved to another device: 0.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"

static uint64_t fake_usc = 5, fake_device = 42;

void __real_shutdown_query(int fd, bool dax, struct shutdown *s);
void __wrap_shutdown_query(int fd, bool dax, struct shutdown *s);

void __wrap_shutdown_query(int fd, bool dax, struct shutdown *s)
{
	__real_shutdown_query(fd, dax, s);
	s->known = true;
	s->usc = fake_usc;
	s->device = fake_device;
}

/* what an open with flags reports */
static int unsafe(const char *path, unsigned flags)
{
	struct pmkv *kv = t_pool_open(path, flags);
	struct pmkv_info info;
	char v[8];
	size_t vlen;

	T_ASSERT_OK(pmkv_get_info(kv, &info, sizeof(info)));
	T_ASSERT_OK(pmkv_get(kv, "k", 1, v, sizeof(v), &vlen));
	T_ASSERT_OK(pmkv_close(&kv));
	return info.unsafe_shutdown;
}

/* a child opens the pool read-write, puts, and dies without closing */
static void die_open(const char *path)
{
	int status;
	pid_t pid = fork();

	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct pmkv *kv = t_pool_open(path, 0);

		_exit(pmkv_put(kv, "k2", 2, "v", 1) ? 1 : 0);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	char path[512];
	struct pmkv *kv;

	t_seed();
	t_pool_tmp(path, sizeof(path), "usc");
	kv = t_pool_create(path, 16ULL << 20);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "v", 1));
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT_EQ(unsafe(path, 0), 0);

	fake_usc = 6;		/* while closed */
	T_ASSERT_EQ(unsafe(path, 0), 0);

	die_open(path);		/* a process crash, the count unchanged */
	T_ASSERT_EQ(unsafe(path, 0), 0);

	die_open(path);
	fake_usc = 7;		/* a power loss while it was open */
	T_ASSERT_EQ(unsafe(path, PMKV_F_RDONLY), 1);
	T_ASSERT_EQ(unsafe(path, 0), 1);
	/* that open was clean, and closed: the next knows nothing new */
	T_ASSERT_EQ(unsafe(path, 0), 0);

	die_open(path);
	fake_usc = 8;
	fake_device = 43;	/* another device: its count is another's */
	T_ASSERT_EQ(unsafe(path, 0), 0);

	unlink(path);
	return T_EXIT_PASS;
}
