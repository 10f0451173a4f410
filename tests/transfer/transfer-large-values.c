// SPDX-License-Identifier: BSD-3-Clause
/* transfer-large-values.c -- large values between files and the pool */
/*
 * Proves: on a pool on PMKV_TEST_DEVDAX or a file, values of 64 KiB,
 * 1 MiB + 123 and 3 MiB put by pmkv_put_from_fd() from a file in the
 * backups' directory (and from the raw block device, where
 * PMKV_TEST_BLOCKDEV or the guest's null_blk gives one) read back byte
 * for byte through pmkv_get(), and pmkv_get_to_fd() writes them to a new
 * file (and onto the device) byte for byte. Each call takes the path the
 * machine allows for its flags (default, PMKV_T_NO_URING,
 * PMKV_T_NO_DIRECT: uring, sync-direct, buffered; never uring-fixed:
 * only the pool's whole mapping is registered, by backup and restore)
 * and bounces only the last partial page when direct, every byte when
 * buffered; the handle's counters add up; the values survive a reopen.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tx.h"

#define DATA (3 * TX_MiB + 8192)

static const size_t lens[] = { 65536, TX_MiB + 123, 3 * TX_MiB };
static const unsigned flag_cases[] = {
	0, PMKV_T_NO_URING, PMKV_T_NO_DIRECT,
};
#define NCASES (sizeof(flag_cases) / sizeof(flag_cases[0]))
#define NLENS (sizeof(lens) / sizeof(lens[0]))

static uint8_t *data;	/* what the source holds from offset 0 */

/* path and bounce bytes of a large-value call that moved n bytes */
static void check(const struct pmkv_transfer_report *r, unsigned flags,
		  bool direct, bool uring, size_t n, const char *what)
{
	enum pmkv_transfer_path want = tx_expect(flags, direct, uring, false);

	t_info("path: %-11s %s: %llu bytes, %llu bounced",
	       pmkv_transfer_path_name(r->path), what,
	       (unsigned long long)r->bytes,
	       (unsigned long long)r->bounce_bytes);
	if (r->path != want)
		T_FAIL("%s took path %s, expected %s", what,
		       pmkv_transfer_path_name(r->path),
		       pmkv_transfer_path_name(want));
	T_ASSERT_EQ(r->bytes, n);
	T_ASSERT_EQ(r->bounce_bytes,
		    want == PMKV_PATH_BUFFERED ? n : n % 4096);
}

static void expect_value(struct pmkv *kv, const char *key,
			 const uint8_t *want, size_t n, uint8_t *buf)
{
	size_t vlen;
	int rc;

	rc = pmkv_get(kv, key, strlen(key), buf, DATA, &vlen);
	if (rc)
		T_FAIL("get %s: %s: %s", key, pmkv_strerror(rc),
		       pmkv_errormsg());
	T_ASSERT_EQ(vlen, n);
	if (memcmp(buf, want, n))
		T_FAIL("%s differs from the %zu bytes put", key, n);
}

struct side {
	const char *name;	/* for messages */
	const char *src;	/* holds data at 0 */
	const char *dst;	/* values are written here, at out_off */
	uint64_t out_off;
	bool direct;
};

/* every length with every flag case, from src into the pool and out */
static uint64_t cases(struct pmkv *kv, const struct side *s, bool uring,
		      uint8_t *buf, unsigned *nkeys)
{
	uint64_t moved = 0;
	char key[64], what[256];
	int in, out, rc;
	size_t vlen;

	in = open(s->src, O_RDONLY);
	out = open(s->dst, O_RDWR);
	if (in < 0 || out < 0)
		t_error("open %s, %s: %s", s->src, s->dst, strerror(errno));
	for (unsigned c = 0; c < NCASES; c++) {
		struct pmkv_transfer_config *tc = tx_tc(flag_cases[c], NULL);

		for (unsigned l = 0; l < NLENS; l++) {
			struct pmkv_transfer_report r;
			/* page-aligned offsets: direct where the file allows */
			uint64_t off = (uint64_t)l * 4096;

			snprintf(key, sizeof(key), "%s/%s/%zu", s->name,
				 tx_flags_name(flag_cases[c]), lens[l]);
			snprintf(what, sizeof(what), "put %s from %s", key,
				 s->src);
			rc = pmkv_put_from_fd(kv, key, strlen(key), in, off,
					      lens[l], tc, &r, sizeof(r));
			if (rc)
				T_FAIL("%s: %s: %s", what, pmkv_strerror(rc),
				       pmkv_errormsg());
			check(&r, flag_cases[c], s->direct, uring, lens[l],
			      what);
			expect_value(kv, key, data + off, lens[l], buf);
			(*nkeys)++;

			snprintf(what, sizeof(what), "get %s to %s at %llu",
				 key, s->dst,
				 (unsigned long long)s->out_off);
			rc = pmkv_get_to_fd(kv, key, strlen(key), out,
					    s->out_off, &vlen, tc, &r,
					    sizeof(r));
			if (rc)
				T_FAIL("%s: %s: %s", what, pmkv_strerror(rc),
				       pmkv_errormsg());
			T_ASSERT_EQ(vlen, lens[l]);
			check(&r, flag_cases[c], s->direct, uring, lens[l],
			      what);
			memset(buf, 0, lens[l]);
			if (pread(out, buf, lens[l], (off_t)s->out_off) !=
			    (ssize_t)lens[l])
				t_error("read back %s: %s", s->dst,
					strerror(errno));
			if (memcmp(buf, data + off, lens[l]))
				T_FAIL("%s: the bytes written differ", what);
			moved += 2 * lens[l];
		}
		pmkv_transfer_config_free(&tc);
	}
	close(in);
	close(out);
	return moved;
}

int main(void)
{
	uint64_t moved = 0, devsize;
	struct pmkv_stats a, b;
	char src[512], dst[512];
	const char *why_not, *dev = tx_blockdev(&devsize, &why_not);
	const char *tdir = tx_target_dir();
	struct tx_pool pool;
	struct side s;
	uint8_t *buf;
	unsigned nkeys = 0;
	bool uring = tx_uring_works();

	data = tx_aligned(DATA);
	buf = malloc(DATA);
	if (!buf)
		t_error("no memory");
	t_rand_fill(data, DATA);
	tx_pool_create(&pool, "large-values", 64 * TX_MiB);
	T_ASSERT_OK(pmkv_get_stats(pool.kv, &a, sizeof(a)));

	/* a file in the backups' directory */
	tx_path(src, sizeof(src), tdir, "value-src");
	tx_path(dst, sizeof(dst), tdir, "value-dst");
	t_write_file(src, data, DATA);
	t_write_file(dst, "", 0);
	s = (struct side){ .name = "file", .src = src, .dst = dst,
			   .direct = tx_direct_works(tdir, true) };
	t_info("io_uring %s; files in %s: %s", uring ? "works" : "refused",
	       tdir, s.direct ? "direct I/O" : "no direct I/O");
	moved += cases(pool.kv, &s, uring, buf, &nkeys);

	/* the raw block device: the value read from 0, written at 8 MiB */
	if (dev && devsize >= 16 * TX_MiB) {
		tx_dio(dev, true, data, DATA, 0);
		s = (struct side){ .name = "blockdev", .src = dev, .dst = dev,
				   .out_off = 8 * TX_MiB, .direct = true };
		moved += cases(pool.kv, &s, uring, buf, &nkeys);
	} else {
		t_info("no block device: %s", dev ? "smaller than 16 MiB" :
		       why_not);
	}

	T_ASSERT_OK(pmkv_get_stats(pool.kv, &b, sizeof(b)));
	T_ASSERT_EQ(b.transfer_bytes - a.transfer_bytes, moved);

	/* durable: the same after a reopen */
	tx_pool_close(&pool);
	tx_pool_reopen(&pool);
	for (unsigned c = 0; c < NCASES; c++)
		for (unsigned l = 0; l < NLENS; l++) {
			char key[64];

			snprintf(key, sizeof(key), "file/%s/%zu",
				 tx_flags_name(flag_cases[c]), lens[l]);
			expect_value(pool.kv, key, data + (uint64_t)l * 4096,
				     lens[l], buf);
		}
	t_info("%u values put and got", nkeys);
	tx_pool_destroy(&pool);
	free(data);
	free(buf);
	return T_EXIT_PASS;
}
