// SPDX-License-Identifier: BSD-3-Clause
/* backup-restore.c -- full and incremental backups restore what was there */
/*
 * Proves: a pool of small, 64 KiB-aligned and own-segment values, with
 * overwrites, deletes and a batch, backed up, changed, and backed up
 * again on the first backup, restores from each backup into a new pool
 * that holds exactly the state at that backup, byte for byte, and no
 * record from after it; verify accepts both; the incremental one copies
 * fewer segments and names its base; every forced path (io_uring with and
 * without registered buffers, synchronous direct I/O, buffered) gives the
 * same pool and reports itself, with bounce bytes 0 exactly when the path
 * is direct, in the report and in pmkv_get_stats(); the restored pool
 * takes new writes and survives a reopen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"

#define NKEYS 1500U
#define VMAX (300U << 10)

/* gen[i]: 0 absent, else the generation whose value the key holds */
static unsigned gen[NKEYS], gen_full[NKEYS], gen_incr[NKEYS];
static uint8_t *vbuf, *rbuf;

static void key_of(unsigned i, char *k, size_t *klen)
{
	*klen = (size_t)sprintf(k, "backup/%05u", i);
}

static size_t val_of(unsigned i, unsigned g, uint8_t *v)
{
	struct t_rng r = { .s = (uint64_t)i * 7919 + g };
	size_t len = t_rng_next(&r) % 2000;

	/* some large: 64 KiB and up start on a page; 300 KiB own a segment */
	if (i % 97 == 0)
		len = 65536 + t_rng_next(&r) % 4096;
	if (i % 499 == 0)
		len = VMAX - t_rng_next(&r) % 1000;
	for (size_t j = 0; j < len; j++)
		v[j] = (uint8_t)(t_rng_next(&r) ^ j);
	return len;
}

static void put(struct pmkv *kv, unsigned i, unsigned g)
{
	size_t klen, vlen = val_of(i, g, vbuf);
	char k[32];

	key_of(i, k, &klen);
	T_ASSERT_OK(pmkv_put(kv, k, klen, vbuf, vlen));
	gen[i] = g;
}

static void del(struct pmkv *kv, unsigned i)
{
	size_t klen;
	char k[32];

	key_of(i, k, &klen);
	T_ASSERT_OK(pmkv_delete(kv, k, klen));
	gen[i] = 0;
}

/* the pool holds exactly model: every value, and no other key */
static void check(struct pmkv *kv, const unsigned *model, const char *what)
{
	struct pmkv_stats st;
	uint64_t live = 0;

	for (unsigned i = 0; i < NKEYS; i++) {
		size_t klen, vlen, want;
		char k[32];
		int rc;

		key_of(i, k, &klen);
		rc = pmkv_get(kv, k, klen, rbuf, VMAX, &vlen);
		if (!model[i]) {
			if (rc != -ENOENT)
				T_FAIL("%s: key %u is there (%d), deleted or never put",
				       what, i, rc);
			continue;
		}
		live++;
		if (rc)
			T_FAIL("%s: key %u: %d (%s)", what, i, rc, pmkv_errormsg());
		want = val_of(i, model[i], vbuf);
		if (vlen != want || memcmp(rbuf, vbuf, vlen))
			T_FAIL("%s: key %u holds another value (%zu bytes, want %zu of generation %u)",
			       what, i, vlen, want, model[i]);
	}
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.keys, live);
}

static struct pmkv_transfer_config *tcfg(unsigned flags, const char *base)
{
	struct pmkv_transfer_config *tc;

	T_ASSERT_OK(pmkv_transfer_config_new(&tc));
	T_ASSERT_OK(pmkv_transfer_config_set_flags(tc, flags));
	T_ASSERT_OK(pmkv_transfer_config_set_base(tc, base));
	return tc;
}

/* the path a transfer reported fits the flags and the directory */
static void check_path(const struct pmkv_transfer_report *r, unsigned flags,
		       bool direct, const char *what)
{
	t_info("%s: path %s, %llu bytes, %llu bounced", what,
	       pmkv_transfer_path_name(r->path), (unsigned long long)r->bytes,
	       (unsigned long long)r->bounce_bytes);
	if (!direct || (flags & PMKV_T_NO_DIRECT)) {
		T_ASSERT_EQ(r->path, PMKV_PATH_BUFFERED);
		T_ASSERT_EQ(r->bounce_bytes, r->bytes);
		return;
	}
	T_ASSERT_EQ(r->bounce_bytes, 0);
	if (flags & PMKV_T_NO_URING)
		T_ASSERT_EQ(r->path, PMKV_PATH_SYNC_DIRECT);
	else if (flags & PMKV_T_NO_FIXED)
		T_ASSERT(r->path == PMKV_PATH_URING ||
			 r->path == PMKV_PATH_SYNC_DIRECT);
	else
		T_ASSERT(r->path != PMKV_PATH_BUFFERED &&
			 r->path != PMKV_PATH_NONE);
}

static void restore_and_check(const char *bk, const unsigned *model,
			      const char *what)
{
	struct pmkv_transfer_report r;
	char path[4096];
	struct pmkv *kv;

	t_pool_tmp(path, sizeof(path), "restored");
	T_ASSERT_OK(pmkv_restore(bk, path, NULL, NULL, &r, sizeof(r)));
	T_ASSERT(r.records > 0);
	kv = t_pool_open(path, 0);
	check(kv, model, what);
	T_ASSERT_OK(pmkv_close(&kv));
	unlink(path);
}

int main(void)
{
	static const unsigned paths[] = { 0, PMKV_T_NO_FIXED, PMKV_T_NO_URING,
					  PMKV_T_NO_DIRECT };
	struct pmkv_transfer_config *tc;
	struct pmkv_transfer_report full, incr, v;
	char pool[4096], bk_full[4096], bk_incr[4096], bk[4096];
	struct pmkv_batch *b;
	struct pmkv_stats st;
	const char *dir = getenv("PMKV_TEST_BACKUP_DIR");
	bool direct = t_dir_direct(dir && *dir ? dir : "/var/tmp");
	struct pmkv *kv;

	vbuf = malloc(VMAX);
	rbuf = malloc(VMAX);
	T_ASSERT(vbuf && rbuf);
	kv = t_pool_create(t_pool_tmp(pool, sizeof(pool), "backup"), 128ULL << 20);
	for (unsigned i = 0; i < NKEYS; i++)
		put(kv, i, 1);
	for (unsigned i = 0; i < NKEYS; i += 3)
		put(kv, i, 2);
	for (unsigned i = 1; i < NKEYS; i += 7)
		del(kv, i);
	T_ASSERT_OK(pmkv_batch_new(kv, &b));
	for (unsigned i = 2; i < 40; i += 2) {
		size_t klen, vlen = val_of(i, 3, vbuf);
		char k[32];

		key_of(i, k, &klen);
		T_ASSERT_OK(pmkv_batch_put(b, k, klen, vbuf, vlen));
		gen[i] = 3;
	}
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
	memcpy(gen_full, gen, sizeof(gen));

	/* full */
	t_backup_tmp(bk_full, sizeof(bk_full), "full");
	T_ASSERT_OK(pmkv_backup(kv, bk_full, NULL, &full, sizeof(full)));
	check_path(&full, 0, direct, "full backup");
	T_ASSERT_EQ(full.chain, 1);
	T_ASSERT(full.segments > 2);
	T_ASSERT_EQ(full.segments_copied, full.segments);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.transfer_bytes, full.bytes);
	T_ASSERT_EQ(st.bounce_bytes, full.bounce_bytes);
	/* a second backup to the same name is refused, the first unchanged */
	T_EXPECT_ERR(pmkv_backup(kv, bk_full, NULL, NULL, 0), -EEXIST, "exists");

	/* changes after it are not in it */
	for (unsigned i = 0; i < NKEYS; i += 5)
		put(kv, i, 4);
	for (unsigned i = 4; i < NKEYS; i += 11)
		if (gen[i])
			del(kv, i);
	memcpy(gen_incr, gen, sizeof(gen));

	/* incremental, on the full one */
	tc = tcfg(0, bk_full);
	t_backup_tmp(bk_incr, sizeof(bk_incr), "incr");
	T_ASSERT_OK(pmkv_backup(kv, bk_incr, tc, &incr, sizeof(incr)));
	pmkv_transfer_config_free(&tc);
	check_path(&incr, 0, direct, "incremental backup");
	T_ASSERT_EQ(incr.chain, 2);
	T_ASSERT_MEM_EQ(incr.base_uuid, full.uuid, sizeof(full.uuid));
	T_ASSERT_MEM_EQ(incr.pool_uuid, full.pool_uuid, sizeof(full.uuid));
	T_ASSERT(incr.version > full.version);
	t_info("incremental: %llu of %llu segments, %llu bytes (full: %llu)",
	       (unsigned long long)incr.segments_copied,
	       (unsigned long long)incr.segments,
	       (unsigned long long)incr.bytes, (unsigned long long)full.bytes);
	T_ASSERT(incr.segments_copied < incr.segments);
	T_ASSERT(incr.bytes < full.bytes);

	/* later writes are in neither */
	for (unsigned i = 0; i < NKEYS; i += 2)
		put(kv, i, 5);

	T_ASSERT_OK(pmkv_verify(bk_full, NULL, &v, sizeof(v)));
	T_ASSERT_EQ(v.chain, 1);
	T_ASSERT_OK(pmkv_verify(bk_incr, NULL, &v, sizeof(v)));
	T_ASSERT_EQ(v.chain, 2);
	T_ASSERT(v.records > 0);
	restore_and_check(bk_full, gen_full, "restored full backup");
	restore_and_check(bk_incr, gen_incr, "restored incremental backup");

	/* every path gives the same pool */
	for (unsigned p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		struct pmkv_transfer_report r;

		memcpy(gen_full, gen, sizeof(gen));
		tc = tcfg(paths[p], NULL);
		t_backup_tmp(bk, sizeof(bk), "path");
		T_ASSERT_OK(pmkv_backup(kv, bk, tc, &r, sizeof(r)));
		check_path(&r, paths[p], direct, "backup");
		T_ASSERT_OK(pmkv_verify(bk, tc, &v, sizeof(v)));
		check_path(&v, paths[p], direct, "verify");
		restore_and_check(bk, gen_full, pmkv_transfer_path_name(r.path));
		pmkv_transfer_config_free(&tc);
		unlink(bk);
	}
	T_ASSERT_OK(pmkv_close(&kv));

	/* a restored pool takes writes and keeps them */
	{
		char path[4096];

		t_pool_tmp(path, sizeof(path), "restored");
		T_ASSERT_OK(pmkv_restore(bk_incr, path, NULL, NULL, NULL, 0));
		memcpy(gen, gen_incr, sizeof(gen));
		kv = t_pool_open(path, 0);
		for (unsigned i = 0; i < NKEYS; i += 13)
			put(kv, i, 6);
		T_ASSERT_OK(pmkv_close(&kv));
		kv = t_pool_open(path, 0);
		check(kv, gen, "restored pool, written and reopened");
		T_ASSERT_OK(pmkv_close(&kv));
	}
	unlink(bk_full);
	unlink(bk_incr);
	free(vbuf);
	free(rbuf);
	return T_EXIT_PASS;
}
