/* SPDX-License-Identifier: BSD-3-Clause */
/* bench-text.h -- the text report of pmkv-cli bench */
#ifndef PMKV_CLI_BENCH_TEXT_H
#define PMKV_CLI_BENCH_TEXT_H

#include <stdbool.h>

#include "bench.h"

/* every input that changes a figure, before the first one */
void text_config(const struct bench_config *cfg, bool fresh_any);

/* the start of engine e's turn, when there is more than one */
void text_store_heading(const struct bench_config *cfg,
			const struct bench_store *st, unsigned e);

/* one benchmark's figures, db_bench's two lines first */
void text_result(const struct bench_config *cfg, const struct bench_result *r,
		 const struct bench_def *def);

/* a result whose checks failed: on stderr, and on stdout if to_stdout */
void text_unverified(const char *cmd, const char *path,
		     const struct bench_result *r, bool to_stdout);

/*
 * the engines side by side: res and ran hold nlist results per store,
 * store after store
 */
void text_summary(const struct bench_config *cfg,
		  const struct bench_def **list, unsigned nlist,
		  const struct bench_result *res, const bool *ran);

#endif /* PMKV_CLI_BENCH_TEXT_H */
