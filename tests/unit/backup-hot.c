// SPDX-License-Identifier: BSD-3-Clause
/* backup-hot.c -- a backup taken while writers run holds one version */
/*
 * Proves: while two threads put and a third commits two-key batches,
 * with reclamation running (the pool is small and overwritten many
 * times), each backup restores to a pool in which every key holds a
 * value acknowledged before the backup call or written during it, never
 * an older one nor one started after the call returned; both keys of
 * every batch carry the same tag; and every value is whole. The writers
 * go on through the backups (a put refused for room, which a backup may
 * cause, is retried).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"

#define NWRITERS_T 2
#define KEYS_PER 1500U
#define NPAIRS 200U
#define ROUNDS 3
#define VMAX 1600U

static struct pmkv *kv;
static uint64_t started[NWRITERS_T][KEYS_PER], acked[NWRITERS_T][KEYS_PER];
static uint64_t pair_started[NPAIRS], pair_acked[NPAIRS];
static uint64_t progress;
static int stop, enospc;

static size_t make_val(uint8_t *v, unsigned w, unsigned k, uint64_t c)
{
	size_t len = 16 + (size_t)((c * 131 + k) % (VMAX - 16));

	memcpy(v, &c, 8);
	memcpy(v + 8, &k, 4);
	memcpy(v + 12, &w, 4);
	for (size_t i = 16; i < len; i++)
		v[i] = (uint8_t)(c + i + k);
	return len;
}

static bool val_ok(const uint8_t *v, size_t len, unsigned w, unsigned k,
		   uint64_t *c)
{
	unsigned kk, ww;

	if (len < 16)
		return false;
	memcpy(c, v, 8);
	memcpy(&kk, v + 8, 4);
	memcpy(&ww, v + 12, 4);
	if (kk != k || ww != w || len != 16 + (size_t)((*c * 131 + k) % (VMAX - 16)))
		return false;
	for (size_t i = 16; i < len; i++)
		if (v[i] != (uint8_t)(*c + i + k))
			return false;
	return true;
}

static int put_retry(const void *key, size_t klen, const void *v, size_t vlen)
{
	int rc;

	while ((rc = pmkv_put(kv, key, klen, v, vlen)) == -ENOSPC)
		__atomic_add_fetch(&enospc, 1, __ATOMIC_RELAXED);
	return rc;
}

static void *writer(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	uint8_t v[VMAX];
	uint64_t c = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		unsigned k = (unsigned)(c * 7 % KEYS_PER);
		char key[32];
		int klen = sprintf(key, "w%u/%05u", w, k);
		size_t vlen = make_val(v, w, k, ++c);

		__atomic_store_n(&started[w][k], c, __ATOMIC_SEQ_CST);
		if (put_retry(key, (size_t)klen, v, vlen))
			t_error("put: %s", pmkv_errormsg());
		__atomic_store_n(&acked[w][k], c, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* batches of two keys that must agree */
static void *batcher(void *arg)
{
	struct pmkv_batch *b;
	uint64_t c = 0;

	(void)arg;
	if (pmkv_batch_new(kv, &b))
		t_error("batch_new");
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		unsigned p = (unsigned)(c % NPAIRS);
		char k[32];
		int rc;

		c++;
		for (int j = 0; j < 2; j++) {
			int klen = sprintf(k, "pair/%03u/%d", p, j);

			if (pmkv_batch_put(b, k, (size_t)klen, &c, sizeof(c)))
				t_error("batch_put");
		}
		__atomic_store_n(&pair_started[p], c, __ATOMIC_SEQ_CST);
		while ((rc = pmkv_batch_commit(b)) == -ENOSPC)
			__atomic_add_fetch(&enospc, 1, __ATOMIC_RELAXED);
		if (rc)
			t_error("batch_commit: %s", pmkv_errormsg());
		__atomic_store_n(&pair_acked[p], c, __ATOMIC_SEQ_CST);
	}
	pmkv_batch_free(&b);
	return NULL;
}

/* what the writers have stored, read as they store it: atomically */
static void load_all(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_SEQ_CST);
}

static void wait_progress(uint64_t n)
{
	uint64_t want = __atomic_load_n(&progress, __ATOMIC_RELAXED) + n;

	while (__atomic_load_n(&progress, __ATOMIC_RELAXED) < want)
		sched_yield();
}

static void check(const char *pool, uint64_t (*lo)[KEYS_PER],
		  uint64_t (*hi)[KEYS_PER], const uint64_t *plo,
		  const uint64_t *phi)
{
	struct pmkv *r = t_pool_open(pool, PMKV_F_RDONLY);
	uint8_t v[VMAX];

	for (unsigned w = 0; w < NWRITERS_T; w++)
		for (unsigned k = 0; k < KEYS_PER; k++) {
			char key[32];
			int klen = sprintf(key, "w%u/%05u", w, k);
			size_t vlen;
			uint64_t c = 0;
			int rc = pmkv_get(r, key, (size_t)klen, v, sizeof(v), &vlen);

			if (rc && rc != -ENOENT)
				T_FAIL("get %s: %d", key, rc);
			if (!rc && !val_ok(v, vlen, w, k, &c))
				T_FAIL("%s: a value that is not whole", key);
			if (c < lo[w][k] || c > hi[w][k])
				T_FAIL("%s holds %llu: acknowledged before the backup %llu, started by its end %llu",
				       key, (unsigned long long)c,
				       (unsigned long long)lo[w][k],
				       (unsigned long long)hi[w][k]);
		}
	for (unsigned p = 0; p < NPAIRS; p++) {
		uint64_t c[2] = { 0, 0 };

		for (int j = 0; j < 2; j++) {
			char key[32];
			int klen = sprintf(key, "pair/%03u/%d", p, j);
			size_t vlen;
			int rc = pmkv_get(r, key, (size_t)klen, &c[j], sizeof(c[j]),
					  &vlen);

			if (rc && rc != -ENOENT)
				T_FAIL("get %s: %d", key, rc);
		}
		if (c[0] != c[1])
			T_FAIL("batch pair %u split: %llu and %llu", p,
			       (unsigned long long)c[0], (unsigned long long)c[1]);
		if (c[0] < plo[p] || c[0] > phi[p])
			T_FAIL("pair %u holds %llu, outside [%llu, %llu]", p,
			       (unsigned long long)c[0], (unsigned long long)plo[p],
			       (unsigned long long)phi[p]);
	}
	T_ASSERT_OK(pmkv_close(&r));
}

int main(void)
{
	static uint64_t lo[NWRITERS_T][KEYS_PER], hi[NWRITERS_T][KEYS_PER];
	static uint64_t plo[NPAIRS], phi[NPAIRS];
	pthread_t th[NWRITERS_T + 1];
	char pool[4096], bk[4096], out[4096];
	struct pmkv_stats st;

	kv = t_pool_create(t_pool_tmp(pool, sizeof(pool), "hot"), 32ULL << 20);
	for (unsigned w = 0; w < NWRITERS_T; w++)
		pthread_create(&th[w], NULL, writer, (void *)(uintptr_t)w);
	pthread_create(&th[NWRITERS_T], NULL, batcher, NULL);
	for (int round = 0; round < ROUNDS; round++) {
		struct pmkv_transfer_report rep;

		wait_progress(20000);
		load_all(&lo[0][0], &acked[0][0], NWRITERS_T * KEYS_PER);
		load_all(plo, pair_acked, NPAIRS);
		t_backup_tmp(bk, sizeof(bk), "hot");
		T_ASSERT_OK(pmkv_backup(kv, bk, NULL, &rep, sizeof(rep)));
		load_all(&hi[0][0], &started[0][0], NWRITERS_T * KEYS_PER);
		load_all(phi, pair_started, NPAIRS);
		t_info("round %d: version %llu, %llu segments, %s", round,
		       (unsigned long long)rep.version,
		       (unsigned long long)rep.segments,
		       pmkv_transfer_path_name(rep.path));
		T_ASSERT_OK(pmkv_verify(bk, NULL, NULL, 0));
		T_ASSERT_OK(pmkv_restore(bk, t_pool_tmp(out, sizeof(out), "hot-out"),
					 NULL, NULL, NULL, 0));
		check(out, lo, hi, plo, phi);
		unlink(out);
		unlink(bk);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i <= NWRITERS_T; i++)
		pthread_join(th[i], NULL);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	t_info("%llu puts, %llu segments reclaimed, %d puts retried for room",
	       (unsigned long long)st.puts, (unsigned long long)st.gc_runs,
	       enospc);
	T_ASSERT(st.gc_runs > 0);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
