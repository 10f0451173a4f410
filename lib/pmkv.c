// SPDX-License-Identifier: BSD-3-Clause
/* pmkv.c -- the handle's lifecycle, information and statistics */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "internal.h"
#include "pool.h"
#include "recovery.h"
#include "segment.h"

void pmkv_version(int *major, int *minor)
{
	if (major)
		*major = PMKV_VERSION_MAJOR;
	if (minor)
		*minor = PMKV_VERSION_MINOR;
}

static int locks_init(struct pmkv *kv)
{
	arena_init(&kv->nodes);
	index_init(&kv->index, NULL, &kv->nodes);
	pthread_mutex_init(&kv->batch_lock, NULL);
	for (int i = 0; i < NWRITERS; i++)
		pthread_mutex_init(&kv->writers[i].lock, NULL);
	pthread_mutex_init(&kv->gcw.lock, NULL);
	pthread_mutex_init(&kv->seg_lock, NULL);
	pthread_mutex_init(&kv->gc_lock, NULL);
	pthread_mutex_init(&kv->freeze_lock, NULL);
	pthread_cond_init(&kv->thaw, NULL);
	return 0;
}

static void locks_fini(struct pmkv *kv)
{
	index_destroy(&kv->index);
	pthread_mutex_destroy(&kv->batch_lock);
	arena_destroy(&kv->nodes);
	for (int i = 0; i < NWRITERS; i++)
		pthread_mutex_destroy(&kv->writers[i].lock);
	pthread_mutex_destroy(&kv->gcw.lock);
	pthread_mutex_destroy(&kv->seg_lock);
	pthread_mutex_destroy(&kv->gc_lock);
	pthread_mutex_destroy(&kv->freeze_lock);
	pthread_cond_destroy(&kv->thaw);
}

/*
 * A new pool is cleared for use once recovery has read and checked all
 * that pmkv_restore() put into it: one 8-byte store, made durable
 */
static int restore_clear(struct pmkv *kv)
{
	struct pmkv_super *copy = kv_ptr(kv, kv->sb->copy_off);

	/* the primary first: a copy still restoring only makes salvage wary */
	kv->sb->restoring = 0;
	persist_range(kv->persist, &kv->misc_pc, &kv->sb->restoring,
		      sizeof(kv->sb->restoring));
	copy->restoring = 0;
	persist_range(kv->persist, &kv->misc_pc, &copy->restoring,
		      sizeof(copy->restoring));
	return kv->misc_pc.error ? persist_check(kv, &kv->misc_pc) : 0;
}

int pmkv_open_with(const char *path, const struct pmkv_config *cfg,
		int (*fill)(struct pmkv *kv, void *arg), void *arg,
		struct pmkv **kvp)
{
	struct pmkv *kv;
	int rc;

	if (!path || !kvp)
		return pmkv_err(-EINVAL, "path or kv is NULL");
	if (!*path)
		return pmkv_err(-ENOENT, "path is empty");
	log_init();
	kv = aligned_alloc(CACHELINE, (sizeof(*kv) + CACHELINE - 1) &
			   ~(size_t)(CACHELINE - 1));
	if (!kv)
		return pmkv_err(-ENOMEM, "no memory for a handle");
	memset(kv, 0, sizeof(*kv));
	kv->flags = cfg ? cfg->flags : 0;
	kv->path = strdup(path);
	if (!kv->path) {
		free(kv);
		return pmkv_err(-ENOMEM, "no memory for a handle");
	}
	locks_init(kv);
	rc = pool_open(kv, path, cfg);
	if (rc)
		goto err_close_pool;
	kv->segment_size = kv->sb->segment_size;
	kv->index.base = kv->base;
	/* format_validate() made sure that much is mapped */
	kv->index.limit = kv->sb->pool_size;
	rc = segment_table_init(kv);
	if (rc)
		goto err_close_pool;
	if (fill) {
		rc = fill(kv, arg);
		if (rc)
			goto err_free_table;
	}
	rc = recovery_run(kv);
	if (!rc && kv->sb->restoring)
		rc = restore_clear(kv);
	if (rc)
		goto err_free_table;
	/*
	 * Reclamation needs one free segment and deletes in a full pool
	 * another; a pool that is full already may not have them yet.
	 */
	if (kv->rdonly)
		shutdown_check(kv);
	if (!kv->rdonly) {
		/* the pool is accepted: only now does the open write to it */
		checkpoint_forget(kv);
		segment_finish_frees(kv);
		pool_copy_refresh(kv);
		shutdown_open(kv);
		/* without it, puts fault: not fatal */
		if (!(kv->flags & PMKV_F_NO_HELPER) && !warm_start(&kv->warm))
			kv->nodes.warm = &kv->warm;
		segment_adopt_empty(kv);
		segment_reserves_refill(kv);
	}
	log_info("%s: opened, %s, %llu records recovered in %llu us", path,
		 kv->persist->name, (unsigned long long)kv->recovered_records,
		 (unsigned long long)(kv->recovery_ns / 1000));
	*kvp = kv;
	return 0;

err_free_table:
	segment_table_fini(kv);
err_close_pool:
	pool_close(kv);
	locks_fini(kv);
	free(kv->path);
	free(kv);
	/* every failure is negative: issue 15 saw +1 from libpmemobj's errno */
	PMKV_ASSERT(rc < 0);
	return rc;
}

int pmkv_open(const char *path, const struct pmkv_config *cfg,
	      struct pmkv **kvp)
{
	return pmkv_open_with(path, cfg, NULL, NULL, kvp);
}

int pmkv_close(struct pmkv **kvp)
{
	struct pmkv *kv;

	if (!kvp || !*kvp)
		return 0;
	kv = *kvp;
	/*
	 * Everything acknowledged is durable already; sealing the writers'
	 * segments lets the next open tell damage in their last commits
	 * from a tear (layout.h)
	 */
	warm_stop(&kv->warm);
	if (!kv->rdonly && !__atomic_load_n(&kv->poisoned, __ATOMIC_RELAXED)) {
		segment_seal_all(kv);
		checkpoint_write(kv);
		shutdown_close(kv);
	}
	segment_table_fini(kv);
	pool_close(kv);
	locks_fini(kv);
	free(kv->path);
	free(kv);
	*kvp = NULL;
	return 0;
}

int pmkv_get_info(struct pmkv *kv, struct pmkv_info *info, size_t size)
{
	struct pmkv_info i = { 0 };

	if (!kv || !info)
		return pmkv_err(-EINVAL, "kv or info is NULL");
	i.media = kv->media;
	i.is_pmem = kv->is_pmem;
	i.pmem_forced = kv->pmem_forced;
	i.pool_size = kv->sb->pool_size;
	i.segment_size = kv->segment_size;
	i.format_major = kv->sb->format_major;
	i.format_minor = kv->sb->format_minor;
	i.unsafe_shutdown = kv->shutdown.unsafe;
	i.device_align = kv->device_align;
	memcpy(info, &i, size < sizeof(i) ? size : sizeof(i));
	return 0;
}

int pmkv_get_stats(struct pmkv *kv, struct pmkv_stats *st, size_t size)
{
	struct pmkv_stats s = { 0 };

	if (!kv || !st)
		return pmkv_err(-EINVAL, "kv or st is NULL");
	s.index_bytes = __atomic_load_n(&kv->nodes.bytes, __ATOMIC_RELAXED);
	s.keys = index_nkeys(&kv->index);
	s.index_bytes += __atomic_load_n(&kv->index.bytes, __ATOMIC_RELAXED);
	for (int i = 0; i < NWRITERS; i++) {
		const struct writer *w = &kv->writers[i];

		s.puts += __atomic_load_n(&w->puts, __ATOMIC_RELAXED);
		s.deletes += __atomic_load_n(&w->deletes, __ATOMIC_RELAXED);
		s.gets += __atomic_load_n(&w->gets, __ATOMIC_RELAXED);
		s.fences += __atomic_load_n(&w->pc.fences, __ATOMIC_RELAXED);
		s.flushed_bytes += __atomic_load_n(&w->pc.flushed_bytes,
						   __ATOMIC_RELAXED);
	}
	s.fences += kv->gcw.pc.fences + kv->misc_pc.fences;
	s.flushed_bytes += kv->gcw.pc.flushed_bytes + kv->misc_pc.flushed_bytes;
	pthread_mutex_lock(&kv->seg_lock);
	for (uint32_t i = 0; i < kv->nsegs_max; i++) {
		const struct seg *sg = kv->segs[i];

		if (!sg)
			continue;
		s.segments++;
		s.log_bytes_used += sg->size;
		s.log_bytes_live += __atomic_load_n(&sg->live, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&kv->seg_lock);
	s.index_bytes += sizeof(*kv) +
			 (uint64_t)kv->nsegs_max * (sizeof(void *) + sizeof(uint32_t)) +
			 (uint64_t)kv->nsegs * sizeof(struct seg);
	s.gc_runs = kv->gc_runs;
	s.gc_bytes_copied = kv->gc_bytes_copied;
	s.recovery_ns = kv->recovery_ns;
	s.recovered_records = kv->recovered_records;
	s.damaged_records = __atomic_load_n(&kv->damaged_records,
					    __ATOMIC_RELAXED);
	s.damaged_segments = kv->damaged_segments;
	s.transfer_bytes = __atomic_load_n(&kv->transfer_bytes, __ATOMIC_RELAXED);
	s.bounce_bytes = __atomic_load_n(&kv->bounce_bytes, __ATOMIC_RELAXED);
	memcpy(st, &s, size < sizeof(s) ? size : sizeof(s));
	return 0;
}
