/* SPDX-License-Identifier: BSD-3-Clause */
/* kt.h -- DAX substrates, pins held for a known time, timeouts, log checks */

/*
 * The guest script (guest-init) describes what it set up through the
 * environment; a program finds its substrates here and skips the ones the
 * guest could not provide:
 *
 *   KT_DEVDAX_4K  KT_DEVDAX_2M   /dev/daxX.Y, 4 KiB and 2 MiB aligned
 *   KT_NS_DEVDAX_4K KT_NS_DEVDAX_2M  their namespaces (namespaceX.Y)
 *   KT_EXT4  KT_XFS              mount points of -o dax filesystems
 *   KT_NS_EXT4 KT_NS_XFS         their namespaces
 *   KT_FAST  KT_SLOW             memory-backed null_blk devices; KT_SLOW
 *                                completes each request after KT_HOLD_MS
 *   KT_HOLD_MS                   the hold, as measured by the guest script
 *
 * Every wait here has a deadline: a kernel with a lost wake-up or a
 * leaked reference must give "not ok" with a duration, not a hung suite.
 */
#ifndef PMKV_KT_H
#define PMKV_KT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KT_4K		4096UL
#define KT_2M		(2UL << 20)

enum kt_kind { KT_DEVDAX, KT_FSDAX };

/* one place DAX memory comes from */
struct kt_sub {
	const char *name;	/* devdax4k devdax2m ext4 xfs: subtest suffix */
	enum kt_kind kind;
	const char *path;	/* device node or mount point; NULL: absent */
	const char *ns;		/* devdax: its namespace, for ndctl */
	size_t align;		/* devdax: mapping granularity */
};

#define KT_SUB_DEVDAX4K	(1U << 0)
#define KT_SUB_DEVDAX2M	(1U << 1)
#define KT_SUB_EXT4	(1U << 2)
#define KT_SUB_XFS	(1U << 3)
#define KT_SUB_DEVDAX	(KT_SUB_DEVDAX4K | KT_SUB_DEVDAX2M)
#define KT_SUB_FSDAX	(KT_SUB_EXT4 | KT_SUB_XFS)
#define KT_SUB_ALL	(KT_SUB_DEVDAX | KT_SUB_FSDAX)

/* fill subs[] with the substrates in mask, in a fixed order; returns count */
int kt_substrates(unsigned int mask, struct kt_sub *subs);

/* a shared mapping of DAX memory: devdax from offset 0, fsdax a new file */
struct kt_map {
	char *addr;
	size_t len;
	int fd;
	char file[256];		/* fsdax: the file; "" for devdax */
};

/*
 * Map len bytes of s.  fsdax: create <mount>/<fname>, preallocate it with
 * 2 MiB-aligned length so extents can be PMD-mapped, map it.  Returns 0 or
 * -errno with a diagnostic printed.
 */
int kt_map(const struct kt_sub *s, const char *fname, size_t len,
	   struct kt_map *m);
void kt_unmap(struct kt_map *m);

int64_t kt_now_ms(void);

/* deterministic patterns: a seed names the data, so a stray copy is named */
void kt_fill(void *buf, size_t len, uint32_t seed);
/* -1 if buf holds the pattern, else the first differing offset */
ssize_t kt_check(const void *buf, size_t len, uint32_t seed);
ssize_t kt_check_byte(const void *buf, size_t len, uint8_t byte);

/* the delayed null_blk: its path, its hold in ms; NULL/0 when absent */
const char *kt_slow_dev(void);
const char *kt_fast_dev(void);
int kt_hold_ms(void);

/* number of requests in flight on a block device (sysfs "inflight") */
int kt_inflight(const char *dev);
/*
 * Poll until the device has (want) or has no (!want) requests in flight.
 * Returns the milliseconds waited, or -ETIMEDOUT.
 */
int kt_wait_inflight(const char *dev, bool want, int timeout_ms);

/* an O_DIRECT transfer on a thread, so the caller can act while it flies */
struct kt_io {
	const char *dev;
	int fd;
	void *buf;
	size_t len;
	off_t off;
	bool write;		/* true: buf -> device */
	ssize_t ret;		/* bytes or -errno */
	int64_t start_ms, end_ms;
	unsigned long thread;
};

/* open dev O_DIRECT, start the transfer, return once it is in flight */
int kt_io_start(struct kt_io *io, const char *dev, void *buf, size_t len,
		off_t off, bool write);
/* wait for the transfer; returns its result */
ssize_t kt_io_join(struct kt_io *io);

/*
 * Run fn(arg) in a child process.  kt_child_wait() waits at most
 * timeout_ms; on timeout it returns -ETIMEDOUT and leaves the child
 * running (the caller may kt_child_kill() it).  Otherwise it returns the
 * child's exit status (0..255), or 128+signal.
 */
pid_t kt_child(int (*fn)(void *), void *arg);
int kt_child_wait(pid_t pid, int timeout_ms);
/* SIGKILL and wait up to timeout_ms; -ETIMEDOUT if it stays (D state) */
int kt_child_kill(pid_t pid, int timeout_ms);

/*
 * Run a command (argv[0] searched in PATH), its output discarded: only
 * its exit status counts.  kt_spawn() returns at once (kt_child_wait()
 * it); kt_run() waits at most timeout_ms and returns the exit status, or
 * -ETIMEDOUT after killing it; *ms gets the duration.
 */
pid_t kt_spawn(const char *const argv[]);
int kt_run(int timeout_ms, int64_t *ms, const char *const argv[]);

/* ndctl enable/disable-namespace ns with a deadline */
int kt_ns(const char *verb, const char *ns, int timeout_ms, int64_t *ms);

/*
 * Kernel log check per subtest: kt_kmsg_mark() remembers the end of the
 * log, kt_kmsg_scan() prints every new record matching the suite's
 * patterns (BUG:, WARNING:, Oops, KASAN, percpu ref, refcount_t, hung
 * task, Bad page, ...) as a diagnostic and returns how many matched.
 */
void kt_kmsg_mark(void);
int kt_kmsg_scan(void);

/* minor faults of this process so far */
long kt_minflt(void);

#endif /* PMKV_KT_H */
