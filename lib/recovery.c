// SPDX-License-Identifier: BSD-3-Clause
/*
 * recovery.c -- rebuild the DRAM index from the log at open
 *
 * Every segment is read from its first record to the first one that is not
 * valid (layout.h says what valid means); a writer persisted each record
 * before writing the next, so nothing acknowledged lies beyond. A batch
 * counts only when all of its records are valid. For each key the newest
 * version wins; equal versions are a record and its reclamation copy, with
 * the same contents. Nothing is written: a crash during recovery changes
 * nothing, and the next open starts over.
 *
 * Two phases, each spread over the CPUs, then a merge:
 *   1. read the segments, collecting for each valid record its key prefix,
 *      offset, version and segment into the vector of its part (a hash of
 *      the key: parts are even whatever the keys look like);
 *   2. per part, sort the vector by key (newest version first) and fold
 *      each key's records into one entry;
 *   3. merge the parts' sorted entries (a key is in one part only) and
 *      build the index bottom up.
 * Sorting and building sequentially costs far less than inserting records
 * at random into a growing tree, a cache miss or more per record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "checkpoint.h"
#include "internal.h"
#include "record.h"
#include "recovery.h"
#include "segment.h"

#define MAX_THREADS 8
#define NPARTS 32		/* more than threads: parts vary in size */

struct ritem {
	uint64_t prefix;
	uint64_t off;
	uint64_t version;
	uint32_t seg;
	uint32_t size;		/* bit 31: tombstone */
};
#define RITEM_TOMB (1U << 31)

/*
 * Items are kept in blocks, not one array grown by realloc(): growing
 * copied every item twice on average, into pages touched for the first
 * time. The blocks come from the index's own node arena (arena.c), on huge
 * pages where the kernel gives them: 10M items are 320 MB, 80000 page
 * faults otherwise. A part's blocks go back to the arena as soon as its
 * entries are folded, and the index built after is cut out of them:
 * a page touched for items is touched again for nodes, not a new one
 * (memory touched for the first time is most of an open's cost under a
 * hypervisor). What the index does not reuse is trimmed at the end.
 */
#define RBLOCK_ITEMS 1000	/* 32 KB: an arena's largest node */

struct rblock {
	struct rblock *next;
	uint32_t n;
	struct ritem v[RBLOCK_ITEMS];
};
_Static_assert(sizeof(struct rblock) <= ARENA_NODE_MAX, "an arena node");

struct rvec {
	struct rblock *head;	/* the newest block */
	size_t n;
};

/*
 * What one thread owns: grow-only buffers, reused so that their pages are
 * touched once, and counters. A cache line or more each: counters that
 * two threads bumped on one line cost a quarter of the read phase.
 */
struct scratch {
	uint8_t *seg;			/* a segment read with pread() */
	size_t seg_cap;
	void *order, *tmp;
	size_t items_cap;
	uint64_t *live;			/* [segment slot]: bytes of entries */
	uint64_t max_version;
	uint64_t records;
} __attribute__((aligned(CACHELINE)));

struct rctx {
	struct pmkv *kv;
	int fd;				/* the pool file for pread(), or -1 */
	struct scratch scratch[MAX_THREADS];
	struct seg **segs;
	size_t nsegs;
	size_t next;			/* work index, atomic */
	unsigned nthreads;
	struct rvec (*vecs)[NPARTS];	/* [thread][part] */
	struct rpart {			/* a part's entries, sorted */
		uint64_t *pfx;
		struct ientry *ents;
		size_t n;
	} parts[NPARTS];
	int rc;				/* first failure, atomic */
	char msg[512];			/* its message */
};

struct rthread {
	struct rctx *c;
	unsigned id;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int push(struct arena *a, struct rvec *v, const struct ritem *it)
{
	struct rblock *b = v->head;

	if (!b || b->n == RBLOCK_ITEMS) {
		b = arena_alloc(a, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->n = 0;
		b->next = v->head;
		v->head = b;
	}
	b->v[b->n++] = *it;
	v->n++;
	return 0;
}

/* r is the record at pool offset off, read from the mapping or a copy */
static int collect(struct rctx *c, unsigned t, struct seg *s,
		   const struct pmkv_record *r, uint64_t off)
{
	struct ritem it;
	struct key k;

	key_make(&k, rec_key(r), r->klen);
	it.prefix = k.prefix;
	it.off = off;
	it.version = r->version;
	it.seg = s->slot;
	it.size = (uint32_t)rec_size(r) |
		  ((r->vlen_flags & PMKV_REC_TOMBSTONE) ? RITEM_TOMB : 0);
	if (r->version > c->scratch[t].max_version)
		c->scratch[t].max_version = r->version;
	c->scratch[t].records++;
	return push(&c->kv->nodes,
		    &c->vecs[t][XXH3_64bits(k.p, k.len) % NPARTS], &it);
}

/* a known media error in bytes [pos, pos + len) of s: never read them */
static inline bool media(struct pmkv *kv, const struct seg *s, uint64_t pos,
			 uint64_t len)
{
	return badblocks_hit(&kv->bad, s->off + pos, len);
}

/* the header and key at pos may be read: no known media error there */
static bool readable(struct pmkv *kv, const struct seg *s, const uint8_t *data,
		     uint64_t pos)
{
	const struct pmkv_record *r = (const void *)(data + pos);

	if (media(kv, s, pos, sizeof(*r)))
		return false;
	return r->klen > kv->sb->key_max ||
	       !media(kv, s, pos, sizeof(*r) + r->klen);
}

/*
 * Bytes of the whole batch starting at data + pos0, or 0 if any header is
 * bad; data is the segment's first byte (in the mapping or a copy).
 */
static uint64_t batch_extent(struct pmkv *kv, struct seg *s,
			     const uint8_t *data, uint64_t pos0)
{
	const struct pmkv_record *first = (const void *)(data + pos0);
	uint64_t pos = pos0;

	for (uint32_t i = 0; i < first->batch_count; i++) {
		const struct pmkv_record *r = (const void *)(data + pos);

		if (pos + sizeof(*r) > s->size || !readable(kv, s, data, pos) ||
		    !rec_header_valid(r, pos, s->size, s->id, kv->sb->key_max,
				      kv->sb->value_max) ||
		    !(r->vlen_flags & PMKV_REC_BATCH) ||
		    r->version != first->version ||
		    (i > 0 && r->batch_count != 0))
			return 0;
		pos += rec_size(r);
	}
	return pos - pos0;
}

/*
 * The batch whose readable first header is at pos stops at a known media
 * error: it may have been whole, so it is damage, never a tear
 */
static bool batch_media(struct pmkv *kv, struct seg *s, const uint8_t *data,
			uint64_t pos)
{
	const struct pmkv_record *first = (const void *)(data + pos);

	if (!rec_header_valid(first, pos, s->size, s->id, kv->sb->key_max,
			      kv->sb->value_max) ||
	    !(first->vlen_flags & PMKV_REC_BATCH))
		return false;
	for (uint32_t i = 0; i < first->batch_count && pos < s->size; i++) {
		const struct pmkv_record *r = (const void *)(data + pos);

		if (pos + sizeof(*r) > s->size)
			return false;
		if (!readable(kv, s, data, pos))
			return true;
		if (!rec_header_valid(r, pos, s->size, s->id, kv->sb->key_max,
				      kv->sb->value_max))
			return false;
		if (media(kv, s, pos, rec_size(r)))
			return true;
		pos += rec_size(r);
	}
	return false;
}

/*
 * The first record after from that begins a commit of segment s: a valid
 * header that is not a batch's later record (those only count through
 * their first). A writer fences each commit before it writes the next in
 * its segment, so such a record proves that whatever is bad before it was
 * once whole: damage, not a tear. 0 if there is none.
 */
static uint64_t commit_after(struct pmkv *kv, const struct seg *s,
			     const uint8_t *data, uint64_t from)
{
	for (uint64_t p = (from + 8) & ~(PMKV_REC_ALIGN - 1);
	     p + sizeof(struct pmkv_record) <= s->size; p += PMKV_REC_ALIGN) {
		const struct pmkv_record *r = (const void *)(data + p);

		if (media(kv, s, p, sizeof(*r))) {
			p = ((badblocks_skip(&kv->bad, s->off + p) - s->off +
			      PMKV_REC_ALIGN - 1) & ~(PMKV_REC_ALIGN - 1)) -
			    PMKV_REC_ALIGN;
			continue;
		}
		/* two compares reject nearly every position */
		if (r->segment_id != s->id || r->offset != p ||
		    !readable(kv, s, data, p))
			continue;
		if ((r->vlen_flags & PMKV_REC_BATCH) && r->batch_count == 0)
			continue;
		if (rec_header_valid(r, p, s->size, s->id, kv->sb->key_max,
				     kv->sb->value_max))
			return p;
	}
	return 0;
}

/* a key for a message: printable bytes as they are, others as \xNN */
static void key_text(char *out, size_t cap, const uint8_t *k, uint32_t klen)
{
	size_t o = 0;

	for (uint32_t i = 0; i < klen && o + 5 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o,
				      k[i] >= 0x20 && k[i] < 0x7f && k[i] != '\\' ?
				      "%c" : "\\x%02x", k[i]);
	out[o] = '\0';
}

/*
 * Damage at segment offset pos of s (what says how), with a commit after
 * it at later (0: none known): the open fails, or salvage reports it.
 * r is the record there when its header is whole, so its key is known.
 */
static int damage(struct rctx *c, struct seg *s, uint64_t pos,
		  const struct pmkv_record *r, uint64_t later, const char *what)
{
	struct pmkv *kv = c->kv;
	char key[160] = "unknown, its header is damaged", after[64] = "";

	if (r)
		key_text(key, sizeof(key), rec_key(r), r->klen);
	if (later)
		snprintf(after, sizeof(after), "; a record at offset %llu follows",
			 (unsigned long long)later);
	__atomic_fetch_add(&kv->damaged_records, 1, __ATOMIC_RELAXED);
	if (!kv->salvage)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: segment %llu (slot %u, pool offset %llu): %s at offset %llu (key %s)%s",
				kv->path, (unsigned long long)s->id, s->slot,
				(unsigned long long)s->off, what,
				(unsigned long long)pos, key, after);
	log_err("%s: salvage: segment %llu (slot %u, pool offset %llu): %s at offset %llu (key %s)%s",
		kv->path, (unsigned long long)s->id, s->slot,
		(unsigned long long)s->off, what, (unsigned long long)pos, key,
		after);
	return 0;
}

/*
 * Map a segment's pages in one call before reading it: a fresh mapping
 * otherwise takes a page fault per 4 KiB, which costs more than reading
 * and checksumming the records. Best effort (Linux 5.14+).
 */
static void prefault_read(const void *addr, uint64_t size)
{
#ifdef MADV_POPULATE_READ
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)addr & ~(pg - 1);
	uintptr_t hi = ((uintptr_t)addr + size + pg - 1) & ~(pg - 1);

	(void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
#else
	(void)addr;
	(void)size;
#endif
}

/*
 * A copy of segment s made with pread(), or NULL: then the caller reads
 * the mapping. On a file (ordinary or fsdax) the kernel copies from its
 * page cache or from pmem without touching the mapping's pages, each of
 * which would cost a page fault, and under a hypervisor with shadow page
 * tables another 8 us on first touch: 2 of the 4 s a 10M-record open took.
 * The copy's header must match the mapping's (segment_load() read it),
 * or the file is not laid out as mapped and the mapping is read instead.
 */
static const uint8_t *read_copy(struct rctx *c, unsigned t, struct seg *s)
{
	struct scratch *sc = &c->scratch[t];
	uint64_t done = 0;

	if (c->fd < 0)
		return NULL;
	if (sc->seg_cap < s->size) {
		uint8_t *n = realloc(sc->seg, s->size);

		if (!n)
			return NULL;
		sc->seg = n;
		sc->seg_cap = s->size;
	}
	while (done < s->size) {
		ssize_t n = pread(c->fd, sc->seg + done, s->size - done,
				  (off_t)(s->off + done));

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return NULL;
		}
		done += (uint64_t)n;
	}
	if (memcmp(sc->seg, kv_ptr(c->kv, s->off), PMKV_SEGMENT_DATA))
		return NULL;
	return sc->seg;
}

/*
 * The record at pos whose header fails its checks, if its lengths still
 * fill exactly the bytes up to the next commit at later: then its key is
 * most likely right, and salvage keeps it so that a get of that key says
 * PMKV_E_CORRUPT rather than serving an older version. NULL otherwise.
 */
static const struct pmkv_record *suspect(struct pmkv *kv, const uint8_t *data,
					 uint64_t pos, uint64_t later)
{
	const struct pmkv_record *r = (const void *)(data + pos);

	if (!later || r->klen == 0 || r->klen > kv->sb->key_max ||
	    rec_vlen(r) > kv->sb->value_max || r->version == 0 ||
	    record_span(pos, r->klen, rec_vlen(r)) != later - pos)
		return NULL;
	return r;
}

/*
 * The commit at pos: its bytes, 0 if its headers are not whole; *bad is
 * the offset of its first record whose value fails its checksum, or 0.
 */
static uint64_t commit_at(struct pmkv *kv, struct seg *s, const uint8_t *data,
			  uint64_t pos, uint64_t *bad)
{
	const struct pmkv_record *r = (const void *)(data + pos);
	uint64_t n;

	*bad = 0;
	if (!readable(kv, s, data, pos) ||
	    !rec_header_valid(r, pos, s->size, s->id, kv->sb->key_max,
			      kv->sb->value_max))
		return 0;
	if (r->vlen_flags & PMKV_REC_BATCH)
		n = r->batch_count ? batch_extent(kv, s, data, pos) : 0;
	else
		n = rec_size(r);
	for (uint64_t p = pos; p < pos + n && !*bad;
	     p += rec_size((const void *)(data + p)))
		if (media(kv, s, p, rec_size((const void *)(data + p))) ||
		    !rec_value_valid((const void *)(data + p)))
			*bad = p;
	return n;
}

/*
 * Where the log of s ends (layout.h, doc/format.md "Recovery policy"): a
 * commit at pos that is not whole is a tear, dropped silently, only if
 * nothing shows that it was once whole. In a writer's segment, that is a
 * later commit; in reclamation's, its fenced end lying past pos. Else it
 * is damage. Salvage goes on past damage: at the next commit, keeping a
 * record whose header is whole, so that a get of its key says
 * PMKV_E_CORRUPT rather than finding an older version.
 */
static int scan_segment(struct rctx *c, unsigned t, struct seg *s)
{
	struct pmkv *kv = c->kv;
	/* pread() of a bad block is EIO, and a load SIGBUS: map, step around */
	bool hurt = media(kv, s, 0, s->size);
	const uint8_t *data = hurt ? NULL : read_copy(c, t, s);
	/* before end all is whole; past it, reclamation's copies may tear */
	uint64_t fenced = s->reclaim ? s->reclaim & 0xffffffffULL : 0;
	bool gc = s->reclaim >> 32 == PMKV_SEG_RECLAIM_TAG;
	uint64_t pos = PMKV_SEGMENT_DATA, later, n, bad;
	const struct pmkv_record *r;
	int rc;

	if (!data) {
		data = kv_ptr(kv, s->off);
		if (!hurt)
			prefault_read(data, s->size);
	}
	while (pos + sizeof(struct pmkv_record) <= s->size) {
		n = commit_at(kv, s, data, pos, &bad);
		if (n && bad) {
			later = commit_after(kv, s, data, pos + n - 8);
			if (!media(kv, s, pos, n) && pos >= fenced &&
			    (gc || !later)) {
				s->appendable = !later;
				break;	/* the last commit, torn */
			}
			rc = damage(c, s, bad, (const void *)(data + bad), later,
				    media(kv, s, bad, rec_size((const void *)(data + bad))) ?
				    "a bad block (media error) in its value" :
				    "a value that fails its checksum");
			if (rc)
				return rc;
		} else if (!n) {
			bool hit;

			/*
			 * A bad block where the next header lies may hide a
			 * commit; one past a readable header that is not whole
			 * lies beyond the log (commits are back to back)
			 */
			later = commit_after(kv, s, data, pos);
			hit = !readable(kv, s, data, pos) ||
			      batch_media(kv, s, data, pos);
			if (!hit && pos >= fenced && (gc || !later)) {
				s->appendable = !later;
				break;	/* the end, or a tear */
			}
			r = readable(kv, s, data, pos) ?
			    suspect(kv, data, pos, later) : NULL;
			rc = damage(c, s, pos, r, later, hit ?
				    "a bad block (media error)" : r ?
				    "a record whose header fails its checks" :
				    "a record that is not whole");
			if (rc)
				return rc;
			if (!later)
				break;
			/* salvage: its key, if known, says PMKV_E_CORRUPT */
			if (r) {
				rc = collect(c, t, s, r, s->off + pos);
				if (rc)
					return rc;
			}
			pos = later;
			continue;
		}
		for (uint64_t p = pos; p < pos + n;
		     p += rec_size((const void *)(data + p))) {
			rc = collect(c, t, s, (const void *)(data + p),
				     s->off + p);
			if (rc)
				return rc;
		}
		pos += n;
	}
	s->used = pos;
	/* a writer must not store to a known media error either */
	if (media(kv, s, pos, s->size - pos))
		s->appendable = false;
	return 0;
}

/* by key, then newest first */
static int ritem_cmp(const struct ritem *a, const struct ritem *b,
		     const uint8_t *base)
{
	const struct pmkv_record *ra, *rb;
	int c;

	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	ra = (const void *)(base + a->off);
	rb = (const void *)(base + b->off);
	c = key_cmp_bytes(rec_key(ra), ra->klen, rec_key(rb), rb->klen);
	if (c)
		return c;
	return (a->version < b->version) - (a->version > b->version);
}

static bool same_key(const uint8_t *base, const struct ritem *a,
		     const struct ritem *b)
{
	const struct pmkv_record *ra = (const void *)(base + a->off);
	const struct pmkv_record *rb = (const void *)(base + b->off);

	return a->prefix == b->prefix &&
	       key_cmp_bytes(rec_key(ra), ra->klen, rec_key(rb), rb->klen) == 0;
}

/* 16 bytes a key: what the radix passes move */
struct rkey {
	uint64_t prefix;
	const struct ritem *it;
};

static int rkey_cmp(const void *a, const void *b, void *base)
{
	return ritem_cmp(((const struct rkey *)a)->it,
			 ((const struct rkey *)b)->it, base);
}

/* a run of one prefix longer than this is sorted in n log n, not n^2 */
#define INSERTION_RUN_MAX 16

/*
 * Sort by prefix with an LSD radix sort, 8 bits a pass, skipping passes in
 * which every key has the same digit; then order each run of equal
 * prefixes by whole key and version: short runs by insertion, long ones
 * (keys that share their first 8 bytes, "user0000..." or a counter after
 * a long prefix: every key in one run) by qsort.
 */
static void sort_items(size_t n, struct rkey *k, struct rkey *tmp,
		       const uint8_t *base)
{
	struct rkey *src = k, *dst = tmp;
	size_t cnt[256];

	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t sum = 0;
		bool one = false;

		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i].prefix >> shift) & 0xff]++;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = cnt[d];

			if (c == n)
				one = true;
			cnt[d] = sum;
			sum += c;
		}
		if (one)
			continue;
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].prefix >> shift) & 0xff]++] = src[i];
		struct rkey *t = src;

		src = dst;
		dst = t;
	}
	if (src != k)
		memcpy(k, src, n * sizeof(*k));
	/* runs of one prefix: insertion sort by whole key, newest first */
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && k[j].prefix == k[i].prefix; j++)
			;
		if (j - i > INSERTION_RUN_MAX) {
			qsort_r(k + i, j - i, sizeof(*k), rkey_cmp, (void *)base);
			continue;
		}
		for (size_t a = i + 1; a < j; a++) {
			struct rkey x = k[a];
			size_t b = a;

			while (b > i && ritem_cmp(x.it, k[b - 1].it, base) < 0) {
				k[b] = k[b - 1];
				b--;
			}
			k[b] = x;
		}
	}
}

/* room for n items in every buffer of sc */
static int scratch_reserve(struct scratch *sc, size_t n)
{
	void **bufs[] = { &sc->order, &sc->tmp };
	const size_t sizes[] = { sizeof(struct rkey), sizeof(struct rkey) };

	if (n <= sc->items_cap)
		return 0;
	n += n / 4;	/* the next part is likely a little larger */
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		void *p = realloc(*bufs[i], n * sizes[i]);

		if (!p)
			return -ENOMEM;
		*bufs[i] = p;
	}
	sc->items_cap = n;
	return 0;
}

static void scratch_free(struct scratch *sc)
{
	free(sc->seg);
	free(sc->order);
	free(sc->tmp);
	free(sc->live);
	memset(sc, 0, sizeof(*sc));
}

static int build_part(struct rctx *c, struct scratch *sc, unsigned si)
{
	struct pmkv *kv = c->kv;
	struct rpart *part = &c->parts[si];
	struct ientry *ents;
	struct rkey *order;
	uint64_t *pfx;
	size_t n = 0, u = 0, i, j;

	for (unsigned t = 0; t < c->nthreads; t++)
		n += c->vecs[t][si].n;
	if (n == 0)
		return 0;
	if (scratch_reserve(sc, n))
		return -ENOMEM;
	if (!sc->live) {
		sc->live = calloc(kv->nsegs_max, sizeof(*sc->live));
		if (!sc->live)
			return -ENOMEM;
	}
	part->pfx = malloc(n * sizeof(*part->pfx));
	part->ents = malloc(n * sizeof(*part->ents));
	if (!part->pfx || !part->ents)
		return -ENOMEM;
	order = sc->order;
	pfx = part->pfx;
	ents = part->ents;
	for (unsigned t = 0; t < c->nthreads; t++)
		for (struct rblock *b = c->vecs[t][si].head; b; b = b->next)
			for (uint32_t k = 0; k < b->n; k++) {
				order[u].prefix = b->v[k].prefix;
				order[u].it = &b->v[k];
				u++;
			}
	sort_items(n, order, sc->tmp, kv->base);
	/* fold each run of one key: its first item is the newest */
	for (i = 0, u = 0; i < n; i = j) {
		const struct ritem *head = order[i].it;
		bool tomb = head->size & RITEM_TOMB;

		for (j = i + 1; j < n && order[j].prefix == head->prefix &&
		     same_key(kv->base, head, order[j].it); j++)
			;
		pfx[u] = head->prefix;
		ents[u].off = head->off | (tomb ? IE_TOMB : 0);
		ents[u].count = (uint32_t)(j - i);
		ents[u].seg = head->seg;
		u++;
		sc->live[head->seg] += head->size & ~RITEM_TOMB;
	}
	part->n = u;
	/* the items are folded: their blocks make the index's nodes */
	for (unsigned t = 0; t < c->nthreads; t++) {
		struct rblock *b = c->vecs[t][si].head, *next;

		for (; b; b = next) {
			next = b->next;
			arena_free(&kv->nodes, b, sizeof(*b));
		}
		c->vecs[t][si] = (struct rvec){ 0 };
	}
	return 0;
}

/* entry i of part a before entry j of part b: keys differ across parts */
static bool part_less(const struct rctx *c, unsigned a, size_t i, unsigned b,
		      size_t j)
{
	const struct rpart *pa = &c->parts[a], *pb = &c->parts[b];
	const struct pmkv_record *ra, *rb;

	if (pa->pfx[i] != pb->pfx[j])
		return pa->pfx[i] < pb->pfx[j];
	ra = kv_ptr(c->kv, IE_OFF(&pa->ents[i]));
	rb = kv_ptr(c->kv, IE_OFF(&pb->ents[j]));
	return key_cmp_bytes(rec_key(ra), ra->klen, rec_key(rb), rb->klen) < 0;
}

/*
 * Step 3: merge the parts into one sorted run through a heap of their
 * heads (most comparisons read prefixes only) and load the index from it
 */
static int merge_load(struct rctx *c)
{
	unsigned heap[NPARTS], nheap = 0;
	size_t pos[NPARTS] = { 0 }, total = 0, u = 0;
	struct ientry *ents;
	uint64_t *pfx;
	int rc;

	for (unsigned p = 0; p < NPARTS; p++)
		total += c->parts[p].n;
	if (!total)
		return 0;
	pfx = malloc(total * sizeof(*pfx));
	ents = malloc(total * sizeof(*ents));
	if (!pfx || !ents) {
		free(pfx);
		free(ents);
		return -ENOMEM;
	}
	for (unsigned p = 0; p < NPARTS; p++) {
		unsigned i;

		if (!c->parts[p].n)
			continue;
		/* sift up */
		for (i = nheap++; i > 0 && part_less(c, p, 0, heap[(i - 1) / 2],
						     pos[heap[(i - 1) / 2]]);
		     i = (i - 1) / 2)
			heap[i] = heap[(i - 1) / 2];
		heap[i] = p;
	}
	while (nheap) {
		unsigned top = heap[0], i = 0, x;
		const struct rpart *pt = &c->parts[top];

		pfx[u] = pt->pfx[pos[top]];
		ents[u++] = pt->ents[pos[top]];
		if (++pos[top] == pt->n)
			top = heap[--nheap];
		/* sift top down from the root */
		x = top;
		for (;;) {
			unsigned l = 2 * i + 1, m;

			if (l >= nheap)
				break;
			m = l + 1 < nheap && part_less(c, heap[l + 1], pos[heap[l + 1]],
						       heap[l], pos[heap[l]]) ? l + 1 : l;
			if (!part_less(c, heap[m], pos[heap[m]], x, pos[x]))
				break;
			heap[i] = heap[m];
			i = m;
		}
		if (nheap)
			heap[i] = x;
	}
	for (unsigned p = 0; p < NPARTS; p++) {
		free(c->parts[p].pfx);
		free(c->parts[p].ents);
		c->parts[p] = (struct rpart){ 0 };
	}
	rc = index_load(&c->kv->index, total, pfx, ents);
	free(pfx);
	free(ents);
	return rc;
}

/* the first failure wins; its message is the failing thread's own */
static void fail(struct rctx *c, int rc)
{
	int none = 0;

	if (__atomic_compare_exchange_n(&c->rc, &none, rc, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		snprintf(c->msg, sizeof(c->msg), "%s", pmkv_errormsg());
}

static void *phase_read(void *arg)
{
	struct rthread *rt = arg;
	struct rctx *c = rt->c;
	size_t i;

	while ((i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED)) < c->nsegs) {
		int rc = scan_segment(c, rt->id, c->segs[i]);

		if (rc) {
			fail(c, rc);
			break;
		}
	}
	return NULL;
}

static void *phase_build(void *arg)
{
	struct rthread *rt = arg;
	struct rctx *c = rt->c;
	struct scratch *sc = &c->scratch[rt->id];
	size_t i;

	while ((i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED)) < NPARTS) {
		int rc = build_part(c, sc, (unsigned)i);

		if (rc) {
			fail(c, rc);
			break;
		}
	}
	/* summed here, once a segment, not with an atomic add a key */
	for (uint32_t s = 0; sc->live && s < c->kv->nsegs_max; s++)
		if (sc->live[s])
			__atomic_fetch_add(&c->kv->segs[s]->live, sc->live[s],
					   __ATOMIC_RELAXED);
	return NULL;
}

/* run fn on every thread of c, the calling one included */
static void run_phase(struct rctx *c, void *(*fn)(void *))
{
	pthread_t tids[MAX_THREADS];
	struct rthread rt[MAX_THREADS];
	unsigned started = 1;

	c->next = 0;
	for (unsigned t = 0; t < c->nthreads; t++)
		rt[t] = (struct rthread){ .c = c, .id = t };
	for (unsigned t = 1; t < c->nthreads; t++) {
		if (pthread_create(&tids[t], NULL, fn, &rt[t]))
			break;	/* fewer helpers: the work still gets done */
		started++;
	}
	fn(&rt[0]);
	for (unsigned t = 1; t < started; t++)
		pthread_join(tids[t], NULL);
}

int recovery_run(struct pmkv *kv)
{
	uint64_t t0 = now_ns(), t1, max_version = 0;
	struct rctx c = { .kv = kv, .fd = -1 };
	size_t trimmed;
	long ncpu;
	int rc = 0;

	rc = segment_load(kv, &c.segs, &c.nsegs);
	if (rc)
		goto out;
	/* after a clean close, the index saved then; 1: read the log */
	rc = checkpoint_load(kv, c.segs, c.nsegs);
	if (rc <= 0)
		goto out;
	rc = 0;
	/* a thread per CPU, but not more threads than segments to read */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c.nthreads = ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : (unsigned)ncpu;
	if (c.nthreads > c.nsegs)
		c.nthreads = c.nsegs ? (unsigned)c.nsegs : 1;
	c.vecs = calloc(c.nthreads, sizeof(*c.vecs));
	if (!c.vecs) {
		rc = pmkv_err(-ENOMEM, "no memory for recovery");
		goto out;
	}
	if (kv->media != PMKV_MEDIA_DEVDAX)
		c.fd = open(kv->path, O_RDONLY | O_CLOEXEC);
	run_phase(&c, phase_read);
	t1 = now_ns();
	if (!c.rc)
		run_phase(&c, phase_build);
	if (!c.rc)
		c.rc = merge_load(&c);
	if (c.rc == -ENOMEM) {
		rc = pmkv_err(c.rc, "%s: no memory to rebuild the index", kv->path);
		goto out;
	}
	if (c.rc) {
		rc = err_quiet(c.rc, "%s", c.msg);	/* logged where it failed */
		goto out;
	}
	for (unsigned t = 0; t < c.nthreads; t++) {
		if (c.scratch[t].max_version > max_version)
			max_version = c.scratch[t].max_version;
		kv->recovered_records += c.scratch[t].records;
	}
	kv->version = max_version + 1;
	/* item blocks that no tree needed: with many records a key */
	trimmed = arena_trim(&kv->nodes, sizeof(struct rblock));
	kv->recovery_ns = now_ns() - t0;
	log_info("%s: recovered %llu records from %zu segments with %u threads: read %llu ms, index %llu ms, %zu bytes of items trimmed",
		 kv->path, (unsigned long long)kv->recovered_records, c.nsegs,
		 c.nthreads, (unsigned long long)((t1 - t0) / 1000000),
		 (unsigned long long)((now_ns() - t1) / 1000000), trimmed);
out:
	for (unsigned t = 0; t < MAX_THREADS; t++)
		scratch_free(&c.scratch[t]);
	if (c.fd >= 0)
		close(c.fd);
	for (unsigned p = 0; p < NPARTS; p++) {
		free(c.parts[p].pfx);
		free(c.parts[p].ents);
	}
	free(c.vecs);
	free(c.segs);
	return rc;
}
