// SPDX-License-Identifier: BSD-3-Clause
/* value-fd.c -- large values between a file and the pool, by direct I/O */
/*
 * Proves: a value put from a file (page-aligned offset, 1 MiB and a bit)
 * reads back equal through pmkv_get() and after a reopen; the device
 * moved its whole pages by direct I/O (bounce bytes: only the last partial
 * page) where the file takes O_DIRECT; an unaligned offset or a small
 * value goes through the page cache, reported as such; pmkv_get_to_fd()
 * writes it to a file byte for byte, likewise; the stats count both.
 * Bad input changes nothing: a descriptor open the wrong way or closed
 * (-EBADF), a file shorter than the value (-ENODATA, the old value
 * kept), a value over the limit (-EINVAL), a missing key (-ENOENT).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"

#define BIG ((1U << 20) + 123)

static uint8_t *data, *buf;
static bool direct;

static int xopen(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		t_error("%s: %s", path, strerror(errno));
	return fd;
}

static void expect_value(struct pmkv *kv, const char *key, const uint8_t *want,
			 size_t n)
{
	size_t vlen;

	T_ASSERT_OK(pmkv_get(kv, key, strlen(key), buf, BIG, &vlen));
	T_ASSERT_EQ(vlen, n);
	T_ASSERT_MEM_EQ(buf, want, n);
}

/* direct where the file allows: only the last partial page bounced */
static void expect_direct(const struct pmkv_transfer_report *r, size_t n)
{
	t_info("%zu bytes by %s, %llu bounced", n,
	       pmkv_transfer_path_name(r->path),
	       (unsigned long long)r->bounce_bytes);
	T_ASSERT_EQ(r->bytes, n);
	if (!direct) {
		T_ASSERT_EQ(r->path, PMKV_PATH_BUFFERED);
		T_ASSERT_EQ(r->bounce_bytes, n);
		return;
	}
	T_ASSERT(r->path == PMKV_PATH_URING || r->path == PMKV_PATH_SYNC_DIRECT);
	T_ASSERT_EQ(r->bounce_bytes, n % 4096);
}

int main(void)
{
	struct pmkv_transfer_report r;
	char pool[4096], src[4096], dst[4096];
	const char *dir = getenv("PMKV_TEST_BACKUP_DIR");
	struct pmkv_stats st;
	struct t_rng rng = { .s = 42 };
	struct pmkv *kv;
	size_t vlen;
	int fd, wfd;

	direct = t_dir_direct(dir && *dir ? dir : "/var/tmp");
	data = malloc(BIG + 8192);
	buf = malloc(BIG);
	T_ASSERT(data && buf);
	for (size_t i = 0; i < BIG + 8192; i++)
		data[i] = (uint8_t)t_rng_next(&rng);
	t_backup_tmp(src, sizeof(src), "value-src");
	t_write_file(src, data, BIG + 8192);
	kv = t_pool_create(t_pool_tmp(pool, sizeof(pool), "value-fd"), 0);
	fd = xopen(src, O_RDONLY);

	T_ASSERT_OK(pmkv_put_from_fd(kv, "big", 3, fd, 0, BIG, NULL, &r, sizeof(r)));
	expect_direct(&r, BIG);
	expect_value(kv, "big", data, BIG);
	T_ASSERT_OK(pmkv_put_from_fd(kv, "mid", 3, fd, 8192, 200000, NULL, &r,
				     sizeof(r)));
	expect_direct(&r, 200000);
	expect_value(kv, "mid", data + 8192, 200000);
	/* off a page, or small: the page cache */
	T_ASSERT_OK(pmkv_put_from_fd(kv, "odd", 3, fd, 100, 100000, NULL, &r,
				     sizeof(r)));
	T_ASSERT_EQ(r.path, PMKV_PATH_BUFFERED);
	T_ASSERT_EQ(r.bounce_bytes, 100000);
	expect_value(kv, "odd", data + 100, 100000);
	T_ASSERT_OK(pmkv_put_from_fd(kv, "small", 5, fd, 0, 1000, NULL, &r,
				     sizeof(r)));
	T_ASSERT_EQ(r.bounce_bytes, 1000);
	expect_value(kv, "small", data, 1000);

	/* out to a file */
	t_backup_tmp(dst, sizeof(dst), "value-dst");
	wfd = xopen(dst, O_WRONLY | O_CREAT | O_EXCL);
	T_ASSERT_OK(pmkv_get_to_fd(kv, "big", 3, wfd, 0, &vlen, NULL, &r,
				   sizeof(r)));
	T_ASSERT_EQ(vlen, BIG);
	expect_direct(&r, BIG);
	T_ASSERT_EQ(t_file_size(dst), BIG);
	t_pread(dst, buf, BIG, 0);
	T_ASSERT_MEM_EQ(buf, data, BIG);
	T_ASSERT_OK(pmkv_get_stats(kv, &st, sizeof(st)));
	T_ASSERT_EQ(st.transfer_bytes, 2ULL * BIG + 200000 + 100000 + 1000);
	T_ASSERT(st.bounce_bytes >= 101000);

	/* bad input: nothing changes */
	T_EXPECT_ERR(pmkv_put_from_fd(kv, "big", 3, wfd, 0, 10, NULL, NULL, 0),
		     -EBADF, "reading");
	T_EXPECT_ERR(pmkv_get_to_fd(kv, "big", 3, fd, 0, NULL, NULL, NULL, 0),
		     -EBADF, "writing");
	T_EXPECT_ERR(pmkv_put_from_fd(kv, "big", 3, fd, BIG, 16384, NULL, NULL, 0),
		     -ENODATA, "ends");
	T_EXPECT_ERR(pmkv_put_from_fd(kv, "big", 3, fd, 4096, BIG + 8192, NULL,
				      NULL, 0), -ENODATA, "ends");
	T_EXPECT_ERR(pmkv_put_from_fd(kv, "big", 3, fd, 0, PMKV_VALUE_MAX + 1ULL,
				      NULL, NULL, 0), -EINVAL, "limit");
	T_EXPECT_ERR(pmkv_get_to_fd(kv, "none", 4, wfd, 0, NULL, NULL, NULL, 0),
		     -ENOENT, "");
	{
		int pfd[2], afd;

		T_ASSERT_OK(pipe(pfd));
		T_EXPECT_ERR(pmkv_put_from_fd(kv, "big", 3, pfd[0], 0, 65536,
					      NULL, NULL, 0), -EINVAL, "regular");
		T_EXPECT_ERR(pmkv_get_to_fd(kv, "big", 3, pfd[1], 0, NULL, NULL,
					    NULL, 0), -EINVAL, "regular");
		close(pfd[0]);
		close(pfd[1]);
		afd = xopen(dst, O_WRONLY | O_APPEND);
		T_EXPECT_ERR(pmkv_get_to_fd(kv, "big", 3, afd, 0, NULL, NULL,
					    NULL, 0), -EINVAL, "O_APPEND");
		close(afd);
	}
	expect_value(kv, "big", data, BIG);
	close(wfd);
	T_EXPECT_ERR(pmkv_get_to_fd(kv, "big", 3, wfd, 0, NULL, NULL, NULL, 0),
		     -EBADF, "descriptor");
	close(fd);

	T_ASSERT_OK(pmkv_close(&kv));
	kv = t_pool_open(pool, 0);
	expect_value(kv, "big", data, BIG);
	expect_value(kv, "mid", data + 8192, 200000);
	T_ASSERT_OK(pmkv_close(&kv));
	free(data);
	free(buf);
	return T_EXIT_PASS;
}
