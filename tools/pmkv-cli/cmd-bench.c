// SPDX-License-Identifier: BSD-3-Clause
/* cmd-bench.c -- pmkv-cli bench: options, the pool, the report */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libpmkv.h>

#include "config.h"
#include "bench.h"
#include "builtin.h"
#include "json.h"
#include "util.h"

#ifndef PMKV_BUILD_TYPE
#define PMKV_BUILD_TYPE "unknown"
#endif

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static const char usage[] =
	"bench [--benchmarks=<list>] [--num=<n>] [--reads=<n>]\n"
	"                      [--key_size=<bytes>] [--value_size=<bytes>]"
	" [--threads=<n>]\n"
	"                      [--db=<path>] [--pool_size=<bytes>]"
	" [--seed=<n>] [--keep]\n"
	"                      [--no_force_pmem] [--json]";

#define MAX_THREADS 1024
#define MAX_BENCHMARKS 64

/* the default pool: 3x the records of one fill, and never below 64 MiB */
#define POOL_HEADROOM 3
#define POOL_FLOOR (64ULL << 20)
/* a record's header (design: 32 bytes) and 8-byte alignment */
#define RECORD_HEADER 32
/* room for one open segment per thread plus allocator metadata */
#define SEGMENT_SLACK (4ULL << 20)

struct bench_opts {
	struct bench_config cfg;
	const struct bench_def *list[MAX_BENCHMARKS];
	unsigned nlist;
	const char *db;
	bool reads_set;
	bool no_force;
	bool json;
	bool fresh_any;		/* a benchmark in the list recreates the pool */
	bool missing_any;	/* readmissing: keys num..2*num-1 are used */
	char *dir_made;		/* the temporary directory we made */
	char *path_buf;
	bool created;		/* the pool at path is one we made */
};

static int parse_list(struct bench_opts *o, const char *cmd, char *list)
{
	char *save = NULL;

	o->nlist = 0;
	for (char *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		const struct bench_def *d = bench_lookup(t);

		if (!d)
			return util_usage_err(cmd, usage,
				"unknown benchmark '%s'; known: %s", t,
				bench_names());
		if (o->nlist == MAX_BENCHMARKS)
			return util_usage_err(cmd, usage,
				"more than %d benchmarks", MAX_BENCHMARKS);
		o->list[o->nlist++] = d;
		o->fresh_any |= d->fresh;
		o->missing_any |= d->kind == BENCH_READMISSING;
	}
	if (!o->nlist)
		return util_usage_err(cmd, usage, "--benchmarks names none");
	return 0;
}

/* a number option in [lo, hi]: 0, or CLI_USAGE after the message */
static int num_opt(const char *cmd, const char *name, const char *arg,
		   uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (util_parse_u64(arg, out) || *out < lo || *out > hi)
		return util_usage_err(cmd, usage,
			"bad --%s '%s': a number from %" PRIu64 " to %" PRIu64,
			name, arg, lo, hi);
	return 0;
}

static int parse(struct bench_opts *o, int argc, char **argv)
{
	enum { O_BENCH = 256, O_NUM, O_READS, O_KEY, O_VALUE, O_THREADS,
	       O_DB, O_POOL, O_SEED, O_JSON, O_KEEP, O_NOFORCE };
	static const struct option opts[] = {
		{ "benchmarks", required_argument, NULL, O_BENCH },
		{ "num", required_argument, NULL, O_NUM },
		{ "reads", required_argument, NULL, O_READS },
		{ "key_size", required_argument, NULL, O_KEY },
		{ "value_size", required_argument, NULL, O_VALUE },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "db", required_argument, NULL, O_DB },
		{ "pool_size", required_argument, NULL, O_POOL },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", no_argument, NULL, O_JSON },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "no_force_pmem", no_argument, NULL, O_NOFORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char list[] = BENCH_DEFAULT_LIST;
	struct bench_params *p = &o->cfg.p;
	const char *cmd = argv[0];
	uint64_t v;
	int c, rc;

	p->num = 1000000;
	p->key_size = 16;
	p->value_size = 100;
	p->threads = 1;
	o->cfg.benchmarks = BENCH_DEFAULT_LIST;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case O_BENCH:
			o->cfg.benchmarks = optarg;
			rc = parse_list(o, cmd, strdupa(optarg));
			break;
		case O_NUM:
			rc = num_opt(cmd, "num", optarg, 1, UINT64_MAX / 2,
				     &p->num);
			break;
		case O_READS:
			rc = num_opt(cmd, "reads", optarg, 0, UINT64_MAX,
				     &p->reads);
			o->reads_set = true;
			break;
		case O_KEY:
			rc = num_opt(cmd, "key_size", optarg, 1, PMKV_KEY_MAX,
				     &v);
			p->key_size = (unsigned)v;
			break;
		case O_VALUE:
			rc = num_opt(cmd, "value_size", optarg, 0,
				     PMKV_VALUE_MAX, &v);
			p->value_size = (unsigned)v;
			break;
		case O_THREADS:
			rc = num_opt(cmd, "threads", optarg, 1, MAX_THREADS,
				     &v);
			p->threads = (unsigned)v;
			break;
		case O_DB:
			if (!*optarg)
				return util_usage_err(cmd, usage,
						      "--db names no path");
			o->db = optarg;
			break;
		case O_POOL:
			if (util_parse_size(optarg, &o->cfg.pool_size) ||
			    o->cfg.pool_size < PMKV_POOL_MIN)
				return util_usage_err(cmd, usage,
					"bad --pool_size '%s': a byte count of at least %lluM, such as 1G",
					optarg, PMKV_POOL_MIN >> 20);
			break;
		case O_SEED:
			rc = num_opt(cmd, "seed", optarg, 0, UINT64_MAX,
				     &p->seed);
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_KEEP:
			o->cfg.keep = true;
			break;
		case O_NOFORCE:
			o->no_force = true;
			break;
		case 'h':
			util_print_usage(stdout, usage);
			return util_close_stdout(cmd, CLI_OK) ? CLI_FAIL : -1;
		default:
			return util_bad_option(cmd, usage, c, argv);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return util_usage_err(cmd, usage, "unexpected argument '%s'",
				      argv[optind]);
	if (!o->nlist && (rc = parse_list(o, cmd, list)))
		return rc;
	if (!o->reads_set)
		p->reads = p->num;
	/* readmissing reads the counters num..2*num-1 */
	v = o->missing_any ? 2 * p->num : p->num;
	if (v > bench_key_capacity(p->key_size))
		return util_usage_err(cmd, usage,
			"--key_size=%u holds %" PRIu64 " distinct keys, --num=%" PRIu64 " needs %" PRIu64,
			p->key_size, bench_key_capacity(p->key_size), p->num,
			v);
	return 0;
}

static uint64_t default_pool_size(const struct bench_params *p)
{
	unsigned __int128 rec = (RECORD_HEADER + p->key_size + p->value_size +
				 7) & ~7ULL;
	unsigned __int128 sz = rec * p->num * POOL_HEADROOM;

	sz += (unsigned __int128)(p->threads + 4) * SEGMENT_SLACK;

	if (sz > UINT64_MAX / 2)
		sz = UINT64_MAX / 2;
	if (sz < POOL_FLOOR)
		sz = POOL_FLOOR;
	return ((uint64_t)sz + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
}

static bool on_tmpfs(const char *path)
{
	char *copy = strdup(path);
	struct statfs fs;
	bool r = false;

	if (copy) {
		r = statfs(dirname(copy), &fs) == 0 &&
		    fs.f_type == (typeof(fs.f_type))TMPFS_MAGIC;
		free(copy);
	}
	return r;
}

static void system_info(struct bench_config *cfg)
{
	struct utsname u;
	char line[256];
	FILE *f;

	snprintf(cfg->cpu, sizeof(cfg->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || (strncmp(line, "model name", 10) &&
			       strncmp(line, "cpu model", 9)))
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(cfg->cpu, sizeof(cfg->cpu), "%s", colon);
		break;
	}
	if (f)
		fclose(f);
	cfg->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (getloadavg(cfg->loadavg, 3) != 3)
		cfg->loadavg[0] = cfg->loadavg[1] = cfg->loadavg[2] = -1;
	if (uname(&u) == 0)
		snprintf(cfg->kernel, sizeof(cfg->kernel), "%s %s %s",
			 u.sysname, u.release, u.machine);
	else
		snprintf(cfg->kernel, sizeof(cfg->kernel), "unknown");
}

/* a fresh temporary directory on /dev/shm, else $TMPDIR, else /tmp */
static int make_tmp_pool(struct bench_opts *o, const char *cmd)
{
	const char *base = getenv("TMPDIR");
	struct stat st;

	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		base = "/dev/shm";
	else if (!base || !*base)
		base = "/tmp";
	if (asprintf(&o->dir_made, "%s/pmkv-bench.XXXXXX", base) < 0) {
		o->dir_made = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(o->dir_made)) {
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, o->dir_made,
			strerror(errno));
		free(o->dir_made);
		o->dir_made = NULL;
		return -errno;
	}
	if (asprintf(&o->path_buf, "%s/bench.pool", o->dir_made) < 0) {
		o->path_buf = NULL;
		return -ENOMEM;
	}
	o->cfg.path = o->path_buf;
	return 0;
}

/*
 * --db names a path: nothing there, or a pmkv pool we may reuse or
 * replace. Anything else is refused, so a typo cannot destroy a file.
 */
static int check_db(struct bench_opts *o, const char *cmd, struct pmkv **kv)
{
	const char *path = o->db;
	struct stat st;
	int rc;

	o->cfg.path = path;
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, path,
			strerror(errno));
		return CLI_FAIL;
	}
	if (S_ISCHR(st.st_mode) && o->fresh_any) {
		fprintf(stderr, "pmkv-cli %s: %s: a device cannot be recreated for fill benchmarks yet; run only read benchmarks on it\n",
			cmd, path);
		return CLI_FAIL;
	}
	rc = util_open(cmd, path, 0, 0, kv);
	if (rc) {
		fprintf(stderr, "pmkv-cli %s: %s: not replacing what is not a pmkv pool\n",
			cmd, path);
		return rc;
	}
	o->cfg.existing = true;
	return 0;
}

/* close the pool, remove it and create it empty: every fill starts so */
static int recreate(struct bench_opts *o, const char *cmd, struct pmkv **kv)
{
	const char *path = o->cfg.path;

	pmkv_close(kv);
	if (unlink(path) && errno != ENOENT) {
		fprintf(stderr, "pmkv-cli %s: %s: cannot remove: %s\n", cmd,
			path, strerror(errno));
		return CLI_FAIL;
	}
	o->created = true;
	return util_open(cmd, path, PMKV_F_CREATE | PMKV_F_EXCL,
			 o->cfg.pool_size, kv);
}

static const char *pmem_text(const struct bench_config *cfg, char *buf,
			     size_t len)
{
	if (!cfg->info.is_pmem) {
		snprintf(buf, len, "not pmem");
	} else if (!cfg->info.pmem_forced) {
		snprintf(buf, len, "pmem");
	} else if (cfg->force && !strcmp(cfg->force, "pmkv-cli")) {
		snprintf(buf, len,
			 "pmem forced: PMEM_IS_PMEM_FORCE=1 set by pmkv-cli, as the pool is on tmpfs (--no_force_pmem: msync)");
	} else {
		snprintf(buf, len,
			 "pmem forced: PMEM_IS_PMEM_FORCE=1 from the environment");
	}
	return buf;
}

static const char *granularity_text(const struct pmkv_info *info)
{
	if (!info->is_pmem)
		return "page: each fence is an msync";
	if (info->pmem_forced)
		return "cache line, emulated: flushes and fences run, the memory is DRAM";
	return "cache line: flush + fence";
}

static void print_config(const struct bench_opts *o)
{
	const struct bench_config *cfg = &o->cfg;
	const struct bench_params *p = &cfg->p;
	char b1[UTIL_SIZE_BUF], b2[UTIL_SIZE_BUF], txt[192];

	printf("pmkv-cli %s, libpmkv %d.%d, build type %s\n",
	       cfg->cli_version, cfg->lib_major, cfg->lib_minor,
	       cfg->build_type);
	if (!strcmp(cfg->build_type, "debug") ||
	    !strcmp(cfg->build_type, "plain"))
		printf("WARNING: built without optimization: the figures are not representative\n");
	printf("pool:        %s (%s%s)\n", cfg->path,
	       cfg->existing ? (o->fresh_any ?
				"an existing pool, replaced by the fills" :
				"an existing pool, used as it is") :
			       "new",
	       cfg->keep ? ", kept at the end" :
	       cfg->existing && !o->fresh_any ? "" :
	       ", removed at the end; --keep keeps it");
	printf("medium:      %s, %s\n", json_media_name(cfg->info.media),
	       pmem_text(cfg, txt, sizeof(txt)));
	printf("granularity: %s\n", granularity_text(&cfg->info));
	printf("pool size:   %s bytes (%s)\n",
	       util_size_fmt(b1, cfg->info.pool_size, 0),
	       util_size_fmt(b2, cfg->info.pool_size, UTIL_HUMAN));
	printf("keys:        %u bytes, big-endian counters: seq is sorted order\n",
	       p->key_size);
	printf("values:      %u bytes\n", p->value_size);
	printf("entries:     %" PRIu64 " (reads %" PRIu64 ")\n", p->num,
	       p->reads);
	printf("threads:     %u\n", p->threads);
	printf("seed:        %" PRIu64 "\n", p->seed);
	printf("cpu:         %s, %ld online\n", cfg->cpu, cfg->cpus);
	printf("kernel:      %s\n", cfg->kernel);
	printf("loadavg:     %.2f %.2f %.2f\n", cfg->loadavg[0],
	       cfg->loadavg[1], cfg->loadavg[2]);
	printf("benchmarks:  %s\n", cfg->benchmarks);
	printf("------------------------------------------------\n");
	fflush(stdout);
}

static void print_result(const struct bench_result *r)
{
	printf("%-12s : %11.3f micros/op; %9.0f ops/sec; %7.1f MB/s;"
	       " %" PRIu64 " ops", r->name, r->micros_per_op, r->ops_per_sec,
	       r->mb_per_sec, r->ops);
	if (r->has_found)
		printf("; %s %" PRIu64 " of %" PRIu64,
		       strcmp(r->name, "deleterandom") ? "found" : "deleted",
		       r->found, r->ops);
	printf("\n%15slatency us: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f;"
	       " %.2f fences/op; %.1f flushed bytes/op\n", "", r->p50_us,
	       r->p99_us, r->p999_us, r->max_us, r->fences_per_op,
	       r->flushed_bytes_per_op);
	fflush(stdout);
}

static void report_unverified(const struct bench_opts *o, const char *cmd,
			      const struct bench_result *r)
{
	char exp[32] = "";

	if (r->expected >= 0)
		snprintf(exp, sizeof(exp), ", expected %" PRId64, r->expected);
	fprintf(stderr, "pmkv-cli %s: %s: %s: verification failed: found %" PRIu64 " of %" PRIu64 "%s; %" PRIu64 " wrong keys or values\n",
		cmd, o->cfg.path, r->name, r->found, r->ops, exp, r->wrong);
	if (!o->json)
		printf("%15sVERIFICATION FAILED: found %" PRIu64 "%s, %" PRIu64 " wrong\n",
		       "", r->found, exp, r->wrong);
}

static void on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static void cleanup(struct bench_opts *o, struct pmkv **kv)
{
	pmkv_close(kv);
	if (o->created && !o->cfg.keep && o->cfg.path)
		unlink(o->cfg.path);
	if (o->dir_made && (!o->created || !o->cfg.keep))
		rmdir(o->dir_made);
	free(o->dir_made);
	free(o->path_buf);
}

int cmd_bench(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct bench_opts o = { 0 };
	struct bench_config *cfg = &o.cfg;
	struct json_object *results = NULL;
	enum bench_state state;
	struct sigaction sa = { 0 };
	struct pmkv *kv = NULL;
	bool pristine;
	int rc, status = CLI_OK;

	rc = parse(&o, argc, argv);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!cfg->pool_size)
		cfg->pool_size = default_pool_size(&cfg->p);
	cfg->build_type = PMKV_BUILD_TYPE;
	cfg->cli_version = PMKV_VERSION_STRING;
	pmkv_version(&cfg->lib_major, &cfg->lib_minor);
	cfg->p.progress = isatty(STDERR_FILENO);
	system_info(cfg);

	/* from here on an interrupt stops the run, and cleanup() still runs */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = o.db ? check_db(&o, cmd, &kv) : make_tmp_pool(&o, cmd);
	if (rc) {
		cleanup(&o, &kv);
		return CLI_FAIL;
	}

	/*
	 * On tmpfs there is no medium to flush to: forcing pmem makes pmkv
	 * run its pmem path (flush + fence) instead of msync, which is what
	 * a pool on real pmem would do. libpmem reads the variable when a
	 * pool is first mapped, so this must come before the first open.
	 */
	if (getenv("PMEM_IS_PMEM_FORCE")) {
		cfg->force = "environment";
	} else if (!o.no_force && on_tmpfs(cfg->path)) {
		setenv("PMEM_IS_PMEM_FORCE", "1", 1);
		cfg->force = "pmkv-cli";
	}
	if (cfg->existing) {
		/* check_db() opened it before the variable was set */
		pmkv_close(&kv);
		rc = util_open(cmd, cfg->path, 0, 0, &kv);
		state = BENCH_EXISTING;
		pristine = false;
	} else {
		rc = recreate(&o, cmd, &kv);
		state = BENCH_EMPTY;
		pristine = true;
	}
	if (!rc && (rc = pmkv_get_info(kv, &cfg->info, sizeof(cfg->info))))
		rc = util_err(cmd, cfg->path, rc, NULL);
	if (rc) {
		cleanup(&o, &kv);
		return CLI_FAIL;
	}

	if (o.json)
		results = json_object_new_array();
	else
		print_config(&o);

	for (unsigned i = 0; i < o.nlist; i++) {
		const struct bench_def *d = o.list[i];
		struct bench_result res;
		char msg[768];

		if (bench_stop) {
			fprintf(stderr, "pmkv-cli %s: %s: interrupted\n", cmd,
				cfg->path);
			status = CLI_FAIL;
			break;
		}
		/*
		 * A fill starts from a new pool, not from one made empty by
		 * deletes: their tombstones and dead segments would change
		 * the figures. The pool made above is new until first used.
		 */
		if (d->fresh && !pristine) {
			if (recreate(&o, cmd, &kv)) {
				status = CLI_FAIL;
				break;
			}
			state = BENCH_EMPTY;
		}
		pristine = false;
		rc = bench_run(kv, &cfg->p, d, &state, &res, msg, sizeof(msg));
		if (rc) {
			fprintf(stderr, "pmkv-cli %s: %s: %s: %s\n", cmd,
				cfg->path, pmkv_strerror(rc), msg);
			status = CLI_FAIL;
			break;
		}
		if (o.json)
			json_object_array_add(results,
					      bench_result_to_json(&res));
		else
			print_result(&res);
		if (!res.verified) {
			report_unverified(&o, cmd, &res);
			status = CLI_FAIL;
		}
	}

	if (o.json) {
		struct json_object *doc = json_object_new_object();

		json_object_object_add(doc, "config",
				       bench_config_to_json(cfg));
		json_object_object_add(doc, "results", results);
		json_print(stdout, doc);
		json_object_put(doc);
	} else if (cfg->keep) {
		printf("pool kept: %s\n", cfg->path);
	}
	cleanup(&o, &kv);
	return util_close_stdout(cmd, status);
}
