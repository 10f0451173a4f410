// SPDX-License-Identifier: BSD-3-Clause
/* reject-foreign-pool.c -- files that are not pmkv pools are refused */
/*
 * Proves: pmkv_open() refuses, with PMKV_E_FOREIGN, a message naming the
 * path and the file byte-for-byte unchanged, each of:
 *   - 16 MiB of random bytes,
 *   - 16 MiB of zeros,
 *   - an LMDB database (MDB_NOSUBDIR, one put), small and large,
 *   - a libpmemobj pool created with another layout name.
 * Each is tried read-write, read-only and with PMKV_F_CREATE (which
 * creates where the path has no pool, never over other data); zeros are
 * tried without CREATE only, since CREATE may make a pool there.
 *
 * A libpmemobj pool with the layout "pmkv" but no superblock (what an
 * interrupted create leaves) and one whose root object is all zeros must
 * be refused without a crash, as FOREIGN or CORRUPT; the first without
 * CREATE only, since CREATE finishes an interrupted create.
 */
#include <errno.h>
#include <libpmemobj.h>
#include <lmdb.h>
#include <unistd.h>

#include "t.h"

#define MiB (1ULL << 20)

static void refuse(const char *path, const char *what, int want, int alt,
		   bool with_create)
{
	static const unsigned flags[] = {
		0, PMKV_F_RDONLY, PMKV_F_CREATE,
	};
	struct pmkv_config *cfg;
	struct pmkv *kv = NULL;
	struct t_snap snap;
	unsigned i;
	int ret;

	t_info("%s: %s (%llu bytes)", what, path,
	       (unsigned long long)t_file_size(path));
	t_snap_take(&snap, path);

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if ((flags[i] & PMKV_F_CREATE) && !with_create)
			continue;
		cfg = t_cfg(0, flags[i]);
		ret = pmkv_open(path, cfg, &kv);
		if (ret == alt && alt != want)
			want = alt;
		T_EXPECT_ERR(ret, want, path);
		T_ASSERT(kv == NULL);
		pmkv_config_free(&cfg);
		T_ASSERT_UNCHANGED(&snap);
	}
	T_EXPECT_ERR(pmkv_open(path, NULL, &kv), want, path);
	T_ASSERT(kv == NULL);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);
	t_info("  refused: %s", pmkv_strerror(want));
}

static void make_lmdb(const char *path, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	char lock[600];
	void *buf;
	int rc;

	buf = calloc(1, vlen);
	if (!buf)
		t_error("no memory");
	memset(buf, 'v', vlen);

	rc = mdb_env_create(&env);
	if (!rc)
		rc = mdb_env_set_mapsize(env, 64 * MiB);
	if (!rc)
		rc = mdb_env_open(env, path, MDB_NOSUBDIR, 0600);
	if (!rc)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	if (rc)
		t_error("lmdb %s: %s", path, mdb_strerror(rc));
	k.mv_data = "key";
	k.mv_size = 3;
	v.mv_data = buf;
	v.mv_size = vlen;
	rc = mdb_put(txn, dbi, &k, &v, 0);
	if (!rc)
		rc = mdb_txn_commit(txn);
	if (rc)
		t_error("lmdb put %s: %s", path, mdb_strerror(rc));
	mdb_env_close(env);
	free(buf);

	/* LMDB's lock file sits beside the data file */
	snprintf(lock, sizeof(lock), "%s-lock", path);
	unlink(lock);
}

int main(void)
{
	char path[512];
	PMEMobjpool *pop;
	void *buf;

	buf = malloc(16 * MiB);
	if (!buf)
		t_error("no memory");

	t_pool_tmp(path, sizeof(path), "random");
	t_rand_fill(buf, 16 * MiB);
	t_write_file(path, buf, 16 * MiB);
	refuse(path, "random bytes", PMKV_E_FOREIGN, PMKV_E_FOREIGN, true);

	t_pool_tmp(path, sizeof(path), "zeros");
	memset(buf, 0, 16 * MiB);
	t_write_file(path, buf, 16 * MiB);
	/*
	 * Zeros where a pool header would be are where PMKV_F_CREATE makes
	 * a pool (a fresh devdax device reads as zeros), so only opens
	 * without CREATE must refuse them.
	 */
	refuse(path, "zeros", PMKV_E_FOREIGN, PMKV_E_FOREIGN, false);
	free(buf);

	t_pool_tmp(path, sizeof(path), "lmdb-small");
	make_lmdb(path, 100);
	refuse(path, "LMDB, one small put", PMKV_E_FOREIGN, PMKV_E_FOREIGN,
	       true);

	/* large enough to pass any size check: the contents must decide */
	t_pool_tmp(path, sizeof(path), "lmdb-large");
	make_lmdb(path, 16 * MiB);
	T_ASSERT(t_file_size(path) >= PMKV_POOL_MIN);
	refuse(path, "LMDB, one 16 MiB put", PMKV_E_FOREIGN, PMKV_E_FOREIGN,
	       true);

	t_pool_tmp(path, sizeof(path), "pmemobj");
	pop = pmemobj_create(path, "not-pmkv", 16 * MiB, 0600);
	if (!pop)
		t_error("pmemobj_create %s: %s", path, pmemobj_errormsg());
	if (OID_IS_NULL(pmemobj_root(pop, 256)))
		t_error("pmemobj_root: %s", pmemobj_errormsg());
	pmemobj_close(pop);
	refuse(path, "libpmemobj pool, layout \"not-pmkv\"", PMKV_E_FOREIGN,
	       PMKV_E_FOREIGN, true);

	t_pool_tmp(path, sizeof(path), "pmemobj-zeroroot");
	pop = pmemobj_create(path, "pmkv", 16 * MiB, 0600);
	if (!pop)
		t_error("pmemobj_create %s: %s", path, pmemobj_errormsg());
	if (OID_IS_NULL(pmemobj_root(pop, 256)))
		t_error("pmemobj_root: %s", pmemobj_errormsg());
	pmemobj_close(pop);
	refuse(path, "libpmemobj pool, layout \"pmkv\", zeroed root",
	       PMKV_E_FOREIGN, PMKV_E_CORRUPT, true);

	t_pool_tmp(path, sizeof(path), "pmemobj-noroot");
	pop = pmemobj_create(path, "pmkv", 16 * MiB, 0600);
	if (!pop)
		t_error("pmemobj_create %s: %s", path, pmemobj_errormsg());
	pmemobj_close(pop);
	refuse(path, "libpmemobj pool, layout \"pmkv\", no root object",
	       PMKV_E_FOREIGN, PMKV_E_CORRUPT, false);

	return T_EXIT_PASS;
}
