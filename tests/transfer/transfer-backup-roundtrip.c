// SPDX-License-Identifier: BSD-3-Clause
/* transfer-backup-roundtrip.c -- full and incremental backup, restored */
/*
 * Proves: a pool (on PMKV_TEST_DEVDAX, else a file) filled with values of
 * 0 bytes to 1.5 MiB (64 KiB, 64 KiB + 1 and more among them) is backed
 * up in full; after overwrites, deletes, new keys and a batch an
 * incremental backup on the full one copies less and names it; writes
 * after that are in neither. Each backup restored into a new pool (a
 * file, or a spare devdax device) holds exactly the model of its moment,
 * byte for byte, and no other key; verify passes on both, the chain of
 * two included. Each transfer reports the path it took ("# path: ..."),
 * which is the one this machine allows (tx.h), with no byte bounced
 * unless buffered; the handle's transfer_bytes and bounce_bytes count
 * the backups; the progress callback ends at its total. A backup onto an
 * existing file and a restore onto an existing pool are refused, and
 * leave both as they were.
 */
#include <errno.h>

#include "tx.h"

#define NKEYS 640U
#define EXTRA 64U	/* keys added later */

struct progress {
	unsigned calls;
	uint64_t done, total;
	bool backwards;
};

static int on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;

	if (p->calls && (done < p->done || total != p->total))
		p->backwards = true;
	p->calls++;
	p->done = done;
	p->total = total;
	return 0;
}

static void check_progress(const struct progress *p, const char *what)
{
	t_info("%s: %u progress calls, %llu of %llu bytes at the end", what,
	       p->calls, (unsigned long long)p->done,
	       (unsigned long long)p->total);
	if (!p->calls)
		T_FAIL("%s: the progress callback was never called", what);
	if (p->backwards)
		T_FAIL("%s: progress went backwards or its total changed",
		       what);
	if (p->done != p->total)
		T_FAIL("%s: progress ended at %llu of %llu bytes", what,
		       (unsigned long long)p->done,
		       (unsigned long long)p->total);
}

static bool zero16(const uint8_t *u)
{
	for (unsigned i = 0; i < 16; i++)
		if (u[i])
			return false;
	return true;
}

static void stats(struct pmkv *kv, struct pmkv_stats *st)
{
	T_ASSERT_OK(pmkv_get_stats(kv, st, sizeof(*st)));
}

/* the handle's counters moved by exactly what the report says */
static void check_stats(const struct pmkv_stats *a, const struct pmkv_stats *b,
			const struct pmkv_transfer_report *rep,
			const char *what)
{
	if (b->transfer_bytes - a->transfer_bytes != rep->bytes ||
	    b->bounce_bytes - a->bounce_bytes != rep->bounce_bytes)
		T_FAIL("%s: the handle counted %llu bytes (%llu bounced), the report %llu (%llu)",
		       what,
		       (unsigned long long)(b->transfer_bytes -
					    a->transfer_bytes),
		       (unsigned long long)(b->bounce_bytes - a->bounce_bytes),
		       (unsigned long long)rep->bytes,
		       (unsigned long long)rep->bounce_bytes);
}

struct env {
	bool uring;		/* io_uring works here */
	bool direct;		/* the backups' directory takes O_DIRECT */
	bool fixed;		/* io_uring registers the pool's pages */
};

static void backup(struct tx_pool *p, const char *target, const char *base,
		   const struct env *env, struct pmkv_transfer_report *rep,
		   const char *what)
{
	struct pmkv_transfer_config *tc = tx_tc(0, base);
	struct pmkv_stats a, b;
	struct progress prog = { 0 };
	int rc;

	T_ASSERT_OK(pmkv_transfer_config_set_progress(tc, on_progress, &prog));
	memset(rep, 0xa5, sizeof(*rep));
	stats(p->kv, &a);
	rc = pmkv_backup(p->kv, target, tc, rep, sizeof(*rep));
	if (rc)
		T_FAIL("%s to %s: %s: %s", what, target, pmkv_strerror(rc),
		       pmkv_errormsg());
	stats(p->kv, &b);
	pmkv_transfer_config_free(&tc);
	tx_check_report(rep, tx_expect(0, env->direct, env->uring, env->fixed),
			what);
	check_stats(&a, &b, rep, what);
	check_progress(&prog, what);
	T_ASSERT(rep->bytes > 0);
	T_ASSERT(rep->version > 0);
	T_ASSERT(rep->segments > 0);
	T_ASSERT(rep->segments_copied <= rep->segments);
	T_ASSERT(!zero16(rep->uuid));
	T_ASSERT(!zero16(rep->pool_uuid));
	T_ASSERT_EQ(t_file_size(target) % 4096, 0);
}

/* restore into a fresh place, compare with the model, verify the backup */
static void restore_and_verify(const struct tx_pool *src, const char *backup,
			       const struct pmkv_transfer_report *brep,
			       const struct tx_model *m, const struct env *env,
			       const char *what)
{
	struct pmkv_transfer_report rr, rv;
	struct progress prog = { 0 };
	struct pmkv_transfer_config *tc = tx_tc(0, NULL);
	char dest[512], msg[640];
	bool dev, direct = tx_direct_works(backup, false);
	int rc, why;

	tx_restore_dest(dest, sizeof(dest), "restored", src, &dev);
	T_ASSERT_OK(pmkv_transfer_config_set_progress(tc, on_progress, &prog));
	memset(&rr, 0xa5, sizeof(rr));
	rc = pmkv_restore(backup, dest, NULL, tc, &rr, sizeof(rr));
	if (rc)
		T_FAIL("restore of the %s into %s: %s: %s", what, dest,
		       pmkv_strerror(rc), pmkv_errormsg());
	/* the path depends on the new pool's pages: probe them now */
	snprintf(msg, sizeof(msg), "restore of the %s into %s", what, dest);
	tx_check_report(&rr, tx_expect(0, direct, env->uring,
				       tx_fixed_works(dest, &why)), msg);
	check_progress(&prog, msg);
	T_ASSERT_EQ(rr.chain, brep->chain);
	T_ASSERT_MEM_EQ(rr.uuid, brep->uuid, 16);
	T_ASSERT_MEM_EQ(rr.pool_uuid, brep->pool_uuid, 16);
	T_ASSERT_EQ(rr.version, brep->version);
	T_ASSERT_EQ(rr.segments, brep->segments);
	T_ASSERT(rr.records > 0);
	tx_check_pool(dest, m, msg);
	tx_dest_release(dest, dev);

	/*
	 * verify reads into a buffer of its own, which io_uring may or may
	 * not register: either io_uring path is right
	 */
	snprintf(msg, sizeof(msg), "verify of the %s", what);
	memset(&rv, 0xa5, sizeof(rv));
	rc = pmkv_verify(backup, tc, &rv, sizeof(rv));
	if (rc)
		T_FAIL("%s: %s: %s", msg, pmkv_strerror(rc), pmkv_errormsg());
	{
		enum pmkv_transfer_path w = tx_expect(0, direct, env->uring,
						      true);

		tx_check_report2(&rv, w, w == PMKV_PATH_URING_FIXED ?
				 PMKV_PATH_URING : w, msg);
	}
	T_ASSERT_EQ(rv.chain, brep->chain);
	T_ASSERT_MEM_EQ(rv.uuid, brep->uuid, 16);
	T_ASSERT_EQ(rv.version, brep->version);
	T_ASSERT_EQ(rv.records, rr.records);
	pmkv_transfer_config_free(&tc);
}

int main(void)
{
	struct pmkv_transfer_report rf, ri;
	struct tx_model m, m1 = { 0 }, m2 = { 0 }, pending = { 0 };
	const char *tdir = tx_target_dir();
	char full[512], incr[512], other[512];
	struct pmkv_batch *b;
	struct t_snap snap;
	struct tx_pool pool;
	struct env env;
	unsigned i, kver = tx_kernel_version();
	int why;

	tx_pool_create(&pool, "roundtrip", 64 * TX_MiB);
	env.uring = tx_uring_works();
	env.direct = tx_direct_works(tdir, true);
	env.fixed = tx_fixed_works(pool.path, &why);
	t_info("kernel %u.%u; io_uring %s; registered buffers over the pool: %s; backups in %s: %s",
	       kver / 1000, kver % 1000, env.uring ? "works" : "refused",
	       env.fixed ? "accepted" : strerror(why), tdir,
	       env.direct ? "direct I/O" : "no direct I/O");

	tx_model_init(&m, NKEYS + EXTRA);
	tx_fill(pool.kv, &m, 0, NKEYS);
	t_info("%u keys, the largest value %zu bytes", tx_model_count(&m),
	       m.vmax);

	/* a full backup */
	tx_path(full, sizeof(full), tdir, "full");
	backup(&pool, full, NULL, &env, &rf, "full backup");
	T_ASSERT_EQ(rf.chain, 1);
	T_ASSERT(zero16(rf.base_uuid));
	T_ASSERT_EQ(rf.segments_copied, rf.segments);
	/* 1.5 MiB values alone fill more than one 1 MiB segment */
	T_ASSERT(rf.segments >= 2);
	tx_model_copy(&m1, &m);

	/* a target that exists is refused and left alone */
	t_snap_take(&snap, full);
	T_EXPECT_ERR(pmkv_backup(pool.kv, full, NULL, NULL, 0), -EEXIST,
		     full, "exist");
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	/* overwrites (other sizes), deletes, new keys, a batch */
	for (i = 0; i < NKEYS; i += 7)
		tx_put(pool.kv, &m, i, tx_mixed_len(i * 3 + 1));
	for (i = 5; i < NKEYS; i += 11)
		if (m.e[i].present)
			tx_delete(pool.kv, &m, i);
	tx_fill(pool.kv, &m, NKEYS, EXTRA / 2);
	tx_model_copy(&pending, &m);
	T_ASSERT_OK(pmkv_batch_new(pool.kv, &b));
	for (i = 1; i < 200; i += 19)
		tx_batch_put(b, &pending, i, tx_mixed_len(i + 14));
	tx_batch_put(b, &pending, NKEYS + EXTRA / 2, 65536 + 7);
	for (i = 2; i < 200; i += 37)
		if (pending.e[i].present)
			tx_batch_delete(b, &pending, i);
	T_ASSERT_OK(pmkv_batch_commit(b));
	pmkv_batch_free(&b);
	tx_model_copy(&m, &pending);

	/* an incremental backup on the full one */
	tx_path(incr, sizeof(incr), tdir, "incr");
	backup(&pool, incr, full, &env, &ri, "incremental backup");
	T_ASSERT_EQ(ri.chain, 2);
	T_ASSERT_MEM_EQ(ri.base_uuid, rf.uuid, 16);
	T_ASSERT_MEM_EQ(ri.pool_uuid, rf.pool_uuid, 16);
	T_ASSERT(ri.version > rf.version);
	/* the segments sealed before the full backup did not change */
	if (ri.segments_copied >= ri.segments || ri.bytes >= rf.bytes)
		T_FAIL("the incremental backup copied %llu of %llu segments, %llu bytes; the full one %llu bytes",
		       (unsigned long long)ri.segments_copied,
		       (unsigned long long)ri.segments,
		       (unsigned long long)ri.bytes,
		       (unsigned long long)rf.bytes);
	tx_model_copy(&m2, &m);

	/* after V: in neither backup */
	tx_put(pool.kv, &m, NKEYS + EXTRA - 1, 100);
	tx_put(pool.kv, &m, 3, 70000);
	for (i = 0; !m.e[i].present || i == 3; i++)
		;
	tx_delete(pool.kv, &m, i);

	restore_and_verify(&pool, full, &rf, &m1, &env, "full backup");
	restore_and_verify(&pool, incr, &ri, &m2, &env, "incremental backup");

	/* and onto the source pool itself (device or file), closed */
	tx_pool_close(&pool);
	T_EXPECT_ERR(pmkv_restore(full, pool.path, NULL, NULL, NULL, 0),
		     -EEXIST, pool.path, "exist", "pool");
	tx_pool_reopen(&pool);
	tx_model_check(pool.kv, &m, "the source pool after everything");
	tx_pool_destroy(&pool);

	/* and onto a file that is not empty (pmkv_restore(3): -EEXIST) */
	tx_path(other, sizeof(other), tx_restore_dir(), "notempty");
	t_write_file(other, "x", 1);
	T_EXPECT_ERR(pmkv_restore(full, other, NULL, NULL, NULL, 0), -EEXIST,
		     other, "exist", "not empty");
	T_ASSERT_EQ(t_file_size(other), 1);

	tx_model_free(&m);
	tx_model_free(&m1);
	tx_model_free(&m2);
	tx_model_free(&pending);
	return T_EXIT_PASS;
}
