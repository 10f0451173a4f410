// SPDX-License-Identifier: BSD-3-Clause
/* backup_file.c -- read and check backup files and their chains */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <xxhash.h>

#include "backup_file.h"
#include "errormsg.h"

uint64_t backup_file_header_csum(const struct pmkv_backup_header *h)
{
	return XXH64(h, offsetof(struct pmkv_backup_header, csum), 0);
}

uint64_t backup_file_seg_csum(const struct pmkv_backup_seg *e)
{
	return XXH64(e, offsetof(struct pmkv_backup_seg, csum), 0);
}

static bool zero16(const uint8_t *u)
{
	for (int i = 0; i < 16; i++)
		if (u[i])
			return false;
	return true;
}

/* bytes of a regular file or a block device */
static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* n bytes at off into an aligned buffer; a short read is a file cut short */
static int read_at(struct bfile *b, void *buf, uint64_t n, uint64_t off)
{
	uint64_t got = 0;

	while (got < n) {
		ssize_t r = pread(b->fd, (uint8_t *)buf + got, n - got,
				  (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pmkv_err(-errno, "%s: cannot read: %s", b->path,
					strerror(errno));
		if (r == 0)
			return pmkv_err(PMKV_E_CORRUPT, "%s: cut short at byte %llu",
					b->path, (unsigned long long)(off + got));
		got += (uint64_t)r;
	}
	return 0;
}

static int check_header(struct bfile *b, uint64_t size)
{
	const struct pmkv_backup_header *h = b->h;
	uint64_t tbl = (uint64_t)h->nsegs * sizeof(struct pmkv_backup_seg);

	if (h->magic != PMKV_BACKUP_MAGIC)
		return pmkv_err(PMKV_E_FOREIGN, "%s: not a pmkv backup (no header: a backup that did not finish has none)",
				b->path);
	if (h->byte_order != PMKV_BYTE_ORDER_MARK)
		return pmkv_err(PMKV_E_FOREIGN, "%s: a backup of the opposite byte order",
				b->path);
	/* before the checksum: another format may sum other bytes */
	if (h->format_major != PMKV_FORMAT_MAJOR)
		return pmkv_err(PMKV_E_VERSION, "%s: a backup of format %u, this build reads %u",
				b->path, h->format_major, PMKV_FORMAT_MAJOR);
	if (h->csum != backup_file_header_csum(h))
		return pmkv_err(PMKV_E_CORRUPT, "%s: the backup's header fails its checksum",
				b->path);
	if (h->file_size > size)
		return pmkv_err(PMKV_E_CORRUPT, "%s: cut short: %llu bytes of %llu",
				b->path, (unsigned long long)size,
				(unsigned long long)h->file_size);
	if (h->table_off != PMKV_SLOT_ALIGN || h->data_off % PMKV_SLOT_ALIGN ||
	    h->data_off < h->table_off + tbl || h->data_off > h->file_size ||
	    !h->segment_size || h->segment_size % PMKV_SLOT_ALIGN ||
	    h->pool_size < h->segment_size || !h->chain ||
	    (h->chain == 1) != zero16(h->base_uuid) ||
	    h->base_version > h->version || !h->key_max || !h->value_max ||
	    h->key_max > PMKV_KEY_MAX || h->value_max > PMKV_VALUE_MAX ||
	    memchr(h->base_path, 0, sizeof(h->base_path)) == NULL ||
	    (h->chain > 1 && !h->base_path[0]))
		return pmkv_err(PMKV_E_CORRUPT, "%s: the backup's header is inconsistent",
				b->path);
	return 0;
}

static int check_table(struct bfile *b)
{
	const struct pmkv_backup_header *h = b->h;

	if (XXH64(b->segs, (size_t)h->nsegs * sizeof(*b->segs), 0) !=
	    h->table_csum)
		return pmkv_err(PMKV_E_CORRUPT, "%s: the segment table fails its checksum",
				b->path);
	for (uint32_t i = 0; i < h->nsegs; i++) {
		const struct pmkv_backup_seg *e = &b->segs[i];
		bool bad = e->csum != backup_file_seg_csum(e) ||
			   (i && e->id <= b->segs[i - 1].id) ||
			   e->id >= h->next_segment_id ||
			   e->size % PMKV_SLOT_ALIGN || e->size > h->pool_size ||
			   e->used <= PMKV_SEGMENT_DATA || e->used > e->size ||
			   (e->len && e->from % PMKV_SLOT_ALIGN) ||
			   e->from > e->used ||
			   (e->from == e->used) != (e->len == 0) ||
			   (e->len && e->len != backup_file_piece_len(e->from, e->used)) ||
			   e->file_off % PMKV_SLOT_ALIGN ||
			   (e->len && (e->file_off < h->data_off ||
				       e->file_off + e->len > h->file_size)) ||
			   (h->chain == 1 && e->from);

		if (bad)
			return pmkv_err(PMKV_E_CORRUPT, "%s: entry %u of the segment table (segment %llu) is inconsistent",
					b->path, i, (unsigned long long)e->id);
	}
	return 0;
}

static int backup_file_open_one(struct bfile *b, const char *path,
		      const struct pmkv_transfer_config *tc)
{
	uint64_t size, tbl;
	int rc;

	memset(b, 0, sizeof(*b));
	b->path = strdup(path);
	if (!b->path)
		return pmkv_err(-ENOMEM, "no memory for a path");
	rc = transfer_open_file(path, O_RDONLY, 0, tc, &b->direct);
	if (rc < 0)
		return pmkv_err(rc, "%s: %s", path, strerror(-rc));
	b->fd = rc;
	rc = file_size(b->fd, &size);
	if (rc)
		return pmkv_err(rc, "%s: neither a file nor a block device", path);
	if (size < sizeof(*b->h))
		return pmkv_err(PMKV_E_FOREIGN, "%s: not a pmkv backup (%llu bytes)",
				path, (unsigned long long)size);
	b->h = aligned_alloc(PMKV_SLOT_ALIGN, sizeof(*b->h));
	if (!b->h)
		return pmkv_err(-ENOMEM, "no memory for a backup header");
	rc = read_at(b, b->h, sizeof(*b->h), 0);
	if (!rc)
		rc = check_header(b, size);
	if (rc)
		return rc;
	tbl = ((uint64_t)b->h->nsegs * sizeof(*b->segs) + PMKV_SLOT_ALIGN - 1) &
	      ~(PMKV_SLOT_ALIGN - 1);
	b->segs = aligned_alloc(PMKV_SLOT_ALIGN, tbl ? tbl : PMKV_SLOT_ALIGN);
	if (!b->segs)
		return pmkv_err(-ENOMEM, "no memory for a segment table");
	rc = tbl ? read_at(b, b->segs, tbl, b->h->table_off) : 0;
	return rc ? rc : check_table(b);
}

static void backup_file_close_one(struct bfile *b)
{
	if (b->fd > 0)
		close(b->fd);
	free(b->segs);
	free(b->h);
	free(b->path);
	memset(b, 0, sizeof(*b));
}

const struct pmkv_backup_seg *backup_file_find(const struct bfile *b, uint64_t id)
{
	uint32_t lo = 0, hi = b->h->nsegs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (b->segs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->h->nsegs && b->segs[lo].id == id ? &b->segs[lo] : NULL;
}

/* top was made on base: the same pool, in order, and base has what top leaves to it */
static int check_link(const struct bfile *top, const struct bfile *base)
{
	const struct pmkv_backup_header *t = top->h, *h = base->h;

	if (memcmp(h->uuid, t->base_uuid, sizeof(h->uuid)))
		return pmkv_err(PMKV_E_FOREIGN, "%s: not the base %s was made on (another backup is there now)",
				base->path, top->path);
	if (memcmp(h->pool_uuid, t->pool_uuid, sizeof(h->pool_uuid)))
		return pmkv_err(PMKV_E_FOREIGN, "%s: a backup of another pool than %s",
				base->path, top->path);
	if (h->version != t->base_version || h->chain + 1 != t->chain ||
	    h->segment_size != t->segment_size)
		return pmkv_err(PMKV_E_CORRUPT, "%s: does not match what %s says of its base",
				base->path, top->path);
	for (uint32_t i = 0; i < t->nsegs; i++) {
		const struct pmkv_backup_seg *e = &top->segs[i], *o;

		if (!e->from)
			continue;
		o = backup_file_find(base, e->id);
		if (!o || o->size != e->size || o->used < e->from ||
		    (!e->len && o->used != e->used))
			return pmkv_err(PMKV_E_CORRUPT, "%s: segment %llu continues what its base %s does not hold",
					top->path, (unsigned long long)e->id,
					base->path);
	}
	return 0;
}

int backup_file_chain_open(struct bchain *c, const char *path,
		const struct pmkv_transfer_config *tc)
{
	struct bfile *f;
	unsigned chain;
	int rc;

	memset(c, 0, sizeof(*c));
	f = calloc(1, sizeof(*f));
	if (!f)
		return pmkv_err(-ENOMEM, "no memory for a backup");
	rc = backup_file_open_one(f, path, tc);
	if (rc) {
		backup_file_close_one(f);
		free(f);
		return rc;
	}
	chain = f->h->chain;
	if (chain > BCHAIN_MAX) {
		backup_file_close_one(f);
		free(f);
		return pmkv_err(PMKV_E_CORRUPT, "%s: a chain of %u backups; at most %u",
				path, chain, BCHAIN_MAX);
	}
	c->f = calloc(chain, sizeof(*c->f));
	if (!c->f) {
		backup_file_close_one(f);
		free(f);
		return pmkv_err(-ENOMEM, "no memory for a chain of %u backups", chain);
	}
	c->f[chain - 1] = *f;
	free(f);
	c->n = chain;
	/* from the newest down to the full backup */
	for (unsigned i = chain - 1; i > 0; i--) {
		struct bfile *top = &c->f[i];

		rc = backup_file_open_one(&c->f[i - 1], top->h->base_path, tc);
		if (rc == -ENOENT)
			rc = pmkv_err(-ENOENT, "%s: its base %s is not there",
				      top->path, top->h->base_path);
		if (!rc)
			rc = check_link(top, &c->f[i - 1]);
		if (rc) {
			backup_file_chain_close(c);
			return rc;
		}
	}
	return 0;
}

void backup_file_chain_close(struct bchain *c)
{
	for (unsigned i = 0; c->f && i < c->n; i++)
		backup_file_close_one(&c->f[i]);
	free(c->f);
	memset(c, 0, sizeof(*c));
}
