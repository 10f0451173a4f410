/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backup_file.h -- read and check backup files and their chains
 *
 * Everything read from a backup is checked before it is used: a header
 * or table that fails its checksum, lies about where its parts are, or
 * belongs to another pool is refused with the file's name in the message.
 */
#ifndef PMKV_BACKUP_FILE_H
#define PMKV_BACKUP_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "transfer.h"

struct bfile {
	char *path;
	int fd;
	bool direct;		/* opened with O_DIRECT */
	struct pmkv_backup_header *h;	/* page-aligned, checked */
	struct pmkv_backup_seg *segs;	/* h->nsegs, ascending ids, checked */
};

/* a backup and its bases: f[0] the full backup, f[n - 1] the one named */
struct bchain {
	unsigned n;
	struct bfile *f;
};

/* the most backups a chain may have */
#define BCHAIN_MAX 1024U

/*
 * Open and check the backup at path and every base it names, following
 * base_path. 0, -errno, PMKV_E_FOREIGN (not a backup, another pool, not
 * the base it was made on, out of order), PMKV_E_VERSION or
 * PMKV_E_CORRUPT (checksums, sizes, a file cut short).
 */
int backup_file_chain_open(struct bchain *c, const char *path,
		const struct pmkv_transfer_config *tc);
void backup_file_chain_close(struct bchain *c);
/* the newest backup of the chain */
static inline struct bfile *backup_file_top(const struct bchain *c)
{
	return &c->f[c->n - 1];
}
/* b's entry for segment id, or NULL */
const struct pmkv_backup_seg *backup_file_find(const struct bfile *b, uint64_t id);
/* the checksums of a header and an entry, as stored */
uint64_t backup_file_header_csum(const struct pmkv_backup_header *h);
uint64_t backup_file_seg_csum(const struct pmkv_backup_seg *e);
/* len bytes of a segment's [from, used): up to the next page */
static inline uint64_t backup_file_piece_len(uint64_t from, uint64_t used)
{
	return (used - from + PMKV_SLOT_ALIGN - 1) & ~(PMKV_SLOT_ALIGN - 1);
}

#endif /* PMKV_BACKUP_FILE_H */
