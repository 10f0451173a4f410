// SPDX-License-Identifier: BSD-3-Clause
/* damage-policy.c -- damage fails the open, salvage reads around it */
/*
 * doc/format.md, "Recovery policy": a record that is not whole is a tear
 * only where a crash can leave one, the last commit of a segment; damage
 * anywhere else fails the open with PMKV_E_CORRUPT, naming the segment,
 * the offset and, where the header is whole, the key. Each case damages a
 * copy of one closed pool on its file and proves, for that damage:
 *   - the default open, read-write and read-only, says PMKV_E_CORRUPT and
 *     names what it should;
 *   - nothing is made permanent: a refused read-write open writes not one
 *     byte, and with the bytes put back every key reads as before;
 *   - PMKV_F_SALVAGE opens it: the keys untouched read right, a key whose
 *     newest record is damaged but known says PMKV_E_CORRUPT, never an
 *     older value, and a salvage handle refuses writes;
 * and that damage only libpmemobj would read (its lanes and heap) changes
 * nothing, a zeroed first page is PMKV_E_CORRUPT that PMKV_F_CREATE does
 * not write over, and the last commit of a segment is damage once a clean
 * close sealed it and may be a tear, dropped silently, after a crash.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "record.h"
#include "segment.h"

#define NKEYS 3000U
#define NOVER 1000U		/* keys 0..NOVER-1 are written twice */
#define DEL_LO 1000U		/* keys DEL_LO..DEL_HI-1 are deleted */
#define DEL_HI 1100U
#define VLEN 100U

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "key-%05u", i);
}

static void value_of(unsigned i, unsigned gen, uint8_t *v)
{
	for (unsigned j = 0; j < VLEN; j++)
		v[j] = (uint8_t)(i * 7 + j + gen * 101);
}

static bool deleted(unsigned i)
{
	return i >= DEL_LO && i < DEL_HI;
}

static void fill(const char *path)
{
	struct pmkv *kv = t_pool_create(path, 16ULL << 20);
	uint8_t v[VLEN];
	char k[16];

	for (unsigned i = 0; i < NKEYS; i++) {
		value_of(i, 0, v);
		T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), v, VLEN));
	}
	for (unsigned i = 0; i < NOVER; i++) {
		value_of(i, 1, v);
		T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), v, VLEN));
	}
	for (unsigned i = DEL_LO; i < DEL_HI; i++)
		T_ASSERT_OK(pmkv_delete(kv, k, key_of(i, k)));
	T_ASSERT_OK(pmkv_close(&kv));
	/* the policy is the log's: no index checkpoint stands in for it */
	t_pool_forget_checkpoint(path);
}

/* key i reads as the model says: 0, or the first error */
static int read_key(struct pmkv *kv, unsigned i)
{
	uint8_t v[VLEN], want[VLEN];
	size_t vlen = 0;
	char k[16];
	int rc;

	rc = pmkv_get(kv, k, key_of(i, k), v, sizeof(v), &vlen);
	if (deleted(i)) {
		if (rc == -ENOENT)
			return 0;
		T_FAIL("key %u: deleted, but get returned %d", i, rc);
	}
	if (rc)
		return rc;
	value_of(i, i < NOVER, want);
	if (vlen != VLEN || memcmp(v, want, VLEN))
		T_FAIL("key %u: wrong value with rc 0", i);
	return 0;
}

/* every key reads right */
static void expect_whole(const char *path)
{
	struct pmkv *kv = t_pool_open(path, PMKV_F_RDONLY);

	for (unsigned i = 0; i < NKEYS; i++)
		T_ASSERT_OK(read_key(kv, i));
	T_ASSERT_OK(pmkv_close(&kv));
}

/* where key i's newest record lies, and its segment */
struct spot {
	uint64_t rec;		/* pool offsets */
	uint64_t seg;
	uint32_t slot;
};

static struct spot locate(const char *path, unsigned i)
{
	struct pmkv *kv = t_pool_open(path, PMKV_F_RDONLY);
	struct ientry *e;
	struct spot s;
	struct key key;
	char k[16];

	key_make(&key, k, key_of(i, k));
	e = index_find_quiet(&kv->index, &key);
	T_ASSERT(e != NULL);
	s.rec = IE_OFF(e);
	s.seg = kv->segs[e->seg]->off;
	s.slot = kv->segs[e->seg]->slot;
	T_ASSERT_OK(pmkv_close(&kv));
	return s;
}

static uint64_t super_field(const char *path, size_t field)
{
	uint64_t root, v;

	t_pread(path, &root, sizeof(root), 6144);
	t_pread(path, &v, sizeof(v), root + field);
	return v;
}

static void flip(const char *path, uint64_t off, uint8_t mask)
{
	uint8_t b;

	t_pread(path, &b, 1, off);
	b ^= mask;
	t_pwrite(path, &b, 1, off);
}

/* the default open refuses, read-write and read-only, naming each of what */
static void expect_refused(const char *path, const char *what1,
			   const char *what2)
{
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;

	/* a refused open, read-write included, writes not one byte */
	t_snap_take(&snap, path);
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), PMKV_E_CORRUPT, what1);
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), PMKV_E_CORRUPT, what2);
	cfg = t_cfg(0, PMKV_F_RDONLY);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_CORRUPT, what1);
	T_ASSERT(kv == NULL);
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
}

/*
 * Salvage reads every key but damaged, which says PMKV_E_CORRUPT (or,
 * for UINT32_MAX, none); writes are refused.
 */
static void expect_salvaged(const char *path, unsigned damaged)
{
	struct pmkv *kv = t_pool_open(path, PMKV_F_SALVAGE);
	uint8_t v[VLEN] = { 0 };
	char k[16];

	for (unsigned i = 0; i < NKEYS; i++) {
		int rc = read_key(kv, i);

		if (i == damaged)
			T_ASSERT_EQ(rc, PMKV_E_CORRUPT);
		else
			T_ASSERT_OK(rc);
	}
	T_EXPECT_ERR(pmkv_put(kv, k, key_of(1, k), v, VLEN), -EROFS,
		     "read-only");
	T_ASSERT_OK(pmkv_close(&kv));
}

/* a child puts key NKEYS - 1 and dies without closing: a crash */
static void last_put_then_crash(const char *path, char *k, const uint8_t *v)
{
	int status;
	pid_t pid = fork();

	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct pmkv *kv = t_pool_open(path, 0);

		_exit(pmkv_put(kv, k, key_of(NKEYS - 1, k), v, VLEN) ? 1 : 0);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* damage one byte of a copy of pristine; run the checks; put it back */
static void one_flip(const char *pristine, const char *path, uint64_t off,
		     const char *what1, const char *what2, unsigned damaged)
{
	t_copy_file(pristine, path);
	flip(path, off, 0x10);
	expect_refused(path, what1, what2);
	expect_salvaged(path, damaged);
	flip(path, off, 0x10);
	expect_whole(path);
}

int main(void)
{
	char pristine[512], path[512], k[16];
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	struct spot s;
	uint8_t zero[4096] = { 0 }, page[4096];
	uint64_t table, root;

	t_seed();
	t_pool_tmp(pristine, sizeof(pristine), "damage-pristine");
	t_pool_tmp(path, sizeof(path), "damage");
	fill(pristine);
	expect_whole(pristine);

	/* a value byte of a record in the middle of its segment */
	s = locate(pristine, 5);
	one_flip(pristine, path, s.rec + sizeof(struct pmkv_record) + 9 + 40,
		 "key-00005", "value that fails its checksum", 5);

	/*
	 * A header byte (its version): the open names the key it likely
	 * held; salvage keeps the record, so that a get of that key says
	 * PMKV_E_CORRUPT rather than serving an older version
	 */
	s = locate(pristine, 2500);
	one_flip(pristine, path, s.rec + 9, "header fails", "key-02500", 2500);

	/* the segment's header, then its slot entry */
	table = super_field(pristine, offsetof(struct pmkv_super, table_off));
	one_flip(pristine, path, s.seg + 8, "slot", "header", UINT32_MAX);
	one_flip(pristine, path, table + s.slot * sizeof(struct pmkv_slot) + 9,
		 "slot", "checksum", UINT32_MAX);
	/* the primary superblock: salvage reads through the copy */
	t_pread(pristine, &root, sizeof(root), 6144);
	one_flip(pristine, path, root + offsetof(struct pmkv_super, pool_size) + 6,
		 "superblock", "copy", UINT32_MAX);

	/* a valid record copied over another of its segment: not its place */
	s = locate(pristine, 7);
	t_copy_file(pristine, path);
	t_pread(path, page, 256, locate(pristine, 8).rec);
	t_pwrite(path, page, 256, s.rec);
	expect_refused(path, "key", "segment");

	/* libpmemobj's lanes and heap metadata: pmkv never reads them */
	t_copy_file(pristine, path);
	for (uint64_t off = 8192; off < 8192 + 64 * 1024; off += 4096)
		t_pwrite(path, zero, sizeof(zero), off);
	expect_whole(path);

	/* a zeroed first page: damaged, and PMKV_F_CREATE writes nothing */
	t_copy_file(pristine, path);
	t_pwrite(path, zero, sizeof(zero), 0);
	expect_refused(path, "copy", "PMKV_F_SALVAGE");
	t_snap_take(&snap, path);
	cfg = t_cfg(0, PMKV_F_CREATE);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_CORRUPT, "copy");
	pmkv_config_free(&cfg);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
	expect_salvaged(path, UINT32_MAX);

	/*
	 * The last commit of a segment: after a clean close (which sealed
	 * the segment) its damage is damage; after a crash (a child that
	 * exits without closing) it may be a tear, dropped silently
	 */
	t_copy_file(pristine, path);
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_put(kv, k, key_of(NKEYS - 1, k), zero, VLEN));
	T_ASSERT_OK(pmkv_close(&kv));
	t_pool_forget_checkpoint(path);
	s = locate(path, NKEYS - 1);
	flip(path, s.rec + sizeof(struct pmkv_record) + 9 + 50, 0x01);
	expect_refused(path, "key-02999", "checksum");

	t_copy_file(pristine, path);
	last_put_then_crash(path, k, zero);
	s = locate(path, NKEYS - 1);
	flip(path, s.rec + sizeof(struct pmkv_record) + 9 + 50, 0x01);
	expect_whole(path);

	unlink(path);
	unlink(pristine);
	return T_EXIT_PASS;
}
