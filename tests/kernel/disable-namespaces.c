// SPDX-License-Identifier: BSD-3-Clause
/* disable-namespaces.c -- after the suite, every namespace can be disabled */

/*
 * Bug class: a reference on a ZONE_DEVICE page or its dev_pagemap that
 * was taken and never dropped (the leak twin of the 2017 underflow fixed
 * by 71389703839e "mm, zone_device: Replace {get, put}_zone_device_page()
 * with a single reference to fix pmem crash").  memunmap_pages() waits for
 * the pgmap references, and unmount waits for busy inodes, so a leak from
 * any earlier test shows here as a hang: each step has a deadline and a
 * hang is "not ok" with its duration.  Runs last in the shared boot.
 */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define DEADLINE_MS	60000

static const char *mnt;

static int do_umount(void *arg)
{
	(void)arg;
	return umount(mnt) ? 1 : 0;
}

int main(void)
{
	static const char *const names[] = {
		"ext4", "xfs", "devdax2m", "devdax4k",
	};
	static const char *const envs[][2] = {
		{ "KT_EXT4", "KT_NS_EXT4" }, { "KT_XFS", "KT_NS_XFS" },
		{ "KT_DEVDAX_2M", "KT_NS_DEVDAX_2M" },
		{ "KT_DEVDAX_4K", "KT_NS_DEVDAX_4K" },
	};

	ksft_print_header();
	ksft_set_plan(4);
	for (int i = 0; i < 4; i++) {
		const char *path = getenv(envs[i][0]);
		const char *ns = getenv(envs[i][1]);
		char name[64];
		int64_t ms = 0;
		int rc;

		snprintf(name, sizeof(name), "disable_%s", names[i]);
		if (!path || !ns) {
			ksft_test_result_skip(name, "no %s\n", names[i]);
			continue;
		}
		kt_kmsg_mark();
		if (i < 2) {
			int64_t t0 = kt_now_ms();
			pid_t pid;

			mnt = path;
			pid = kt_child(do_umount, NULL);
			rc = kt_child_wait(pid, DEADLINE_MS);
			if (rc == -ETIMEDOUT)
				kt_child_kill(pid, 5000);
			ksft_print_msg("umount %s: rc %d after %lld ms\n", path,
				       rc, (long long)(kt_now_ms() - t0));
			if (rc) {
				ksft_test_result_fail("%s\n", name);
				continue;
			}
		}
		rc = kt_ns("disable-namespace", ns, DEADLINE_MS, &ms);
		ksft_print_msg("disable-namespace %s: %s after %lld ms\n", ns,
			       rc == -ETIMEDOUT ? "timeout" : rc ? "failed" : "done",
			       (long long)ms);
		ksft_test_result(kt_kmsg_scan() == 0 && rc == 0, name);
	}
	ksft_finished();
}
