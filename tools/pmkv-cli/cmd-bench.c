// SPDX-License-Identifier: BSD-3-Clause
/* cmd-bench.c -- pmkv-cli bench: options, the stores, the floor, the runs */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
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
#include "bench-text.h"
#include "builtin.h"
#include "hist.h"
#include "json.h"
#include "util.h"

#ifndef PMKV_BUILD_TYPE
#define PMKV_BUILD_TYPE "unknown"
#endif
#ifndef PMKV_BUILD_FLAGS
#define PMKV_BUILD_FLAGS "unknown"
#endif

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static const char usage[] =
	"bench [--benchmarks=<list>] [--engine=<list>] [--num=<n>]"
	" [--reads=<n>]\n"
	"                      [--key_size=<bytes>] [--value_size=<bytes>]"
	" [--threads=<n>]\n"
	"                      [--seek_nexts=<n>]"
	" [--distribution=uniform|zipfian]\n"
	"                      [--duration=<seconds>] [--sync=0|1]"
	" [--db=<path>] [--pool_size=<bytes>]\n"
	"                      [--floor_buffer=<bytes>] [--seed=<n>] [--keep]"
	" [--no_force_pmem]\n"
	"                      [--no_helper] [--histogram] [--json]"
	" [--backup_dir=<dir>]\n"
	"                      [--queue_depth=<n>]";

#define MAX_THREADS 1024
#define MAX_BENCHMARKS 64

/* the default pool: 3x the records of one fill, and never below 64 MiB */
#define POOL_HEADROOM 3
#define POOL_FLOOR (64ULL << 20)
/* a record's header (lib/layout.h: struct pmkv_record) */
#define RECORD_HEADER 40
/* room for one open segment per thread plus allocator metadata */
#define SEGMENT_SLACK (4ULL << 20)

/*
 * LMDB's map: a leaf node is an 8-byte header, the key and the value; a
 * B+tree filled in random order is about 2/3 full, and copy-on-write
 * keeps freed pages until no reader needs them. 4x the records is ample,
 * and the map is only address space: the file grows as pages are used.
 */
#define MAP_HEADROOM 4
#define MAP_FLOOR (256ULL << 20)
#define LMDB_NODE 16
#define LMDB_PAGE 4096ULL

/* the default pointer chase: far beyond any last-level cache */
#define FLOOR_BUFFER (1ULL << 30)

/*
 * Backups go to a disk by default: /tmp may be tmpfs, which is memory
 * (and refuses O_DIRECT before Linux 6.6); /var/tmp is for large files
 */
#define BACKUP_BASE "/var/tmp"
/*
 * the direct I/O floor's file: about a backup of one fill, within these;
 * at least one full queue of 1 MiB requests at the default depth
 */
#define IO_FLOOR_MIN (64ULL << 20)
#define IO_FLOOR_MAX (4ULL << 30)

struct bench_opts {
	struct bench_config cfg;
	const struct bench_def *list[MAX_BENCHMARKS];
	unsigned nlist;
	const char *db;
	bool reads_set;
	bool pool_size_set;
	bool no_force;
	bool json;
	bool fresh_any;		/* a benchmark in the list recreates the store */
	bool missing_any;	/* readmissing: keys num..2*num-1 are used */
	bool insert_any;	/* ycsb-d/e: keys from 2*num on are added */
	bool hot_any;		/* backup-puts: two overwrites, backups pin */
	bool restore_any;
	const char *backup_base;	/* --backup_dir */
	bool backup_made;	/* cfg.backup_dir is ours to remove */
	bool backups_kept;	/* --keep left a backup in it */
	char *dir_made;		/* the temporary directory we made */
	char *path_buf;
};

static int parse_list(struct bench_opts *o, const char *cmd, char *list)
{
	char *save = NULL;

	o->nlist = 0;
	o->fresh_any = o->missing_any = o->insert_any = false;
	o->hot_any = o->restore_any = o->cfg.has_xfer = false;
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
		o->insert_any |= d->kind == BENCH_YCSB && d->mix.insert;
		o->hot_any |= d->kind == BENCH_BACKUP_PUTS;
		o->restore_any |= d->kind == BENCH_RESTORE;
		o->cfg.has_xfer |= bench_is_xfer(d);
	}
	if (!o->nlist)
		return util_usage_err(cmd, usage, "--benchmarks names none");
	return 0;
}

static int parse_engines(struct bench_opts *o, const char *cmd, char *list)
{
	struct bench_config *cfg = &o->cfg;
	char *save = NULL;

	cfg->nstores = 0;
	for (char *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		const struct bench_engine *e = engine_lookup(t);

		if (!e && engine_is_known(t))
			return util_usage_err(cmd, usage,
				"engine '%s' is not built into this pmkv-cli (it needs lib%s at build time: meson -D%s=enabled); built in: %s",
				t, t, t, engine_names());
		if (!e)
			return util_usage_err(cmd, usage,
				"unknown engine '%s'; built in: %s", t,
				engine_names());
		for (unsigned i = 0; i < cfg->nstores; i++)
			if (cfg->store[i].eng == e)
				return util_usage_err(cmd, usage,
					"engine '%s' named twice", t);
		if (cfg->nstores == BENCH_MAX_ENGINES)
			return util_usage_err(cmd, usage,
				"more than %d engines", BENCH_MAX_ENGINES);
		cfg->store[cfg->nstores++].eng = e;
	}
	if (!cfg->nstores)
		return util_usage_err(cmd, usage, "--engine names none");
	return 0;
}

/*
 * The options, one row each: the field a value fills, its type, its
 * range and its default. opt_apply() is the only code that knows the
 * types; parse() runs getopt_long() over the rows.
 */
enum opt_type {
	OPT_FLAG,	/* no value: sets a bool */
	OPT_NUM,	/* a decimal number in [lo, hi] */
	OPT_SIZE,	/* a byte count with a suffix, in [lo, hi] */
	OPT_CHOICE,	/* one of the words of choices */
	OPT_PATH,	/* a string that may not be empty */
	OPT_LIST,	/* a comma-separated list, parsed by fn */
};

struct opt_choice {
	const char *word;
	uint64_t val;
};

struct opt_def {
	const char *name;
	enum opt_type type;
	/* the field in struct bench_opts; a range must fit its width */
	size_t off, width;
	uint64_t lo, hi, def;
	const struct opt_choice *choices;	/* ends with a NULL word */
	const char *hint;	/* OPT_CHOICE: the words the error names */
	const char *def_list;	/* OPT_LIST: parsed before the options */
	int (*fn)(struct bench_opts *o, const char *cmd, char *list);
	size_t given;		/* a bool the option sets; 0: none */
};

#define FIELD(f) .off = offsetof(struct bench_opts, f),			\
		 .width = sizeof(((struct bench_opts *)NULL)->f)
#define GIVEN(f) .given = offsetof(struct bench_opts, f)
/* so that 0 can mean "no given flag": the first member is no bool */
_Static_assert(offsetof(struct bench_opts, cfg) == 0, "cfg comes first");

static const struct opt_choice dist_words[] = {
	{ "uniform", BENCH_DIST_UNIFORM },
	{ "zipfian", BENCH_DIST_ZIPFIAN },
	{ NULL, 0 },
};

static const struct opt_choice sync_words[] = {
	{ "1", true }, { "true", true }, { "0", false }, { "false", false },
	{ NULL, 0 },
};

/* in the order of the usage; doc/man/pmkv-cli-bench.1 documents each */
static const struct opt_def opt_table[] = {
	{ "benchmarks", OPT_LIST, FIELD(cfg.benchmarks),
	  .def_list = BENCH_DEFAULT_LIST, .fn = parse_list },
	{ "engine", OPT_LIST, FIELD(cfg.engines), .def_list = "pmkv",
	  .fn = parse_engines },
	{ "num", OPT_NUM, FIELD(cfg.p.num), .lo = 1, .hi = UINT64_MAX / 4,
	  .def = 1000000 },
	/* default: --num (parse_finish()) */
	{ "reads", OPT_NUM, FIELD(cfg.p.reads), .hi = UINT64_MAX / 4,
	  GIVEN(reads_set) },
	{ "key_size", OPT_NUM, FIELD(cfg.p.key_size), .lo = 1,
	  .hi = PMKV_KEY_MAX, .def = 16 },
	{ "value_size", OPT_NUM, FIELD(cfg.p.value_size),
	  .hi = PMKV_VALUE_MAX, .def = 100 },
	{ "threads", OPT_NUM, FIELD(cfg.p.threads), .lo = 1,
	  .hi = MAX_THREADS, .def = 1 },
	{ "seek_nexts", OPT_NUM, FIELD(cfg.p.seek_nexts), .hi = 1000000,
	  .def = 10 },
	{ "distribution", OPT_CHOICE, FIELD(cfg.p.dist),
	  .choices = dist_words, .hint = "uniform or zipfian",
	  .def = BENCH_DIST_UNIFORM },
	{ "duration", OPT_NUM, FIELD(cfg.p.duration), .hi = 1000000 },
	{ "sync", OPT_CHOICE, FIELD(cfg.sync), .choices = sync_words,
	  .hint = "1 or 0", .def = true },
	{ "db", OPT_PATH, FIELD(db) },
	/* default: default_pool_size() */
	{ "pool_size", OPT_SIZE, FIELD(cfg.pool_size), .lo = PMKV_POOL_MIN,
	  .hi = UINT64_MAX, GIVEN(pool_size_set) },
	{ "floor_buffer", OPT_SIZE, FIELD(cfg.floor_buffer),
	  .lo = 1ULL << 20, .hi = 64ULL << 30, .def = FLOOR_BUFFER },
	{ "seed", OPT_NUM, FIELD(cfg.p.seed), .hi = UINT64_MAX },
	{ "keep", OPT_FLAG, FIELD(cfg.keep) },
	{ "no_force_pmem", OPT_FLAG, FIELD(no_force) },
	{ "no_helper", OPT_FLAG, FIELD(cfg.no_helper) },
	{ "histogram", OPT_FLAG, FIELD(cfg.p.histogram) },
	{ "json", OPT_FLAG, FIELD(json) },
	/* default: BACKUP_BASE (make_backup_dir()) */
	{ "backup_dir", OPT_PATH, FIELD(backup_base) },
	{ "queue_depth", OPT_NUM, FIELD(cfg.queue_depth), .lo = 1,
	  .hi = PMKV_QUEUE_DEPTH_MAX, .def = PMKV_QUEUE_DEPTH_DEFAULT },
};

#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))
/* getopt_long() returns OPT_VAL + i for row i, clear of any short option */
#define OPT_VAL 256

/* store v in the field of d: a bool, an unsigned, an enum or a uint64_t */
static void opt_store(struct bench_opts *o, const struct opt_def *d,
		      uint64_t v)
{
	char *f = (char *)o + d->off;
	unsigned u = (unsigned)v;
	bool b = v;

	switch (d->width) {
	case sizeof(uint64_t):
		memcpy(f, &v, sizeof(v));
		break;
	case sizeof(unsigned):
		assert(v <= UINT_MAX);
		memcpy(f, &u, sizeof(u));
		break;
	case sizeof(bool):
		memcpy(f, &b, sizeof(b));
		break;
	default:
		abort();
	}
}

static void opt_store_str(struct bench_opts *o, const struct opt_def *d,
			  const char *s)
{
	assert(d->width == sizeof(s));
	memcpy((char *)o + d->off, &s, sizeof(s));
}

/* a list option: kept as given for the report, parsed from a copy */
static int list_opt(struct bench_opts *o, const char *cmd,
		    const struct opt_def *d, const char *arg)
{
	opt_store_str(o, d, arg);
	/* strtok_r() writes into the copy, which lives until we return */
	return d->fn(o, cmd, strdupa(arg));
}

/* "16M", "64G": a byte count with the largest suffix that divides it */
static const char *size_word(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

static int size_err(const char *cmd, const struct opt_def *d,
		    const char *arg)
{
	char lo[UTIL_SIZE_BUF], hi[UTIL_SIZE_BUF];

	size_word(lo, sizeof(lo), d->lo);
	if (d->hi == UINT64_MAX)
		return util_usage_err(cmd, usage,
			"bad --%s '%s': a byte count of at least %s, such as 1G",
			d->name, arg, lo);
	return util_usage_err(cmd, usage,
		"bad --%s '%s': a byte count from %s to %s", d->name, arg, lo,
		size_word(hi, sizeof(hi), d->hi));
}

/* the value of a number, size or choice option: 0, or CLI_USAGE */
static int opt_value(const char *cmd, const struct opt_def *d,
		     const char *arg, uint64_t *v)
{
	const struct opt_choice *c;

	switch (d->type) {
	case OPT_NUM:
		if (util_parse_u64(arg, v) || *v < d->lo || *v > d->hi)
			return util_usage_err(cmd, usage,
				"bad --%s '%s': a number from %" PRIu64 " to %" PRIu64,
				d->name, arg, d->lo, d->hi);
		return 0;
	case OPT_SIZE:
		if (util_parse_size(arg, v) || *v < d->lo || *v > d->hi)
			return size_err(cmd, d, arg);
		return 0;
	case OPT_CHOICE:
		for (c = d->choices; c->word; c++)
			if (!strcmp(arg, c->word)) {
				*v = c->val;
				return 0;
			}
		return util_usage_err(cmd, usage, "bad --%s '%s': %s",
				      d->name, arg, d->hint);
	default:
		*v = 1;		/* OPT_FLAG */
		return 0;
	}
}

/* one option as given on the command line */
static int opt_apply(struct bench_opts *o, const char *cmd,
		     const struct opt_def *d, const char *arg)
{
	uint64_t v;
	int rc;

	if (d->type == OPT_LIST)
		return list_opt(o, cmd, d, arg);
	if (d->type == OPT_PATH) {
		if (!*arg)
			return util_usage_err(cmd, usage, "--%s names no path",
					      d->name);
		opt_store_str(o, d, arg);
		return 0;
	}
	rc = opt_value(cmd, d, arg, &v);
	if (rc)
		return rc;
	opt_store(o, d, v);
	if (d->given)
		*(bool *)((char *)o + d->given) = true;
	return 0;
}

/* every default, before the options that replace some of them */
static void opt_defaults(struct bench_opts *o, const char *cmd)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt_def *d = &opt_table[i];

		if (d->type == OPT_LIST) {
			/* a default list is one the parser accepts */
			if (list_opt(o, cmd, d, d->def_list))
				abort();
		} else if (d->type != OPT_PATH) {
			opt_store(o, d, d->def);
		}
	}
}

static int print_help(void)
{
	util_print_usage(stdout, usage);
	printf("benchmarks: %s\nengines built in: %s\n", bench_names(),
	       engine_names());
	return util_close_stdout("bench", CLI_OK) ? CLI_FAIL : -1;
}

/* what the options imply together: --reads, the keys a key_size holds */
static int parse_finish(struct bench_opts *o, const char *cmd)
{
	struct bench_params *p = &o->cfg.p;
	uint64_t need;

	if (!o->reads_set)
		p->reads = p->num;
	/* readmissing reads the counters num..2*num-1 */
	need = o->missing_any ? 2 * p->num : p->num;
	/* YCSB inserts start at 2*num; --duration sets no bound on them */
	if (o->insert_any)
		need = 2 * p->num + (p->duration ? 1 : p->reads);
	if (need > bench_key_capacity(p->key_size))
		return util_usage_err(cmd, usage,
			"--key_size=%u holds %" PRIu64 " distinct keys, these benchmarks with --num=%" PRIu64 " need %" PRIu64,
			p->key_size, bench_key_capacity(p->key_size), p->num,
			need);
	return 0;
}

/* 0 to go on; else -1 after --help, or the exit code to return */
static int parse(struct bench_opts *o, int argc, char **argv)
{
	struct option longopts[NOPTS + 2];
	const char *cmd = argv[0];
	size_t i;
	int c, rc;

	for (i = 0; i < NOPTS; i++)
		longopts[i] = (struct option){ opt_table[i].name,
			opt_table[i].type == OPT_FLAG ? no_argument :
			required_argument, NULL, OPT_VAL + (int)i };
	longopts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[i] = (struct option){ NULL, 0, NULL, 0 };
	opt_defaults(o, cmd);

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h')
			return print_help();
		if (c < OPT_VAL || c >= OPT_VAL + (int)NOPTS)
			return util_bad_option(cmd, usage, c, argv);
		rc = opt_apply(o, cmd, &opt_table[c - OPT_VAL], optarg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return util_usage_err(cmd, usage, "unexpected argument '%s'",
				      argv[optind]);
	return parse_finish(o, cmd);
}

/*
 * records the benchmarks may add beyond one fill: YCSB's inserts, and
 * room for backup-puts, whose backups keep reclamation from the segments
 * they have still to copy
 */
static uint64_t extra_records(const struct bench_opts *o)
{
	const struct bench_params *p = &o->cfg.p;
	uint64_t n = o->hot_any ? p->num : 0;

	if (!o->insert_any)
		return n;
	return n + (p->duration ? 4 * p->num : p->reads);
}

static uint64_t default_pool_size(const struct bench_opts *o)
{
	const struct bench_params *p = &o->cfg.p;
	unsigned __int128 rec = (RECORD_HEADER + p->key_size + p->value_size +
				 7) & ~7ULL;
	unsigned __int128 sz = rec * (p->num + extra_records(o)) *
			       POOL_HEADROOM;

	sz += (unsigned __int128)(p->threads + 4) * SEGMENT_SLACK;

	if (sz > UINT64_MAX / 2)
		sz = UINT64_MAX / 2;
	if (sz < POOL_FLOOR)
		sz = POOL_FLOOR;
	return ((uint64_t)sz + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
}

static uint64_t default_map_size(const struct bench_opts *o)
{
	const struct bench_params *p = &o->cfg.p;
	unsigned __int128 node = LMDB_NODE + p->key_size + p->value_size;
	unsigned __int128 sz;

	/* a value that does not fit a page goes to pages of its own */
	if (node > LMDB_PAGE / 2)
		node = (node + LMDB_PAGE - 1) / LMDB_PAGE * LMDB_PAGE +
		       LMDB_PAGE;
	sz = node * (p->num + extra_records(o)) * MAP_HEADROOM;
	if (sz > UINT64_MAX / 2)
		sz = UINT64_MAX / 2;
	if (sz < MAP_FLOOR)
		sz = MAP_FLOOR;
	return ((uint64_t)sz + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
}

/* the name of the filesystem dir is on, and whether it is tmpfs */
static void fs_info(const char *dir, char *name, size_t len, bool *on_tmpfs)
{
	struct statfs fs;

	snprintf(name, len, "unknown");
	if (statfs(dir, &fs))
		return;
	*on_tmpfs = fs.f_type == (typeof(fs.f_type))TMPFS_MAGIC;
	switch ((unsigned long)fs.f_type) {
	case TMPFS_MAGIC:
		snprintf(name, len, "tmpfs");
		break;
	case 0xEF53:
		snprintf(name, len, "ext4");
		break;
	case 0x58465342:
		snprintf(name, len, "xfs");
		break;
	case 0x9123683E:
		snprintf(name, len, "btrfs");
		break;
	case 0x794c7630:
		snprintf(name, len, "overlayfs");
		break;
	default:
		snprintf(name, len, "0x%lx", (unsigned long)fs.f_type);
	}
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
static int make_tmp_dir(struct bench_opts *o, const char *cmd)
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

/* the path of a store: the pool's, minus ".pool", plus the suffix */
static char *store_path(const char *pool, const struct bench_engine *e)
{
	size_t n = strlen(pool);
	char *s;

	if (!e->suffix)
		return strdup(pool);
	if (n > 5 && !strcmp(pool + n - 5, ".pool"))
		n -= 5;
	if (asprintf(&s, "%.*s%s", (int)n, pool, e->suffix) < 0)
		return NULL;
	return s;
}

static void store_conf(const struct bench_config *cfg,
		       const struct bench_store *st, bool create,
		       struct bench_store_conf *c)
{
	c->path = st->path;
	c->size = st->eng->suffix ? cfg->map_size : cfg->pool_size;
	c->threads = cfg->p.threads + 1;
	c->create = create;
	c->sync = cfg->sync;
	c->no_helper = cfg->no_helper;
}

/* pmkv's name for the code, but no other engine's store is "not pmkv" */
static const char *store_strerror(const struct bench_store *st, int rc,
				  char *buf, size_t len)
{
	if (rc == PMKV_E_FOREIGN && st->eng->suffix) {
		snprintf(buf, len, "not a %s store", st->eng->name);
		return buf;
	}
	return pmkv_strerror(rc);
}

static int store_fail(const char *cmd, const struct bench_store *st, int rc,
		      const char *msg)
{
	char buf[64];

	fprintf(stderr, "pmkv-cli %s: %s: %s: %s\n", cmd, st->path,
		store_strerror(st, rc, buf, sizeof(buf)), msg);
	return CLI_FAIL;
}

/*
 * --db names a path: nothing there, or a store of the engine we may
 * reuse or replace. Anything else is refused, so a typo cannot destroy a
 * file.
 */
static int store_check(struct bench_opts *o, const char *cmd,
		       struct bench_store *st)
{
	struct bench_store_conf c;
	struct stat sb;
	char msg[512] = "";
	int rc;

	if (stat(st->path, &sb)) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, st->path,
			strerror(errno));
		return CLI_FAIL;
	}
	if (S_ISCHR(sb.st_mode) && o->fresh_any) {
		fprintf(stderr, "pmkv-cli %s: %s: a device cannot be recreated for fill benchmarks yet; run only read benchmarks on it\n",
			cmd, st->path);
		return CLI_FAIL;
	}
	store_conf(&o->cfg, st, false, &c);
	rc = st->eng->open(&c, &st->db, msg, sizeof(msg));
	if (rc) {
		store_fail(cmd, st, rc, msg);
		fprintf(stderr, "pmkv-cli %s: %s: not replacing what is not a %s store\n",
			cmd, st->path, st->eng->name);
		return CLI_FAIL;
	}
	st->existing = true;
	st->st.contents = BENCH_EXISTING;
	return 0;
}

/* remove the store and create it empty: every fill starts so */
static int store_recreate(struct bench_opts *o, const char *cmd,
			  struct bench_store *st)
{
	struct bench_store_conf c;
	char msg[512] = "";
	int rc;

	st->eng->close(&st->db);
	rc = st->eng->destroy(st->path, msg, sizeof(msg));
	if (rc)
		return store_fail(cmd, st, rc, msg);
	store_conf(&o->cfg, st, true, &c);
	st->created = true;
	rc = st->eng->open(&c, &st->db, msg, sizeof(msg));
	if (rc)
		return store_fail(cmd, st, rc, msg);
	st->st.contents = BENCH_EMPTY;
	st->st.inserted = 0;
	st->pristine = true;
	return 0;
}

/* close a store and remove it if we made it and --keep was not given */
static void store_done(struct bench_opts *o, struct bench_store *st)
{
	char msg[512];

	st->eng->close(&st->db);
	o->backups_kept |= bench_xfer_done(&st->xfer);
	if (st->created && !o->cfg.keep && st->path &&
	    !st->eng->destroy(st->path, msg, sizeof(msg)))
		st->created = false;
}

static void on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static void cleanup(struct bench_opts *o)
{
	struct bench_config *cfg = &o->cfg;
	bool kept = false;

	for (unsigned i = 0; i < cfg->nstores; i++) {
		store_done(o, &cfg->store[i]);
		kept |= cfg->store[i].created;
		free(cfg->store[i].path);
		cfg->store[i].path = NULL;
		free(cfg->store[i].restore_path);
		cfg->store[i].restore_path = NULL;
	}
	/* empty unless --keep kept backups: then rmdir leaves it */
	if (o->backup_made)
		rmdir(cfg->backup_dir);
	if (o->dir_made && !kept)
		rmdir(o->dir_made);
	free(o->dir_made);
	free(o->path_buf);
}

/*
 * The run's backup directory, made in --backup_dir (by default in
 * BACKUP_BASE, or in $TMPDIR or /tmp where that is not writable), and
 * the filesystem it is on
 */
static int make_backup_dir(struct bench_opts *o, const char *cmd)
{
	struct bench_config *cfg = &o->cfg;
	const char *base = o->backup_base;
	int n;

	if (!base) {
		base = BACKUP_BASE;
		if (access(base, W_OK | X_OK)) {
			base = getenv("TMPDIR");
			if (!base || !*base)
				base = "/tmp";
		}
	}
	n = snprintf(cfg->backup_dir, sizeof(cfg->backup_dir),
		     "%s/pmkv-bench-backup.XXXXXX", base);
	if (n >= (int)sizeof(cfg->backup_dir) || !mkdtemp(cfg->backup_dir)) {
		fprintf(stderr, "pmkv-cli %s: %s: %s\n", cmd, base,
			n >= (int)sizeof(cfg->backup_dir) ?
			"the path is too long" : strerror(errno));
		cfg->backup_dir[0] = '\0';
		return CLI_FAIL;
	}
	o->backup_made = true;
	fs_info(cfg->backup_dir, cfg->backup_fs, sizeof(cfg->backup_fs),
		&cfg->backup_on_tmpfs);
	/*
	 * A warning, not a refusal: tmpfs refuses O_DIRECT before Linux 6.6
	 * (pmkv then takes its buffered path, a figure worth having) and
	 * takes it as a copy into its pages since: either way, no disk
	 */
	if (cfg->backup_on_tmpfs)
		fprintf(stderr, "pmkv-cli %s: warning: %s is on tmpfs: the backups stay in memory, and O_DIRECT there is refused (before Linux 6.6) or a copy into the page cache; the figures do not measure a disk; --backup_dir can name a directory on one\n",
			cmd, base);
	return 0;
}

/*
 * What the transfer benchmarks need of a store: the backup directory,
 * and restore's new store beside the pool: "<pool minus .pool>-restored"
 * with the engine's suffix
 */
static int xfer_setup(struct bench_config *cfg, struct bench_store *st)
{
	struct bench_xfer_ctx *x = &st->xfer;
	size_t n = strlen(cfg->path);
	char *base;

	if (n > 5 && !strcmp(cfg->path + n - 5, ".pool"))
		n -= 5;
	if (asprintf(&base, "%.*s-restored.pool", (int)n, cfg->path) < 0)
		return -ENOMEM;
	st->restore_path = store_path(base, st->eng);
	free(base);
	if (!st->restore_path)
		return -ENOMEM;
	store_conf(cfg, st, false, &x->restore);
	x->restore.path = st->restore_path;
	x->dir = cfg->backup_dir;
	x->queue_depth = cfg->queue_depth;
	x->keep = cfg->keep;
	return 0;
}

/* the direct I/O floor's file: about the records of one fill */
static uint64_t io_floor_bytes(const struct bench_params *p)
{
	unsigned __int128 sz = (unsigned __int128)((RECORD_HEADER +
		p->key_size + p->value_size + 7) & ~7ULL) * p->num;

	if (sz < IO_FLOOR_MIN)
		return IO_FLOOR_MIN;
	return sz > IO_FLOOR_MAX ? IO_FLOOR_MAX : (uint64_t)sz;
}

/* everything before the first benchmark: stores, environment, floor */
static int prepare(struct bench_opts *o, const char *cmd)
{
	struct bench_config *cfg = &o->cfg;
	struct stat sb;
	char msg[512] = "", *copy;
	bool device;
	int rc;

	if (o->db) {
		cfg->path = o->db;
	} else if (make_tmp_dir(o, cmd)) {
		return CLI_FAIL;
	}
	copy = strdup(cfg->path);
	if (!copy)
		return CLI_FAIL;
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", dirname(copy));
	free(copy);
	fs_info(cfg->dir, cfg->fs, sizeof(cfg->fs), &cfg->on_tmpfs);
	device = stat(cfg->path, &sb) == 0 && S_ISCHR(sb.st_mode);
	if (device && (cfg->nstores > 1 || cfg->store[0].eng->suffix)) {
		fprintf(stderr, "pmkv-cli %s: %s: a device has no directory for other engines' stores; compare engines on a filesystem\n",
			cmd, cfg->path);
		return CLI_FAIL;
	}
	if (device && o->restore_any) {
		fprintf(stderr, "pmkv-cli %s: %s: restore makes a new pool beside the pool, and a device has no directory; run backup alone on it\n",
			cmd, cfg->path);
		return CLI_FAIL;
	}
	if (cfg->has_xfer && make_backup_dir(o, cmd))
		return CLI_FAIL;

	/*
	 * On tmpfs there is no medium to flush to: forcing pmem makes pmkv
	 * (and the floor's scratch file) run the pmem path (flush + fence)
	 * instead of msync, which is what a pool on real pmem would do.
	 * libpmem reads the variable when it first maps, so this comes
	 * before any store is opened.
	 */
	if (getenv("PMEM_IS_PMEM_FORCE")) {
		cfg->force = "environment";
	} else if (!o->no_force && cfg->on_tmpfs) {
		setenv("PMEM_IS_PMEM_FORCE", "1", 1);
		cfg->force = "pmkv-cli";
	}

	for (unsigned i = 0; i < cfg->nstores; i++) {
		struct bench_store *st = &cfg->store[i];

		st->path = store_path(cfg->path, st->eng);
		if (!st->path)
			return CLI_FAIL;
		if (o->db && (rc = store_check(o, cmd, st)))
			return rc;
		if (cfg->has_xfer && xfer_setup(cfg, st))
			return CLI_FAIL;
		if (!strcmp(st->eng->name, "pmkv")) {
			cfg->has_pmkv = true;
			cfg->existing = st->existing;
		}
	}

	/* before the stores fill memory, and with no other work of ours */
	if (floor_measure(&cfg->floor, device ? NULL : cfg->dir,
			  RECORD_HEADER + cfg->p.key_size + cfg->p.value_size,
			  cfg->floor_buffer, msg, sizeof(msg))) {
		fprintf(stderr, "pmkv-cli %s: the floor: %s\n", cmd, msg);
		return CLI_FAIL;
	}
	if (cfg->has_xfer &&
	    floor_io_measure(&cfg->io_floor, cfg->backup_dir,
			     io_floor_bytes(&cfg->p), cfg->queue_depth, msg,
			     sizeof(msg))) {
		fprintf(stderr, "pmkv-cli %s: the direct I/O floor: %s\n", cmd,
			msg);
		return CLI_FAIL;
	}

	for (unsigned i = 0; i < cfg->nstores; i++) {
		struct bench_store *st = &cfg->store[i];

		if (!st->existing && store_recreate(o, cmd, st))
			return CLI_FAIL;
		st->eng->describe(st->db, st->mode, sizeof(st->mode));
		if (st->eng->suffix)
			continue;
		rc = pmkv_get_info(engine_pmkv_handle(st->db), &cfg->info,
				   sizeof(cfg->info));
		if (rc)
			return util_err(cmd, st->path, rc, NULL);
	}
	return 0;
}

/* a transfer's: the direct I/O floor, and GB/s over the first engine's */
static void xfer_relate(const struct bench_config *cfg,
			const struct bench_def *d, struct bench_result *r,
			const struct bench_result *first)
{
	const struct bench_io_floor *f = &cfg->io_floor;

	if (f->measured)
		r->io_floor_gbps = d->kind == BENCH_RESTORE ? f->read_gbps :
							      f->write_gbps;
	if (r->io_floor_gbps > 0)
		r->io_floor_ratio = r->gb_per_sec / r->io_floor_gbps;
	if (first && first->gb_per_sec > 0) {
		r->vs_engine = first->engine;
		r->ratio_vs_first = r->gb_per_sec / first->gb_per_sec;
	}
}

/* the figures only the caller knows: the floor and the first engine's */
static void result_relate(const struct bench_config *cfg,
			  const struct bench_def *d, struct bench_result *r,
			  const struct bench_result *first)
{
	if (r->is_xfer) {
		xfer_relate(cfg, d, r, first);
		return;
	}
	r->floor_ns = floor_ns(&cfg->floor, r->reads_per_op,
			       r->writes_per_op);
	if (r->floor_ns > 0)
		r->floor_multiple = r->micros_per_op * 1e3 / r->floor_ns;
	if (first && first->ops_per_sec > 0) {
		r->vs_engine = first->engine;
		r->ratio_vs_first = r->ops_per_sec / first->ops_per_sec;
	}
}

/* one engine's turn: every benchmark of the list, in order */
static int run_store(struct bench_opts *o, const char *cmd, unsigned e,
		     struct bench_result *res, bool *ran,
		     struct json_object *results)
{
	struct bench_config *cfg = &o->cfg;
	struct bench_store *st = &cfg->store[e];
	int status = CLI_OK;

	if (!o->json)
		text_store_heading(cfg, st, e);
	for (unsigned i = 0; i < o->nlist; i++) {
		const struct bench_def *d = o->list[i];
		struct bench_result *r = &res[e * o->nlist + i];
		const struct bench_result *first = ran[i] ? &res[i] : NULL;
		char msg[768];
		int rc;

		if (bench_stop) {
			fprintf(stderr, "pmkv-cli %s: %s: interrupted\n", cmd,
				st->path);
			return CLI_FAIL;
		}
		/*
		 * A fill starts from a new store, not from one made empty by
		 * deletes: their tombstones and dead segments would change
		 * the figures. The store made above is new until first used.
		 */
		if (d->fresh && !st->pristine &&
		    store_recreate(o, cmd, st))
			return CLI_FAIL;
		st->pristine = false;
		if (bench_is_xfer(d)) {
			rc = bench_xfer_run(st->eng, st->db, &cfg->p, d,
					    &st->st, &st->xfer, r, msg,
					    sizeof(msg));
		} else if (d->kind == BENCH_OPEN) {
			struct bench_store_conf c;

			store_conf(cfg, st, false, &c);
			rc = bench_open_run(st->eng, &st->db, &c, d, r, msg,
					    sizeof(msg));
		} else
			rc = bench_run(st->eng, st->db, &cfg->p, d, &st->st,
				       r, msg, sizeof(msg));
		if (rc) {
			/* the next engine still gets its turn */
			return store_fail(cmd, st, rc, msg);
		}
		ran[e * o->nlist + i] = true;
		result_relate(cfg, d, r, e ? first : r);
		if (o->json)
			json_object_array_add(results,
					      bench_result_to_json(r));
		else
			text_result(cfg, r, d);
		if (!r->verified) {
			text_unverified(cmd, st->path, r, !o->json);
			status = CLI_FAIL;
		}
	}
	return status;
}

/*
 * After the last engine: the JSON document, which takes results, or the
 * table of the engines side by side and the stores --keep left behind
 */
static void report_end(const struct bench_opts *o,
		       struct json_object *results,
		       const struct bench_result *res, const bool *ran)
{
	const struct bench_config *cfg = &o->cfg;

	if (o->json) {
		struct json_object *doc = json_object_new_object();
		struct json_object *fl = floor_to_json(&cfg->floor);

		json_object_object_add(doc, "config",
				       bench_config_to_json(cfg));
		/* the transfers' floor, beside the ops' */
		json_object_object_add(fl, "io", cfg->has_xfer ?
				       io_floor_to_json(&cfg->io_floor) :
				       NULL);
		json_object_object_add(doc, "floor", fl);
		json_object_object_add(doc, "results", results);
		json_print(stdout, doc);
		json_object_put(doc);
		return;
	}
	if (cfg->nstores > 1)
		text_summary(cfg, (const struct bench_def **)o->list, o->nlist,
			     res, ran);
	if (cfg->keep)
		for (unsigned e = 0; e < cfg->nstores; e++)
			printf("kept: %s\n", cfg->store[e].path);
	if (o->backups_kept)
		printf("kept: %s (the latest backup of each engine)\n",
		       cfg->backup_dir);
}

int cmd_bench(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct bench_opts o = { 0 };
	struct bench_config *cfg = &o.cfg;
	struct json_object *results = NULL;
	struct bench_result *res = NULL;
	struct sigaction sa = { 0 };
	bool *ran = NULL;
	int rc, status = CLI_OK;

	rc = parse(&o, argc, argv);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!o.pool_size_set)
		cfg->pool_size = default_pool_size(&o);
	cfg->map_size = default_map_size(&o);
	cfg->build_type = PMKV_BUILD_TYPE;
	cfg->build_flags = PMKV_BUILD_FLAGS;
	cfg->cli_version = PMKV_VERSION_STRING;
	pmkv_version(&cfg->lib_major, &cfg->lib_minor);
	cfg->p.progress = isatty(STDERR_FILENO);
	system_info(cfg);

	/* from here on an interrupt stops the run, and cleanup() still runs */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	res = calloc((size_t)cfg->nstores * o.nlist, sizeof(*res));
	ran = calloc((size_t)cfg->nstores * o.nlist, sizeof(*ran));
	if (!res || !ran) {
		status = CLI_FAIL;
		goto out;
	}
	rc = prepare(&o, cmd);
	if (rc) {
		status = CLI_FAIL;
		goto out;
	}

	if (o.json)
		results = json_object_new_array();
	else
		text_config(cfg, o.fresh_any);

	/*
	 * Engine after engine, each closed before the next starts: RocksDB's
	 * background compactions must not run during another engine's turn.
	 */
	for (unsigned e = 0; e < cfg->nstores && !bench_stop; e++) {
		if (run_store(&o, cmd, e, res, ran, results))
			status = CLI_FAIL;
		store_done(&o, &cfg->store[e]);
	}

	report_end(&o, results, res, ran);
out:
	cleanup(&o);
	if (res)
		for (size_t i = 0; i < (size_t)cfg->nstores * o.nlist; i++)
			bench_result_fini(&res[i]);
	free(res);
	free(ran);
	return util_close_stdout(cmd, status);
}
