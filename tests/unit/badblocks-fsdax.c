// SPDX-License-Identifier: BSD-3-Clause
/* badblocks-fsdax.c -- a real bad block under a pool on fsdax is avoided */
/*
 * Runs in the tests/kernel guest (run --engine), where pools live on an
 * ext4 or xfs -o dax mount of a pmem namespace; skips elsewhere. It adds a
 * bad block the way a test can on Linux, through the pmem disk's
 * "badblocks" attribute, under one page of records of a closed pool. The
 * pmem driver then fails every access to it: read() with EIO, a load
 * through a DAX mapping with SIGBUS. pmkv learns of it from libpmem2
 * (through libndctl) at open. Each open runs in a child, so that SIGBUS
 * is a failure with a name:
 *   - the default open, read-write and read-only: PMKV_E_CORRUPT naming
 *     the bad block, no SIGBUS;
 *   - salvage: every key off the bad page reads right, those on it say
 *     PMKV_E_CORRUPT (or -ENOENT where it held their header), a scan
 *     completes;
 * the pool is then kept under another name, so that no later file gets
 * the bad block (emulated pmem cannot clear it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"

#define NKEYS 3000U
#define VLEN 100U
#define PAGE 4096ULL

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "key-%05u", i);
}

static void value_of(unsigned i, uint8_t *v)
{
	for (unsigned j = 0; j < VLEN; j++)
		v[j] = (uint8_t)(i * 13 + j);
}

/* the device offset of file offset off, through FIEMAP */
static uint64_t physical(const char *path, uint64_t off)
{
	/* struct fiemap ends in a flexible array: room for one extent */
	uint64_t buf[(sizeof(struct fiemap) +
		      sizeof(struct fiemap_extent)) / sizeof(uint64_t) + 1];
	struct fiemap *fm = (struct fiemap *)buf;
	int fd = open(path, O_RDONLY);

	T_ASSERT(fd >= 0);
	memset(buf, 0, sizeof(buf));
	fm->fm_start = off;
	fm->fm_length = PAGE;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) || fm->fm_mapped_extents != 1)
		t_skip("FIEMAP does not map the pool file: %s", strerror(errno));
	close(fd);
	T_ASSERT(fm->fm_extents[0].fe_logical <= off);
	return fm->fm_extents[0].fe_physical +
	       (off - fm->fm_extents[0].fe_logical);
}

/* /sys/dev/block/M:m of the disk under path; its sector offset in *start */
static void disk_of(const char *path, char *dir, size_t n, uint64_t *start)
	__attribute__((nonnull));
static void disk_of(const char *path, char *dir, size_t n, uint64_t *start)
{
	struct stat st;
	char p[640];
	FILE *f;

	T_ASSERT_OK(stat(path, &st));
	snprintf(dir, n, "/sys/dev/block/%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	*start = 0;
	snprintf(p, sizeof(p), "%s/partition", dir);
	if (access(p, F_OK) == 0) {
		snprintf(p, sizeof(p), "%s/start", dir);
		f = fopen(p, "r");
		T_ASSERT(f != NULL);
		T_ASSERT(fscanf(f, "%" SCNu64, start) == 1);
		fclose(f);
		strncat(dir, "/..", n - strlen(dir) - 1);
	}
}

static void badblocks_write(const char *dir, const char *what)
{
	char p[640];
	int fd;

	snprintf(p, sizeof(p), "%s/badblocks", dir);
	fd = open(p, O_WRONLY);
	if (fd < 0)
		t_skip("%s: %s: the disk keeps no bad blocks", p, strerror(errno));
	if (write(fd, what, strlen(what)) != (ssize_t)strlen(what))
		t_skip("%s: cannot add \"%s\": %s", p, what, strerror(errno));
	close(fd);
}

static bool badblocks_lists(const char *dir, uint64_t sector)
{
	char p[640], line[128];
	bool found = false;
	FILE *f;

	snprintf(p, sizeof(p), "%s/badblocks", dir);
	f = fopen(p, "r");
	T_ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, l;

		if (sscanf(line, "%" SCNu64 " %" SCNu64, &s, &l) == 2 &&
		    sector >= s && sector < s + l)
			found = true;
	}
	fclose(f);
	return found;
}

/* what a child reports: the exit code of fn, or 100 + signal */
static int in_child(int (*fn)(const char *), const char *path)
{
	int status;
	pid_t pid = fork();

	T_ASSERT(pid >= 0);
	if (pid == 0)
		_exit(fn(path));
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* 0: both default opens refused with a message naming the bad block */
static int child_refused(const char *path)
{
	unsigned flags[] = { 0, PMKV_F_RDONLY };

	for (unsigned i = 0; i < 2; i++) {
		struct pmkv_config *cfg = t_cfg(0, flags[i]);
		struct pmkv *kv = NULL;
		int rc = pmkv_open(path, cfg, &kv);

		pmkv_config_free(&cfg);
		if (rc != PMKV_E_CORRUPT || !strstr(pmkv_errormsg(), "bad block")) {
			fprintf(stderr, "open flags %u: %d, %s\n", flags[i], rc,
				pmkv_errormsg());
			return 1;
		}
	}
	return 0;
}

/* 0: salvage reads every key but a page's worth; 1 otherwise */
static int child_salvaged(const char *path)
{
	struct pmkv_config *cfg = t_cfg(0, PMKV_F_SALVAGE);
	uint8_t v[VLEN], want[VLEN];
	unsigned lost = 0, seen = 0;
	struct pmkv *kv = NULL;
	char k[16];
	size_t vlen;

	if (pmkv_open(path, cfg, &kv)) {
		fprintf(stderr, "salvage open: %s\n", pmkv_errormsg());
		return 1;
	}
	pmkv_config_free(&cfg);
	for (unsigned i = 0; i < NKEYS; i++) {
		int rc = pmkv_get(kv, k, key_of(i, k), v, sizeof(v), &vlen);

		value_of(i, want);
		if (rc == PMKV_E_CORRUPT || rc == -ENOENT)
			lost++;
		else if (rc || vlen != VLEN || memcmp(v, want, VLEN))
			return 1;
	}
	if (pmkv_scan(kv, NULL, 0, NULL, 0, t_count_cb, &seen) ||
	    seen != NKEYS - lost || lost == 0 || lost > PAGE / 100 + 2) {
		fprintf(stderr, "salvage: %u keys lost, scan saw %u\n", lost, seen);
		return 1;
	}
	pmkv_close(&kv);
	return 0;
}

int main(void)
{
	const char *media = getenv("PMKV_TEST_MEDIA");
	char path[512], dir[256], add[64], k[16];
	uint64_t rec, phys, start, sector;
	struct pmkv *kv;
	struct ientry *e;
	struct key key;
	uint8_t v[VLEN];

	t_seed();
	if (!media || strcmp(media, "fsdax"))
		t_skip("needs a pool on an fsdax mount (tests/kernel run --engine)");
	if (geteuid())
		t_skip("needs root to add a bad block");
	t_pool_tmp(path, sizeof(path), "badblocks-fsdax");
	kv = t_pool_create(path, 16ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++) {
		value_of(i, v);
		T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), v, VLEN));
	}
	key_make(&key, k, key_of(1500, k));
	e = index_find_quiet(&kv->index, &key);
	T_ASSERT(e != NULL);
	rec = IE_OFF(e);
	T_ASSERT_OK(pmkv_close(&kv));

	/* the page of key 1500's value, as the disk sees it */
	rec = (rec + sizeof(struct pmkv_record) + 9) & ~(PAGE - 1);
	phys = physical(path, rec);
	disk_of(path, dir, sizeof(dir), &start);
	T_ASSERT(phys % 512 == 0);
	sector = phys / 512 + start;
	t_info("pool page %" PRIu64 " is disk sector %" PRIu64 " (%s)", rec,
	       sector, dir);

	snprintf(add, sizeof(add), "%" PRIu64 " 8\n", sector);
	badblocks_write(dir, add);
	T_ASSERT(badblocks_lists(dir, sector));

	T_ASSERT_EQ(in_child(child_refused, path), 0);
	t_info("open, read-write and read-only: PMKV_E_CORRUPT naming the bad block, no SIGBUS");
	T_ASSERT_EQ(in_child(child_salvaged, path), 0);
	t_info("salvage: get and scan serve every key off the bad page");

	/*
	 * Emulated pmem cannot clear the poison (a write to the sector fails
	 * with EIO), and a file given the bad block next would hit it: the
	 * pool is kept, under a name the runner does not remove, so that
	 * its blocks stay allocated for the life of the guest's mount.
	 */
	{
		char keep[600], *slash;

		snprintf(keep, sizeof(keep), "%s", path);
		slash = strrchr(keep, '/');
		T_ASSERT(slash != NULL);
		*slash = '\0';
		slash = strrchr(keep, '/');
		T_ASSERT(slash != NULL);
		snprintf(slash, sizeof(keep) - (size_t)(slash - keep),
			 "/badblock-kept-%d.pool", (int)getpid());
		T_ASSERT_OK(rename(path, keep));
		t_info("kept %s: it holds a bad block", keep);
	}
	return T_EXIT_PASS;
}
