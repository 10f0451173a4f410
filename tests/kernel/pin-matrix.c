// SPDX-License-Identifier: BSD-3-Clause
/* pin-matrix.c -- every holder of a DAX page against one teardown */

/*
 * Bug class: a teardown that does not wait for a page the kernel still
 * holds, or waits for a reference that is never dropped.  The hand-picked
 * pairs of the other programs each found one instance (R1 truncate, R2
 * unlink, R3 namespace disable: doc/kernel-suite.md); this program asks
 * the same three questions of every pair:
 *
 *   holders   none (a mapped page, no pin: the control), O_DIRECT read and
 *             write in flight on the delayed null_blk, io_uring read and
 *             write in flight there, a registered io_uring buffer, a page
 *             vmsplice()d into a pipe, and process_vm_readv() pinning the
 *             page while its copy waits in userfaultfd
 *   teardown  argv[1]: truncate, punch, unlink, umount (fsdax: ext4, xfs),
 *             munmap, exit (fsdax and devdax), disable, reconfigure,
 *             unbind (devdax: the namespace, or the device_dax driver)
 *
 * A holder lives in a child process and lets go of its page KT_HOLD_MS
 * after it says it holds it (the device completes the I/O; the others
 * drain, unregister or resolve the fault then), so the teardown, run by
 * the parent or one of its children, can be timed against the release:
 *
 *   timing  a teardown that must wait (all but munmap and exit) may not
 *           return before the release, and must return soon after it;
 *           with no pin (none) it may not wait at all
 *   data    what the holder moved is right (the pipe's bytes, the copy,
 *           the read that landed), and what the teardown left is right
 *           (a cut reads zeros, a remounted or re-enabled page has the
 *           read's data, a file written after an unlink keeps its own);
 *           the O_DIRECT and io_uring writes are read back from the
 *           device in one last subtest, device_data
 *   log     no record of the suite's patterns (kt_kmsg_scan)
 *
 * A cell the kernel refuses says why and skips: io_uring will not register
 * fsdax memory (long-term pins are refused there), and kernels before
 * 6.12 will not register devdax memory either.  A teardown that does not
 * end even after SIGKILL leaves the substrate unusable: the cells after it
 * say so and fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liburing.h>

#include "ksft.h"
#include "kt.h"

#define FILE_LEN	(2 * KT_2M)
#define PAGE_AT		(KT_2M + 16 * KT_4K)	/* the held page */
#define DEV_READ_AT	0			/* reads come from here */
#define DEV_WRITE_AT	(1UL << 20)		/* writes go to one page each */

/* seeds: any 8 bytes of a pattern name where they belong */
#define SEED_FILE	3
#define SEED_PAGE	11
#define SEED_DEV	21
#define SEED_FAST	31
#define SEED_NEW	41

enum holder {
	H_NONE, H_ODIRECT_READ, H_ODIRECT_WRITE, H_URING_READ, H_URING_WRITE,
	H_REGISTERED, H_VMSPLICE, H_PROCESS_VM, H_COUNT
};
static const char *const holder_name[H_COUNT] = {
	"none", "odirect-read", "odirect-write", "uring-read", "uring-write",
	"registered", "vmsplice", "process-vm",
};

enum teardown {
	T_TRUNCATE, T_PUNCH, T_UNLINK, T_UMOUNT, T_MUNMAP, T_EXIT,
	T_DISABLE, T_RECONFIGURE, T_UNBIND, T_COUNT
};
static const struct {
	const char *name;
	unsigned int subs;	/* where it applies */
	bool waits;		/* must wait for the holder */
	bool unmaps;		/* the holder drops mapping and fd first */
} teardowns[T_COUNT] = {
	[T_TRUNCATE] = { "truncate", KT_SUB_FSDAX, true, false },
	[T_PUNCH] = { "punch", KT_SUB_FSDAX, true, false },
	[T_UNLINK] = { "unlink", KT_SUB_FSDAX, true, true },
	[T_UMOUNT] = { "umount", KT_SUB_FSDAX, true, true },
	[T_MUNMAP] = { "munmap", KT_SUB_FSDAX | KT_SUB_DEVDAX4K, false, true },
	[T_EXIT] = { "exit", KT_SUB_FSDAX | KT_SUB_DEVDAX4K, false, false },
	[T_DISABLE] = { "disable", KT_SUB_DEVDAX4K, true, false },
	[T_RECONFIGURE] = { "reconfigure", KT_SUB_DEVDAX4K, true, false },
	[T_UNBIND] = { "unbind", KT_SUB_DEVDAX4K, true, false },
};

/* what the holder tells the parent, in memory both map */
struct shared {
	int64_t ready_ms;	/* the page is held from here */
	int64_t released_ms;	/* the holder let go here (0: not yet) */
	int64_t td_start_ms, td_end_ms;	/* the teardown, in its child */
	int td_err;
	int reader_bad;		/* process-vm: the reader's copy was wrong */
	char why[160];		/* a skip's reason, or a failure's */
};

static struct shared *sh;
static enum teardown td;
static const struct kt_sub *sub;
static char file[256];
static int hold, slack;
static int ready_fd[2], go_fd[2], pipe_fd[2];
static bool wedged;		/* a teardown outlived its SIGKILL */
static int nwrites;

static void say_why(const char *fmt, const char *arg, int err)
{
	snprintf(sh->why, sizeof(sh->why), fmt, arg, strerror(err));
}

/* ---- the holder, in its own process ----------------------------------- */

struct pvm {
	pid_t pid;		/* the holder, whose page is read */
	char *page;		/* the page, in the holder's mapping */
	char *local;		/* registered with userfaultfd */
	ssize_t ret;
	int err;
};

static void *pvm_thread(void *arg)
{
	struct pvm *p = arg;
	struct iovec l = { p->local, KT_4K }, r = { p->page, KT_4K };

	/* pins the page, then blocks copying into the missing local page */
	p->ret = process_vm_readv(p->pid, &l, 1, &r, 1, 0);
	p->err = errno;
	return NULL;
}

/*
 * The reader: another process, as remote GUP is meant, so that what the
 * holder does to its own mappings is not done to the reader's.  Pins the
 * page with process_vm_readv(), says so on pinned, lets go KT_HOLD_MS
 * later by filling the missing local page.  Returns an exit code.
 */
static int pvm_reader(struct pvm *pvm, int pinned)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct pollfd p;
	pthread_t pt;
	char buf[KT_4K];
	int uffd, ret;

	/* blocking, a userfaultfd polls as EPOLLERR at once: O_NONBLOCK */
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		snprintf(sh->why, sizeof(sh->why),
			 "no userfaultfd (%s): nothing can hold process_vm_readv's pin",
			 strerror(errno));
		return 4;
	}
	pvm->local = mmap(NULL, KT_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)pvm->local;
	reg.range.len = KT_4K;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (pvm->local == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(&pt, NULL, pvm_thread, pvm)) {
		say_why("userfaultfd setup on %s: %s", sub->name, errno);
		return 2;
	}
	/*
	 * The fault on the local page comes after the pin (the copy is the
	 * first touch of it): once it is read here, the page is held.
	 */
	p.fd = uffd;
	p.events = POLLIN;
	{
		struct uffd_msg msg;

		if (poll(&p, 1, 10000) != 1 || !(p.revents & POLLIN) ||
		    read(uffd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT ||
		    (msg.arg.pagefault.address & ~(KT_4K - 1)) !=
		    (unsigned long)pvm->local) {
			say_why("process_vm_readv on %s: no fault on the local page in 10 s (%s)",
				sub->name, ETIMEDOUT);
			return 2;
		}
	}
	if (write(pinned, "p", 1) != 1)
		return 2;
	/* a timed hold, not a synchronisation: poll's timeout is it */
	poll(NULL, 0, hold);
	{
		struct uffdio_copy cp = {
			.dst = (unsigned long)pvm->local, .len = KT_4K,
			.src = (unsigned long)buf,
		};

		memset(buf, 0, sizeof(buf));
		ret = ioctl(uffd, UFFDIO_COPY, &cp);
	}
	pthread_join(pt, NULL);
	sh->released_ms = kt_now_ms();
	if (ret || pvm->ret != (ssize_t)KT_4K ||
	    kt_check(pvm->local, KT_4K, SEED_PAGE) >= 0) {
		snprintf(sh->why, sizeof(sh->why),
			 "UFFDIO_COPY %d, process_vm_readv returned %zd (%s)%s",
			 ret, pvm->ret, pvm->ret < 0 ? strerror(pvm->err) : "",
			 pvm->ret == (ssize_t)KT_4K ? ", not the page's data" : "");
		sh->reader_bad = 1;
		return 1;
	}
	return 0;
}

static int uring_rw(struct io_uring *ring, int fd, char *page, bool write,
		    off_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write(sqe, fd, page, KT_4K, off);
	else
		io_uring_prep_read(sqe, fd, page, KT_4K, off);
	return io_uring_submit(ring) == 1 ? 0 : -EIO;
}

static int uring_reap(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* returns the holder's exit code: 0 ok, 1 data wrong, 2 setup failed */
static int holder(void *arg)
{
	enum holder h = (enum holder)(long)arg;
	off_t woff = DEV_WRITE_AT + (off_t)nwrites * KT_4K;
	struct io_uring ring;
	struct kt_io io;
	struct pvm pvm = { 0 };
	pid_t reader = -1;
	int fd, ret = 0, dfd = -1;
	char *map, *page, buf[KT_4K];
	size_t maplen = sub->kind == KT_DEVDAX ? KT_2M : FILE_LEN;
	off_t at = sub->kind == KT_DEVDAX ? 16 * KT_4K : PAGE_AT;
	bool wr = h == H_ODIRECT_WRITE || h == H_URING_WRITE;
	char c;

	fd = open(sub->kind == KT_DEVDAX ? sub->path : file, O_RDWR);
	if (fd < 0) {
		say_why("open %s: %s", sub->path, errno);
		return 2;
	}
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		say_why("mmap %s: %s", sub->path, errno);
		return 2;
	}
	page = map + at;
	kt_fill(page, KT_4K, SEED_PAGE);

	switch (h) {
	case H_NONE:
		break;
	case H_ODIRECT_READ:
	case H_ODIRECT_WRITE:
		if (kt_io_start(&io, kt_slow_dev(), page, KT_4K,
				wr ? woff : DEV_READ_AT, wr)) {
			say_why("O_DIRECT on %s: %s", kt_slow_dev(), EIO);
			return 2;
		}
		break;
	case H_URING_READ:
	case H_URING_WRITE:
		dfd = open(kt_slow_dev(), O_RDWR | O_DIRECT);
		if (dfd < 0 || io_uring_queue_init(4, &ring, 0) ||
		    uring_rw(&ring, dfd, page, wr, wr ? woff : DEV_READ_AT) ||
		    kt_wait_inflight(kt_slow_dev(), true, 10000) < 0) {
			say_why("io_uring on %s: %s", kt_slow_dev(), EIO);
			return 2;
		}
		break;
	case H_REGISTERED: {
		struct iovec iov = { page, KT_4K };
		struct io_uring_sqe *sqe;

		if (io_uring_queue_init(4, &ring, 0))
			return 2;
		ret = io_uring_register_buffers(&ring, &iov, 1);
		if (ret == -EOPNOTSUPP) {
			snprintf(sh->why, sizeof(sh->why),
				 "io_uring refuses to register %s memory (EOPNOTSUPP): no long-term pin to hold",
				 sub->kind == KT_DEVDAX ? "devdax" : "fsdax");
			return 4;
		}
		if (ret) {
			say_why("register_buffers on %s: %s (not EOPNOTSUPP)",
				sub->name, -ret);
			return 2;
		}
		/* the registration is real: a fixed read lands in the page */
		dfd = open(kt_fast_dev(), O_RDONLY | O_DIRECT);
		sqe = io_uring_get_sqe(&ring);
		if (dfd < 0 || !sqe)
			return 2;
		io_uring_prep_read_fixed(sqe, dfd, page, KT_4K, 0, 0);
		if (io_uring_submit(&ring) != 1 ||
		    uring_reap(&ring) != (int)KT_4K) {
			say_why("READ_FIXED into the registered %s page: %s",
				sub->name, EIO);
			return 2;
		}
		if (kt_check(page, KT_4K, SEED_FAST) >= 0) {
			snprintf(sh->why, sizeof(sh->why),
				 "READ_FIXED did not land in the registered page");
			return 1;
		}
		kt_fill(page, KT_4K, SEED_PAGE);
		break;
	}
	case H_VMSPLICE: {
		struct iovec iov = { page, KT_4K };

		if (vmsplice(pipe_fd[1], &iov, 1, 0) != (ssize_t)KT_4K) {
			say_why("vmsplice %s: %s", sub->name, errno);
			return 2;
		}
		break;
	}
	case H_PROCESS_VM: {
		int pinned[2];
		char c;

		pvm.pid = getpid();
		pvm.page = page;
		if (pipe(pinned))
			return 2;
		fflush(stdout);
		reader = fork();
		if (reader == 0) {
			/* the reader keeps no mapping of the holder's file */
			munmap(map, maplen);
			close(fd);
			_exit(pvm_reader(&pvm, pinned[1]));
		}
		close(pinned[1]);
		if (reader < 0 || read(pinned[0], &c, 1) != 1) {
			ret = reader < 0 ? 2 : kt_child_wait(reader, 10000);
			return ret == 4 ? 4 : 2;
		}
		close(pinned[0]);
		break;
	}
	default:
		return 2;
	}

	if (teardowns[td].unmaps) {
		/* the hold is all that is left of the file (or device) */
		munmap(map, maplen);
		close(fd);
	}
	if (td == T_EXIT) {
		/* a fork shares the mapping; both processes go with the hold on */
		pid_t g = fork();

		if (g == 0)
			_exit(0);
		if (g > 0)
			waitpid(g, NULL, 0);
	}
	sh->ready_ms = kt_now_ms();
	if (write(ready_fd[1], "r", 1) != 1)
		return 2;
	if (td == T_EXIT)
		_exit(0);	/* in flight: the kernel finishes it, or cancels */

	/* hold: the device ends an I/O; the others let go at KT_HOLD_MS */
	switch (h) {
	case H_NONE: {
		struct pollfd p = { go_fd[0], POLLIN, 0 };

		poll(&p, 1, hold + slack + 20000);
		if (read(go_fd[0], &c, 1) < 0)
			ret = 2;
		sh->released_ms = kt_now_ms();
		return ret;
	}
	case H_ODIRECT_READ:
	case H_ODIRECT_WRITE:
		ret = (int)kt_io_join(&io);
		sh->released_ms = io.end_ms;
		if (ret != (int)KT_4K) {
			snprintf(sh->why, sizeof(sh->why), "O_DIRECT %s returned %d",
				 wr ? "write" : "read", ret);
			return 1;
		}
		return 0;
	case H_URING_READ:
	case H_URING_WRITE:
		ret = uring_reap(&ring);
		sh->released_ms = kt_now_ms();
		if (ret != (int)KT_4K) {
			snprintf(sh->why, sizeof(sh->why), "io_uring %s returned %d",
				 wr ? "write" : "read", ret);
			return 1;
		}
		return 0;
	case H_PROCESS_VM:
		/* the reader lets go in its own time */
		return kt_child_wait(reader, hold + slack + 10000);
	default:
		break;
	}
	{
		/* a timed hold, not a synchronisation: poll's timeout is it */
		struct pollfd p = { go_fd[0], POLLIN, 0 };

		poll(&p, 1, hold);
	}
	if (h == H_REGISTERED) {
		ret = io_uring_unregister_buffers(&ring);
		sh->released_ms = kt_now_ms();
		if (ret) {
			say_why("unregister_buffers on %s: %s", sub->name, -ret);
			return 1;
		}
		return 0;
	}
	if (h == H_VMSPLICE) {
		ssize_t n = read(pipe_fd[0], buf, KT_4K);

		sh->released_ms = kt_now_ms();
		if (n != (ssize_t)KT_4K || kt_check(buf, KT_4K, SEED_PAGE) >= 0) {
			snprintf(sh->why, sizeof(sh->why),
				 "the pipe gave %zd bytes, %s", n,
				 n == (ssize_t)KT_4K ? "not the page's" : "not a page");
			return 1;
		}
		return 0;
	}
	return 2;
}

/* ---- the teardowns ----------------------------------------------------- */

static const char *dax_name(void)
{
	const char *b = strrchr(sub->path, '/');

	return b ? b + 1 : sub->path;
}

static int sysfs_write(const char *path, const char *what)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, what, strlen(what));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static const char *fstype(void)
{
	return strcmp(sub->name, "xfs") ? "ext4" : "xfs";
}

static const char *blockdev(void)
{
	const char *v = getenv(strcmp(sub->name, "xfs") ? "KT_BLK_EXT4" : "KT_BLK_XFS");

	return v && *v ? v : NULL;
}

/* the teardown itself, in a child: it may block for as long as the kernel likes */
static int teardown(void *arg)
{
	const char *ndctl[8] = { "ndctl", NULL };
	int rc = 0, fd;

	(void)arg;
	sh->td_start_ms = kt_now_ms();
	switch (td) {
	case T_TRUNCATE:
		fd = open(file, O_RDWR);
		rc = fd < 0 || ftruncate(fd, PAGE_AT) ? -errno : 0;
		break;
	case T_PUNCH:
		fd = open(file, O_RDWR);
		rc = fd < 0 || fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					 PAGE_AT, KT_4K) ? -errno : 0;
		break;
	case T_UNLINK:
		rc = unlink(file) ? -errno : 0;
		break;
	case T_UMOUNT:
		rc = umount(sub->path) ? -errno : 0;
		break;
	case T_DISABLE:
		ndctl[1] = "disable-namespace";
		ndctl[2] = sub->ns;
		rc = kt_run(600000, NULL, ndctl);
		break;
	case T_RECONFIGURE:
		ndctl[1] = "create-namespace";
		ndctl[2] = "-f";
		ndctl[3] = "-e";
		ndctl[4] = sub->ns;
		ndctl[5] = "-m";
		ndctl[6] = "devdax";
		rc = kt_run(600000, NULL, ndctl);
		break;
	case T_UNBIND:
		rc = sysfs_write("/sys/bus/dax/drivers/device_dax/unbind", dax_name());
		break;
	default:
		break;
	}
	sh->td_err = rc;
	sh->td_end_ms = kt_now_ms();
	return rc ? 1 : 0;
}

/* undo what the teardown took away, so the next cell has its substrate */
static bool restore(void)
{
	const char *ndctl[] = { "ndctl", "enable-namespace", sub->ns, NULL };
	int rc = 0;

	switch (td) {
	case T_UMOUNT:
		if (!blockdev())
			return false;
		rc = mount(blockdev(), sub->path, fstype(), 0, "dax") ? -errno : 0;
		if (rc)
			ksft_print_msg("mount -o dax %s %s: %s\n", blockdev(),
				       sub->path, strerror(-rc));
		break;
	case T_DISABLE:
		rc = kt_run(60000, NULL, ndctl);
		break;
	case T_UNBIND:
		rc = sysfs_write("/sys/bus/dax/drivers/device_dax/bind", dax_name());
		break;
	default:
		break;
	}
	if (sub->kind == KT_DEVDAX && access(sub->path, F_OK)) {
		ksft_print_msg("%s did not come back (rc %d)\n", sub->path, rc);
		return false;
	}
	return rc == 0;
}

/* ---- one cell ---------------------------------------------------------- */

/* the file or device page the holder held, read through a fresh fd */
static bool read_back(char *buf, bool *gone)
{
	int fd;
	ssize_t n;

	*gone = false;
	if (sub->kind == KT_DEVDAX) {
		char *m;

		fd = open(sub->path, O_RDWR);
		if (fd < 0)
			return false;
		m = mmap(NULL, KT_2M, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			return false;
		memcpy(buf, m + 16 * KT_4K, KT_4K);
		munmap(m, KT_2M);
		return true;
	}
	fd = open(file, O_RDWR);
	if (fd < 0) {
		*gone = errno == ENOENT;
		return false;
	}
	if (td == T_TRUNCATE && ftruncate(fd, FILE_LEN)) {
		close(fd);
		return false;
	}
	n = pread(fd, buf, KT_4K, PAGE_AT);
	close(fd);
	return n == (ssize_t)KT_4K;
}

/* what the page must hold once the dust settles */
static bool check_page(enum holder h)
{
	static char buf[KT_4K];
	bool gone, cut = td == T_TRUNCATE || td == T_PUNCH;
	ssize_t bad;

	if (td == T_UNLINK)
		return true;	/* checked through the new file */
	if (!read_back(buf, &gone)) {
		ksft_print_msg("cannot read the page back: %s\n", strerror(errno));
		return false;
	}
	if (cut) {
		bad = kt_check_byte(buf, KT_4K, 0);
		if (bad >= 0)
			ksft_print_msg("the cut page is not zero at %zd\n", bad);
	} else {
		uint32_t seed = h == H_ODIRECT_READ || h == H_URING_READ ?
				SEED_DEV : SEED_PAGE;

		bad = kt_check(buf, KT_4K, seed);
		if (bad >= 0)
			ksft_print_msg("the page differs at %zd from the %s\n", bad,
				       seed == SEED_DEV ? "read's data" : "data it held");
	}
	return bad < 0;
}

/* after an unlink: a new file takes the freed blocks and must keep its data */
static int new_file(void)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/pin-matrix-new", sub->path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	unlink(path);
	char *m;

	if (fallocate(fd, 0, 0, FILE_LEN) ||
	    (m = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	kt_fill(m, FILE_LEN, SEED_NEW);
	munmap(m, FILE_LEN);
	return fd;
}

static bool new_file_intact(int fd)
{
	char *m = mmap(NULL, FILE_LEN, PROT_READ, MAP_SHARED, fd, 0);
	ssize_t bad;

	if (m == MAP_FAILED)
		return false;
	bad = kt_check(m, FILE_LEN, SEED_NEW);
	munmap(m, FILE_LEN);
	if (bad >= 0)
		ksft_print_msg("the file written after the unlink changed at %zd: its blocks were still under I/O\n",
			       bad);
	return bad < 0;
}

static bool make_file(void)
{
	struct kt_map m;

	if (kt_map(sub, "pin-matrix", FILE_LEN, &m))
		return false;
	kt_fill(m.addr, FILE_LEN, SEED_FILE);
	snprintf(file, sizeof(file), "%s", m.file);
	munmap(m.addr, m.len);
	close(m.fd);
	return true;
}

static void close_cell(void)
{
	if (file[0])
		unlink(file);
	file[0] = 0;
	close(ready_fd[0]);
	close(go_fd[0]);
	close(go_fd[1]);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
}

/* returns 1 pass, 0 fail, 4 skip (sh->why says why) */
static int cell(enum holder h)
{
	bool waits = teardowns[td].waits && h != H_NONE;
	bool io = h != H_NONE;
	int64_t start, end, released;
	pid_t hpid, tpid = -1;
	int rc, hrc, newfd = -1;
	bool ok = true;
	char c = 0;

	memset(sh, 0, sizeof(*sh));
	if (pipe(ready_fd) || pipe(go_fd) || pipe(pipe_fd))
		return 0;
	if (sub->kind == KT_FSDAX && !make_file()) {
		close_cell();
		return 0;
	}
	hpid = kt_child(holder, (void *)(long)h);
	close(ready_fd[1]);
	{
		struct pollfd p = { ready_fd[0], POLLIN, 0 };

		if (poll(&p, 1, 20000) == 1 && read(ready_fd[0], &c, 1) != 1)
			c = 0;
	}
	if (c != 'r') {
		hrc = kt_child_wait(hpid, 10000);
		if (hrc == -ETIMEDOUT)
			hrc = kt_child_kill(hpid, 10000);
		close_cell();
		if (hrc == 4)
			return 4;
		ksft_print_msg("the %s holder did not start (exit %d): %s\n",
			       holder_name[h], hrc, sh->why);
		return 0;
	}

	/* a write was issued: device_data reads it back */
	if (h == H_ODIRECT_WRITE || h == H_URING_WRITE)
		nwrites++;

	/* the teardown, while the page is held */
	if (td == T_EXIT || td == T_MUNMAP) {
		/* the holder did it; the hold goes on without the mapping */
	} else {
		tpid = kt_child(teardown, NULL);
	}
	if (td == T_UNLINK) {
		/* as soon as the unlink is done, whoever allocates next */
		rc = kt_child_wait(tpid, hold + slack);
		tpid = rc == -ETIMEDOUT ? tpid : -1;
		if (tpid < 0)
			newfd = new_file();
	}

	/* no pin: the teardown is over at once; then let the mapping go */
	if (h == H_NONE && tpid > 0) {
		rc = kt_child_wait(tpid, slack + 10000);
		if (rc == -ETIMEDOUT)
			ksft_print_msg("%s blocked %d ms with no pin held\n",
				       teardowns[td].name, slack + 10000);
		else
			tpid = -1;
	}
	if (h == H_NONE && write(go_fd[1], "g", 1) != 1)
		ok = false;

	/* the release: the holder's (or, after exit, the device's or ours) */
	if (td == T_EXIT && h == H_VMSPLICE) {
		struct pollfd p = { go_fd[0], POLLIN, 0 };
		char buf[KT_4K];

		poll(&p, 1, hold);	/* the hold's length, ours to keep */
		rc = (int)read(pipe_fd[0], buf, KT_4K);
		sh->released_ms = kt_now_ms();
		if (rc != (int)KT_4K || kt_check(buf, KT_4K, SEED_PAGE) >= 0) {
			ksft_print_msg("after the exit the pipe gave %d bytes, not the page's\n", rc);
			ok = false;
		}
	}
	if (td == T_EXIT && h == H_PROCESS_VM) {
		/* the reader outlives the holder: a 1 ms poll of its flag */
		int64_t until = kt_now_ms() + hold + slack;

		while (!sh->released_ms && kt_now_ms() < until)
			poll(NULL, 0, 1);
		if (!sh->released_ms || sh->reader_bad) {
			ksft_print_msg("after the exit the reader %s\n",
				       sh->released_ms ? sh->why : "did not let go");
			ok = false;
		}
	}
	hrc = kt_child_wait(hpid, hold + slack + 20000);
	if (hrc == -ETIMEDOUT) {
		ksft_print_msg("the holder did not let go in %d ms\n", hold + slack + 20000);
		hrc = kt_child_kill(hpid, 10000);
	}
	if (hrc != 0) {
		ksft_print_msg("holder: exit %d%s%s\n", hrc, sh->why[0] ? ": " : "", sh->why);
		ok = false;
	}
	released = sh->released_ms;
	if (td == T_EXIT && (h == H_ODIRECT_READ || h == H_ODIRECT_WRITE ||
			     h == H_URING_READ || h == H_URING_WRITE)) {
		/* the process is gone; the I/O ends when the device says */
		int w = kt_wait_inflight(kt_slow_dev(), false, hold + slack);

		released = kt_now_ms();
		if (w < 0) {
			ksft_print_msg("the I/O of the exited holder is still in flight\n");
			ok = false;
		}
	}
	if (!released)
		released = kt_now_ms();

	if (tpid > 0) {
		/* a correct kernel returns soon after the release */
		int left = (int)(released + slack - kt_now_ms());

		rc = kt_child_wait(tpid, left > 0 ? left : 0);
		if (rc == -ETIMEDOUT) {
			ksft_print_msg("%s still blocked %lld ms after the release\n",
				       teardowns[td].name,
				       (long long)(kt_now_ms() - released));
			rc = kt_child_kill(tpid, 10000);
			if (rc == -ETIMEDOUT) {
				ksft_print_msg("SIGKILL %s: still there after 10 s, stuck in the kernel\n",
					       teardowns[td].name);
				wedged = true;
			}
			close_cell();
			return 0;
		}
	}
	if (td != T_EXIT && td != T_MUNMAP) {
		start = sh->td_start_ms;
		end = sh->td_end_ms;
		if (sh->td_err) {
			ksft_print_msg("%s failed: %d (%s)\n", teardowns[td].name,
				       sh->td_err, sh->td_err < 0 ?
				       strerror(-sh->td_err) : "exit code");
			ok = false;
		}
		ksft_print_msg("%s took %lld ms; held %lld ms from the start of the hold, released %+lld ms from its end\n",
			       teardowns[td].name, (long long)(end - start),
			       (long long)(released - sh->ready_ms),
			       (long long)(end - released));
		/* 200 ms: the release and our clock read are not one instant */
		if (waits && released - end > 200) {
			ksft_print_msg("%s returned %lld ms before the %s holder let go\n",
				       teardowns[td].name, (long long)(released - end),
				       holder_name[h]);
			ok = false;
		}
		if (!io && end - start > slack) {
			ksft_print_msg("%s waited %lld ms with nothing held\n",
				       teardowns[td].name, (long long)(end - start));
			ok = false;
		}
	}
	if (!restore()) {
		wedged = true;
		close_cell();
		return 0;
	}
	if (td == T_UNLINK) {
		if (newfd < 0) {
			ksft_print_msg("no new file after the unlink\n");
			ok = false;
		} else {
			ok = new_file_intact(newfd) && ok;
			close(newfd);
		}
	} else if (ok) {
		ok = check_page(h);
	}
	close_cell();
	return ok;
}

/* the writes' data, all in one read (each read of the slow device is a hold) */
static bool device_data(void)
{
	size_t len = (size_t)nwrites * KT_4K;
	char *buf = aligned_alloc(KT_4K, len ? len : KT_4K);
	int fd = open(kt_slow_dev(), O_RDONLY | O_DIRECT);
	bool ok = buf && fd >= 0 && pread(fd, buf, len, DEV_WRITE_AT) == (ssize_t)len;

	for (int i = 0; ok && i < nwrites; i++) {
		if (kt_check(buf + (size_t)i * KT_4K, KT_4K, SEED_PAGE) >= 0) {
			ksft_print_msg("write %d did not reach the device whole\n", i);
			ok = false;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* the data the reads bring: the slow device's, and the fast one's */
static bool seed_devices(void)
{
	char *buf = aligned_alloc(KT_4K, KT_4K);
	int fd = open(kt_slow_dev(), O_RDWR | O_DIRECT);
	bool ok = buf && fd >= 0;

	if (ok) {
		kt_fill(buf, KT_4K, SEED_DEV);
		ok = pwrite(fd, buf, KT_4K, DEV_READ_AT) == (ssize_t)KT_4K;
		close(fd);
	}
	fd = open(kt_fast_dev(), O_RDWR | O_DIRECT);
	if (ok && fd >= 0) {
		kt_fill(buf, KT_4K, SEED_FAST);
		ok = pwrite(fd, buf, KT_4K, 0) == (ssize_t)KT_4K;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

int main(int argc, char **argv)
{
	struct kt_sub subs[4];
	int n, planned;
	bool seeded;

	for (td = 0; td < T_COUNT; td++)
		if (argc == 2 && !strcmp(argv[1], teardowns[td].name))
			break;
	if (td == T_COUNT) {
		fprintf(stderr, "usage: pin-matrix truncate|punch|unlink|umount|munmap|exit|disable|reconfigure|unbind\n");
		return 2;
	}
	n = kt_substrates(teardowns[td].subs, subs);
	ksft_print_header();
	planned = n * H_COUNT + 1;
	ksft_set_plan(planned);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	hold = kt_hold_ms();
	slack = hold > 3000 ? hold : 3000;
	seeded = kt_slow_dev() && kt_fast_dev() && hold && seed_devices();
	ksft_print_msg("%s: hold %d ms (slow null_blk %s), slack %d ms\n",
		       teardowns[td].name, hold,
		       kt_slow_dev() ? kt_slow_dev() : "(none)", slack);

	for (int i = 0; i < n; i++) {
		sub = &subs[i];
		for (enum holder h = 0; h < H_COUNT; h++) {
			char name[96];
			int r;

			snprintf(name, sizeof(name), "%s_%s", holder_name[h], sub->name);
			if (!sub->path || (td >= T_DISABLE && !sub->ns)) {
				ksft_test_result_skip(name, "no %s\n", sub->name);
				continue;
			}
			if (!seeded) {
				ksft_test_result_skip(name, "no delayed null_blk to hold a page with\n");
				continue;
			}
			if (wedged) {
				ksft_test_result_fail("%s # not run: an earlier teardown is stuck\n", name);
				continue;
			}
			kt_kmsg_mark();
			r = cell(h);
			if (r == 4) {
				ksft_test_result_skip(name, "%s\n", sh->why);
				continue;
			}
			ksft_test_result(kt_kmsg_scan() == 0 && r == 1, name);
		}
	}
	if (!seeded || !nwrites)
		ksft_test_result_skip("device_data", "no write was held\n");
	else
		ksft_test_result(device_data(), "device_data");
	ksft_finished();
}
