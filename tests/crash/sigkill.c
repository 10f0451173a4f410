/* SPDX-License-Identifier: BSD-3-Clause */
/* sigkill.c -- a real process killed at random moments, reopened, checked */
/*
 * Invariant: an operation a writer acknowledged (pmkv_put, pmkv_delete or
 * pmkv_batch_commit returned 0, and the writer said so on its pipe)
 * survives SIGKILL of the writer at any later moment; an operation in
 * flight is there whole or not at all; and the pool opens and passes
 * check_run() after every kill.
 *
 * A writer process opens the pool and runs two threads, each on its own
 * 64 keys, doing puts (0 B to 64 KiB), deletes and batches of up to 10
 * operations. Before each operation a thread writes what it is about to do
 * to a pipe, and after it returns 0, an acknowledgement; each message is
 * one write() of less than PIPE_BUF, so messages never interleave. The
 * parent reads the pipe, sends SIGKILL after a seeded random number of
 * acknowledgements (0 .. 300, so some kills land in recovery), reads what
 * is left in the pipe, reopens the pool and compares each thread's keys
 * with the acknowledged state, and with it plus the operation in flight.
 *
 * Killing a process proves less than a power failure: its stores reach
 * the page cache whether or not they were flushed (STYLE.md 2.10). It
 * tests the other half: the DRAM index against what is on media, torn
 * work of several threads, and libpmemobj allocations cut short. Needs no
 * crash-test build. Usage: sigkill [kills] (default 200); T_SEED seeds it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "check.h"

#define NTHREADS 2
#define KEYS_PER_THREAD 64U
#define NKEYS (NTHREADS * KEYS_PER_THREAD)
#define BATCH_MAX 10
#define VMAX (64U << 10)
#define POOL_SIZE (32ULL << 20)

enum { MSG_START, MSG_ACK };
enum { OP_PUT, OP_DEL, OP_BATCH };

struct msg {
	uint8_t type, thread, kind, n;
	uint32_t seq;
	uint64_t gen;
	uint32_t key[BATCH_MAX];
	uint32_t vlen[BATCH_MAX];
	uint8_t del[BATCH_MAX];
};
_Static_assert(sizeof(struct msg) < PIPE_BUF, "one atomic write");

struct kst {
	uint64_t gen;	/* 0: absent */
	uint32_t vlen;
};

static const uint32_t vlens[] = { 0, 1, 8, 63, 64, 100, 1000, 4096, 16384,
				  VMAX };
#define NVLENS (sizeof(vlens) / sizeof(vlens[0]))

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t key_name(uint32_t id, char *buf)
{
	return (size_t)sprintf(buf, "sk-%04u", id);
}

static void value(uint8_t *buf, uint32_t key, uint64_t gen, uint32_t vlen)
{
	for (uint32_t j = 0; j < vlen; j += 8) {
		uint64_t x = mix64(gen * 0x100000001b3ULL ^ key ^ ((uint64_t)j << 40));

		memcpy(buf + j, &x, vlen - j < 8 ? vlen - j : 8);
	}
}

/* ------------------------------------------------------------------ */
/* the writer */

struct wthread {
	struct pmkv *kv;
	int fd;
	unsigned id;
	uint64_t round;
	struct t_rng rng;
};

static void send_msg(int fd, const struct msg *m)
{
	if (write(fd, m, sizeof(*m)) != sizeof(*m))
		_exit(T_EXIT_ERROR);
}

static void *writer_thread(void *arg)
{
	struct wthread *t = arg;
	uint8_t *v = malloc(VMAX);
	struct msg m;
	char k[32];

	if (!v)
		_exit(T_EXIT_ERROR);
	for (uint32_t seq = 1;; seq++) {
		uint32_t r = (uint32_t)t_rng_next(&t->rng);
		uint32_t base = t->id * KEYS_PER_THREAD;
		int rc = 0;

		memset(&m, 0, sizeof(m));
		m.type = MSG_START;
		m.thread = (uint8_t)t->id;
		m.seq = seq;
		/* unique over the whole run: round, thread, sequence */
		m.gen = t->round << 40 | (uint64_t)t->id << 32 | seq;
		m.kind = r % 10 < 6 ? OP_PUT : r % 10 < 8 ? OP_DEL : OP_BATCH;
		m.n = 1;
		if (m.kind == OP_BATCH)
			m.n = (uint8_t)(1 + t_rng_next(&t->rng) % BATCH_MAX);
		for (unsigned i = 0; i < m.n; i++) {
			uint32_t key;
			bool dup;

			do {	/* distinct keys in a batch */
				key = base + (uint32_t)(t_rng_next(&t->rng) %
						       KEYS_PER_THREAD);
				dup = false;
				for (unsigned q = 0; q < i; q++)
					dup |= m.key[q] == key;
			} while (dup);
			m.key[i] = key;
			m.del[i] = m.kind == OP_DEL ||
				   (m.kind == OP_BATCH && t_rng_next(&t->rng) % 4 == 0);
			m.vlen[i] = m.del[i] ? 0 :
				vlens[t_rng_next(&t->rng) % NVLENS];
		}
		send_msg(t->fd, &m);

		if (m.kind == OP_BATCH) {
			struct pmkv_batch *b;

			rc = pmkv_batch_new(t->kv, &b);
			for (unsigned i = 0; i < m.n && !rc; i++) {
				size_t klen = key_name(m.key[i], k);

				if (m.del[i]) {
					rc = pmkv_batch_delete(b, k, klen);
				} else {
					value(v, m.key[i], m.gen, m.vlen[i]);
					rc = pmkv_batch_put(b, k, klen, v, m.vlen[i]);
				}
			}
			if (!rc)
				rc = pmkv_batch_commit(b);
			pmkv_batch_free(&b);
		} else if (m.kind == OP_DEL) {
			rc = pmkv_delete(t->kv, k, key_name(m.key[0], k));
			if (rc == -ENOENT)
				rc = 0;
		} else {
			value(v, m.key[0], m.gen, m.vlen[0]);
			rc = pmkv_put(t->kv, k, key_name(m.key[0], k), v, m.vlen[0]);
		}
		if (rc) {
			fprintf(stderr, "writer %u: operation %u: %s: %s\n", t->id,
				seq, pmkv_strerror(rc), pmkv_errormsg());
			_exit(T_EXIT_ERROR);
		}
		m.type = MSG_ACK;
		send_msg(t->fd, &m);
	}
	return NULL;
}

static void writer(const char *path, int fd, uint64_t round, uint64_t seed)
{
	struct wthread t[NTHREADS];
	pthread_t tid[NTHREADS];
	struct pmkv *kv;
	int rc;

	rc = pmkv_open(path, NULL, &kv);
	if (rc) {
		fprintf(stderr, "writer: pmkv_open: %s: %s\n", pmkv_strerror(rc),
			pmkv_errormsg());
		_exit(T_EXIT_ERROR);
	}
	for (unsigned i = 0; i < NTHREADS; i++) {
		t[i] = (struct wthread){ .kv = kv, .fd = fd, .id = i,
					 .round = round,
					 .rng = { mix64(seed ^ (round * 16 + i)) } };
		if (pthread_create(&tid[i], NULL, writer_thread, &t[i]))
			_exit(T_EXIT_ERROR);
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* the parent */

static struct kst model[NKEYS];		/* acknowledged */
static struct msg pending[NTHREADS];	/* started, not acknowledged */
static bool has_pending[NTHREADS];

static void apply(struct kst *m, const struct msg *op)
{
	for (unsigned i = 0; i < op->n; i++)
		m[op->key[i]] = op->del[i] ? (struct kst){ 0, 0 } :
			(struct kst){ op->gen, op->vlen[i] };
}

static bool holds(struct pmkv *kv, uint32_t key, const struct kst *s,
		  uint8_t *got, uint8_t *want)
{
	size_t vlen = 0;
	char k[32];
	int rc;

	rc = pmkv_get(kv, k, key_name(key, k), got, VMAX, &vlen);
	if (rc == -ENOENT)
		return s->gen == 0;
	if (rc)
		T_FAIL("key %u: pmkv_get: %s: %s", key, pmkv_strerror(rc),
		       pmkv_errormsg());
	if (!s->gen || vlen != s->vlen)
		return false;
	value(want, key, s->gen, s->vlen);
	return memcmp(got, want, vlen) == 0;
}

static int count_keys(const void *key, size_t klen, const void *val,
		      size_t vlen, void *arg)
{
	unsigned id;

	(void)val;
	(void)vlen;
	if (klen != 7 || sscanf(key, "sk-%4u", &id) != 1 || id >= NKEYS)
		return 1;
	(*(unsigned *)arg)++;
	return 0;
}

/* 0, or 1 after printing a violation */
static int verify(const char *path, unsigned round)
{
	static uint8_t got[VMAX], want[VMAX];
	struct kst after[NKEYS];
	unsigned keys = 0, live = 0;
	struct pmkv *kv;
	int rc, bad = 0;

	rc = pmkv_open(path, NULL, &kv);
	if (rc) {
		printf("# VIOLATION kill %u: pmkv_open: %s: %s\n", round,
		       pmkv_strerror(rc), pmkv_errormsg());
		return 1;
	}
	rc = check_run(kv);
	if (rc) {
		printf("# VIOLATION kill %u: check_run: %s: %s\n", round,
		       pmkv_strerror(rc), pmkv_errormsg());
		bad = 1;
	}
	for (unsigned t = 0; t < NTHREADS && !bad; t++) {
		uint32_t lo = t * KEYS_PER_THREAD, hi = lo + KEYS_PER_THREAD;
		bool b = true, a = true;

		memcpy(after, model, sizeof(after));
		if (has_pending[t])
			apply(after, &pending[t]);
		for (uint32_t key = lo; key < hi; key++) {
			b &= holds(kv, key, &model[key], got, want);
			a &= holds(kv, key, &after[key], got, want);
		}
		if (!b && !a) {
			static const char *const kinds[] = { "put", "delete", "batch" };

			printf("# VIOLATION kill %u: thread %u's keys hold neither the acknowledged state nor it plus the operation in flight (%s, generation %#llx)\n",
			       round, t, has_pending[t] ? kinds[pending[t].kind] : "none",
			       (unsigned long long)pending[t].gen);
			bad = 1;
			continue;
		}
		if (!b)		/* it happened: now it is durable */
			memcpy(&model[lo], &after[lo], KEYS_PER_THREAD * sizeof(model[0]));
		has_pending[t] = false;
	}
	for (uint32_t key = 0; key < NKEYS; key++)
		live += model[key].gen != 0;
	rc = pmkv_scan(kv, NULL, 0, NULL, 0, count_keys, &keys);
	if (!bad && (rc || keys != live)) {
		printf("# VIOLATION kill %u: the pool holds %u keys (scan: %s), the model %u\n",
		       round, keys, pmkv_strerror(rc), live);
		bad = 1;
	}
	pmkv_close(&kv);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned kills = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
	uint64_t seed = t_seed(), acks_total = 0, in_recovery = 0;
	unsigned violations = 0, round;
	struct timespec t0, t1;
	char path[512];
	struct pmkv *kv;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_info("sigkill: %u kills of a writer of %u threads, seed %#llx", kills,
	       NTHREADS, (unsigned long long)seed);
	t_pool_tmp(path, sizeof(path), "sigkill");
	kv = t_pool_create(path, POOL_SIZE);
	pmkv_close(&kv);

	for (round = 1; round <= kills && !violations; round++) {
		uint64_t want = t_rand_below(301), acks = 0;
		struct msg m;
		int fds[2], st;
		pid_t pid;

		if (pipe(fds))
			t_error("pipe: %s", strerror(errno));
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			t_error("fork: %s", strerror(errno));
		if (pid == 0) {
			close(fds[0]);
			writer(path, fds[1], round, seed);
		}
		close(fds[1]);
		/* the kill: after want acknowledgements, at a random instant */
		while (acks < want && read(fds[0], &m, sizeof(m)) == sizeof(m)) {
			if (m.type == MSG_START) {
				pending[m.thread] = m;
				has_pending[m.thread] = true;
			} else {
				apply(model, &m);
				has_pending[m.thread] = false;
				acks++;
			}
		}
		if (want == 0)
			usleep((useconds_t)t_rand_below(20000));
		else if (t_rand_below(2))
			usleep((useconds_t)t_rand_below(500));
		kill(pid, SIGKILL);
		/* what was written before the kill is still in the pipe */
		while (read(fds[0], &m, sizeof(m)) == sizeof(m)) {
			if (m.type == MSG_START) {
				pending[m.thread] = m;
				has_pending[m.thread] = true;
			} else {
				apply(model, &m);
				has_pending[m.thread] = false;
				acks++;
			}
		}
		close(fds[0]);
		if (waitpid(pid, &st, 0) != pid)
			t_error("waitpid: %s", strerror(errno));
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			t_error("kill %u: the writer ended by itself (status %#x) before the kill",
				round, st);
		if (acks == 0)
			in_recovery++;
		acks_total += acks;
		violations += verify(path, round);
	}
	round--;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t_info("%u kills (%llu before the first acknowledgement), %llu acknowledged operations checked; %.1f s",
	       round, (unsigned long long)in_recovery,
	       (unsigned long long)acks_total,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("crash images: %u, violations: %u\n", round, violations);
	return violations ? T_EXIT_FAIL : T_EXIT_PASS;
}
