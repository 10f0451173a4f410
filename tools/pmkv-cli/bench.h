/* SPDX-License-Identifier: BSD-3-Clause */
/* bench.h -- the benchmarks of pmkv-cli bench: definitions, inputs, results */
#ifndef PMKV_CLI_BENCH_H
#define PMKV_CLI_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpmkv.h>

/*
 * Names and meanings follow LevelDB/RocksDB db_bench, so numbers can be
 * put next to theirs. Keys are big-endian counters 0..num-1 (padded to
 * key_size), so "seq" is sorted order; each thread writes its own share
 * of that range and reads anywhere in it.
 */
enum bench_kind {
	BENCH_FILLSEQ,		/* puts of the thread's share, in key order */
	BENCH_FILLRANDOM,	/* puts of the share, each key once, shuffled */
	BENCH_OVERWRITE,	/* puts of random keys of the share */
	BENCH_READRANDOM,	/* gets of random keys of 0..num-1 */
	BENCH_READSEQ,		/* an iterator over the share, in order */
	BENCH_READMISSING,	/* gets of random keys that were never put */
	BENCH_DELETERANDOM,	/* deletes of the share, each key once */
};

struct bench_def {
	const char *name;
	enum bench_kind kind;
	bool fresh;		/* starts from an empty pool */
};

/* NULL when no benchmark has that name */
const struct bench_def *bench_lookup(const char *name);

/* "fillseq,fillrandom,..." of every benchmark, for usage messages */
const char *bench_names(void);

#define BENCH_DEFAULT_LIST \
	"fillseq,fillrandom,overwrite,readrandom,readseq,deleterandom"

/*
 * What the pool holds, as far as the benchmarks run before know. Reads
 * check their results against it: FULL means every key 0..num-1 with the
 * value this run writes for it.
 */
enum bench_state {
	BENCH_EMPTY,
	BENCH_FULL,
	BENCH_PARTIAL,		/* keys of 0..num-1 with our values, not all */
	BENCH_EXISTING,		/* a pool given with --db: unknown contents */
};

/* the inputs of every figure */
struct bench_params {
	uint64_t num;		/* keys the fills write */
	uint64_t reads;		/* operations of each read benchmark */
	uint64_t seed;
	unsigned key_size, value_size, threads;
	bool progress;		/* a progress line on stderr each second */
};

/* everything pmkv-cli bench prints before the first figure */
struct bench_config {
	struct bench_params p;
	const char *benchmarks;	/* as given: "fillseq,readrandom" */
	const char *path;
	bool keep;		/* leave the pool behind */
	bool existing;		/* --db named a pool that was there */
	uint64_t pool_size;
	struct pmkv_info info;
	/* who set PMEM_IS_PMEM_FORCE: NULL, "pmkv-cli" or "environment" */
	const char *force;
	const char *build_type;
	const char *cli_version;
	int lib_major, lib_minor;
	char cpu[128];
	long cpus;
	char kernel[200];	/* three utsname fields of 65 */
	double loadavg[3];	/* other work on the machine skews every figure */
};

struct bench_result {
	const char *name;
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
	double fences_per_op, flushed_bytes_per_op;
};

/* set by a signal handler: every worker stops at its next operation */
extern volatile sig_atomic_t bench_stop;

/*
 * bench_key_capacity -- how many distinct counters a key of key_size bytes
 * holds (UINT64_MAX for 8 bytes and more)
 */
uint64_t bench_key_capacity(unsigned key_size);

/*
 * bench_run -- run one benchmark on an open pool and fill *res
 *
 * [in,out] state: what the pool holds before; updated to after.
 * Returns 0 (check res->verified), -EINTR when bench_stop was set, or the
 * library's code for an operation that failed; then msg (msglen bytes)
 * holds pmkv_errormsg() of the failing thread and which op it was.
 */
int bench_run(struct pmkv *kv, const struct bench_params *p,
	      const struct bench_def *def, enum bench_state *state,
	      struct bench_result *res, char *msg, size_t msglen);

#endif /* PMKV_CLI_BENCH_H */
