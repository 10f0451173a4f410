// SPDX-License-Identifier: BSD-3-Clause
/* checkpoint-open.c -- an open after a clean close reads no log */
/*
 * doc/format.md section 12, design.md "Opening after a clean close".
 * Proves, on a pool of puts, overwrites and deletes:
 *   - after a clean close an open loads the index checkpoint: it reads no
 *     record (pmkv_get_stats() recovered_records 0) and every key reads
 *     as written, deleted ones absent, with the keys count right;
 *   - a read-only open uses it, writes nothing, and leaves it usable;
 *   - a read-write open that writes and dies without closing (a crash)
 *     leaves no checkpoint named: the next open reads the log and finds
 *     that write; one that dies before any write does the same;
 *   - a bit flipped in the checkpoint's header, segment table, prefixes or
 *     entries, or a superblock naming another generation, makes the open
 *     read the log, with the same data; salvage always reads the log;
 *   - PMKV_CHECKPOINT=0 makes the close write none;
 *   - the live bytes it saved are those check_run() counts from the records
 *     (batches that replace one of their own operations included);
 *   - a key damaged in the log since the close (the checkpoint whole): a
 *     get or exists of it, or of a key beside it, is PMKV_E_CORRUPT or
 *     right, never -ENOENT for a key that is there; a put beside it is
 *     refused and writes nothing that a later open finds.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "check.h"
#include "internal.h"

#define NKEYS 3000U
#define VLEN 40U

static unsigned gen[NKEYS + 1];	/* 0: absent */

static size_t key_of(unsigned i, char *k)
{
	return (size_t)sprintf(k, "ckpt/%05u", i);
}

static void value_of(unsigned i, unsigned g, uint8_t *v)
{
	for (unsigned b = 0; b < VLEN; b++)
		v[b] = (uint8_t)(i * 7 + g * 13 + b);
}

static void put(struct pmkv *kv, unsigned i, unsigned g)
{
	uint8_t v[VLEN];
	char k[32];

	value_of(i, g, v);
	T_ASSERT_OK(pmkv_put(kv, k, key_of(i, k), v, VLEN));
	gen[i] = g;
}

/* every key as the model says, and the live count */
static void check(struct pmkv *kv)
{
	struct pmkv_stats st;
	uint8_t v[VLEN], want[VLEN];
	uint64_t live = 0;
	size_t vlen;
	char k[32];

	for (unsigned i = 0; i <= NKEYS; i++) {
		int rc = pmkv_get(kv, k, key_of(i, k), v, sizeof(v), &vlen);

		if (!gen[i]) {
			T_ASSERT_EQ(rc, -ENOENT);
			continue;
		}
		T_ASSERT_OK(rc);
		T_ASSERT_EQ(vlen, VLEN);
		value_of(i, gen[i], want);
		T_ASSERT_MEM_EQ(v, want, VLEN);
		live++;
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, live);
	/* entries, counts and every segment's live bytes against the log */
	T_ASSERT_OK(check_run(kv));
}

/*
 * A batch that puts key i twice and deletes key j after putting it: the
 * replaced operations' records are on media but named by no entry.
 */
static void batch_replacing(struct pmkv *kv, unsigned i, unsigned j)
{
	struct pmkv_batch *b;
	uint8_t v[VLEN];
	char k[32];
	size_t kl;

	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	value_of(i, 3, v);
	kl = key_of(i, k);
	T_ASSERT_OK(pmkv_batch_put(b, k, kl, v, VLEN));
	value_of(i, 4, v);
	T_ASSERT_OK(pmkv_batch_put(b, k, kl, v, VLEN));
	kl = key_of(j, k);
	T_ASSERT_OK(pmkv_batch_put(b, k, kl, v, VLEN));
	T_ASSERT_OK(pmkv_batch_delete(b, k, kl));
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
	gen[i] = 4;
	gen[j] = 0;
}

/*
 * Key i's record damaged in the log of a closed pool whose checkpoint is
 * whole: the open loads the checkpoint, and nothing answers as if the
 * key were absent.
 */
static void key_damaged(const char *pristine, const char *path, unsigned i)
{
	struct pmkv_stats st;
	struct pmkv_batch *b;
	struct pmkv *kv;
	struct ientry *e;
	struct key key;
	uint8_t v[VLEN], byte;
	uint64_t off, live;
	size_t vlen;
	char k[32];
	int rc;

	t_copy_file(pristine, path);
	kv = t_pool_open(path, PMKV_F_RDONLY);
	key_make(&key, k, key_of(i, k));
	e = index_find_quiet(&kv->index, &key);
	T_ASSERT(e != NULL && IE_LIVE(e->off));
	off = IE_OFF(e) + sizeof(struct pmkv_record) + 9;
	T_ASSERT_OK(pmkv_close(&kv));
	/* the key's last byte: its prefix, the index's copy, is untouched */
	t_pread(path, &byte, 1, off);
	byte ^= 0x01;
	t_pwrite(path, &byte, 1, off);

	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.recovered_records, 0);	/* from the checkpoint */
	live = st.keys;
	T_EXPECT_ERR(pmkv_get(kv, k, key_of(i, k), v, sizeof(v), &vlen),
		     PMKV_E_CORRUPT, "damaged");
	T_EXPECT_ERR(pmkv_exists(kv, k, key_of(i, k)), PMKV_E_CORRUPT,
		     "damaged");
	/* its neighbours: right, or refused */
	for (unsigned n = i - 1; n <= i + 1; n += 2) {
		rc = pmkv_get(kv, k, key_of(n, k), v, sizeof(v), &vlen);
		T_ASSERT(rc == PMKV_E_CORRUPT || (gen[n] ? rc == 0 : rc == -ENOENT));
	}
	/* its delete: refused, no tombstone written */
	T_EXPECT_ERR(pmkv_delete(kv, k, key_of(i, k)), PMKV_E_CORRUPT,
		     "damaged");
	/* a new key that sorts just after it, alone or in a batch: refused */
	sprintf(k, "ckpt/%05u+", i);
	memset(v, 0x5a, VLEN);
	T_EXPECT_ERR(pmkv_put(kv, k, strlen(k), v, VLEN), PMKV_E_CORRUPT,
		     "damaged");
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	T_ASSERT_OK(pmkv_batch_put(b, "ckpt/0", 6, v, VLEN));
	T_ASSERT_OK(pmkv_batch_put(b, k, strlen(k), v, VLEN));
	T_EXPECT_ERR(pmkv_batch_commit(b), PMKV_E_CORRUPT, "damaged");
	pmkv_batch_free(&b);
	T_ASSERT_OK(pmkv_close(&kv));

	/* nothing of them kept: the same live keys, none of the new ones */
	kv = t_pool_open(path, PMKV_F_RDONLY);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, live);
	T_EXPECT_ERR(pmkv_exists(kv, "ckpt/0", 6), -ENOENT, "no such key");
	T_ASSERT_OK(pmkv_close(&kv));

	/* the log, read: the damage refuses the open */
	T_ASSERT_OK(setenv("PMKV_CHECKPOINT", "0", 1));
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), PMKV_E_CORRUPT,
		     "header fails");
	T_ASSERT_OK(unsetenv("PMKV_CHECKPOINT"));
}

/* open, check, close; the records the open read from the log */
static uint64_t open_check(const char *path, unsigned flags)
{
	struct pmkv_stats st;
	struct pmkv *kv = t_pool_open(path, flags);

	check(kv);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_OK(pmkv_close(&kv));
	return st.recovered_records;
}

static uint64_t super_u64(const char *path, size_t field)
{
	uint64_t v;

	t_pread(path, &v, sizeof(v), t_super_off(path) + field);
	return v;
}

/* a child opens read-write, puts key NKEYS unless told not to, and dies */
static void write_then_crash(const char *path, bool write)
{
	int status;
	pid_t pid = fork();

	T_ASSERT(pid >= 0);
	if (pid == 0) {
		struct pmkv *kv = t_pool_open(path, 0);
		uint8_t v[VLEN];
		char k[32];

		value_of(NKEYS, 5, v);
		_exit(write && pmkv_put(kv, k, key_of(NKEYS, k), v, VLEN) ? 1 : 0);
	}
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (write)
		gen[NKEYS] = 5;
}

/* flip one bit at pool offset off: the open reads the log, same data */
static void flipped(const char *pristine, const char *path, uint64_t off,
		    const char *what)
{
	uint8_t b;

	t_copy_file(pristine, path);
	t_pread(path, &b, 1, off);
	b ^= 0x04;
	t_pwrite(path, &b, 1, off);
	t_info("flip in %s", what);
	T_ASSERT(open_check(path, PMKV_F_RDONLY) > 0);
	T_ASSERT(open_check(path, 0) > 0);
	/* the read-write open's close wrote a new one */
	T_ASSERT_EQ(open_check(path, 0), 0);
}

int main(void)
{
	char path[512], pristine[512];
	struct pmkv_ckpt h;
	struct t_snap snap;
	struct pmkv *kv;
	uint64_t off;

	t_pool_tmp(path, sizeof(path), "ckpt");
	t_pool_tmp(pristine, sizeof(pristine), "ckpt-pristine");
	kv = t_pool_create(path, 16ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++)
		put(kv, i, 1);
	for (unsigned i = 0; i < NKEYS; i += 3)
		put(kv, i, 2);
	for (unsigned i = 0; i < NKEYS; i += 7) {
		char k[32];

		T_ASSERT_OK(pmkv_delete(kv, k, key_of(i, k)));
		gen[i] = 0;
	}
	batch_replacing(kv, 1, 2);
	check(kv);
	T_ASSERT_OK(pmkv_close(&kv));
	T_ASSERT(super_u64(path, offsetof(struct pmkv_super, ckpt_gen)) != 0);

	/* loaded, read-only first: nothing written, still named after */
	t_snap_take(&snap, path);
	T_ASSERT_EQ(open_check(path, PMKV_F_RDONLY), 0);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
	T_ASSERT_EQ(open_check(path, 0), 0);
	T_ASSERT_EQ(open_check(path, 0), 0);
	t_copy_file(path, pristine);

	/* salvage reads the log, and writes nothing */
	T_ASSERT(open_check(path, PMKV_F_SALVAGE) > 0);

	/* damage to any part of it, or another generation named */
	off = super_u64(path, offsetof(struct pmkv_super, ckpt_off));
	t_pread(path, &h, sizeof(h), off);
	T_ASSERT_EQ(h.magic, PMKV_CKPT_MAGIC);
	T_ASSERT_EQ(h.nlive, (uint64_t)NKEYS - (NKEYS + 6) / 7 - 1);
	T_ASSERT(h.nentries == NKEYS && h.nsegs > 0);
	flipped(pristine, path, off + offsetof(struct pmkv_ckpt, version), "header");
	flipped(pristine, path, off + h.segs_off + 34, "segment table");
	flipped(pristine, path, off + h.pfx_off + 8 * (NKEYS / 2) + 3, "prefixes");
	flipped(pristine, path, off + h.ents_off + 16 * (NKEYS - 1) + 1, "entries");
	flipped(pristine, path, t_super_off(path) +
		offsetof(struct pmkv_super, ckpt_gen), "ckpt_gen");

	/* keys damaged since the close: a tie of prefixes, and the last key */
	key_damaged(pristine, path, 1234);
	key_damaged(pristine, path, NKEYS - 2);

	/* a crash after a write, then one before any */
	t_copy_file(pristine, path);
	write_then_crash(path, true);
	T_ASSERT_EQ(super_u64(path, offsetof(struct pmkv_super, ckpt_gen)), 0);
	T_ASSERT(open_check(path, 0) > 0);
	write_then_crash(path, false);
	T_ASSERT(open_check(path, 0) > 0);
	T_ASSERT_EQ(open_check(path, 0), 0);

	/* PMKV_CHECKPOINT=0: none used, none written */
	T_ASSERT_OK(setenv("PMKV_CHECKPOINT", "0", 1));
	T_ASSERT(open_check(path, 0) > 0);
	T_ASSERT_EQ(super_u64(path, offsetof(struct pmkv_super, ckpt_gen)), 0);
	T_ASSERT_OK(unsetenv("PMKV_CHECKPOINT"));
	T_ASSERT(open_check(path, 0) > 0);
	T_ASSERT_EQ(open_check(path, 0), 0);

	unlink(path);
	unlink(pristine);
	return T_EXIT_PASS;
}
