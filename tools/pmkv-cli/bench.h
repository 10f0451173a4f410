/* SPDX-License-Identifier: BSD-3-Clause */
/* bench.h -- the benchmarks of pmkv-cli bench: definitions, inputs, results */
#ifndef PMKV_CLI_BENCH_H
#define PMKV_CLI_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpmkv.h>

#include "engine.h"
#include "floor.h"
#include "floor-io.h"

struct hist;

/*
 * Names and meanings follow LevelDB/RocksDB db_bench, so numbers can be
 * put next to theirs; the ycsb-* mixes are YCSB's core workloads A to F.
 * Keys are big-endian counters 0..num-1 (padded to key_size), so "seq"
 * is sorted order; each thread writes its own share of that range and
 * reads anywhere in it. readmissing reads num..2*num-1, which nothing
 * writes; YCSB's inserts add 2*num, 2*num+1, ...
 */
enum bench_kind {
	BENCH_FILLSEQ,		/* puts of the thread's share, in key order */
	BENCH_FILLRANDOM,	/* puts of the share, each key once, shuffled */
	BENCH_OVERWRITE,	/* puts of random keys of the share */
	BENCH_READRANDOM,	/* gets of random keys of 0..num-1 */
	BENCH_READSEQ,		/* an iterator over the share, in order */
	BENCH_READMISSING,	/* gets of random keys that were never put */
	BENCH_SEEKRANDOM,	/* seek to a random key, then seek_nexts nexts */
	BENCH_DELETERANDOM,	/* deletes of the share, each key once */
	BENCH_READWHILEWRITING,	/* readrandom, one more thread overwriting */
	BENCH_YCSB,		/* a YCSB mix: see struct bench_def */
	/* the transfers (bench-xfer.c): one call each, timed */
	BENCH_BACKUP,		/* a hot backup into the backup directory */
	BENCH_RESTORE,		/* the latest backup into a new store */
	BENCH_BACKUP_PUTS,	/* overwrite alone, then during backups */
	/* bench-open.c: the store closed and opened again, timed */
	BENCH_OPEN,		/* after a clean close, then after a crash */
};

/* the shares of a YCSB mix, in percent; they add up to 100 */
struct bench_mix {
	unsigned read, update, insert, scan, rmw;
	bool latest;		/* reads pick recent inserts (workload D) */
};

struct bench_def {
	const char *name;
	enum bench_kind kind;
	bool fresh;		/* starts from an empty pool */
	bool timed;		/* random ops: --duration replaces the count */
	struct bench_mix mix;	/* BENCH_YCSB only */
};

/* NULL when no benchmark has that name */
const struct bench_def *bench_lookup(const char *name);

/* "fillseq,fillrandom,..." of every benchmark, for usage messages */
const char *bench_names(void);

#define BENCH_DEFAULT_LIST \
	"fillseq,fillrandom,overwrite,readrandom,readseq,deleterandom"

/* YCSB's maxscanlength: workload E scans 1..100 records, uniformly */
#define BENCH_YCSB_SCAN_MAX 100

enum bench_dist {
	BENCH_DIST_UNIFORM,
	BENCH_DIST_ZIPFIAN,	/* theta 0.99, ranks scattered over the keys */
};

/*
 * What a store holds of the counters 0..2*num-1, as far as the benchmarks
 * run before know. Reads check their results against it: FULL means
 * every key 0..num-1 with the value this run writes for it, and none of
 * num..2*num-1.
 */
enum bench_contents {
	BENCH_EMPTY,
	BENCH_FULL,
	BENCH_PARTIAL,		/* keys of 0..num-1 with our values, not all */
	BENCH_EXISTING,		/* a store given with --db: unknown contents */
};

struct bench_state {
	enum bench_contents contents;
	uint64_t inserted;	/* YCSB inserts: counters 2*num.. of them */
};

/* the inputs of every figure */
struct bench_params {
	uint64_t num;		/* keys the fills write */
	uint64_t reads;		/* operations of each read or mixed benchmark */
	uint64_t seed;
	uint64_t seek_nexts;	/* seekrandom: nexts after each seek */
	uint64_t duration;	/* seconds, 0: none (see the man page) */
	enum bench_dist dist;
	unsigned key_size, value_size, threads;
	bool progress;		/* a progress line on stderr each second */
	bool histogram;		/* keep each result's merged histogram */
};

struct bench_result {
	const char *name;
	const char *engine;
	unsigned threads;
	uint64_t ops;		/* operations done */
	uint64_t found;		/* reads: keys found; deletes: keys removed */
	bool has_found;
	int64_t expected;	/* what found must be; -1: unknown */
	uint64_t wrong;		/* keys or values other than those put */
	bool verified;		/* found == expected (if known), wrong == 0 */
	double seconds;		/* wall time, first start to last end */
	double ops_per_sec, micros_per_op, mb_per_sec;
	double p50_us, p99_us, p999_us, max_us;
	bool has_stats;		/* the engine counts fences (pmkv) */
	double fences_per_op, flushed_bytes_per_op;
	/* has_stats: DRAM of the index and live keys after the run */
	uint64_t index_bytes, keys;
	/* unavoidable work per op: random DRAM reads and durable writes */
	double reads_per_op, writes_per_op;
	/* YCSB: operations of each kind; they add up to ops */
	uint64_t n_read, n_update, n_insert, n_scan, n_rmw;
	uint64_t writer_ops;	/* readwhilewriting: the writer's puts */

	/* backup, restore: one engine call, timed (bench-xfer.c) */
	bool is_xfer;
	const char *xfer_how;	/* the engine's backup_how or restore_how */
	char *target;		/* the backup; bench_result_fini() frees it */
	bool made_backup;	/* restore: it made the backup first, untimed */
	struct bench_xfer_report xrep;
	uint64_t xfer_bytes;	/* what GB/s and CPU per GB divide */
	double gb_per_sec;	/* 10^9 bytes a second of wall time */
	/* getrusage(RUSAGE_SELF) differences: every thread of the process */
	double user_s_per_gb, sys_s_per_gb;
	double open_seconds;	/* restore: first open of the new store */
	uint64_t check_reads;	/* restore: the gets that checked it */

	/* backup-puts: the puts are res's; these are the rest */
	bool is_hot;
	double puts_alone;	/* overwrite's ops/sec with no backup running */
	double puts_ratio;	/* ops_per_sec (during backups) over it */
	uint64_t backups;	/* finished during the puts */
	uint64_t backups_cancelled;	/* stopped when the puts ended */
	uint64_t backup_bytes;	/* of the finished ones */
	double backup_busy;	/* the share of the puts' time a backup ran */

	/* open: seconds of an open after a clean close, after a crash */
	bool is_open;
	double open_clean_s, open_crash_s;
	double close_s;			/* the clean close before */
	double open_floor_s;		/* index_bytes of fresh memory faulted in */

	struct hist *hist;	/* with params.histogram; bench_result_fini() */

	/* filled by the caller, who knows the floor and the other engines */
	double floor_ns;	/* floor_ns() of this op mix */
	double floor_multiple;	/* micros_per_op over floor_ns; 0: none */
	const char *vs_engine;	/* the first engine; NULL: no ratio */
	double ratio_vs_first;	/* ops_per_sec over vs_engine's (GB/s) */
	/* backup, restore: the direct I/O floor's write or read GB/s */
	double io_floor_gbps;	/* 0: not measured */
	double io_floor_ratio;	/* gb_per_sec over it */
};

/*
 * What the transfer benchmarks of one engine's turn share: where backups
 * go, the latest one, and where restore makes its new store.
 */
struct bench_xfer_ctx {
	const char *dir;	/* the backup directory made for the run */
	unsigned queue_depth;
	/* restore's new store: create false, so open() opens it after */
	struct bench_store_conf restore;
	char *backup;		/* the latest backup; NULL: none yet */
	struct bench_state backup_st;	/* what the store held then */
	unsigned made;		/* backups made, which names the next */
	bool keep;		/* leave the latest backup behind */
};

/* the most engines one run compares */
#define BENCH_MAX_ENGINES 3

/* one engine's store during a run */
struct bench_store {
	const struct bench_engine *eng;
	char *path;
	struct bench_db *db;
	struct bench_state st;
	bool existing;		/* it was there before the run */
	bool created;		/* the store at path is one we made */
	bool pristine;		/* new and not used yet */
	char mode[384];		/* eng->describe() */
	struct bench_xfer_ctx xfer;
	char *restore_path;	/* xfer.restore.path */
};

/* everything pmkv-cli bench prints before the first figure */
struct bench_config {
	struct bench_params p;
	const char *benchmarks;	/* as given: "fillseq,readrandom" */
	const char *engines;	/* as given: "pmkv,lmdb" */
	const char *path;	/* the pmkv pool; other stores are named after it */
	char dir[PATH_MAX];	/* the directory every store is in */
	char fs[32];		/* its filesystem: "tmpfs", "ext4", ... */
	bool on_tmpfs;
	bool keep;		/* leave the stores behind */
	bool existing;		/* --db named a pool that was there */
	bool sync;		/* --sync: durable writes in LMDB and RocksDB */
	bool no_helper;		/* --no_helper: pmkv without its helper thread */
	uint64_t pool_size;	/* pmkv pool */
	uint64_t map_size;	/* LMDB map */
	uint64_t floor_buffer;	/* bytes of the pointer chase */
	bool has_pmkv;
	struct pmkv_info info;	/* of the pmkv pool, if has_pmkv */
	/* who set PMEM_IS_PMEM_FORCE: NULL, "pmkv-cli" or "environment" */
	const char *force;
	const char *build_type;
	const char *build_flags;
	const char *cli_version;
	int lib_major, lib_minor;
	char cpu[128];
	long cpus;
	char kernel[200];	/* three utsname fields of 65 */
	double loadavg[3];	/* other work on the machine skews every figure */
	struct bench_store store[BENCH_MAX_ENGINES];
	unsigned nstores;
	struct bench_floor floor;
	/* the transfer benchmarks: where backups go and their floor */
	bool has_xfer;		/* backup, restore or backup-puts is listed */
	char backup_dir[PATH_MAX];	/* made for the run, in the one given */
	char backup_fs[32];
	bool backup_on_tmpfs;	/* no O_DIRECT there */
	unsigned queue_depth;
	struct bench_io_floor io_floor;
};

/* "uniform" or "zipfian" */
const char *bench_dist_name(enum bench_dist d);

void bench_result_fini(struct bench_result *res);

/* set by a signal handler: every worker stops at its next operation */
extern volatile sig_atomic_t bench_stop;

/*
 * bench_key_capacity -- how many distinct counters a key of key_size bytes
 * holds (UINT64_MAX for 8 bytes and more)
 */
uint64_t bench_key_capacity(unsigned key_size);

/*
 * bench_run -- run one benchmark on an open store and fill *res
 *
 * [in,out] st: what the store holds before; updated to after.
 * Returns 0 (check res->verified), -EINTR when bench_stop was set, or the
 * engine's code for an operation that failed; then msg (msglen bytes)
 * holds the failing thread's message and which op it was.
 */
int bench_run(const struct bench_engine *eng, struct bench_db *db,
	      const struct bench_params *p, const struct bench_def *def,
	      struct bench_state *st, struct bench_result *res, char *msg,
	      size_t msglen);

/* whether def is one of the transfers, which bench_xfer_run() runs */
bool bench_is_xfer(const struct bench_def *def);

/*
 * bench_xfer_run -- run backup, restore or backup-puts on an open store
 *
 * As bench_run(), with x for the backups: backup replaces x->backup (and
 * removes the one before); restore restores x->backup,
 * making one first when there is none, checks the new store with a
 * readrandom and removes it.
 */
int bench_xfer_run(const struct bench_engine *eng, struct bench_db *db,
		   const struct bench_params *p, const struct bench_def *def,
		   struct bench_state *st, struct bench_xfer_ctx *x,
		   struct bench_result *res, char *msg, size_t msglen);

/*
 * bench_open_run -- close the store *db, time an open of it (after that
 * clean close), then, once a child opened it read-write and died without
 * closing, another open (after a crash); *db is the last open's handle,
 * or NULL after a failure. c says how to open it.
 */
int bench_open_run(const struct bench_engine *eng, struct bench_db **db,
		   const struct bench_store_conf *c,
		   const struct bench_def *def, struct bench_result *res,
		   char *msg, size_t msglen);

/* remove what bench_xfer_run() left in x, unless x->keep: true if kept */
bool bench_xfer_done(struct bench_xfer_ctx *x);

#endif /* PMKV_CLI_BENCH_H */
