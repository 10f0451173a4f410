// SPDX-License-Identifier: BSD-3-Clause
/* bench.c -- the benchmark engine: keys, worker threads, timing, checks */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hist.h"

volatile sig_atomic_t bench_stop;

static const struct bench_def defs[] = {
	{ "fillseq", BENCH_FILLSEQ, true },
	{ "fillrandom", BENCH_FILLRANDOM, true },
	{ "overwrite", BENCH_OVERWRITE, false },
	{ "readrandom", BENCH_READRANDOM, false },
	{ "readseq", BENCH_READSEQ, false },
	{ "readmissing", BENCH_READMISSING, false },
	{ "deleterandom", BENCH_DELETERANDOM, false },
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

const struct bench_def *bench_lookup(const char *name)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (!strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

const char *bench_names(void)
{
	static char buf[128];

	if (!buf[0])
		for (size_t i = 0; i < NDEFS; i++) {
			if (i)
				strcat(buf, ",");
			strcat(buf, defs[i].name);
		}
	return buf;
}

/*
 * Values are slices of one buffer of random bytes, at an offset that
 * depends only on the key and the seed: every benchmark writes the same
 * value for a key, so a read can check the bytes it got. 1 MiB of offsets
 * keeps the buffer in cache for small values without making every value
 * of a run the same.
 */
#define VALUE_SPAN (1U << 20)

/* splitmix64: seeds, offsets and random keys; good enough and branch-free */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) without a division (Lemire); the bias is < n / 2^64 */
static uint64_t rand_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)splitmix64(s) * n) >> 64);
}

/*
 * A permutation of [0, n) without a table, so fillrandom and deleterandom
 * touch every key of the share exactly once at any --num: a bijection on
 * the smallest power-of-two range >= n (xor, odd multiply and xorshift
 * are each invertible there), walked along its cycle until it lands below
 * n. Fewer than two steps on average, since n > half the range.
 */
struct perm {
	uint64_t n, mask, k0, k1, m0, m1;
	unsigned shift;
};

static void perm_init(struct perm *pm, uint64_t n, uint64_t seed)
{
	unsigned bits = 0;

	while (bits < 64 && ((uint64_t)1 << bits) < n)
		bits++;
	pm->n = n;
	pm->mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	pm->shift = bits / 2 + 1;
	pm->k0 = splitmix64(&seed) & pm->mask;
	pm->k1 = splitmix64(&seed) & pm->mask;
	pm->m0 = splitmix64(&seed) | 1;
	pm->m1 = splitmix64(&seed) | 1;
}

static uint64_t perm_step(const struct perm *pm, uint64_t x)
{
	x ^= pm->k0;
	x = (x * pm->m0) & pm->mask;
	x ^= x >> pm->shift;
	x = (x * pm->m1 + pm->k1) & pm->mask;
	x ^= x >> pm->shift;
	return (x * pm->m0) & pm->mask;
}

static uint64_t perm_at(const struct perm *pm, uint64_t i)
{
	uint64_t x = perm_step(pm, i);

	while (x >= pm->n)
		x = perm_step(pm, x);
	return x;
}

uint64_t bench_key_capacity(unsigned key_size)
{
	return key_size >= 8 ? UINT64_MAX : (uint64_t)1 << (8 * key_size);
}

/* one run of one benchmark, shared read-only by its workers */
struct run {
	struct pmkv *kv;
	const struct bench_params *p;
	enum bench_kind kind;
	bool check_values;	/* the pool holds only values we wrote */
	bool check_order;	/* readseq: every key 0..num-1 is there */
	unsigned char *vbuf;	/* VALUE_SPAN + value_size random bytes */
	unsigned kw;		/* bytes of the counter at the key's start */

	pthread_mutex_t lock;
	pthread_cond_t cv;	/* go and finished changed */
	bool go, abort;
	unsigned finished;
};

struct worker {
	struct run *run;
	pthread_t tid;
	unsigned id;
	uint64_t lo, hi;	/* this thread's share of the keys: [lo, hi) */
	uint64_t quota;		/* operations to do */
	uint64_t rng;

	uint64_t ops, found, wrong;
	uint64_t t_start, t_end;
	_Atomic uint64_t done;	/* ops so far, for the progress line */
	struct hist hist;

	int rc;			/* the failing operation's code */
	const char *op;
	uint64_t at;		/* its index */
	char msg[512];		/* pmkv_errormsg() of this thread */

	unsigned char *key;	/* key_size bytes: counter, then zeros */
	unsigned char *rbuf;	/* value_size bytes for gets */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* the key of counter idx: big-endian, so byte order is numeric order */
static void key_set(const struct run *r, unsigned char *key, uint64_t idx)
{
	for (unsigned i = 0; i < r->kw; i++)
		key[i] = (unsigned char)(idx >> (8 * (r->kw - 1 - i)));
}

static const unsigned char *value_of(const struct run *r, uint64_t idx)
{
	uint64_t s = idx ^ r->p->seed;

	return r->vbuf + splitmix64(&s) % VALUE_SPAN;
}

static void fail(struct worker *w, const char *op, int rc, uint64_t at)
{
	w->rc = rc;
	w->op = op;
	w->at = at;
	snprintf(w->msg, sizeof(w->msg), "%s", pmkv_errormsg());
}

/*
 * Each op's latency runs from the end of the one before to its own end:
 * one clock read per op instead of two, at the price of counting the key
 * generation and the value check (a few ns) into it.
 */
#define OP_DONE(w, i, t0)						\
	do {								\
		uint64_t t1_ = now_ns();				\
		hist_add(&(w)->hist, t1_ - (t0));			\
		(t0) = t1_;						\
		(w)->ops++;						\
		if (!((i) & 1023))					\
			atomic_store_explicit(&(w)->done, (i),		\
					      memory_order_relaxed);	\
	} while (0)

static void run_writes(struct worker *w, uint64_t t0)
{
	const struct run *r = w->run;
	const unsigned ks = r->p->key_size, vs = r->p->value_size;
	uint64_t n = w->hi - w->lo;
	struct perm pm;

	perm_init(&pm, n, r->p->seed ^ ((uint64_t)r->kind << 32) ^ w->id);
	for (uint64_t i = 0; i < w->quota; i++) {
		uint64_t idx;
		int rc;

		if (bench_stop) {
			w->rc = -EINTR;
			break;
		}
		switch (r->kind) {
		case BENCH_FILLSEQ:
			idx = w->lo + i;
			break;
		case BENCH_OVERWRITE:
			idx = w->lo + rand_below(&w->rng, n);
			break;
		default:	/* fillrandom, deleterandom: each key once */
			idx = w->lo + perm_at(&pm, i);
			break;
		}
		key_set(r, w->key, idx);
		if (r->kind == BENCH_DELETERANDOM) {
			rc = pmkv_delete(r->kv, w->key, ks);
			if (rc == 0) {
				w->found++;
			} else if (rc != -ENOENT) {
				fail(w, "delete", rc, i);
				break;
			}
		} else {
			rc = pmkv_put(r->kv, w->key, ks, value_of(r, idx), vs);
			if (rc) {
				fail(w, "put", rc, i);
				break;
			}
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

static void run_gets(struct worker *w, uint64_t t0)
{
	const struct run *r = w->run;
	const unsigned ks = r->p->key_size, vs = r->p->value_size;
	const uint64_t num = r->p->num;
	const uint64_t base = r->kind == BENCH_READMISSING ? num : 0;

	for (uint64_t i = 0; i < w->quota; i++) {
		uint64_t idx = base + rand_below(&w->rng, num);
		size_t vlen = 0;
		int rc;

		if (bench_stop) {
			w->rc = -EINTR;
			break;
		}
		key_set(r, w->key, idx);
		rc = pmkv_get(r->kv, w->key, ks, w->rbuf, vs, &vlen);
		if (rc == 0) {
			w->found++;
			if (r->check_values && (vlen != vs ||
			    memcmp(w->rbuf, value_of(r, idx), vs)))
				w->wrong++;
		} else if (rc == -ENOBUFS) {
			/* longer than anything this run writes */
			w->found++;
			if (r->check_values)
				w->wrong++;
		} else if (rc != -ENOENT) {
			fail(w, "get", rc, i);
			break;
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

static void run_readseq(struct worker *w, struct pmkv_iter *it, uint64_t t0)
{
	const struct run *r = w->run;
	const unsigned ks = r->p->key_size, vs = r->p->value_size;
	int rc;

	key_set(r, w->key, w->lo);
	rc = w->quota ? pmkv_iter_seek(it, w->key, ks) : -ENOENT;
	for (uint64_t i = 0; i < w->quota; i++) {
		const void *k, *v;
		size_t klen, vlen;

		if (bench_stop) {
			w->rc = -EINTR;
			break;
		}
		if (i)
			rc = pmkv_iter_next(it);
		if (rc == -ENOENT)
			break;
		if (!rc)
			rc = pmkv_iter_key(it, &k, &klen);
		if (!rc)
			rc = pmkv_iter_value(it, &v, &vlen);
		if (rc) {
			fail(w, i ? "iter_next" : "iter_seek", rc, i);
			break;
		}
		w->found++;
		if (r->check_order) {
			/* every key is there: entry i must be key lo + i */
			key_set(r, w->key, w->lo + i);
			if (klen != ks || memcmp(k, w->key, ks) || vlen != vs ||
			    memcmp(v, value_of(r, w->lo + i), vs))
				w->wrong++;
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct pmkv_iter *it = NULL;
	uint64_t t0;
	bool aborted;

	if (r->kind == BENCH_READSEQ) {
		int rc = pmkv_iter_new(r->kv, &it);

		if (rc)
			fail(w, "iter_new", rc, 0);
	}
	pthread_mutex_lock(&r->lock);
	while (!r->go)
		pthread_cond_wait(&r->cv, &r->lock);
	aborted = r->abort;
	pthread_mutex_unlock(&r->lock);

	t0 = w->t_start = w->t_end = now_ns();
	if (aborted || w->rc)
		goto out_signal;
	switch (r->kind) {
	case BENCH_READRANDOM:
	case BENCH_READMISSING:
		run_gets(w, t0);
		break;
	case BENCH_READSEQ:
		run_readseq(w, it, t0);
		break;
	default:
		run_writes(w, t0);
		break;
	}
out_signal:
	pmkv_iter_free(&it);
	atomic_store_explicit(&w->done, w->ops, memory_order_relaxed);
	pthread_mutex_lock(&r->lock);
	r->finished++;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* the i-th of n equal shares of [0, total), without overflow */
static uint64_t share_at(uint64_t total, unsigned i, unsigned n)
{
	return (uint64_t)((unsigned __int128)total * i / n);
}

/* wait for the workers, with a progress line on stderr each second */
static void wait_workers(struct run *r, struct worker *w, unsigned n,
			 const char *name, uint64_t total)
{
	struct timespec ts;
	bool printed = false;

	pthread_mutex_lock(&r->lock);
	while (r->finished < n) {
		uint64_t done = 0;

		if (!r->p->progress) {
			pthread_cond_wait(&r->cv, &r->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		if (pthread_cond_timedwait(&r->cv, &r->lock, &ts) !=
		    ETIMEDOUT || r->finished == n)
			continue;
		for (unsigned i = 0; i < n; i++)
			done += atomic_load_explicit(&w[i].done,
						     memory_order_relaxed);
		fprintf(stderr, "\r%-12s : %" PRIu64 " of %" PRIu64
			" ops (%.0f%%)", name, done, total,
			total ? 100.0 * (double)done / (double)total : 100.0);
		printed = true;
	}
	pthread_mutex_unlock(&r->lock);
	if (printed)
		fputs("\r\033[K", stderr);
}

static int run_init(struct run *r, struct pmkv *kv,
		    const struct bench_params *p, enum bench_kind kind,
		    enum bench_state state)
{
	pthread_condattr_t ca;
	uint64_t s = p->seed;
	size_t len = VALUE_SPAN + p->value_size;

	memset(r, 0, sizeof(*r));
	r->kv = kv;
	r->p = p;
	r->kind = kind;
	r->check_values = state != BENCH_EXISTING;
	r->check_order = state == BENCH_FULL;
	r->kw = p->key_size < 8 ? p->key_size : 8;
	r->vbuf = malloc(len);
	if (!r->vbuf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&s);

		memcpy(r->vbuf + i, &v, len - i < 8 ? len - i : 8);
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static void run_fini(struct run *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->lock);
	free(r->vbuf);
}

static int workers_init(struct worker *w, struct run *r)
{
	const struct bench_params *p = r->p;
	unsigned n = p->threads;

	for (unsigned i = 0; i < n; i++) {
		struct worker *x = &w[i];
		uint64_t rlo = share_at(p->reads, i, n);
		uint64_t rhi = share_at(p->reads, i + 1, n);

		x->run = r;
		x->id = i;
		x->lo = share_at(p->num, i, n);
		x->hi = share_at(p->num, i + 1, n);
		switch (r->kind) {
		case BENCH_READRANDOM:
		case BENCH_READMISSING:
			x->quota = rhi - rlo;
			break;
		case BENCH_READSEQ:
			/* as db_bench: entries up to the end of the keys */
			x->quota = rhi - rlo < x->hi - x->lo ? rhi - rlo :
							       x->hi - x->lo;
			break;
		default:
			x->quota = x->hi - x->lo;
			break;
		}
		x->rng = p->seed * 0x9e3779b97f4a7c15ULL +
			 ((uint64_t)r->kind << 40) + i;
		hist_init(&x->hist);
		x->key = calloc(1, p->key_size);
		x->rbuf = malloc(p->value_size ? p->value_size : 1);
		if (!x->key || !x->rbuf)
			return -ENOMEM;
	}
	return 0;
}

/* what a benchmark should find in a pool of this state; -1: unknown */
static int64_t expected_found(const struct bench_def *def,
			      enum bench_state state, const struct worker *w,
			      unsigned n)
{
	int64_t sum = 0;

	if (def->kind == BENCH_READMISSING)
		return state == BENCH_EXISTING ? -1 : 0;
	if (state == BENCH_EMPTY)
		return 0;
	if (state != BENCH_FULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		sum += (int64_t)w[i].quota;
	return sum;
}

static enum bench_state state_after(enum bench_kind kind,
				    enum bench_state state)
{
	switch (kind) {
	case BENCH_FILLSEQ:
	case BENCH_FILLRANDOM:
		return BENCH_FULL;
	case BENCH_OVERWRITE:
		return state == BENCH_EMPTY ? BENCH_PARTIAL : state;
	case BENCH_DELETERANDOM:
		return state == BENCH_EXISTING ? state : BENCH_EMPTY;
	default:
		return state;
	}
}

static void result_fill(struct bench_result *res, const struct bench_def *def,
			const struct bench_params *p, const struct worker *w,
			const struct pmkv_stats *s0,
			const struct pmkv_stats *s1)
{
	struct hist *h = malloc(sizeof(*h));
	uint64_t first = UINT64_MAX, last = 0, busy = 0, bytes;
	unsigned n = p->threads;

	res->name = def->name;
	res->threads = n;
	for (unsigned i = 0; i < n; i++) {
		res->ops += w[i].ops;
		res->found += w[i].found;
		res->wrong += w[i].wrong;
		if (w[i].t_start < first)
			first = w[i].t_start;
		if (w[i].t_end > last)
			last = w[i].t_end;
		busy += w[i].t_end - w[i].t_start;
	}
	res->has_found = def->kind != BENCH_FILLSEQ &&
			 def->kind != BENCH_FILLRANDOM &&
			 def->kind != BENCH_OVERWRITE;
	switch (def->kind) {
	case BENCH_READRANDOM:
	case BENCH_READMISSING:
	case BENCH_READSEQ:
		bytes = res->found * (p->key_size + p->value_size);
		break;
	case BENCH_DELETERANDOM:
		bytes = res->ops * p->key_size;
		break;
	default:
		bytes = res->ops * (p->key_size + p->value_size);
		break;
	}
	res->seconds = last > first ? (double)(last - first) / 1e9 : 0;
	if (res->ops && res->seconds > 0) {
		res->ops_per_sec = (double)res->ops / res->seconds;
		res->mb_per_sec = (double)bytes / 1048576.0 / res->seconds;
	}
	if (res->ops) {
		/* db_bench's micros/op: thread time per op, not wall time */
		res->micros_per_op = (double)busy / 1e3 / (double)res->ops;
		res->fences_per_op = (double)(s1->fences - s0->fences) /
				     (double)res->ops;
		res->flushed_bytes_per_op =
			(double)(s1->flushed_bytes - s0->flushed_bytes) /
			(double)res->ops;
	}
	if (h) {
		hist_init(h);
		for (unsigned i = 0; i < n; i++)
			hist_merge(h, &w[i].hist);
		res->p50_us = (double)hist_percentile(h, 0.50) / 1e3;
		res->p99_us = (double)hist_percentile(h, 0.99) / 1e3;
		res->p999_us = (double)hist_percentile(h, 0.999) / 1e3;
		res->max_us = (double)(h->count ? h->max : 0) / 1e3;
		free(h);
	}
}

int bench_run(struct pmkv *kv, const struct bench_params *p,
	      const struct bench_def *def, enum bench_state *state,
	      struct bench_result *res, char *msg, size_t msglen)
{
	struct pmkv_stats s0, s1;
	struct worker *w;
	struct run r;
	unsigned n = p->threads, started = 0;
	uint64_t total = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	msg[0] = '\0';
	rc = pmkv_get_stats(kv, &s0, sizeof(s0));
	if (rc) {
		snprintf(msg, msglen, "get_stats: %s", pmkv_errormsg());
		return rc;
	}
	rc = run_init(&r, kv, p, def->kind, *state);
	if (rc) {
		snprintf(msg, msglen, "no memory for %u values",
			 p->value_size);
		return rc;
	}
	w = calloc(n, sizeof(*w));
	rc = w ? workers_init(w, &r) : -ENOMEM;
	if (rc) {
		snprintf(msg, msglen, "no memory for %u workers", n);
		goto out_free;
	}
	for (unsigned i = 0; i < n; i++)
		total += w[i].quota;

	for (; started < n; started++) {
		rc = -pthread_create(&w[started].tid, NULL, worker_main,
				     &w[started]);
		if (rc) {
			snprintf(msg, msglen, "pthread_create of worker %u: %s",
				 started, strerror(-rc));
			break;
		}
	}
	/* all at once, so the first thread does not run alone for a while */
	pthread_mutex_lock(&r.lock);
	r.go = true;
	r.abort = rc != 0;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.lock);
	if (!rc)
		wait_workers(&r, w, n, def->name, total);
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	if (rc)
		goto out_free;

	for (unsigned i = 0; i < n; i++)
		if (w[i].rc) {
			rc = w[i].rc;
			if (rc == -EINTR)
				snprintf(msg, msglen, "interrupted");
			else
				snprintf(msg, msglen,
					 "%s (%s, thread %u, %s of op %" PRIu64 ")",
					 w[i].msg, def->name, i, w[i].op,
					 w[i].at);
			goto out_free;
		}
	rc = pmkv_get_stats(kv, &s1, sizeof(s1));
	if (rc) {
		snprintf(msg, msglen, "get_stats: %s", pmkv_errormsg());
		goto out_free;
	}
	result_fill(res, def, p, w, &s0, &s1);
	res->expected = res->has_found ? expected_found(def, *state, w, n) : -1;
	res->verified = res->wrong == 0 &&
			(res->expected < 0 ||
			 res->found == (uint64_t)res->expected);
	*state = state_after(def->kind, *state);
out_free:
	if (w)
		for (unsigned i = 0; i < n; i++) {
			free(w[i].key);
			free(w[i].rbuf);
		}
	free(w);
	run_fini(&r);
	return rc;
}
