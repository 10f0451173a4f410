// SPDX-License-Identifier: BSD-3-Clause
/* gup-uring.c -- io_uring transfers through DAX pages, and buffer registration */

/*
 * Bug class: as gup-odirect.c, through io_uring's paths: read/write and
 * readv/writev with plain buffers pin pages per request (GUP-fast at
 * issue, released at completion, maybe from io-wq); registered buffers
 * are pinned FOLL_LONGTERM for the ring's lifetime.  The 2017 class
 * (get and put disagreeing on a ZONE_DEVICE page's references) was fixed
 * by 71389703839e "mm, zone_device: Replace {get, put}_zone_device_page()
 * with a single reference to fix pmem crash".
 *
 * IORING_REGISTER_BUFFERS on DAX memory: fsdax must be refused with
 * -EOPNOTSUPP (FOLL_LONGTERM is not allowed on fsdax VMAs, since the
 * filesystem could truncate and reuse the blocks under the pin); devdax is
 * refused by 6.1's io_pin_pages() (file-backed VMA) and accepted from
 * 6.12.  The test prints the answer and, when devdax accepts, checks a
 * READ_FIXED into the registered buffer; any other answer fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

#define LEN	(2 * KT_2M)
#define XFER	(256UL << 10)
#define ROUNDS	16

static struct io_uring ring;

static int submit_one(int op, int fd, void *buf, size_t len, off_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	struct iovec iov[2] = {
		{ buf, len / 2 }, { (char *)buf + len / 2, len / 2 },
	};
	int ret;

	switch (op) {
	case IORING_OP_READ: io_uring_prep_read(sqe, fd, buf, len, off); break;
	case IORING_OP_WRITE: io_uring_prep_write(sqe, fd, buf, len, off); break;
	case IORING_OP_READV: io_uring_prep_readv(sqe, fd, iov, 2, off); break;
	case IORING_OP_WRITEV: io_uring_prep_writev(sqe, fd, iov, 2, off); break;
	case IORING_OP_READ_FIXED:
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, 0);
		break;
	}
	ret = io_uring_submit(&ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return ret;
}

/* write from DAX, read back into DRAM; then read into DAX, check */
static bool rw(const struct kt_sub *s, int fd, char *dram, bool vec)
{
	int wop = vec ? IORING_OP_WRITEV : IORING_OP_WRITE;
	int rop = vec ? IORING_OP_READV : IORING_OP_READ;

	for (int r = 0; r < ROUNDS; r++) {
		struct kt_map m;
		off_t at = (r % 8) * XFER;
		uint32_t seed = 0x3000 + r + (vec ? 100 : 0);
		int ret;

		if (kt_map(s, "gup-uring", LEN, &m))
			return false;
		kt_fill(m.addr + at, XFER, seed);
		ret = submit_one(wop, fd, m.addr + at, XFER, r * XFER);
		if (ret != (int)XFER || pread(fd, dram, XFER, r * XFER) != (ssize_t)XFER ||
		    kt_check(dram, XFER, seed) >= 0) {
			ksft_print_msg("round %d: write from %s: %d, device data %s\n",
				       r, s->name, ret,
				       kt_check(dram, XFER, seed) >= 0 ? "wrong" : "right");
			kt_unmap(&m);
			return false;
		}
		memset(m.addr + at, 0, XFER);
		ret = submit_one(rop, fd, m.addr + at, XFER, r * XFER);
		if (ret != (int)XFER || kt_check(m.addr + at, XFER, seed) >= 0) {
			ksft_print_msg("round %d: read into %s: %d, page data %s\n",
				       r, s->name, ret,
				       kt_check(m.addr + at, XFER, seed) >= 0 ? "wrong" : "right");
			kt_unmap(&m);
			return false;
		}
		kt_unmap(&m);
	}
	return true;
}

static bool reg(const struct kt_sub *s, int fd, char *dram)
{
	struct kt_map m;
	struct iovec iov;
	bool ok = false;
	int ret;

	if (kt_map(s, "gup-uring", LEN, &m))
		return false;
	iov.iov_base = m.addr;
	iov.iov_len = XFER;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret == -EOPNOTSUPP) {
		ksft_print_msg("register_buffers on %s: EOPNOTSUPP\n", s->name);
		ok = true;
	} else if (ret) {
		ksft_print_msg("register_buffers on %s: %s (neither EOPNOTSUPP nor accepted)\n",
			       s->name, strerror(-ret));
	} else if (s->kind == KT_FSDAX) {
		ksft_print_msg("register_buffers on %s: accepted, a long-term pin on fsdax whose blocks truncate could free\n",
			       s->name);
		io_uring_unregister_buffers(&ring);
	} else {
		ksft_print_msg("register_buffers on %s: accepted (long-term pin)\n",
			       s->name);
		kt_fill(dram, XFER, 0x4000);
		ret = (int)pwrite(fd, dram, XFER, 0);
		memset(m.addr, 0, XFER);
		ret = submit_one(IORING_OP_READ_FIXED, fd, m.addr, XFER, 0);
		ok = ret == (int)XFER && kt_check(m.addr, XFER, 0x4000) < 0;
		if (!ok)
			ksft_print_msg("READ_FIXED into it: %d\n", ret);
		ret = io_uring_unregister_buffers(&ring);
		ok = ok && ret == 0;
	}
	kt_unmap(&m);
	return ok;
}

int main(void)
{
	struct kt_sub subs[4];
	int n = kt_substrates(KT_SUB_ALL, subs);
	const char *dev = kt_fast_dev();
	char *dram;
	int fd, ret;

	ksft_print_header();
	ksft_set_plan(n * 3);
	if (!dev)
		ksft_exit_skip("no null_blk device (KT_FAST)");
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		ksft_exit_skip("io_uring not available");
	if (ret)
		ksft_exit_fail_msg("io_uring_queue_init: %s\n", strerror(-ret));
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&dram, KT_4K, XFER))
		ksft_exit_fail_msg("open %s: %s\n", dev, strerror(errno));
	ksft_print_msg("%d rounds of %lu KiB per case on %s\n", ROUNDS,
		       XFER >> 10, dev);
	for (int i = 0; i < n; i++) {
		static const char *const what[] = { "rw", "rwv", "register" };

		for (int c = 0; c < 3; c++) {
			char name[64];
			bool ok;

			snprintf(name, sizeof(name), "%s_%s", what[c], subs[i].name);
			if (!subs[i].path) {
				ksft_test_result_skip(name, "no %s\n", subs[i].name);
				continue;
			}
			kt_kmsg_mark();
			ok = c < 2 ? rw(&subs[i], fd, dram, c == 1) :
				     reg(&subs[i], fd, dram);
			ksft_test_result(kt_kmsg_scan() == 0 && ok, name);
		}
	}
	io_uring_queue_exit(&ring);
	ksft_finished();
}
