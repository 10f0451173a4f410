// SPDX-License-Identifier: BSD-3-Clause
/* remote-gup.c -- process_vm_readv/writev and vmsplice on DAX pages */

/*
 * Bug class: GUP on another process's DAX mapping (get_user_pages_remote,
 * the slow path with its own follow_devmap_pmd/pte references) and GUP
 * into a pipe (vmsplice: references released by the pipe's buf release,
 * put_page() -> put_devmap_managed_page()).  Each path must take and drop
 * the same ZONE_DEVICE references; the class was fixed for GUP-fast by
 * 71389703839e "mm, zone_device: Replace {get, put}_zone_device_page()
 * with a single reference to fix pmem crash", and the pipe release path
 * is where a missing devmap hook loses fsdax wake-ups.
 *
 * A child maps the DAX memory and fills it; the parent reads it with
 * process_vm_readv and writes a new pattern with process_vm_writev, and
 * the child checks what it sees, and so does a fresh mapping.  vmsplice
 * puts a DAX page into a pipe, the page is read back out of the pipe,
 * and for fsdax a truncate afterwards must not wait (no reference left).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define LEN	KT_2M

static const struct kt_sub *sub;
static int to_child[2], to_parent[2];
static struct kt_map cm;

/* the child: map and fill, send the address, wait, check the new data */
static int child(void *arg)
{
	char c;

	(void)arg;
	kt_fill(cm.addr, LEN, 21);
	if (write(to_parent[1], &cm.addr, sizeof(cm.addr)) != sizeof(cm.addr))
		return 2;
	if (read(to_child[0], &c, 1) != 1)
		return 2;
	return kt_check(cm.addr, LEN, 22) >= 0 ? 1 : 0;
}

static bool remote(bool *wok)
{
	static char buf[LEN];
	struct iovec local = { buf, LEN }, rem;
	char *addr;
	pid_t pid;
	ssize_t n;
	bool rok;
	int rc;

	*wok = false;
	if (pipe(to_child) || pipe(to_parent) || kt_map(sub, "remote-gup", LEN, &cm))
		return false;
	pid = kt_child(child, NULL);
	if (read(to_parent[0], &addr, sizeof(addr)) != sizeof(addr))
		return false;
	rem.iov_base = addr;
	rem.iov_len = LEN;
	n = process_vm_readv(pid, &local, 1, &rem, 1, 0);
	rok = n == (ssize_t)LEN && kt_check(buf, LEN, 21) < 0;
	if (!rok)
		ksft_print_msg("process_vm_readv: %zd, data %s\n", n,
			       kt_check(buf, LEN, 21) >= 0 ? "wrong" : "right");
	kt_fill(buf, LEN, 22);
	n = process_vm_writev(pid, &local, 1, &rem, 1, 0);
	if (write(to_child[1], "c", 1) != 1)
		return false;
	rc = kt_child_wait(pid, 30000);
	/* the child saw it; our own mapping of the same memory sees it too */
	*wok = n == (ssize_t)LEN && rc == 0 && kt_check(cm.addr, LEN, 22) < 0;
	if (!*wok)
		ksft_print_msg("process_vm_writev: %zd, child %d\n", n, rc);
	kt_unmap(&cm);
	close(to_child[0]); close(to_child[1]);
	close(to_parent[0]); close(to_parent[1]);
	return rok;
}

static bool splice_page(void)
{
	static char buf[KT_4K];
	struct kt_map m;
	struct iovec iov;
	int p[2];
	bool ok = false;

	if (pipe(p))
		return false;
	if (kt_map(sub, "remote-gup", LEN, &m))
		goto out_pipe;
	kt_fill(m.addr, LEN, 23);
	for (int i = 0; i < 8; i++) {
		iov.iov_base = m.addr + i * KT_4K;
		iov.iov_len = KT_4K;
		if (vmsplice(p[1], &iov, 1, 0) != (ssize_t)KT_4K ||
		    read(p[0], buf, KT_4K) != (ssize_t)KT_4K ||
		    memcmp(buf, m.addr + i * KT_4K, KT_4K)) {
			ksft_print_msg("vmsplice page %d: wrong data out of the pipe\n", i);
			goto out;
		}
	}
	ok = true;
	if (sub->kind == KT_FSDAX) {
		/* every pipe reference was dropped: this must not wait */
		int64_t t0 = kt_now_ms();

		ok = ftruncate(m.fd, 0) == 0 && kt_now_ms() - t0 < 2000;
		ksft_print_msg("truncate after the pipe drained: %lld ms\n",
			       (long long)(kt_now_ms() - t0));
	}
out:
	kt_unmap(&m);
out_pipe:
	close(p[0]);
	close(p[1]);
	return ok;
}

int main(void)
{
	struct kt_sub subs[4];
	int n = kt_substrates(KT_SUB_ALL, subs);
	/* a kernel without CONFIG_CROSS_MEMORY_ATTACH has no remote GUP */
	bool cma = process_vm_readv(getpid(), NULL, 0, NULL, 0, 0) == 0 ||
		   errno != ENOSYS;

	ksft_print_header();
	ksft_set_plan(n * 3);
	for (int i = 0; i < n; i++) {
		char rname[64], wname[64], sname[64];
		bool rok, wok;

		sub = &subs[i];
		snprintf(rname, sizeof(rname), "process_vm_readv_%s", sub->name);
		snprintf(wname, sizeof(wname), "process_vm_writev_%s", sub->name);
		snprintf(sname, sizeof(sname), "vmsplice_%s", sub->name);
		if (!sub->path) {
			ksft_test_result_skip(rname, "no %s\n", sub->name);
			ksft_test_result_skip(wname, "no %s\n", sub->name);
			ksft_test_result_skip(sname, "no %s\n", sub->name);
			continue;
		}
		if (cma) {
			kt_kmsg_mark();
			rok = remote(&wok);
			int hits = kt_kmsg_scan();

			ksft_test_result(!hits && rok, rname);
			ksft_test_result(!hits && wok, wname);
		} else {
			ksft_test_result_skip(rname, "process_vm_readv: ENOSYS (CONFIG_CROSS_MEMORY_ATTACH)\n");
			ksft_test_result_skip(wname, "process_vm_writev: ENOSYS (CONFIG_CROSS_MEMORY_ATTACH)\n");
		}
		kt_kmsg_mark();
		rok = splice_page();
		ksft_test_result(kt_kmsg_scan() == 0 && rok, sname);
	}
	ksft_finished();
}
