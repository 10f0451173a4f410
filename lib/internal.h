/* SPDX-License-Identifier: BSD-3-Clause */
/* internal.h -- the handle and the interfaces between lib/ files */
#ifndef PMKV_INTERNAL_H
#define PMKV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <libpmemobj.h>

#include "config.h"
#include "libpmkv.h"
#include "layout.h"

#define CACHELINE 64

/* ---- errormsg.c, log.c ---- */

int err_set(int code, const char *file, int line, const char *func,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* set the thread's message, log it, return code */
/*
 * Expected outcomes (no such key, a buffer too small) set the message but
 * are not logged: nothing above debug level is logged on the get path.
 */
int err_plain(int code, const char *msg);
int err_quiet(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define pmkv_err(code, ...) err_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__)

void log_msg(int level, const char *file, int line, const char *func,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
extern int log_level;
void log_init(void);
#define log_at(lvl, ...) do { \
	if (log_level >= (lvl)) \
		log_msg((lvl), __FILE__, __LINE__, __func__, __VA_ARGS__); \
} while (0)
#define log_err(...) log_at(PMKV_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_at(PMKV_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at(PMKV_LOG_INFO, __VA_ARGS__)
#if PMKV_DEBUG_LOG
#define dbg(...) log_at(PMKV_LOG_DEBUG, __VA_ARGS__)
#else
#define dbg(...) do { } while (0)
#endif

/* ---- config.c ---- */

struct pmkv_config {
	uint64_t size;
	unsigned flags;
	mode_t mode;
};

/* ---- persist.c ---- */

/*
 * Per-writer persistence state: counters, and for the msync strategy the
 * range flushed since the last fence. One context is used by one thread at
 * a time (its owner holds the writer's lock).
 */
struct persist_ctx {
	uint64_t fences;
	uint64_t flushed_bytes;
	uintptr_t lo, hi;	/* msync: pending range, lo == hi when none */
	int error;		/* errno of a failed msync, until persist_check() */
};

struct persist_ops {
	/* copy n bytes to pmem and start writing them back; no fence */
	void (*copy)(struct persist_ctx *c, void *dst, const void *src, size_t n);
	/* start writing back a range already stored to; no fence */
	void (*flush)(struct persist_ctx *c, const void *p, size_t n);
	/* everything copied or flushed through c before is durable after */
	void (*fence)(struct persist_ctx *c);
	const char *name;
};

extern const struct persist_ops persist_pmem;
extern const struct persist_ops persist_msync;

static inline void persist_range(const struct persist_ops *ops,
				 struct persist_ctx *c, const void *p, size_t n)
{
	ops->flush(c, p, n);
	ops->fence(c);
}

/* ---- record.c ---- */

struct key {
	const uint8_t *p;
	uint32_t len;
	uint64_t prefix;	/* first 8 bytes, big-endian, zero padded */
};

uint64_t key_prefix(const void *k, size_t len);
static inline void key_make(struct key *k, const void *p, size_t len)
{
	k->p = p;
	k->len = (uint32_t)len;
	k->prefix = key_prefix(p, len);
}
int key_cmp_bytes(const uint8_t *a, uint32_t alen, const uint8_t *b,
		  uint32_t blen);

static inline const uint8_t *rec_key(const struct pmkv_record *r)
{
	return (const uint8_t *)(r + 1);
}
static inline const uint8_t *rec_val(const struct pmkv_record *r)
{
	return rec_key(r) + r->klen;
}
static inline uint32_t rec_vlen(const struct pmkv_record *r)
{
	return r->vlen_flags & PMKV_REC_VLEN_MASK;
}
static inline uint64_t rec_size(const struct pmkv_record *r)
{
	return record_size(r->klen, rec_vlen(r));
}

/* fill hdr and compute the checksum over hdr, key and value */
void rec_prepare(struct pmkv_record *hdr, uint64_t version, uint64_t seg_id,
		 const void *key, uint32_t klen, const void *val,
		 uint32_t vlen, uint32_t flags, uint32_t batch_count);
uint64_t rec_csum(const struct pmkv_record *hdr, const void *key,
		  const void *val);
/*
 * The record's lengths are within the limits and its bytes within avail.
 * Checked before a length read from the medium sizes a copy, an
 * allocation or a checksum.
 */
bool rec_fits(const struct pmkv_record *r, uint64_t avail, uint32_t key_max,
	      uint32_t value_max);
/* 0 when a record at p (avail bytes to the segment end) is valid */
bool rec_valid(const struct pmkv_record *r, uint64_t avail, uint64_t seg_id,
	       uint32_t key_max, uint32_t value_max);
/* write a prepared record to dst through ops: copy + flush, no fence */
void rec_write(const struct persist_ops *ops, struct persist_ctx *pc,
	       void *dst, const struct pmkv_record *hdr, const void *key,
	       const void *val);

/* ---- warm.c: new segments mapped ahead of the writers ---- */

#define WARM_QUEUE 16

struct warmer {
	pthread_t tid;
	bool running, stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct {
		void *p;
		uint64_t n;
	} q[WARM_QUEUE];
	uint64_t head, tail;	/* q[head % WARM_QUEUE] is next */
};

int warm_start(struct warmer *w);
void warm_stop(struct warmer *w);
/* populate [p, p + n) and touch its pages, in the background if possible */
void warm_add(struct warmer *w, void *p, uint64_t n);
void warm_populate(void *addr, uint64_t size);
/*
 * The whole pages inside [addr, addr + size): [*lo, *hi), false when there
 * are none. madvise() calls that must not reach a neighbour's bytes use it.
 */
bool pages_inside(const void *addr, uint64_t size, uintptr_t *lo,
		  uintptr_t *hi);

/* ---- arena.c: DRAM for index nodes ---- */

#define ARENA_CLASSES 4
#define ARENA_NODE_MAX (32u << 10)	/* the largest size arena_alloc() takes */

struct arena {
	pthread_mutex_t lock;	/* trees of all shards share one arena */
	struct chunk *chunks;
	uint8_t *cur;		/* the rest of the newest chunk */
	size_t left;
	size_t next_chunk;	/* size of the next chunk to map */
	size_t class_size[ARENA_CLASSES];
	struct free_node *free[ARENA_CLASSES];
	int nclasses;
	uint64_t bytes;		/* mapped (atomic reads) */
	struct warmer *warm;	/* maps new chunks ahead, if set */
};

void arena_init(struct arena *a);
void arena_destroy(struct arena *a);
/* size rounded up to whole cache lines; NULL when out of memory */
void *arena_alloc(struct arena *a, size_t size);
void arena_free(struct arena *a, void *p, size_t size);
/*
 * Give back to the kernel the pages of every free node of min_size bytes
 * or more; those nodes are not reused. Returns the bytes released, which
 * no longer count in bytes.
 */
size_t arena_trim(struct arena *a, size_t min_size);

/* ---- btree.c: one shard's ordered map from key to index entry ---- */

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

/* ---- index.c: the shards ---- */

#define NSHARDS 32

struct shard {
	pthread_rwlock_t lock;
	uint64_t seq;		/* odd while a writer changes the tree */
	struct btree t;
	uint64_t nkeys;		/* live (non-tombstone) entries */
} __attribute__((aligned(CACHELINE)));

unsigned index_shard_of(const struct key *k);

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
	__atomic_store_n(&sh->seq, sh->seq + 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&sh->lock);
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
#define racy_begin() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define racy_end() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define racy_begin() do { } while (0)
#define racy_end() do { } while (0)
#endif

/* ---- segment.c ---- */

struct seg {
	uint64_t off;		/* pool offset of the struct pmkv_segment */
	uint64_t id;
	uint64_t size;		/* bytes, header included */
	uint64_t used;		/* end of the last record, from the segment start */
	uint64_t live;		/* bytes of records still needed (atomic) */
	uint32_t slot;		/* index in kv->segs */
	bool open;		/* a writer appends to it: not a victim */
};

/*
 * A writer owns at most one open segment and appends records to it; its
 * lock orders the records in that segment, which recovery relies on.
 */
struct writer {
	pthread_mutex_t lock;
	struct seg *seg;
	struct persist_ctx pc;
	uint64_t inflight;	/* lower bound of an uninstalled version; 0: none */
	uint64_t puts, deletes, gets;
} __attribute__((aligned(CACHELINE)));

#define NWRITERS 64

/* ---- the handle ---- */

struct pmkv {
	char *path;
	PMEMobjpool *pop;
	uint8_t *base;		/* the pool mapping */
	struct pmkv_super *sb;
	unsigned flags;
	bool rdonly;
	int poisoned;		/* a durable write failed: refuse writes */

	enum pmkv_media media;
	bool is_pmem, pmem_forced;
	uint64_t device_align;
	const struct persist_ops *persist;

	uint64_t version;	/* next record version (atomic) */

	struct shard shards[NSHARDS];
	struct arena nodes;	/* the shards' index nodes */
	struct writer writers[NWRITERS];

	/* segments */
	pthread_mutex_t seg_lock;	/* segs[], free slots, next_segment_id */
	struct seg **segs;
	uint32_t nsegs_max, nsegs;
	uint32_t *free_slots, nfree_slots;
	struct persist_ctx misc_pc;	/* under seg_lock */
	uint64_t segment_size;

	/* reclamation */
	pthread_mutex_t gc_lock;
	struct writer gcw;	/* the writer reclamation copies with */
	struct seg *reserve;	/* kept free so reclamation can always run */
	struct seg *del_reserve;	/* deletes may take it when the pool is full:
					   freeing space must not need free space */
	uint64_t gc_runs, gc_bytes_copied;

	uint64_t recovery_ns, recovered_records;

	struct warmer warm;	/* writable handles only */
};

static inline void *kv_ptr(const struct pmkv *kv, uint64_t off)
{
	return kv->base + off;
}
static inline uint64_t kv_off(const struct pmkv *kv, const void *p)
{
	return (uint64_t)((const uint8_t *)p - kv->base);
}

/* segment.c */
int segment_table_init(struct pmkv *kv);
void segment_table_fini(struct pmkv *kv);
int segment_alloc(struct pmkv *kv, uint64_t size, struct seg **out);
void segment_free(struct pmkv *kv, struct seg *s);
int segment_adopt(struct pmkv *kv, PMEMoid oid, struct seg **out);
/* room for n bytes in w's open segment, opening a new one if needed */
int segment_reserve(struct pmkv *kv, struct writer *w, uint64_t n,
		    bool for_delete, struct seg **out);
struct writer *writer_get(struct pmkv *kv);
void writer_put(struct writer *w);
struct writer *writer_of_thread(struct pmkv *kv);
uint64_t writer_min_inflight(struct pmkv *kv);

/* gc.c */
int gc_collect(struct pmkv *kv);
int gc_refill_reserve(struct pmkv *kv);
void gc_adopt_empty(struct pmkv *kv);

/* kv.c: publishing records in the index */
struct install {
	struct key key;
	uint64_t off;		/* the new record */
	uint64_t size;
	uint64_t version;
	struct seg *seg;
	bool tomb;
	bool was_live;		/* out: the key had a live value before */
};
void record_retract(struct pmkv *kv, struct persist_ctx *pc, uint64_t off);
/* PMKV_E_CORRUPT for an indexed record at off that fails rec_fits() */
int record_damaged(struct pmkv *kv, const struct pmkv_record *r, uint64_t off);
int publish_locked(struct pmkv *kv, struct shard *sh, struct install *in);
int persist_check(struct pmkv *kv, struct persist_ctx *pc);
int check_kv_args(const void *key, size_t klen);
int check_val_args(const void *val, size_t vlen);
int check_writable(struct pmkv *kv);

/* check.c: verify every invariant; the handle must be quiet */
int check_run(struct pmkv *kv);

/* recovery.c */
int recovery_run(struct pmkv *kv);

/* format.c */
int format_validate(const struct pmkv_super *sb, uint64_t file_size,
		    const char *path);
void format_init(struct pmkv_super *sb, uint64_t pool_size,
		 uint64_t segment_size);
uint64_t format_super_csum(const struct pmkv_super *sb);
uint64_t format_segment_size_for(uint64_t pool_size);

/* pool.c */
int pool_open(struct pmkv *kv, const char *path, const struct pmkv_config *cfg);
void pool_close(struct pmkv *kv);

/* device_*.c */
int device_dax_info(const char *path, uint64_t *size, uint64_t *align);

#endif /* PMKV_INTERNAL_H */
