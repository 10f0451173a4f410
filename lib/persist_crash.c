// SPDX-License-Identifier: BSD-3-Clause
/*
 * persist_crash.c -- libpmem's persistence calls, interposed and recorded
 * into a shadow of the pool (crash.h: what the shadow means, how to use it)
 *
 * Why interposition rather than a second struct persist_ops: pmkv's own
 * persists (lib/persist.c) are half of what a crash leaves; libpmemobj's
 * (pool creation, open, allocation and free of segments) are the other
 * half, and libpmemobj has no seam of ours. Debian's libpmemobj calls
 * libpmem's exported functions through the PLT (and takes their addresses
 * through the GOT for its pmem_ops), so a definition in the program comes
 * first for it and for pmkv's code alike, and the real one is found with
 * dlsym(RTLD_NEXT). Where a call comes from is told by its return address:
 * inside the object this file is linked into (the test program, which
 * holds libpmkv_internal) it is pmkv's own, anywhere else libpmemobj's.
 *
 * Sites are named from the program's ELF symbol table (.symtab, static
 * functions included), walking the stack past persist.c's strategy
 * functions, rec_write() and the commit protocol (commit.c): "write_one",
 * "pmkv_batch_commit", "gc_collect", "segment_alloc" (or a static helper
 * of theirs that the compiler did not inline), and for libpmemobj's
 * persists the pmkv function that called into libpmemobj.
 *
 * Not for production: nothing here is fast, and a failure to find the
 * real libpmem aborts.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <libpmem.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash.h"

/* ---- the real libpmem ---- */

static struct {
	void (*flush)(const void *, size_t);
	void (*drain)(void);
	void (*persist)(const void *, size_t);
	int (*msync)(const void *, size_t);
	void *(*memcpy_f)(void *, const void *, size_t, unsigned);
	void *(*memcpy_nodrain)(void *, const void *, size_t);
	void *(*memcpy_persist)(void *, const void *, size_t);
	void *(*memmove_f)(void *, const void *, size_t, unsigned);
	void *(*memmove_nodrain)(void *, const void *, size_t);
	void *(*memmove_persist)(void *, const void *, size_t);
	void *(*memset_f)(void *, int, size_t, unsigned);
	void *(*memset_nodrain)(void *, int, size_t);
	void *(*memset_persist)(void *, int, size_t);
	void (*deep_flush)(const void *, size_t);
	int (*deep_drain)(const void *, size_t);
	int (*deep_persist)(const void *, size_t);
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *cr_next(const char *name)
{
	void *p = dlvsym(RTLD_NEXT, name, "LIBPMEM_1.0");

	if (!p)
		p = dlsym(RTLD_NEXT, name);
	if (!p) {
		fprintf(stderr, "persist_crash: no %s after this object: %s\n",
			name, dlerror());
		abort();
	}
	return p;
}

static void cr_resolve(void)
{
	real.flush = cr_next("pmem_flush");
	real.drain = cr_next("pmem_drain");
	real.persist = cr_next("pmem_persist");
	real.msync = cr_next("pmem_msync");
	real.memcpy_f = cr_next("pmem_memcpy");
	real.memcpy_nodrain = cr_next("pmem_memcpy_nodrain");
	real.memcpy_persist = cr_next("pmem_memcpy_persist");
	real.memmove_f = cr_next("pmem_memmove");
	real.memmove_nodrain = cr_next("pmem_memmove_nodrain");
	real.memmove_persist = cr_next("pmem_memmove_persist");
	real.memset_f = cr_next("pmem_memset");
	real.memset_nodrain = cr_next("pmem_memset_nodrain");
	real.memset_persist = cr_next("pmem_memset_persist");
	real.deep_flush = cr_next("pmem_deep_flush");
	real.deep_drain = cr_next("pmem_deep_drain");
	real.deep_persist = cr_next("pmem_deep_persist");
}

static inline void cr_real(void)
{
	pthread_once(&real_once, cr_resolve);
}

/* ---- where calls come from: this object's code and symbols ---- */

struct cr_range {
	uintptr_t lo, hi;
};

struct cr_sym {
	uintptr_t lo, hi;
	const char *name;
};

static struct {
	struct cr_range text[8];
	int ntext;
	uintptr_t bias;
	char file[PATH_MAX];
	struct cr_sym *syms;
	size_t nsyms;
	bool done;
} own;

static int cr_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t me = (uintptr_t)data;
	bool mine = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz)
			mine = true;
	}
	if (!mine)
		return 0;
	own.bias = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum && own.ntext < 8; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		own.text[own.ntext].lo = info->dlpi_addr + ph->p_vaddr;
		own.text[own.ntext].hi = own.text[own.ntext].lo + ph->p_memsz;
		own.ntext++;
	}
	snprintf(own.file, sizeof(own.file), "%s",
		 info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name :
		 "/proc/self/exe");
	return 1;
}

static int cr_sym_cmp(const void *a, const void *b)
{
	const struct cr_sym *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* the FUNC symbols of this object's file, sorted; none is not an error */
static void cr_load_syms(void)
{
	const ElfW(Ehdr) *eh;
	const ElfW(Shdr) *sh, *symsec = NULL;
	struct stat st;
	uint8_t *m;
	int fd;

	fd = open(own.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return;
	}
	/* kept mapped: the names point into it */
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	eh = (const void *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)st.st_size)
		return;
	sh = (const void *)(m + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			symsec = &sh[i];
	for (int i = 0; !symsec && i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_DYNSYM)
			symsec = &sh[i];
	if (!symsec || symsec->sh_link >= eh->e_shnum)
		return;

	const ElfW(Sym) *sy = (const void *)(m + symsec->sh_offset);
	const char *strs = (const char *)m + sh[symsec->sh_link].sh_offset;
	size_t n = symsec->sh_size / sizeof(*sy);

	own.syms = calloc(n, sizeof(*own.syms));
	if (!own.syms)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ELF64_ST_TYPE(sy[i].st_info) != STT_FUNC ||
		    sy[i].st_shndx == SHN_UNDEF || sy[i].st_size == 0)
			continue;
		own.syms[own.nsyms].lo = own.bias + sy[i].st_value;
		own.syms[own.nsyms].hi = own.syms[own.nsyms].lo + sy[i].st_size;
		own.syms[own.nsyms].name = strs + sy[i].st_name;
		own.nsyms++;
	}
	qsort(own.syms, own.nsyms, sizeof(*own.syms), cr_sym_cmp);
}

static void cr_own_init(void)
{
	void *frames[4];

	if (own.done)
		return;
	own.done = true;
	dl_iterate_phdr(cr_phdr, (void *)(uintptr_t)cr_own_init);
	cr_load_syms();
	/* backtrace() loads its unwinder on first use: not inside a persist */
	backtrace(frames, 4);
}

static bool cr_is_own(const void *ra)
{
	uintptr_t a = (uintptr_t)ra;

	for (int i = 0; i < own.ntext; i++)
		if (a >= own.text[i].lo && a < own.text[i].hi)
			return true;
	return false;
}

static const char *cr_sym_of(uintptr_t a)
{
	size_t lo = 0, hi = own.nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (own.syms[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || a >= own.syms[lo - 1].hi)
		return NULL;
	return own.syms[lo - 1].name;
}

/*
 * frames that say how, not who: this file, persist.c, rec_write(), and
 * the commit protocol (commit.c), whose callers are the sites
 */
static bool cr_plumbing(const char *name)
{
	return !strncmp(name, "cr_", 3) || !strncmp(name, "pmem_", 5) ||
	       !strncmp(name, "msync_", 6) || !strcmp(name, "rec_write") ||
	       !strcmp(name, "persist_range") || !strncmp(name, "commit_", 7);
}

/* the first pmkv function up the stack that is not plumbing */
static const char *cr_site(void)
{
	void *frames[24];
	int n = backtrace(frames, 24);

	for (int i = 0; i < n; i++) {
		/* a return address points after the call: look one byte back */
		uintptr_t a = (uintptr_t)frames[i] - 1;
		const char *name;

		if (!cr_is_own((void *)a))
			continue;
		name = cr_sym_of(a);
		if (name && !cr_plumbing(name))
			return name;
	}
	return "?";
}

/* ---- the recorder ---- */

struct cr_pend {
	uint64_t off, len;
	size_t data;		/* offset into the arena */
};

enum { DROP_NONE, DROP_FENCE, DROP_FLUSH };

/*
 * libpmem calls its own exported functions through its PLT too (its
 * pmem_persist() ends in a tail call of pmem_drain()), so they come back
 * here while the real function runs: only the outermost call of a thread
 * is recorded (CALL_REAL below).
 */
static __thread unsigned cr_depth;

static struct {
	pthread_mutex_t lock;
	bool armed;
	char path[PATH_MAX];
	/*
	 * The pool file, held open: it may be created under a temporary
	 * name next to path ("<path>.<anything>") and renamed into place,
	 * so it is known by its inode; -1 until it exists.
	 */
	int fd;
	ino_t ino;
	uint8_t *shadow;	/* durable bytes; NULL until the file exists */
	uint64_t size;
	/* the mapping of the pool last found in /proc/self/maps */
	uintptr_t lo, hi;
	uint64_t foff;
	struct cr_pend *pend;
	size_t npend, pcap;
	uint8_t *arena;
	size_t aused, acap;
	crash_point_fn fn;
	void *arg;
	struct crash_stats st;
	int drop_kind;
	uint64_t drop_n, drop_seen;
	char drop_site[64];
} R = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

/* the shadow covers the file: a file that grew grew with zeros */
static int cr_shadow_fit(void)
{
	struct stat st;
	uint8_t *n;

	if (fstat(R.fd, &st))
		return -errno;
	if ((uint64_t)st.st_size <= R.size && R.shadow)
		return 0;
	n = realloc(R.shadow, (size_t)st.st_size ? (size_t)st.st_size : 1);
	if (!n)
		return -ENOMEM;
	memset(n + R.size, 0, (size_t)st.st_size - R.size);
	R.shadow = n;
	R.size = (uint64_t)st.st_size;
	return 0;
}

/* take the file at path as the pool file; lock held */
static int cr_track(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return -e;
	}
	R.fd = fd;
	R.ino = st.st_ino;
	return 0;
}

/* path, or a temporary name next to it */
static bool cr_our_name(const char *p)
{
	size_t n = strlen(R.path);

	return !strncmp(p, R.path, n) && (p[n] == '\0' || p[n] == '.');
}

/* find the pool's mapping that holds a; lock held */
static bool cr_map_find(uintptr_t a)
{
	char line[PATH_MAX + 256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		char perms[8], *p;
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %lu%n", &lo, &hi, perms,
			   &off, &ino, &n) < 5 || n == 0)
			continue;
		if (a < lo || a >= hi)
			continue;
		p = line + n;
		while (*p == ' ')
			p++;
		p[strcspn(p, "\n")] = '\0';
		/* a file that did not exist when armed: new, so zeros */
		if (R.fd < 0 && cr_our_name(p) && cr_track(p))
			break;
		if (R.fd >= 0 && ino == R.ino) {
			R.lo = lo;
			R.hi = hi;
			R.foff = off;
			found = true;
		}
		break;
	}
	fclose(f);
	return found && cr_shadow_fit() == 0;
}

/* the pool offset of [p, p + *n), clipped to the mapping; lock held */
static bool cr_to_off(const void *p, size_t *n, uint64_t *off)
{
	uintptr_t a = (uintptr_t)p, end;

	if (!(a >= R.lo && a < R.hi) && !cr_map_find(a))
		return false;
	end = a + *n > R.hi ? R.hi : a + *n;
	*off = a - R.lo + R.foff;
	if (*off >= R.size)
		return false;
	*n = end - a;
	if (*off + *n > R.size)
		*n = R.size - *off;
	return true;
}

static int cr_pend_add(uint64_t off, const void *p, size_t n)
{
	if (R.npend == R.pcap) {
		size_t c = R.pcap ? R.pcap * 2 : 64;
		struct cr_pend *np = realloc(R.pend, c * sizeof(*np));

		if (!np)
			return -ENOMEM;
		R.pend = np;
		R.pcap = c;
	}
	if (R.aused + n > R.acap) {
		size_t c = R.acap ? R.acap : 1 << 16;
		uint8_t *na;

		while (c < R.aused + n)
			c *= 2;
		na = realloc(R.arena, c);
		if (!na)
			return -ENOMEM;
		R.arena = na;
		R.acap = c;
	}
	memcpy(R.arena + R.aused, p, n);
	R.pend[R.npend++] = (struct cr_pend){ off, n, R.aused };
	R.aused += n;
	return 0;
}

/* site is one of the '|'-separated names in list */
static bool cr_site_in(const char *site, const char *list)
{
	size_t n = strlen(site);

	for (const char *p = list; *p; p += strcspn(p, "|"), p += *p == '|')
		if (!strncmp(p, site, n) && (p[n] == '|' || !p[n]))
			return true;
	return false;
}

static bool cr_drop_matches(int kind, const char **site)
{
	if (R.drop_kind != kind)
		return false;
	if (R.drop_site[0]) {
		if (!*site)
			*site = cr_site();
		if (!cr_site_in(*site, R.drop_site))
			return false;
	}
	return ++R.drop_seen == R.drop_n;
}

static void cr_flush(const void *p, size_t n, const void *ra)
{
	const char *site = NULL;
	uint64_t off;
	bool is_own;

	if (!R.armed || n == 0 || cr_depth)
		return;
	pthread_mutex_lock(&R.lock);
	if (!R.armed)
		goto out;
	is_own = cr_is_own(ra);
	R.st.flushes++;
	if (is_own)
		R.st.own_flushes++;
	if (!cr_to_off(p, &n, &off)) {
		R.st.outside++;
		goto out;
	}
	if (is_own && cr_drop_matches(DROP_FLUSH, &site)) {
		R.st.dropped_at = R.st.flushes;
		snprintf(R.st.dropped_site, sizeof(R.st.dropped_site), "%s",
			 site ? site : cr_site());
		goto out;
	}
	R.st.flushed_bytes += n;
	if (cr_pend_add(off, p, n)) {
		fprintf(stderr, "persist_crash: no memory for pending ranges\n");
		abort();
	}
out:
	pthread_mutex_unlock(&R.lock);
}

static void cr_fence(const void *ra)
{
	struct crash_point pt = { 0 };
	crash_point_fn fn;
	void *arg;

	if (!R.armed || cr_depth)
		return;
	pthread_mutex_lock(&R.lock);
	if (!R.armed) {
		pthread_mutex_unlock(&R.lock);
		return;
	}
	pt.n = ++R.st.points;
	pt.own = cr_is_own(ra);
	if (pt.own)
		R.st.own_points++;
	pt.site = cr_site();
	pt.ranges = (unsigned)R.npend;
	for (size_t i = 0; i < R.npend; i++)
		pt.bytes += R.pend[i].len;
	if (pt.own && cr_drop_matches(DROP_FENCE, &pt.site)) {
		pt.dropped = true;
		R.st.dropped_at = pt.n;
		snprintf(R.st.dropped_site, sizeof(R.st.dropped_site), "%s",
			 pt.site);
	}
	fn = R.fn;
	arg = R.arg;
	pthread_mutex_unlock(&R.lock);

	if (fn)
		fn(arg, &pt);

	pthread_mutex_lock(&R.lock);
	if (!pt.dropped && R.armed) {
		for (size_t i = 0; i < R.npend; i++)
			memcpy(R.shadow + R.pend[i].off, R.arena + R.pend[i].data,
			       R.pend[i].len);
		R.npend = 0;
		R.aused = 0;
	}
	pthread_mutex_unlock(&R.lock);
}

/* the pool file's bytes as they are now: what the caches hold */
static int cr_read_file(uint8_t *buf, uint64_t size, uint64_t *got)
{
	uint64_t done = 0;

	while (done < size) {
		ssize_t r = pread(R.fd, buf + done, size - done, (off_t)done);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (uint64_t)r;
	}
	*got = done;
	return 0;
}

/* overwritten in place, not truncated: tmpfs keeps its pages */
static int cr_write_file(const char *path, const uint8_t *buf, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	uint64_t done = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		int e = errno;

		close(fd);
		return -e;
	}
	while (done < size) {
		ssize_t w = pwrite(fd, buf + done, size - done, (off_t)done);

		if (w < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		done += (uint64_t)w;
	}
	if (close(fd))
		return -errno;
	return 0;
}

/* forget the last recording: shadow, file, pending ranges, counts; lock held */
static void cr_rec_reset(crash_point_fn fn, void *arg)
{
	free(R.shadow);
	R.shadow = NULL;
	R.size = 0;
	if (R.fd >= 0)
		close(R.fd);
	R.fd = -1;
	R.lo = R.hi = 0;
	R.npend = 0;
	R.aused = 0;
	memset(&R.st, 0, sizeof(R.st));
	R.fn = fn;
	R.arg = arg;
}

/*
 * R.path: path with its directory made canonical, as /proc/self/maps
 * names the file (the file itself need not exist yet); lock held.
 * Returns 0 or -errno.
 */
static int cr_pool_path(const char *path)
{
	char dir[PATH_MAX], *slash;
	const char *base;

	/* the maps file names the file by its canonical path */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	base = slash ? path + (slash - dir) + 1 : path;
	if (slash)
		*slash = '\0';
	if (!realpath(!slash ? "." : slash == dir ? "/" : dir, R.path))
		return -errno;
	if (strlen(R.path) + 1 + strlen(base) >= sizeof(R.path))
		return -ENAMETOOLONG;
	strcat(R.path, strcmp(R.path, "/") ? "/" : "");
	strcat(R.path, base);
	return 0;
}

/*
 * PMKV_CRASH_DROP's value (crash.h), NULL or empty for none, into
 * R.drop_*; lock held. Returns 0, or -EINVAL for a kind other than
 * fence or flush, or an N of 0.
 */
static int cr_drop_parse(const char *drop)
{
	R.drop_kind = DROP_NONE;
	R.drop_seen = 0;
	R.drop_site[0] = '\0';
	if (drop && *drop) {
		const char *at = strchr(drop, '@');

		if (!strncmp(drop, "fence:", 6))
			R.drop_kind = DROP_FENCE;
		else if (!strncmp(drop, "flush:", 6))
			R.drop_kind = DROP_FLUSH;
		else
			return -EINVAL;
		R.drop_n = strtoull(drop + 6, NULL, 10);
		if (at)
			snprintf(R.drop_site, sizeof(R.drop_site), "%s", at + 1);
		if (R.drop_n == 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * A pool file that already exists at R.path is durable as it is: track
 * it and start the shadow from its bytes. None yet is not an error: the
 * shadow starts when the file appears (cr_map_find()). Lock held.
 * Returns 0 or -errno.
 */
static int cr_shadow_load(void)
{
	struct stat st;
	uint64_t got;
	int rc;

	if (stat(R.path, &st) != 0)
		return 0;
	rc = cr_track(R.path);
	if (rc)
		return rc;
	R.size = (uint64_t)st.st_size;
	R.shadow = malloc(R.size ? R.size : 1);
	if (!R.shadow)
		return -ENOMEM;
	rc = cr_read_file(R.shadow, R.size, &got);
	if (!rc && got != R.size)
		rc = -EIO;
	return rc;
}

/* crash.h; the steps run under R.lock, and it arms only if all of them pass */
int crash_rec_start(const char *path, crash_point_fn fn, void *arg)
{
	const char *drop = getenv("PMKV_CRASH_DROP");
	int rc;

	cr_real();
	cr_own_init();
	pthread_mutex_lock(&R.lock);
	cr_rec_reset(fn, arg);
	rc = cr_pool_path(path);
	if (!rc)
		rc = cr_drop_parse(drop);
	if (!rc)
		rc = cr_shadow_load();
	if (!rc)
		R.armed = true;
	pthread_mutex_unlock(&R.lock);
	return rc;
}

void crash_rec_stop(void)
{
	pthread_mutex_lock(&R.lock);
	R.armed = false;
	R.fn = NULL;
	pthread_mutex_unlock(&R.lock);
}

/*
 * Scratch buffers of the pool's size, kept from image to image: fresh
 * memory of 16 MiB or more would cost a page fault per 4 KiB every time.
 */
static uint8_t *cr_scratch(int which, uint64_t size)
{
	static uint8_t *buf[2];
	static uint64_t have[2];

	if (have[which] < size) {
		free(buf[which]);
		buf[which] = malloc(size ? size : 1);
		have[which] = buf[which] ? size : 0;
	}
	return buf[which];
}

/* splitmix64: small, seedable, good enough to pick words */
static uint64_t cr_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Tear and evict: each 8-byte word of a pending range reaches the medium
 * or not, independently, and so does each word stored but not flushed.
 * The chances differ from seed to seed (1/8, 1/2 or 7/8 for pending words,
 * 1/16, 1/2 or 15/16 for unflushed ones), so that some images keep almost
 * everything and some almost nothing.
 */
static int cr_evict(uint8_t *img, uint64_t seed)
{
	static const uint32_t p_pend[] = { 1 << 13, 1 << 15, 7 << 13 };
	static const uint32_t p_dirty[] = { 1 << 12, 1 << 15, 15 << 12 };
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + 1, got;
	uint32_t pp, pd;
	uint8_t *cur;
	int rc;

	pp = p_pend[cr_rand(&s) % 3];
	pd = p_dirty[cr_rand(&s) % 3];
	for (size_t i = 0; i < R.npend; i++) {
		const struct cr_pend *pe = &R.pend[i];
		uint64_t a = pe->off;

		while (a < pe->off + pe->len) {
			uint64_t wend = (a & ~7ULL) + 8;

			if (wend > pe->off + pe->len)
				wend = pe->off + pe->len;
			if ((cr_rand(&s) & 0xffff) < pp)
				memcpy(img + a, R.arena + pe->data + (a - pe->off),
				       wend - a);
			a = wend;
		}
	}
	cur = cr_scratch(1, R.size);
	if (!cur)
		return -ENOMEM;
	rc = cr_read_file(cur, R.size, &got);
	if (rc)
		return rc;
	for (uint64_t w = 0; w + 8 <= got; w += 8) {
		uint64_t a, b;

		memcpy(&a, cur + w, 8);
		memcpy(&b, R.shadow + w, 8);
		if (a != b && (cr_rand(&s) & 0xffff) < pd)
			memcpy(img + w, cur + w, 8);
	}
	return 0;
}

int crash_rec_image(const char *path, enum crash_image_mode mode,
		    uint64_t seed)
{
	struct stat st;
	uint8_t *img;
	int rc;

	pthread_mutex_lock(&R.lock);
	/* a file created but not mapped yet holds zeros */
	if (R.fd < 0 && cr_track(R.path) == 0)
		cr_shadow_fit();
	/* none at path, or still under its temporary name: a crash leaves none */
	if (R.fd < 0 || stat(R.path, &st) || st.st_ino != R.ino || !R.shadow) {
		pthread_mutex_unlock(&R.lock);
		if (unlink(path) && errno != ENOENT)
			return -errno;
		return -ENOENT;
	}
	if (mode == CRASH_IMAGE_STRICT) {
		rc = cr_write_file(path, R.shadow, R.size);
		pthread_mutex_unlock(&R.lock);
		return rc;
	}
	img = cr_scratch(0, R.size);
	if (!img) {
		pthread_mutex_unlock(&R.lock);
		return -ENOMEM;
	}
	memcpy(img, R.shadow, R.size);
	rc = cr_evict(img, seed);
	if (!rc)
		rc = cr_write_file(path, img, R.size);
	pthread_mutex_unlock(&R.lock);
	return rc;
}

int64_t crash_rec_unpersisted(uint64_t off, uint64_t len, uint64_t *first_off)
{
	uint64_t got, end;
	int64_t n = 0;
	uint8_t *cur;
	int rc;

	pthread_mutex_lock(&R.lock);
	if (!R.shadow) {
		pthread_mutex_unlock(&R.lock);
		return -ENOENT;
	}
	cur = cr_scratch(1, R.size);
	if (!cur) {
		pthread_mutex_unlock(&R.lock);
		return -ENOMEM;
	}
	rc = cr_read_file(cur, R.size, &got);
	if (rc) {
		pthread_mutex_unlock(&R.lock);
		return rc;
	}
	end = len > got || off > got - len ? got : off + len;
	for (uint64_t i = off; i < end; i += 8) {
		uint64_t w = end - i < 8 ? end - i : 8;

		if (!memcmp(cur + i, R.shadow + i, w))
			continue;
		for (uint64_t b = i; b < i + w; b++) {
			if (cur[b] == R.shadow[b])
				continue;
			if (n++ == 0 && first_off)
				*first_off = b;
		}
	}
	pthread_mutex_unlock(&R.lock);
	return n;
}

void crash_rec_get_stats(struct crash_stats *st)
{
	pthread_mutex_lock(&R.lock);
	*st = R.st;
	pthread_mutex_unlock(&R.lock);
}

/* ---- libpmem's persistence functions, interposed ---- */

#define RA __builtin_return_address(0)

#define CALL_REAL(expr) do {	\
	cr_real();		\
	cr_depth++;		\
	expr;			\
	cr_depth--;		\
} while (0)

static void *cr_copy_done(void *d, size_t n, unsigned flags, const void *ra)
{
	if (!(flags & PMEM_F_MEM_NOFLUSH))
		cr_flush(d, n, ra);
	if (!(flags & (PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NOFLUSH)))
		cr_fence(ra);
	return d;
}

void pmem_flush(const void *addr, size_t len)
{
	CALL_REAL(real.flush(addr, len));
	cr_flush(addr, len, RA);
}

void pmem_drain(void)
{
	CALL_REAL(real.drain());
	cr_fence(RA);
}

void pmem_persist(const void *addr, size_t len)
{
	CALL_REAL(real.persist(addr, len));
	cr_flush(addr, len, RA);
	cr_fence(RA);
}

/* msync makes whole pages durable when it returns: a flush and a fence */
int pmem_msync(const void *addr, size_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)addr & ~(pg - 1);
	uintptr_t hi = ((uintptr_t)addr + len + pg - 1) & ~(pg - 1);
	int rc, e;

	CALL_REAL(rc = real.msync(addr, len));
	e = errno;
	if (len) {
		cr_flush((const void *)lo, hi - lo, RA);
		cr_fence(RA);
	}
	errno = e;
	return rc;
}

void *pmem_memcpy(void *d, const void *s, size_t n, unsigned flags)
{
	CALL_REAL(real.memcpy_f(d, s, n, flags));
	return cr_copy_done(d, n, flags, RA);
}

void *pmem_memcpy_nodrain(void *d, const void *s, size_t n)
{
	CALL_REAL(real.memcpy_nodrain(d, s, n));
	return cr_copy_done(d, n, PMEM_F_MEM_NODRAIN, RA);
}

void *pmem_memcpy_persist(void *d, const void *s, size_t n)
{
	CALL_REAL(real.memcpy_persist(d, s, n));
	return cr_copy_done(d, n, 0, RA);
}

void *pmem_memmove(void *d, const void *s, size_t n, unsigned flags)
{
	CALL_REAL(real.memmove_f(d, s, n, flags));
	return cr_copy_done(d, n, flags, RA);
}

void *pmem_memmove_nodrain(void *d, const void *s, size_t n)
{
	CALL_REAL(real.memmove_nodrain(d, s, n));
	return cr_copy_done(d, n, PMEM_F_MEM_NODRAIN, RA);
}

void *pmem_memmove_persist(void *d, const void *s, size_t n)
{
	CALL_REAL(real.memmove_persist(d, s, n));
	return cr_copy_done(d, n, 0, RA);
}

void *pmem_memset(void *d, int c, size_t n, unsigned flags)
{
	CALL_REAL(real.memset_f(d, c, n, flags));
	return cr_copy_done(d, n, flags, RA);
}

void *pmem_memset_nodrain(void *d, int c, size_t n)
{
	CALL_REAL(real.memset_nodrain(d, c, n));
	return cr_copy_done(d, n, PMEM_F_MEM_NODRAIN, RA);
}

void *pmem_memset_persist(void *d, int c, size_t n)
{
	CALL_REAL(real.memset_persist(d, c, n));
	return cr_copy_done(d, n, 0, RA);
}

void pmem_deep_flush(const void *addr, size_t len)
{
	CALL_REAL(real.deep_flush(addr, len));
	cr_flush(addr, len, RA);
}

int pmem_deep_drain(const void *addr, size_t len)
{
	int rc;

	CALL_REAL(rc = real.deep_drain(addr, len));
	cr_fence(RA);
	return rc;
}

int pmem_deep_persist(const void *addr, size_t len)
{
	int rc;

	CALL_REAL(rc = real.deep_persist(addr, len));
	cr_flush(addr, len, RA);
	cr_fence(RA);
	return rc;
}
