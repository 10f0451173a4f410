// SPDX-License-Identifier: BSD-3-Clause
/* iter-under-writes.c -- bounded walks both ways while writers churn */
/*
 * Proves, with 2 writer threads putting and deleting "churn" keys while
 * a reader thread walks with random bounds:
 *   - forward walks (seek, next) give strictly increasing keys and
 *     backward walks (seek_last, seek_for_prev, prev) strictly decreasing
 *     ones, so each key at most once per walk, all inside the bounds;
 *   - every "stable" key (put before the threads start, never touched)
 *     inside the bounds is seen on every walk: none is missing before
 *     the first key returned, between two keys, or after the last;
 *   - one step back and one forward in the middle of a walk (prev after
 *     next, next after prev) skip no stable key either and stay inside
 *     the bounds;
 *   - every key comes with its own value (each key has one possible
 *     value, stable or not);
 *   - the writers really ran during the walks (their operations are
 *     counted), or the test proved nothing.
 * Keys are 9 bytes and come in groups of 4 that share their first 8;
 * even-numbered keys are stable, odd-numbered ones churn. The threads
 * start together at a barrier; the run is a fixed number of walks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "t.h"

#define NKEYS 12000U		/* key numbers 0 .. NKEYS-1 */
#define WALKS 150U

static struct pmkv *kv;
static pthread_barrier_t start;
static atomic_int stop;
static atomic_uint_fast64_t churn_ops;

/* a value names its key: the number, then filler */
static void val_of(unsigned n, uint8_t v[16])
{
	memcpy(v, &n, sizeof(n));
	memset(v + 4, (int)(n * 7u + 1u), 12);
}

static void *writer(void *arg)
{
	struct t_rng r = { .s = t_seed() + 1 + (uintptr_t)arg };
	uint8_t k[T_KEY4_LEN], v[16];
	int rc;

	pthread_barrier_wait(&start);
	while (!atomic_load(&stop)) {
		unsigned n = (unsigned)(t_rng_next(&r) % (NKEYS / 2)) * 2 + 1;

		t_key4(n, k);
		if (t_rng_next(&r) & 1) {
			val_of(n, v);
			T_ASSERT_OK(pmkv_put(kv, k, T_KEY4_LEN, v, sizeof(v)));
		} else {
			rc = pmkv_delete(kv, k, T_KEY4_LEN);
			if (rc && rc != -ENOENT)
				T_FAIL("delete: %d %s", rc, pmkv_errormsg());
		}
		atomic_fetch_add(&churn_ops, 1);
	}
	return NULL;
}

/*
 * One walk in key numbers: bounds [lo, hi), direction d (+1 next, -1
 * prev), and last, the number of the last key returned or the bound the
 * walk starts from (lo - 1 forwards, hi backwards).
 */
struct walk {
	long lo, hi;
	int d;
	long last;
	unsigned keys;
};

/* no stable key strictly between a and b */
static void no_stable_between(const struct walk *w, long a, long b,
			      const char *what)
{
	long from = a < b ? a : b, to = a < b ? b : a;

	for (long j = from + 1; j < to; j++)
		if (!(j & 1))
			T_FAIL("%s walk [%ld, %ld): stable key %ld missing "
			       "between %ld and %ld (%s)",
			       w->d > 0 ? "forward" : "backward", w->lo, w->hi,
			       j, a, b, what);
}

/* the key the iterator is on, checked against bounds and value */
static long key_now(const struct walk *w, struct pmkv_iter *it)
{
	const void *p, *v;
	uint8_t want[16];
	size_t len, vlen;
	long n;

	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	n = (long)t_key4_num(p, len);
	if (n < w->lo || n >= w->hi)
		T_FAIL("key %ld outside the bounds [%ld, %ld)", n, w->lo,
		       w->hi);
	T_ASSERT_OK(pmkv_iter_value(it, &v, &vlen));
	val_of((unsigned)n, want);
	T_ASSERT_EQ(vlen, sizeof(want));
	if (memcmp(v, want, sizeof(want)))
		T_FAIL("key %ld has another key's value", n);
	return n;
}

/* the walk's next key: strictly on in its direction, no stable skipped */
static void see(struct walk *w, long n, const char *what)
{
	if ((n - w->last) * w->d <= 0)
		T_FAIL("%s walk: key %ld after key %ld (%s)",
		       w->d > 0 ? "forward" : "backward", n, w->last, what);
	no_stable_between(w, w->last, n, what);
	w->last = n;
	w->keys++;
}

static int step(struct pmkv_iter *it, int d)
{
	return d > 0 ? pmkv_iter_next(it) : pmkv_iter_prev(it);
}

/*
 * One step against the walk's direction and one with it, from key k.
 * Returns 0 when the iterator is on a key and w->last is that key,
 * -ENOENT when the walk ended at its far bound.
 */
static int turn(struct walk *w, struct pmkv_iter *it, long k)
{
	const long near_end = w->d > 0 ? w->lo - 1 : w->hi;
	const long far_end = w->d > 0 ? w->hi : w->lo - 1;
	uint8_t key[T_KEY4_LEN];
	long r;
	int rc;

	rc = step(it, -w->d);
	if (rc == -ENOENT) {
		/* nothing behind k inside the bounds */
		no_stable_between(w, near_end, k, "turn back at the bound");
		/* on no key now: seek again from k */
		t_key4((unsigned)k, key);
		rc = w->d > 0 ? pmkv_iter_seek(it, key, T_KEY4_LEN) :
			pmkv_iter_seek_for_prev(it, key, T_KEY4_LEN);
		w->last = k - w->d;	/* k itself may come again */
		if (rc == -ENOENT)
			return rc;
		T_ASSERT_OK(rc);
		see(w, key_now(w, it), "seek after the turn");
		return 0;
	}
	T_ASSERT_OK(rc);
	r = key_now(w, it);
	if ((k - r) * w->d <= 0)
		T_FAIL("turn at key %ld went to key %ld", k, r);
	no_stable_between(w, r, k, "one step back");

	/* and on again: from r, no stable key skipped, k if it is stable */
	w->last = r;
	rc = step(it, w->d);
	if (rc == -ENOENT) {
		no_stable_between(w, r, far_end, "on again to the bound");
		return rc;
	}
	T_ASSERT_OK(rc);
	see(w, key_now(w, it), "one step on again");
	return 0;
}

static uint64_t keys_seen;

static void walk(struct pmkv_iter *it, struct t_rng *r, unsigned i)
{
	struct walk w = { .lo = 0, .hi = NKEYS, .d = i & 1 ? -1 : 1 };
	uint8_t lk[T_KEY4_LEN], hk[T_KEY4_LEN], sk[T_KEY4_LEN];
	int rc;

	/* a quarter of the walks without bounds; bounds of either parity */
	if (i % 4) {
		w.lo = (long)(t_rng_next(r) % NKEYS);
		w.hi = w.lo + 1 + (long)(t_rng_next(r) % (NKEYS - w.lo));
	}
	t_key4((unsigned)w.lo, lk);
	t_key4((unsigned)w.hi, hk);
	if (i % 4 == 0)
		T_ASSERT_OK(pmkv_iter_set_bounds(it, NULL, 0, NULL, 0));
	else if (w.hi == (long)NKEYS)
		T_ASSERT_OK(pmkv_iter_set_bounds(it, lk, T_KEY4_LEN, NULL, 0));
	else
		T_ASSERT_OK(pmkv_iter_set_bounds(it, lk, T_KEY4_LEN, hk, T_KEY4_LEN));

	/* every third walk starts inside the range, by key */
	if (i % 3 == 2) {
		long s = w.lo + (long)(t_rng_next(r) % (w.hi - w.lo));

		t_key4((unsigned)s, sk);
		if (w.d > 0) {
			rc = pmkv_iter_seek(it, sk, T_KEY4_LEN);
			w.last = s - 1;
		} else {
			rc = pmkv_iter_seek_for_prev(it, sk, T_KEY4_LEN);
			w.last = s + 1;
		}
	} else {
		rc = w.d > 0 ? pmkv_iter_seek(it, NULL, 0) :
			pmkv_iter_seek_last(it);
		w.last = w.d > 0 ? w.lo - 1 : w.hi;
	}

	while (rc == 0) {
		long k = key_now(&w, it);

		see(&w, k, "step");
		if (t_rng_next(r) % 32 == 0) {
			rc = turn(&w, it, k);
			if (rc)
				break;
		}
		rc = step(it, w.d);
	}
	if (rc != -ENOENT)
		T_FAIL("walk: %d (%s) %s", rc, pmkv_strerror(rc),
		       pmkv_errormsg());
	/* nothing stable after the last key, up to the bound */
	no_stable_between(&w, w.last, w.d > 0 ? w.hi : w.lo - 1, "at the end");
	keys_seen += w.keys;
}

static void *reader(void *arg)
{
	struct t_rng r = { .s = t_seed() + 100 };
	struct pmkv_iter *it;
	uint64_t before;

	(void)arg;
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	pthread_barrier_wait(&start);
	before = atomic_load(&churn_ops);
	for (unsigned i = 0; i < WALKS; i++)
		walk(it, &r, i);
	t_info("%llu churn puts and deletes during %u walks of %llu keys",
	       (unsigned long long)(atomic_load(&churn_ops) - before), WALKS,
	       (unsigned long long)keys_seen);
	/* the walks ran against writes, or the test proved nothing */
	T_ASSERT(atomic_load(&churn_ops) - before > 0);
	atomic_store(&stop, 1);
	pmkv_iter_free(&it);
	return NULL;
}

int main(void)
{
	pthread_t wt[2], rt;
	uint8_t k[T_KEY4_LEN], v[16];
	char path[512];

	t_seed();
	t_pool_tmp(path, sizeof(path), "iter-writes");
	kv = t_pool_create(path, 64ULL << 20);
	for (unsigned n = 0; n < NKEYS; n++) {
		/* stable keys, and half the churn keys to begin with */
		if ((n & 1) && (n & 2))
			continue;
		t_key4(n, k);
		val_of(n, v);
		T_ASSERT_OK(pmkv_put(kv, k, T_KEY4_LEN, v, sizeof(v)));
	}

	if (pthread_barrier_init(&start, NULL, 3))
		t_error("pthread_barrier_init failed");
	for (uintptr_t i = 0; i < 2; i++)
		if (pthread_create(&wt[i], NULL, writer, (void *)i))
			t_error("pthread_create failed");
	if (pthread_create(&rt, NULL, reader, NULL))
		t_error("pthread_create failed");
	pthread_join(rt, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(wt[i], NULL);
	pthread_barrier_destroy(&start);

	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
