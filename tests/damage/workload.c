// SPDX-License-Identifier: BSD-3-Clause
/* workload.c -- build the pool every trial damages a copy of */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmkv.h>

#include "rng.h"
#include "workload.h"

/* values past PMKV_VALUE_ALIGN_MIN (64 KiB) start 4096-aligned in format 2 */
#define VLEN_LARGE 65536U

struct wl {
	struct pmkv *kv;
	struct model *m;
	struct rng r;
	uint8_t *buf;
	unsigned keys;
};

static int fail(const char *what, unsigned i, int rc)
{
	fprintf(stderr, "# workload: %s of key %u: %s: %s\n", what, i,
		pmkv_strerror(rc), pmkv_errormsg());
	return rc;
}

/* mostly small values, some empty, some of a few KiB, a few large */
static uint32_t vlen_pick(struct rng *r)
{
	uint64_t p = rng_below(r, 1000);

	if (p < 50)
		return 0;
	if (p < 800)
		return 16 + (uint32_t)rng_below(r, 500);
	if (p < 992)
		return 512 + (uint32_t)rng_below(r, 3500);
	return VLEN_LARGE + (uint32_t)rng_below(r, 8192);
}

static uint32_t value_fill(struct wl *w)
{
	uint32_t vlen = vlen_pick(&w->r), j;
	uint64_t x = 0;

	for (j = 0; j < vlen; j++) {
		if (j % 8 == 0)
			x = rng_next(&w->r);
		w->buf[j] = (uint8_t)(x >> (8 * (j % 8)));
	}
	return vlen;
}

/* the key's index if it is one the workload writes */
static unsigned writable(struct wl *w)
{
	unsigned i;

	do
		i = (unsigned)rng_below(&w->r, w->m->nkeys);
	while (i % 17 == 16);
	return i;
}

static int put(struct wl *w, unsigned i)
{
	char k[MODEL_KEY_MAX];
	size_t klen = model_key(i, k);
	uint32_t vlen = value_fill(w);
	int rc = pmkv_put(w->kv, k, klen, w->buf, vlen);

	if (rc)
		return fail("put", i, rc);
	return model_set(w->m, i, w->buf, vlen);
}

static int del(struct wl *w, unsigned i)
{
	char k[MODEL_KEY_MAX];
	int rc = pmkv_delete(w->kv, k, model_key(i, k));

	if (rc == -ENOENT && w->m->ent[i].state != MODEL_LIVE)
		return 0;
	if (rc)
		return fail("delete", i, rc);
	model_delete(w->m, i);
	return 0;
}

/*
 * A batch's operations are applied to the model only after its commit
 * returned 0, in order, so a later operation on a key replaces an earlier
 * one as the batch promises.
 */
static int batch(struct wl *w, unsigned nops)
{
	struct { unsigned i; uint32_t vlen; uint8_t *val; } ops[32];
	struct pmkv_batch *b;
	char k[MODEL_KEY_MAX];
	unsigned n;
	int rc;

	rc = pmkv_batch_new(w->kv, &b);
	if (rc)
		return fail("batch_new", 0, rc);
	for (n = 0; n < nops && !rc; n++) {
		/* a repeat of the previous key now and then */
		ops[n].i = n && rng_below(&w->r, 8) == 0 ? ops[n - 1].i :
							  writable(w);
		ops[n].val = NULL;
		if (rng_below(&w->r, 10) < 3) {
			ops[n].vlen = UINT32_MAX;
			rc = pmkv_batch_delete(b, k, model_key(ops[n].i, k));
			continue;
		}
		ops[n].vlen = value_fill(w);
		ops[n].val = malloc(ops[n].vlen + 1);
		if (!ops[n].val) {
			rc = -ENOMEM;
			break;
		}
		memcpy(ops[n].val, w->buf, ops[n].vlen);
		rc = pmkv_batch_put(b, k, model_key(ops[n].i, k), ops[n].val,
				    ops[n].vlen);
	}
	rc = rc ?: pmkv_batch_commit(b);
	if (rc)
		fail("batch", ops[n ? n - 1 : 0].i, rc);
	for (unsigned j = 0; j < n; j++) {
		if (!rc && ops[j].vlen == UINT32_MAX &&
		    w->m->ent[ops[j].i].state == MODEL_LIVE)
			model_delete(w->m, ops[j].i);
		else if (!rc && ops[j].vlen != UINT32_MAX)
			rc = model_set(w->m, ops[j].i, ops[j].val,
				       ops[j].vlen);
		free(ops[j].val);
	}
	pmkv_batch_free(&b);
	return rc;
}

static int phases(struct wl *w)
{
	unsigned i, n = w->m->nkeys;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		if (i % 17 != 16)
			rc = put(w, i);
	/* overwrites: older versions stay behind in the log */
	for (i = 0; i < n / 2 && !rc; i++)
		rc = put(w, writable(w));
	for (i = 0; i < n / 7 && !rc; i++)
		rc = del(w, writable(w));
	for (i = 0; i < n / 50 + 1 && !rc; i++)
		rc = batch(w, 1 + (unsigned)rng_below(&w->r, 30));
	/* deletes undone: a tombstone between two puts of a key */
	for (i = 0; i < n && !rc; i++)
		if (w->m->ent[i].state == MODEL_DELETED &&
		    rng_below(&w->r, 4) == 0)
			rc = put(w, i);
	for (i = 0; i < n / 10 && !rc; i++)
		rc = put(w, writable(w));
	return rc;
}

static int info(struct pmkv *kv, struct workload_info *wi)
{
	struct pmkv_stats st;
	struct pmkv_info in;
	int rc;

	rc = pmkv_get_stats(kv, &st, sizeof(st));
	rc = rc ?: pmkv_get_info(kv, &in, sizeof(in));
	if (rc)
		return fail("get_stats", 0, rc);
	wi->segments = st.segments;
	wi->gc_runs = st.gc_runs;
	wi->segment_size = in.segment_size;
	wi->format_major = in.format_major;
	return 0;
}

int workload_build(const char *path, uint64_t pool_size, unsigned keys,
		   uint64_t seed, struct model *m, struct workload_info *wi)
{
	struct wl w = { .m = m, .r = rng_for(seed, UINT64_MAX) };
	struct pmkv_config *cfg = NULL;
	int rc, rc2;

	/* room for the never-written keys between the written ones */
	rc = model_new(m, keys + keys / 16);
	if (rc)
		return rc;
	w.buf = malloc(VLEN_LARGE + 8192);
	if (!w.buf)
		return -ENOMEM;
	rc = pmkv_config_new(&cfg);
	rc = rc ?: pmkv_config_set_size(cfg, pool_size);
	rc = rc ?: pmkv_config_set_flags(cfg, PMKV_F_CREATE | PMKV_F_EXCL);
	rc = rc ?: pmkv_open(path, cfg, &w.kv);
	if (rc) {
		fail("create", 0, rc);
		goto out;
	}
	rc = phases(&w);
	rc = rc ?: info(w.kv, wi);
	rc2 = pmkv_close(&w.kv);
	rc = rc ?: rc2;
out:
	pmkv_config_free(&cfg);
	free(w.buf);
	return rc;
}
