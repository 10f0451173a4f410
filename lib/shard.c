// SPDX-License-Identifier: BSD-3-Clause
/*
 * shard.c -- which shard holds a key
 *
 * Keys are spread over NSHARDS B+trees by a hash so that writers to
 * different keys rarely meet on a lock, whatever the key distribution
 * (sequential keys included). The price is paid by ordered reads, which
 * merge the shards (scan.c).
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "shard.h"

unsigned shard_of(const struct key *k)
{
	return (unsigned)(XXH3_64bits(k->p, k->len) % NSHARDS);
}
