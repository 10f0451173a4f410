// SPDX-License-Identifier: BSD-3-Clause
/* evict-while-pinned.c -- unlinking an fsdax file waits for its pinned pages */

/*
 * Bug class: the inode of an fsdax file is evicted, and its blocks freed,
 * while a page of it is still held by an I/O (the page reference GUP took
 * for the bio), so the device can DMA into blocks that already belong to
 * someone else.  Truncate waits for such pages (dax_layout_busy_page);
 * eviction did not: ext4/xfs evict_inode -> truncate_inode_pages_final ->
 * dax_delete_mapping_entry warns in dax_disassociate_entry (fs/dax.c,
 * "WARN_ON_ONCE(trunc && refcount > 1)").  Fixed upstream for 6.15 by
 * "fs/dax: ensure all pages are idle prior to filesystem unmount" and
 * dax_break_layout_final() in the evict paths.  R2 in the notes: Debian
 * 6.1 and 6.12 unlink at once and warn.
 *
 * With an O_DIRECT read into (or write from) a mapped page in flight on
 * the delayed null_blk, the file is unmapped, closed and unlinked.  The
 * unlink must not return while the I/O is still in flight; a control
 * unlinks after the I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define LEN	KT_2M

static const char *g_path;
static const char *g_dev;

/* exit 0: unlinked with nothing in flight; 10: unlinked under I/O */
static int do_unlink(void *arg)
{
	int n;

	(void)arg;
	if (unlink(g_path))
		return 1;
	n = kt_inflight(g_dev);
	return n > 0 ? 10 : 0;
}

static bool one(const struct kt_sub *s, bool write, bool after, int hold)
{
	struct kt_map m;
	struct kt_io io;
	char path[256];
	int64_t t0, ms;
	pid_t pid;
	int rc;

	g_dev = kt_slow_dev();
	if (kt_map(s, "evict-while-pinned", LEN, &m))
		return false;
	kt_fill(m.addr, LEN, 3);
	if (kt_io_start(&io, g_dev, m.addr + 8 * KT_4K, KT_4K, 0, write)) {
		kt_unmap(&m);
		return false;
	}
	if (after)
		kt_io_join(&io);
	/* drop every reference but the I/O's; the unlink is the last put */
	snprintf(path, sizeof(path), "%s", m.file);
	munmap(m.addr, m.len);
	close(m.fd);
	g_path = path;
	t0 = kt_now_ms();
	pid = kt_child(do_unlink, NULL);
	rc = kt_child_wait(pid, hold + 10000);
	ms = kt_now_ms() - t0;
	if (rc == -ETIMEDOUT) {
		ksft_print_msg("unlink blocked %lld ms\n", (long long)ms);
		kt_child_kill(pid, 10000);
	}
	kt_io_join(&io);
	ksft_print_msg("unlink took %lld ms; I/O %s %lld ms, returned %zd\n",
		       (long long)ms, after ? "before it, held" : "in flight, held",
		       (long long)(io.end_ms - io.start_ms), io.ret);
	if (rc == 10)
		ksft_print_msg("unlink returned with the I/O still in flight: its blocks were freed under DMA\n");
	return rc == 0 && io.ret == (ssize_t)KT_4K;
}

int main(void)
{
	struct kt_sub subs[2];
	int n = kt_substrates(KT_SUB_FSDAX, subs);
	int hold = kt_hold_ms();
	static const struct {
		const char *name;
		bool write, after;
	} cases[] = {
		{ "unlink_after_odirect", false, true },
		{ "unlink_during_odirect_read", false, false },
		{ "unlink_during_odirect_write", true, false },
	};

	ksft_print_header();
	ksft_set_plan(n * 3);
	ksft_print_msg("hold %d ms on %s\n", hold,
		       kt_slow_dev() ? kt_slow_dev() : "(none)");
	for (int i = 0; i < n; i++) {
		for (int c = 0; c < 3; c++) {
			char name[96];
			bool ok;

			snprintf(name, sizeof(name), "%s_%s", cases[c].name,
				 subs[i].name);
			if (!subs[i].path || !kt_slow_dev()) {
				ksft_test_result_skip(name, "no %s\n",
					subs[i].path ? "delayed null_blk" : subs[i].name);
				continue;
			}
			kt_kmsg_mark();
			ok = one(&subs[i], cases[c].write, cases[c].after, hold);
			ksft_test_result(kt_kmsg_scan() == 0 && ok, name);
		}
	}
	ksft_finished();
}
