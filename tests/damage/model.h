/* SPDX-License-Identifier: BSD-3-Clause */
/* model.h -- what a pool must answer: every key's value, or its absence */
#ifndef PMKV_DAMAGE_MODEL_H
#define PMKV_DAMAGE_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum model_state {
	MODEL_ABSENT,		/* never written: get must say -ENOENT */
	MODEL_LIVE,
	MODEL_DELETED,		/* written, then deleted: -ENOENT too */
};

struct model_ent {
	uint8_t state;		/* enum model_state */
	uint32_t vlen;
	uint8_t *val;		/* NULL unless live with vlen > 0 */
};

/*
 * Keys are "k%07u" of their index, so index order is memcmp() order and a
 * scan can be checked against the model without a search.
 */
struct model {
	unsigned nkeys;
	struct model_ent *ent;
	uint32_t vlen_max;	/* the largest value ever set */
};

#define MODEL_KEY_MAX 16

/*
 * Probes are keys a read-write check puts after reading ("p%07u"): they
 * sort after every model key and show what a writer does to a damaged
 * pool. Their values are fixed by their index.
 */
#define MODEL_PROBES 8U
#define MODEL_PROBE_VLEN 40U

int model_new(struct model *m, unsigned nkeys);
void model_free(struct model *m);

/* copies val; returns 0 or -ENOMEM */
int model_set(struct model *m, unsigned i, const void *val, uint32_t vlen);
void model_delete(struct model *m, unsigned i);

/* the key of index i in buf[MODEL_KEY_MAX]; returns its length */
size_t model_key(unsigned i, char *buf);

/* the index of a model key, or -1 for anything else */
long model_index(const struct model *m, const void *key, size_t klen);

size_t model_probe_key(unsigned i, char *buf);
void model_probe_value(unsigned i, uint8_t *buf);

/* the index of a probe key, or -1 */
long model_probe_index(const void *key, size_t klen);

unsigned model_count(const struct model *m, enum model_state s);

#endif /* PMKV_DAMAGE_MODEL_H */
