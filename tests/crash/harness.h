/* SPDX-License-Identifier: BSD-3-Clause */
/* harness.h -- simulated power failures at every persistence point */
#ifndef PMKV_CRASH_HARNESS_H
#define PMKV_CRASH_HARNESS_H

/*
 * A crash program describes workloads: a pool, setup operations run
 * before the clean point, and the operations under test. cw_run() then:
 *
 *   1. builds the pool from the setup operations (not recorded);
 *   2. runs the workload once in a child with the recorder armed
 *      (lib/crash.h) and counts its persistence points;
 *   3. runs it again, and at each chosen point writes the crash image
 *      (strict, and evicted with seeds), while the workload waits;
 *   4. for each image, in a fresh child: pmkv_open() on it, check_run(),
 *      and the oracle: the pool holds exactly the state before the
 *      operation in flight or after it, so every acknowledged operation
 *      is there and none is half there; then a put and check_run() again,
 *      to see the pool is usable;
 *   5. for some images, runs a reopen and two puts on a copy and crashes
 *      them at each of their points: the state the reopen found must
 *      survive every crash in it, and the puts are judged as in 4.
 *
 * doc/crash-tests.md says how to read the output and reproduce a failure.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cw_kind { CW_PUT, CW_DEL, CW_BATCH };

struct cw_sub {
	bool del;
	uint32_t key, vlen;
};

struct cw_op {
	enum cw_kind kind;
	uint32_t key, vlen;	/* put, delete */
	uint32_t n;		/* batch: n operations in sub */
	struct cw_sub *sub;
	uint32_t gen;		/* names the values this operation writes */
};

struct cw_list {
	struct cw_op *v;
	size_t n, cap;
};

struct cw {
	char name[64];
	uint64_t pool_size;
	uint32_t nkeys;		/* keys are 0 .. nkeys - 1 */
	bool create;		/* the workload creates the pool: no setup */
	bool expect_gc;		/* reclamation must run during the workload */
	/*
	 * the image after the workload's clean close always has its reopen
	 * crashed at each of its points: the open that loads the index
	 * checkpoint the close wrote, and the writes and close after it
	 */
	bool reopen_closed;
	struct cw_list setup, ops;
	uint32_t next_gen;
	struct cw_list *cur;	/* where cw_put() and friends append */
	struct cw_op *batch;	/* open batch, between begin and end */
};

struct cw_opts {
	uint64_t seed;
	unsigned images;	/* strict images per workload, at most */
	unsigned evict;		/* evicted images per imaged point */
	unsigned recovery;	/* images per workload whose reopen is crashed */
	bool expect_violations;	/* the "can fail" test: V > 0 is the pass */
	const char *only;	/* run only this workload */
	uint64_t only_point;	/* and image only this point (0: all) */
	const char *keep;	/* copy images that fail here */
	unsigned max_reports;	/* violations printed per workload; 0: all */
	bool msync;		/* the pool is not pmem: msync() persists */
	bool verbose;
};

/* totals over every workload a program ran */
struct cw_totals {
	uint64_t points, own_points, images, evict_images, recovery_images;
	uint64_t violations, workloads;
};
extern struct cw_totals cw_total;

void cw_init(struct cw *w, const char *name, uint64_t pool_size,
	     uint32_t nkeys);
void cw_free(struct cw *w);
/* following operations go to setup (true) or to the workload (false) */
void cw_phase_setup(struct cw *w, bool setup);
void cw_put(struct cw *w, uint32_t key, uint32_t vlen);
void cw_del(struct cw *w, uint32_t key);
void cw_batch_begin(struct cw *w);
void cw_batch_put(struct cw *w, uint32_t key, uint32_t vlen);
void cw_batch_del(struct cw *w, uint32_t key);
void cw_batch_end(struct cw *w);

/* keep the first n workload operations */
void cw_truncate(struct cw *w, size_t n);

/*
 * The index of the first workload operation during which reclamation
 * copied records forward, on a copy of the setup's pool, without the
 * recorder; -1 if none did.
 */
long cw_probe_gc(struct cw *w);

/*
 * The reclamation workload: a 16 MiB pool with nkeys keys of 4 KiB,
 * churned with random overwrites and deletes until reclamation has run;
 * the workload is the churn after a reopen up to and just past the first
 * reclamation that copies records forward.
 */
void cw_reclaim(struct cw *w, const char *name, uint32_t nkeys);

/* run one workload; adds to cw_total; exits 99 on a harness error */
void cw_run(struct cw *w, const struct cw_opts *o);

/*
 * parse --images N --evict N --recovery N --seed N --only W[:P] --keep D
 * --msync -v
 */
void cw_opts_parse(struct cw_opts *o, int argc, char **argv);

/*
 * Call first in main(). libpmem decides once, when it starts, whether the
 * pool is pmem: re-execs with PMEM_IS_PMEM_FORCE=1 (flushes and fences),
 * or =0 with --msync (every persist an msync() of whole pages), when the
 * environment says otherwise.
 */
void cw_begin(int argc, char **argv, const char *what);

/* print "crash images: N, violations: V" and return the exit code */
int cw_end(const struct cw_opts *o);

/* the name of key id (1 to 66 bytes) and the value of a generation */
size_t cw_key_name(uint32_t id, char *buf);
/* fork, with stdio flushed first; exits on failure */
pid_t cw_fork(void);
/* wait for pid: 0 when it exited 0, else a description in buf */
int cw_reap(pid_t pid, char *buf, size_t n);
/* splitmix64's finaliser: a well-mixed 64 bits from z */
uint64_t cw_mix64(uint64_t z);
void cw_value(uint8_t *buf, uint32_t key, uint32_t gen, uint32_t vlen);

#endif /* PMKV_CRASH_HARNESS_H */
