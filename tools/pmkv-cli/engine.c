// SPDX-License-Identifier: BSD-3-Clause
/* engine.c -- the table of engines this pmkv-cli is built with */
#include <string.h>

#include "engine.h"

/* each defined by its adapter, engine-<name>.c, if meson builds it */
extern const struct bench_engine engine_pmkv, engine_lmdb, engine_rocksdb;

/*
 * meson names the adapters it built (the lmdb and rocksdb options), so
 * the table has no #ifdef: "&engine_pmkv, &engine_lmdb"
 */
#ifndef BENCH_ENGINE_LIST
#define BENCH_ENGINE_LIST &engine_pmkv
#endif

static const struct bench_engine *const engines[] = { BENCH_ENGINE_LIST };

#define NENGINES (sizeof(engines) / sizeof(engines[0]))

const struct bench_engine *engine_lookup(const char *name)
{
	for (size_t i = 0; i < NENGINES; i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

const char *engine_names(void)
{
	static char buf[64];

	if (!buf[0])
		for (size_t i = 0; i < NENGINES; i++) {
			if (i)
				strcat(buf, ",");
			strcat(buf, engines[i]->name);
		}
	return buf;
}

bool engine_is_known(const char *name)
{
	return !strcmp(name, "pmkv") || !strcmp(name, "lmdb") ||
	       !strcmp(name, "rocksdb");
}
