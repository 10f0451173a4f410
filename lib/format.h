/* SPDX-License-Identifier: BSD-3-Clause */
/* format.h -- create and validate the superblock */
#ifndef PMKV_FORMAT_H
#define PMKV_FORMAT_H

#include <stdint.h>

#include "layout.h"

int format_validate(const struct pmkv_super *sb, uint64_t file_size,
		    const char *path);
void format_init(struct pmkv_super *sb, uint64_t pool_size,
		 uint64_t segment_size);
/* the checksum, once every static field is filled in */
void format_seal(struct pmkv_super *sb);
uint64_t format_super_csum(const struct pmkv_super *sb);
/* pool offset of slot (< nslots) of a validated superblock */
uint64_t format_slot_off(const struct pmkv_super *sb, uint32_t slot);
uint64_t format_segment_size_for(uint64_t pool_size);
/* where a new pool's segment ids start: random, from its uuid */
uint64_t format_first_segment_id(const uint8_t uuid[16]);

#endif /* PMKV_FORMAT_H */
