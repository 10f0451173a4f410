/* SPDX-License-Identifier: BSD-3-Clause */
/* zipf.h -- YCSB's zipfian generator: ranks 0..n-1, rank 0 most popular */
#ifndef PMKV_CLI_ZIPF_H
#define PMKV_CLI_ZIPF_H

#include <stdint.h>

/* YCSB's ZipfianGenerator.ZIPFIAN_CONSTANT */
#define ZIPF_THETA 0.99

/*
 * Gray et al., "Quickly generating billion-record synthetic databases"
 * (SIGMOD 1994), as YCSB implements it: P(rank i) is proportional to
 * 1 / (i + 1)^theta. zeta(n) is summed exactly up to ZIPF_EXACT terms and
 * by Euler-Maclaurin beyond (relative error below 1e-12), so a billion
 * keys cost no more than a million.
 */
struct zipf {
	uint64_t n;
	double theta, alpha, zetan, zeta2, eta, half_pow_theta;
};

void zipf_init(struct zipf *z, uint64_t n, double theta);

/* zipf_grow -- n items now (n >= z->n): YCSB's "latest" as keys arrive */
void zipf_grow(struct zipf *z, uint64_t n);

/* zipf_next -- the rank for u, uniform in [0, 1) */
uint64_t zipf_next(const struct zipf *z, double u);

#endif /* PMKV_CLI_ZIPF_H */
