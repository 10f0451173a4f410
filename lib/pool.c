// SPDX-License-Identifier: BSD-3-Clause
/*
 * pool.c -- the libpmemobj pool: check the path, probe, create or open,
 * and decide once how writes are made durable on this medium
 *
 * libpmemobj writes to a pool as soon as it opens it (it bumps run_id and
 * recovers its lanes), and on Debian 12's 1.12 it dies with SIGBUS on an
 * empty file. So before PMDK sees an existing path, a read-only probe
 * checks that it is a libpmemobj pool of pmkv's layout whose superblock is
 * sound: a foreign, damaged, truncated or newer pool is refused with
 * nothing written. The probe reads libpmemobj's on-media header (format 6,
 * measured with libpmemobj 1.12, doc/format.md); a pool of another PMDK
 * format is refused as PMKV_E_VERSION rather than guessed at.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <libpmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"
#include "format.h"
#include "internal.h"
#include "pool.h"

/* libpmemobj format 6 (PMDK 1.x): where its header keeps what we read */
#define PMDK_SIGNATURE "PMEMOBJ"
#define PMDK_MAJOR_OFF 8
#define PMDK_MAJOR_KNOWN 6
#define PMDK_LAYOUT_OFF 4096
#define PMDK_ROOT_OFF_AT 6144
#define PMDK_ROOT_SIZE_AT 6160
#define PMDK_HEADER_END 8192

enum probe_result {
	PROBE_POOL,		/* a pmkv pool whose superblock validates */
	PROBE_EMPTY,		/* zeros where a pool header would be */
	PROBE_NO_ROOT,		/* pmkv layout, creation interrupted before the superblock */
};

static bool device_is_dax(dev_t rdev)
{
	char link[128], target[256];
	const char *base;
	ssize_t n;

	/* a character device whose sysfs subsystem is "dax" */
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem",
		 major(rdev), minor(rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return strcmp(base, "dax") == 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int probe_mapped(const char *path, const uint8_t *m, uint64_t size,
			enum probe_result *res)
{
	char layout[64];
	uint32_t major;
	uint64_t root_off, root_size;

	if (size >= 4096 && all_zero(m, 4096)) {
		*res = PROBE_EMPTY;
		return 0;
	}
	if (size < PMDK_HEADER_END || memcmp(m, PMDK_SIGNATURE, 8) != 0) {
		if (size >= 8 && memcmp(m, PMDK_SIGNATURE, 8) == 0)
			return pmkv_err(PMKV_E_CORRUPT,
					"%s: truncated: %" PRIu64 " bytes, not even a whole pool header",
					path, size);
		return pmkv_err(PMKV_E_FOREIGN,
				"%s: not a pmkv pool (no libpmemobj header; first bytes %02x %02x %02x %02x %02x %02x %02x %02x)",
				path, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
	}
	memcpy(&major, m + PMDK_MAJOR_OFF, sizeof(major));
	if (major != PMDK_MAJOR_KNOWN)
		return pmkv_err(PMKV_E_VERSION,
				"%s: libpmemobj pool format %u; pmkv reads format %u",
				path, major, PMDK_MAJOR_KNOWN);
	memcpy(layout, m + PMDK_LAYOUT_OFF, sizeof(layout) - 1);
	layout[sizeof(layout) - 1] = '\0';
	if (strcmp(layout, PMKV_LAYOUT_NAME) != 0)
		return pmkv_err(PMKV_E_FOREIGN,
				"%s: a libpmemobj pool of layout \"%s\", not \"%s\"",
				path, layout, PMKV_LAYOUT_NAME);
	root_off = rd64(m + PMDK_ROOT_OFF_AT);
	root_size = rd64(m + PMDK_ROOT_SIZE_AT);
	/*
	 * libpmemobj publishes the root object (the superblock) by setting
	 * root_offset and root_size through its redo log, which only
	 * pmemobj_open() replays: a crash while the pool is created can
	 * leave one set and the other still 0 (crash-create --only
	 * create:36). Either 0 is an interrupted creation; pool_root()
	 * checks what the replay leaves.
	 */
	if (root_off == 0 || root_size == 0) {
		*res = PROBE_NO_ROOT;
		return 0;
	}
	if (root_off > size || size - root_off < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: truncated: %" PRIu64 " bytes, superblock at %" PRIu64,
				path, size, root_off);
	if (root_size < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT, "%s: superblock of %" PRIu64 " bytes",
				path, root_size);
	*res = PROBE_POOL;
	return format_validate((const struct pmkv_super *)(m + root_off), size,
			       path);
}

/* read-only look at fd's first size bytes */
static int probe(const char *path, int fd, uint64_t size,
		 enum probe_result *res)
{
	void *m;
	int rc;

	if (size == 0)
		return pmkv_err(PMKV_E_FOREIGN, "%s: empty file (0 bytes), not a pmkv pool",
				path);
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return pmkv_err(-errno, "%s: cannot map it to look at it: %s", path,
				strerror(errno));
	rc = probe_mapped(path, m, size, res);
	munmap(m, size);
	if (!rc && *res == PROBE_POOL && size < PMEMOBJ_MIN_POOL)
		return pmkv_err(PMKV_E_CORRUPT, "%s: truncated to %" PRIu64 " bytes",
				path, size);
	return rc;
}

static int pmdk_error(const char *path, const char *what)
{
	int e = errno;

	if (e == EAGAIN || e == EWOULDBLOCK)
		return pmkv_err(-EBUSY, "%s: pool is open already, in this process or another (%s)",
				path, pmemobj_errormsg());
	if (e == EINVAL)
		return pmkv_err(PMKV_E_CORRUPT, "%s: libpmemobj refuses to %s it: %s",
				path, what, pmemobj_errormsg());
	return pmkv_err(e ? -e : -EIO, "%s: libpmemobj cannot %s it: %s", path,
			what, pmemobj_errormsg());
}

/*
 * libpmemobj writes to a pool as it opens it (run_id, its shutdown state,
 * lane recovery). For PMKV_F_RDONLY on a file, its copy_on_write.at_open
 * setting maps the pool privately, so none of that reaches the file. The
 * setting is process-wide: it is set only around our own open, under a
 * lock. Device DAX cannot be mapped privately; libpmemobj still needs the
 * file or device opened read-write in both cases.
 */
static PMEMobjpool *open_pmemobj(const char *path, bool private_map)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	PMEMobjpool *pop;
	int on = 1, off = 0, e;

	if (!private_map)
		return pmemobj_open(path, PMKV_LAYOUT_NAME);
	pthread_mutex_lock(&lock);
	if (pmemobj_ctl_set(NULL, "copy_on_write.at_open", &on)) {
		pthread_mutex_unlock(&lock);
		return pmemobj_open(path, PMKV_LAYOUT_NAME);
	}
	pop = pmemobj_open(path, PMKV_LAYOUT_NAME);
	e = errno;
	pmemobj_ctl_set(NULL, "copy_on_write.at_open", &off);
	pthread_mutex_unlock(&lock);
	errno = e;
	return pop;
}

struct root_arg {
	uint64_t pool_size;
};

static int root_ctor(PMEMobjpool *pop, void *ptr, void *arg)
{
	const struct root_arg *a = arg;

	format_init(ptr, a->pool_size, format_segment_size_for(a->pool_size));
	pmemobj_persist(pop, ptr, sizeof(struct pmkv_super));
	return 0;
}

/* the superblock: made now when create is true, else it must be there */
static int pool_root(struct pmkv *kv, bool create, uint64_t size)
{
	struct root_arg a = { .pool_size = size };
	size_t have = pmemobj_root_size(kv->pop);
	PMEMoid oid;

	if (have == 0 && !create)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: pool creation was interrupted before the superblock; open with PMKV_F_CREATE to finish it",
				kv->path);
	if (have && have < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT, "%s: superblock of %zu bytes",
				kv->path, have);
	oid = pmemobj_root_construct(kv->pop, sizeof(struct pmkv_super),
				     have ? NULL : root_ctor, &a);
	if (OID_IS_NULL(oid))
		return pmkv_err(errno == ENOMEM ? -ENOSPC : -EIO,
				"%s: cannot make the superblock: %s", kv->path,
				pmemobj_errormsg());
	kv->sb = pmemobj_direct(oid);
	return format_validate(kv->sb, size, kv->path);
}

/* whether the mapping at addr was made with MAP_SYNC (VmFlags "sf") */
static bool mapping_is_sync(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	bool in = false, sync = false;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') <
		    strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			sync = strstr(line, " sf") != NULL;
			break;
		}
	}
	fclose(f);
	return sync;
}

static bool file_is_dax(const char *path)
{
#if HAVE_STATX_ATTR_DAX
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX))
		return stx.stx_attributes & STATX_ATTR_DAX;
#else
	(void)path;
#endif
	return false;
}

/* decided once: the hot paths only follow kv->persist */
static int pool_media(struct pmkv *kv, bool devdax, uint64_t size)
{
	const char *force = getenv("PMEM_IS_PMEM_FORCE");
	bool forced = force && strcmp(force, "1") == 0;

	if (devdax) {
		/* device DAX has no page cache: flushes reach the medium */
		kv->media = PMKV_MEDIA_DEVDAX;
		kv->is_pmem = true;
	} else if (file_is_dax(kv->path)) {
		kv->media = PMKV_MEDIA_FSDAX;
		if (kv->rdonly && !mapping_is_sync(kv->base)) {
			/*
			 * PMKV_F_RDONLY maps the file privately, and MAP_SYNC
			 * is for shared mappings only; nothing reaches the
			 * file, so there is no durability to lose
			 */
			kv->is_pmem = false;
			kv->persist = &persist_msync;
			return 0;
		}
		if (!mapping_is_sync(kv->base)) {
			if (!forced)
				return pmkv_err(PMKV_E_GRANULARITY,
						"%s: the file is DAX but the kernel did not map it MAP_SYNC; flushes from user space would not be durable",
						kv->path);
			kv->pmem_forced = true;
		}
		kv->is_pmem = true;
	} else {
		kv->media = PMKV_MEDIA_FILE;
		kv->is_pmem = pmem_is_pmem(kv->base, size);
		kv->pmem_forced = kv->is_pmem && forced;
	}
	kv->persist = kv->is_pmem ? &persist_pmem : &persist_msync;
	return 0;
}

/* make a rename in dir durable; best effort on file systems that cannot */
static void sync_dir_of(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd))
			log_warn("%s: fsync of its directory: %s", path,
				 strerror(errno));
		close(fd);
	}
	free(dir);
}

/*
 * A new file is made whole under a temporary name next to path, and only
 * then renamed to path. pmemobj_create() writes its pool header, its
 * descriptor and its lanes in several persisted steps; a crash between
 * them at path itself would leave a file that libpmemobj refuses and the
 * probe takes for another program's pool, so that no open, not even with
 * PMKV_F_CREATE, could finish the creation (crash-create, points inside
 * pmemobj_create()). A temporary file left by such a crash carries our
 * suffix and is removed by the next create.
 */
static int create_new_file(struct pmkv *kv, const struct pmkv_config *cfg)
{
	uint64_t size = cfg->size ? cfg->size : PMKV_POOL_DEFAULT;
	char *tmp;
	int rc;

	if (asprintf(&tmp, "%s.pmkv-creating", kv->path) < 0)
		return pmkv_err(-ENOMEM, "no memory for a path");
	if (unlink(tmp) && errno != ENOENT) {
		rc = pmkv_err(-errno, "%s: cannot remove what an interrupted create left: %s",
			      tmp, strerror(errno));
		goto out;
	}
	kv->pop = pmemobj_create(tmp, PMKV_LAYOUT_NAME, size, cfg->mode);
	if (!kv->pop) {
		if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
			rc = pmkv_err(-ENOSPC, "%s: no room for a pool of %" PRIu64 " bytes: %s",
				      kv->path, size, pmemobj_errormsg());
		else
			rc = pmdk_error(kv->path, "create");
		unlink(tmp);
		goto out;
	}
	kv->base = (uint8_t *)kv->pop;
	rc = pool_root(kv, true, size);
	if (rc)
		goto err_unlink;
	/* complete and durable: now it may have its name, unless taken */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, kv->path, RENAME_NOREPLACE) &&
	    (errno != EINVAL || link(tmp, kv->path) || unlink(tmp))) {
		rc = errno == EEXIST ?
			pmkv_err(-EEXIST, "%s: created by someone else meanwhile",
				 kv->path) :
			pmkv_err(-errno, "%s: cannot rename %s to it: %s", kv->path,
				 tmp, strerror(errno));
		goto err_unlink;
	}
	sync_dir_of(kv->path);
	free(tmp);
	return pool_media(kv, false, size);

err_unlink:
	pmemobj_close(kv->pop);
	kv->pop = NULL;
	unlink(tmp);
out:
	free(tmp);
	return rc;
}

/*
 * What the existing path is: device DAX (its size and alignment come
 * from the device, and a pool takes all of it) or a regular file (its
 * size). Anything else is refused before it is opened.
 */
static int path_kind(struct pmkv *kv, const char *path,
		     const struct pmkv_config *cfg, const struct stat *st,
		     bool *devdax, uint64_t *size)
{
	uint64_t align = 0;
	int rc;

	if (S_ISDIR(st->st_mode))
		return pmkv_err(-EISDIR, "%s: is a directory", path);
	if (S_ISCHR(st->st_mode)) {
		if (!device_is_dax(st->st_rdev))
			return pmkv_err(-EINVAL, "%s: a character device that is not device DAX",
					path);
		*devdax = true;
		rc = device_dax_info(path, size, &align);
		if (rc)
			return rc;
		kv->device_align = align;
		if (cfg->size && cfg->size != *size)
			return pmkv_err(-EINVAL, "%s: a devdax pool takes the whole device (%" PRIu64 " bytes), not %" PRIu64,
					path, *size, cfg->size);
		return 0;
	}
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	return pmkv_err(-EINVAL, "%s: neither a regular file nor a devdax device",
			path);
}

/*
 * Look at what path holds, read-only, before libpmemobj writes to it
 * (see the top of this file). An empty file that PMKV_F_CREATE may
 * create a pool in is grown to the pool's size instead and reported
 * PROBE_EMPTY, with *size its new size; if it cannot grow, it is put
 * back to 0 bytes.
 */
static int probe_or_grow(const char *path, const struct pmkv_config *cfg,
			 bool create, bool devdax, uint64_t *size,
			 enum probe_result *res)
{
	int fd, rc;

	/* libpmemobj maps pools read-write whatever we do with them */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	if (*size == 0 && create && !devdax) {
		/* an empty file is a place to create a pool in */
		uint64_t want = cfg->size ? cfg->size : PMKV_POOL_DEFAULT;

		rc = posix_fallocate(fd, 0, (off_t)want);
		if (rc) {
			if (ftruncate(fd, 0))
				rc = errno;
			close(fd);
			return pmkv_err(-rc, "%s: cannot grow it to %" PRIu64 " bytes: %s",
					path, want, strerror(rc));
		}
		*size = want;
		*res = PROBE_EMPTY;
		rc = 0;
	} else {
		rc = probe(path, fd, *size, res);
	}
	close(fd);
	return rc;
}

/*
 * Refuse what the probe found when the flags do not let us use it: no
 * pool, or an interrupted creation, without PMKV_F_CREATE, and zeros too
 * few to create a pool in.
 */
static int check_probed(const char *path, enum probe_result res, bool create,
			bool devdax, uint64_t size)
{
	if (res == PROBE_EMPTY && !create)
		return pmkv_err(PMKV_E_FOREIGN, "%s: holds no pool (it starts with zeros); PMKV_F_CREATE would make one",
				path);
	if (res == PROBE_NO_ROOT && !create)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: pool creation was interrupted before the superblock; open with PMKV_F_CREATE to finish it",
				path);
	if (res == PROBE_EMPTY && !devdax && size < PMEMOBJ_MIN_POOL)
		return pmkv_err(PMKV_E_FOREIGN, "%s: %" PRIu64 " bytes of zeros: too small for a pool",
				path, size);
	return 0;
}

/*
 * Hand the probed path to libpmemobj: create a pool where there are only
 * zeros, open the one there otherwise. A file that was empty before
 * probe_or_grow() grew it (st_size 0) is shrunk back if the create fails.
 */
static int attach_pmemobj(struct pmkv *kv, const char *path,
			  enum probe_result res, bool devdax, off_t st_size)
{
	int rc;

	if (res == PROBE_EMPTY) {
		kv->pop = pmemobj_create(path, PMKV_LAYOUT_NAME, 0, 0);
		if (!kv->pop) {
			rc = pmdk_error(path, "create");
			if (st_size == 0 && !devdax && truncate(path, 0))
				log_err("%s: cannot shrink it back: %s", path,
					strerror(errno));
			return rc;
		}
	} else {
		kv->pop = open_pmemobj(path, kv->rdonly && !devdax);
		if (!kv->pop)
			return pmdk_error(path, "open");
	}
	kv->base = (uint8_t *)kv->pop;
	return 0;
}

/*
 * Open the pool at path, or create it as cfg allows: a missing path is
 * created whole under another name; an existing one is checked and
 * probed before libpmemobj sees it. Then the superblock, and how this
 * medium makes writes durable.
 */
int pool_open(struct pmkv *kv, const char *path, const struct pmkv_config *cfg)
{
	static const struct pmkv_config dflt = { .mode = 0600 };
	enum probe_result res = PROBE_POOL;
	bool devdax = false, create;
	uint64_t size;
	struct stat st;
	int rc;

	if (!cfg)
		cfg = &dflt;
	create = cfg->flags & PMKV_F_CREATE;
	kv->rdonly = cfg->flags & PMKV_F_RDONLY;
	if (stat(path, &st)) {
		if (errno == ENOENT && !strncmp(path, "/dev/dax", 8))
			return pmkv_err(-ENOENT, "%s: no such devdax device (`daxctl list` shows those there are)",
					path);
		if (errno == ENOENT && create)
			return create_new_file(kv, cfg);
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	}
	rc = path_kind(kv, path, cfg, &st, &devdax, &size);
	if (rc)
		return rc;
	if (create && (cfg->flags & PMKV_F_EXCL))
		return pmkv_err(-EEXIST, "%s: exists, and PMKV_F_EXCL asks for a new pool",
				path);
	rc = probe_or_grow(path, cfg, create, devdax, &size, &res);
	if (rc)
		return rc;
	rc = check_probed(path, res, create, devdax, size);
	if (rc)
		return rc;
	rc = attach_pmemobj(kv, path, res, devdax, st.st_size);
	if (rc)
		return rc;
	rc = pool_root(kv, create && res != PROBE_POOL, size);
	if (rc)
		return rc;
	return pool_media(kv, devdax, size);
}

void pool_close(struct pmkv *kv)
{
	if (kv->pop)
		pmemobj_close(kv->pop);
	kv->pop = NULL;
}
