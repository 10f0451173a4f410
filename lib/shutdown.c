// SPDX-License-Identifier: BSD-3-Clause
/* shutdown.c -- the unsafe-shutdown count, kept with the pool */
#include <string.h>
#include <libpmem2.h>
#include <xxhash.h>

#include "internal.h"
#include "shutdown.h"

void shutdown_query(int fd, bool dax, struct shutdown *s)
{
	struct pmem2_source *src = NULL;
	char id[256];
	size_t len = sizeof(id);

	memset(s, 0, sizeof(*s));
	if (!dax || pmem2_source_from_fd(&src, fd))
		return;
	if (!pmem2_source_device_usc(src, &s->usc) &&
	    !pmem2_source_device_id(src, id, &len) && len <= sizeof(id)) {
		s->device = XXH64(id, len, 0);
		s->known = true;
	}
	pmem2_source_delete(&src);
}

void shutdown_check(struct pmkv *kv)
{
	struct pmkv_super *sb = kv->sb;
	struct shutdown *s = &kv->shutdown;

	/* the copy keeps no counts: nothing to compare */
	if (kv->from_copy || !sb->open_dirty || !s->known ||
	    sb->open_device != s->device || sb->open_usc == s->usc)
		return;
	s->unsafe = true;
	log_warn("%s: an unsafe shutdown (count %llu, was %llu) happened while the pool was open; recovery verified every checksum",
		 kv->path, (unsigned long long)s->usc,
		 (unsigned long long)sb->open_usc);
}

void shutdown_open(struct pmkv *kv)
{
	struct pmkv_super *sb = kv->sb;
	struct shutdown *s = &kv->shutdown;
	const struct persist_ops *ops = kv->persist;

	shutdown_check(kv);
	sb->open_usc = s->known ? s->usc : 0;
	sb->open_device = s->known ? s->device : 0;
	ops->flush(&kv->misc_pc, &sb->open_usc, 2 * sizeof(uint64_t));
	/* the count is durable before the pool says it is open */
	ops->fence(&kv->misc_pc);
	__atomic_store_n(&sb->open_dirty, 1, __ATOMIC_RELAXED);
	persist_range(ops, &kv->misc_pc, &sb->open_dirty,
		      sizeof(sb->open_dirty));
	persist_check(kv, &kv->misc_pc);
}

void shutdown_close(struct pmkv *kv)
{
	__atomic_store_n(&kv->sb->open_dirty, 0, __ATOMIC_RELAXED);
	persist_range(kv->persist, &kv->misc_pc, &kv->sb->open_dirty,
		      sizeof(kv->sb->open_dirty));
}
