// SPDX-License-Identifier: BSD-3-Clause
/* format.c -- create and validate pmkv's superblock */
#include <byteswap.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <xxhash.h>

#include "errormsg.h"
#include "format.h"
#include "libpmkv.h"

uint64_t format_super_csum(const struct pmkv_super *sb)
{
	return XXH64(sb, PMKV_SUPER_CSUM_END, 0);
}

/*
 * Segments: 1/64 of the pool, a power of two between 256 KiB and 4 MiB.
 * Reclamation needs a few free segments' worth of room, so small pools
 * get small segments; big ones cap the memory a writer holds open.
 */
uint64_t format_segment_size_for(uint64_t pool_size)
{
	uint64_t s = 256 << 10;

	while (s < (4ULL << 20) && s * 2 <= pool_size / 64)
		s *= 2;
	return s;
}

/*
 * Segment ids start at a random point of [1, 2^62), drawn from the uuid:
 * a record names its segment by id, and a pool created where another
 * pool lay (a devdax namespace, a reused file) must not take that pool's
 * records, left in the slots it reuses, for its own. 2^62 leaves room
 * for more allocations than a pool will ever make. 0 never names one.
 */
uint64_t format_first_segment_id(const uint8_t uuid[16])
{
	uint64_t a, b;

	memcpy(&a, uuid, 8);
	memcpy(&b, uuid + 8, 8);
	return ((a ^ b) >> 2) | 1;
}

void format_init(struct pmkv_super *sb, uint64_t pool_size,
		 uint64_t segment_size)
{
	struct timespec ts;

	memset(sb, 0, sizeof(*sb));
	sb->magic = PMKV_SUPER_MAGIC;
	sb->format_major = PMKV_FORMAT_MAJOR;
	sb->format_minor = PMKV_FORMAT_MINOR;
	sb->byte_order = PMKV_BYTE_ORDER_MARK;
	sb->pool_size = pool_size;
	sb->segment_size = segment_size;
	sb->key_max = PMKV_KEY_MAX;
	sb->value_max = PMKV_VALUE_MAX;
	clock_gettime(CLOCK_REALTIME, &ts);
	sb->create_time_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (getrandom(sb->uuid, sizeof(sb->uuid), 0) != sizeof(sb->uuid))
		memcpy(sb->uuid, &sb->create_time_ns, sizeof(sb->create_time_ns));
	sb->next_segment_id = format_first_segment_id(sb->uuid);
}

void format_seal(struct pmkv_super *sb)
{
	sb->csum = format_super_csum(sb);
}

uint64_t format_slot_off(const struct pmkv_super *sb, uint32_t slot)
{
	uint64_t first = 0;

	for (uint32_t e = 0; e < sb->nextents; e++) {
		const struct pmkv_extent *x = &sb->extents[e];

		if (slot < first + x->nslots)
			return x->off + (slot - first) * sb->segment_size;
		first += x->nslots;
	}
	return 0;
}

/* where the slots, their table and the copy lie: inside the pool, apart */
static int layout_validate(const struct pmkv_super *sb, const char *path)
{
	uint64_t total = 0, seg = sb->segment_size, end = sb->pool_size;

	if (seg % PMKV_SLOT_ALIGN)
		return pmkv_err(PMKV_E_CORRUPT, "%s: segment size %llu is not a multiple of %llu",
				path, (unsigned long long)seg,
				(unsigned long long)PMKV_SLOT_ALIGN);
	if (sb->nextents == 0 || sb->nextents > PMKV_EXTENTS_MAX)
		return pmkv_err(PMKV_E_CORRUPT, "%s: %u extents", path,
				sb->nextents);
	for (uint32_t e = 0; e < sb->nextents; e++) {
		const struct pmkv_extent *x = &sb->extents[e];

		if (x->off % PMKV_SLOT_ALIGN || x->nslots == 0 ||
		    x->off > end || x->nslots > (end - x->off) / seg)
			return pmkv_err(PMKV_E_CORRUPT,
					"%s: extent %u (offset %llu, %llu slots) lies outside the pool",
					path, e, (unsigned long long)x->off,
					(unsigned long long)x->nslots);
		total += x->nslots;
	}
	if (total != sb->nslots)
		return pmkv_err(PMKV_E_CORRUPT, "%s: extents hold %llu slots, the superblock says %u",
				path, (unsigned long long)total, sb->nslots);
	if (sb->table_off % 8 || sb->table_off > end ||
	    (end - sb->table_off) / sizeof(struct pmkv_slot) < sb->nslots)
		return pmkv_err(PMKV_E_CORRUPT, "%s: slot table at %llu lies outside the pool",
				path, (unsigned long long)sb->table_off);
	if (sb->copy_off % PMKV_SLOT_ALIGN || sb->copy_off > end ||
	    end - sb->copy_off < sizeof(struct pmkv_super))
		return pmkv_err(PMKV_E_CORRUPT, "%s: superblock copy at %llu lies outside the pool",
				path, (unsigned long long)sb->copy_off);
	return 0;
}

/*
 * Checks run in an order that names the cause: a foreign or
 * opposite-endian header first, then the version (a newer format may
 * checksum other bytes), then the checksum, then sizes.
 */
int format_validate(const struct pmkv_super *sb, uint64_t file_size,
		    const char *path)
{
	uint64_t want;

	if (sb->magic != PMKV_SUPER_MAGIC) {
		if (sb->magic == bswap_64(PMKV_SUPER_MAGIC))
			return pmkv_err(PMKV_E_FOREIGN,
					"%s: pmkv pool of the opposite byte order", path);
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: superblock magic %016llx, expected %016llx",
				path, (unsigned long long)sb->magic,
				(unsigned long long)PMKV_SUPER_MAGIC);
	}
	if (sb->byte_order != PMKV_BYTE_ORDER_MARK) {
		if (sb->byte_order == bswap_64(PMKV_BYTE_ORDER_MARK))
			return pmkv_err(PMKV_E_FOREIGN,
					"%s: pool written with the opposite byte order (marker %016llx)",
					path, (unsigned long long)sb->byte_order);
		return pmkv_err(PMKV_E_CORRUPT, "%s: byte-order marker %016llx is garbage",
				path, (unsigned long long)sb->byte_order);
	}
	if (sb->format_major != PMKV_FORMAT_MAJOR)
		return pmkv_err(PMKV_E_VERSION,
				"%s: pool format %u.%u; this build reads %u.x",
				path, sb->format_major, sb->format_minor,
				PMKV_FORMAT_MAJOR);
	want = format_super_csum(sb);
	if (sb->csum != want)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: superblock checksum %016llx, expected %016llx",
				path, (unsigned long long)sb->csum,
				(unsigned long long)want);
	if (sb->pool_size > file_size)
		return pmkv_err(PMKV_E_CORRUPT,
				"%s: truncated: %llu bytes, the pool was created with %llu",
				path, (unsigned long long)file_size,
				(unsigned long long)sb->pool_size);
	if (sb->segment_size < 4096 || sb->segment_size > sb->pool_size)
		return pmkv_err(PMKV_E_CORRUPT, "%s: segment size %llu is impossible",
				path, (unsigned long long)sb->segment_size);
	if (sb->key_max > PMKV_KEY_MAX || sb->value_max > PMKV_VALUE_MAX)
		return pmkv_err(PMKV_E_VERSION,
				"%s: pool allows keys of %u and values of %u bytes; this build %u and %u",
				path, sb->key_max, sb->value_max, PMKV_KEY_MAX,
				PMKV_VALUE_MAX);
	return layout_validate(sb, path);
}
