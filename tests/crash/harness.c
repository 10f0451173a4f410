/* SPDX-License-Identifier: BSD-3-Clause */
/* harness.c -- enumerate persistence points, write crash images, judge them */
/*
 * Processes. The parent (P) never opens a pool: it keeps the model, picks
 * the points, and forks
 *   - a setup child that builds the pool the workload starts from;
 *   - the workload child (W), with the recorder armed. At a chosen point
 *     W writes the crash image(s), sends a message (which operation was
 *     in flight, which had returned) and waits for P's go-ahead, so only
 *     one image exists at a time and W runs once per pass, not once per
 *     point. The image is what a power failure just before that fence
 *     completes would leave; what W does after it does not change it;
 *   - a verifier (V) per image: open, check_run(), the oracle, a probe
 *     put. A verifier killed by a signal is a violation too: opening after
 *     a crash must work.
 * Operations are numbered for W's messages: 1 is pmkv_open(), 2 .. n + 1
 * the workload's operations, n + 2 pmkv_close().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "crash.h"
#include "internal.h"
#include "check.h"
#include "segment.h"
#include "harness.h"

struct cw_totals cw_total;

static char dir[256];
static char base_path[300], work_path[300], img_path[300], keep_src[300];
static char rwork_path[300], rimg_path[300];
static unsigned kept;
static uint64_t t_start_ns;

#define VMAX ((256U << 10) + 64)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t cw_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

/* ------------------------------------------------------------------ */
/* keys, values, operations */

size_t cw_key_name(uint32_t id, char *buf)
{
	int n;

	if (id == 0) {
		buf[0] = 'a';	/* a 1-byte key */
		return 1;
	}
	n = sprintf(buf, "k%05u", id);
	/* some long keys, sharing their first 8 bytes with no other */
	if (id % 5 == 3) {
		memset(buf + n, 'x', id % 61);
		n += (int)(id % 61);
	}
	return (size_t)n;
}

/* every 8 bytes depend on key, generation and position */
void cw_value(uint8_t *buf, uint32_t key, uint32_t gen, uint32_t vlen)
{
	uint64_t seed = (uint64_t)key << 32 | gen;

	for (uint32_t j = 0; j < vlen; j += 8) {
		uint64_t x = cw_mix64(seed ^ ((uint64_t)j << 20));

		memcpy(buf + j, &x, vlen - j < 8 ? vlen - j : 8);
	}
}

static long key_id(const void *k, size_t klen, uint32_t nkeys)
{
	const char *s = k;
	char want[80];
	unsigned long id;
	char *end;

	if (klen == 1 && s[0] == 'a')
		return 0;
	if (klen < 6 || klen > 70 || s[0] != 'k')
		return -1;
	memcpy(want, s + 1, 5);
	want[5] = '\0';
	id = strtoul(want, &end, 10);
	if (*end || id == 0 || id >= nkeys)
		return -1;
	if (cw_key_name((uint32_t)id, want) != klen || memcmp(want, s, klen))
		return -1;
	return (long)id;
}

static struct cw_op *list_add(struct cw_list *l)
{
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 64;
		struct cw_op *n = realloc(l->v, c * sizeof(*n));

		if (!n)
			t_error("no memory for %zu operations", c);
		l->v = n;
		l->cap = c;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

void cw_init(struct cw *w, const char *name, uint64_t pool_size,
	     uint32_t nkeys)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->pool_size = pool_size;
	w->nkeys = nkeys;
	w->next_gen = 1;
	w->cur = &w->setup;
}

static void list_free(struct cw_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].sub);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void cw_free(struct cw *w)
{
	list_free(&w->setup);
	list_free(&w->ops);
}

void cw_truncate(struct cw *w, size_t n)
{
	for (size_t i = n; i < w->ops.n; i++)
		free(w->ops.v[i].sub);
	if (n < w->ops.n)
		w->ops.n = n;
}

void cw_phase_setup(struct cw *w, bool setup)
{
	w->cur = setup ? &w->setup : &w->ops;
}

static void check_key(const struct cw *w, uint32_t key, uint32_t vlen)
{
	if (key >= w->nkeys || vlen > VMAX - 64)
		t_error("%s: key %u or value of %u bytes out of range", w->name,
			key, vlen);
}

void cw_put(struct cw *w, uint32_t key, uint32_t vlen)
{
	struct cw_op *op;

	check_key(w, key, vlen);
	op = list_add(w->cur);
	op->kind = CW_PUT;
	op->key = key;
	op->vlen = vlen;
	op->gen = w->next_gen++;
}

void cw_del(struct cw *w, uint32_t key)
{
	struct cw_op *op;

	check_key(w, key, 0);
	op = list_add(w->cur);
	op->kind = CW_DEL;
	op->key = key;
	op->gen = w->next_gen++;
}

void cw_batch_begin(struct cw *w)
{
	w->batch = list_add(w->cur);
	w->batch->kind = CW_BATCH;
	w->batch->gen = w->next_gen++;
}

static void batch_add(struct cw *w, bool del, uint32_t key, uint32_t vlen)
{
	struct cw_op *b = w->batch;
	struct cw_sub *n;

	check_key(w, key, vlen);
	n = realloc(b->sub, (b->n + 1) * sizeof(*n));
	if (!n)
		t_error("no memory for a batch");
	b->sub = n;
	b->sub[b->n++] = (struct cw_sub){ del, key, vlen };
}

void cw_batch_put(struct cw *w, uint32_t key, uint32_t vlen)
{
	batch_add(w, false, key, vlen);
}

void cw_batch_del(struct cw *w, uint32_t key)
{
	batch_add(w, true, key, 0);
}

void cw_batch_end(struct cw *w)
{
	w->batch = NULL;
}

static void op_desc(const struct cw_op *op, char *buf, size_t n)
{
	switch (op->kind) {
	case CW_PUT:
		snprintf(buf, n, "put key %u gen %u, %u B", op->key, op->gen,
			 op->vlen);
		break;
	case CW_DEL:
		snprintf(buf, n, "delete key %u", op->key);
		break;
	case CW_BATCH:
		snprintf(buf, n, "batch of %u (gen %u)", op->n, op->gen);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* the model: per key, the generation and length of its value; gen 0 is
 * absent */

struct kst {
	uint32_t gen, vlen;
};

static void model_apply(struct kst *m, const struct cw_op *op)
{
	switch (op->kind) {
	case CW_PUT:
		m[op->key] = (struct kst){ op->gen, op->vlen };
		break;
	case CW_DEL:
		m[op->key].gen = 0;
		break;
	case CW_BATCH:
		/* in order: a later operation on a key replaces an earlier */
		for (uint32_t i = 0; i < op->n; i++) {
			const struct cw_sub *s = &op->sub[i];

			if (s->del)
				m[s->key].gen = 0;
			else
				m[s->key] = (struct kst){ op->gen, s->vlen };
		}
		break;
	}
}

static int op_exec(struct pmkv *kv, const struct cw_op *op)
{
	static uint8_t *vbuf;
	struct pmkv_batch *b;
	char k[80];
	size_t klen;
	int rc;

	if (!vbuf && !(vbuf = malloc(VMAX)))
		return -ENOMEM;
	switch (op->kind) {
	case CW_PUT:
		klen = cw_key_name(op->key, k);
		cw_value(vbuf, op->key, op->gen, op->vlen);
		return pmkv_put(kv, k, klen, vbuf, op->vlen);
	case CW_DEL:
		klen = cw_key_name(op->key, k);
		rc = pmkv_delete(kv, k, klen);
		return rc == -ENOENT ? 0 : rc;
	case CW_BATCH:
		rc = pmkv_batch_new(kv, &b);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < op->n && !rc; i++) {
			const struct cw_sub *s = &op->sub[i];

			klen = cw_key_name(s->key, k);
			if (s->del) {
				rc = pmkv_batch_delete(b, k, klen);
			} else {
				cw_value(vbuf, s->key, op->gen, s->vlen);
				rc = pmkv_batch_put(b, k, klen, vbuf, s->vlen);
			}
		}
		if (!rc)
			rc = pmkv_batch_commit(b);
		pmkv_batch_free(&b);
		return rc;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* files and processes */

static int copy_file(const char *src, const char *dst)
{
	static uint8_t buf[1 << 20];
	int in, out, rc = 0;
	uint64_t total = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	/* in place, then cut: tmpfs keeps the pages of the last copy */
	out = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
		total += (uint64_t)n;
	}
	if (n < 0)
		rc = -errno;
	if (!rc && ftruncate(out, (off_t)total))
		rc = -errno;
	close(in);
	if (close(out) && !rc)
		rc = -errno;
	return rc;
}

pid_t cw_fork(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	return pid;
}

/* 0 when the child exited 0; otherwise a description in buf */
int cw_reap(pid_t pid, char *buf, size_t n)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			t_error("waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, n, "exit status %d", WEXITSTATUS(st));
	return WIFSIGNALED(st) ? -1 : WEXITSTATUS(st);
}

static struct pmkv_config *open_cfg(bool create, uint64_t size)
{
	struct pmkv_config *cfg = NULL;

	if (!create)
		return NULL;
	if (pmkv_config_new(&cfg) || pmkv_config_set_flags(cfg, PMKV_F_CREATE) ||
	    pmkv_config_set_size(cfg, size))
		return NULL;
	return cfg;
}

/* the setup child: the pool the workload starts from */
static void build_base(const struct cw *w)
{
	char why[128];
	pid_t pid;

	unlink(base_path);
	if (w->create)
		return;
	pid = cw_fork();
	if (pid == 0) {
		struct pmkv_config *cfg = open_cfg(true, w->pool_size);
		struct pmkv *kv;
		int rc;

		rc = pmkv_open(base_path, cfg, &kv);
		if (rc) {
			fprintf(stderr, "setup: pmkv_open: %s: %s\n",
				pmkv_strerror(rc), pmkv_errormsg());
			_exit(T_EXIT_ERROR);
		}
		for (size_t i = 0; i < w->setup.n; i++) {
			rc = op_exec(kv, &w->setup.v[i]);
			if (rc) {
				fprintf(stderr, "setup: operation %zu: %s: %s\n",
					i, pmkv_strerror(rc), pmkv_errormsg());
				_exit(T_EXIT_ERROR);
			}
		}
		pmkv_close(&kv);
		_exit(0);
	}
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: building the pool failed: %s", w->name, why);
}

long cw_probe_gc(struct cw *w)
{
	int fds[2];
	long idx = -1;
	char why[128];
	pid_t pid;

	build_base(w);
	if (pipe(fds))
		t_error("pipe: %s", strerror(errno));
	pid = cw_fork();
	if (pid == 0) {
		struct pmkv_stats st;
		struct pmkv *kv;
		uint64_t gc0;

		close(fds[0]);
		if (copy_file(base_path, work_path) ||
		    pmkv_open(work_path, NULL, &kv))
			_exit(T_EXIT_ERROR);
		pmkv_get_stats(kv, &st, sizeof(st));
		gc0 = st.gc_bytes_copied;
		for (size_t i = 0; i < w->ops.n; i++) {
			if (op_exec(kv, &w->ops.v[i]))
				_exit(T_EXIT_ERROR);
			pmkv_get_stats(kv, &st, sizeof(st));
			if (st.gc_bytes_copied > gc0) {
				idx = (long)i;
				break;
			}
		}
		pmkv_close(&kv);
		if (write(fds[1], &idx, sizeof(idx)) != sizeof(idx))
			_exit(T_EXIT_ERROR);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &idx, sizeof(idx)) != sizeof(idx))
		idx = -1;
	close(fds[0]);
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: probing for reclamation failed: %s", w->name, why);
	return idx;
}

void cw_reclaim(struct cw *w, const char *name, uint32_t nkeys)
{
	long first;

	cw_init(w, name, 16ULL << 20, nkeys);
	cw_phase_setup(w, true);
	for (uint32_t k = 0; k < nkeys; k++)
		cw_put(w, k, 4096);
	/*
	 * Random overwrites leave every segment partly live, so a victim
	 * has records to copy forward; a delete now and then leaves
	 * tombstones to copy or drop.
	 */
	for (uint32_t i = 0; i < 4000; i++) {
		uint32_t k = (uint32_t)((i * 2654435761ULL) >> 7) % nkeys;

		if (i == 3000)
			cw_phase_setup(w, false);
		if (i % 13 == 5)
			cw_del(w, k);
		else
			cw_put(w, k, i % 17 ? 4096 : 100);
	}
	first = cw_probe_gc(w);
	if (first < 0)
		t_error("%s: no reclamation copied anything in %zu operations after reopen",
			name, w->ops.n);
	t_info("%s: reclamation copies records during operation %ld after reopen",
	       name, first + 1);
	cw_truncate(w, (size_t)first + 3);
	w->expect_gc = true;
}

/* ------------------------------------------------------------------ */
/* the verifier */

enum { V_BEFORE = 1, V_AFTER = 2, V_BOTH = 3, V_VIOLATION = 4 };

struct vres {
	int status;
	char msg[1024];
};

static struct vres *vres;	/* shared with the verifier */

static void vfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vfail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vres->msg, sizeof(vres->msg), fmt, ap);
	va_end(ap);
	vres->status = V_VIOLATION;
	_exit(0);
}

static const char *kst_str(const struct kst *s, char *buf, size_t n)
{
	if (!s->gen)
		snprintf(buf, n, "absent");
	else
		snprintf(buf, n, "gen %u, %u B", s->gen, s->vlen);
	return buf;
}

static bool value_is(const void *v, size_t vlen, uint32_t key,
		     const struct kst *s, uint8_t *tmp)
{
	if (!s->gen || s->vlen != vlen)
		return false;
	cw_value(tmp, key, s->gen, s->vlen);
	return memcmp(v, tmp, vlen) == 0;
}

/* the generation of the probe's overwrite of key 0: no workload's */
#define PROBE_GEN 0xfffffff0U

/*
 * Judge one image in a child: exits 0 with vres filled in, or through
 * vfail() with a violation.
 */
static void v_check(const char *path, bool create, uint64_t size,
		    const struct kst *b, const struct kst *a, uint32_t nkeys,
		    bool reopen)
{
	struct pmkv_config *cfg = open_cfg(create, size);
	uint8_t *tmp = malloc(VMAX), *got = malloc(VMAX);
	bool *seen = calloc(nkeys, sizeof(bool));
	bool *mb = calloc(nkeys, sizeof(bool));
	bool *ma = calloc(nkeys, sizeof(bool));
	bool allb = true, alla = true;
	long badb = -1, bada = -1;
	struct pmkv_iter *it;
	struct pmkv *kv;
	char s1[64], s2[64];
	int rc;

	if (!tmp || !got || !seen || !mb || !ma || (create && !cfg))
		_exit(T_EXIT_ERROR);
	alarm(120);
	rc = pmkv_open(path, cfg, &kv);
	if (rc)
		vfail("pmkv_open: %s: %s", pmkv_strerror(rc), pmkv_errormsg());
	rc = check_run(kv);
	if (rc)
		vfail("check_run after open: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());

	/* every key the pool holds, in order */
	rc = pmkv_iter_new(kv, &it);
	if (rc)
		_exit(T_EXIT_ERROR);
	for (rc = pmkv_iter_seek(it, NULL, 0); rc == 0; rc = pmkv_iter_next(it)) {
		const void *k, *v;
		size_t klen, vlen;
		long id;

		pmkv_iter_key(it, &k, &klen);
		pmkv_iter_value(it, &v, &vlen);
		id = key_id(k, klen, nkeys);
		if (id < 0)
			vfail("a key the workload never wrote: \"%.*s\" (%zu bytes)",
			      (int)(klen < 40 ? klen : 40), (const char *)k, klen);
		if (seen[id])
			vfail("key %ld comes twice from the iterator", id);
		seen[id] = true;
		mb[id] = value_is(v, vlen, (uint32_t)id, &b[id], tmp);
		ma[id] = value_is(v, vlen, (uint32_t)id, &a[id], tmp);
	}
	if (rc != -ENOENT)
		vfail("iterating: %s: %s", pmkv_strerror(rc), pmkv_errormsg());
	pmkv_iter_free(&it);

	for (uint32_t id = 0; id < nkeys; id++) {
		char k[80];
		size_t klen = cw_key_name(id, k), vlen = 0;

		if (!seen[id]) {
			mb[id] = b[id].gen == 0;
			ma[id] = a[id].gen == 0;
		}
		/* the index agrees with the iterator */
		rc = pmkv_get(kv, k, klen, got, VMAX, &vlen);
		if (rc != (seen[id] ? 0 : -ENOENT))
			vfail("key %u: pmkv_get says %s, the iterator %s", id,
			      pmkv_strerror(rc), seen[id] ? "present" : "absent");
		if (!rc && !value_is(got, vlen, id, mb[id] ? &b[id] : &a[id], tmp) &&
		    (mb[id] || ma[id]))
			vfail("key %u: pmkv_get and the iterator disagree", id);
		if (!mb[id] && badb < 0)
			badb = id;
		if (!ma[id] && bada < 0)
			bada = id;
		allb &= mb[id];
		alla &= ma[id];
	}
	if (!allb && !alla) {
		long id = badb;

		vfail("neither the state before the operation nor after it: key %ld is %s before, %s after, and in the pool %s%s",
		      id, kst_str(&b[id], s1, sizeof(s1)),
		      kst_str(&a[id], s2, sizeof(s2)),
		      seen[id] ? "holds another value" : "absent",
		      bada != badb ? " (and other keys differ from after)" : "");
	}
	vres->status = allb && alla ? V_BOTH : allb ? V_BEFORE : V_AFTER;

	/*
	 * Usable: a new key and an overwrite (appended after the last valid
	 * record of the segment recovery hands the writer, next to whatever
	 * torn bytes the crash left), the invariants after them, and with
	 * reopen, both still there after a close and an open.
	 */
	cw_value(got, 0, PROBE_GEN, 64);
	rc = pmkv_put(kv, "zz-probe", 8, "after the crash", 15);
	if (!rc)
		rc = pmkv_put(kv, "a", 1, got, 64);
	if (rc)
		vfail("a put after recovery: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());
	rc = check_run(kv);
	if (rc)
		vfail("check_run after a put: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());
	pmkv_close(&kv);
	if (reopen) {
		size_t vlen = 0;

		rc = pmkv_open(path, NULL, &kv);
		if (rc)
			vfail("reopen after recovery and two puts: %s: %s",
			      pmkv_strerror(rc), pmkv_errormsg());
		rc = check_run(kv);
		if (rc)
			vfail("check_run after the reopen: %s: %s",
			      pmkv_strerror(rc), pmkv_errormsg());
		rc = pmkv_get(kv, "zz-probe", 8, got, VMAX, &vlen);
		if (rc || vlen != 15 || memcmp(got, "after the crash", 15))
			vfail("the put after recovery is lost at the next open: %s",
			      pmkv_strerror(rc));
		cw_value(tmp, 0, PROBE_GEN, 64);
		rc = pmkv_get(kv, "a", 1, got, VMAX, &vlen);
		if (rc || vlen != 64 || memcmp(got, tmp, 64))
			vfail("the overwrite after recovery is lost at the next open: %s",
			      pmkv_strerror(rc));
		pmkv_close(&kv);
	}
	_exit(0);
}

/* 0, or a violation described in vres->msg */
static int verify(const char *path, bool create, uint64_t size,
		  const struct kst *b, const struct kst *a, uint32_t nkeys,
		  bool reopen)
{
	char why[128];
	pid_t pid;
	int rc;

	memset(vres, 0, sizeof(*vres));
	pid = cw_fork();
	if (pid == 0)
		v_check(path, create, size, b, a, nkeys, reopen);
	rc = cw_reap(pid, why, sizeof(why));
	if (rc < 0) {
		snprintf(vres->msg, sizeof(vres->msg), "the verifier was %s",
			 why);
		vres->status = V_VIOLATION;
	} else if (rc) {
		t_error("verifier failed: %s", why);
	}
	return vres->status == V_VIOLATION ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* the workload child */

enum { M_POINT, M_IMAGE, M_DONE, M_ERROR };

struct wmsg {
	uint32_t type;
	uint32_t started, returned;	/* operations, numbered as above */
	uint32_t mode;
	uint64_t point;
	uint64_t seed;
	int32_t img_rc;
	uint8_t own;
	uint32_t ranges;	/* M_POINT: what the fence makes durable */
	uint64_t bytes;
	char site[48];
	/* M_DONE */
	struct crash_stats st;
	int64_t unpersisted;
	uint64_t first_unpersisted;
	int64_t own_unpersisted;	/* in pmkv's superblock and records */
	uint64_t first_own_unpersisted;
	uint64_t gc_runs;
	char err[200];
};
_Static_assert(sizeof(struct wmsg) < 4096, "one atomic pipe write");

struct plan {
	uint8_t *at;		/* per point: 1 to image it */
	uint64_t n;		/* points 1 .. n (n: the final one) */
	unsigned evict;
	uint64_t seed;
};

static struct {
	int msg_fd, ack_fd;
	const struct plan *plan;	/* NULL: count only */
	const char *img;
	uint32_t started, returned;
} W;

static void w_send(const struct wmsg *m)
{
	if (write(W.msg_fd, m, sizeof(*m)) != sizeof(*m))
		_exit(T_EXIT_ERROR);
}

static void w_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void w_fail(const char *fmt, ...)
{
	struct wmsg m = { .type = M_ERROR };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.err, sizeof(m.err), fmt, ap);
	va_end(ap);
	w_send(&m);
	_exit(T_EXIT_ERROR);
}

static uint64_t image_seed(const struct plan *p, uint64_t point, unsigned i)
{
	return cw_mix64(p->seed ^ cw_mix64(point * 64 + i));
}

/* the images of one point, each judged by P before W goes on */
static void w_images(uint64_t point, const struct crash_point *cp)
{
	const struct plan *p = W.plan;

	if (!p || point > p->n || !p->at[point])
		return;
	for (unsigned i = 0; i <= p->evict; i++) {
		struct wmsg m = {
			.type = M_IMAGE, .started = W.started,
			.returned = W.returned, .point = point,
			.mode = i ? CRASH_IMAGE_EVICT : CRASH_IMAGE_STRICT,
			.seed = image_seed(p, point, i),
			.own = cp ? cp->own : 0,
		};
		char ack;

		snprintf(m.site, sizeof(m.site), "%s", cp ? cp->site : "end");
		m.img_rc = crash_rec_image(W.img, m.mode, m.seed);
		if (m.img_rc && m.img_rc != -ENOENT)
			w_fail("writing the image: %s", strerror(-m.img_rc));
		w_send(&m);
		if (read(W.ack_fd, &ack, 1) != 1)
			_exit(T_EXIT_ERROR);
	}
}

static void w_hook(void *arg, const struct crash_point *cp)
{
	(void)arg;
	if (!W.plan) {
		struct wmsg m = {
			.type = M_POINT, .started = W.started,
			.returned = W.returned, .point = cp->n, .own = cp->own,
			.ranges = cp->ranges, .bytes = cp->bytes,
		};

		snprintf(m.site, sizeof(m.site), "%s", cp->site);
		w_send(&m);
		return;
	}
	w_images(cp->n, cp);
}

struct job {
	char label[128];
	const struct cw *w;	/* its operations */
	const char *src;	/* the pool it starts from; NULL: none */
	const char *work, *img;
	bool create;
	uint64_t size;
	uint32_t nkeys;
	const struct kst *start;	/* the state the workload starts from */
	unsigned depth;
};

static void w_main(const struct job *j)
{
	static uint64_t own[1024][2];
	unsigned nown;
	struct pmkv_config *cfg = open_cfg(j->create, j->size);
	size_t nops = j->w->ops.n;
	struct wmsg done = { .type = M_DONE };
	struct pmkv_stats st;
	struct pmkv *kv;
	int rc;

	if (!j->src)
		unlink(j->work);
	else if ((rc = copy_file(j->src, j->work)))
		w_fail("copying %s: %s", j->src, strerror(-rc));
	rc = crash_rec_start(j->work, w_hook, NULL);
	if (rc)
		w_fail("crash_rec_start: %s", strerror(-rc));

	W.started = 1;
	rc = pmkv_open(j->work, cfg, &kv);
	if (rc)
		w_fail("pmkv_open: %s: %s", pmkv_strerror(rc), pmkv_errormsg());
	W.returned = 1;
	pmkv_get_stats(kv, &st, sizeof(st));
	done.gc_runs = st.gc_runs;
	for (size_t i = 0; i < nops; i++) {
		W.started = (uint32_t)i + 2;
		rc = op_exec(kv, &j->w->ops.v[i]);
		if (rc)
			w_fail("operation %zu: %s: %s", i, pmkv_strerror(rc),
			       pmkv_errormsg());
		W.returned = (uint32_t)i + 2;
	}
	pmkv_get_stats(kv, &st, sizeof(st));
	done.gc_runs = st.gc_runs - done.gc_runs;
	/* what pmkv wrote: its superblock, and each segment up to its end */
	nown = 0;
	own[nown][0] = kv_off(kv, kv->sb);
	own[nown++][1] = sizeof(struct pmkv_super);
	for (uint32_t i = 0; i < kv->nsegs_max && nown < 1024; i++)
		if (kv->segs[i]) {
			own[nown][0] = kv->segs[i]->off;
			own[nown++][1] = kv->segs[i]->used;
		}
	W.started = (uint32_t)nops + 2;
	pmkv_close(&kv);
	W.returned = (uint32_t)nops + 2;
	crash_rec_get_stats(&done.st);
	crash_rec_stop();
	/* after the last fence: what the workload leaves when it is done */
	w_images(done.st.points + 1, NULL);
	done.unpersisted = crash_rec_unpersisted(0, UINT64_MAX,
						 &done.first_unpersisted);
	for (unsigned i = 0; i < nown; i++) {
		uint64_t first = 0;
		int64_t n = crash_rec_unpersisted(own[i][0], own[i][1], &first);

		if (n > 0 && !done.own_unpersisted)
			done.first_own_unpersisted = first;
		if (n > 0)
			done.own_unpersisted += n;
	}
	w_send(&done);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* the parent: one enumeration (count, plan, images) */

struct pinfo {
	uint32_t started, returned;
	bool own;
	char site[48];
};

struct run {
	const struct job *j;
	const struct cw_opts *o;
	/* the model, for a workload */
	struct kst *model, *after;
	size_t applied;
	struct kst *setup_state;
	/* this enumeration */
	struct pinfo *pts;
	uint64_t npts;
	uint64_t images, violations, recovery_left;
	uint8_t *recovery_at;	/* per point: crash the reopen of its image */
	struct wmsg done;
};

static void run_enum(const struct job *j, const struct cw_opts *o,
		     struct run *r);

static pid_t spawn_w(const struct job *j, const struct plan *p, int *msg_fd,
		     int *ack_fd)
{
	int m[2], a[2];
	pid_t pid;

	if (pipe(m) || pipe(a))
		t_error("pipe: %s", strerror(errno));
	pid = cw_fork();
	if (pid == 0) {
		close(m[0]);
		close(a[1]);
		W.msg_fd = m[1];
		W.ack_fd = a[0];
		W.plan = p;
		W.img = j->img;
		W.started = W.returned = 0;
		w_main(j);
	}
	close(m[1]);
	close(a[0]);
	*msg_fd = m[0];
	*ack_fd = a[1];
	return pid;
}

static bool read_msg(int fd, struct wmsg *m)
{
	ssize_t n = read(fd, m, sizeof(*m));

	if (n == 0)
		return false;
	if (n != sizeof(*m))
		t_error("short message from the workload (%zd bytes)", n);
	return true;
}

/* the states before and after the operation in flight */
static void expected(struct run *r, const struct wmsg *m,
		     const struct kst **b, const struct kst **a)
{
	const struct job *j = r->j;
	size_t nops = j->w->ops.n;
	size_t done = m->returned >= 1 ? m->returned - 1 : 0;

	if (done > nops)
		done = nops;
	if (done < r->applied)
		t_error("%s: messages out of order", j->label);
	while (r->applied < done)
		model_apply(r->model, &j->w->ops.v[r->applied++]);
	memcpy(r->after, r->model, j->nkeys * sizeof(struct kst));
	if (m->started > m->returned && m->started >= 2 &&
	    m->started - 2 < nops)
		model_apply(r->after, &j->w->ops.v[m->started - 2]);
	*b = r->model;
	*a = r->after;
}

static const char *inflight(const struct run *r, const struct wmsg *m,
			    char *buf, size_t n)
{
	const struct job *j = r->j;
	size_t nops = j->w->ops.n;
	char d[96];

	if (m->started == m->returned) {
		snprintf(buf, n, "%u operations returned, none in flight",
			 m->returned);
		return buf;
	}
	if (m->started == 1)
		snprintf(d, sizeof(d), "pmkv_open");
	else if (m->started == nops + 2)
		snprintf(d, sizeof(d), "pmkv_close");
	else
		op_desc(&j->w->ops.v[m->started - 2], d, sizeof(d));
	snprintf(buf, n, "operation %u (%s) in flight", m->started, d);
	return buf;
}

static void keep_image(const struct run *r, const struct wmsg *m)
{
	char dst[512];

	if (!r->o->keep || kept >= 20 || m->img_rc)
		return;
	snprintf(dst, sizeof(dst), "%s/%s-p%llu-%s%llx.pool", r->o->keep,
		 r->j->label, (unsigned long long)m->point,
		 m->mode ? "evict-" : "strict", m->mode ?
		 (unsigned long long)m->seed : 0ULL);
	for (char *c = dst + strlen(r->o->keep) + 1; *c; c++)
		if (*c == '/')
			*c = '_';
	if (copy_file(r->j->img, dst) == 0) {
		t_info("  kept the image as %s", dst);
		kept++;
	}
}

static void on_image(struct run *r, const struct wmsg *m)
{
	const struct job *j = r->j;
	const struct kst *b, *a;
	bool recover = !m->mode && m->point <= r->npts + 1 &&
		       r->recovery_at && r->recovery_at[m->point];
	char buf[160];

	expected(r, m, &b, &a);
	r->images++;
	if (j->depth)
		cw_total.recovery_images++;
	else if (m->mode)
		cw_total.evict_images++;
	cw_total.images++;
	if (recover && !m->img_rc && copy_file(j->img, keep_src))
		t_error("copying the image: %s", strerror(errno));
	/* strict images of the workload also reopen after the probe */
	if (verify(j->img, j->create, j->size, b, a, j->nkeys,
		   !m->mode && !j->depth) == 0) {
		struct job rj;
		struct run rr;
		struct cw after;

		if (!recover || m->img_rc)
			return;
		/*
		 * Crash the reopen of this image at each of its points, and
		 * the first writes after it: two puts that append after the
		 * last valid record recovery found, next to what the crash
		 * left. The state the reopen found must hold throughout.
		 */
		cw_init(&after, "after", j->size, j->nkeys);
		cw_phase_setup(&after, false);
		after.next_gen = 0xffff0001U;
		cw_put(&after, 0, 64);
		cw_put(&after, j->nkeys - 1, 4096);
		rj = (struct job){
			.w = &after, .src = keep_src,
			.work = rwork_path, .img = rimg_path,
			.create = j->create, .size = j->size, .nkeys = j->nkeys,
			.start = vres->status == V_AFTER ? a : b,
			.depth = j->depth + 1,
		};
		snprintf(rj.label, sizeof(rj.label), "%.96s/reopen@%llu", j->label,
			 (unsigned long long)m->point);
		memset(&rr, 0, sizeof(rr));
		run_enum(&rj, r->o, &rr);
		r->violations += rr.violations;
		cw_free(&after);
		return;
	}
	r->violations++;
	cw_total.violations++;
	if (r->o->max_reports && r->violations > r->o->max_reports) {
		if (r->violations == r->o->max_reports + 1)
			t_info("%s: more violations, not shown", j->label);
		return;
	}
	printf("# VIOLATION %s: point %llu of %llu, %s fence at %s, %s, %s image",
	       j->label, (unsigned long long)m->point,
	       (unsigned long long)r->npts + 1,
	       m->point > r->npts ? "after the last" :
	       m->own ? "before pmkv's" : "before libpmemobj's", m->site,
	       inflight(r, m, buf, sizeof(buf)),
	       m->mode ? "evicted" : "strict");
	if (m->mode)
		printf(" (seed %#llx)", (unsigned long long)m->seed);
	if (m->img_rc == -ENOENT)
		printf(" (no file yet)");
	printf(":\n#   %s\n", vres->msg);
	keep_image(r, m);
	fflush(stdout);
}

/*
 * Which points get images: all when there are at most k. Otherwise the
 * first and the last, then every point of the operations that have many
 * (6 or more: segment allocation, reclamation; up to half of k), then a
 * seeded sample of the rest.
 */
static void choose(uint8_t *at, uint64_t n, uint64_t k, uint64_t seed,
		   const struct pinfo *pts)
{
	uint64_t s = seed, left, per = 0, have = 0;

	if (n <= k) {
		memset(at + 1, 1, n);
		return;
	}
	if (k < 2)
		k = 2;
	at[1] = at[n] = 1;
	have = 2;
	/* runs of points with the same operation in flight */
	for (uint64_t i = 0, run = 0; i < n - 1; i++) {
		bool end = i + 2 == n || pts[i + 1].started != pts[i].started ||
			   pts[i + 1].returned != pts[i].returned;

		run++;
		if (!end)
			continue;
		/* points i + 2 - run .. i + 1 */
		if (run >= 6 && pts[i].started > pts[i].returned)
			for (uint64_t q = i + 2 - run; q <= i + 1 && have < k / 2; q++)
				if (!at[q]) {
					at[q] = 1;
					have++;
				}
		run = 0;
	}
	/* the rest: a uniform sample of what is not chosen yet */
	left = k - have;
	for (uint64_t i = 2; i < n; i++)
		per += !at[i];
	for (uint64_t i = 2; i < n && left; i++) {
		if (at[i])
			continue;
		if (cw_mix64(s += 0x9e3779b97f4a7c15ULL) % per < left) {
			at[i] = 1;
			left--;
		}
		per--;
	}
}

static void run_enum(const struct job *j, const struct cw_opts *o,
		     struct run *r)
{
	uint64_t seed = cw_mix64(o->seed ^ hash_str(j->label));
	struct plan p = { .evict = o->evict, .seed = seed };
	int mfd, afd;
	struct wmsg m;
	uint64_t cap = 0;
	char why[128];
	pid_t pid;

	r->j = j;
	r->o = o;

	/* pass 1: count the points */
	pid = spawn_w(j, NULL, &mfd, &afd);
	while (read_msg(mfd, &m)) {
		if (m.type == M_ERROR)
			t_error("%s: the workload failed: %s", j->label, m.err);
		if (m.type == M_DONE) {
			r->done = m;
			continue;
		}
		if (r->npts == cap) {
			struct pinfo *n;

			cap = cap ? cap * 2 : 256;
			n = realloc(r->pts, cap * sizeof(*n));
			if (!n)
				t_error("no memory for %llu points",
					(unsigned long long)cap);
			r->pts = n;
		}
		r->pts[r->npts++] = (struct pinfo){
			m.started, m.returned, m.own, { 0 } };
		snprintf(r->pts[r->npts - 1].site, sizeof(m.site), "%s", m.site);
		if (o->verbose && !j->depth)
			t_info("%s: point %llu: %s fence at %s, %u ranges of %llu bytes, operation %u started, %u returned",
			       j->label, (unsigned long long)m.point,
			       m.own ? "pmkv" : "libpmemobj", m.site, m.ranges,
			       (unsigned long long)m.bytes, m.started, m.returned);
	}
	close(mfd);
	close(afd);
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: the counting run %s", j->label, why);
	if (r->done.own_unpersisted) {
		r->violations++;
		cw_total.violations++;
		printf("# VIOLATION %s: %lld bytes of pmkv's superblock and records were stored and never flushed and fenced (the first at pool offset %llu)\n",
		       j->label, (long long)r->done.own_unpersisted,
		       (unsigned long long)r->done.first_own_unpersisted);
	}
	if (r->done.type != M_DONE || r->done.st.points != r->npts)
		t_error("%s: the counting run reported %llu points, sent %llu",
			j->label, (unsigned long long)r->done.st.points,
			(unsigned long long)r->npts);
	cw_total.points += r->npts;
	cw_total.own_points += r->done.st.own_points;

	/* the plan: which points get images, whose reopen is crashed */
	p.n = r->npts + 1;
	p.at = calloc(p.n + 1, 1);
	r->recovery_at = calloc(p.n + 1, 1);
	if (!p.at || !r->recovery_at)
		t_error("no memory for a plan of %llu points",
			(unsigned long long)p.n);
	if (o->only_point && !j->depth) {
		if (o->only_point <= p.n)
			p.at[o->only_point] = 1;
	} else {
		choose(p.at, p.n, j->depth ? p.n : o->images ? o->images : p.n,
		       seed, r->pts);
	}
	if (!j->depth && o->recovery) {
		uint64_t planned = 0, need;

		for (uint64_t i = 1; i <= p.n; i++)
			planned += p.at[i];
		need = o->recovery < planned ? o->recovery : planned;
		/* a seeded sample of exactly need of the planned points */
		for (uint64_t i = 1; i <= p.n && need; i++) {
			if (!p.at[i])
				continue;
			if (cw_mix64(seed ^ (i * 0x9e3779b97f4a7c15ULL)) % planned < need) {
				r->recovery_at[i] = 1;
				need--;
			}
			planned--;
		}
	}

	if (!j->depth && j->w->reopen_closed && p.at[p.n])
		r->recovery_at[p.n] = 1;

	/* pass 2: images, judged as they come */
	r->model = malloc(j->nkeys * sizeof(struct kst));
	r->after = malloc(j->nkeys * sizeof(struct kst));
	if (!r->model || !r->after)
		t_error("no memory for the model");
	memcpy(r->model, j->start, j->nkeys * sizeof(struct kst));
	r->applied = 0;
	pid = spawn_w(j, &p, &mfd, &afd);
	while (read_msg(mfd, &m)) {
		char ack = 1;

		if (m.type == M_ERROR)
			t_error("%s: the workload failed: %s", j->label, m.err);
		if (m.type == M_DONE) {
			if (m.st.points != r->npts)
				t_error("%s: %llu points this time, %llu before: the workload is not deterministic",
					j->label, (unsigned long long)m.st.points,
					(unsigned long long)r->npts);
			continue;
		}
		on_image(r, &m);
		if (write(afd, &ack, 1) != 1)
			t_error("%s: the workload went away", j->label);
	}
	close(mfd);
	close(afd);
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: the imaging run %s", j->label, why);
	free(p.at);
	free(r->recovery_at);
	free(r->model);
	free(r->after);
	free(r->pts);
	r->recovery_at = NULL;
	r->model = r->after = NULL;
	r->pts = NULL;
}

void cw_run(struct cw *w, const struct cw_opts *o)
{
	uint64_t t0 = now_ns(), rec0 = cw_total.recovery_images;
	struct kst *start;
	struct job j;
	struct run r;

	if (o->only && strcmp(o->only, w->name))
		return;
	cw_total.workloads++;
	start = calloc(w->nkeys, sizeof(*start));
	if (!start)
		t_error("no memory for the model");
	for (size_t i = 0; i < w->setup.n; i++)
		model_apply(start, &w->setup.v[i]);
	build_base(w);

	j = (struct job){
		.w = w, .src = w->create ? NULL : base_path,
		.work = work_path, .img = img_path, .create = w->create,
		.size = w->pool_size, .nkeys = w->nkeys, .start = start,
	};
	snprintf(j.label, sizeof(j.label), "%s", w->name);
	memset(&r, 0, sizeof(r));
	run_enum(&j, o, &r);
	if (w->expect_gc && r.done.gc_runs == 0)
		t_error("%s: reclamation did not run during the workload",
			w->name);

	t_info("%s: %zu operations on %zu set up; %llu points (%llu pmkv, %llu libpmemobj); %llu images, %llu of reopens; %llu violations; %s%lld bytes unpersisted at close; %.1f s",
	       w->name, w->ops.n, w->setup.n,
	       (unsigned long long)r.done.st.points,
	       (unsigned long long)r.done.st.own_points,
	       (unsigned long long)(r.done.st.points - r.done.st.own_points),
	       (unsigned long long)r.images,
	       (unsigned long long)(cw_total.recovery_images - rec0),
	       (unsigned long long)r.violations,
	       r.done.gc_runs ? "reclamation ran, " : "",
	       (long long)r.done.unpersisted, (now_ns() - t0) / 1e9);
	if (r.done.st.dropped_at)
		t_info("%s: PMKV_CRASH_DROP dropped %s %llu, at %s",
		       w->name, getenv("PMKV_CRASH_DROP"),
		       (unsigned long long)r.done.st.dropped_at,
		       r.done.st.dropped_site);
	else if (getenv("PMKV_CRASH_DROP"))
		t_info("%s: PMKV_CRASH_DROP=%s matched nothing", w->name,
		       getenv("PMKV_CRASH_DROP"));
	if (r.done.unpersisted > 0 && o->verbose)
		t_info("%s: first unpersisted byte at offset %llu", w->name,
		       (unsigned long long)r.done.first_unpersisted);
	free(start);
}

/* ------------------------------------------------------------------ */
/* options, start and end */

void cw_opts_parse(struct cw_opts *o, int argc, char **argv)
{
	const char *env = getenv("PMKV_CRASH_SEED");

	*o = (struct cw_opts){ .seed = 1, .images = 150, .evict = 1,
			       .recovery = 2 };
	if (env)
		o->seed = strtoull(env, NULL, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-v")) {
			o->verbose = true;
			continue;
		}
		if (!strcmp(a, "--msync")) {
			o->msync = true;	/* cw_begin() acted on it */
			continue;
		}
		if (!strcmp(a, "--expect-violations")) {
			o->expect_violations = true;
			continue;
		}
		if (!v)
			t_error("%s needs a value", a);
		i++;
		if (!strcmp(a, "--images"))
			o->images = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--evict"))
			o->evict = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--recovery"))
			o->recovery = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--keep"))
			o->keep = v;
		else if (!strcmp(a, "--only")) {
			char *c = strchr(argv[i], ':');

			if (c) {
				*c = '\0';
				o->only_point = strtoull(c + 1, NULL, 0);
			}
			o->only = argv[i];
		} else
			t_error("unknown option %s (--images N --evict N --recovery N --seed N --only NAME[:POINT] --keep DIR --msync -v --expect-violations)",
				a);
	}
}

static pid_t owner;

/* the work directory and whatever is in it (pools, temporary names) */
static void cleanup(void)
{
	struct dirent *de;
	DIR *d;

	if (getpid() != owner || !dir[0])
		return;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char p[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

void cw_begin(int argc, char **argv, const char *what)
{
	const char *force = getenv("PMEM_IS_PMEM_FORCE"), *want = "1";

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--msync"))
			want = "0";
	if (!force || strcmp(force, want)) {
		/* libpmem decides what is pmem once: set it before it runs */
		setenv("PMEM_IS_PMEM_FORCE", want, 1);
		execv("/proc/self/exe", argv);
		t_error("re-exec with PMEM_IS_PMEM_FORCE=%s: %s", want,
			strerror(errno));
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	owner = getpid();
	snprintf(dir, sizeof(dir), "%s/pmkv-crash-%d", t_tmp_dir(), (int)owner);
	if (mkdir(dir, 0700))
		t_error("mkdir %s: %s", dir, strerror(errno));
	atexit(cleanup);
	snprintf(base_path, sizeof(base_path), "%s/base.pool", dir);
	snprintf(work_path, sizeof(work_path), "%s/work.pool", dir);
	snprintf(img_path, sizeof(img_path), "%s/image.pool", dir);
	snprintf(keep_src, sizeof(keep_src), "%s/image-kept.pool", dir);
	snprintf(rwork_path, sizeof(rwork_path), "%s/reopen-work.pool", dir);
	snprintf(rimg_path, sizeof(rimg_path), "%s/reopen-image.pool", dir);
	vres = mmap(NULL, sizeof(*vres), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vres == MAP_FAILED)
		t_error("mmap: %s", strerror(errno));
	t_start_ns = now_ns();
	t_info("%s%s", what, !strcmp(want, "0") ?
	       ", the pool on msync() (not pmem)" : "");
}

int cw_end(const struct cw_opts *o)
{
	int rc;

	t_info("seed %#llx; %llu workloads, %llu persistence points (%llu pmkv's own); %llu images: %llu strict, %llu evicted, %llu of crashed reopens; %.1f s",
	       (unsigned long long)o->seed,
	       (unsigned long long)cw_total.workloads,
	       (unsigned long long)cw_total.points,
	       (unsigned long long)cw_total.own_points,
	       (unsigned long long)cw_total.images,
	       (unsigned long long)(cw_total.images - cw_total.evict_images -
				    cw_total.recovery_images),
	       (unsigned long long)cw_total.evict_images,
	       (unsigned long long)cw_total.recovery_images,
	       (now_ns() - t_start_ns) / 1e9);
	if (o->expect_violations)
		rc = cw_total.violations ? T_EXIT_PASS : T_EXIT_FAIL;
	else
		rc = cw_total.violations ? T_EXIT_FAIL : T_EXIT_PASS;
	if (!cw_total.workloads)
		rc = T_EXIT_ERROR;
	printf("crash images: %llu, violations: %llu\n",
	       (unsigned long long)cw_total.images,
	       (unsigned long long)cw_total.violations);
	return rc;
}
