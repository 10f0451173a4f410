// SPDX-License-Identifier: BSD-3-Clause
/* iter-bounds.c -- an iterator's bounds hold for every seek and step */
/*
 * Proves, against a sorted model of the pool's keys:
 *   - with bounds [lower, upper) (either NULL), seek(NULL)+next and
 *     seek_last+prev return exactly the model's keys in the range, with
 *     their values, then -ENOENT;
 *   - seek(k) lands on the first key >= max(k, lower) below upper,
 *     seek_for_prev(k) on the last key <= k below upper and >= lower, or
 *     -ENOENT; one prev after such a seek, or one next after a
 *     seek_for_prev, stops at the bound it meets;
 *   - bounds on keys and between keys, and bounds that leave the range
 *     empty; keys that share 8-byte prefixes, keys shorter than 8 bytes
 *     and keys with 0 bytes ("a" < "a\0" < "a\0\0"), where an index that
 *     compares zero-padded prefixes would take one key for another;
 *   - set_bounds leaves the iterator on no key; the bounds are copies;
 *     NULL, NULL removes them;
 *   - -EINVAL for lower >= upper and for bound lengths of 0 or above
 *     PMKV_KEY_MAX, and the iterator keeps the bounds it had;
 *   - the same with 5000 random keys over 4 byte values, so that walks
 *     and seeks cross many index leaves, and random runs of next and
 *     prev inside the bounds.
 */
#include <errno.h>

#include "t.h"

#define KMAX 24		/* bytes in a key of this test, at most */

struct key {
	size_t n;
	uint8_t b[KMAX];
};

/* the model: the pool's keys, sorted */
static struct key *m;
static size_t mn;

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return t_key_cmp(x->b, x->n, y->b, y->n);
}

/* first index whose key is >= k (strict: > k) */
static size_t lower_idx(const struct key *k, bool strict)
{
	size_t lo = 0, hi = mn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&m[mid], k);

		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* a value names its key: "v:" and the key */
static size_t val_of(const struct key *k, uint8_t *v)
{
	v[0] = 'v';
	v[1] = ':';
	memcpy(v + 2, k->b, k->n);
	return k->n + 2;
}

static void put_key(struct pmkv *kv, const struct key *k)
{
	uint8_t v[KMAX + 2];

	T_ASSERT_OK(pmkv_put(kv, k->b, k->n, v, val_of(k, v)));
}

static void print_key(FILE *f, const void *p, size_t n)
{
	const uint8_t *b = p;

	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\')
			fputc(b[i], f);
		else
			fprintf(f, "\\x%02x", b[i]);
	fputc('"', f);
}

/* the bounds being checked, for messages */
static const struct key *cur_lo, *cur_up;

static void say_bounds(void)
{
	fprintf(stderr, "# bounds [");
	if (cur_lo)
		print_key(stderr, cur_lo->b, cur_lo->n);
	else
		fputs("NULL", stderr);
	fputs(", ", stderr);
	if (cur_up)
		print_key(stderr, cur_up->b, cur_up->n);
	else
		fputs("NULL", stderr);
	fputs(")\n", stderr);
}

/* rc is what the call returned; want is m[i], or -ENOENT when i == SIZE_MAX */
static void expect(struct pmkv_iter *it, int rc, size_t i, const char *what,
		   const struct key *arg)
{
	const void *p, *v;
	uint8_t want_v[KMAX + 2];
	size_t len, vlen, wvlen;

	if (i == SIZE_MAX) {
		if (rc == -ENOENT)
			return;
		say_bounds();
		fprintf(stderr, "# %s(", what);
		if (arg)
			print_key(stderr, arg->b, arg->n);
		fputs(")\n", stderr);
		if (rc == 0 && !pmkv_iter_key(it, &p, &len)) {
			fputs("# returned key ", stderr);
			print_key(stderr, p, len);
			fputc('\n', stderr);
		}
		T_FAIL("%s returned %d, expected -ENOENT", what, rc);
	}
	if (rc == 0) {
		T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
		if (!t_key_cmp(p, len, m[i].b, m[i].n)) {
			T_ASSERT_OK(pmkv_iter_value(it, &v, &vlen));
			wvlen = val_of(&m[i], want_v);
			T_ASSERT_EQ(vlen, wvlen);
			T_ASSERT_MEM_EQ(v, want_v, wvlen);
			return;
		}
	}
	say_bounds();
	fprintf(stderr, "# %s(", what);
	if (arg)
		print_key(stderr, arg->b, arg->n);
	fputs(") expected key ", stderr);
	print_key(stderr, m[i].b, m[i].n);
	if (rc == 0) {
		fputs(", got ", stderr);
		print_key(stderr, p, len);
	}
	fputc('\n', stderr);
	T_FAIL("%s returned %d (%s) or a wrong key", what, rc,
	       pmkv_strerror(rc));
}

/* set the bounds from copies that are spoilt at once: the iterator's own */
static int set_bounds(struct pmkv_iter *it, const struct key *lo,
		      const struct key *up)
{
	struct key l, u;
	int rc;

	if (lo)
		l = *lo;
	if (up)
		u = *up;
	rc = pmkv_iter_set_bounds(it, lo ? l.b : NULL, lo ? l.n : 0,
				  up ? u.b : NULL, up ? u.n : 0);
	memset(&l, 0xa5, sizeof(l));
	memset(&u, 0x5a, sizeof(u));
	__asm__ volatile("" : : "r"(&l), "r"(&u) : "memory");
	return rc;
}

/* random steps of next and prev from position i of [lo, hi) */
static void random_steps(struct pmkv_iter *it, size_t i, size_t lo, size_t hi,
			 unsigned steps)
{
	while (steps--) {
		bool fwd = t_rand() & 1;
		unsigned run = 1 + (unsigned)t_rand_below(40);

		while (run--) {
			if (fwd) {
				if (i + 1 >= hi) {
					expect(it, pmkv_iter_next(it),
					       SIZE_MAX, "next", NULL);
					return;
				}
				expect(it, pmkv_iter_next(it), ++i, "next",
				       NULL);
			} else {
				if (i <= lo) {
					expect(it, pmkv_iter_prev(it),
					       SIZE_MAX, "prev", NULL);
					return;
				}
				expect(it, pmkv_iter_prev(it), --i, "prev",
				       NULL);
			}
		}
	}
}

/*
 * check_bounds -- every walk and every seek to the probes, within
 * [lo, up), against the model; steps: random next/prev runs after seeks
 */
static void check_bounds(struct pmkv_iter *it, const struct key *lo,
			 const struct key *up, const struct key *probes,
			 size_t np, unsigned steps)
{
	size_t li, ui, i;
	const void *p;
	size_t len;
	int rc;

	cur_lo = lo;
	cur_up = up;
	rc = set_bounds(it, lo, up);
	if (lo && up && key_cmp(lo, up) >= 0) {
		if (rc != -EINVAL)
			say_bounds();
		T_ASSERT_EQ(rc, -EINVAL);
		return;
	}
	T_ASSERT_OK(rc);
	/* on no key, whatever it was on */
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);

	li = lo ? lower_idx(lo, false) : 0;
	ui = up ? lower_idx(up, false) : mn;
	if (ui < li)
		ui = li;

	/* forward and backward, the whole range */
	rc = pmkv_iter_seek(it, NULL, 0);
	for (i = li; i < ui; i++) {
		expect(it, rc, i, i == li ? "seek" : "next", NULL);
		rc = pmkv_iter_next(it);
	}
	expect(it, rc, SIZE_MAX, li == ui ? "seek" : "next", NULL);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);

	rc = pmkv_iter_seek_last(it);
	for (i = ui; i > li; i--) {
		expect(it, rc, i - 1, i == ui ? "seek_last" : "prev", NULL);
		rc = pmkv_iter_prev(it);
	}
	expect(it, rc, SIZE_MAX, li == ui ? "seek_last" : "prev", NULL);
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	expect(it, pmkv_iter_seek_for_prev(it, NULL, 0),
	       ui > li ? ui - 1 : SIZE_MAX, "seek_for_prev", NULL);

	for (size_t j = 0; j < np; j++) {
		const struct key *k = &probes[j];

		/* seek: the first key >= max(k, lower), below upper */
		i = lower_idx(k, false);
		if (i < li)
			i = li;
		rc = pmkv_iter_seek(it, k->b, k->n);
		expect(it, rc, i < ui ? i : SIZE_MAX, "seek", k);
		if (i < ui) {
			if (steps) {
				random_steps(it, i, li, ui, steps);
			} else {
				/* one step back: stops at lower */
				expect(it, pmkv_iter_prev(it),
				       i > li ? i - 1 : SIZE_MAX, "prev", k);
			}
		}

		/* seek_for_prev: the last key <= k, >= lower, below upper */
		i = lower_idx(k, true);
		if (i > ui)
			i = ui;
		rc = pmkv_iter_seek_for_prev(it, k->b, k->n);
		expect(it, rc, i > li ? i - 1 : SIZE_MAX, "seek_for_prev", k);
		if (i > li) {
			if (steps) {
				random_steps(it, i - 1, li, ui, steps);
			} else {
				/* one step on: stops at upper */
				expect(it, pmkv_iter_next(it),
				       i < ui ? i : SIZE_MAX, "next", k);
			}
		}
	}
	cur_lo = cur_up = NULL;
}

static struct key mk(const char *s, size_t n)
{
	struct key k = { .n = n };

	if (n > KMAX)
		t_error("key of %zu bytes", n);
	memcpy(k.b, s, n);
	return k;
}

#define K(lit) mk(lit, sizeof(lit) - 1)

/* keys where a zero-padded 8-byte prefix is not the key */
static void prefix_keys(struct pmkv *kv, struct pmkv_iter *it)
{
	const struct key keys[] = {
		K("a"), K("a\0"), K("a\0\0"), K("a\0\x01"), K("ab"),
		K("abcdefg"), K("abcdefg\0"), K("abcdefg\0\0"),
		K("abcdefgh"), K("abcdefgh\0"), K("abcdefgh\x01"),
		K("abcdefghi"), K("abcdefgi"), K("abcdefgi\0\0\0"),
		K("b"), K("\xff"), K("\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
	};
	const size_t nk = sizeof(keys) / sizeof(keys[0]);
	struct key probes[4 * sizeof(keys) / sizeof(keys[0]) + 4];
	size_t np = 0;

	/* inserted last key first, so the order is the index's doing */
	for (size_t i = nk; i-- > 0;)
		put_key(kv, &keys[i]);
	m = malloc(nk * sizeof(*m));
	if (!m)
		t_error("out of memory");
	memcpy(m, keys, sizeof(keys));
	mn = nk;
	qsort(m, mn, sizeof(*m), key_cmp);

	/* each key, just after it, just before it (shorter), and the ends */
	for (size_t i = 0; i < nk; i++) {
		probes[np++] = keys[i];
		if (keys[i].n < KMAX) {
			probes[np] = keys[i];
			probes[np].b[probes[np].n++] = 0;
			np++;
		}
		if (keys[i].n > 1) {
			probes[np] = keys[i];
			probes[np++].n--;
		}
	}
	probes[np++] = K("\0");
	probes[np++] = K("\x01");
	probes[np++] = K("aa");
	probes[np++] = K("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");

	/* every pair of probes (NULL included) as bounds */
	for (size_t a = 0; a <= np; a++)
		for (size_t b = 0; b <= np; b++)
			check_bounds(it, a < np ? &probes[a] : NULL,
				     b < np ? &probes[b] : NULL, probes, np, 0);
	t_info("prefix keys: %zu keys, %zu bound pairs", nk,
	       (np + 1) * (np + 1));
	free(m);
	m = NULL;
	mn = 0;
}

/* a random key over 0x00, 0x01, 'a', 0xff: shared prefixes, zero bytes */
static struct key rand_key(void)
{
	static const uint8_t alpha[] = { 0x00, 0x01, 'a', 0xff };
	struct key k;

	/* lengths 1..20, most of them 6..12, around the 8-byte prefix */
	k.n = t_rand() & 3 ? 6 + t_rand_below(7) : 1 + t_rand_below(20);
	for (size_t i = 0; i < k.n; i++)
		k.b[i] = alpha[t_rand() & 3];
	return k;
}

/* a probe: a key of the pool, a near miss of one, or a random key */
static struct key rand_probe(void)
{
	struct key k;

	switch (t_rand() % 3) {
	case 0:
		return m[t_rand_below(mn)];
	case 1:
		k = m[t_rand_below(mn)];
		if (k.n < KMAX && t_rand() & 1)
			k.b[k.n++] = (uint8_t)t_rand();
		else if (k.n > 1)
			k.n--;
		return k;
	default:
		return rand_key();
	}
}

#define NRANDOM 5000U
#define NPAIRS 60U
#define NPROBES 40U

static void many_keys(struct pmkv *kv, struct pmkv_iter *it)
{
	struct key probes[NPROBES], lo, up;
	size_t i, j;

	m = malloc(NRANDOM * sizeof(*m));
	if (!m)
		t_error("out of memory");
	for (i = 0; i < NRANDOM; i++) {
		m[i] = rand_key();
		put_key(kv, &m[i]);
	}
	qsort(m, NRANDOM, sizeof(*m), key_cmp);
	for (i = j = 0; i < NRANDOM; i++)
		if (!j || key_cmp(&m[j - 1], &m[i]))
			m[j++] = m[i];
	mn = j;
	t_info("many keys: %zu distinct keys", mn);

	/* no bounds: everything */
	for (i = 0; i < NPROBES; i++)
		probes[i] = rand_probe();
	check_bounds(it, NULL, NULL, probes, NPROBES, 4);

	for (unsigned r = 0; r < NPAIRS; r++) {
		for (i = 0; i < NPROBES; i++)
			probes[i] = rand_probe();
		lo = rand_probe();
		up = rand_probe();
		switch (r % 4) {
		case 0:	/* one bound */
			check_bounds(it, &lo, NULL, probes, NPROBES, 4);
			check_bounds(it, NULL, &up, probes, NPROBES, 4);
			break;
		case 1:	/* lower >= upper: refused */
			if (key_cmp(&lo, &up) < 0)
				check_bounds(it, &up, &lo, probes, NPROBES, 0);
			check_bounds(it, &lo, &lo, probes, NPROBES, 0);
			break;
		default:
			if (key_cmp(&lo, &up) > 0)
				check_bounds(it, &up, &lo, probes, NPROBES, 4);
			else
				check_bounds(it, &lo, &up, probes, NPROBES, 4);
		}
	}
	check_bounds(it, NULL, NULL, probes, NPROBES, 0);
	free(m);
	m = NULL;
	mn = 0;
}

static void bad_bounds(struct pmkv *kv, struct pmkv_iter *it)
{
	static uint8_t big[PMKV_KEY_MAX + 1];
	const void *p;
	size_t len;

	T_ASSERT_EQ(pmkv_iter_set_bounds(NULL, "a", 1, "b", 1), -EINVAL);

	/* bounds [ab, b) first: an -EINVAL must leave them in place */
	for (unsigned i = 0; i < 3; i++) {
		static const char *const abc[] = { "a", "ab", "b" };
		struct key k = mk(abc[i], strlen(abc[i]));

		put_key(kv, &k);
	}
	T_ASSERT_OK(pmkv_iter_set_bounds(it, "ab", 2, "b", 1));

	T_ASSERT_EQ(pmkv_iter_set_bounds(it, "a", 0, NULL, 0), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, NULL, 0, "a", 0), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, "a", 0, "b", 1), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, big, sizeof(big), NULL, 0),
		    -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, NULL, 0, big, sizeof(big)),
		    -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, "b", 1, "a", 1), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, "b", 1, "b", 1), -EINVAL);
	/* a prefix is smaller: "a" < "a\0" is a range, the reverse is not */
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, "a\0", 2, "a", 1), -EINVAL);
	T_ASSERT_EQ(pmkv_iter_set_bounds(it, "a\0", 2, "a\0", 2), -EINVAL);

	T_ASSERT_OK(pmkv_iter_seek(it, NULL, 0));
	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	T_ASSERT(len == 2 && !memcmp(p, "ab", 2));
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);
	T_ASSERT_OK(pmkv_iter_seek_last(it));
	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	T_ASSERT(len == 2 && !memcmp(p, "ab", 2));
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);

	/*
	 * The longest bounds are fine: "a" < "aaa...a" (4096 bytes) < "ab".
	 * "a" < "a\0" is a range of one key.
	 */
	memset(big, 'a', sizeof(big));
	T_ASSERT_OK(pmkv_iter_set_bounds(it, big, PMKV_KEY_MAX, NULL, 0));
	T_ASSERT_OK(pmkv_iter_seek(it, NULL, 0));
	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	T_ASSERT(len == 2 && !memcmp(p, "ab", 2));
	T_ASSERT_OK(pmkv_iter_set_bounds(it, NULL, 0, big, PMKV_KEY_MAX));
	T_ASSERT_OK(pmkv_iter_seek_last(it));
	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	T_ASSERT(len == 1 && !memcmp(p, "a", 1));
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_OK(pmkv_iter_set_bounds(it, "a", 1, "a\0", 2));
	T_ASSERT_OK(pmkv_iter_seek_last(it));
	T_ASSERT_OK(pmkv_iter_key(it, &p, &len));
	T_ASSERT(len == 1 && !memcmp(p, "a", 1));
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_OK(pmkv_iter_seek(it, NULL, 0));
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);

	/* a positioned iterator is on no key after set_bounds */
	T_ASSERT_OK(pmkv_iter_set_bounds(it, NULL, 0, NULL, 0));
	T_ASSERT_OK(pmkv_iter_seek(it, "ab", 2));
	T_ASSERT_OK(pmkv_iter_set_bounds(it, NULL, 0, NULL, 0));
	T_ASSERT_EQ(pmkv_iter_key(it, &p, &len), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_prev(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_next(it), -ENOENT);

	T_ASSERT_OK(pmkv_delete(kv, "a", 1));
	T_ASSERT_OK(pmkv_delete(kv, "ab", 2));
	T_ASSERT_OK(pmkv_delete(kv, "b", 1));
}

int main(void)
{
	struct pmkv_iter *it;
	char path[512];
	struct pmkv *kv;

	t_seed();
	t_pool_tmp(path, sizeof(path), "bounds");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_iter_new(kv, &it));

	/* bounds on an empty pool */
	T_ASSERT_OK(pmkv_iter_set_bounds(it, "a", 1, "b", 1));
	T_ASSERT_EQ(pmkv_iter_seek(it, NULL, 0), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek_last(it), -ENOENT);
	T_ASSERT_EQ(pmkv_iter_seek_for_prev(it, "z", 1), -ENOENT);

	bad_bounds(kv, it);
	prefix_keys(kv, it);
	pmkv_iter_free(&it);
	T_ASSERT_OK(pmkv_close(&kv));

	/* a fresh pool for the random keys */
	t_pool_tmp(path, sizeof(path), "bounds-many");
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	many_keys(kv, it);
	pmkv_iter_free(&it);
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
