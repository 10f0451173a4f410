// SPDX-License-Identifier: BSD-3-Clause
/* model.c -- what a pool must answer: every key's value, or its absence */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int model_new(struct model *m, unsigned nkeys)
{
	memset(m, 0, sizeof(*m));
	m->ent = calloc(nkeys, sizeof(*m->ent));
	if (!m->ent)
		return -ENOMEM;
	m->nkeys = nkeys;
	return 0;
}

void model_free(struct model *m)
{
	unsigned i;

	for (i = 0; i < m->nkeys; i++)
		free(m->ent[i].val);
	free(m->ent);
	memset(m, 0, sizeof(*m));
}

int model_set(struct model *m, unsigned i, const void *val, uint32_t vlen)
{
	struct model_ent *e = &m->ent[i];
	uint8_t *copy = NULL;

	if (vlen) {
		copy = malloc(vlen);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, val, vlen);
	}
	free(e->val);
	e->val = copy;
	e->vlen = vlen;
	e->state = MODEL_LIVE;
	if (vlen > m->vlen_max)
		m->vlen_max = vlen;
	return 0;
}

void model_delete(struct model *m, unsigned i)
{
	struct model_ent *e = &m->ent[i];

	free(e->val);
	e->val = NULL;
	e->vlen = 0;
	e->state = MODEL_DELETED;
}

size_t model_key(unsigned i, char *buf)
{
	return (size_t)snprintf(buf, MODEL_KEY_MAX, "k%07u", i);
}

static long index_of(char prefix, const void *key, size_t klen)
{
	const char *k = key;
	long i = 0;
	size_t j;

	if (klen != 8 || k[0] != prefix)
		return -1;
	for (j = 1; j < klen; j++) {
		if (k[j] < '0' || k[j] > '9')
			return -1;
		i = i * 10 + (k[j] - '0');
	}
	return i;
}

long model_index(const struct model *m, const void *key, size_t klen)
{
	long i = index_of('k', key, klen);

	return i < (long)m->nkeys ? i : -1;
}

size_t model_probe_key(unsigned i, char *buf)
{
	return (size_t)snprintf(buf, MODEL_KEY_MAX, "p%07u", i);
}

void model_probe_value(unsigned i, uint8_t *buf)
{
	unsigned j;

	for (j = 0; j < MODEL_PROBE_VLEN; j++)
		buf[j] = (uint8_t)(0xa5 ^ (i * 31 + j));
}

long model_probe_index(const void *key, size_t klen)
{
	long i = index_of('p', key, klen);

	return i < (long)MODEL_PROBES ? i : -1;
}

unsigned model_count(const struct model *m, enum model_state s)
{
	unsigned i, n = 0;

	for (i = 0; i < m->nkeys; i++)
		n += m->ent[i].state == s;
	return n;
}
