// SPDX-License-Identifier: BSD-3-Clause
/* threads-stress.c -- concurrent writers, readers and scans on one handle */
/*
 * Proves, with 4 writer threads, 2 reader threads and 1 scanning thread
 * sharing one handle for a bounded number of operations:
 *   - every value a reader gets was written for that key (it names the
 *     key, its writer and a sequence number the writer had issued, and
 *     its filler bytes match);
 *   - per key and writer, the sequence a reader sees never goes backwards
 *     (puts are linearizable per key);
 *   - scans and iterators running during the writes return keys in
 *     strictly increasing order, each with a value written for it;
 *   - the final state equals the model: each writer-private key holds its
 *     writer's last put or is absent after its last delete; each shared
 *     key holds the last put of some writer, or is absent because some
 *     writer's last operation on it was a delete -- also after reopen.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "t.h"

#define NWRITERS 4U
#define NREADERS 2U
#define NPRIV 64U		/* keys of each writer alone */
#define NSHARED 32U		/* keys all writers write */
#define NK (NWRITERS * NPRIV + NSHARED)
#define OPS 20000U		/* per writer */
#define VMAX 320U

struct vhdr {
	uint64_t seq;
	uint32_t key;
	uint32_t writer;
};

static struct pmkv *kv;
static atomic_uint_fast64_t issued[NWRITERS];	/* highest seq started */
static atomic_int writers_done;
static atomic_uint_fast64_t values_checked, scans_done;

/* written by writer w only, read after join */
static uint64_t last_seq[NWRITERS][NK];
static bool last_put[NWRITERS][NK];

static size_t key_of(unsigned id, char *k)
{
	if (id < NWRITERS * NPRIV)
		return (size_t)sprintf(k, "w%u/key-%03u", id / NPRIV,
				       id % NPRIV);
	return (size_t)sprintf(k, "shared/key-%03u", id - NWRITERS * NPRIV);
}

static size_t val_of(unsigned id, unsigned w, uint64_t seq, uint8_t *v)
{
	struct vhdr h = { .seq = seq, .key = id, .writer = w };
	size_t klen, len, j;
	char k[32];

	klen = key_of(id, k);
	len = sizeof(h) + klen + (size_t)((seq * 31 + w) % (VMAX -
					   sizeof(h) - 32));
	memcpy(v, &h, sizeof(h));
	memcpy(v + sizeof(h), k, klen);
	for (j = sizeof(h) + klen; j < len; j++)
		v[j] = (uint8_t)(seq + j * 7 + w);
	return len;
}

/* check that v is a value written for the key k; returns its header */
static struct vhdr check_val(const void *k, size_t klen, const void *v,
			     size_t vlen)
{
	uint8_t want[VMAX];
	struct vhdr h;
	size_t wlen;

	if (vlen < sizeof(h))
		T_FAIL("value of %zu bytes for \"%.*s\"", vlen, (int)klen,
		       (const char *)k);
	memcpy(&h, v, sizeof(h));
	if (h.key >= NK || h.writer >= NWRITERS)
		T_FAIL("value for \"%.*s\" names key %u writer %u", (int)klen,
		       (const char *)k, h.key, h.writer);
	if (h.seq == 0 || h.seq > atomic_load(&issued[h.writer]))
		T_FAIL("value for \"%.*s\" has seq %llu, writer %u issued %llu",
		       (int)klen, (const char *)k, (unsigned long long)h.seq,
		       h.writer,
		       (unsigned long long)atomic_load(&issued[h.writer]));
	wlen = val_of(h.key, h.writer, h.seq, want);
	if (wlen != vlen || memcmp(want, v, vlen))
		T_FAIL("value for \"%.*s\" (key %u writer %u seq %llu) is not "
		       "what was written", (int)klen, (const char *)k, h.key,
		       h.writer, (unsigned long long)h.seq);
	if (wlen < sizeof(h) + klen ||
	    memcmp((const uint8_t *)v + sizeof(h), k, klen))
		T_FAIL("value for \"%.*s\" was written for another key",
		       (int)klen, (const char *)k);
	return h;
}

static void *writer(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg, id, i;
	struct t_rng r = { .s = t_seed() * 31 + w };
	uint8_t v[VMAX];
	size_t klen, vlen;
	uint64_t seq;
	char k[32];
	int ret;

	for (i = 0; i < OPS; i++) {
		uint64_t x = t_rng_next(&r);

		if (x % 4)
			id = w * NPRIV + (unsigned)((x >> 8) % NPRIV);
		else
			id = NWRITERS * NPRIV +
			     (unsigned)((x >> 8) % NSHARED);
		klen = key_of(id, k);
		seq = i + 1;
		atomic_store(&issued[w], seq);
		if ((x >> 32) % 10 == 0) {
			ret = pmkv_delete(kv, k, klen);
			if (ret != -ENOENT)
				T_ASSERT_OK(ret);
			last_put[w][id] = false;
		} else {
			vlen = val_of(id, w, seq, v);
			T_ASSERT_OK(pmkv_put(kv, k, klen, v, vlen));
			last_put[w][id] = true;
		}
		last_seq[w][id] = seq;
	}
	return NULL;
}

static void *reader(void *arg)
{
	static __thread uint64_t seen[NK][NWRITERS];
	struct t_rng r = { .s = t_seed() * 77 + (uintptr_t)arg };
	uint8_t v[VMAX];
	unsigned id, rounds = 0;
	size_t klen, vlen;
	struct vhdr h;
	char k[32];
	int ret;

	while (!atomic_load(&writers_done) || rounds < 1000) {
		id = (unsigned)(t_rng_next(&r) % NK);
		klen = key_of(id, k);
		ret = pmkv_get(kv, k, klen, v, sizeof(v), &vlen);
		rounds++;
		if (ret == -ENOENT)
			continue;
		T_ASSERT_OK(ret);
		h = check_val(k, klen, v, vlen);
		T_ASSERT_EQ(h.key, id);
		atomic_fetch_add(&values_checked, 1);
		if (h.seq < seen[id][h.writer])
			T_FAIL("reader saw key %s of writer %u go back from "
			       "seq %llu to %llu", k, h.writer,
			       (unsigned long long)seen[id][h.writer],
			       (unsigned long long)h.seq);
		seen[id][h.writer] = h.seq;
	}
	return NULL;
}

struct scan_state {
	uint8_t last[32];
	size_t lastlen;
	unsigned n;
};

static int kcmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static void ordered(struct scan_state *s, const void *k, size_t klen)
{
	if (s->n && kcmp(s->last, s->lastlen, k, klen) >= 0)
		T_FAIL("scan: \"%.*s\" after \"%.*s\"", (int)klen,
		       (const char *)k, (int)s->lastlen,
		       (const char *)s->last);
	T_ASSERT(klen <= sizeof(s->last));
	memcpy(s->last, k, klen);
	s->lastlen = klen;
	s->n++;
}

static int scan_cb(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	ordered(arg, key, klen);
	check_val(key, klen, val, vlen);
	return 0;
}

static void *scanner(void *arg)
{
	struct pmkv_iter *it = NULL;
	struct scan_state s;
	unsigned rounds = 0;
	const void *k, *v;
	size_t klen, vlen;
	int ret;

	(void)arg;
	T_ASSERT_OK(pmkv_iter_new(kv, &it));
	while (!atomic_load(&writers_done) || rounds < 4) {
		memset(&s, 0, sizeof(s));
		T_ASSERT_OK(pmkv_scan(kv, NULL, 0, NULL, 0, scan_cb, &s));
		T_ASSERT(s.n <= NK);

		memset(&s, 0, sizeof(s));
		for (ret = pmkv_iter_seek(it, NULL, 0); ret == 0;
		     ret = pmkv_iter_next(it)) {
			T_ASSERT_OK(pmkv_iter_key(it, &k, &klen));
			T_ASSERT_OK(pmkv_iter_value(it, &v, &vlen));
			ordered(&s, k, klen);
			check_val(k, klen, v, vlen);
		}
		T_ASSERT_EQ(ret, -ENOENT);
		rounds++;
		atomic_fetch_add(&scans_done, 2);
	}
	pmkv_iter_free(&it);
	return NULL;
}

static void check_final(void)
{
	uint8_t v[VMAX], want[VMAX];
	unsigned id, w, owner;
	size_t klen, vlen, wlen;
	struct vhdr h;
	bool any_del, touched;
	char k[32];
	int ret;

	for (id = 0; id < NK; id++) {
		klen = key_of(id, k);
		ret = pmkv_get(kv, k, klen, v, sizeof(v), &vlen);
		if (id < NWRITERS * NPRIV) {
			owner = id / NPRIV;
			if (!last_seq[owner][id] || !last_put[owner][id]) {
				T_ASSERT_EQ(ret, -ENOENT);
				continue;
			}
			T_ASSERT_OK(ret);
			wlen = val_of(id, owner, last_seq[owner][id], want);
			if (vlen != wlen || memcmp(v, want, wlen))
				T_FAIL("key %s: not writer %u's last put", k,
				       owner);
			continue;
		}
		any_del = touched = false;
		for (w = 0; w < NWRITERS; w++) {
			touched |= last_seq[w][id] != 0;
			any_del |= last_seq[w][id] && !last_put[w][id];
		}
		if (ret == -ENOENT) {
			if (touched && !any_del)
				T_FAIL("shared key %s absent, but no writer's "
				       "last operation on it was a delete", k);
			continue;
		}
		T_ASSERT_OK(ret);
		h = check_val(k, klen, v, vlen);
		if (!last_put[h.writer][id] ||
		    last_seq[h.writer][id] != h.seq)
			T_FAIL("shared key %s holds writer %u seq %llu, not "
			       "that writer's last put", k, h.writer,
			       (unsigned long long)h.seq);
	}
}

int main(void)
{
	pthread_t wt[NWRITERS], rt[NREADERS], st;
	char path[512];
	unsigned i;

	t_seed();
	t_pool_tmp(path, sizeof(path), "threads");
	kv = t_pool_create(path, 64ULL << 20);

	for (i = 0; i < NWRITERS; i++)
		if (pthread_create(&wt[i], NULL, writer, (void *)(uintptr_t)i))
			t_error("pthread_create failed");
	for (i = 0; i < NREADERS; i++)
		if (pthread_create(&rt[i], NULL, reader, (void *)(uintptr_t)i))
			t_error("pthread_create failed");
	if (pthread_create(&st, NULL, scanner, NULL))
		t_error("pthread_create failed");

	for (i = 0; i < NWRITERS; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&writers_done, 1);
	for (i = 0; i < NREADERS; i++)
		pthread_join(rt[i], NULL);
	pthread_join(st, NULL);
	t_info("%u writes, %llu values checked by readers, %llu scans",
	       NWRITERS * OPS, (unsigned long long)atomic_load(&values_checked),
	       (unsigned long long)atomic_load(&scans_done));
	/* the readers' checks ran on real values, not only on -ENOENT */
	T_ASSERT(atomic_load(&values_checked) > 0);
	T_ASSERT(atomic_load(&scans_done) >= 8);

	check_final();
	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(path, 0);
	check_final();
	T_ASSERT_OK(pmkv_close(&kv));
	return T_EXIT_PASS;
}
