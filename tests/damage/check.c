// SPDX-License-Identifier: BSD-3-Clause
/* check.c -- open a pool and judge every answer against the model */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmkv.h>

#include "check.h"

static const char *const verdict_names[V_NR] = {
	[V_CORRECT] = "correct",
	[V_CLEAN] = "clean-error",
	[V_HANG] = "hang",
	[V_CRASH] = "crash",
	[V_WRONG] = "wrong-data",
};

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < V_NR ? verdict_names[v] : "?";
}

struct ck {
	const struct model *m;
	const struct check_opts *o;
	struct check_report *r;
	struct pmkv *kv;
	uint8_t *buf;
	size_t bufsz;
	bool detail_wrong;	/* detail holds a wrong answer, not an error */
	/* a walk: scan or iterator */
	const char *walk;
	char prev[PMKV_KEY_MAX];
	size_t prev_len;
	unsigned live_seen;
	bool stop;
};

static void wrong(struct ck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wrong(struct ck *c, const char *fmt, ...)
{
	va_list ap;

	c->r->wrong++;
	if (c->detail_wrong)
		return;
	va_start(ap, fmt);
	vsnprintf(c->r->detail, sizeof(c->r->detail), fmt, ap);
	va_end(ap);
	c->detail_wrong = true;
}

static void corrupt(struct ck *c, const char *what, const char *key)
{
	c->r->corrupt++;
	if (!c->r->detail[0])
		snprintf(c->r->detail, sizeof(c->r->detail),
			 "%s %s: PMKV_E_CORRUPT: %s", what, key,
			 pmkv_errormsg());
}

/* a key as text: model keys are printable, others are cut and escaped */
static const char *show(const void *key, size_t klen, char *out)
{
	const unsigned char *k = key;
	size_t i, o = 0;

	for (i = 0; i < klen && i < 12; i++)
		o += (size_t)sprintf(out + o, k[i] >= 0x20 && k[i] < 0x7f ?
					      "%c" : "\\x%02x", k[i]);
	if (klen > 12)
		sprintf(out + o, "...(%zu)", klen);
	return out;
}

/* an answer carrying a value: the model's state and bytes must match */
static void judge_value(struct ck *c, const char *what, const char *key,
			const struct model_ent *e, const void *val,
			size_t vlen)
{
	if (e->state != MODEL_LIVE)
		wrong(c, "%s %s: a value of %zu bytes for a key the model "
		      "has %s", what, key, vlen,
		      e->state == MODEL_DELETED ? "deleted" : "never written");
	else if (vlen != e->vlen)
		wrong(c, "%s %s: %zu bytes, the model has %u", what, key,
		      vlen, e->vlen);
	else if (vlen && memcmp(val, e->val, vlen))
		wrong(c, "%s %s: value differs from the model (%zu bytes)",
		      what, key, vlen);
}

static void get_one(struct ck *c, unsigned i)
{
	const struct model_ent *e = &c->m->ent[i];
	char k[MODEL_KEY_MAX];
	size_t klen = model_key(i, k), vlen = 0;
	int rc;

	c->r->answers += 2;
	rc = pmkv_get(c->kv, k, klen, c->buf, c->bufsz, &vlen);
	if (rc == 0)
		judge_value(c, "get", k, e, c->buf, vlen);
	else if (rc == -ENOENT && e->state == MODEL_LIVE)
		wrong(c, "get %s: -ENOENT, the model holds %u bytes", k,
		      e->vlen);
	else if (rc == PMKV_E_CORRUPT)
		corrupt(c, "get", k);
	else if (rc != -ENOENT)
		wrong(c, "get %s: %d (%s)", k, rc, pmkv_strerror(rc));

	rc = pmkv_exists(c->kv, k, klen);
	if (rc == PMKV_E_CORRUPT)
		corrupt(c, "exists", k);
	else if ((rc == 0) != (e->state == MODEL_LIVE) ||
		 (rc && rc != -ENOENT))
		wrong(c, "exists %s: %d (%s), the model has it %s", k, rc,
		      pmkv_strerror(rc),
		      e->state == MODEL_LIVE ? "live" : "absent");
}

/* a probe by get: acked ones must be there; in a reopen, any may be */
static void get_probe(struct ck *c, unsigned p, bool must)
{
	uint8_t want[MODEL_PROBE_VLEN];
	char k[MODEL_KEY_MAX];
	size_t klen = model_probe_key(p, k), vlen = 0;
	int rc;

	c->r->answers++;
	model_probe_value(p, want);
	rc = pmkv_get(c->kv, k, klen, c->buf, c->bufsz, &vlen);
	if (rc == PMKV_E_CORRUPT)
		corrupt(c, "get", k);
	else if (rc == 0 && (vlen != MODEL_PROBE_VLEN ||
			     memcmp(c->buf, want, vlen)))
		wrong(c, "get %s: the probe's value differs", k);
	else if (rc == -ENOENT && must)
		wrong(c, "get %s: -ENOENT after its put returned 0", k);
	else if (rc && rc != -ENOENT)
		wrong(c, "get %s: %d (%s)", k, rc, pmkv_strerror(rc));
}

/* one key of a scan or an iterator */
static void visit(struct ck *c, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	uint8_t want[MODEL_PROBE_VLEN];
	char sk[64], sp[64];
	long i, p;
	int cmp;

	c->r->answers++;
	show(key, klen, sk);
	if (klen < 1 || klen > PMKV_KEY_MAX) {
		wrong(c, "%s: a key of %zu bytes", c->walk, klen);
		c->stop = true;
		return;
	}
	if (c->prev_len) {
		cmp = memcmp(c->prev, key, klen < c->prev_len ? klen :
								 c->prev_len);
		if (cmp > 0 || (cmp == 0 && c->prev_len >= klen)) {
			wrong(c, "%s: %s after %s: twice or out of order",
			      c->walk, sk, show(c->prev, c->prev_len, sp));
			c->stop = true;
			return;
		}
	}
	memcpy(c->prev, key, klen);
	c->prev_len = klen;
	i = model_index(c->m, key, klen);
	if (i >= 0) {
		judge_value(c, c->walk, sk, &c->m->ent[i], val, vlen);
		c->live_seen += c->m->ent[i].state == MODEL_LIVE;
		return;
	}
	p = model_probe_index(key, klen);
	if (p < 0 || !(c->o->probes_maybe ||
		       (c->r->probes_acked & (1U << p)))) {
		wrong(c, "%s: %s, a key that was never written", c->walk, sk);
		return;
	}
	model_probe_value((unsigned)p, want);
	if (vlen != MODEL_PROBE_VLEN || memcmp(val, want, vlen))
		wrong(c, "%s: %s: the probe's value differs", c->walk, sk);
}

static void walk_start(struct ck *c, const char *walk)
{
	c->walk = walk;
	c->prev_len = 0;
	c->live_seen = 0;
	c->stop = false;
}

static void walk_end(struct ck *c, int rc, int done_rc)
{
	unsigned live = model_count(c->m, MODEL_LIVE);

	if (rc == PMKV_E_CORRUPT)
		corrupt(c, c->walk, "");
	else if (rc != done_rc && !c->stop)
		wrong(c, "%s: %d (%s)", c->walk, rc, pmkv_strerror(rc));
	else if (!c->stop && c->live_seen != live)
		wrong(c, "%s: ended with %u of the model's %u live keys, "
		      "no error", c->walk, c->live_seen, live);
}

static int scan_cb(const void *key, size_t klen, const void *val,
		   size_t vlen, void *arg)
{
	struct ck *c = arg;

	visit(c, key, klen, val, vlen);
	return c->stop;
}

static void scan_all(struct ck *c)
{
	walk_start(c, "scan");
	walk_end(c, pmkv_scan(c->kv, NULL, 0, NULL, 0, scan_cb, c), 0);
}

static void iter_all(struct ck *c)
{
	struct pmkv_iter *it;
	const void *k, *v;
	size_t klen, vlen;
	int rc;

	walk_start(c, "iterator");
	rc = pmkv_iter_new(c->kv, &it);
	if (rc) {
		wrong(c, "iter_new: %d (%s)", rc, pmkv_strerror(rc));
		return;
	}
	for (rc = pmkv_iter_seek(it, NULL, 0); !rc && !c->stop;
	     rc = pmkv_iter_next(it)) {
		rc = pmkv_iter_key(it, &k, &klen);
		rc = rc ?: pmkv_iter_value(it, &v, &vlen);
		if (rc)
			break;
		visit(c, k, klen, v, vlen);
	}
	walk_end(c, rc, -ENOENT);
	pmkv_iter_free(&it);
}

static void probes_put(struct ck *c)
{
	uint8_t val[MODEL_PROBE_VLEN];
	char k[MODEL_KEY_MAX];
	unsigned p;
	int rc;

	for (p = 0; p < MODEL_PROBES; p++) {
		model_probe_value(p, val);
		rc = pmkv_put(c->kv, k, model_probe_key(p, k), val,
			      sizeof(val));
		if (rc == 0)
			c->r->probes_acked |= 1U << p;
		else if (rc > 0)
			wrong(c, "put %s: %d, a positive return", k, rc);
	}
	for (p = 0; p < MODEL_PROBES; p++)
		if (c->r->probes_acked & (1U << p))
			get_probe(c, p, true);
}

static int open_pool(const char *path, unsigned flags, struct pmkv **kv)
{
	struct pmkv_config *cfg;
	int rc;

	rc = pmkv_config_new(&cfg);
	if (rc)
		return rc;
	rc = pmkv_config_set_flags(cfg, flags);
	/* salvage implies read-only; a library may want it said */
	if (rc == -EINVAL && !(flags & PMKV_F_RDONLY))
		rc = pmkv_config_set_flags(cfg, flags | PMKV_F_RDONLY);
	rc = rc ?: pmkv_open(path, cfg, kv);
	pmkv_config_free(&cfg);
	return rc;
}

static bool clean_refusal(int rc)
{
	return rc == PMKV_E_CORRUPT || rc == PMKV_E_FOREIGN ||
	       rc == PMKV_E_VERSION;
}

void check_run(const char *path, const struct model *m,
	       const struct check_opts *o, struct check_report *r)
{
	struct ck c = { .m = m, .o = o, .r = r };
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->open_rc = open_pool(path, o->flags, &c.kv);
	if (r->open_rc) {
		snprintf(r->detail, sizeof(r->detail), "open: %d (%s): %s",
			 r->open_rc, pmkv_strerror(r->open_rc),
			 pmkv_errormsg());
		r->verdict = clean_refusal(r->open_rc) ? V_CLEAN : V_WRONG;
		return;
	}
	c.bufsz = (size_t)m->vlen_max + 1;
	c.buf = malloc(c.bufsz);
	if (!c.buf) {
		wrong(&c, "out of memory for a %zu-byte buffer", c.bufsz);
		goto out;
	}
	for (i = 0; i < m->nkeys; i++)
		get_one(&c, i);
	for (i = 0; o->probes_maybe && i < MODEL_PROBES; i++)
		get_probe(&c, i, false);
	scan_all(&c);
	iter_all(&c);
	if (o->probes)
		probes_put(&c);
out:
	free(c.buf);
	pmkv_close(&c.kv);
	r->verdict = r->wrong ? V_WRONG : r->corrupt ? V_CLEAN : V_CORRECT;
}
