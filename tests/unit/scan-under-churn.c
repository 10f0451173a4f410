// SPDX-License-Identifier: BSD-3-Clause
/* scan-under-churn.c -- scans miss no stable key while others come and go */
/*
 * Proves, with 2 writer threads inserting and deleting "churn" keys while
 * the main thread scans:
 *   - every scan and iterator walk returns keys in strictly increasing
 *     order, each with its own value;
 *   - every "stable" key (written before the writers start, never changed)
 *     inside the range walked is returned: full scans, bounded scans, and
 *     seeks followed by nexts from random places, present or not;
 *   - the writers really split leaves under the walks (their inserts are
 *     counted), so the iterator's refills had to seek again.
 * Keys are 9 bytes and come in groups of 4 that share their first 8, so
 * leaves and separators must order keys of equal 8-byte prefix by their
 * last byte. Even-numbered keys are stable, odd-numbered ones churn.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "t.h"

#define NKEYS 24000U		/* key numbers 0 .. NKEYS-1 */
#define ROUNDS 60U
#define NEXTS 200U

static struct pmkv *kv;
static atomic_int stop;
static atomic_uint_fast64_t churn_puts;

/* a value names its key: 4 bytes of the number, then filler */
static void val_of(unsigned i, uint8_t v[16])
{
	memcpy(v, &i, sizeof(i));
	memset(v + 4, (int)(i * 7u + 1u), 12);
}

static void *writer(void *arg)
{
	struct t_rng r = { .s = t_seed() + 1 + (uintptr_t)arg };
	uint8_t k[T_KEY4_LEN], v[16];

	while (!atomic_load(&stop)) {
		unsigned i = (unsigned)(t_rng_next(&r) % (NKEYS / 2)) * 2 + 1;
		int rc;

		t_key4(i, k);
		if (t_rng_next(&r) & 1) {
			val_of(i, v);
			T_ASSERT_OK(pmkv_put(kv, k, T_KEY4_LEN, v, sizeof(v)));
			atomic_fetch_add(&churn_puts, 1);
		} else {
			rc = pmkv_delete(kv, k, T_KEY4_LEN);
			if (rc && rc != -ENOENT)
				T_FAIL("delete: %d %s", rc, pmkv_errormsg());
		}
	}
	return NULL;
}

struct walk {
	long prev;		/* number of the last key, -1: none yet */
	unsigned stable;	/* stable keys seen */
};

static void see(struct walk *w, const void *k, size_t klen, const void *v,
		size_t vlen)
{
	unsigned i = t_key4_num(k, klen);
	uint8_t want[16];

	if ((long)i <= w->prev)
		T_FAIL("key %u after key %ld: not strictly increasing", i,
		       w->prev);
	val_of(i, want);
	T_ASSERT_EQ(vlen, sizeof(want));
	T_ASSERT_MEM_EQ(v, want, sizeof(want));
	/* a stable key skipped between the last one and this one? */
	for (long j = w->prev + 1; j < (long)i; j++)
		if (!(j & 1))
			T_FAIL("stable key %ld missing between %ld and %u", j,
			       w->prev, i);
	if (!(i & 1))
		w->stable++;
	w->prev = i;
}

static int scan_cb(const void *k, size_t klen, const void *v, size_t vlen,
		   void *arg)
{
	see(arg, k, klen, v, vlen);
	return 0;
}

/* even numbers in [lo, hi) */
static unsigned stable_in(unsigned lo, unsigned hi)
{
	return hi <= lo ? 0 : (hi + 1) / 2 - (lo + 1) / 2;
}

static void full_scan(void)
{
	struct walk w = { .prev = -1 };

	T_ASSERT_OK(pmkv_scan(kv, NULL, 0, NULL, 0, scan_cb, &w));
	T_ASSERT_EQ(w.stable, NKEYS / 2);
}

static void bounded_scan(void)
{
	unsigned lo = (unsigned)t_rand_below(NKEYS), hi;
	uint8_t a[T_KEY4_LEN], b[T_KEY4_LEN];
	struct walk w;

	hi = lo + (unsigned)t_rand_below(NKEYS - lo) + 1;
	t_key4(lo, a);
	t_key4(hi, b);	/* may be past the last key: fine */
	w = (struct walk){ .prev = (long)lo - 1 };
	T_ASSERT_OK(pmkv_scan(kv, a, T_KEY4_LEN, hi < NKEYS ? b : NULL,
			      hi < NKEYS ? T_KEY4_LEN : 0, scan_cb, &w));
	if (w.prev >= (long)hi)
		T_FAIL("scan of [%u, %u) returned key %ld", lo, hi, w.prev);
	T_ASSERT_EQ(w.stable, stable_in(lo, hi < NKEYS ? hi : NKEYS));
}

static void seek_walk(struct pmkv_iter *it)
{
	unsigned lo = (unsigned)t_rand_below(NKEYS), n = 0;
	struct walk w = { .prev = (long)lo - 1 };
	uint8_t k[T_KEY4_LEN];
	int rc;

	t_key4(lo, k);
	for (rc = pmkv_iter_seek(it, k, T_KEY4_LEN); rc == 0 && n < NEXTS;
	     rc = pmkv_iter_next(it), n++) {
		const void *kp, *vp;
		size_t kl, vl;

		T_ASSERT_OK(pmkv_iter_key(it, &kp, &kl));
		T_ASSERT_OK(pmkv_iter_value(it, &vp, &vl));
		see(&w, kp, kl, vp, vl);
	}
	if (rc && rc != -ENOENT)
		T_FAIL("iterator: %d %s", rc, pmkv_errormsg());
	/* at the end: no stable key after the last one returned */
	if (rc == -ENOENT && w.prev < (long)NKEYS - 2)
		T_FAIL("iterator ended at key %ld, before stable key %u",
		       w.prev, NKEYS - 2);
}

int main(void)
{
	pthread_t wt[2];
	struct pmkv_iter *it;
	uint8_t k[T_KEY4_LEN], v[16];
	char path[512];
	uint64_t before;

	t_seed();
	t_pool_tmp(path, sizeof(path), "churn");
	kv = t_pool_create(path, 64ULL << 20);
	for (unsigned i = 0; i < NKEYS; i += 2) {
		t_key4(i, k);
		val_of(i, v);
		T_ASSERT_OK(pmkv_put(kv, k, T_KEY4_LEN, v, sizeof(v)));
	}
	full_scan();

	for (uintptr_t i = 0; i < 2; i++)
		if (pthread_create(&wt[i], NULL, writer, (void *)i))
			t_error("pthread_create failed");
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	before = atomic_load(&churn_puts);
	for (unsigned r = 0; r < ROUNDS; r++) {
		if (r % 10 == 0)
			full_scan();
		bounded_scan();
		seek_walk(it);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(wt[i], NULL);
	t_info("%llu churn puts during %u rounds of walks",
	       (unsigned long long)(atomic_load(&churn_puts) - before), ROUNDS);
	/* the walks ran against inserts, or the test proved nothing */
	T_ASSERT(atomic_load(&churn_puts) - before > 0);

	full_scan();
	pmkv_iter_free(&it);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
