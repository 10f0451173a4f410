// SPDX-License-Identifier: BSD-3-Clause
/* kt.c -- helpers shared by the kernel conformance programs (see kt.h) */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ksft.h"
#include "kt.h"

int64_t kt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int kt_substrates(unsigned int mask, struct kt_sub *subs)
{
	static const struct {
		unsigned int bit;
		const char *name, *env, *ns;
		enum kt_kind kind;
		size_t align;
	} all[] = {
		{ KT_SUB_DEVDAX4K, "devdax4k", "KT_DEVDAX_4K", "KT_NS_DEVDAX_4K",
		  KT_DEVDAX, KT_4K },
		{ KT_SUB_DEVDAX2M, "devdax2m", "KT_DEVDAX_2M", "KT_NS_DEVDAX_2M",
		  KT_DEVDAX, KT_2M },
		{ KT_SUB_EXT4, "ext4", "KT_EXT4", NULL, KT_FSDAX, KT_4K },
		{ KT_SUB_XFS, "xfs", "KT_XFS", NULL, KT_FSDAX, KT_4K },
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!(mask & all[i].bit))
			continue;
		subs[n].name = all[i].name;
		subs[n].kind = all[i].kind;
		subs[n].path = env(all[i].env);
		subs[n].ns = all[i].ns ? env(all[i].ns) : NULL;
		subs[n].align = all[i].align;
		n++;
	}
	return n;
}

int kt_map(const struct kt_sub *s, const char *fname, size_t len,
	   struct kt_map *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (s->kind == KT_DEVDAX) {
		m->fd = open(s->path, O_RDWR);
		if (m->fd < 0)
			goto err;
	} else {
		snprintf(m->file, sizeof(m->file), "%s/%s", s->path, fname);
		unlink(m->file);
		m->fd = open(m->file, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (m->fd < 0)
			goto err;
		/*
		 * Allocate whole 2 MiB units up front: with extents that
		 * start 2 MiB aligned the filesystem can map PMDs.
		 */
		size_t alloc = (len + KT_2M - 1) & ~(KT_2M - 1);

		if (fallocate(m->fd, 0, 0, alloc) < 0 ||
		    ftruncate(m->fd, len) < 0)
			goto err_close;
	}
	m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       m->fd, 0);
	if (m->addr == MAP_FAILED) {
		m->addr = NULL;
		goto err_close;
	}
	m->len = len;
	return 0;

err_close:
	err = errno;
	close(m->fd);
	m->fd = -1;
	errno = err;
err:
	err = errno;
	ksft_print_msg("map %s %s: %s\n", s->path, m->file, strerror(err));
	return -err;
}

void kt_unmap(struct kt_map *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	if (m->fd >= 0)
		close(m->fd);
	if (m->file[0])
		unlink(m->file);
	m->addr = NULL;
	m->fd = -1;
	m->file[0] = 0;
}

/* xorshift keyed by seed and offset: any 8 bytes name where they belong */
static uint64_t pat(uint32_t seed, uint64_t i)
{
	uint64_t x = ((uint64_t)seed << 32) ^ (i * 0x9e3779b97f4a7c15ULL) ^ 1;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

void kt_fill(void *buf, size_t len, uint32_t seed)
{
	uint64_t *p = buf;

	for (size_t i = 0; i < len / 8; i++)
		p[i] = pat(seed, i);
}

ssize_t kt_check(const void *buf, size_t len, uint32_t seed)
{
	const uint64_t *p = buf;

	for (size_t i = 0; i < len / 8; i++)
		if (p[i] != pat(seed, i))
			return (ssize_t)(i * 8);
	return -1;
}

ssize_t kt_check_byte(const void *buf, size_t len, uint8_t byte)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != byte)
			return (ssize_t)i;
	return -1;
}

const char *kt_slow_dev(void)
{
	return env("KT_SLOW");
}

const char *kt_fast_dev(void)
{
	return env("KT_FAST");
}

int kt_hold_ms(void)
{
	const char *v = env("KT_HOLD_MS");

	return v ? atoi(v) : 0;
}

int kt_inflight(const char *dev)
{
	char path[128], buf[64];
	const char *base = strrchr(dev, '/');
	unsigned int r = 0, w = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s/inflight",
		 base ? base + 1 : dev);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (sscanf(buf, "%u %u", &r, &w) != 2)
		return -EIO;
	return (int)(r + w);
}

int kt_wait_inflight(const char *dev, bool want, int timeout_ms)
{
	int64_t t0 = kt_now_ms();
	struct timespec tick = { 0, 1000000 };

	/* a 1 ms poll of a counter, not a sleep standing in for an event */
	for (;;) {
		int n = kt_inflight(dev);

		if (n < 0)
			return n;
		if ((n > 0) == want)
			return (int)(kt_now_ms() - t0);
		if (kt_now_ms() - t0 > timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

static void *io_thread(void *arg)
{
	struct kt_io *io = arg;
	ssize_t n;

	io->start_ms = kt_now_ms();
	if (io->write)
		n = pwrite(io->fd, io->buf, io->len, io->off);
	else
		n = pread(io->fd, io->buf, io->len, io->off);
	io->ret = n < 0 ? -errno : n;
	io->end_ms = kt_now_ms();
	return NULL;
}

int kt_io_start(struct kt_io *io, const char *dev, void *buf, size_t len,
		off_t off, bool write)
{
	pthread_t t;
	int err, w;

	memset(io, 0, sizeof(*io));
	io->dev = dev;
	io->buf = buf;
	io->len = len;
	io->off = off;
	io->write = write;
	io->fd = open(dev, O_RDWR | O_DIRECT);
	if (io->fd < 0) {
		err = -errno;
		ksft_print_msg("open %s: %s\n", dev, strerror(-err));
		return err;
	}
	err = pthread_create(&t, NULL, io_thread, io);
	if (err) {
		close(io->fd);
		return -err;
	}
	io->thread = (unsigned long)t;
	w = kt_wait_inflight(dev, true, 10000);
	if (w < 0) {
		/* maybe it already finished (an error, or no delay) */
		ksft_print_msg("%s: no request in flight after 10 s\n", dev);
		kt_io_join(io);
		return -ETIMEDOUT;
	}
	return 0;
}

ssize_t kt_io_join(struct kt_io *io)
{
	if (io->thread) {
		pthread_join((pthread_t)io->thread, NULL);
		io->thread = 0;
	}
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	return io->ret;
}

pid_t kt_child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int decode(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int kt_child_wait(pid_t pid, int timeout_ms)
{
	struct pollfd p;
	int status, fd;

	fd = pidfd_open_(pid);
	if (fd >= 0) {
		p.fd = fd;
		p.events = POLLIN;
		int n = poll(&p, 1, timeout_ms);

		close(fd);
		if (n == 0)
			return -ETIMEDOUT;
	}
	/* no pidfd: a kernel before 5.3, wait without a deadline */
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return decode(status);
}

int kt_child_kill(pid_t pid, int timeout_ms)
{
	kill(pid, SIGKILL);
	return kt_child_wait(pid, timeout_ms);
}

pid_t kt_spawn(const char *const argv[])
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* the tools talk on stdout/stderr; only the exit code counts */
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int kt_run(int timeout_ms, int64_t *ms, const char *const argv[])
{
	int64_t t0 = kt_now_ms();
	pid_t pid;
	int rc;

	pid = kt_spawn(argv);
	if (pid < 0)
		return -errno;
	rc = kt_child_wait(pid, timeout_ms);
	if (rc == -ETIMEDOUT)
		kt_child_kill(pid, 5000);
	if (ms)
		*ms = kt_now_ms() - t0;
	return rc;
}

int kt_ns(const char *verb, const char *ns, int timeout_ms, int64_t *ms)
{
	const char *argv[] = { "ndctl", verb, ns, NULL };

	return kt_run(timeout_ms, ms, argv);
}

static int kmsg_fd = -1;

void kt_kmsg_mark(void)
{
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

int kt_kmsg_scan(void)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "KASAN", "percpu ref",
		"refcount_t", "hung task", "blocked for more than",
		"Bad page", "underflow", "general protection",
		"dax_disassociate_entry", "free_zone_device_page",
	};
	char rec[2048];
	int hits = 0;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		char *msg = strchr(rec, ';');

		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(msg, bad[i])) {
				ksft_print_msg("kernel: %s\n", msg);
				hits++;
				break;
			}
		}
	}
	return hits;
}

long kt_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}
