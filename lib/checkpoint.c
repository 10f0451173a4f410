// SPDX-License-Identifier: BSD-3-Clause
/*
 * checkpoint.c -- the DRAM index saved at a clean close, loaded at open
 *
 * Reading the whole log at open costs seconds for ten million records:
 * every segment read, every record checksummed, every key sorted. After a
 * clean close nothing in the log changed since the handle last knew its
 * index, so the close saves what recovery would compute (every index
 * entry with its key prefix, each segment's used and live bytes, the next
 * record version) and the next open loads it in one sequential pass.
 *
 * The protocol (doc/format.md section 12), in the order of the stores:
 *
 *   close: the checkpoint (header, segment table, prefixes, entries) is
 *          copied into a run of free slots, and the superblock's ckpt_off
 *          and ckpt_seq = G are flushed; one fence. Then ckpt_gen = G,
 *          one 8-byte store, and a fence: that store publishes it.
 *   open:  trusted only if ckpt_gen names it (G, the pool's uuid, a
 *          header checksum), every array's XXH3_128 matches and the
 *          segments segment_load() found are exactly those it lists
 *          (slot, id, size, reclaim word); else the log is read.
 *          A read-write open then stores ckpt_gen = 0 and fences before
 *          anything else writes: once a record may change the log, no
 *          checkpoint is named, and a crash leaves the log to be read.
 *
 * A crash anywhere in the close leaves ckpt_gen 0 or an older G whose
 * header at ckpt_off is gone or does not match: the log is read. The
 * slots stay free in the slot table; the next segment allocated there
 * overwrites the checkpoint, which by then is named by nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "checkpoint.h"
#include "format.h"
#include "index.h"
#include "internal.h"
#include "record.h"
#include "segment.h"
#include "warm.h"

/* the index's entries are stored as they are: one copy, no conversion */
_Static_assert(sizeof(struct ientry) == sizeof(struct pmkv_ckpt_entry) &&
	       offsetof(struct ientry, off) == offsetof(struct pmkv_ckpt_entry, off) &&
	       offsetof(struct ientry, count) == offsetof(struct pmkv_ckpt_entry, count) &&
	       offsetof(struct ientry, seg) == offsetof(struct pmkv_ckpt_entry, seg),
	       "struct ientry is struct pmkv_ckpt_entry");

/* the copy read at open is mapped in these: few page faults */
#define HUGE_PAGE (2UL << 20)

/* entries staged in DRAM before each copy to the pool: 96 KiB */
#define STAGE 4096

struct writing {
	struct pmkv *kv;
	uint64_t *pfx;			/* in the pool */
	struct pmkv_ckpt_entry *ents;	/* in the pool */
	uint64_t n, done, nlive;
	size_t staged;
	XXH3_state_t hp, he;
	uint64_t spfx[STAGE];
	struct pmkv_ckpt_entry sents[STAGE];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void hash_store(uint64_t out[2], XXH128_hash_t h)
{
	out[0] = h.low64;
	out[1] = h.high64;
}

static bool hash_eq(const uint64_t want[2], XXH128_hash_t h)
{
	return want[0] == h.low64 && want[1] == h.high64;
}

/*
 * PMKV_CHECKPOINT=0: neither written nor read, every open reads the log
 * (pmkv.7; the damage suite judges the log's policy with it)
 */
static bool enabled(void)
{
	const char *v = secure_getenv("PMKV_CHECKPOINT");

	return !v || strcmp(v, "0") != 0;
}

static int count_one(void *arg, uint64_t pfx, const struct ientry *e)
{
	(void)pfx;
	(void)e;
	(*(uint64_t *)arg)++;
	return 0;
}

static void stage_out(struct writing *w)
{
	const struct persist_ops *ops = w->kv->persist;
	struct persist_ctx *pc = &w->kv->misc_pc;

	ops->copy(pc, w->pfx + w->done, w->spfx, w->staged * sizeof(uint64_t));
	ops->copy(pc, w->ents + w->done, w->sents,
		  w->staged * sizeof(struct pmkv_ckpt_entry));
	XXH3_128bits_update(&w->hp, w->spfx, w->staged * sizeof(uint64_t));
	XXH3_128bits_update(&w->he, w->sents,
			    w->staged * sizeof(struct pmkv_ckpt_entry));
	w->done += w->staged;
	w->staged = 0;
}

static int write_one(void *arg, uint64_t pfx, const struct ientry *e)
{
	struct writing *w = arg;

	/* writers are quiet at close: the walk gives what the count saw */
	if (w->done + w->staged == w->n)
		return -EOVERFLOW;
	w->spfx[w->staged] = pfx;
	memcpy(&w->sents[w->staged], e, sizeof(*e));
	w->nlive += !(e->off & IE_TOMB);
	if (e->seg >= w->kv->nsegs_max)
		return -EOVERFLOW;
	if (++w->staged == STAGE)
		stage_out(w);
	return 0;
}

/* the segment table, in slot order as segment_load() lists segments */
static uint64_t segs_write(struct pmkv *kv, struct pmkv_ckpt_seg *dst,
			   uint64_t hash[2])
{
	const struct persist_ops *ops = kv->persist;
	XXH3_state_t st;
	uint64_t n = 0;

	XXH3_128bits_reset(&st);
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		const struct seg *s = kv->segs[i];
		struct pmkv_ckpt_seg e = { 0 };

		if (!s)
			continue;
		e.slot = s->slot;
		e.flags = s->appendable ? PMKV_CKPT_SEG_APPENDABLE : 0;
		e.id = s->id;
		e.size = s->size;
		e.reclaim = s->reclaim;
		e.used = s->used;
		/*
		 * the running sum, exact with writers quiet: check_run()
		 * recounts it from the records (a read of every newest record,
		 * seconds at ten million keys: not at every close)
		 */
		e.live = __atomic_load_n(&s->live, __ATOMIC_RELAXED);
		ops->copy(&kv->misc_pc, dst + n++, &e, sizeof(e));
		XXH3_128bits_update(&st, &e, sizeof(e));
	}
	hash_store(hash, XXH3_128bits_digest(&st));
	return n;
}

/* where a checkpoint of this many bytes goes: 0 when there is no room */
static uint64_t place(struct pmkv *kv, uint64_t bytes)
{
	uint64_t span = (bytes + kv->segment_size - 1) / kv->segment_size;
	uint32_t slot;
	uint64_t off;

	if (span > kv->nsegs_max)
		return 0;
	slot = segment_free_run(kv, (uint32_t)span);
	if (slot == kv->nsegs_max)
		return 0;
	off = format_slot_off(kv->sb, slot);
	/* never stored to: a store to a bad block is a machine check */
	return badblocks_hit(&kv->bad, off, bytes) ? 0 : off;
}

/* The arrays, written as the index walks. No fence. */
static int body_write(struct pmkv *kv, struct pmkv_ckpt *h, uint8_t *at)
{
	struct writing *w = malloc(sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->kv = kv;
	w->pfx = (uint64_t *)(at + h->pfx_off);
	w->ents = (struct pmkv_ckpt_entry *)(at + h->ents_off);
	w->n = h->nentries;
	w->done = w->staged = w->nlive = 0;
	XXH3_128bits_reset(&w->hp);
	XXH3_128bits_reset(&w->he);
	rc = index_walk(&kv->index, write_one, w);
	if (!rc && w->staged)
		stage_out(w);
	if (!rc && w->done != w->n)
		rc = -EOVERFLOW;
	hash_store(h->pfx_hash, XXH3_128bits_digest(&w->hp));
	hash_store(h->ents_hash, XXH3_128bits_digest(&w->he));
	h->nlive = w->nlive;
	free(w);
	return rc;
}

void checkpoint_write(struct pmkv *kv)
{
	struct pmkv_super *sb = kv->sb;
	const struct persist_ops *ops = kv->persist;
	uint64_t t0 = now_ns(), n = 0, nsegs = kv->nsegs, off;
	struct pmkv_ckpt h = { .magic = PMKV_CKPT_MAGIC };
	uint8_t *at;
	int rc;

	if (kv->rdonly || kv->from_copy || sb->restoring || kv->misc_pc.error ||
	    __atomic_load_n(&kv->poisoned, __ATOMIC_RELAXED) || !enabled())
		return;
	index_walk(&kv->index, count_one, &n);
	h.format_major = PMKV_FORMAT_MAJOR;
	h.format_minor = PMKV_FORMAT_MINOR;
	h.gen = sb->ckpt_seq + 1;
	memcpy(h.uuid, sb->uuid, sizeof(h.uuid));
	h.nentries = n;
	h.nsegs = nsegs;
	h.version = kv->version;
	h.segs_off = sizeof(h);
	h.pfx_off = h.segs_off + nsegs * sizeof(struct pmkv_ckpt_seg);
	h.ents_off = h.pfx_off + n * sizeof(uint64_t);
	h.bytes = h.ents_off + n * sizeof(struct pmkv_ckpt_entry);
	off = place(kv, h.bytes);
	if (!off) {
		log_info("%s: no run of free slots for an index checkpoint of %llu bytes: the next open reads the log",
			 kv->path, (unsigned long long)h.bytes);
		return;
	}
	at = kv_ptr(kv, off);
	rc = body_write(kv, &h, at);
	if (!rc && segs_write(kv, (void *)(at + h.segs_off), h.segs_hash) !=
		   nsegs)
		rc = -EOVERFLOW;
	if (rc) {
		log_warn("%s: no index checkpoint: %s", kv->path,
			 rc == -ENOMEM ? "no memory" :
			 "the index changed while it was saved");
		return;
	}
	h.csum = XXH3_64bits(&h, offsetof(struct pmkv_ckpt, csum));
	ops->copy(&kv->misc_pc, at, &h, sizeof(h));
	sb->ckpt_off = off;
	sb->ckpt_seq = h.gen;
	ops->flush(&kv->misc_pc, &sb->ckpt_off, 2 * sizeof(uint64_t));
	/* all of it durable before the superblock names it */
	ops->fence(&kv->misc_pc);
	if (persist_check(kv, &kv->misc_pc))
		return;
	__atomic_store_n(&sb->ckpt_gen, h.gen, __ATOMIC_RELAXED);
	persist_range(ops, &kv->misc_pc, &sb->ckpt_gen, sizeof(sb->ckpt_gen));
	if (persist_check(kv, &kv->misc_pc))
		return;
	log_info("%s: index checkpoint %llu: %llu entries, %llu segments, %llu bytes at pool offset %llu, in %llu ms",
		 kv->path, (unsigned long long)h.gen, (unsigned long long)n,
		 (unsigned long long)nsegs, (unsigned long long)h.bytes,
		 (unsigned long long)off,
		 (unsigned long long)((now_ns() - t0) / 1000000));
}

/* not trusted: the log is read. Returns 1, checkpoint_load()'s answer. */
static int __attribute__((format(printf, 2, 3)))
unusable(struct pmkv *kv, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_info("%s: index checkpoint not used, reading the log: %s",
		 kv->path, why);
	return 1;
}

/*
 * The header at the superblock's ckpt_off, if it is the one ckpt_gen
 * names, whole and of this pool, with its arrays where they must be;
 * NULL (logged) if not
 */
static const struct pmkv_ckpt *header_of(struct pmkv *kv)
{
	const struct pmkv_super *sb = kv->sb;
	const struct pmkv_ckpt *h;
	uint64_t off = sb->ckpt_off, room, n;

	if (off % PMKV_SLOT_ALIGN || off > sb->pool_size ||
	    sb->pool_size - off < sizeof(*h)) {
		unusable(kv, "its offset %llu lies outside the pool",
			 (unsigned long long)off);
		return NULL;
	}
	h = kv_ptr(kv, off);
	if (h->magic != PMKV_CKPT_MAGIC ||
	    h->csum != XXH3_64bits(h, offsetof(struct pmkv_ckpt, csum))) {
		unusable(kv, "no whole header at offset %llu",
			 (unsigned long long)off);
		return NULL;
	}
	if (h->gen != sb->ckpt_gen || memcmp(h->uuid, sb->uuid, sizeof(h->uuid)) ||
	    h->format_major != PMKV_FORMAT_MAJOR) {
		unusable(kv, "the header at offset %llu is generation %llu of format %u, the superblock names %llu",
			 (unsigned long long)off,
			 (unsigned long long)h->gen, h->format_major,
			 (unsigned long long)sb->ckpt_gen);
		return NULL;
	}
	room = sb->pool_size - off;
	n = h->nentries;
	if (h->bytes > room || h->nsegs > kv->nsegs_max ||
	    n > room / (sizeof(uint64_t) + sizeof(struct pmkv_ckpt_entry)) ||
	    h->segs_off != sizeof(*h) ||
	    h->pfx_off != h->segs_off + h->nsegs * sizeof(struct pmkv_ckpt_seg) ||
	    h->ents_off != h->pfx_off + n * sizeof(uint64_t) ||
	    h->bytes != h->ents_off + n * sizeof(struct pmkv_ckpt_entry)) {
		unusable(kv, "its sizes do not add up");
		return NULL;
	}
	return h;
}

/*
 * A copy of the checkpoint's bytes made with pread() into memory on huge
 * pages, or NULL: then the caller reads the mapping. On a file the kernel
 * copies from its page cache without faulting in the mapping's 4 KiB
 * pages one by one, which under a hypervisor costs more than hashing
 * them (recovery.c's read_copy()). The copy's header must be the
 * mapping's, or the file is not laid out as mapped.
 */
static uint8_t *copy_in(struct pmkv *kv, const struct pmkv_ckpt *h,
			size_t *len)
{
	uint64_t done = 0;
	uint8_t *buf;
	int fd;

	if (kv->media == PMKV_MEDIA_DEVDAX)
		return NULL;
	*len = (h->bytes + HUGE_PAGE - 1) & ~(uint64_t)(HUGE_PAGE - 1);
	buf = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(buf, *len, MADV_HUGEPAGE);
#endif
	warm_populate(buf, *len);
	fd = open(kv->path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && done < h->bytes) {
		ssize_t n = pread(fd, buf + done, h->bytes - done,
				  (off_t)(kv->sb->ckpt_off + done));

		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		done += n > 0 ? (uint64_t)n : 0;
	}
	if (fd >= 0)
		close(fd);
	if (done != h->bytes || memcmp(buf, h, sizeof(*h))) {
		munmap(buf, *len);
		return NULL;
	}
	return buf;
}

/* the pool's segments are exactly those the checkpoint lists */
static bool segs_match(const struct pmkv_ckpt_seg *cs, struct seg **segs,
		       size_t nsegs)
{
	for (size_t i = 0; i < nsegs; i++)
		if (cs[i].slot != segs[i]->slot || cs[i].id != segs[i]->id ||
		    cs[i].size != segs[i]->size ||
		    cs[i].reclaim != segs[i]->reclaim ||
		    cs[i].used < PMKV_SEGMENT_DATA || cs[i].used > cs[i].size)
			return false;
	return true;
}

/* whether the checkpoint may stand in for the log at all */
static int usable(struct pmkv *kv)
{
	const struct pmkv_super *sb = kv->sb;
	const struct shutdown *s = &kv->shutdown;

	if (kv->salvage || kv->from_copy || sb->restoring)
		return 0;
	if (!enabled()) {
		unusable(kv, "PMKV_CHECKPOINT=0");
		return 0;
	}
	if (!sb->ckpt_gen) {
		unusable(kv, "none (the pool was not closed cleanly, or had no room for one)");
		return 0;
	}
	/* the log is read around them: the checkpoint would trust them */
	if (kv->bad.n) {
		unusable(kv, "%zu known media errors", kv->bad.n);
		return 0;
	}
	/* fenced stores may be lost: every checksum must be verified */
	if (s->known && sb->open_device == s->device && sb->open_usc != s->usc) {
		unusable(kv, "an unsafe shutdown since the last open");
		return 0;
	}
	return 1;
}

/* the arrays hash as the header says, and list the pool's segments */
static bool body_valid(struct pmkv *kv, const struct pmkv_ckpt *h,
		       const uint8_t *at, struct seg **segs, size_t nsegs)
{
	if (!hash_eq(h->segs_hash, XXH3_128bits(at + h->segs_off,
						h->pfx_off - h->segs_off)) ||
	    !hash_eq(h->pfx_hash, XXH3_128bits(at + h->pfx_off,
					       h->ents_off - h->pfx_off)) ||
	    !hash_eq(h->ents_hash, XXH3_128bits(at + h->ents_off,
						h->bytes - h->ents_off)))
		return !unusable(kv, "it fails its checksum");
	if (!segs_match((const void *)(at + h->segs_off), segs, nsegs))
		return !unusable(kv, "the pool's segments are not those it lists");
	return true;
}

int checkpoint_load(struct pmkv *kv, struct seg **segs, size_t nsegs)
{
	uint64_t t0 = now_ns(), t1;
	const struct pmkv_ckpt *h;
	const struct pmkv_ckpt_seg *cs;
	const uint8_t *at;
	uint8_t *copy;
	size_t len = 0;
	int rc;

	if (!usable(kv) || !(h = header_of(kv)))
		return 1;
	if (h->nsegs != nsegs)
		return unusable(kv, "it lists %llu segments, the pool has %zu",
				(unsigned long long)h->nsegs, nsegs);
	copy = copy_in(kv, h, &len);
	at = copy ? copy : (const uint8_t *)h;
	if (!body_valid(kv, h, at, segs, nsegs)) {
		if (copy)
			munmap(copy, len);
		return 1;
	}
	t1 = now_ns();
	/* no record was read: a key read from one is checked (index.h) */
	kv->index.verify_keys = true;
	rc = index_load(&kv->index, h->nentries,
			(const uint64_t *)(at + h->pfx_off),
			(const struct ientry *)(at + h->ents_off));
	if (copy && rc)
		munmap(copy, len);
	if (rc)
		kv->index.verify_keys = false;
	if (rc == -ENOMEM)
		return pmkv_err(rc, "%s: no memory to load the index", kv->path);
	/* left empty: a separator's record was damaged since the close */
	if (rc)
		return unusable(kv, "a key it needs fails its checksum");
	PMKV_ASSERT(index_nkeys(&kv->index) == h->nlive);
	cs = (const void *)(at + h->segs_off);
	for (size_t i = 0; i < nsegs; i++) {
		segs[i]->used = cs[i].used;
		segs[i]->live = cs[i].live;
		segs[i]->appendable = cs[i].flags & PMKV_CKPT_SEG_APPENDABLE;
	}
	kv->version = h->version;
	kv->recovery_ns = now_ns() - t0;
	log_info("%s: index loaded from checkpoint %llu: %llu entries, %zu segments, %llu bytes%s; checked in %llu ms, loaded in %llu ms",
		 kv->path, (unsigned long long)h->gen,
		 (unsigned long long)h->nentries, nsegs,
		 (unsigned long long)h->bytes, copy ? " (read)" : "",
		 (unsigned long long)((t1 - t0) / 1000000),
		 (unsigned long long)((now_ns() - t1) / 1000000));
	if (copy)
		munmap(copy, len);
	return 0;
}

void checkpoint_forget(struct pmkv *kv)
{
	struct pmkv_super *sb = kv->sb;

	if (kv->rdonly || !sb->ckpt_gen)
		return;
	__atomic_store_n(&sb->ckpt_gen, 0, __ATOMIC_RELAXED);
	/* before any commit: a crash after one must not find it named */
	persist_range(kv->persist, &kv->misc_pc, &sb->ckpt_gen,
		      sizeof(sb->ckpt_gen));
	persist_check(kv, &kv->misc_pc);
}
