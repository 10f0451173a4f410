// SPDX-License-Identifier: BSD-3-Clause
/* tx.c -- helpers of the transfer tests (see tx.h) */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tx.h"
/* PMKV_SUPER_MAGIC: to find a pool's superblock copy on a device */
#include "layout.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

/* ------------------------------------------------------------------ */
/* the model */

void tx_model_init(struct tx_model *m, unsigned n)
{
	m->n = n;
	m->vmax = 0;
	m->e = calloc(n, sizeof(*m->e));
	if (!m->e)
		t_error("no memory for a model of %u keys", n);
}

void tx_model_copy(struct tx_model *dst, const struct tx_model *src)
{
	struct tx_ent *e = realloc(dst->n ? dst->e : NULL,
				   src->n * sizeof(*e));

	if (!e)
		t_error("no memory for a model of %u keys", src->n);
	memcpy(e, src->e, src->n * sizeof(*e));
	dst->e = e;
	dst->n = src->n;
	dst->vmax = src->vmax;
}

void tx_model_free(struct tx_model *m)
{
	free(m->e);
	m->e = NULL;
	m->n = 0;
}

unsigned tx_model_count(const struct tx_model *m)
{
	unsigned i, c = 0;

	for (i = 0; i < m->n; i++)
		c += m->e[i].present;
	return c;
}

size_t tx_key(unsigned i, char *k)
{
	return (size_t)sprintf(k, "tx/%08u", i);
}

/* splitmix64: every (key, generation) pair gets its own byte stream */
void tx_value(unsigned i, uint32_t gen, uint8_t *buf, size_t len)
{
	uint64_t s = ((uint64_t)i << 32 | gen) ^ 0x5bd1e9955bd1e995ULL, z;
	size_t off;

	for (off = 0; off < len; off += 8) {
		s += 0x9e3779b97f4a7c15ULL;
		z = s;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(buf + off, &z, len - off < 8 ? len - off : 8);
	}
}

static uint8_t *vbuf;
static size_t vbuf_len;

/* a scratch buffer of at least len bytes */
static uint8_t *scratch(size_t len)
{
	if (len > vbuf_len) {
		free(vbuf);
		vbuf = malloc(len);
		if (!vbuf)
			t_error("no memory for a value of %zu bytes", len);
		vbuf_len = len;
	}
	return vbuf;
}

static void set_ent(struct tx_model *m, unsigned i, size_t len)
{
	if (i >= m->n)
		t_error("key %u outside the model's %u", i, m->n);
	m->e[i].gen++;
	m->e[i].vlen = (uint32_t)len;
	m->e[i].present = true;
	if (len > m->vmax)
		m->vmax = len;
}

void tx_put(struct pmkv *kv, struct tx_model *m, unsigned i, size_t len)
{
	uint8_t *v = scratch(len ? len : 1);
	char k[32];
	size_t klen = tx_key(i, k);
	int rc;

	set_ent(m, i, len);
	tx_value(i, m->e[i].gen, v, len);
	rc = pmkv_put(kv, k, klen, v, len);
	if (rc)
		T_FAIL("put %s (%zu bytes): %s: %s", k, len, pmkv_strerror(rc),
		       pmkv_errormsg());
}

void tx_delete(struct pmkv *kv, struct tx_model *m, unsigned i)
{
	char k[32];
	size_t klen = tx_key(i, k);

	if (!m->e[i].present)
		t_error("tx_delete: key %u is not in the model", i);
	T_ASSERT_OK(pmkv_delete(kv, k, klen));
	m->e[i].present = false;
}

void tx_batch_put(struct pmkv_batch *b, struct tx_model *pending, unsigned i,
		  size_t len)
{
	uint8_t *v = scratch(len ? len : 1);
	char k[32];
	size_t klen = tx_key(i, k);

	set_ent(pending, i, len);
	tx_value(i, pending->e[i].gen, v, len);
	T_ASSERT_OK(pmkv_batch_put(b, k, klen, v, len));
}

void tx_batch_delete(struct pmkv_batch *b, struct tx_model *pending,
		     unsigned i)
{
	char k[32];
	size_t klen = tx_key(i, k);

	T_ASSERT_OK(pmkv_batch_delete(b, k, klen));
	pending->e[i].present = false;
}

size_t tx_mixed_len(unsigned i)
{
	static const size_t large[] = { 65536, 65537, 200000, 131072 + 4096 };

	if (i % 97 == 0)
		return 0;
	if (i % 64 == 63)
		return 1536 * TX_KiB + 5;
	if (i % 16 == 15)
		return large[(i / 16) % 4];
	if (i % 5 == 0)
		return 1000 + (i * 37) % 3000;
	return 1 + (i * 13) % 120;
}

void tx_fill(struct pmkv *kv, struct tx_model *m, unsigned first,
	     unsigned count)
{
	unsigned i;

	for (i = first; i < first + count; i++)
		tx_put(kv, m, i, tx_mixed_len(i));
}

void tx_model_check(struct pmkv *kv, const struct tx_model *m,
		    const char *what)
{
	size_t cap = m->vmax + 1, vlen, off;
	uint8_t *got = malloc(cap), *want;
	unsigned i, seen = 0, want_n = tx_model_count(m);
	char k[32];
	size_t klen;
	int rc;

	if (!got)
		t_error("no memory for %zu bytes", cap);
	for (i = 0; i < m->n; i++) {
		klen = tx_key(i, k);
		if (!m->e[i].present) {
			rc = pmkv_exists(kv, k, klen);
			if (rc != -ENOENT)
				T_FAIL("%s: %s must be absent, exists says %s",
				       what, k, pmkv_strerror(rc));
			continue;
		}
		rc = pmkv_get(kv, k, klen, got, cap, &vlen);
		if (rc)
			T_FAIL("%s: get %s: %s: %s", what, k, pmkv_strerror(rc),
			       pmkv_errormsg());
		if (vlen != m->e[i].vlen)
			T_FAIL("%s: %s has %zu bytes, the model %u (generation %u)",
			       what, k, vlen, m->e[i].vlen, m->e[i].gen);
		want = scratch(vlen ? vlen : 1);
		tx_value(i, m->e[i].gen, want, vlen);
		if (memcmp(got, want, vlen) != 0) {
			for (off = 0; got[off] == want[off]; off++)
				;
			T_FAIL("%s: %s differs from the model (generation %u, %zu bytes) first at byte %zu",
			       what, k, m->e[i].gen, vlen, off);
		}
	}
	free(got);
	T_ASSERT_OK(pmkv_scan(kv, NULL, 0, NULL, 0, t_count_cb, &seen));
	if (seen != want_n)
		T_FAIL("%s: a scan finds %u keys, the model has %u", what, seen,
		       want_n);
}

void tx_check_pool(const char *path, const struct tx_model *m,
		   const char *what)
{
	struct pmkv *kv = t_pool_open(path, PMKV_F_RDONLY);

	tx_model_check(kv, m, what);
	T_ASSERT_OK(pmkv_close(&kv));
}

/* ------------------------------------------------------------------ */
/* devdax */

/*
 * A format-2 pool keeps a copy of its superblock in the last page of its
 * last extent, which the open finds within 64 MiB of the end (lib/pool.c,
 * COPY_SEARCH): with zeros at the start but that copy intact, a device
 * holds a damaged pool, not free space. Free means both gone.
 */
#define TX_COPY_SEARCH (64ULL << 20)

/*
 * Look at (wipe: zero) the device's first 4 KiB and every page near its
 * end that starts with the superblock's magic; true when all were zeros
 * and none had the magic. devdax has no read() or write(), only mmap()
 * of the whole device (a multiple of its alignment).
 */
static bool devdax_scan(const char *dev, bool wipe)
{
	uint64_t size = tx_devdax_size(dev), off, magic;
	bool clean = true;
	uint8_t *p;
	int fd;

	if (!size)
		size = 2U << 20;	/* unknown: the start alone */
	fd = open(dev, wipe ? O_RDWR : O_RDONLY);
	if (fd < 0)
		t_error("open %s: %s", dev, strerror(errno));
	p = mmap(NULL, size, wipe ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		t_error("mmap %s (%llu bytes): %s", dev,
			(unsigned long long)size, strerror(errno));
	for (off = 0; off < 4096 && clean; off++)
		clean = p[off] == 0;
	/* device memory: no page cache to sync */
	if (wipe)
		memset(p, 0, 4096);
	for (off = size > TX_COPY_SEARCH ? size - TX_COPY_SEARCH : 4096;
	     off + 4096 <= size; off += 4096) {
		memcpy(&magic, p + off, sizeof(magic));
		if (magic != PMKV_SUPER_MAGIC)
			continue;
		clean = false;
		if (wipe)
			memset(p + off, 0, 4096);
	}
	munmap(p, size);
	return clean;
}

void tx_devdax_wipe(const char *dev)
{
	devdax_scan(dev, true);
}

bool tx_devdax_free(const char *dev)
{
	return devdax_scan(dev, false);
}

uint64_t tx_devdax_size(const char *dev)
{
	char sys[256];
	unsigned long long size = 0;
	struct stat st;
	FILE *f;

	if (stat(dev, &st) || !S_ISCHR(st.st_mode))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/size",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(sys, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &size) != 1)
		size = 0;
	fclose(f);
	return size;
}

/* ------------------------------------------------------------------ */
/* pools */

void tx_pool_create(struct tx_pool *p, const char *name, uint64_t size)
{
	const char *dev = getenv("PMKV_TEST_DEVDAX");
	struct pmkv_config *cfg;
	int rc;

	memset(p, 0, sizeof(*p));
	if (dev && *dev) {
		snprintf(p->path, sizeof(p->path), "%s", dev);
		p->devdax = true;
		/* free space for PMKV_F_CREATE: no pool left by anyone */
		tx_devdax_wipe(dev);
		cfg = t_cfg(0, PMKV_F_CREATE);
		rc = pmkv_open(dev, cfg, &p->kv);
		if (rc)
			T_FAIL("pmkv_open(%s, CREATE): %s: %s", dev,
			       pmkv_strerror(rc), pmkv_errormsg());
		pmkv_config_free(&cfg);
	} else {
		t_pool_tmp(p->path, sizeof(p->path), name);
		p->kv = t_pool_create(p->path, size);
	}
	T_ASSERT_OK(pmkv_get_info(p->kv, &p->info, sizeof(p->info)));
	t_info("pool %s: media %s, %llu bytes, segments of %llu", p->path,
	       p->info.media == PMKV_MEDIA_DEVDAX ? "devdax" :
	       p->info.media == PMKV_MEDIA_FSDAX ? "fsdax" : "file",
	       (unsigned long long)p->info.pool_size,
	       (unsigned long long)p->info.segment_size);
}

void tx_pool_close(struct tx_pool *p)
{
	T_ASSERT_OK(pmkv_close(&p->kv));
}

void tx_pool_reopen(struct tx_pool *p)
{
	p->kv = t_pool_open(p->path, 0);
}

void tx_pool_destroy(struct tx_pool *p)
{
	tx_pool_close(p);
	/* the next program on the device finds it free (devdax-pool too) */
	if (p->devdax)
		tx_devdax_wipe(p->path);
	else if (unlink(p->path) && errno != ENOENT)
		t_error("unlink %s: %s", p->path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* directories and paths */

static bool is_dir(const char *d)
{
	struct stat st;

	return d && *d && stat(d, &st) == 0 && S_ISDIR(st.st_mode) &&
	       access(d, W_OK | X_OK) == 0;
}

/* tmpfs or ramfs: memory, not a disk (the guest's / is one too) */
static bool in_memory(const char *d)
{
	struct statfs sf;

	if (statfs(d, &sf))
		return true;
	return sf.f_type == (typeof(sf.f_type))TMPFS_MAGIC ||
	       sf.f_type == (typeof(sf.f_type))RAMFS_MAGIC;
}

const char *tx_target_dir(void)
{
	const char *d = getenv("PMKV_TEST_BACKUP_DIR");

	if (is_dir(d))
		return d;
	d = getenv("PMKV_TEST_DIR");
	if (is_dir(d) && !in_memory(d))
		return d;
	d = getenv("KT_EXT4");
	if (is_dir(d))
		return d;
	d = getenv("KT_XFS");
	if (is_dir(d))
		return d;
	if (is_dir("/var/tmp") && !in_memory("/var/tmp"))
		return "/var/tmp";
	return t_tmp_dir();
}

const char *tx_restore_dir(void)
{
	const char *d = getenv("PMKV_TEST_DIR");

	if (is_dir(d) && !in_memory(d))
		return d;
	d = getenv("KT_EXT4");
	if (is_dir(d))
		return d;
	d = getenv("KT_XFS");
	if (is_dir(d))
		return d;
	return t_tmp_dir();
}

#define TX_MAX_PATHS 64
static char tx_paths[TX_MAX_PATHS][512];
static int ntx_paths;
static pid_t tx_owner;

static void unlink_all(void)
{
	char partial[600];
	int i;

	for (i = 0; i < ntx_paths; i++) {
		unlink(tx_paths[i]);
		snprintf(partial, sizeof(partial), "%.560s.pmkv-partial",
			 tx_paths[i]);
		unlink(partial);
	}
}

static void tx_cleanup(void)
{
	const char *keep = getenv("T_KEEP");

	if (getpid() != tx_owner)
		return;
	if (keep && strcmp(keep, "1") == 0) {
		for (int i = 0; i < ntx_paths; i++)
			t_info("kept %s", tx_paths[i]);
		return;
	}
	unlink_all();
	ntx_paths = 0;
}

/* a killed test runs no atexit handler: remove the files, die the same */
static void tx_on_signal(int sig)
{
	if (getpid() == tx_owner && !getenv("T_KEEP"))
		unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

char *tx_path(char *buf, size_t n, const char *dir, const char *name)
{
	static unsigned counter;
	struct stat st;
	int len, tries;

	for (tries = 0; tries < 1000; tries++) {
		len = snprintf(buf, n, "%s/pmkv-t-%s-%d-%u-%08llx", dir, name,
			       (int)getpid(), counter++,
			       (unsigned long long)(t_rand() & 0xffffffff));
		if (len < 0 || (size_t)len >= n)
			t_error("tx_path: buffer of %zu bytes too small", n);
		if (lstat(buf, &st) != 0 && errno == ENOENT)
			break;
	}
	if (tries == 1000)
		t_error("tx_path: no free name in %s", dir);
	/* a forked child removes its own files, never its parent's */
	if (tx_owner && tx_owner != getpid()) {
		tx_owner = getpid();
		ntx_paths = 0;
	}
	if (!tx_owner) {
		static const int sigs[] = { SIGTERM, SIGINT };
		struct sigaction sa, old;

		tx_owner = getpid();
		atexit(tx_cleanup);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = tx_on_signal;
		sigemptyset(&sa.sa_mask);
		for (unsigned i = 0; i < 2; i++)
			if (sigaction(sigs[i], NULL, &old) == 0 &&
			    old.sa_handler == SIG_DFL)
				sigaction(sigs[i], &sa, NULL);
	}
	if (ntx_paths < TX_MAX_PATHS && strlen(buf) < sizeof(tx_paths[0]))
		snprintf(tx_paths[ntx_paths++], sizeof(tx_paths[0]), "%s", buf);
	return buf;
}

/* the guest's other devdax namespace, or the one the caller names */
static const char *spare_devdax(const char *mine)
{
	static const char *const env[] = {
		"PMKV_TEST_DEVDAX_SPARE", "KT_DEVDAX_4K", "KT_DEVDAX_2M",
	};
	struct stat st;
	unsigned i;

	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		const char *d = getenv(env[i]);

		if (d && *d && strcmp(d, mine) != 0 && stat(d, &st) == 0 &&
		    S_ISCHR(st.st_mode))
			return d;
	}
	return NULL;
}

void tx_restore_dest(char *buf, size_t n, const char *name,
		     const struct tx_pool *src, bool *dev)
{
	const char *spare = src->devdax ? spare_devdax(src->path) : NULL;

	*dev = false;
	if (spare) {
		uint64_t size = tx_devdax_size(spare);

		if (!tx_devdax_free(spare))
			t_info("%s holds data (a pool?): not a restore target",
			       spare);
		else if (size < src->info.pool_size)
			t_info("%s has %llu bytes, less than the pool's %llu: not a restore target",
			       spare, (unsigned long long)size,
			       (unsigned long long)src->info.pool_size);
		else
			*dev = true;
	}
	if (*dev)
		snprintf(buf, n, "%s", spare);
	else
		tx_path(buf, n, tx_restore_dir(), name);
}

void tx_dest_release(const char *path, bool dev)
{
	if (dev)
		tx_devdax_wipe(path);
	else if (unlink(path) && errno != ENOENT)
		t_error("unlink %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* a scratch block device */

void *tx_aligned(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		t_error("no memory for %zu aligned bytes", len);
	return p;
}

void tx_dio(const char *path, bool wr, void *buf, size_t len, uint64_t off)
{
	int fd = open(path, (wr ? O_WRONLY : O_RDONLY) | O_DIRECT);
	ssize_t n;

	if (fd < 0)
		t_error("open %s O_DIRECT: %s", path, strerror(errno));
	n = wr ? pwrite(fd, buf, len, (off_t)off) :
		 pread(fd, buf, len, (off_t)off);
	if (n != (ssize_t)len)
		t_error("%s %zu bytes at %llu of %s: %s", wr ? "write" : "read",
			len, (unsigned long long)off, path,
			n < 0 ? strerror(errno) : "short");
	if (wr && fsync(fd))
		t_error("fsync %s: %s", path, strerror(errno));
	close(fd);
}

/* null_blk without memory_backed=1 reads back zeros */
static bool keeps_data(const char *dev)
{
	uint8_t *w = tx_aligned(4096), *r = tx_aligned(4096);
	bool same;

	t_rand_fill(w, 4096);
	memset(r, 0, 4096);
	tx_dio(dev, true, w, 4096, 1 << 20);
	tx_dio(dev, false, r, 4096, 1 << 20);
	same = memcmp(w, r, 4096) == 0;
	free(w);
	free(r);
	return same;
}

const char *tx_blockdev(uint64_t *size, const char **why)
{
	const char *dev = getenv("PMKV_TEST_BLOCKDEV");
	struct stat st;
	int fd;

	if (!dev || !*dev)
		dev = getenv("KT_FAST");
	if (!dev || !*dev) {
		*why = "PMKV_TEST_BLOCKDEV names no block device whose contents may be lost (the kernel suite's guest gives its null_blk, KT_FAST)";
		return NULL;
	}
	if (stat(dev, &st) || !S_ISBLK(st.st_mode))
		t_error("%s is no block device", dev);
	fd = open(dev, O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, size))
		t_error("size of %s: %s", dev, strerror(errno));
	close(fd);
	if (!keeps_data(dev)) {
		*why = "the block device does not keep what is written (null_blk needs memory_backed=1)";
		return NULL;
	}
	return dev;
}

/* ------------------------------------------------------------------ */
/* what the kernel allows */

unsigned tx_kernel_version(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u", &major, &minor);
	return major * 1000 + minor;
}

bool tx_uring_works(void)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0);

	if (rc)
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

bool tx_fixed_works(const char *path, int *why)
{
	struct io_uring ring;
	struct iovec iov;
	struct stat st;
	size_t len = 2U << 20;
	void *p;
	int fd, rc;

	*why = 0;
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		t_error("open %s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < len)
		len = (size_t)st.st_size & ~(size_t)4095;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		t_error("mmap %s: %s", path, strerror(errno));
	rc = io_uring_queue_init(4, &ring, 0);
	if (rc) {
		munmap(p, len);
		*why = -rc;
		return false;
	}
	iov.iov_base = p;
	iov.iov_len = len;
	rc = io_uring_register_buffers(&ring, &iov, 1);
	if (rc == 0)
		io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	munmap(p, len);
	*why = -rc;
	return rc == 0;
}

bool tx_direct_works(const char *path_or_dir, bool dir)
{
	char probe[600];
	struct statx stx;
	bool ok;
	int fd;

	if (dir) {
		snprintf(probe, sizeof(probe), "%s/pmkv-t-dio-probe-%d",
			 path_or_dir, (int)getpid());
		fd = open(probe, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			t_error("create %s: %s", probe, strerror(errno));
		unlink(probe);
	} else {
		fd = open(path_or_dir, O_RDONLY);
		if (fd < 0)
			t_error("open %s: %s", path_or_dir, strerror(errno));
	}
	/* as the engine asks: O_DIRECT set on the open file */
	ok = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT) == 0;
	if (ok && statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN))
		ok = stx.stx_dio_offset_align &&
		     stx.stx_dio_offset_align <= 4096 &&
		     stx.stx_dio_mem_align <= 4096;
	close(fd);
	return ok;
}

enum pmkv_transfer_path tx_expect(unsigned flags, bool direct, bool uring,
				  bool fixed)
{
	if ((flags & PMKV_T_NO_DIRECT) || !direct)
		return PMKV_PATH_BUFFERED;
	if ((flags & PMKV_T_NO_URING) || !uring)
		return PMKV_PATH_SYNC_DIRECT;
	if ((flags & PMKV_T_NO_FIXED) || !fixed)
		return PMKV_PATH_URING;
	return PMKV_PATH_URING_FIXED;
}

void tx_check_report2(const struct pmkv_transfer_report *rep,
		      enum pmkv_transfer_path want,
		      enum pmkv_transfer_path or, const char *what)
{
	t_info("path: %-11s %s: %llu bytes, %llu bounced, %llu of %llu segments, %llu records, chain %u",
	       pmkv_transfer_path_name(rep->path), what,
	       (unsigned long long)rep->bytes,
	       (unsigned long long)rep->bounce_bytes,
	       (unsigned long long)rep->segments_copied,
	       (unsigned long long)rep->segments,
	       (unsigned long long)rep->records, rep->chain);
	if (rep->path != want && rep->path != or)
		T_FAIL("%s took path %s, expected %s%s%s", what,
		       pmkv_transfer_path_name(rep->path),
		       pmkv_transfer_path_name(want), or != want ? " or " : "",
		       or != want ? pmkv_transfer_path_name(or) : "");
	if (rep->path != PMKV_PATH_BUFFERED && rep->bounce_bytes != 0)
		T_FAIL("%s: %llu bytes bounced on path %s, which is direct",
		       what, (unsigned long long)rep->bounce_bytes,
		       pmkv_transfer_path_name(rep->path));
	if (rep->path == PMKV_PATH_BUFFERED && rep->bounce_bytes != rep->bytes)
		T_FAIL("%s: buffered, but only %llu of %llu bytes counted as bounced",
		       what, (unsigned long long)rep->bounce_bytes,
		       (unsigned long long)rep->bytes);
}

void tx_check_report(const struct pmkv_transfer_report *rep,
		     enum pmkv_transfer_path want, const char *what)
{
	tx_check_report2(rep, want, want, what);
}

struct pmkv_transfer_config *tx_tc(unsigned flags, const char *base)
{
	struct pmkv_transfer_config *tc = NULL;

	T_ASSERT_OK(pmkv_transfer_config_new(&tc));
	T_ASSERT_OK(pmkv_transfer_config_set_flags(tc, flags));
	if (base)
		T_ASSERT_OK(pmkv_transfer_config_set_base(tc, base));
	return tc;
}

const char *tx_flags_name(unsigned flags)
{
	static char buf[128];

	if (!flags)
		return "default";
	snprintf(buf, sizeof(buf), "%s%s%s%s",
		 flags & PMKV_T_NO_FIXED ? "|NO_FIXED" : "",
		 flags & PMKV_T_NO_URING ? "|NO_URING" : "",
		 flags & PMKV_T_NO_DIRECT ? "|NO_DIRECT" : "",
		 flags & PMKV_T_OVERWRITE ? "|OVERWRITE" : "");
	return buf + 1;
}
