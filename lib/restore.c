// SPDX-License-Identifier: BSD-3-Clause
/*
 * restore.c -- pmkv_restore and pmkv_verify: a backup chain read back
 *
 * Restore makes a new pool marked restoring (no open accepts it), places
 * each segment of the backup in free slots, and reads its bytes by direct
 * I/O straight into the pool's pages: the device writes into them, device
 * DAX and fsdax pages included. Inbound DMA may stop in the CPU caches
 * (DDIO), so every byte is flushed before it counts; the rest of each
 * segment is zeroed and its header written anew for the new pool. One
 * fence; then the usual recovery reads the pool and checks both checksums
 * of every record, and only then is restoring cleared (pmkv.c). A crash
 * or a failure anywhere before leaves a pool that opens as
 * PMKV_E_CORRUPT, never one that looks whole.
 *
 * Verify reads the same bytes into a buffer instead, and checks every
 * record as recovery would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "backup_file.h"
#include "format.h"
#include "internal.h"
#include "record.h"
#include "segment.h"
#include "transfer.h"

struct restore {
	struct bchain c;
	const struct pmkv_transfer_config *tc;
	uint64_t *offs;		/* pool offset of each segment of the top table */
	uint32_t *slots;
	uint64_t total, bytes, bounce_bytes;
	enum pmkv_transfer_path path;
	bool filled;		/* the pool holds the chain: recovery checks it */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* bytes the chain moves for the top table's segments */
static uint64_t chain_bytes(const struct bchain *c)
{
	const struct bfile *top = backup_file_top(c);
	uint64_t n = 0;

	for (unsigned k = 0; k < c->n; k++)
		for (uint32_t i = 0; i < c->f[k].h->nsegs; i++)
			if (backup_file_find(top, c->f[k].segs[i].id))
				n += c->f[k].segs[i].len;
	return n;
}

/* a piece read into the pool, flushed as soon as the device is done */
struct piece {
	struct pmkv *kv;
	uint8_t *mem;
	uint64_t len;
};

static void piece_arrived(void *arg)
{
	struct piece *p = arg;

	/* inbound DMA may wait in the CPU caches (DDIO): flush it now,
	   while the device goes on with the other requests */
	p->kv->persist->flush(&p->kv->misc_pc, p->mem, p->len);
}

/*
 * Read every piece of the chain, the oldest first, into the segments'
 * places in the pool. A piece of an older backup for a segment that is
 * gone by the top one is skipped.
 */
static int read_chain(struct restore *r, struct pmkv *kv)
{
	const struct bfile *top = backup_file_top(&r->c);
	struct xfer x;
	int rc = 0;

	for (unsigned k = 0; k < r->c.n && !rc; k++) {
		const struct bfile *f = &r->c.f[k];
		size_t n = f->h->nsegs ? f->h->nsegs : 1;
		struct iovec *reg = calloc(n, sizeof(*reg));
		struct piece *p = calloc(n, sizeof(*p));
		unsigned np = 0;

		if (!reg || !p) {
			free(reg);
			free(p);
			return pmkv_err(-ENOMEM, "no memory for %u ranges",
					f->h->nsegs);
		}
		for (uint32_t i = 0; i < f->h->nsegs && !rc; i++) {
			const struct pmkv_backup_seg *e = &f->segs[i];
			const struct pmkv_backup_seg *t = backup_file_find(top, e->id);

			if (!e->len || !t)
				continue;
			if (e->size != t->size)
				rc = pmkv_err(PMKV_E_CORRUPT, "%s: segment %llu has another size in %s",
					      f->path, (unsigned long long)e->id,
					      top->path);
			p[np] = (struct piece){ kv, kv_ptr(kv, r->offs[t - top->segs]) +
						e->from, e->len };
			/* the pages this file's pieces land in, and only they */
			reg[np] = (struct iovec){ p[np].mem, e->len };
			np++;
		}
		if (!rc)
			rc = transfer_start(&x, f->path, f->fd, false, f->direct,
					    r->tc, reg, np, r->total);
		free(reg);
		if (rc) {
			free(p);
			return rc;
		}
		x.done = r->bytes;
		for (unsigned i = 0, j = 0; i < f->h->nsegs && !x.error; i++) {
			const struct pmkv_backup_seg *e = &f->segs[i];

			if (!e->len || !backup_file_find(top, e->id))
				continue;
			transfer_add(&x, p[j].mem, e->file_off, e->len,
				     piece_arrived, &p[j]);
			j++;
		}
		rc = transfer_wait(&x);
		transfer_end(&x);
		free(p);
		r->bytes += x.bytes;
		r->bounce_bytes += x.bounce_bytes;
		if (r->path == PMKV_PATH_NONE || x.path > r->path)
			r->path = x.path;	/* the slowest path taken */
		if (rc == -ENODATA)
			rc = pmkv_err(PMKV_E_CORRUPT, "%s: cut short", f->path);
	}
	return rc;
}

/* the header the backup holds for a segment: this pool's then */
static const char *header_problem(const struct pmkv_segment *h,
				  const struct pmkv_backup_seg *e,
				  const uint8_t *pool_uuid)
{
	if (h->magic != PMKV_SEGMENT_MAGIC ||
	    h->csum != XXH64(h, offsetof(struct pmkv_segment, csum), 0) ||
	    memcmp(h->uuid, pool_uuid, sizeof(h->uuid)))
		return "its header is damaged";
	if (h->id != e->id || h->size != e->size)
		return "its header names another segment";
	return NULL;
}

/* pmkv_open_with()'s fill: the chain into the new pool, before recovery */
static int fill(struct pmkv *kv, void *arg)
{
	struct restore *r = arg;
	const struct bfile *top = backup_file_top(&r->c);
	const struct pmkv_backup_header *th = top->h;
	int rc;

	if (kv->segment_size != th->segment_size)
		return pmkv_err(-EINVAL, "%s: segments of %" PRIu64 " bytes, the backup's are %" PRIu64 ": restore into a pool of the backup's size (%" PRIu64 " bytes)",
				kv->path, kv->segment_size, th->segment_size,
				th->pool_size);
	r->offs = calloc(th->nsegs ? th->nsegs : 1, sizeof(*r->offs));
	r->slots = calloc(th->nsegs ? th->nsegs : 1, sizeof(*r->slots));
	if (!r->offs || !r->slots)
		return pmkv_err(-ENOMEM, "no memory for %u segments", th->nsegs);
	for (uint32_t i = 0; i < th->nsegs; i++)
		if (segment_restore_claim(kv, top->segs[i].size, &r->slots[i],
					  &r->offs[i]))
			return pmkv_err(-ENOSPC, "%s: no room for segment %u of %u (%" PRIu64 " bytes): the pool is smaller than the backup's",
					kv->path, i + 1, th->nsegs,
					top->segs[i].size);
	uint64_t t0 = now_ns();

	rc = read_chain(r, kv);
	if (rc)
		return rc;
	log_info("%s: read %llu bytes in %llu us", kv->path,
		  (unsigned long long)r->bytes,
		  (unsigned long long)((now_ns() - t0) / 1000));
	t0 = now_ns();
	for (uint32_t i = 0; i < th->nsegs; i++) {
		const struct pmkv_backup_seg *e = &top->segs[i];
		uint8_t *m = kv_ptr(kv, r->offs[i]);
		const char *why = header_problem((const void *)m, e, th->pool_uuid);

		if (why)
			return pmkv_err(PMKV_E_CORRUPT, "%s: segment %" PRIu64 ": %s",
					top->path, e->id, why);
		/* past the end: whatever the copy or the medium held */
		memset(m + e->used, 0, e->size - e->used);
		kv->persist->flush(&kv->misc_pc, m + e->used, e->size - e->used);
		segment_restore_publish(kv, r->slots[i], e->id, e->size, e->used);
	}
	/*
	 * the restored segments keep their ids; new ones start far past
	 * them, so that the backed-up pool's later segments, which the
	 * medium may still hold, are never taken for the new pool's
	 */
	kv->sb->next_segment_id = th->next_segment_id +
				  (format_first_segment_id(kv->sb->uuid) >> 30);
	kv->id_limit = kv->sb->next_segment_id;
	kv->persist->flush(&kv->misc_pc, &kv->sb->next_segment_id,
			   sizeof(kv->sb->next_segment_id));
	kv->persist->fence(&kv->misc_pc);
	segment_restore_done(kv);
	r->filled = true;
	log_info("%s: zeroed, flushed and published in %llu us", kv->path,
		  (unsigned long long)((now_ns() - t0) / 1000));
	return kv->misc_pc.error ? persist_check(kv, &kv->misc_pc) : 0;
}

static void report(const struct restore *r, uint64_t records,
		   struct pmkv_transfer_report *rep, size_t rep_size,
		   uint64_t t0)
{
	const struct pmkv_backup_header *h = backup_file_top(&r->c)->h;
	struct pmkv_transfer_report o = { 0 };

	if (!rep)
		return;
	o.path = r->path;
	o.chain = r->c.n;
	o.bytes = r->bytes;
	o.bounce_bytes = r->bounce_bytes;
	o.segments = h->nsegs;
	for (uint32_t i = 0; i < h->nsegs; i++)
		o.segments_copied += backup_file_top(&r->c)->segs[i].len != 0;
	o.records = records;
	o.version = h->version;
	o.elapsed_ns = now_ns() - t0;
	memcpy(o.uuid, h->uuid, sizeof(o.uuid));
	memcpy(o.base_uuid, h->base_uuid, sizeof(o.base_uuid));
	memcpy(o.pool_uuid, h->pool_uuid, sizeof(o.pool_uuid));
	memcpy(rep, &o, rep_size < sizeof(o) ? rep_size : sizeof(o));
}

int pmkv_restore(const char *backup, const char *path,
		 const struct pmkv_config *cfg,
		 const struct pmkv_transfer_config *tc,
		 struct pmkv_transfer_report *rep, size_t rep_size)
{
	struct restore r = { .tc = tc ? tc : &transfer_config_default };
	struct pmkv_config c = { .mode = 0600 };
	uint64_t t0 = now_ns(), records = 0;
	struct pmkv *kv = NULL;
	bool existed;
	int rc;

	if (!backup || !path || !*backup || !*path)
		return pmkv_err(-EINVAL, "backup or path is NULL or empty");
	if (cfg)
		c = *cfg;
	rc = backup_file_chain_open(&r.c, backup, r.tc);
	if (rc)
		return rc;
	r.total = chain_bytes(&r.c);
	c.flags = PMKV_F_CREATE | (c.flags & PMKV_F_NO_HELPER);
	c.restore = true;
	c.segment_size = backup_file_top(&r.c)->h->segment_size;
	if (!c.size && strncmp(path, "/dev/dax", 8))
		c.size = backup_file_top(&r.c)->h->pool_size;
	existed = access(path, F_OK) == 0;
	rc = pmkv_open_with(path, &c, fill, &r, &kv);
	if (!rc) {
		struct pmkv_stats st;

		pmkv_get_stats(kv, &st, sizeof(st));
		records = st.recovered_records;
		pmkv_close(&kv);
		report(&r, records, rep, rep_size, t0);
	} else if (rc == PMKV_E_CORRUPT && r.filled) {
		char *why = strdup(pmkv_errormsg());

		rc = pmkv_err(rc, "%s: a record fails its checks once restored (pmkv_verify names its place in the backup): %s",
			      backup, why ? why : "");
		free(why);
	}
	if (rc && !existed && rc != -EEXIST) {
		/* a pool that cannot become valid is of no use to anyone */
		unlink(path);
	}
	backup_file_chain_close(&r.c);
	free(r.offs);
	free(r.slots);
	return rc;
}

/* the backup file, and its offset, that holds byte pos of segment id */
static const char *where(const struct bchain *c, uint64_t id, uint64_t pos,
			 uint64_t *file_off)
{
	for (unsigned k = c->n; k-- > 0;) {
		const struct pmkv_backup_seg *e = backup_file_find(&c->f[k], id);

		if (e && e->len && pos >= e->from && pos < e->from + e->len) {
			*file_off = e->file_off + (pos - e->from);
			return c->f[k].path;
		}
	}
	*file_off = 0;
	return backup_file_top(c)->path;
}

/* every record of a segment's bytes, as recovery checks them */
static int check_segment(const struct bchain *c,
			 const struct pmkv_backup_seg *e, const uint8_t *m,
			 uint64_t *records)
{
	const struct pmkv_backup_header *h = backup_file_top(c)->h;
	const char *why = header_problem((const void *)m, e, h->pool_uuid);
	uint64_t pos = why ? 0 : PMKV_SEGMENT_DATA, file_off;

	while (!why && pos < e->used) {
		const struct pmkv_record *r = (const void *)(m + pos);

		if (!rec_header_valid(r, pos, e->used, e->id, h->key_max,
				      h->value_max))
			why = "a record whose header fails its checks";
		else if (!rec_value_valid(r))
			why = "a value that fails its checksum";
		else if (r->version >= h->version)
			why = "a record newer than the backup";
		else {
			pos += rec_size(r);
			(*records)++;
		}
	}
	if (!why)
		return 0;
	const char *file = where(c, e->id, pos, &file_off);

	return pmkv_err(PMKV_E_CORRUPT, "%s: segment %" PRIu64 ", offset %" PRIu64 " (byte %" PRIu64 " of %s): %s",
			backup_file_top(c)->path, e->id, pos, file_off, file, why);
}

int pmkv_verify(const char *backup, const struct pmkv_transfer_config *tc,
		struct pmkv_transfer_report *rep, size_t rep_size)
{
	struct restore r = { .tc = tc ? tc : &transfer_config_default };
	const struct bfile *top;
	uint64_t t0 = now_ns(), records = 0, max = 0;
	struct xfer *x = NULL;
	uint8_t *buf = NULL;
	int rc;

	if (!backup || !*backup)
		return pmkv_err(-EINVAL, "backup is NULL or empty");
	rc = backup_file_chain_open(&r.c, backup, r.tc);
	if (rc)
		return rc;
	top = backup_file_top(&r.c);
	r.total = chain_bytes(&r.c);
	for (uint32_t i = 0; i < top->h->nsegs; i++)
		if (top->segs[i].size > max)
			max = top->segs[i].size;
	x = calloc(r.c.n, sizeof(*x));
	buf = aligned_alloc(PMKV_SLOT_ALIGN, max ? max : PMKV_SLOT_ALIGN);
	if (!x || !buf) {
		rc = pmkv_err(-ENOMEM, "no memory for a segment of %" PRIu64 " bytes",
			      max);
		goto out;
	}
	for (unsigned k = 0; k < r.c.n && !rc; k++) {
		struct iovec reg = { buf, max ? max : PMKV_SLOT_ALIGN };

		rc = transfer_start(&x[k], r.c.f[k].path, r.c.f[k].fd, false,
				    r.c.f[k].direct, r.tc, &reg, 1, r.total);
	}
	/* segment by segment: its pieces, the oldest first, then its records */
	for (uint32_t i = 0; i < top->h->nsegs && !rc; i++) {
		const struct pmkv_backup_seg *e = &top->segs[i];

		for (unsigned k = 0; k < r.c.n && !rc; k++) {
			const struct pmkv_backup_seg *p = backup_file_find(&r.c.f[k], e->id);

			if (!p || !p->len)
				continue;
			if (p->size != e->size) {
				rc = pmkv_err(PMKV_E_CORRUPT, "%s: segment %" PRIu64 " has another size in %s",
					      r.c.f[k].path, e->id, top->path);
				break;
			}
			x[k].done = r.bytes;
			transfer_add(&x[k], buf + p->from, p->file_off, p->len, NULL, NULL);
			rc = transfer_wait(&x[k]);
			r.bytes += x[k].bytes;
			r.bounce_bytes += x[k].bounce_bytes;
			x[k].bytes = x[k].bounce_bytes = 0;
			if (rc == -ENODATA)
				rc = pmkv_err(PMKV_E_CORRUPT, "%s: cut short", r.c.f[k].path);
		}
		if (!rc)
			rc = check_segment(&r.c, e, buf, &records);
	}
	for (unsigned k = 0; k < r.c.n; k++) {
		if (r.path == PMKV_PATH_NONE || x[k].path > r.path)
			r.path = x[k].path;
		transfer_end(&x[k]);
	}
	if (!rc)
		report(&r, records, rep, rep_size, t0);
out:
	free(x);
	free(buf);
	backup_file_chain_close(&r.c);
	return rc;
}
