/* SPDX-License-Identifier: BSD-3-Clause */
/* rng.h -- a small seeded generator: every trial derives its own */
#ifndef PMKV_DAMAGE_RNG_H
#define PMKV_DAMAGE_RNG_H

#include <stdint.h>

/*
 * splitmix64: one u64 of state, so a trial's generator is a pure function
 * of (seed, trial) and --trial can replay one trial without the others.
 */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* a value in [0, n); n > 0 */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

static inline struct rng rng_for(uint64_t seed, uint64_t stream)
{
	struct rng r = { seed ^ (stream * 0xd1342543de82ef95ULL) };

	rng_next(&r);
	return r;
}

#endif /* PMKV_DAMAGE_RNG_H */
