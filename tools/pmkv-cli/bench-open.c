// SPDX-License-Identifier: BSD-3-Clause
/*
 * bench-open.c -- the open benchmark: how long an open of the store takes
 * after a clean close, and after a crash
 *
 * A crash is a child process that opens the store read-write and exits
 * without closing it: no write, so the store holds what the earlier
 * benchmarks left, but its engine cannot know that it was closed (pmkv:
 * the open cleared the index checkpoint; LMDB and RocksDB do what they
 * do after any crash).
 *
 * Its floor: an open builds its index in memory it has not touched
 * before, and that memory's first touch (page faults, zeroing) has a
 * price of its own, which under a hypervisor can be most of the open.
 * The same number of bytes as the index holds is mapped (huge pages
 * asked for, as pmkv's index arena does) and touched, timed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* close *db, open it again, timed; *db is the new handle */
static int reopen(const struct bench_engine *eng, struct bench_db **db,
		  const struct bench_store_conf *c, double *close_s, double *s,
		  char *msg, size_t msglen)
{
	double t0 = now_s();
	int rc;

	eng->close(db);
	*close_s = now_s() - t0;
	t0 = now_s();
	rc = eng->open(c, db, msg, msglen);
	*s = now_s() - t0;
	return rc;
}

/* a child opens the store at c read-write and dies without closing it */
static int crash(const struct bench_engine *eng,
		 const struct bench_store_conf *c, char *msg, size_t msglen)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct bench_db *db = NULL;

		_exit(eng->open(c, &db, msg, msglen) ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(msg, msglen, "the crashing child could not open the store");
		return -EIO;
	}
	return 0;
}

/* seconds to map and first touch len bytes of fresh memory; 0 on error */
static double fresh_memory_s(uint64_t len)
{
	double t0 = now_s(), t;
	uint8_t *p;

	if (!len)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return 0;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE);
#endif
	for (uint64_t i = 0; i < len; i += 4096)
		((volatile uint8_t *)p)[i] = 1;
	t = now_s() - t0;
	munmap(p, len);
	return t;
}

int bench_open_run(const struct bench_engine *eng, struct bench_db **db,
		   const struct bench_store_conf *c,
		   const struct bench_def *def, struct bench_result *res,
		   char *msg, size_t msglen)
{
	double ignored;
	uint64_t keys;
	int rc;

	memset(res, 0, sizeof(*res));
	res->name = def->name;
	res->engine = eng->name;
	res->threads = 1;
	res->expected = -1;
	res->is_open = true;
	rc = reopen(eng, db, c, &res->close_s, &res->open_clean_s, msg,
		    msglen);
	if (rc)
		return rc;
	if (eng->memory && !eng->memory(*db, &res->index_bytes, &keys))
		res->open_floor_s = fresh_memory_s(res->index_bytes);
	eng->close(db);
	rc = crash(eng, c, msg, msglen);
	if (rc)
		return rc;
	rc = reopen(eng, db, c, &ignored, &res->open_crash_s, msg, msglen);
	if (rc)
		return rc;
	res->ops = 2;
	res->seconds = res->open_clean_s + res->open_crash_s;
	res->verified = true;
	return 0;
}
