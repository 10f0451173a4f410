// SPDX-License-Identifier: BSD-3-Clause
/* damage-fuzz.c -- damage copies of a pool and judge what pmkv answers */
/*
 * Issue 15's promise: a damaged pool gives PMKV_E_CORRUPT or a correct
 * answer, never wrong data, a crash, a hang or a loss that an open makes
 * permanent. One pool is built through the public API with an exact model
 * of its contents (workload.c). Each trial copies it, applies one damage
 * (damage.c) aimed at a region kind of the format (regions.c) or anywhere,
 * and in forked children (child.c) opens it read-write, then read-only,
 * then with PMKV_F_SALVAGE where the header has it, asking every key,
 * scanning and iterating (check.c). After the read-write open the damage
 * is undone and the pool reopened: if it is no longer correct, the open
 * made the damage permanent, which counts as wrong data.
 *
 * Exit 0 when no trial gave wrong data, crashed or hung; 1 otherwise; 99
 * when the harness broke (the workload failed, a file could not be
 * written).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpmkv.h>

#include "check.h"
#include "child.h"
#include "damage.h"
#include "fuzz.h"
#include "model.h"
#include "regions.h"
#include "seedfmt.h"
#include "workload.h"

#define EXIT_HARNESS 99

/* ------------------------------------------------------------------ */
/* the work directory: removed at exit, and on SIGINT/SIGTERM */

static char work_dir[4096];
static char pristine_path[4200], trial_path[4200], ro_path[4200];

static void work_cleanup(void)
{
	if (!work_dir[0])
		return;
	unlink(pristine_path);
	unlink(trial_path);
	unlink(ro_path);
	rmdir(work_dir);
}

static void work_on_signal(int sig)
{
	work_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *default_dir(void)
{
	struct stat st;
	const char *t;

	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode) &&
	    !access("/dev/shm", W_OK))
		return "/dev/shm";
	t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

static int work_setup(const char *dir)
{
	snprintf(work_dir, sizeof(work_dir), "%s/pmkv-damage-XXXXXX",
		 dir ? dir : default_dir());
	if (!mkdtemp(work_dir)) {
		fprintf(stderr, "# mkdtemp %s: %s\n", work_dir,
			strerror(errno));
		work_dir[0] = '\0';
		return -1;
	}
	snprintf(pristine_path, sizeof(pristine_path), "%s/pristine.pool",
		 work_dir);
	snprintf(trial_path, sizeof(trial_path), "%s/trial.pool", work_dir);
	snprintf(ro_path, sizeof(ro_path), "%s/trial-ro.pool", work_dir);
	atexit(work_cleanup);
	signal(SIGINT, work_on_signal);
	signal(SIGTERM, work_on_signal);
	return 0;
}

/* ------------------------------------------------------------------ */
/* files */

int fuzz_write_file(const char *path, const uint8_t *buf, uint64_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint64_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		done += (uint64_t)n;
	}
	return close(fd) ? -errno : 0;
}

/*
 * The pool-sized buffers stay out of the children: a child needs only
 * the model and a path, and with the buffers shared copy-on-write every
 * write the parent makes to them after a fork would fault page by page
 * (most of a trial's time, before this).
 */
static uint8_t *big_alloc(uint64_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len ? len : 1, MADV_DONTFORK);
	return p;
}

static int read_file(const char *path, uint8_t **buf, uint64_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t done = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		goto err;
	*buf = big_alloc((uint64_t)st.st_size);
	if (!*buf)
		goto err;
	while (done < (uint64_t)st.st_size) {
		n = read(fd, *buf + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			munmap(*buf, (size_t)st.st_size ? (size_t)st.st_size : 1);
			goto err;
		}
		done += (uint64_t)n;
	}
	*len = done;
	close(fd);
	return 0;
err:
	n = -errno;
	if (fd >= 0)
		close(fd);
	return n ? (int)n : -EIO;
}

/* whether the file still holds exactly img (an open may have written) */
static bool file_is(const char *path, const uint8_t *img, uint64_t len,
		    uint8_t *scratch)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	bool same;

	if (fd < 0)
		return false;
	same = !fstat(fd, &st) && (uint64_t)st.st_size == len &&
	       pread(fd, scratch, len, 0) == (ssize_t)len &&
	       !memcmp(scratch, img, len);
	close(fd);
	return same;
}

/* put the pristine bytes back where the damage was, nothing else */
static int undo(const char *path, const struct damage *d,
		const uint8_t *pristine, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	uint64_t len = d->kind == DAMAGE_TRUNCATE ? size - d->off : d->len;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (d->kind == DAMAGE_TRUNCATE && ftruncate(fd, (off_t)size) < 0)
		rc = -errno;
	if (!rc && pwrite(fd, pristine + d->off, len, (off_t)d->off) !=
			   (ssize_t)len)
		rc = -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* ------------------------------------------------------------------ */
/* checks in children */

struct check_arg {
	const char *path;
	const struct model *m;
	struct check_opts o;
};

static void check_child(void *arg, struct check_report *r)
{
	struct check_arg *a = arg;

	check_run(a->path, a->m, &a->o, r);
}

int fuzz_check(const struct fuzz *f, const struct model *m,
	       const char *path, const struct check_opts *o,
	       struct check_report *r)
{
	struct check_arg a = { .path = path, .m = m, .o = *o };

	return child_run(check_child, &a, f->timeout_ms, r);
}

/* ------------------------------------------------------------------ */
/* trials */

static int worst(int a, int b)
{
	return a > b ? a : b;
}

static void note(struct fuzz *f, const struct trial *t, const char *what,
		 const struct check_report *r)
{
	char d[96];

	if (r->verdict <= V_CLEAN && !f->verbose)
		return;
	damage_describe(&t->d, d, sizeof(d));
	if (r->verdict > V_CLEAN)
		f->bad_lines++;
	if (r->verdict > V_CLEAN && f->bad_lines > f->show && !f->verbose)
		return;
	printf("# trial %u %s %s, %s: %s (%u ms): %s: %s\n", t->n,
	       region_kind_label(t->target), d, region_kind_name(t->hit),
	       what, r->ms, verdict_name(r->verdict),
	       r->detail[0] ? r->detail : "every answer as the model");
}

/*
 * The read-write check, then, if it changed the file, the undo and a
 * reopen. Returns the worst verdict, or -errno when the harness failed.
 */
static int trial_rw(struct fuzz *f, struct trial *t)
{
	struct check_opts rw = { .probes = true };
	struct check_opts again = { .probes_maybe = true };
	struct check_report r;
	int v, rc;

	v = fuzz_check(f, &f->m, trial_path, &rw, &r);
	if (v < 0)
		return v;
	note(f, t, "read-write", &r);
	if (file_is(trial_path, f->img, t->size, f->scratch))
		return v;
	rc = undo(trial_path, &t->d, f->pristine, f->size);
	if (rc)
		return rc;
	rc = fuzz_check(f, &f->m, trial_path, &again, &r);
	if (rc < 0)
		return rc;
	if (rc != V_CORRECT) {
		t->made_permanent = true;
		note(f, t, "made permanent: after undo", &r);
		v = V_WRONG;
	}
	return v;
}

/*
 * Read-only and salvage see the damage as it was, on a copy of their own,
 * so the read-only check runs beside the read-write one.
 */
static int trial_run(struct fuzz *f, struct trial *t)
{
	struct check_arg ro = { .path = ro_path, .m = &f->m,
				.o = { .flags = PMKV_F_RDONLY } };
	struct check_report r;
	struct child c;
	int v, rc;

	memcpy(f->img, f->pristine, f->size);
	t->size = damage_apply(&t->d, f->img, f->size);
	rc = fuzz_write_file(trial_path, f->img, t->size);
	rc = rc ?: fuzz_write_file(ro_path, f->img, t->size);
	rc = rc ?: child_start(&c, check_child, &ro);
	if (rc)
		return rc;
	v = trial_rw(f, t);
	rc = child_wait(&c, f->timeout_ms, &r);
	if (v < 0 || rc < 0)
		return v < 0 ? v : rc;
	note(f, t, "read-only", &r);
	t->verdict = worst(v, rc);
#ifdef PMKV_F_SALVAGE
	{
		struct check_opts sv = { .flags = PMKV_F_SALVAGE };

		rc = fuzz_check(f, &f->m, ro_path, &sv, &r);
		if (rc < 0)
			return rc;
		note(f, t, "salvage", &r);
		t->salvage = rc;
	}
#endif
	return 0;
}

/* trial n: its damage kind and target, round-robin, and where it lands */
static void trial_plan(struct fuzz *f, unsigned n, struct trial *t)
{
	struct rng r = rng_for(f->seed, n);
	unsigned combo = n % (f->ndamage * f->ntargets);
	uint64_t aim;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->combo = combo;
	t->target = f->targets[combo % f->ntargets];
	aim = t->target == TARGET_UNIFORM ?
		      UINT64_MAX :
		      regions_pick(&f->map, (enum region_kind)t->target,
				   rng_next(&r));
	if (aim == UINT64_MAX)
		aim = rng_below(&r, f->size);
	t->hit = regions_kind_at(&f->map, aim);
	damage_plan(&t->d, f->damage[combo / f->ntargets], aim, f->size,
		    &f->map, &r);
}

static int trials(struct fuzz *f)
{
	struct trial t;
	unsigned n, first = 0, end = f->trials;
	int rc;

	if (f->only >= 0) {
		first = (unsigned)f->only;
		end = first + 1;
	}
	for (n = first; n < end; n++) {
		trial_plan(f, n, &t);
		rc = trial_run(f, &t);
		if (rc) {
			fprintf(stderr, "# trial %u: harness: %s\n", n,
				strerror(-rc));
			return rc;
		}
		f->tally[t.combo][t.verdict]++;
		f->made_permanent += t.made_permanent;
		f->salvage_tally[t.combo][t.salvage]++;
		if (t.verdict > V_CLEAN && f->save)
			fuzz_save_failure(f, &t);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* setup */

static int build(struct fuzz *f)
{
	struct workload_info wi = { 0 };
	int rc;

	rc = workload_build(pristine_path, f->pool_size, f->keys, f->seed,
			    &f->m, &wi);
	if (rc)
		return rc;
	rc = read_file(pristine_path, &f->pristine, &f->size);
	if (rc)
		return rc;
	f->img = big_alloc(f->size);
	f->scratch = big_alloc(f->size);
	if (!f->img || !f->scratch)
		return -ENOMEM;
	rc = regions_map(f->pristine, f->size, &f->map);
	if (rc)
		return rc;
	/* the workload freed megabytes of old values: a child's malloc()
	 * reusing them would copy each page it touches */
	malloc_trim(0);
	printf("# seed %" PRIu64 ", %u keys (%u live, %u deleted, %u never "
	       "written), pool %" PRIu64 " MiB in %s\n", f->seed, f->keys,
	       model_count(&f->m, MODEL_LIVE),
	       model_count(&f->m, MODEL_DELETED),
	       model_count(&f->m, MODEL_ABSENT), f->size >> 20, work_dir);
	printf("# format %u, %" PRIu64 " segments of %" PRIu64 " KiB "
	       "(%" PRIu64 " reclaimed); map: %" PRIu64 " segments, %" PRIu64
	       " records\n", wi.format_major, wi.segments,
	       wi.segment_size >> 10, wi.gc_runs, f->map.segments,
	       f->map.records);
	return 0;
}

/* the undamaged copy must be correct, or no trial means anything */
static int baseline(struct fuzz *f)
{
	struct check_opts rw = { .probes = false }, ro = { .flags = PMKV_F_RDONLY };
	struct check_report r;
	int rc;

	rc = fuzz_write_file(trial_path, f->pristine, f->size);
	if (rc)
		return rc;
	rc = fuzz_check(f, &f->m, trial_path, &ro, &r);
	if (rc == V_CORRECT)
		rc = fuzz_check(f, &f->m, trial_path, &rw, &r);
	if (rc < 0)
		return rc;
	if (rc != V_CORRECT) {
		printf("not ok: the undamaged pool is not correct: %s: %s\n",
		       verdict_name(rc), r.detail);
		return 1;
	}
	return 0;
}

static int write_seed(struct fuzz *f)
{
	uint8_t *enc;
	size_t n;
	int rc;

	rc = seedfmt_encode(f->pristine, f->size, &enc, &n);
	rc = rc ?: fuzz_write_file(f->write_seed, enc, n);
	if (!rc)
		printf("# seed corpus: %s, %zu bytes for a %" PRIu64
		       "-byte pool\n", f->write_seed, n, f->size);
	free(enc);
	return rc;
}

int main(int argc, char **argv)
{
	static struct fuzz f;
	int rc;

	rc = fuzz_options(&f, argc, argv);
	if (rc)
		return rc < 0 ? 2 : 0;
	/* flushes instead of msync on tmpfs: thousands of opens and puts */
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);
	if (work_setup(f.dir))
		return EXIT_HARNESS;
	if (f.self_check)
		return fuzz_self_check(&f, pristine_path);
	rc = build(&f);
	if (rc) {
		fprintf(stderr, "# building the pool: %s\n", pmkv_strerror(rc));
		return EXIT_HARNESS;
	}
	if (f.write_seed)
		return write_seed(&f) ? EXIT_HARNESS : 0;
	fuzz_targets(&f);
	rc = baseline(&f);
	if (rc)
		return rc < 0 ? EXIT_HARNESS : 1;
	rc = trials(&f);
	if (rc)
		return EXIT_HARNESS;
	return fuzz_report(&f);
}
