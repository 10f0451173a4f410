// SPDX-License-Identifier: BSD-3-Clause
/*
 * value_fd.c -- large values straight between a file and the pool
 *
 * pmkv_put_from_fd() reads the value into the record's own pmem pages
 * (a value of PMKV_VALUE_ALIGN_MIN or more starts on a page) by direct
 * I/O; the device writes them, the checksum is taken from there, and the
 * commit's one fence makes record and value durable together.
 * pmkv_get_to_fd() writes the value from the pool's pages to the file,
 * its segment pinned against reclamation meanwhile. Direct I/O moves
 * whole pages: a value's last partial page, a small value or an offset
 * off a page boundary go through the page cache and count as bounce
 * bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "kv.h"
#include "record.h"
#include "transfer.h"

struct fd_io {
	struct pmkv *kv;
	const struct pmkv_transfer_config *tc;
	int fd;
	uint64_t off;
	bool to_fd;
	uint64_t t0;		/* CLOCK_MONOTONIC at the call */
	enum pmkv_transfer_path path;
	uint64_t bytes, bounce_bytes;
};

/* the page-aligned body of len bytes at mem by direct I/O; bytes moved */
static int direct_body(struct fd_io *io, uint8_t *mem, uint64_t len,
		       uint64_t *body)
{
	char proc[64];
	struct xfer x;
	bool direct;
	int dfd, rc;

	*body = 0;
	if (len < PMKV_VALUE_ALIGN_MIN || io->off % XFER_ALIGN ||
	    (uintptr_t)mem % XFER_ALIGN)
		return 0;
	/* a descriptor of our own: the caller's keeps its flags */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", io->fd);
	dfd = transfer_open_file(proc, io->to_fd ? O_WRONLY : O_RDONLY, 0,
				 io->tc, &direct);
	if (dfd < 0 || !direct) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	rc = transfer_start(&x, "the value's file", dfd, io->to_fd, true,
			    io->tc, NULL, 0, len);
	if (!rc) {
		*body = len & ~(uint64_t)(XFER_ALIGN - 1);
		transfer_add(&x, mem, io->off, *body, NULL, NULL);
		rc = transfer_wait(&x);
		io->path = x.path;
		io->bytes += x.bytes;
		transfer_end(&x);
	}
	close(dfd);
	return rc;
}

/* what direct I/O did not move, through the caller's descriptor */
static int buffered_rest(struct fd_io *io, uint8_t *mem, uint64_t from,
			 uint64_t len)
{
	while (from < len) {
		ssize_t n = io->to_fd ?
			pwrite(io->fd, mem + from, len - from, (off_t)(io->off + from)) :
			pread(io->fd, mem + from, len - from, (off_t)(io->off + from));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pmkv_err(-errno, "%s %llu bytes at offset %llu of the value's file: %s",
					io->to_fd ? "writing" : "reading",
					(unsigned long long)(len - from),
					(unsigned long long)(io->off + from),
					strerror(errno));
		if (n == 0)
			return pmkv_err(io->to_fd ? -EIO : -ENODATA,
					"the value's file %s at offset %llu, %llu bytes short",
					io->to_fd ? "takes no more" : "ends",
					(unsigned long long)(io->off + from),
					(unsigned long long)(len - from));
		io->bytes += (uint64_t)n;
		io->bounce_bytes += (uint64_t)n;
		from += (uint64_t)n;
		if (io->path == PMKV_PATH_NONE)
			io->path = PMKV_PATH_BUFFERED;
	}
	return 0;
}

static int move(struct fd_io *io, uint8_t *mem, uint64_t len)
{
	uint64_t body;
	int rc = direct_body(io, mem, len, &body);

	if (rc == -ENODATA)
		rc = pmkv_err(-ENODATA, "the value's file ends before offset %llu",
			      (unsigned long long)(io->off + len));
	return rc ? rc : buffered_rest(io, mem, body, len);
}

static int fill(void *arg, uint8_t *dst, uint32_t vlen)
{
	return move(arg, dst, vlen);
}

/*
 * The descriptor is open for the direction asked, on a file whose
 * offsets mean something: a pipe or socket ignores them (io_uring reads
 * a pipe wherever it is), and O_APPEND moves every buffered write to the
 * end
 */
static int fd_args(int fd, bool to_fd)
{
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	if (fl < 0 || fstat(fd, &st))
		return pmkv_err(-EBADF, "descriptor %d: %s", fd, strerror(errno));
	if ((fl & O_ACCMODE) == (to_fd ? O_RDONLY : O_WRONLY))
		return pmkv_err(-EBADF, "descriptor %d is not open for %s", fd,
				to_fd ? "writing" : "reading");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return pmkv_err(-EINVAL, "descriptor %d is neither a regular file nor a block device: no offsets to read or write at",
				fd);
	if (to_fd && (fl & O_APPEND))
		return pmkv_err(-EINVAL, "descriptor %d is open with O_APPEND, which writes at the end, not at the offset",
				fd);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void report(struct pmkv *kv, const struct fd_io *io,
		   struct pmkv_transfer_report *rep, size_t rep_size)
{
	struct pmkv_transfer_report r = { 0 };

	__atomic_add_fetch(&kv->transfer_bytes, io->bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&kv->bounce_bytes, io->bounce_bytes,
			   __ATOMIC_RELAXED);
	if (!rep)
		return;
	r.path = io->bytes ? io->path : PMKV_PATH_NONE;
	r.bytes = io->bytes;
	r.bounce_bytes = io->bounce_bytes;
	r.records = 1;
	r.elapsed_ns = now_ns() - io->t0;
	memcpy(r.pool_uuid, kv->sb->uuid, sizeof(r.pool_uuid));
	memcpy(rep, &r, rep_size < sizeof(r) ? rep_size : sizeof(r));
}

int pmkv_put_from_fd(struct pmkv *kv, const void *key, size_t klen, int fd,
		     uint64_t offset, size_t vlen,
		     const struct pmkv_transfer_config *tc,
		     struct pmkv_transfer_report *rep, size_t rep_size)
{
	struct fd_io io = { .kv = kv, .fd = fd, .off = offset, .t0 = now_ns(),
			    .tc = tc ? tc : &transfer_config_default };
	struct kv_fill f = { .fn = fill, .arg = &io };
	int rc;

	if (!kv)
		return pmkv_err(-EINVAL, "kv is NULL");
	rc = fd_args(fd, false);
	if (rc)
		return rc;
	rc = kv_put_filled(kv, key, klen, vlen, &f);
	report(kv, &io, rc ? NULL : rep, rep_size);
	return rc;
}

int pmkv_get_to_fd(struct pmkv *kv, const void *key, size_t klen, int fd,
		   uint64_t offset, size_t *vlen,
		   const struct pmkv_transfer_config *tc,
		   struct pmkv_transfer_report *rep, size_t rep_size)
{
	struct fd_io io = { .kv = kv, .fd = fd, .off = offset, .to_fd = true,
			    .t0 = now_ns(),
			    .tc = tc ? tc : &transfer_config_default };
	struct kv_pinned p;
	uint32_t n;
	int rc;

	if (!kv)
		return pmkv_err(-EINVAL, "kv is NULL");
	rc = fd_args(fd, true);
	if (!rc)
		rc = kv_value_pin(kv, key, klen, &p);
	if (rc)
		return rc;
	n = rec_vlen(&p.hdr);
	/* checked before a byte of it reaches the file */
	if (rec_vcsum(p.val, n) != p.hdr.vcsum)
		rc = rec_damaged(kv->path, &p.hdr, p.off,
				 "its value fails its checksum");
	else
		rc = move(&io, (uint8_t *)p.val, n);
	kv_value_unpin(&p);
	if (!rc)
		__atomic_fetch_add(&writer_of_thread(kv->writers)->gets, 1,
				   __ATOMIC_RELAXED);
	if (!rc && vlen)
		*vlen = n;
	report(kv, &io, rc ? NULL : rep, rep_size);
	return rc;
}
