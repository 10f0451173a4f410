// SPDX-License-Identifier: BSD-3-Clause
/* sparse-pool-full-fs.c -- a sparse pool on a full file system is refused */
/*
 * Proves, on holes_fill() directly (lib/holes.c), on a small tmpfs:
 *   - with room, a sparse file's holes are filled: every block of it is
 *     allocated afterwards and its bytes are unchanged;
 *   - with the file system full, a sparse file is refused with -ENOSPC and
 *     a message naming the path, the word "sparse" and the hole's offset,
 *     and its bytes and size are unchanged;
 *   - with the file system full, a file without holes, and a file whose
 *     only hole lies past the size asked about, pass (0).
 * And through pmkv_open(), which calls holes_fill() (issue 15: the open
 * passed and the first put died of SIGBUS): a
 * pool made sparse where it held zeros, on a full file system, is refused
 * with -ENOSPC and left unchanged, and opens once there is room. The open
 * runs in a child, so that a SIGBUS is reported as a failure.
 *
 * Mounting needs root (CAP_SYS_ADMIN): without it, or where mount() is
 * refused, the test skips. The mounts are made in a mount namespace of the
 * test's own, so they go away with it however it ends, and are unmounted
 * on every exit besides.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "holes.h"
#include "t.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)

static const char *mnt;

static int xopen(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		t_error("open %s: %s", path, strerror(errno));
	return fd;
}

static void xpwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		t_error("pwrite: %s", strerror(errno));
}

/* a file of size bytes with random data in [0, 64K) and [size - 64K, size) */
static int make_sparse(const char *path, uint64_t size)
{
	static uint8_t buf[64 * KIB];
	int fd = xopen(path, O_RDWR | O_CREAT | O_EXCL);

	t_rand_fill(buf, sizeof(buf));
	xpwrite(fd, buf, sizeof(buf), 0);
	t_rand_fill(buf, sizeof(buf));
	xpwrite(fd, buf, sizeof(buf), size - sizeof(buf));
	if (lseek(fd, 0, SEEK_HOLE) != (off_t)sizeof(buf))
		t_error("%s: tmpfs made no hole at 64 KiB", path);
	return fd;
}

/* whether every byte of the file's size has a block behind it */
static bool allocated(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		t_error("fstat: %s", strerror(errno));
	return (uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size;
}

/* fill the file system with one file until it has no block left */
static void fill_fs(const char *path)
{
	static uint8_t buf[64 * KIB];
	int fd = xopen(path, O_WRONLY | O_CREAT | O_TRUNC);
	size_t chunk = sizeof(buf);
	uint64_t off = 0;

	memset(buf, 0xa5, sizeof(buf));
	while (chunk >= 4 * KIB) {
		ssize_t n = pwrite(fd, buf, chunk, (off_t)off);

		if (n > 0) {
			off += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno != ENOSPC)
			t_error("filling %s: %s", path, strerror(errno));
		chunk /= 2;
	}
	close(fd);
	t_info("filled the file system with %llu KiB",
	       (unsigned long long)(off / KIB));
}

/* the message of the last failure names the path, "sparse" and the hole */
static void check_msg(const char *msg, const char *path, uint64_t hole)
{
	char want[64];

	snprintf(want, sizeof(want), "hole at offset %llu",
		 (unsigned long long)hole);
	if (!strstr(msg, path) || !strstr(msg, "sparse") || !strstr(msg, want))
		T_FAIL("message \"%s\" does not name %s, \"sparse\" and \"%s\"",
		       msg, path, want);
}

static void direct(void)
{
	char room[128], full[128], past[128], filler[128];
	int fd_room, fd_full, fd_past;
	struct t_snap snap;
	const char *msg;

	mnt = t_mount_tmpfs(8 * MIB);
	snprintf(room, sizeof(room), "%s/room", mnt);
	snprintf(full, sizeof(full), "%s/full", mnt);
	snprintf(past, sizeof(past), "%s/past", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);

	/* with room: filled, unchanged */
	fd_room = make_sparse(room, 2 * MIB);
	t_snap_take(&snap, room);
	T_ASSERT_OK(holes_fill(fd_room, 2 * MIB, room));
	if (!allocated(fd_room))
		T_FAIL("%s: holes left after holes_fill() returned 0", room);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	/* the only hole of past lies beyond its first 64 KiB */
	fd_past = make_sparse(past, 1 * MIB);
	fd_full = make_sparse(full, 4 * MIB);
	fill_fs(filler);

	t_snap_take(&snap, full);
	T_EXPECT_ERR(holes_fill(fd_full, 4 * MIB, full), -ENOSPC, full);
	msg = t_errmsg_copy(pmkv_errormsg());
	check_msg(msg, full, 64 * KIB);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	/* nothing to fill: no refusal, however full */
	T_ASSERT_OK(holes_fill(fd_room, 2 * MIB, room));
	T_ASSERT_OK(holes_fill(fd_past, 64 * KIB, past));

	/* room again: full can be filled now */
	if (unlink(filler))
		t_error("unlink %s: %s", filler, strerror(errno));
	t_snap_take(&snap, full);
	T_ASSERT_OK(holes_fill(fd_full, 4 * MIB, full));
	if (!allocated(fd_full))
		T_FAIL("%s: holes left after holes_fill() returned 0", full);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	close(fd_room);
	close(fd_past);
	close(fd_full);
}

/*
 * Punch out every 4 KiB page of the pool that holds only zeros: the bytes
 * stay the same, as a sparse copy's do. Returns the number punched.
 */
static unsigned make_pool_sparse(const char *path)
{
	static const uint8_t zero[4 * KIB];
	uint8_t page[4 * KIB];
	uint64_t off, size = t_file_size(path);
	unsigned punched = 0;
	int fd = xopen(path, O_RDWR);

	for (off = 0; off + sizeof(page) <= size; off += sizeof(page)) {
		if (pread(fd, page, sizeof(page), (off_t)off) != sizeof(page))
			t_error("pread %s: %s", path, strerror(errno));
		if (memcmp(page, zero, sizeof(page)))
			continue;
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)off, sizeof(page)))
			t_error("punching %s: %s", path, strerror(errno));
		punched++;
	}
	close(fd);
	return punched;
}

/* in a child, so that a SIGBUS is a failure and not the test's end */
static void open_refused(const char *path)
{
	struct pmkv *kv = NULL;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		t_error("fork: %s", strerror(errno));
	if (pid == 0) {
		int rc = pmkv_open(path, NULL, &kv);
		const char *msg = t_errmsg_copy(pmkv_errormsg());

		if (rc == 0) {
			/* what happened before the fix: show it */
			T_ASSERT_OK(pmkv_put(kv, "k", 1, "v", 1));
			T_FAIL("a sparse pool on a full file system opened");
		}
		T_ASSERT_EQ(rc, -ENOSPC);
		T_ASSERT(kv == NULL);
		if (!strstr(msg, path) || !strstr(msg, "sparse"))
			T_FAIL("message \"%s\" does not name %s and \"sparse\"",
			       msg, path);
		exit(T_EXIT_PASS);
	}
	if (waitpid(pid, &status, 0) != pid)
		t_error("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		T_FAIL("pmkv_open() of a sparse pool on a full file system: killed by signal %d (%s)",
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != T_EXIT_PASS)
		T_FAIL("the child that opened the pool: status 0x%x", status);
}

static void through_open(void)
{
	char path[128], filler[128], val[4];
	struct t_snap snap;
	struct pmkv *kv;
	unsigned punched;
	size_t vlen;

	mnt = t_mount_tmpfs(PMKV_POOL_MIN + 8 * MIB);
	snprintf(path, sizeof(path), "%s/pool", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	kv = t_pool_create(path, PMKV_POOL_MIN);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "old", 3));
	T_ASSERT_OK(pmkv_close(&kv));
	punched = make_pool_sparse(path);
	if (!punched)
		t_error("%s: a new pool with no page of zeros to punch", path);
	t_info("%u pages of zeros punched out of the pool", punched);

	fill_fs(filler);
	t_snap_take(&snap, path);
	open_refused(path);
	T_ASSERT_UNCHANGED(&snap);
	t_snap_free(&snap);

	if (unlink(filler))
		t_error("unlink %s: %s", filler, strerror(errno));
	kv = t_pool_open(path, 0);
	T_ASSERT_OK(pmkv_get(kv, "k", 1, val, sizeof(val), &vlen));
	T_ASSERT_EQ(vlen, 3);
	T_ASSERT_MEM_EQ(val, "old", 3);
	T_ASSERT_OK(pmkv_put(kv, "k", 1, "new", 3));
	T_ASSERT_OK(pmkv_close(&kv));
}

int main(void)
{
	direct();
	through_open();
	return T_EXIT_PASS;
}
