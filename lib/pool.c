// SPDX-License-Identifier: BSD-3-Clause
/*
 * pool.c -- the pool container: check the path, probe, create, map, and
 * decide once how writes are made durable on this medium
 *
 * libpmemobj creates a pool and nothing else: its pool header, lanes and
 * heap, then the root object (the superblock), the slot table and the
 * extents the segments live in, all at create. It never opens an
 * existing pool: pmemobj_open() replays lanes and trusts heap metadata
 * that no pmkv checksum covers, so one damaged byte there could steer it
 * (doc/design.md, "Damaged media"). pmkv maps the path itself and reads
 * only its own checksummed structures. The probe reads libpmemobj's pool
 * header (format 6, measured with libpmemobj 1.12, doc/format.md) for the
 * identity of the pool and where the superblock is; a pool of another
 * PMDK format is refused as PMKV_E_VERSION rather than guessed at.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <libpmem.h>
#include <libpmemobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"
#include "holes.h"
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
	PROBE_COPY,		/* the primary superblock is unreadable, its copy intact */
};

struct probe {
	enum probe_result res;
	uint64_t super_off;	/* the superblock to use: primary or copy */
	bool validated;		/* a superblock was found and checked */
};

/* how far back from the end the probe looks for the superblock's copy */
#define COPY_SEARCH (64ULL << 20)

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

/*
 * The superblock's copy, found without the primary: it is the last page
 * of the last extent, so within COPY_SEARCH of the end. 0 if none.
 */
static uint64_t find_copy(const uint8_t *m, uint64_t size,
			  const struct badblocks *bad)
{
	uint64_t lo = size > COPY_SEARCH ? size - COPY_SEARCH : 0;

	if (size < sizeof(struct pmkv_super))
		return 0;
	for (uint64_t off = (size - sizeof(struct pmkv_super)) &
			    ~(PMKV_SLOT_ALIGN - 1);
	     off >= lo && off > 0; off -= PMKV_SLOT_ALIGN) {
		const struct pmkv_super *sb = (const void *)(m + off);

		if (badblocks_hit(bad, off, sizeof(*sb)))
			continue;	/* never touched: a load would be SIGBUS */
		if (rd64(m + off) == PMKV_SUPER_MAGIC &&
		    sb->format_major == PMKV_FORMAT_MAJOR &&
		    sb->csum == format_super_csum(sb) && sb->copy_off == off &&
		    sb->pool_size <= size)
			return off;
	}
	return 0;
}

/* pmkv's own checks of the primary superblock libpmemobj's header points at */
static int probe_super(const char *path, const uint8_t *m, uint64_t size,
		       const struct badblocks *bad, struct probe *p)
{
	uint64_t root_off = rd64(m + PMDK_ROOT_OFF_AT);
	uint64_t root_size = rd64(m + PMDK_ROOT_SIZE_AT);

	/*
	 * libpmemobj publishes the root object (the superblock) by setting
	 * root_offset and root_size through its redo log: a crash while the
	 * pool is created can leave one set and the other still 0. Either
	 * 0 is an interrupted creation, if no copy says otherwise.
	 */
	if (root_off == 0 || root_size == 0) {
		p->res = PROBE_NO_ROOT;
		return 0;
	}
	if (root_off <= size - sizeof(struct pmkv_super) &&
	    badblocks_hit(bad, root_off, sizeof(struct pmkv_super)))
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: a bad block (media error) in the superblock at offset %" PRIu64,
				path, root_off);
	/* another format's superblock may be smaller: its version first */
	if (root_off <= size - 16 && rd64(m + root_off) == PMKV_SUPER_MAGIC) {
		uint32_t major;

		memcpy(&major, m + root_off + 8, sizeof(major));
		if (major != PMKV_FORMAT_MAJOR)
			return pmkv_err(PMKV_E_VERSION,
					"%s: pool format %u; this build reads %u.x",
					path, major, PMKV_FORMAT_MAJOR);
	}
	if (root_off > size || size - root_off < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: truncated: %" PRIu64 " bytes, superblock at %" PRIu64,
				path, size, root_off);
	if (root_size < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT, "%s: superblock of %" PRIu64 " bytes",
				path, root_size);
	p->super_off = root_off;
	/* zeros: created up to the root object, but not the superblock */
	if (all_zero(m + root_off, sizeof(struct pmkv_super))) {
		p->res = PROBE_NO_ROOT;
		return 0;
	}
	p->res = PROBE_POOL;
	p->validated = true;
	return format_validate((const struct pmkv_super *)(m + root_off), size,
			       path);
}

static int probe_primary(const char *path, const uint8_t *m, uint64_t size,
			 const struct badblocks *bad, struct probe *p)
{
	char layout[64];
	uint32_t major;

	if (badblocks_hit(bad, 0, PMDK_HEADER_END))
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: a bad block (media error) in libpmemobj's pool header",
				path);
	if (size >= 4096 && all_zero(m, 4096)) {
		p->res = PROBE_EMPTY;
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
	return probe_super(path, m, size, bad, p);
}

/*
 * The primary superblock, through libpmemobj's header; when either is
 * unreadable, or reads as no pool at all, an intact copy near the end
 * says that a pmkv pool is there: PMKV_E_CORRUPT, never free space that
 * PMKV_F_CREATE could write over. A newer or opposite-endian pool is
 * what it says, copy or not.
 */
static int probe_mapped(const char *path, const uint8_t *m, uint64_t size,
			const struct badblocks *bad, struct probe *p)
{
	char why[256];
	uint64_t copy;
	int rc;

	p->validated = false;
	rc = probe_primary(path, m, size, bad, p);
	/* a newer or opposite-endian pool is what it says, copy or not */
	if (rc == PMKV_E_VERSION || (p->validated && rc != PMKV_E_CORRUPT))
		return rc;
	copy = find_copy(m, size, bad);
	if (!copy)
		return rc;
	if (rc)
		snprintf(why, sizeof(why), "%s", pmkv_errormsg());
	else
		snprintf(why, sizeof(why), "%s: %s", path,
			 p->res == PROBE_EMPTY ? "its first 4 KiB are zeros" :
			 "no superblock where libpmemobj's header points");
	p->res = PROBE_COPY;
	p->super_off = copy;
	return pmkv_err(PMKV_E_CORRUPT,
			"%s; the superblock's copy at offset %" PRIu64 " is intact: PMKV_F_SALVAGE (pmkv-cli salvage) reads the pool through it",
			why, copy);
}

/* read-only look at fd's first size bytes */
static int probe(const char *path, int fd, uint64_t size,
		 const struct badblocks *bad, struct probe *p)
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
	rc = probe_mapped(path, m, size, bad, p);
	munmap(m, size);
	if (!rc && p->res == PROBE_POOL && size < PMEMOBJ_MIN_POOL)
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
	/* issue 15: an errno of -1 came back as +1, a success to callers */
	return pmkv_err(e > 0 ? -e : -EIO, "%s: libpmemobj cannot %s it: %s",
			path, what, pmemobj_errormsg());
}

/* libpmemobj type numbers of what pmkv allocates at create */
#define TYPE_TABLE 2
#define TYPE_EXTENT 3

/* the largest object libpmemobj will allocate now, to 64 KiB; 0 if none */
static uint64_t alloc_largest(PMEMobjpool *pop, uint64_t hi, PMEMoid *oid)
{
	const uint64_t step = 0x10000;
	uint64_t lo = 0;	/* 0, or a size that was allocated */

	if (hi > PMEMOBJ_MAX_ALLOC_SIZE)
		hi = PMEMOBJ_MAX_ALLOC_SIZE;
	hi &= ~(step - 1);
	if (hi >= step && !pmemobj_alloc(pop, oid, hi, TYPE_EXTENT, NULL, NULL))
		return hi;
	/* hi fails, lo does not: a failed allocation writes nothing */
	while (hi - lo > step) {
		uint64_t mid = ((lo + hi) / 2) & ~(step - 1);

		if (mid <= lo)
			break;
		if (!pmemobj_alloc(pop, oid, mid, TYPE_EXTENT, NULL, NULL)) {
			pmemobj_free(oid);
			lo = mid;
		} else {
			hi = mid;
		}
	}
	if (lo && !pmemobj_alloc(pop, oid, lo, TYPE_EXTENT, NULL, NULL))
		return lo;
	return 0;
}

/*
 * The extents: the largest objects libpmemobj has, one after another,
 * cut into slots on PMKV_SLOT_ALIGN boundaries. The last page of the last
 * one holds the superblock's copy. Their pages are not touched: a pool of
 * many GiB is created in the time libpmemobj takes.
 */
static int make_extents(PMEMobjpool *pop, struct pmkv_super *sb)
{
	uint64_t seg = sb->segment_size, last_end = 0;
	PMEMoid oid;

	while (sb->nextents < PMKV_EXTENTS_MAX) {
		uint64_t n = alloc_largest(pop, sb->pool_size, &oid);
		uint64_t first, end;

		if (!n)
			break;
		first = (oid.off + PMKV_SLOT_ALIGN - 1) & ~(PMKV_SLOT_ALIGN - 1);
		end = oid.off + n;
		if (end < first + seg + PMKV_SLOT_ALIGN) {
			pmemobj_free(&oid);
			break;	/* not one slot and the copy's page: done */
		}
		sb->extents[sb->nextents].off = first;
		sb->extents[sb->nextents].nslots = (end - first) / seg;
		sb->nslots += (uint32_t)sb->extents[sb->nextents].nslots;
		sb->nextents++;
		last_end = end;
	}
	if (!sb->nextents)
		return -ENOSPC;
	/* the copy takes the last whole page; the last slot gives way if it must */
	struct pmkv_extent *x = &sb->extents[sb->nextents - 1];

	sb->copy_off = (last_end - sizeof(struct pmkv_super)) &
		       ~(PMKV_SLOT_ALIGN - 1);
	while (x->off + x->nslots * seg > sb->copy_off) {
		x->nslots--;
		sb->nslots--;
	}
	if (x->nslots == 0)
		return -ENOSPC;
	return 0;
}

/*
 * Lay pmkv out in a pool libpmemobj has just created: the superblock,
 * the slot table (zeros: every slot free) and the extents. The primary
 * superblock is made durable first, then its copy: a crash before the
 * primary leaves no pool (PROBE_NO_ROOT, which PMKV_F_CREATE creates
 * again); one after it, a pool whose copy a read-write open writes.
 */
static int pool_format(PMEMobjpool *pop, const char *path, uint64_t size,
		       const struct pmkv_config *cfg)
{
	PMEMoid root, table;
	struct pmkv_super *sb;
	uint64_t seg = cfg->segment_size ? cfg->segment_size :
		       format_segment_size_for(size);
	uint64_t nslots_max = size / seg + 1;

	root = pmemobj_root(pop, sizeof(*sb));
	if (OID_IS_NULL(root))
		return pmkv_err(errno == ENOMEM ? -ENOSPC : -EIO,
				"%s: cannot make the superblock: %s", path,
				pmemobj_errormsg());
	if (pmemobj_zalloc(pop, &table, nslots_max * sizeof(struct pmkv_slot),
			   TYPE_TABLE))
		return pmkv_err(-ENOSPC, "%s: no room for a slot table of %" PRIu64 " slots: %s",
				path, nslots_max, pmemobj_errormsg());
	sb = malloc(sizeof(*sb));
	if (!sb)
		return pmkv_err(-ENOMEM, "no memory for a superblock");
	format_init(sb, size, seg);
	sb->table_off = table.off;
	if (make_extents(pop, sb)) {
		free(sb);
		return pmkv_err(-ENOSPC, "%s: a pool of %" PRIu64 " bytes has no room for one segment of %" PRIu64,
				path, size, seg);
	}
	format_seal(sb);
	/* no open accepts it until pmkv_restore() has filled it */
	sb->restoring = cfg->restore;
	pmemobj_memcpy_persist(pop, pmemobj_direct(root), sb, sizeof(*sb));
	/*
	 * the copy keeps the static bytes only, and restoring: salvage,
	 * which reads the copy when the primary is damaged, must refuse an
	 * unfinished restore as well
	 */
	sb->next_segment_id = 0;
	pmemobj_memcpy_persist(pop, (uint8_t *)pop + sb->copy_off, sb,
			       sizeof(*sb));
	free(sb);
	return 0;
}

/*
 * Create a pool of size bytes at path: a new file of that size
 * (in_place false), or the file or device there, all of it.
 */
static int pool_create_at(const char *path, uint64_t size, bool in_place,
			  const struct pmkv_config *cfg)
{
	PMEMobjpool *pop = pmemobj_create(path, PMKV_LAYOUT_NAME,
					  in_place ? 0 : size,
					  in_place ? 0 : cfg->mode);
	int rc;

	if (!pop) {
		if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
			return pmkv_err(-ENOSPC, "%s: no room for a pool of %" PRIu64 " bytes: %s",
					path, size, pmemobj_errormsg());
		return pmdk_error(path, "create");
	}
	rc = pool_format(pop, path, size, cfg);
	pmemobj_close(pop);
	return rc;
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
			 * PMKV_F_RDONLY maps the file PROT_READ, without
			 * MAP_SYNC: it writes nothing, so there is no
			 * durability to lose
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
void pool_sync_dir_of(const char *path)
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
 * them at path itself would leave a file that the probe takes for
 * another program's pool, so that no open, not even with PMKV_F_CREATE,
 * could finish the creation (crash-create, points inside
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
	rc = pool_create_at(tmp, size, false, cfg);
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
	pool_sync_dir_of(kv->path);
	goto out;

err_unlink:
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
 * Look at what path holds, read-only. An empty file that PMKV_F_CREATE
 * may create a pool in is grown to the pool's size instead and reported
 * PROBE_EMPTY, with *size its new size; if it cannot grow, it is put back
 * to 0 bytes.
 */
static int probe_or_grow(const char *path, const struct pmkv_config *cfg,
			 bool create, bool devdax, uint64_t *size,
			 const struct badblocks *bad, struct probe *p)
{
	int fd, rc;

	fd = open(path, (create ? O_RDWR : O_RDONLY) | O_CLOEXEC);
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
		p->res = PROBE_EMPTY;
		rc = 0;
	} else {
		rc = probe(path, fd, *size, bad, p);
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
 * Create a pool where the probe found zeros, or an interrupted creation
 * (its libpmemobj header is wiped first: pmemobj_create() wants zeros).
 * A file that was empty before probe_or_grow() grew it (st_size 0) is
 * shrunk back if the create fails.
 */
static int create_in_place(const char *path, enum probe_result res,
			   bool devdax, uint64_t size, off_t st_size,
			   const struct pmkv_config *cfg)
{
	int rc;

	if (res == PROBE_NO_ROOT) {
		/* through a mapping: device DAX has no write() */
		size_t len;
		int is_pmem;
		void *m = pmem_map_file(path, 0, 0, 0, &len, &is_pmem);

		if (!m)
			return pmkv_err(-errno, "%s: cannot wipe an interrupted creation: %s",
					path, pmem_errormsg());
		if (is_pmem) {
			pmem_memset_persist(m, 0, PMDK_HEADER_END);
			rc = 0;
		} else {
			memset(m, 0, PMDK_HEADER_END);
			rc = pmem_msync(m, PMDK_HEADER_END) ? -errno : 0;
		}
		pmem_unmap(m, len);
		if (rc)
			return pmkv_err(rc, "%s: cannot wipe an interrupted creation: %s",
					path, strerror(-rc));
	}
	rc = pool_create_at(path, size, true, cfg);
	if (rc && st_size == 0 && !devdax && truncate(path, 0))
		log_err("%s: cannot shrink it back: %s", path, strerror(errno));
	return rc;
}

/*
 * Map the pool: read-write through libpmem (MAP_SYNC where the file is
 * DAX), or read-only with PROT_READ, so that a read-only handle cannot
 * write and needs no write permission.
 */
static int map_pool(struct pmkv *kv, const char *path, uint64_t size)
{
	int fd, is_pmem;
	size_t len;
	void *m;

	if (!kv->rdonly) {
		m = pmem_map_file(path, 0, 0, 0, &len, &is_pmem);
		if (!m)
			return pmkv_err(-errno, "%s: cannot map it: %s", path,
					pmem_errormsg());
		kv->base = m;
		kv->map_len = len;
		kv->map_pmem = true;	/* libpmem keeps its ranges: pmem_unmap() */
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return pmkv_err(-errno, "%s: cannot map it: %s", path,
				strerror(errno));
	kv->base = m;
	kv->map_len = size;
	return 0;
}

static void file_attach_all(struct pmkv *kv, int fd, const void *base)
{
	persist_file_attach(&kv->misc_pc, fd, base);
	persist_file_attach(&kv->gcw.pc, fd, base);
	for (int i = 0; i < NWRITERS; i++)
		persist_file_attach(&kv->writers[i].pc, fd, base);
}

/*
 * A writable pool in a file that is not DAX lives in the page cache:
 * large records go there by pwritev() (persist.h, PERSIST_FILE_MIN).
 * Best effort: without the descriptor they are copied through the
 * mapping. The crash-test build records what reaches the pool through
 * libpmem's calls only, so there every record takes the mapping.
 */
static void file_attach(struct pmkv *kv, const char *path)
{
	int fd;

	if (PMKV_CRASH_TEST || kv->rdonly || kv->media != PMKV_MEDIA_FILE)
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_info("%s: no descriptor to write large records with (%s): they go through the mapping",
			 path, strerror(errno));
		return;
	}
	file_attach_all(kv, fd, kv->base);
}

static void file_detach(struct pmkv *kv)
{
	if (!kv->misc_pc.file_base)
		return;
	close(kv->misc_pc.file_fd);
	file_attach_all(kv, -1, NULL);
}

/*
 * libpmem remembers the DAX ranges pmem_map_file() mapped: a munmap()
 * behind its back makes the next pmem_map_file() of them fail
 */
static void unmap_pool(struct pmkv *kv)
{
	file_detach(kv);
	if (kv->base && kv->map_pmem)
		pmem_unmap(kv->base, kv->map_len);
	else if (kv->base)
		munmap(kv->base, kv->map_len);
	kv->base = NULL;
}

/*
 * The superblock the probe chose, checked again in the mapping (the file
 * could have changed in between)
 */
static int pool_super(struct pmkv *kv, const struct probe *p, uint64_t size)
{
	int rc;

	if (p->super_off > kv->map_len ||
	    kv->map_len - p->super_off < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT, "%s: changed while it was opened",
				kv->path);
	kv->sb = kv_ptr(kv, p->super_off);
	rc = format_validate(kv->sb, size, kv->path);
	if (rc)
		return rc;
	kv->from_copy = p->res == PROBE_COPY;
	kv->id_limit = kv->from_copy ? UINT64_MAX : kv->sb->next_segment_id;
	return 0;
}

/*
 * After a read-write open has recovered the pool (nothing is written to a
 * pool an open refuses): a copy that a crash at create left missing, or
 * that damage changed, is written again. The primary is sound, so the
 * copy is only a copy.
 */
void pool_copy_refresh(struct pmkv *kv)
{
	struct pmkv_super *copy;

	if (kv->from_copy || kv->rdonly)
		return;
	copy = kv_ptr(kv, kv->sb->copy_off);
	if (badblocks_hit(&kv->bad, kv->sb->copy_off, sizeof(*copy))) {
		log_warn("%s: a bad block (media error) in the superblock's copy: left alone",
			 kv->path);
		return;
	}
	if (!memcmp(copy, kv->sb, PMKV_SUPER_STATIC))
		return;
	log_warn("%s: the superblock's copy at offset %llu differs from the superblock: writing it again",
		 kv->path, (unsigned long long)kv->sb->copy_off);
	kv->persist->copy(&kv->misc_pc, copy, kv->sb, PMKV_SUPER_STATIC);
	memset((uint8_t *)copy + PMKV_SUPER_STATIC, 0,
	       sizeof(*copy) - PMKV_SUPER_STATIC);
	kv->persist->flush(&kv->misc_pc, (uint8_t *)copy + PMKV_SUPER_STATIC,
			   sizeof(*copy) - PMKV_SUPER_STATIC);
	kv->persist->fence(&kv->misc_pc);
	persist_check(kv, &kv->misc_pc);
}

/*
 * The known media errors of the path, before any byte of it is read: the
 * probe, recovery and every read step around them (badblocks.h); and the
 * platform's unsafe-shutdown count (shutdown.h)
 */
static int bad_blocks(struct pmkv *kv, const char *path, bool devdax)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	rc = badblocks_query(fd, path, devdax || file_is_dax(path), &kv->bad);
	shutdown_query(fd, devdax || file_is_dax(path), &kv->shutdown);
	close(fd);
	return rc;
}

/*
 * A read-write pool file must have no holes: a store to one on a full
 * file system is SIGBUS, not an error (holes.c)
 */
static int holes_fill_path(struct pmkv *kv, const char *path, bool devdax,
			   uint64_t size)
{
	int fd, rc;

	if (kv->rdonly || devdax)
		return 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	rc = holes_fill(fd, size, path);
	close(fd);
	return rc;
}

/*
 * Open the pool at path, or create it as cfg allows: a missing path is
 * created whole under another name, zeros or an interrupted creation in
 * place; an existing pool is locked, probed, mapped. Then the superblock,
 * and how this medium makes writes durable.
 */
int pool_open(struct pmkv *kv, const char *path, const struct pmkv_config *cfg)
{
	static const struct pmkv_config dflt = { .mode = 0600 };
	struct probe p = { .res = PROBE_POOL };
	bool devdax = false, create, created = false;
	uint64_t size;
	struct stat st;
	int rc;

	if (!cfg)
		cfg = &dflt;
	create = cfg->flags & PMKV_F_CREATE;
	kv->salvage = cfg->flags & PMKV_F_SALVAGE;
	kv->rdonly = (cfg->flags & PMKV_F_RDONLY) || kv->salvage;
	if (stat(path, &st)) {
		if (errno == ENOENT && !strncmp(path, "/dev/dax", 8))
			return pmkv_err(-ENOENT, "%s: no such devdax device (`daxctl list` shows those there are)",
					path);
		if (errno != ENOENT || !create)
			return pmkv_err(-errno, "%s: %s", path, strerror(errno));
		rc = create_new_file(kv, cfg);
		if (rc)
			return rc;
		created = true;
		if (stat(path, &st))
			return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	} else if (create && (cfg->flags & PMKV_F_EXCL)) {
		return pmkv_err(-EEXIST, "%s: exists, and PMKV_F_EXCL asks for a new pool",
				path);
	}
	rc = path_kind(kv, path, cfg, &st, &devdax, &size);
	if (rc)
		return rc;
	rc = bad_blocks(kv, path, devdax);
	if (rc)
		return rc;
	rc = probe_or_grow(path, cfg, create, devdax, &size, &kv->bad, &p);
	/* a restore's target: other data is not foreign but in the way */
	if (cfg->restore && !created &&
	    (rc == PMKV_E_FOREIGN || rc == PMKV_E_CORRUPT ||
	     rc == PMKV_E_VERSION))
		return pmkv_err(-EEXIST, "%s: holds a pool or other data; a restore makes a new pool",
				path);
	if (rc && !(p.res == PROBE_COPY && kv->salvage))
		return rc;
	rc = check_probed(path, p.res, create, devdax, size);
	if (rc)
		return rc;
	if (cfg->restore && !created && p.res != PROBE_EMPTY &&
	    p.res != PROBE_NO_ROOT)
		return pmkv_err(-EEXIST, "%s: holds a pool or other data; a restore makes a new pool",
				path);
	if (p.res == PROBE_EMPTY || p.res == PROBE_NO_ROOT) {
		/* libpmemobj locks the path itself while it creates */
		rc = create_in_place(path, p.res, devdax, size, st.st_size,
				     cfg);
		if (rc)
			return rc;
	}
	/* locked, look again: another process may have been faster */
	rc = lock_acquire(path, &kv->lock);
	if (rc)
		return rc;
	rc = probe_or_grow(path, cfg, false, devdax, &size, &kv->bad, &p);
	if (rc && !(p.res == PROBE_COPY && kv->salvage))
		goto err_unlock;
	rc = check_probed(path, p.res, false, devdax, size);
	if (rc)
		goto err_unlock;
	rc = holes_fill_path(kv, path, devdax, size);
	if (rc)
		goto err_unlock;
	rc = map_pool(kv, path, size);
	if (rc)
		goto err_unlock;
	rc = pool_super(kv, &p, size);
	if (!rc && kv->sb->restoring && !cfg->restore)
		rc = pmkv_err(PMKV_E_CORRUPT, "%s: a restore into it did not finish; restore the backup again into a new pool",
			      path);
	if (!rc)
		rc = pool_media(kv, devdax, size);
	if (rc)
		goto err_unmap;
	file_attach(kv, path);
	return 0;

err_unmap:
	unmap_pool(kv);
err_unlock:
	lock_release(&kv->lock);
	return rc;
}

void pool_close(struct pmkv *kv)
{
	unmap_pool(kv);
	lock_release(&kv->lock);
	badblocks_fini(&kv->bad);
}
