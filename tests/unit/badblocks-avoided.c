// SPDX-License-Identifier: BSD-3-Clause
/* badblocks-avoided.c -- known media errors are damage, and never touched */
/*
 * Real pmem reports uncorrectable errors as bad blocks; a load from one is
 * SIGBUS. This host has none, so this program makes its own: it wraps
 * badblocks_query() (lib/badblocks.c, which asks libpmem2) to report the
 * pages it chooses, and wraps mmap() and pmem_map_file() so that those
 * pages of every mapping the library makes of the pool are PROT_NONE: a
 * read of one is SIGSEGV and fails the test, as SIGBUS would on pmem.
 * The tests/kernel guest proves the same with the kernel's own bad blocks
 * (tests/unit/badblocks-fsdax, which runs there through run --engine). For each place of a bad page:
 *   - in a record: the default open says PMKV_E_CORRUPT naming the bad
 *     block; salvage serves every key but those on the page, which say
 *     PMKV_E_CORRUPT, and its scans skip them;
 *   - in the superblock: PMKV_E_CORRUPT naming the copy; salvage reads all;
 *   - in the slot table: PMKV_E_CORRUPT; salvage reads all, by headers;
 *   - in a free slot: the pool opens, serves every key, and fills up and
 *     reclaims without ever storing to the page.
 */
#include <errno.h>
#include <libpmem.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "t.h"
#include "internal.h"
#include "format.h"
#include "segment.h"

#define NKEYS 3000U
#define VLEN 100U
#define PAGE 4096ULL

/* the test's bad pages, pool offsets */
static uint64_t bad_off[4];
static unsigned nbad;

int __real_badblocks_query(int fd, const char *path, bool dax,
			   struct badblocks *b);
int __wrap_badblocks_query(int fd, const char *path, bool dax,
			   struct badblocks *b);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
void *__real_pmem_map_file(const char *path, size_t len, int flags,
			   mode_t mode, size_t *mapped, int *is_pmem);
void *__wrap_pmem_map_file(const char *path, size_t len, int flags,
			   mode_t mode, size_t *mapped, int *is_pmem);

int __wrap_badblocks_query(int fd, const char *path, bool dax,
			   struct badblocks *b)
{
	int rc = __real_badblocks_query(fd, path, dax, b);

	if (rc || !nbad)
		return rc;
	b->off = calloc(nbad, sizeof(*b->off));
	b->len = calloc(nbad, sizeof(*b->len));
	if (!b->off || !b->len)
		return -ENOMEM;
	for (unsigned i = 0; i < nbad; i++) {
		b->off[i] = bad_off[i];
		b->len[i] = PAGE;
	}
	b->n = nbad;
	return 0;
}

/* what a read of a bad page on pmem does, short of SIGBUS */
static void poison(void *m, size_t len, off_t off)
{
	for (unsigned i = 0; i < nbad; i++)
		if (bad_off[i] >= (uint64_t)off &&
		    bad_off[i] + PAGE <= (uint64_t)off + len)
			T_ASSERT_OK(mprotect((uint8_t *)m + bad_off[i] - off, PAGE,
					     PROT_NONE));
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	void *m = __real_mmap(addr, len, prot, flags, fd, off);

	if (m != MAP_FAILED && !(flags & MAP_ANONYMOUS) && fd >= 0)
		poison(m, len, off);
	return m;
}

void *__wrap_pmem_map_file(const char *path, size_t len, int flags,
			   mode_t mode, size_t *mapped, int *is_pmem)
{
	void *m = __real_pmem_map_file(path, len, flags, mode, mapped, is_pmem);

	if (m)
		poison(m, *mapped, 0);
	return m;
}

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "key-%05u", i);
}

static void value_of(unsigned i, uint8_t *v)
{
	for (unsigned j = 0; j < VLEN; j++)
		v[j] = (uint8_t)(i * 13 + j);
}

static void fill(const char *path)
{
	struct pmkv *kv = t_pool_create(path, 16ULL << 20);
	uint8_t v[VLEN];
	char k[16];

	for (unsigned i = 0; i < NKEYS; i++) {
		value_of(i, v);
		T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), v, VLEN));
	}
	T_ASSERT_OK(pmkv_close(&kv));
}

/* 0 when key i reads right, else the error */
static int read_key(struct pmkv *kv, unsigned i)
{
	uint8_t v[VLEN], want[VLEN];
	size_t vlen;
	char k[16];
	int rc = pmkv_get(kv, k, key_of(i, k), v, sizeof(v), &vlen);

	if (rc)
		return rc;
	value_of(i, want);
	T_ASSERT_EQ(vlen, VLEN);
	T_ASSERT_MEM_EQ(v, want, VLEN);
	return 0;
}

/*
 * Salvage reads all but at most lost keys: those on the bad page, which
 * say PMKV_E_CORRUPT, or -ENOENT where the page held their header (their
 * key is unknown; the open reported the record)
 */
static void expect_salvaged(const char *path, unsigned lost)
{
	struct pmkv *kv = t_pool_open(path, PMKV_F_SALVAGE);
	unsigned bad = 0, seen = 0;

	for (unsigned i = 0; i < NKEYS; i++) {
		int rc = read_key(kv, i);

		if (rc) {
			T_ASSERT(rc == PMKV_E_CORRUPT || rc == -ENOENT);
			bad++;
		}
	}
	T_ASSERT(bad <= lost);
	T_ASSERT_OK(pmkv_scan(kv, NULL, 0, NULL, 0, t_count_cb, &seen));
	T_ASSERT_EQ(seen, NKEYS - bad);
	T_ASSERT_OK(pmkv_close(&kv));
}

static void expect_refused(const char *path, const char *what)
{
	struct pmkv_config *cfg = t_cfg(0, PMKV_F_RDONLY);
	struct pmkv *kv = NULL;

	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), PMKV_E_CORRUPT, what);
	T_EXPECT_ERR(pmkv_open(path, cfg, &kv), PMKV_E_CORRUPT, what);
	pmkv_config_free(&cfg);
}

int main(void)
{
	char path[512], k[16];
	uint8_t big[4096] = { 0 };
	struct pmkv *kv;
	struct ientry *e;
	struct key key;
	uint64_t rec, root, free_slot = 0;
	unsigned puts = 0;
	int rc;

	t_seed();
	t_pool_tmp(path, sizeof(path), "badblocks");
	fill(path);

	/* where things are, found with nothing bad yet */
	kv = t_pool_open(path, PMKV_F_RDONLY);
	key_make(&key, k, key_of(1500, k));
	e = index_find_quiet(&kv->index, &key);
	T_ASSERT(e != NULL);
	rec = IE_OFF(e);
	for (uint32_t i = kv->nsegs_max; i-- > 0;)
		if (!kv->segs[i]) {
			free_slot = format_slot_off(kv->sb, i);
			break;
		}
	root = (uint64_t)((uint8_t *)kv->sb - kv->base);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT(free_slot != 0);

	/* a page of records */
	nbad = 1;
	bad_off[0] = (rec + sizeof(struct pmkv_record) + 9) & ~(PAGE - 1);
	expect_refused(path, "bad block");
	expect_salvaged(path, PAGE / 100 + 2);

	/* the superblock: its copy is intact */
	bad_off[0] = root & ~(PAGE - 1);
	expect_refused(path, "copy");
	expect_salvaged(path, 0);

	/* the slot table: salvage finds segments by their headers */
	nbad = 0;
	kv = t_pool_open(path, PMKV_F_RDONLY);
	bad_off[0] = kv->sb->table_off & ~(PAGE - 1);
	T_ASSERT_OK(pmkv_close(&kv));
	nbad = 1;
	expect_refused(path, "slot");
	expect_salvaged(path, 0);

	/* a free slot: fine to open, never written, even by a full pool */
	bad_off[0] = free_slot + 8 * PAGE;
	kv = t_pool_open(path, 0);
	for (unsigned i = 0; i < NKEYS; i++)
		T_ASSERT_OK(read_key(kv, i));
	while ((rc = pmkv_put(kv, k, (size_t)sprintf(k, "big-%05u", puts % 2000),
			      big, sizeof(big))) == 0 && puts < 20000)
		puts++;
	T_ASSERT(rc == 0 || rc == -ENOSPC);
	t_info("%u puts of 4 KiB around the bad page (last rc %d)", puts, rc);
	for (unsigned i = 0; i < NKEYS; i++)
		T_ASSERT_OK(read_key(kv, i));
	T_ASSERT_OK(pmkv_close(&kv));

	nbad = 0;
	unlink(path);
	return T_EXIT_PASS;
}
