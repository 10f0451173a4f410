// SPDX-License-Identifier: BSD-3-Clause
/* bench-xfer.c -- the transfer benchmarks: backup, restore, backup-puts */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* keys restore's check reads from the new store, at most */
#define RESTORE_CHECK_READS 10000ULL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the process's CPU seconds: a transfer's helper threads count too */
static void cpu_now(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* nftw() passes no argument to its callback: one walk at a time a thread */
static __thread uint64_t walk_bytes;

static int add_size(const char *path, const struct stat *sb, int type,
		    struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F)
		walk_bytes += (uint64_t)sb->st_size;
	return 0;
}

/*
 * The page cache of a backup's files goes, so that restore reads them
 * from the disk as a restore after a crash or on another machine would.
 * They were synced: every page is clean and can be dropped.
 */
static int drop_cache(const char *path, const struct stat *sb, int type,
		      struct FTW *ftw)
{
	int fd;

	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return 0;
}

static int remove_one(const char *path, const struct stat *sb, int type,
		      struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

/* the bytes of the files of a backup: a file, or a directory tree */
static uint64_t tree_bytes(const char *path)
{
	walk_bytes = 0;
	nftw(path, add_size, 16, FTW_PHYS);
	return walk_bytes;
}

/* remove a backup; only ever one bench made in its own directory */
static void tree_remove(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* the next backup's path: "<dir>/<engine>-<n><what>" */
static char *next_target(struct bench_xfer_ctx *x,
			 const struct bench_engine *eng, const char *what)
{
	char *s;

	if (asprintf(&s, "%s/%s-%u%s", x->dir, eng->name, ++x->made,
		     what) < 0)
		return NULL;
	return s;
}

/* one timed engine call: wall time and the process's CPU */
struct timed {
	double t0, t1, u0, u1, s0, s1;
};

static void timed_start(struct timed *t)
{
	cpu_now(&t->u0, &t->s0);
	t->t0 = now_s();
}

static void timed_end(struct timed *t)
{
	t->t1 = now_s();
	cpu_now(&t->u1, &t->s1);
}

static void xfer_fill(struct bench_result *res, const struct bench_engine *eng,
		      const struct bench_def *def, const struct timed *t,
		      const struct bench_xfer_report *rep, uint64_t bytes,
		      const char *how)
{
	double gb = (double)bytes / 1e9;

	res->name = def->name;
	res->engine = eng->name;
	res->threads = 1;
	res->ops = 1;
	res->is_xfer = true;
	res->xfer_how = how;
	res->xrep = *rep;
	res->xfer_bytes = bytes;
	res->seconds = t->t1 - t->t0;
	res->expected = -1;
	res->verified = true;
	if (res->seconds > 0)
		res->gb_per_sec = gb / res->seconds;
	if (gb > 0) {
		res->user_s_per_gb = (t->u1 - t->u0) / gb;
		res->sys_s_per_gb = (t->s1 - t->s0) / gb;
	}
}

/*
 * One backup into a new target, timed: x->backup becomes it (the one
 * before is removed: only the latest is restored or kept) and
 * x->backup_st what st says now.
 */
static int do_backup(const struct bench_engine *eng, struct bench_db *db,
		     const struct bench_def *def, struct bench_state *st,
		     struct bench_xfer_ctx *x, struct bench_result *res,
		     char *msg, size_t msglen)
{
	struct bench_xfer_report rep = { 0 };
	struct bench_xfer_conf c = { .queue_depth = x->queue_depth };
	char *target = next_target(x, eng, ".backup");
	struct timed t;
	uint64_t bytes;
	int rc;

	if (!target)
		return -ENOMEM;
	c.target = target;
	timed_start(&t);
	rc = eng->backup(db, &c, &rep, msg, msglen);
	timed_end(&t);
	if (rc) {
		tree_remove(target);
		free(target);
		return rc;
	}
	bytes = rep.bytes ? rep.bytes : tree_bytes(target);
	nftw(target, drop_cache, 16, FTW_PHYS);
	if (x->backup)
		tree_remove(x->backup);
	free(x->backup);
	x->backup = target;
	x->backup_st = *st;
	xfer_fill(res, eng, def, &t, &rep, bytes, eng->backup_how);
	res->target = strdup(target);
	return 0;
}

/*
 * The new store opened, read with a readrandom of up to
 * RESTORE_CHECK_READS keys checked against what the store held at the
 * backup, and closed; res takes what it found.
 */
static int restore_check(const struct bench_engine *eng,
			 const struct bench_params *p,
			 const struct bench_xfer_ctx *x,
			 struct bench_result *res, char *msg, size_t msglen)
{
	struct bench_params vp = *p;
	struct bench_state vst = x->backup_st;
	struct bench_result v;
	struct bench_db *db = NULL;
	double t0 = now_s();
	int rc;

	rc = eng->open(&x->restore, &db, msg, msglen);
	res->open_seconds = now_s() - t0;
	if (rc)
		return rc;
	vp.threads = 1;
	vp.duration = 0;
	vp.progress = false;
	vp.histogram = false;
	vp.reads = p->num < RESTORE_CHECK_READS ? p->num : RESTORE_CHECK_READS;
	rc = bench_run(eng, db, &vp, bench_lookup("readrandom"), &vst, &v,
		       msg, msglen);
	if (!rc) {
		res->has_found = true;
		res->check_reads = v.ops;
		res->found = v.found;
		res->expected = v.expected;
		res->wrong = v.wrong;
		res->verified = v.verified;
	}
	bench_result_fini(&v);
	eng->close(&db);
	return rc;
}

static int do_restore(const struct bench_engine *eng, struct bench_db *db,
		      const struct bench_params *p,
		      const struct bench_def *def, struct bench_state *st,
		      struct bench_xfer_ctx *x, struct bench_result *res,
		      char *msg, size_t msglen)
{
	struct bench_xfer_report rep = { 0 };
	struct bench_xfer_conf c = { .queue_depth = x->queue_depth };
	const char *path = x->restore.path;
	char ignored[256];
	struct timed t;
	struct stat sb;
	uint64_t bytes;
	int rc;

	if (!x->backup) {
		/* untimed: res is overwritten below */
		rc = do_backup(eng, db, def, st, x, res, msg, msglen);
		if (rc)
			return rc;
		free(res->target);
		memset(res, 0, sizeof(*res));
		res->made_backup = true;
	}
	if (!lstat(path, &sb)) {
		snprintf(msg, msglen, "%s is there already: not restoring over it",
			 path);
		return -EEXIST;
	}
	c.target = x->backup;
	timed_start(&t);
	rc = eng->restore(&c, path, &rep, msg, msglen);
	timed_end(&t);
	if (rc) {
		eng->destroy(path, ignored, sizeof(ignored));
		return rc;
	}
	bytes = rep.bytes ? rep.bytes : tree_bytes(x->backup);
	xfer_fill(res, eng, def, &t, &rep, bytes, eng->restore_how);
	res->target = strdup(x->backup);
	rc = restore_check(eng, p, x, res, msg, msglen);
	if (eng->destroy(path, ignored, sizeof(ignored)) && !rc) {
		snprintf(msg, msglen, "removing the restored store: %s",
			 ignored);
		rc = -EIO;
	}
	return rc;
}

/* backup-puts' backup thread: one backup after another until told */
struct hot {
	const struct bench_engine *eng;
	struct bench_db *db;
	struct bench_xfer_ctx *x;
	atomic_bool stop;
	/* the first backup is under way: the puts may start */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool started;
	double p0, p1;		/* the puts' start and end */
	/* each backup's span, clipped to the puts later */
	double (*span)[2];
	size_t nspan, cap;
	uint64_t done, cancelled, bytes;
	int rc;
	char msg[512];
};

/* room in h->span for one more; -ENOMEM */
static int span_room(struct hot *h)
{
	double (*s)[2];
	size_t cap = h->cap * 2 + 16;

	if (h->nspan < h->cap)
		return 0;
	s = realloc(h->span, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	h->span = s;
	h->cap = cap;
	return 0;
}

static void *hot_main(void *arg)
{
	struct hot *h = arg;
	struct bench_xfer_conf c = { .queue_depth = h->x->queue_depth,
				     .cancel = &h->stop };

	while (!atomic_load(&h->stop)) {
		struct bench_xfer_report rep = { 0 };
		char *target = next_target(h->x, h->eng, ".hot-backup");
		double t0;
		int rc;

		if (!target || span_room(h)) {
			free(target);
			h->rc = -ENOMEM;
			snprintf(h->msg, sizeof(h->msg), "no memory");
			break;
		}
		c.target = target;
		t0 = now_s();
		if (!h->started) {
			pthread_mutex_lock(&h->lock);
			h->started = true;
			pthread_cond_signal(&h->cv);
			pthread_mutex_unlock(&h->lock);
		}
		rc = h->eng->backup(h->db, &c, &rep, h->msg, sizeof(h->msg));
		h->span[h->nspan][0] = t0;
		h->span[h->nspan++][1] = now_s();
		if (rc == -ECANCELED && atomic_load(&h->stop)) {
			h->cancelled++;
		} else if (rc) {
			h->rc = rc;
		} else {
			h->done++;
			h->bytes += rep.bytes ? rep.bytes : tree_bytes(target);
		}
		/* a fresh target each time: this one goes at once */
		tree_remove(target);
		free(target);
		if (h->rc)
			break;
	}
	/* a failure before the first backup must not leave the puts waiting */
	pthread_mutex_lock(&h->lock);
	h->started = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* the share of [p0, p1] some backup was running in; spans are in order */
static double busy_share(const struct hot *h)
{
	double busy = 0;

	if (h->p1 <= h->p0)
		return 0;
	for (size_t i = 0; i < h->nspan; i++) {
		double a = h->span[i][0] > h->p0 ? h->span[i][0] : h->p0;
		double b = h->span[i][1] < h->p1 ? h->span[i][1] : h->p1;

		if (b > a)
			busy += b - a;
	}
	return busy / (h->p1 - h->p0);
}

/*
 * overwrite alone, then overwrite again while another thread backs the
 * store up over and over (each backup removed after it, the last one
 * stopped when the puts end); res is the second overwrite's, with the
 * first one's ops/sec beside it.
 */
static int do_backup_puts(const struct bench_engine *eng, struct bench_db *db,
			  const struct bench_params *p,
			  const struct bench_def *def, struct bench_state *st,
			  struct bench_xfer_ctx *x, struct bench_result *res,
			  char *msg, size_t msglen)
{
	const struct bench_def *ow = bench_lookup("overwrite");
	struct bench_result alone;
	struct hot h = { .eng = eng, .db = db, .x = x };
	pthread_t tid;
	int rc;

	rc = bench_run(eng, db, p, ow, st, &alone, msg, msglen);
	if (rc)
		return rc;
	atomic_init(&h.stop, false);
	pthread_mutex_init(&h.lock, NULL);
	pthread_cond_init(&h.cv, NULL);
	rc = -pthread_create(&tid, NULL, hot_main, &h);
	if (rc) {
		snprintf(msg, msglen, "pthread_create: %s", strerror(-rc));
		goto out;
	}
	/* so that a backup runs from the first put on, however few */
	pthread_mutex_lock(&h.lock);
	while (!h.started)
		pthread_cond_wait(&h.cv, &h.lock);
	pthread_mutex_unlock(&h.lock);
	h.p0 = now_s();
	rc = bench_run(eng, db, p, ow, st, res, msg, msglen);
	h.p1 = now_s();
	atomic_store(&h.stop, true);
	pthread_join(tid, NULL);
	if (!rc && h.rc) {
		snprintf(msg, msglen, "the backup thread: %s", h.msg);
		rc = h.rc;
	}
	if (rc)
		goto out;
	res->name = def->name;
	res->is_hot = true;
	res->xfer_how = eng->backup_how;
	res->puts_alone = alone.ops_per_sec;
	if (alone.ops_per_sec > 0)
		res->puts_ratio = res->ops_per_sec / alone.ops_per_sec;
	res->backups = h.done;
	res->backups_cancelled = h.cancelled;
	res->backup_bytes = h.bytes;
	res->backup_busy = busy_share(&h);
	res->verified = res->verified && alone.verified;
out:
	pthread_cond_destroy(&h.cv);
	pthread_mutex_destroy(&h.lock);
	free(h.span);
	bench_result_fini(&alone);
	return rc;
}

int bench_xfer_run(const struct bench_engine *eng, struct bench_db *db,
		   const struct bench_params *p, const struct bench_def *def,
		   struct bench_state *st, struct bench_xfer_ctx *x,
		   struct bench_result *res, char *msg, size_t msglen)
{
	memset(res, 0, sizeof(*res));
	msg[0] = '\0';
	switch (def->kind) {
	case BENCH_BACKUP:
		return do_backup(eng, db, def, st, x, res, msg, msglen);
	case BENCH_RESTORE:
		return do_restore(eng, db, p, def, st, x, res, msg, msglen);
	case BENCH_BACKUP_PUTS:
		return do_backup_puts(eng, db, p, def, st, x, res, msg,
				      msglen);
	default:
		snprintf(msg, msglen, "%s is no transfer", def->name);
		return -EINVAL;
	}
}

bool bench_xfer_done(struct bench_xfer_ctx *x)
{
	bool kept = x->backup && x->keep;

	if (x->backup && !x->keep)
		tree_remove(x->backup);
	free(x->backup);
	x->backup = NULL;
	return kept;
}
