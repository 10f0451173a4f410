/* SPDX-License-Identifier: BSD-3-Clause */
/* btree.h -- one shard's ordered map from key to index entry, in DRAM */
#ifndef PMKV_BTREE_H
#define PMKV_BTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key.h"

struct arena;

/*
 * An index entry. off is the pool offset of the newest record of the key,
 * with bit 0 set when that record is a tombstone. count is the number of
 * records of the key still on media (the newest and older ones): a
 * tombstone may go only when it is the last.
 */
struct ientry {
	uint64_t off;
	uint32_t count;
	uint32_t seg;
};
#define IE_TOMB 1ULL
#define IE_OFF(e) ((e)->off & ~IE_TOMB)

#define BTREE_LEAF_CAP 32	/* entries a leaf holds */

struct btree {
	void *root;
	int height;		/* 0: root is a leaf */
	uintptr_t top;		/* root | height, for readers without the lock */
	const uint8_t *base;	/* pool base, to read keys of records */
	uint64_t limit;		/* bytes mapped at base */
	struct arena *mem;	/* where its nodes come from (shared) */
	uint64_t bytes;		/* DRAM held by separator copies */
	void *spares;		/* nodes kept for the next insert */
	uint64_t mods;		/* inserts and removes: cursors older are stale */
};

struct bt_cursor {
	void *leaf;
	int pos;
};

void btree_init(struct btree *t, const uint8_t *base, struct arena *mem);
void btree_destroy(struct btree *t);
struct ientry *btree_find(struct btree *t, const struct key *k);
/*
 * btree_find without the shard's lock, a copy of the entry in *out: 1
 * found, 0 not, RACY_BAD when what it read cannot be a consistent tree.
 * The answer holds only if the shard's sequence did not move meanwhile.
 */
#define RACY_BAD (-2)
int btree_find_racy(const struct btree *t, const struct key *k,
		    struct ientry *out);
/* the entry of k, inserted zeroed if absent; NULL on ENOMEM */
struct ientry *btree_upsert(struct btree *t, const struct key *k,
			    bool *created);
void btree_remove(struct btree *t, const struct key *k);
/* fill an empty tree with n entries sorted by key; -ENOMEM leaves it empty */
int btree_load(struct btree *t, size_t n, const uint64_t *pfx,
	       const struct ientry *ents);
/* position on the first entry >= k (> k when strict); NULL k: first */
void btree_seek(struct btree *t, const struct key *k, bool strict,
		struct bt_cursor *c);
/*
 * btree_seek in two steps, so that a caller seeking in many trees can
 * start every leaf's miss before it waits for any: the leaf that may
 * hold k (its lines prefetched), then the position in it. The leaf is
 * valid while the tree's mods are unchanged.
 */
void *btree_leaf_of(struct btree *t, const struct key *k);
void btree_seek_in(struct btree *t, void *leaf, const struct key *k,
		   bool strict, struct bt_cursor *c);
/* the entry under the cursor, or NULL at the end; next moves on */
struct ientry *btree_cur(struct bt_cursor *c);
/* the key prefix of the entry btree_cur() just returned */
uint64_t btree_cur_prefix(const struct bt_cursor *c);
void btree_next(struct bt_cursor *c);

#endif /* PMKV_BTREE_H */
