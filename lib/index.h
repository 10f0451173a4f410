/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * index.h -- the pool's ordered map from key to its newest record, in DRAM
 *
 * One B+tree with optimistic lock coupling (design.md section 7): every
 * node carries a version word, odd while a writer holds the node. Readers
 * take no lock: they note a node's version, read it, and check the
 * version after; writers lock only the leaf they change (and its parent
 * when it splits). Nodes are freed only when the index is, so a reader
 * that follows a stale pointer still reads a node of the right kind.
 */
#ifndef PMKV_INDEX_H
#define PMKV_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cacheline.h"
#include "key.h"

struct arena;

/*
 * An index entry. off is the pool offset of the newest record of the key,
 * with bit 0 set when that record is a tombstone. A batch's placeholder
 * has bits 0 and 1 set: its record is durable, so the key can be compared,
 * but not published yet; readers take it for a tombstone. count is the number of records of the key still on media (the
 * newest and older ones): a tombstone may go only when it is the last.
 */
struct ientry {
	uint64_t off;
	uint32_t count;
	uint32_t seg;
};
#define IE_TOMB 1ULL
#define IE_HOLD 2ULL		/* a placeholder (always with IE_TOMB) */
#define IE_OFF(e) ((e)->off & ~(IE_TOMB | IE_HOLD))
/* a live key: neither a tombstone nor a placeholder */
#define IE_LIVE(off) (!((off) & IE_TOMB))

#define INDEX_LEAF_CAP 32	/* entries a leaf holds */
/* bytes of a leaf node: 24 of header, then prefixes and entries */
#define INDEX_LEAF_BYTES (24 + INDEX_LEAF_CAP * (8 + 16))

#define INDEX_STRIPES 8		/* live-key counters, apart so writers don't share */

struct index_count {
	int64_t v;
} __attribute__((aligned(CACHELINE)));

struct index {
	uintptr_t top;		/* root | height: one word, read without a lock */
	const uint8_t *base;	/* pool base, to read keys of records */
	uint64_t limit;		/* bytes mapped at base */
	struct arena *mem;	/* where its nodes come from */
	uint64_t bytes;		/* DRAM held by separator copies (atomic) */
	/*
	 * The records were not read since the index was built (it was loaded
	 * from a checkpoint): a key read from one may be damaged, so a search
	 * that a record's key misled is checked (see miss_beside_damage()).
	 */
	bool verify_keys;
	struct index_count nkeys[INDEX_STRIPES];	/* live keys, summed */
};

void index_init(struct index *t, const uint8_t *base, struct arena *mem);
void index_destroy(struct index *t);
uint64_t index_nkeys(const struct index *t);

/*
 * Lock-free lookups. index_find_racy() copies the entry of k into *out:
 * 1 found, 0 not, RACY_BAD when a writer was in the way (try again),
 * INDEX_DAMAGED when k is not found beside a record whose key fails its
 * checksum (only with verify_keys): "absent" may be wrong. What
 * it returned, and whatever the caller read through it since, holds only
 * if index_read_valid(rd) says so afterwards.
 */
#define RACY_BAD (-2)
#define INDEX_DAMAGED (-3)
struct iread {
	const uint64_t *ver;	/* the leaf's version word */
	uint64_t v;		/* ... as it was read */
};
int index_find_racy(const struct index *t, const struct key *k,
		    struct ientry *out, struct iread *rd);
static inline bool index_read_valid(const struct iread *rd)
{
	/* the reads before come before the version's second load */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(rd->ver, __ATOMIC_RELAXED) == rd->v;
}

/*
 * Writers. index_lock() locks the leaf where k belongs; with room, one
 * that has room for k (splitting as needed, -ENOMEM with the tree as it
 * was). Between index_lock() and index_unlock() the index_locked_*()
 * calls see and change the leaf; entries they return are valid until the
 * unlock.
 */
struct ilock {
	struct index *t;
	void *leaf;
};
int index_lock(struct index *t, const struct key *k, bool room,
	       struct ilock *lk);
void index_unlock(struct ilock *lk);
struct ientry *index_locked_find(struct ilock *lk, const struct key *k);
/*
 * the entry of k, zeroed if it was absent (the leaf has room); NULL when
 * k is absent and would go beside a damaged record (index_locked_damaged())
 */
struct ientry *index_locked_upsert(struct ilock *lk, const struct key *k,
				   bool *created);
/*
 * k, absent from the locked leaf, sits beside a record whose key fails its
 * checksum: with verify_keys, k may be that record's key (PMKV_E_CORRUPT)
 */
bool index_locked_damaged(struct ilock *lk, const struct key *k);
void index_locked_remove(struct ilock *lk, const struct key *k);
/* the live-key count moves by d (under the leaf's lock) */
void index_locked_count(struct ilock *lk, int64_t d);
/* the entry of k on an index no writer uses (checks, tests); NULL if none */
struct ientry *index_find_quiet(struct index *t, const struct key *k);
/* the caller holds a leaf lock of the index */
bool index_locked_held(const struct ilock *lk);

/*
 * Ordered reads: a leaf copied whole, consistent, with what a cursor
 * needs to go on from it. Copies are made without a lock and checked
 * against the leaf's version; isnap_valid() tells whether the leaf is
 * still as copied.
 */
struct isnap {
	const void *leaf;
	uint64_t v;
	const void *next;	/* the leaf after, NULL at the end */
	uint32_t n;
	uint32_t pos;		/* the first entry >= (or <=) the key sought */
	uint64_t pfx[INDEX_LEAF_CAP];
	struct ientry e[INDEX_LEAF_CAP];
	/* the lower fence: every key of the leaf is >= it; none: the first leaf */
	bool has_fence;
	uint32_t fence_len;
	uint8_t *fence;		/* the caller's buffer of PMKV_KEY_MAX bytes */
};

/*
 * Copy the leaf that holds k, s->pos its first entry >= k (> k when
 * strict); with below, the leaf that holds the keys just below k instead:
 * the greatest key < k is in it, before pos, or in no leaf after the one
 * its fence leads to. NULL k: the first leaf, pos 0, or with below the
 * last, pos its end. 0, or INDEX_DAMAGED: a key in the leaf cannot be
 * read (the leaf was quiet; the records were damaged since open). Writers
 * in the way are waited for.
 */
int index_snap(const struct index *t, const struct key *k, bool strict,
	       bool below, struct isnap *s);
/*
 * The record offsets of up to max entries of a leaf, read without a lock
 * and not checked: a hint of what to fetch next, nothing to trust
 */
uint32_t index_leaf_hint(const void *leaf, uint64_t *offs, uint32_t max);
/* copy the leaf after s (s->next, not NULL), all of it, pos 0 */
int index_snap_next(const struct index *t, struct isnap *s);
static inline bool isnap_valid(const struct isnap *s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)s->leaf, __ATOMIC_RELAXED) ==
	       s->v;
}
/* k vs the key of entry i of s (read from its record: validate after) */
int index_snap_cmp(const struct index *t, const struct isnap *s, uint32_t i,
	      const struct key *k);

/*
 * fill an empty index with n entries sorted by key; -ENOMEM leaves it
 * empty, and so does -EINVAL: with verify_keys, a record whose key a
 * separator needs fails its checksum
 */
int index_load(struct index *t, size_t n, const uint64_t *pfx,
	       const struct ientry *ents);
/*
 * Every entry in key order, writers quiet; fn's nonzero return stops the
 * walk and is returned
 */
int index_walk(struct index *t,
	       int (*fn)(void *arg, uint64_t pfx, const struct ientry *e),
	       void *arg);

/* the index's shape, writers quiet (tests, statistics) */
struct index_shape {
	int height;		/* 0: the root is a leaf */
	uint64_t leaves, inners, entries;
};
void index_shape(struct index *t, struct index_shape *out);

/*
 * A reader without a lock reads what writers store at the same time on
 * purpose; ThreadSanitizer is told to ignore those reads (and, as its
 * annotation works per thread, the reader's own stores meanwhile).
 */
#if defined(__SANITIZE_THREAD__)
#define PMKV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PMKV_TSAN 1
#endif
#endif
#ifdef PMKV_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define index_racy_begin() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define index_racy_end() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define index_racy_begin() do { } while (0)
#define index_racy_end() do { } while (0)
#endif

#endif /* PMKV_INDEX_H */
