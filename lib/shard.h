/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shard.h -- the index's shards: which one holds a key, and their locks
 *
 * Writers change a shard's tree under its write lock and a sequence
 * counter; readers may read without the lock and check the counter after.
 */
#ifndef PMKV_SHARD_H
#define PMKV_SHARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "btree.h"
#include "cacheline.h"
#include "invariant.h"
#include "key.h"

#define NSHARDS 32

struct shard {
	pthread_rwlock_t lock;
	uint64_t seq;		/* odd while a writer changes the tree */
	struct btree t;
	uint64_t nkeys;		/* live (non-tombstone) entries */
} __attribute__((aligned(CACHELINE)));

/* the shard of a key: a hash, so that any key order spreads the writers */
unsigned shard_of(const struct key *k);

/*
 * Writers change a shard's tree between these two, under its write lock:
 * seq is odd in between, so a reader without the lock can tell that what
 * it read may be torn (a sequence lock; the fences are those of Boehm's
 * "Can seqlocks get along with programming language memory models?").
 */
static inline void shard_write_lock(struct shard *sh)
{
	pthread_rwlock_wrlock(&sh->lock);
	__atomic_store_n(&sh->seq, sh->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void shard_write_unlock(struct shard *sh)
{
	PMKV_ASSERT(sh->seq & 1);
	__atomic_store_n(&sh->seq, sh->seq + 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&sh->lock);
}

/* the caller is inside shard_write_lock(): what it changes may be torn */
static inline void shard_assert_writing(const struct shard *sh)
{
	PMKV_ASSERT(__atomic_load_n(&sh->seq, __ATOMIC_RELAXED) & 1);
	(void)sh;
}

/* a reader's start: an even value, or odd when a writer is in */
static inline uint64_t shard_read_begin(const struct shard *sh)
{
	return __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);
}

/* true when nothing changed the tree since shard_read_begin() gave seq */
static inline bool shard_read_valid(const struct shard *sh, uint64_t seq)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&sh->seq, __ATOMIC_RELAXED) == seq;
}

/*
 * A reader without the lock reads what writers store at the same time on
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
#define shard_racy_begin() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define shard_racy_end() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define shard_racy_begin() do { } while (0)
#define shard_racy_end() do { } while (0)
#endif

#endif /* PMKV_SHARD_H */
