/* SPDX-License-Identifier: BSD-3-Clause */
/* restore.c -- a crash while pmkv_restore() makes a pool from a backup */
/*
 * Invariant: an interrupted restore never leaves a pool that opens as
 * valid. At every persistence point of pmkv_restore(backup, path) (the
 * pool's creation by libpmemobj, pmkv's superblock with `restoring` set,
 * the segments read from the backup into the pool's mapping, their
 * flushes and headers, the fence, the recovery, the store that clears
 * `restoring`, the close), strict and with evictions, the path holds
 *
 *   - no file: libpmemobj's pool is made under a temporary name and
 *     renamed into place once whole (as crash-create accepts);
 *   - a pool that pmkv_open() refuses with PMKV_E_CORRUPT, "a restore
 *     into it did not finish", and pmkv_open(PMKV_F_CREATE) as well
 *     (it must not make a new, empty pool out of it);
 *   - only from the point whose fence makes the cleared `restoring`
 *     durable: a pool that opens, passes check_run() and holds exactly
 *     the backed-up keys and values, no more, no fewer, and takes puts.
 *     After that fence it must be that pool, at every point.
 * And at the end, every byte of the restored segments and of the
 * superblock that the restore stored was flushed and fenced.
 *
 * The backup (24 keys of 0 B to 256 KiB, the largest in segments of
 * their own; some overwritten or deleted before it, so it holds dead
 * records, one of them a whole segment's) is made once, without the
 * recorder, on /var/tmp ($PMKV_TEST_BACKUP_DIR), where O_DIRECT works;
 * the pool is a 16 MiB file on /dev/shm.
 *
 * Direct I/O and the recorder. Restore has the kernel read the backup
 * straight into the pool's mapping (io_uring or pread with O_DIRECT), so
 * no CPU store carries those bytes. The recorder needs none: it takes a
 * range's bytes when the range is flushed, reading them through the
 * mapping, and the pages the kernel reads into are the page cache of the
 * pool file on tmpfs, the very pages the mapping shows. So the test runs
 * the path users get, not PMKV_T_NO_URING | PMKV_T_NO_DIRECT. What it
 * checks is the flush: inbound DMA may stop in the CPU caches (DDIO), so
 * a restored byte is durable only once restore has flushed and fenced
 * it. Bytes read in and never flushed are missing from strict images,
 * turn up at random in evicted ones, and are counted at the end. With
 * PMKV_CRASH_DROP=flush:1@fill (the first restored segment's flush) this
 * test reports a pool that no longer opens after the restore returned;
 * with fence:1@fill (the fence that ends the fill) a pool that opens
 * without some of the keys, at the clear's point.
 *
 * --recovery is taken and ignored: a pool that opens here is reopened as
 * any other, and the other programs crash their reopens.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "crash.h"
#include "internal.h"
#include "check.h"
#include "segment.h"
#include "harness.h"

#define NAME "restore"
#define POOL_SIZE (16ULL << 20)
#define NKEYS 24U
#define VMAX (256U << 10)

/* the state the backup holds: per key, generation (0: absent) and size */
struct kst {
	uint32_t gen, vlen;
};
static struct kst model[NKEYS];

static char dir[256], base_path[300], work_path[300], img_path[300];
static char backup_path[4096];

/* ------------------------------------------------------------------ */
/* setup: a pool, its keys, the backup */

static const uint32_t sizes[] = { 0, 1, 8, 63, 64, 4096, 65536, 70000,
				  262144 };

/* one operation on the model, and on kv unless it is NULL */
static int op(struct pmkv *kv, uint8_t *buf, uint32_t key, uint32_t gen,
	      uint32_t vlen)
{
	char k[80];
	size_t klen = cw_key_name(key, k);

	model[key] = (struct kst){ gen, vlen };
	if (!kv)
		return 0;
	if (!gen)
		return pmkv_delete(kv, k, klen);
	cw_value(buf, key, gen, vlen);
	return pmkv_put(kv, k, klen, buf, vlen);
}

/*
 * Every key, then overwrites (a 256 KiB value by 64 B, a 63 B one by
 * 256 KiB) and deletes: the backup holds their dead records, which the
 * restored pool must not bring back. kv NULL: the model only.
 */
static int ops(struct pmkv *kv, uint8_t *buf)
{
	int rc = 0;

	for (uint32_t k = 0; !rc && k < NKEYS; k++)
		rc = op(kv, buf, k, 1, sizes[k % 9]);
	for (uint32_t k = 0; !rc && k < NKEYS; k += 4)
		rc = op(kv, buf, k, 2, sizes[(k + 5) % 9]);
	for (uint32_t k = 5; !rc && k < NKEYS; k += 8)
		rc = op(kv, buf, k, 0, 0);
	return rc;
}

/* the pool and its backup, made in a child; the model in this process */
static void setup(void)
{
	char why[128];
	pid_t pid;

	pid = cw_fork();
	if (pid == 0) {
		struct pmkv_transfer_report r;
		struct pmkv_config *cfg = NULL;
		uint8_t *buf = malloc(VMAX);
		struct pmkv *kv;
		int rc;

		if (!buf || pmkv_config_new(&cfg) ||
		    pmkv_config_set_flags(cfg, PMKV_F_CREATE) ||
		    pmkv_config_set_size(cfg, POOL_SIZE))
			_exit(T_EXIT_ERROR);
		rc = pmkv_open(base_path, cfg, &kv);
		if (!rc)
			rc = ops(kv, buf);
		if (!rc)
			rc = pmkv_backup(kv, backup_path, NULL, &r, sizeof(r));
		if (rc) {
			fprintf(stderr, "setup: %s: %s\n", pmkv_strerror(rc),
				pmkv_errormsg());
			_exit(T_EXIT_ERROR);
		}
		t_info("%s: backup of %llu segments, %llu bytes, by %s", NAME,
		       (unsigned long long)r.segments,
		       (unsigned long long)r.bytes,
		       pmkv_transfer_path_name(r.path));
		pmkv_close(&kv);
		_exit(0);
	}
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: setup failed: %s", NAME, why);
	ops(NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* the verifier: what an image opens as */

enum { R_NONE = 1, R_RESTORING, R_FULL, R_VIOLATION };

static struct vres {
	int status;
	char msg[1024];
} *vres;

static void vfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vfail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vres->msg, sizeof(vres->msg), fmt, ap);
	va_end(ap);
	vres->status = R_VIOLATION;
	_exit(0);
}

static bool refused_as_restoring(int rc)
{
	return rc == PMKV_E_CORRUPT &&
	       strstr(pmkv_errormsg(), "a restore into it did not finish");
}

/* the pool holds exactly the model: every key, its value, no other key */
static void v_keys(struct pmkv *kv, uint8_t *got, uint8_t *want)
{
	struct pmkv_iter *it;
	uint32_t n = 0, live = 0;
	int rc;

	for (uint32_t id = 0; id < NKEYS; id++) {
		char k[80];
		size_t klen = cw_key_name(id, k), vlen = 0;

		rc = pmkv_get(kv, k, klen, got, VMAX, &vlen);
		if (!model[id].gen) {
			if (rc != -ENOENT)
				vfail("key %u was deleted before the backup, and pmkv_get says %s",
				      id, pmkv_strerror(rc));
			continue;
		}
		live++;
		if (rc)
			vfail("key %u (gen %u, %u B) is missing: %s: %s", id,
			      model[id].gen, model[id].vlen, pmkv_strerror(rc),
			      pmkv_errormsg());
		cw_value(want, id, model[id].gen, model[id].vlen);
		if (vlen != model[id].vlen || memcmp(got, want, vlen))
			vfail("key %u holds %zu other bytes, not gen %u, %u B",
			      id, vlen, model[id].gen, model[id].vlen);
	}
	/* and the iterator finds no key the backup does not hold */
	if (pmkv_iter_new(kv, &it))
		_exit(T_EXIT_ERROR);
	for (rc = pmkv_iter_seek(it, NULL, 0); rc == 0; rc = pmkv_iter_next(it))
		n++;
	if (rc != -ENOENT)
		vfail("iterating: %s: %s", pmkv_strerror(rc), pmkv_errormsg());
	pmkv_iter_free(&it);
	if (n != live)
		vfail("the iterator finds %u keys, the backup holds %u", n, live);
}

/* judge one image in a child: exits 0 with vres filled in */
static void v_check(const char *path)
{
	struct pmkv_config *cfg = NULL;
	uint8_t *got = malloc(VMAX), *want = malloc(VMAX);
	struct pmkv *kv = NULL;
	size_t vlen = 0;
	int rc;

	if (!got || !want || pmkv_config_new(&cfg) ||
	    pmkv_config_set_flags(cfg, PMKV_F_CREATE) ||
	    pmkv_config_set_size(cfg, POOL_SIZE))
		_exit(T_EXIT_ERROR);
	alarm(120);
	rc = pmkv_open(path, NULL, &kv);
	if (refused_as_restoring(rc)) {
		/* nor may a create finish it as a new, empty pool */
		rc = pmkv_open(path, cfg, &kv);
		if (!rc)
			vfail("pmkv_open refuses the unfinished restore, but pmkv_open(PMKV_F_CREATE) opens it");
		if (!refused_as_restoring(rc))
			vfail("pmkv_open refuses the unfinished restore, pmkv_open(PMKV_F_CREATE) says %s: %s",
			      pmkv_strerror(rc), pmkv_errormsg());
		vres->status = R_RESTORING;
		_exit(0);
	}
	if (rc)
		vfail("pmkv_open: %s: %s", pmkv_strerror(rc), pmkv_errormsg());
	rc = check_run(kv);
	if (rc)
		vfail("check_run after open: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());
	v_keys(kv, got, want);
	/* usable: a put, the invariants, and the put after a reopen */
	rc = pmkv_put(kv, "zz-probe", 8, "after the crash", 15);
	if (rc)
		vfail("a put after the restore: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());
	rc = check_run(kv);
	if (rc)
		vfail("check_run after a put: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());
	pmkv_close(&kv);
	rc = pmkv_open(path, NULL, &kv);
	if (rc)
		vfail("reopen after a put: %s: %s", pmkv_strerror(rc),
		      pmkv_errormsg());
	rc = pmkv_get(kv, "zz-probe", 8, got, VMAX, &vlen);
	if (rc || vlen != 15 || memcmp(got, "after the crash", 15))
		vfail("the put after the restore is lost at the next open: %s",
		      pmkv_strerror(rc));
	pmkv_close(&kv);
	vres->status = R_FULL;
	_exit(0);
}

static void verify(const char *path)
{
	char why[128];
	pid_t pid;
	int rc;

	memset(vres, 0, sizeof(*vres));
	pid = cw_fork();
	if (pid == 0)
		v_check(path);
	rc = cw_reap(pid, why, sizeof(why));
	if (rc < 0) {
		/* opening after a crash must work, or refuse */
		snprintf(vres->msg, sizeof(vres->msg), "the verifier was %s",
			 why);
		vres->status = R_VIOLATION;
	} else if (rc || !vres->status) {
		t_error("verifier failed: %s", rc ? why : "no verdict");
	}
}

/* ------------------------------------------------------------------ */
/* the workload child: pmkv_restore(), armed */

enum { M_POINT, M_IMAGE, M_DONE, M_ERROR };

struct wmsg {
	uint32_t type;
	uint64_t point;
	uint8_t own;
	uint32_t ranges;
	uint64_t bytes;
	char site[48];
	/* M_IMAGE */
	uint32_t mode;
	uint64_t seed;
	int32_t img_rc;
	/* M_DONE */
	struct crash_stats st;
	uint32_t path;			/* of the restore's reads */
	uint64_t records;
	int64_t own_unpersisted;	/* superblock, restored segments */
	uint64_t first_own_unpersisted;
	char err[200];
};
_Static_assert(sizeof(struct wmsg) < 4096, "one atomic pipe write");

static struct {
	int msg_fd, ack_fd;
	const uint8_t *at;	/* per point: image it; NULL: count only */
	uint64_t n;
	unsigned evict;
	uint64_t seed;
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

static uint64_t image_seed(uint64_t point, unsigned i)
{
	return cw_mix64(W.seed ^ cw_mix64(point * 64 + i));
}

/* the images of one point, each judged before the restore goes on */
static void w_images(uint64_t point, const struct crash_point *cp)
{
	if (!W.at || point > W.n || !W.at[point])
		return;
	for (unsigned i = 0; i <= W.evict; i++) {
		struct wmsg m = {
			.type = M_IMAGE, .point = point,
			.mode = i ? CRASH_IMAGE_EVICT : CRASH_IMAGE_STRICT,
			.seed = image_seed(point, i), .own = cp ? cp->own : 0,
		};
		char ack;

		snprintf(m.site, sizeof(m.site), "%s", cp ? cp->site : "end");
		m.img_rc = crash_rec_image(img_path, m.mode, m.seed);
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
	if (!W.at) {
		struct wmsg m = {
			.type = M_POINT, .point = cp->n, .own = cp->own,
			.ranges = cp->ranges, .bytes = cp->bytes,
		};

		snprintf(m.site, sizeof(m.site), "%s", cp->site);
		w_send(&m);
		return;
	}
	w_images(cp->n, cp);
}

/*
 * What the restore stored and must have made durable: the superblock and
 * each segment up to its end, found by a read-only open, which writes
 * nothing, after the recorder is stopped.
 */
static void w_unpersisted(struct wmsg *done)
{
	struct pmkv_config *cfg = NULL;
	struct pmkv *kv;
	uint64_t first = 0;
	int64_t n;
	int rc;

	if (pmkv_config_new(&cfg) || pmkv_config_set_flags(cfg, PMKV_F_RDONLY))
		w_fail("no memory for a config");
	rc = pmkv_open(work_path, cfg, &kv);
	if (rc)
		w_fail("the restored pool does not open: %s: %s",
		       pmkv_strerror(rc), pmkv_errormsg());
	n = crash_rec_unpersisted(kv_off(kv, kv->sb), sizeof(struct pmkv_super),
				  &first);
	if (n > 0) {
		done->own_unpersisted += n;
		done->first_own_unpersisted = first;
	}
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		const struct seg *s = kv->segs[i];

		if (!s)
			continue;
		n = crash_rec_unpersisted(s->off, s->used, &first);
		if (n > 0 && !done->own_unpersisted)
			done->first_own_unpersisted = first;
		if (n > 0)
			done->own_unpersisted += n;
	}
	pmkv_close(&kv);
	pmkv_config_free(&cfg);
}

static void w_main(void)
{
	struct wmsg done = { .type = M_DONE };
	struct pmkv_transfer_report rep;
	char tmp[320];
	int rc;

	/* what an earlier pass left, under its name or the temporary one */
	unlink(work_path);
	snprintf(tmp, sizeof(tmp), "%s.pmkv-creating", work_path);
	unlink(tmp);
	rc = crash_rec_start(work_path, w_hook, NULL);
	if (rc)
		w_fail("crash_rec_start: %s", strerror(-rc));
	rc = pmkv_restore(backup_path, work_path, NULL, NULL, &rep, sizeof(rep));
	if (rc)
		w_fail("pmkv_restore: %s: %s", pmkv_strerror(rc),
		       pmkv_errormsg());
	crash_rec_get_stats(&done.st);
	crash_rec_stop();
	/* after the last fence: what the restore leaves when it is done */
	w_images(done.st.points + 1, NULL);
	done.path = rep.path;
	done.records = rep.records;
	w_unpersisted(&done);
	w_send(&done);
	_exit(0);
}

static pid_t spawn_w(const uint8_t *at, uint64_t n, const struct cw_opts *o,
		     int *msg_fd, int *ack_fd)
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
		W.at = at;
		W.n = n;
		W.evict = o->evict;
		W.seed = cw_mix64(o->seed ^ 0x726573746f726500ULL);
		w_main();
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
	if (m->type == M_ERROR)
		t_error("%s: the workload failed: %s", NAME, m->err);
	return true;
}

/* ------------------------------------------------------------------ */
/* the parent: count the points, image them, judge */

struct pinfo {
	bool own;
	uint32_t ranges;
	uint64_t bytes;
	char site[48];
};

static struct pinfo *pts;
static uint64_t npts;
static uint64_t clear_at;	/* the fence that makes restoring 0 durable */
static uint64_t images, violations;
static uint64_t outcomes[R_VIOLATION + 1];	/* images by what they gave */

static bool site_is(const struct pinfo *p, const char *names)
{
	size_t n = strlen(p->site);

	for (const char *s = names; *s; s += strcspn(s, "|"), s += *s == '|')
		if (!strncmp(s, p->site, n) && (s[n] == '|' || !s[n]))
			return true;
	return false;
}

/*
 * The point at which restoring is cleared: pmkv's first fence after the
 * one that ends the fill (restore.c's fill()), at restore_clear() in
 * pmkv.c, or at pmkv_open_with() when the compiler inlined it there.
 * Recovery, in between, writes nothing.
 */
static uint64_t find_clear(void)
{
	uint64_t fill = 0;

	for (uint64_t i = 1; i <= npts; i++) {
		const struct pinfo *p = &pts[i - 1];

		if (p->own && site_is(p, "fill"))
			fill = i;
		else if (fill && p->own &&
			 site_is(p, "restore_clear|pmkv_open_with"))
			return i;
	}
	t_error("%s: no fence of restore_clear() after fill()'s among %llu points (-v lists them): the test no longer knows when the restore is done",
		NAME, (unsigned long long)npts);
}

static void count_points(const struct cw_opts *o)
{
	uint64_t cap = 0;
	struct wmsg m, done = { 0 };
	int mfd, afd;
	char why[128];
	pid_t pid;

	pid = spawn_w(NULL, 0, o, &mfd, &afd);
	while (read_msg(mfd, &m)) {
		if (m.type == M_DONE) {
			done = m;
			continue;
		}
		if (npts == cap) {
			struct pinfo *n;

			cap = cap ? cap * 2 : 256;
			n = realloc(pts, cap * sizeof(*n));
			if (!n)
				t_error("no memory for %llu points",
					(unsigned long long)cap);
			pts = n;
		}
		pts[npts] = (struct pinfo){ m.own, m.ranges, m.bytes, { 0 } };
		snprintf(pts[npts].site, sizeof(pts[npts].site), "%s", m.site);
		npts++;
		if (o->verbose)
			t_info("%s: point %llu: %s fence at %s, %u ranges of %llu bytes",
			       NAME, (unsigned long long)m.point,
			       m.own ? "pmkv" : "libpmemobj", m.site, m.ranges,
			       (unsigned long long)m.bytes);
	}
	close(mfd);
	close(afd);
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: the counting run %s", NAME, why);
	if (done.type != M_DONE || done.st.points != npts)
		t_error("%s: the counting run reported %llu points, sent %llu",
			NAME, (unsigned long long)done.st.points,
			(unsigned long long)npts);
	clear_at = find_clear();
	t_info("%s: %llu points (%llu pmkv, %llu libpmemobj); restoring cleared at point %llu (%s); reads by %s, %llu records recovered",
	       NAME, (unsigned long long)npts,
	       (unsigned long long)done.st.own_points,
	       (unsigned long long)(npts - done.st.own_points),
	       (unsigned long long)clear_at, pts[clear_at - 1].site,
	       pmkv_transfer_path_name(done.path),
	       (unsigned long long)done.records);
	if (done.records == 0)
		t_error("%s: the restore recovered no records", NAME);
	if (done.own_unpersisted) {
		violations++;
		cw_total.violations++;
		printf("# VIOLATION %s: %lld bytes of the superblock and the restored segments were stored and never flushed and fenced (the first at pool offset %llu)\n",
		       NAME, (long long)done.own_unpersisted,
		       (unsigned long long)done.first_own_unpersisted);
	}
	cw_total.points += npts;
	cw_total.own_points += done.st.own_points;
}

static const char *rname(int r)
{
	switch (r) {
	case R_NONE:
		return "no file at the path";
	case R_RESTORING:
		return "refused as an unfinished restore";
	case R_FULL:
		return "a pool holding the backup";
	}
	return "?";
}

/* a copy: the recorder overwrites the image in place */
static int copy_file(const char *src, const char *dst)
{
	static uint8_t buf[1 << 20];
	int in, out, rc = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	close(in);
	if (close(out) && !rc)
		rc = -errno;
	return rc;
}

static void keep_image(const struct cw_opts *o, const struct wmsg *m)
{
	static unsigned kept;
	char dst[1024];

	if (!o->keep || kept >= 20 || m->img_rc)
		return;
	snprintf(dst, sizeof(dst), "%s/%s-p%llu-%s%llx.pool", o->keep, NAME,
		 (unsigned long long)m->point, m->mode ? "evict-" : "strict",
		 m->mode ? (unsigned long long)m->seed : 0ULL);
	if (copy_file(img_path, dst) == 0) {
		t_info("  kept the image as %s", dst);
		kept++;
	}
}

/*
 * Before the clear: no file, or refused. At its fence: also the whole
 * pool, in an evicted image that kept the pending store. After it: the
 * whole pool, nothing else.
 */
static void on_image(const struct cw_opts *o, const struct wmsg *m)
{
	bool evicted = m->mode != CRASH_IMAGE_STRICT;
	const char *why = NULL;
	int r;

	images++;
	cw_total.images++;
	if (evicted)
		cw_total.evict_images++;
	if (m->img_rc == -ENOENT) {
		r = R_NONE;
	} else {
		verify(img_path);
		r = vres->status;
	}
	outcomes[r]++;
	if (r == R_VIOLATION)
		why = vres->msg;
	else if (m->point > clear_at && r != R_FULL)
		why = "restoring was cleared and made durable, and the pool is not the backup's";
	else if (r == R_FULL && (m->point < clear_at ||
				 (m->point == clear_at && !evicted)))
		why = "the pool opens before restoring was cleared";
	if (!why)
		return;
	violations++;
	cw_total.violations++;
	if (o->max_reports && violations > o->max_reports)
		return;
	printf("# VIOLATION %s: point %llu of %llu, %s fence at %s, %s image",
	       NAME, (unsigned long long)m->point,
	       (unsigned long long)npts + 1,
	       m->point > npts ? "after the last" :
	       m->own ? "before pmkv's" : "before libpmemobj's", m->site,
	       evicted ? "evicted" : "strict");
	if (evicted)
		printf(" (seed %#llx)", (unsigned long long)m->seed);
	printf(", restoring cleared at point %llu:\n#   %s%s%s\n",
	       (unsigned long long)clear_at, r == R_VIOLATION ? "" : rname(r),
	       r == R_VIOLATION ? "" : ": ", why);
	keep_image(o, m);
	fflush(stdout);
}

/*
 * Which points: all of them when there are at most --images; otherwise
 * the first, the last, those from fill()'s fence to just past the clear,
 * and a seeded sample of the rest.
 */
static void choose(uint8_t *at, uint64_t n, const struct cw_opts *o)
{
	uint64_t k = o->images, have = 0, left, per = 0;
	uint64_t s = o->seed;

	if (o->only_point) {
		if (o->only_point <= n)
			at[o->only_point] = 1;
		return;
	}
	if (!k || n <= k) {
		memset(at + 1, 1, n);
		return;
	}
	at[1] = at[n] = 1;
	for (uint64_t i = clear_at > 2 ? clear_at - 2 : 1;
	     i <= clear_at + 2 && i <= n; i++)
		at[i] = 1;
	for (uint64_t i = 1; i <= n; i++)
		have += at[i];
	left = k > have ? k - have : 0;
	for (uint64_t i = 1; i <= n; i++)
		per += !at[i];
	for (uint64_t i = 1; i <= n && left; i++) {
		if (at[i])
			continue;
		if (cw_mix64(s += 0x9e3779b97f4a7c15ULL) % per < left) {
			at[i] = 1;
			left--;
		}
		per--;
	}
}

static void image_points(const struct cw_opts *o)
{
	uint64_t n = npts + 1;
	uint8_t *at = calloc(n + 1, 1);
	struct wmsg m;
	int mfd, afd;
	char why[128];
	pid_t pid;

	if (!at)
		t_error("no memory for a plan of %llu points",
			(unsigned long long)n);
	choose(at, n, o);
	pid = spawn_w(at, n, o, &mfd, &afd);
	while (read_msg(mfd, &m)) {
		char ack = 1;

		if (m.type == M_DONE) {
			if (m.st.points != npts)
				t_error("%s: %llu points this time, %llu before: the restore is not deterministic",
					NAME, (unsigned long long)m.st.points,
					(unsigned long long)npts);
			continue;
		}
		on_image(o, &m);
		if (write(afd, &ack, 1) != 1)
			t_error("%s: the workload went away", NAME);
	}
	close(mfd);
	close(afd);
	if (cw_reap(pid, why, sizeof(why)))
		t_error("%s: the imaging run %s", NAME, why);
	free(at);
}

static pid_t owner;

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

int main(int argc, char **argv)
{
	struct cw_opts o;

	cw_begin(argc, argv, "crash during pmkv_restore");
	cw_opts_parse(&o, argc, argv);
	if (o.only && strcmp(o.only, NAME))
		return cw_end(&o);
	cw_total.workloads++;
	owner = getpid();
	snprintf(dir, sizeof(dir), "%s/pmkv-crash-restore-%d", t_tmp_dir(),
		 (int)owner);
	if (mkdir(dir, 0700))
		t_error("mkdir %s: %s", dir, strerror(errno));
	atexit(cleanup);
	snprintf(base_path, sizeof(base_path), "%s/base.pool", dir);
	snprintf(work_path, sizeof(work_path), "%s/work.pool", dir);
	snprintf(img_path, sizeof(img_path), "%s/image.pool", dir);
	t_backup_tmp(backup_path, sizeof(backup_path), "crash-restore");
	vres = mmap(NULL, sizeof(*vres), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vres == MAP_FAILED)
		t_error("mmap: %s", strerror(errno));

	setup();
	count_points(&o);
	image_points(&o);
	t_info("%s: %llu images: %llu no file, %llu refused as restoring, %llu the backup's pool, %llu other; %llu violations",
	       NAME, (unsigned long long)images,
	       (unsigned long long)outcomes[R_NONE],
	       (unsigned long long)outcomes[R_RESTORING],
	       (unsigned long long)outcomes[R_FULL],
	       (unsigned long long)outcomes[R_VIOLATION],
	       (unsigned long long)violations);
	return cw_end(&o);
}
