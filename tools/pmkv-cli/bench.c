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
#include "zipf.h"

volatile sig_atomic_t bench_stop;

static const struct bench_def defs[] = {
	{ "fillseq", BENCH_FILLSEQ, true, false, { 0 } },
	{ "fillrandom", BENCH_FILLRANDOM, true, false, { 0 } },
	{ "overwrite", BENCH_OVERWRITE, false, true, { 0 } },
	{ "readrandom", BENCH_READRANDOM, false, true, { 0 } },
	{ "readseq", BENCH_READSEQ, false, false, { 0 } },
	{ "readmissing", BENCH_READMISSING, false, true, { 0 } },
	{ "seekrandom", BENCH_SEEKRANDOM, false, true, { 0 } },
	{ "deleterandom", BENCH_DELETERANDOM, false, false, { 0 } },
	{ "readwhilewriting", BENCH_READWHILEWRITING, false, true, { 0 } },
	/* YCSB's core workloads (workloads/workload[a-f] in its tree) */
	{ "ycsb-a", BENCH_YCSB, false, true, { .read = 50, .update = 50 } },
	{ "ycsb-b", BENCH_YCSB, false, true, { .read = 95, .update = 5 } },
	{ "ycsb-c", BENCH_YCSB, false, true, { .read = 100 } },
	{ "ycsb-d", BENCH_YCSB, false, true,
	  { .read = 95, .insert = 5, .latest = true } },
	{ "ycsb-e", BENCH_YCSB, false, true, { .scan = 95, .insert = 5 } },
	{ "ycsb-f", BENCH_YCSB, false, true, { .read = 50, .rmw = 50 } },
	/* not db_bench's: pmkv's zero-copy transfers, against the others' */
	{ "backup", BENCH_BACKUP, false, false, { 0 } },
	{ "restore", BENCH_RESTORE, false, false, { 0 } },
	{ "backup-puts", BENCH_BACKUP_PUTS, false, false, { 0 } },
	/* not db_bench's: what a restart costs */
	{ "open", BENCH_OPEN, false, false, { 0 } },
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
	static char buf[256];

	if (!buf[0])
		for (size_t i = 0; i < NDEFS; i++) {
			if (i)
				strcat(buf, ",");
			strcat(buf, defs[i].name);
		}
	return buf;
}

const char *bench_dist_name(enum bench_dist d)
{
	return d == BENCH_DIST_ZIPFIAN ? "zipfian" : "uniform";
}

void bench_result_fini(struct bench_result *res)
{
	free(res->hist);
	res->hist = NULL;
	free(res->target);
	res->target = NULL;
}

bool bench_is_xfer(const struct bench_def *def)
{
	return def->kind == BENCH_BACKUP || def->kind == BENCH_RESTORE ||
	       def->kind == BENCH_BACKUP_PUTS;
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

/* uniform in [0, 1), 53 bits */
static double rand_unit(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

/*
 * A permutation of [0, n) without a table, so fillrandom and deleterandom
 * touch every key of the share exactly once at any --num, and zipfian
 * ranks land on scattered keys (YCSB's "scrambled" zipfian, but one to
 * one: no two ranks share a key). A bijection on the smallest
 * power-of-two range >= n (xor, odd multiply and xorshift are each
 * invertible there), walked along its cycle until it lands below n. Fewer
 * than two steps on average, since n > half the range.
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

/* one run of one benchmark, shared by its workers */
struct run {
	const struct bench_engine *eng;
	struct bench_db *db;
	const struct bench_params *p;
	const struct bench_def *def;
	enum bench_kind kind;
	bool check_values;	/* the store holds only values we wrote */
	bool check_order;	/* every key 0..num-1 is there */
	unsigned char *vbuf;	/* VALUE_SPAN + value_size random bytes */
	unsigned kw;		/* bytes of the counter at the key's start */
	uint64_t capacity;	/* bench_key_capacity() */
	uint64_t deadline;	/* CLOCK_MONOTONIC ns; UINT64_MAX: none */

	/*
	 * Random ops pick a logical key L in [0, num + inserted): L < num is
	 * counter L, and insert j is counter 2*num + j.
	 */
	uint64_t space;		/* logical keys zipfian ranks cover */
	struct perm scatter;	/* rank -> logical key */
	struct zipf zipf;	/* over space (zipfian) or num (latest) */
	bool dynamic;		/* inserts: the limit moves */
	uint64_t limit;		/* the logical keys there are, when static */
	_Atomic uint64_t ins_next;	/* inserts reserved so far */
	_Atomic uint64_t *inflight;	/* per worker; UINT64_MAX: none */
	unsigned nworkers;
	_Atomic unsigned readers_left;	/* readwhilewriting's writer stops */

	pthread_mutex_t lock;
	pthread_cond_t cv;	/* go and finished changed */
	bool go, abort;
	unsigned finished;
};

struct worker {
	struct run *run;
	struct bench_thr *thr;
	pthread_t tid;
	unsigned id;
	bool writer;		/* readwhilewriting's writer */
	uint64_t lo, hi;	/* this thread's share of the keys: [lo, hi) */
	uint64_t quota;		/* operations to do; UINT64_MAX: until time */
	bool cut;		/* --duration ended it before the quota */
	uint64_t rng;
	struct zipf zipf;	/* run's, grown by inserts (latest) */

	uint64_t ops, found, wrong, bytes;
	uint64_t n_rd, n_wr;	/* random reads and durable writes done */
	uint64_t n_read, n_update, n_insert, n_scan, n_rmw;
	uint64_t t_start, t_end;
	_Atomic uint64_t done;	/* ops so far, for the progress line */
	struct hist hist;

	int rc;			/* the failing operation's code */
	const char *op;
	uint64_t at;		/* its index */
	char msg[512];		/* the engine's message on this thread */

	unsigned char *key;	/* key_size bytes: counter, then zeros */
	unsigned char *key2;	/* readseq: the first key after the share */
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

/* the counter of a key bench wrote; false for any other key */
static bool key_get(const struct run *r, const unsigned char *key,
		    size_t klen, uint64_t *idx)
{
	uint64_t v = 0;

	if (klen != r->p->key_size)
		return false;
	for (unsigned i = 0; i < r->kw; i++)
		v = v << 8 | key[i];
	for (size_t i = r->kw; i < klen; i++)
		if (key[i])
			return false;
	*idx = v;
	return true;
}

static const unsigned char *value_of(const struct run *r, uint64_t idx)
{
	uint64_t s = idx ^ r->p->seed;

	return r->vbuf + splitmix64(&s) % VALUE_SPAN;
}

static bool value_ok(const struct run *r, uint64_t idx, const void *v,
		     size_t vlen)
{
	return vlen == r->p->value_size &&
	       !memcmp(v, value_of(r, idx), vlen);
}

static void fail(struct worker *w, const char *op, int rc, uint64_t at)
{
	w->rc = rc;
	w->op = op;
	w->at = at;
	snprintf(w->msg, sizeof(w->msg), "%s",
		 w->thr ? w->run->eng->errmsg(w->thr) : "");
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

/* whether the loop ends before op i: interrupt, quota or --duration */
static bool op_end(struct worker *w, uint64_t i, uint64_t t0)
{
	if (bench_stop) {
		w->rc = -EINTR;
		return true;
	}
	if (i >= w->quota)
		return true;
	if (t0 >= w->run->deadline) {
		w->cut = true;
		return true;
	}
	return false;
}

static int do_put(struct worker *w, uint64_t idx)
{
	const struct run *r = w->run;
	int rc;

	key_set(r, w->key, idx);
	rc = r->eng->put(w->thr, w->key, r->p->key_size, value_of(r, idx),
			 r->p->value_size);
	if (!rc) {
		w->n_wr++;
		w->bytes += r->p->key_size + r->p->value_size;
	}
	return rc;
}

/* a get of counter idx, counted and checked; -ENOENT is no failure */
static int do_get(struct worker *w, uint64_t idx)
{
	const struct run *r = w->run;
	const unsigned vs = r->p->value_size;
	size_t vlen = 0;
	int rc;

	key_set(r, w->key, idx);
	rc = r->eng->get(w->thr, w->key, r->p->key_size, w->rbuf, vs, &vlen);
	w->n_rd++;
	if (rc == 0) {
		w->found++;
		w->bytes += r->p->key_size + vlen;
		if (r->check_values && !value_ok(r, idx, w->rbuf, vlen))
			w->wrong++;
	} else if (rc == -ENOBUFS) {
		/* longer than anything this run writes */
		w->found++;
		if (r->check_values)
			w->wrong++;
	} else if (rc != -ENOENT) {
		return rc;
	}
	return 0;
}

static void run_writes(struct worker *w, uint64_t t0)
{
	const struct run *r = w->run;
	const unsigned ks = r->p->key_size;
	uint64_t n = w->hi - w->lo;
	struct perm pm;

	perm_init(&pm, n, r->p->seed ^ ((uint64_t)r->kind << 32) ^ w->id);
	for (uint64_t i = 0; !op_end(w, i, t0); i++) {
		uint64_t idx;
		int rc;

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
		if (r->kind == BENCH_DELETERANDOM) {
			key_set(r, w->key, idx);
			rc = r->eng->del(w->thr, w->key, ks);
			if (rc == 0) {
				w->found++;
			} else if (rc != -ENOENT) {
				fail(w, "delete", rc, i);
				break;
			}
			w->n_wr++;
			w->bytes += ks;
		} else if ((rc = do_put(w, idx))) {
			fail(w, "put", rc, i);
			break;
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

static void run_gets(struct worker *w, uint64_t t0)
{
	const struct run *r = w->run;
	const uint64_t num = r->p->num;
	const uint64_t base = r->kind == BENCH_READMISSING ? num : 0;

	for (uint64_t i = 0; !op_end(w, i, t0); i++) {
		int rc = do_get(w, base + rand_below(&w->rng, num));

		if (rc) {
			fail(w, "get", rc, i);
			break;
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

/* readwhilewriting's writer: overwrites until the readers are done */
static void run_writer(struct worker *w, uint64_t t0)
{
	struct run *r = w->run;

	for (uint64_t i = 0; !op_end(w, i, t0) &&
	     atomic_load_explicit(&r->readers_left, memory_order_relaxed);
	     i++) {
		int rc = do_put(w, rand_below(&w->rng, r->p->num));

		if (rc) {
			fail(w, "put (writer)", rc, i);
			break;
		}
		w->ops++;
		t0 = now_ns();
	}
	w->t_end = t0;
}

/* readseq: one scan over the share, each record one op */
struct seq_ctx {
	struct worker *w;
	uint64_t i, t0;
	bool stop_key;		/* key2 holds the first key after the share */
};

#define SCAN_STOP 1

static int seq_visit(void *arg, const void *k, size_t klen, const void *v,
		     size_t vlen)
{
	struct seq_ctx *c = arg;
	struct worker *w = c->w;
	const struct run *r = w->run;
	const unsigned ks = r->p->key_size;
	uint64_t idx;

	if (op_end(w, c->i, c->t0))
		return SCAN_STOP;
	/* the share ends here; the next thread's share is not ours */
	if (c->stop_key && klen == ks && memcmp(k, w->key2, ks) >= 0)
		return SCAN_STOP;
	w->found++;
	w->n_rd++;
	w->bytes += klen + vlen;
	if (r->check_order) {
		/* every key is there: entry i must be key lo + i */
		key_set(r, w->key, w->lo + c->i);
		if (klen != ks || memcmp(k, w->key, ks) ||
		    !value_ok(r, w->lo + c->i, v, vlen))
			w->wrong++;
	} else if (r->check_values &&
		   (!key_get(r, k, klen, &idx) || !value_ok(r, idx, v, vlen))) {
		w->wrong++;
	}
	OP_DONE(w, c->i, c->t0);
	c->i++;
	return 0;
}

static void run_readseq(struct worker *w, uint64_t t0)
{
	const struct run *r = w->run;
	struct seq_ctx c = { .w = w, .t0 = t0 };
	int rc;

	if (!w->quota)
		goto out;
	key_set(r, w->key, w->lo);
	c.stop_key = w->hi < r->capacity;
	if (c.stop_key)
		key_set(r, w->key2, w->hi);
	/* w->key is rewritten by the checks: the scan has taken its copy */
	rc = r->eng->scan(w->thr, w->key, r->p->key_size, w->quota,
			  seq_visit, &c);
	if (rc && rc != SCAN_STOP && !w->rc)
		fail(w, "scan", rc, c.i);
out:
	w->t_end = c.t0;
}

/* a short scan: seekrandom's seek + nexts, YCSB E's scan */
struct seek_ctx {
	struct worker *w;
	uint64_t idx;		/* the counter sought */
	uint64_t j;		/* records seen */
};

static int seek_visit(void *arg, const void *k, size_t klen, const void *v,
		      size_t vlen)
{
	struct seek_ctx *c = arg;
	struct worker *w = c->w;
	const struct run *r = w->run;
	uint64_t idx = 0;
	bool ours = key_get(r, k, klen, &idx);

	w->bytes += klen + vlen;
	if (c->j == 0 && ours && idx == c->idx)
		w->found++;	/* as db_bench: the seek met its own key */
	if (r->check_values && (!ours || !value_ok(r, idx, v, vlen)))
		w->wrong++;
	/* every key 0..num-1 is there: none can be skipped */
	else if (r->check_order && c->idx + c->j < r->p->num &&
		 idx != c->idx + c->j)
		w->wrong++;
	c->j++;
	return 0;
}

static int do_scan(struct worker *w, uint64_t idx, uint64_t n)
{
	const struct run *r = w->run;
	struct seek_ctx c = { .w = w, .idx = idx };

	key_set(r, w->key, idx);
	w->n_rd++;
	return r->eng->scan(w->thr, w->key, r->p->key_size, n, seek_visit,
			    &c);
}

static void run_seeks(struct worker *w, uint64_t t0)
{
	const struct run *r = w->run;

	for (uint64_t i = 0; !op_end(w, i, t0); i++) {
		int rc = do_scan(w, rand_below(&w->rng, r->p->num),
				 r->p->seek_nexts + 1);

		if (rc) {
			fail(w, "seek", rc, i);
			break;
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

/* the counter of logical key L (see struct run) */
static uint64_t counter_of(const struct run *r, uint64_t L)
{
	return L < r->p->num ? L : 2 * r->p->num + (L - r->p->num);
}

/*
 * Logical keys readers may pick: every insert reserved before is done,
 * or still running on a thread whose inflight mark is at or below it.
 * Inserters mark before they reserve, so a reservation seen here has its
 * mark seen too (both sequentially consistent).
 */
static uint64_t acked_limit(struct run *r)
{
	uint64_t lim = atomic_load(&r->ins_next);

	for (unsigned i = 0; i < r->nworkers; i++) {
		uint64_t f = atomic_load(&r->inflight[i]);

		if (f < lim)
			lim = f;
	}
	return r->p->num + lim;
}

/* YCSB's key chooser for one op: uniform, zipfian or latest */
static uint64_t ycsb_key(struct worker *w)
{
	struct run *r = w->run;
	uint64_t lim = r->dynamic ? acked_limit(r) : r->limit, L;

	if (r->def->mix.latest) {
		/* YCSB's SkewedLatestGenerator: the newest key is rank 0 */
		zipf_grow(&w->zipf, lim);
		return counter_of(r, lim - 1 - zipf_next(&w->zipf,
							 rand_unit(&w->rng)));
	}
	if (r->p->dist == BENCH_DIST_UNIFORM)
		return counter_of(r, rand_below(&w->rng, lim));
	/* as YCSB: draw again until the key has been inserted */
	do {
		L = perm_at(&r->scatter, zipf_next(&w->zipf,
						   rand_unit(&w->rng)));
	} while (L >= lim);
	return counter_of(r, L);
}

static int ycsb_insert(struct worker *w)
{
	struct run *r = w->run;
	uint64_t j, idx;
	int rc;

	atomic_store(&r->inflight[w->id], atomic_load(&r->ins_next));
	j = atomic_fetch_add(&r->ins_next, 1);
	atomic_store(&r->inflight[w->id], j);
	idx = 2 * r->p->num + j;
	if (j >= r->capacity - 2 * r->p->num) {
		snprintf(w->msg, sizeof(w->msg),
			 "--key_size=%u holds no key for insert %" PRIu64,
			 r->p->key_size, j);
		rc = -ENOSPC;
	} else {
		rc = do_put(w, idx);
	}
	atomic_store(&r->inflight[w->id], UINT64_MAX);
	return rc;
}

static void run_ycsb(struct worker *w, uint64_t t0)
{
	const struct bench_mix *m = &w->run->def->mix;

	for (uint64_t i = 0; !op_end(w, i, t0); i++) {
		uint64_t pick = rand_below(&w->rng, 100);
		const char *op;
		int rc;

		if (pick < m->read) {
			op = "read";
			w->n_read++;
			rc = do_get(w, ycsb_key(w));
		} else if ((pick -= m->read) < m->update) {
			op = "update";
			w->n_update++;
			rc = do_put(w, ycsb_key(w));
		} else if ((pick -= m->update) < m->insert) {
			op = "insert";
			w->n_insert++;
			rc = ycsb_insert(w);
		} else if ((pick -= m->insert) < m->scan) {
			op = "scan";
			w->n_scan++;
			rc = do_scan(w, ycsb_key(w),
				     1 + rand_below(&w->rng,
						    BENCH_YCSB_SCAN_MAX));
		} else {
			uint64_t idx = ycsb_key(w);

			op = "read-modify-write";
			w->n_rmw++;
			rc = do_get(w, idx);
			if (!rc)
				rc = do_put(w, idx);
		}
		if (rc) {
			/* a message of ours, or the engine's */
			if (w->msg[0])
				w->rc = rc, w->op = op, w->at = i;
			else
				fail(w, op, rc, i);
			break;
		}
		OP_DONE(w, i, t0);
	}
	w->t_end = t0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	uint64_t t0;
	bool aborted;
	int rc;

	rc = r->eng->thr_new(r->db, &w->thr);
	if (rc)
		fail(w, "thread setup", rc, 0);
	pthread_mutex_lock(&r->lock);
	while (!r->go)
		pthread_cond_wait(&r->cv, &r->lock);
	aborted = r->abort;
	pthread_mutex_unlock(&r->lock);

	t0 = w->t_start = w->t_end = now_ns();
	if (aborted || w->rc)
		goto out_signal;
	if (w->writer) {
		run_writer(w, t0);
		goto out_signal;
	}
	switch (r->kind) {
	case BENCH_READRANDOM:
	case BENCH_READMISSING:
	case BENCH_READWHILEWRITING:
		run_gets(w, t0);
		break;
	case BENCH_READSEQ:
		run_readseq(w, t0);
		break;
	case BENCH_SEEKRANDOM:
		run_seeks(w, t0);
		break;
	case BENCH_YCSB:
		run_ycsb(w, t0);
		break;
	default:
		run_writes(w, t0);
		break;
	}
out_signal:
	if (!w->writer)
		atomic_fetch_sub(&r->readers_left, 1);
	r->eng->thr_free(&w->thr);
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
			 const char *name, uint64_t total, uint64_t t_go)
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
			if (!w[i].writer)
				done += atomic_load_explicit(&w[i].done,
						memory_order_relaxed);
		if (r->deadline != UINT64_MAX)
			fprintf(stderr, "\r%-12s %s: %" PRIu64 " ops, %.0f of %" PRIu64 " s",
				name, r->eng->name, done,
				(double)(now_ns() - t_go) / 1e9,
				r->p->duration);
		else
			fprintf(stderr, "\r%-12s %s: %" PRIu64 " of %" PRIu64 " ops (%.0f%%)",
				name, r->eng->name, done, total,
				total ? 100.0 * (double)done / (double)total :
					100.0);
		printed = true;
	}
	pthread_mutex_unlock(&r->lock);
	if (printed)
		fputs("\r\033[K", stderr);
}

static int run_init(struct run *r, const struct bench_engine *eng,
		    struct bench_db *db, const struct bench_params *p,
		    const struct bench_def *def, const struct bench_state *st,
		    unsigned nworkers)
{
	pthread_condattr_t ca;
	uint64_t s = p->seed;
	size_t len = VALUE_SPAN + p->value_size;

	memset(r, 0, sizeof(*r));
	r->eng = eng;
	r->db = db;
	r->p = p;
	r->def = def;
	r->kind = def->kind;
	r->check_values = st->contents != BENCH_EXISTING;
	r->check_order = st->contents == BENCH_FULL;
	r->kw = p->key_size < 8 ? p->key_size : 8;
	r->capacity = bench_key_capacity(p->key_size);
	r->deadline = UINT64_MAX;
	r->nworkers = nworkers;
	r->vbuf = malloc(len);
	r->inflight = calloc(nworkers, sizeof(*r->inflight));
	if (!r->vbuf || !r->inflight) {
		free(r->vbuf);
		free(r->inflight);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nworkers; i++)
		atomic_init(&r->inflight[i], UINT64_MAX);
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&s);

		memcpy(r->vbuf + i, &v, len - i < 8 ? len - i : 8);
	}

	atomic_init(&r->ins_next, st->inserted);
	r->limit = p->num + st->inserted;
	r->space = r->limit;
	if (def->kind == BENCH_YCSB && def->mix.insert) {
		r->dynamic = true;
		/* YCSB's expectednewkeys: twice the inserts the mix predicts */
		r->space += p->duration ? p->num :
			    p->reads / 100 * def->mix.insert * 2 + 1;
	}
	if (def->kind == BENCH_YCSB) {
		if (def->mix.latest)
			zipf_init(&r->zipf, r->limit, ZIPF_THETA);
		else if (p->dist == BENCH_DIST_ZIPFIAN)
			zipf_init(&r->zipf, r->space, ZIPF_THETA);
		perm_init(&r->scatter, r->space, p->seed ^ 0x5ca77e2ULL);
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
	free(r->inflight);
}

static int workers_init(struct worker *w, struct run *r)
{
	const struct bench_params *p = r->p;
	const bool timed = r->def->timed && p->duration;
	unsigned n = p->threads;

	for (unsigned i = 0; i < r->nworkers; i++) {
		struct worker *x = &w[i];
		uint64_t rlo = share_at(p->reads, i, n);
		uint64_t rhi = share_at(p->reads, i + 1, n);

		x->run = r;
		x->id = i;
		x->writer = i >= n;
		x->lo = share_at(p->num, i, n);
		x->hi = share_at(p->num, i + 1, n);
		switch (r->kind) {
		case BENCH_READRANDOM:
		case BENCH_READMISSING:
		case BENCH_READWHILEWRITING:
		case BENCH_SEEKRANDOM:
		case BENCH_YCSB:
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
		/* as db_bench's --duration: random ops run until the time */
		if (timed || x->writer)
			x->quota = UINT64_MAX;
		x->rng = p->seed * 0x9e3779b97f4a7c15ULL +
			 ((uint64_t)r->kind << 40) + i;
		x->zipf = r->zipf;
		hist_init(&x->hist);
		x->key = calloc(1, p->key_size);
		x->key2 = calloc(1, p->key_size);
		x->rbuf = malloc(p->value_size ? p->value_size : 1);
		if (!x->key || !x->key2 || !x->rbuf)
			return -ENOMEM;
	}
	return 0;
}

/* what a benchmark must find in a store of this state; -1: unknown */
static int64_t expected_found(const struct bench_def *def,
			      enum bench_contents c, bool complete,
			      const struct worker *w, unsigned n)
{
	int64_t sum = 0;

	if (def->kind == BENCH_READMISSING)
		return c == BENCH_EXISTING ? -1 : 0;
	if (c == BENCH_EMPTY && def->kind != BENCH_YCSB &&
	    def->kind != BENCH_READWHILEWRITING)
		return 0;
	if (c != BENCH_FULL)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (def->kind == BENCH_YCSB)
			sum += (int64_t)(w[i].n_read + w[i].n_scan +
					 w[i].n_rmw);
		else if (def->kind == BENCH_READSEQ)
			sum += (int64_t)(complete ? w[i].quota : w[i].ops);
		else
			sum += (int64_t)w[i].ops;
	}
	return sum;
}

static enum bench_contents contents_after(enum bench_kind kind,
					  enum bench_contents c, bool complete)
{
	switch (kind) {
	case BENCH_FILLSEQ:
	case BENCH_FILLRANDOM:
		return complete ? BENCH_FULL : BENCH_PARTIAL;
	case BENCH_OVERWRITE:
	case BENCH_READWHILEWRITING:
	case BENCH_YCSB:
		return c == BENCH_EMPTY ? BENCH_PARTIAL : c;
	case BENCH_DELETERANDOM:
		return c == BENCH_EXISTING ? c :
		       complete || c == BENCH_EMPTY ? BENCH_EMPTY :
		       BENCH_PARTIAL;
	default:
		return c;
	}
}

static void result_fill(struct bench_result *res, const struct run *r,
			const struct worker *w, unsigned nworkers,
			uint64_t fences, uint64_t flushed)
{
	const struct bench_params *p = r->p;
	struct hist *h = malloc(sizeof(*h));
	uint64_t first = UINT64_MAX, last = 0, busy = 0, bytes = 0;
	uint64_t rd = 0, wr = 0;

	res->name = r->def->name;
	res->engine = r->eng->name;
	res->threads = p->threads;
	for (unsigned i = 0; i < nworkers; i++) {
		if (w[i].writer) {
			res->writer_ops += w[i].ops;
			continue;
		}
		res->ops += w[i].ops;
		res->found += w[i].found;
		res->wrong += w[i].wrong;
		bytes += w[i].bytes;
		rd += w[i].n_rd;
		wr += w[i].n_wr;
		res->n_read += w[i].n_read;
		res->n_update += w[i].n_update;
		res->n_insert += w[i].n_insert;
		res->n_scan += w[i].n_scan;
		res->n_rmw += w[i].n_rmw;
		if (w[i].t_start < first)
			first = w[i].t_start;
		if (w[i].t_end > last)
			last = w[i].t_end;
		busy += w[i].t_end - w[i].t_start;
	}
	res->has_found = r->kind != BENCH_FILLSEQ &&
			 r->kind != BENCH_FILLRANDOM &&
			 r->kind != BENCH_OVERWRITE &&
			 (r->kind != BENCH_DELETERANDOM ||
			  r->eng->delete_finds);
	res->seconds = last > first ? (double)(last - first) / 1e9 : 0;
	if (res->ops && res->seconds > 0) {
		res->ops_per_sec = (double)res->ops / res->seconds;
		res->mb_per_sec = (double)bytes / 1048576.0 / res->seconds;
	}
	res->has_stats = r->eng->has_stats;
	if (res->ops) {
		/* fences of readwhilewriting's writer count too */
		double all = (double)(res->ops + res->writer_ops);

		/* db_bench's micros/op: thread time per op, not wall time */
		res->micros_per_op = (double)busy / 1e3 / (double)res->ops;
		res->fences_per_op = (double)fences / all;
		res->flushed_bytes_per_op = (double)flushed / all;
		res->reads_per_op = (double)rd / (double)res->ops;
		res->writes_per_op = (double)wr / (double)res->ops;
	}
	if (h) {
		hist_init(h);
		for (unsigned i = 0; i < nworkers; i++)
			if (!w[i].writer)
				hist_merge(h, &w[i].hist);
		res->p50_us = (double)hist_percentile(h, 0.50) / 1e3;
		res->p99_us = (double)hist_percentile(h, 0.99) / 1e3;
		res->p999_us = (double)hist_percentile(h, 0.999) / 1e3;
		res->max_us = (double)(h->count ? h->max : 0) / 1e3;
		if (p->histogram)
			res->hist = h;
		else
			free(h);
	}
}

static int stats_of(const struct bench_engine *eng, struct bench_db *db,
		    uint64_t *fences, uint64_t *flushed)
{
	*fences = *flushed = 0;
	return eng->has_stats ? eng->stats(db, fences, flushed) : 0;
}

/*
 * Start the workers, release them together, wait for them with the
 * progress line and join them. Returns 0, or pthread_create's code with
 * msg set; the threads started before it failed are told to abort, and
 * are joined too.
 */
static int workers_run(struct run *r, struct worker *w, unsigned nw,
		       char *msg, size_t msglen)
{
	const struct bench_params *p = r->p;
	unsigned started = 0;
	uint64_t total = 0, t_go;
	int rc = 0;

	for (unsigned i = 0; i < p->threads; i++)
		total += w[i].quota;

	for (; started < nw; started++) {
		rc = -pthread_create(&w[started].tid, NULL, worker_main,
				     &w[started]);
		if (rc) {
			snprintf(msg, msglen, "pthread_create of worker %u: %s",
				 started, strerror(-rc));
			break;
		}
	}
	/* all at once, so the first thread does not run alone for a while */
	pthread_mutex_lock(&r->lock);
	t_go = now_ns();
	if (p->duration)
		r->deadline = t_go + p->duration * 1000000000ULL;
	r->go = true;
	r->abort = rc != 0;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->lock);
	if (!rc)
		wait_workers(r, w, nw, r->def->name, total, t_go);
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	return rc;
}

/*
 * The first worker's failure, as bench_run() reports it in msg, or 0.
 * *complete says whether every worker did its whole quota: --duration
 * may have cut one short, and then what the run must find is unknown.
 */
static int workers_check(const struct worker *w, unsigned nw,
			 const char *name, bool *complete, char *msg,
			 size_t msglen)
{
	*complete = true;
	for (unsigned i = 0; i < nw; i++) {
		if (w[i].rc) {
			if (w[i].rc == -EINTR)
				snprintf(msg, msglen, "interrupted");
			else
				snprintf(msg, msglen,
					 "%s (%s, thread %u, %s of op %" PRIu64 ")",
					 w[i].msg, name, i, w[i].op,
					 w[i].at);
			return w[i].rc;
		}
		if (w[i].cut && w[i].quota != UINT64_MAX)
			*complete = false;
	}
	return 0;
}

/*
 * Fill *res from the finished workers and the engine's counters (fences
 * and flushed bytes since f0 and b0, taken before the run), check what
 * was found, and move *st to what the store holds now.
 */
static int run_collect(struct run *r, const struct worker *w, unsigned nw,
		       bool complete, uint64_t f0, uint64_t b0,
		       struct bench_state *st, struct bench_result *res,
		       char *msg, size_t msglen)
{
	const struct bench_engine *eng = r->eng;
	const struct bench_def *def = r->def;
	uint64_t f1, b1, index_bytes = 0, keys = 0;
	int rc;

	rc = stats_of(eng, r->db, &f1, &b1);
	if (!rc && eng->has_stats)
		rc = eng->memory(r->db, &index_bytes, &keys);
	if (rc) {
		snprintf(msg, msglen, "stats: %s", eng->errmsg(NULL));
		return rc;
	}
	result_fill(res, r, w, nw, f1 - f0, b1 - b0);
	res->index_bytes = index_bytes;
	res->keys = keys;
	res->expected = res->has_found ?
		expected_found(def, st->contents, complete, w,
			       r->p->threads) : -1;
	res->verified = res->wrong == 0 &&
			(res->expected < 0 ||
			 res->found == (uint64_t)res->expected);
	st->contents = contents_after(def->kind, st->contents, complete);
	st->inserted = atomic_load(&r->ins_next);
	return 0;
}

/* the workers' buffers and the array; w may be NULL or half set up */
static void workers_free(struct worker *w, unsigned nw)
{
	if (w)
		for (unsigned i = 0; i < nw; i++) {
			free(w[i].key);
			free(w[i].key2);
			free(w[i].rbuf);
		}
	free(w);
}

/* bench.h: counters before, workers set up, run and checked, counters after */
int bench_run(const struct bench_engine *eng, struct bench_db *db,
	      const struct bench_params *p, const struct bench_def *def,
	      struct bench_state *st, struct bench_result *res, char *msg,
	      size_t msglen)
{
	unsigned n = p->threads;
	unsigned nw = n + (def->kind == BENCH_READWHILEWRITING);
	uint64_t f0, b0;
	bool complete;
	struct worker *w;
	struct run r;
	int rc;

	memset(res, 0, sizeof(*res));
	msg[0] = '\0';
	rc = stats_of(eng, db, &f0, &b0);
	if (rc) {
		snprintf(msg, msglen, "stats: %s", eng->errmsg(NULL));
		return rc;
	}
	rc = run_init(&r, eng, db, p, def, st, nw);
	if (rc) {
		snprintf(msg, msglen, "no memory for %u values",
			 p->value_size);
		return rc;
	}
	atomic_init(&r.readers_left, n);
	w = calloc(nw, sizeof(*w));
	rc = w ? workers_init(w, &r) : -ENOMEM;
	if (rc) {
		snprintf(msg, msglen, "no memory for %u workers", nw);
		goto out_free;
	}
	rc = workers_run(&r, w, nw, msg, msglen);
	if (!rc)
		rc = workers_check(w, nw, def->name, &complete, msg, msglen);
	if (!rc)
		rc = run_collect(&r, w, nw, complete, f0, b0, st, res, msg,
				 msglen);
out_free:
	workers_free(w, nw);
	run_fini(&r);
	return rc;
}
