// SPDX-License-Identifier: BSD-3-Clause
/* floor-io.c -- direct I/O write and read bandwidth of the backup directory */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "floor-io.h"

/* one pass over the scratch file, and what it cost */
struct pass {
	double seconds, cpu;
};

struct io {
	struct bench_io_floor *f;
	struct io_uring ring;
	int fd;
	char *buf;		/* slots of f->request bytes */
	size_t buflen;
	unsigned slots;		/* in flight at most: min(depth, requests) */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void prep(struct io *io, unsigned slot, uint64_t off, bool write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);
	char *b = io->buf + (size_t)slot * io->f->request;

	/* never NULL: the ring has a slot for every request in flight */
	if (write)
		io_uring_prep_write(sqe, io->fd, b, (unsigned)io->f->request,
				    off);
	else
		io_uring_prep_read(sqe, io->fd, b, (unsigned)io->f->request,
				   off);
	io_uring_sqe_set_data64(sqe, slot);
}

/*
 * The whole file through io_uring, io->slots requests in flight: each
 * completion's slot takes the next offset, and every completion reaped
 * at once is refilled by one submit.
 */
static int uring_pass(struct io *io, bool write)
{
	const uint64_t req = io->f->request, end = io->f->bytes;
	uint64_t next = 0;
	unsigned inflight = 0;
	int rc;

	for (unsigned s = 0; s < io->slots && next < end; s++, next += req) {
		prep(io, s, next, write);
		inflight++;
	}
	while (inflight) {
		struct io_uring_cqe *cqe;
		unsigned reaped = 0;

		rc = io_uring_submit_and_wait(&io->ring, 1);
		if (rc < 0)
			return rc;
		while (io_uring_peek_cqe(&io->ring, &cqe) == 0) {
			unsigned slot = (unsigned)io_uring_cqe_get_data64(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&io->ring, cqe);
			inflight--;
			reaped++;
			if (res < 0)
				return res;
			/* the file is whole requests long: no short ones */
			if ((uint64_t)res != req)
				return -EIO;
			if (next < end) {
				prep(io, slot, next, write);
				next += req;
				inflight++;
			}
		}
		if (!reaped)
			return -EIO;
	}
	return 0;
}

/* the fallback: one request at a time */
static int sync_pass(struct io *io, bool write)
{
	const uint64_t req = io->f->request;

	for (uint64_t off = 0; off < io->f->bytes; off += req) {
		ssize_t n = write ? pwrite(io->fd, io->buf, req, (off_t)off) :
				    pread(io->fd, io->buf, req, (off_t)off);

		if (n < 0)
			return -errno;
		if ((uint64_t)n != req)
			return -EIO;
	}
	return 0;
}

/*
 * One timed pass. A write starts from an empty file, so that every round
 * extends it as a backup extends its new file, and ends when fdatasync
 * has made it durable, as a backup does.
 */
static int timed_pass(struct io *io, bool write, struct pass *p)
{
	double t0, c0;
	int rc;

	if (write && ftruncate(io->fd, 0))
		return -errno;
	c0 = cpu_s();
	t0 = now_s();
	rc = io->f->uring ? uring_pass(io, write) : sync_pass(io, write);
	if (!rc && write && fdatasync(io->fd))
		rc = -errno;
	p->seconds = now_s() - t0;
	p->cpu = cpu_s() - c0;
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the median of the rounds' bandwidths, and their mean CPU per GB */
static void summarize(const struct bench_io_floor *f, const struct pass *p,
		      double *gbps, double *cpu_per_gb)
{
	double v[FLOOR_IO_ROUNDS], cpu = 0;

	for (unsigned r = 0; r < f->rounds; r++) {
		v[r] = (double)f->bytes / 1e9 / p[r].seconds;
		cpu += p[r].cpu;
	}
	qsort(v, f->rounds, sizeof(v[0]), cmp_double);
	*gbps = v[f->rounds / 2];
	*cpu_per_gb = cpu / ((double)f->bytes * f->rounds / 1e9);
}

/*
 * The scratch file with O_DIRECT, unlinked at once. Returns the
 * descriptor, -1 with f->skip set when the filesystem refuses O_DIRECT,
 * or -2 with msg set.
 */
static int scratch_open(struct bench_io_floor *f, const char *dir, char *msg,
			size_t msglen)
{
	char path[4096];
	int fd, err;

	snprintf(path, sizeof(path), "%s/pmkv-bench-io-floor.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return -2;
	}
	close(fd);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	err = errno;
	unlink(path);
	if (fd >= 0)
		return fd;
	if (err == EINVAL) {
		snprintf(f->skip, sizeof(f->skip),
			 "%s refuses O_DIRECT (as tmpfs before Linux 6.6)", dir);
		return -1;
	}
	snprintf(msg, msglen, "%s: %s", path, strerror(err));
	return -2;
}

/* the ring, or the reason for the fallback in f->how */
static void ring_init(struct io *io)
{
	struct bench_io_floor *f = io->f;
	int rc = io_uring_queue_init(io->slots, &io->ring, 0);

	f->uring = rc == 0;
	if (f->uring)
		snprintf(f->how, sizeof(f->how), "io_uring");
	else
		snprintf(f->how, sizeof(f->how),
			 "pwrite/pread, one request at a time: io_uring_queue_init: %s",
			 strerror(-rc));
}

static int rounds(struct io *io, char *msg, size_t msglen)
{
	struct bench_io_floor *f = io->f;
	struct pass w[FLOOR_IO_ROUNDS], r[FLOOR_IO_ROUNDS];
	int rc = 0;

	for (unsigned i = 0; i < f->rounds && !rc; i++) {
		rc = timed_pass(io, true, &w[i]);
		if (rc) {
			snprintf(msg, msglen, "O_DIRECT write of %llu bytes in %s: %s",
				 (unsigned long long)f->bytes, f->how,
				 strerror(-rc));
			break;
		}
		rc = timed_pass(io, false, &r[i]);
		if (rc)
			snprintf(msg, msglen, "O_DIRECT read of %llu bytes in %s: %s",
				 (unsigned long long)f->bytes, f->how,
				 strerror(-rc));
	}
	if (!rc) {
		summarize(f, w, &f->write_gbps, &f->write_cpu_s_per_gb);
		summarize(f, r, &f->read_gbps, &f->read_cpu_s_per_gb);
		f->measured = true;
	}
	return rc;
}

int floor_io_measure(struct bench_io_floor *f, const char *dir,
		     uint64_t bytes, unsigned depth, char *msg, size_t msglen)
{
	struct io io = { .f = f, .fd = -1 };
	uint64_t requests;
	int rc;

	memset(f, 0, sizeof(*f));
	f->depth = depth;
	f->request = FLOOR_IO_REQUEST;
	f->rounds = FLOOR_IO_ROUNDS;
	requests = (bytes + f->request - 1) / f->request;
	if (!requests)
		requests = 1;
	f->bytes = requests * f->request;
	io.slots = depth < requests ? depth : (unsigned)requests;

	io.fd = scratch_open(f, dir, msg, msglen);
	if (io.fd == -1)
		return 0;
	if (io.fd < 0)
		return -EIO;
	/* anonymous memory, page-aligned, faulted in before the clock */
	io.buflen = (size_t)io.slots * f->request;
	io.buf = mmap(NULL, io.buflen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (io.buf == MAP_FAILED) {
		snprintf(msg, msglen, "no memory for %zu bytes of buffers",
			 io.buflen);
		close(io.fd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < io.buflen; i++)
		io.buf[i] = (char)(i * 131 + (i >> 12));
	ring_init(&io);
	rc = rounds(&io, msg, msglen);
	if (f->uring)
		io_uring_queue_exit(&io.ring);
	munmap(io.buf, io.buflen);
	close(io.fd);
	return rc;
}
