// SPDX-License-Identifier: BSD-3-Clause
/* escape-roundtrip.c -- util_escape() is printable, exact and reversible */
/*
 * util.c has no unescape: pmkv-cli only prints escaped keys (scan, the
 * JSON of a scan). The decoder below is written from util.h's description
 * of the format, so a round trip checks the encoder against that text.
 *
 * Proves, for util_escape(), util_escape_len() and util_fput_escaped():
 *   - each of the 256 byte values alone becomes exactly what util.h says:
 *     0x20..0x7e but '\' as itself, '\' as "\\", any other as "\xNN" in
 *     lower-case hex;
 *   - the output holds only bytes 0x20..0x7e, so never a tab or newline;
 *   - decoding gives back the input, for all 256 bytes in one string, the
 *     empty string, runs of '\', text that looks like an escape already
 *     ("\x41", "\\x41"), NUL bytes, and random strings up to 4 KiB;
 *   - util_escape_len() is the length written, and util_escape() writes
 *     that many bytes and a NUL, not one more (the buffer is exact and
 *     followed by a canary);
 *   - util_fput_escaped() writes the same bytes to a stream, and returns
 *     -EIO when the stream fails (/dev/full, unbuffered).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "t.h"
#include "util.h"

#define CANARY 0xa5

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* upper case is not what util.h writes */
}

/* the decoder: returns the length, or -1 for text util.h cannot produce */
static long unescape(unsigned char *dst, const char *s)
{
	long n = 0;

	while (*s) {
		int hi, lo;

		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return -1;
		if (*s != '\\') {
			dst[n++] = (unsigned char)*s++;
			continue;
		}
		if (s[1] == '\\') {
			dst[n++] = '\\';
			s += 2;
			continue;
		}
		if (s[1] != 'x' || (hi = hexval(s[2])) < 0 ||
		    (lo = hexval(s[3])) < 0)
			return -1;
		/* a byte that stands for itself is never written as \xNN */
		if (hi * 16 + lo >= 0x20 && hi * 16 + lo <= 0x7e &&
		    hi * 16 + lo != '\\')
			return -1;
		dst[n++] = (unsigned char)(hi * 16 + lo);
		s += 4;
	}
	return n;
}

/* escape p[0..n-1] into an exact buffer, checked against the stream form */
static char *escape(const void *p, size_t n)
{
	size_t len = util_escape_len(p, n);
	char *buf = malloc(len + 2), *mem = NULL;
	size_t memlen = 0;
	FILE *f;

	if (!buf)
		t_error("out of memory");
	buf[len + 1] = (char)CANARY;
	T_ASSERT(util_escape(buf, p, n) == buf);
	if ((unsigned char)buf[len + 1] != CANARY)
		T_FAIL("util_escape() wrote past util_escape_len() + 1 = %zu",
		       len + 1);
	if (strlen(buf) != len)
		T_FAIL("util_escape() wrote %zu bytes, util_escape_len() "
		       "said %zu", strlen(buf), len);

	f = open_memstream(&mem, &memlen);
	if (!f)
		t_error("open_memstream: %s", strerror(errno));
	T_ASSERT_OK(util_fput_escaped(f, p, n));
	if (fclose(f))
		t_error("fclose: %s", strerror(errno));
	if (memlen != len || memcmp(mem, buf, len))
		T_FAIL("util_fput_escaped() wrote \"%.*s\", util_escape() "
		       "\"%s\"", (int)memlen, mem, buf);
	free(mem);
	return buf;
}

static void roundtrip(const void *p, size_t n, const char *what)
{
	unsigned char *back = malloc(n + 1);
	char *e = escape(p, n);
	long got;

	if (!back)
		t_error("out of memory");
	got = unescape(back, e);
	if (got < 0)
		T_FAIL("%s: \"%s\" is not in util.h's format", what, e);
	if ((size_t)got != n || memcmp(back, p, n))
		T_FAIL("%s: %zu bytes escape to \"%s\", which decodes to %ld "
		       "other bytes", what, n, e, got);
	free(back);
	free(e);
}

/* every byte alone: exactly util.h's form */
static void each_byte(void)
{
	char want[8], *e;

	for (unsigned b = 0; b < 256; b++) {
		unsigned char c = (unsigned char)b;

		if (c == '\\')
			snprintf(want, sizeof(want), "\\\\");
		else if (c >= 0x20 && c <= 0x7e)
			snprintf(want, sizeof(want), "%c", c);
		else
			snprintf(want, sizeof(want), "\\x%02x", c);
		e = escape(&c, 1);
		if (strcmp(e, want))
			T_FAIL("byte 0x%02x escapes to \"%s\", expected "
			       "\"%s\"", b, e, want);
		free(e);
		roundtrip(&c, 1, "one byte");
	}
}

static void edge_strings(void)
{
	unsigned char all[256];
	char *e;

	for (unsigned b = 0; b < 256; b++)
		all[b] = (unsigned char)b;
	roundtrip(all, sizeof(all), "0x00..0xff");
	for (unsigned b = 0; b < 256; b++)
		all[b] = (unsigned char)(255 - b);
	roundtrip(all, sizeof(all), "0xff..0x00");

	e = escape("", 0);
	T_ASSERT(e[0] == '\0');
	free(e);
	roundtrip("", 0, "empty");
	roundtrip("\\", 1, "one backslash");
	roundtrip("\\\\\\\\\\", 5, "five backslashes");
	roundtrip("\\x41", 4, "text like an escape");
	roundtrip("\\\\x41", 5, "text like an escaped backslash");
	roundtrip("x41\\", 4, "a backslash last");
	roundtrip("\0\0\0", 3, "NUL bytes");
	roundtrip("key\tvalue\n", 10, "tab and newline");
	roundtrip("\x7f\x80\xff ~", 5, "around the printable range");
}

static void random_strings(void)
{
	static unsigned char buf[4096];

	for (int i = 0; i < 2000; i++) {
		size_t n = t_rand_below(i < 1000 ? 16 : sizeof(buf) + 1);

		t_rand_fill(buf, n);
		/* half of them mostly '\' and 'x', where mistakes hide */
		if (i % 2)
			for (size_t j = 0; j < n; j++)
				if (buf[j] & 1)
					buf[j] = "\\x4"[buf[j] % 3];
		roundtrip(buf, n, "random");
	}
}

/* a stream that fails: /dev/full, unbuffered, so each write reports it */
static void failing_stream(void)
{
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		t_info("no failing stream to write to: /dev/full: %s",
		       strerror(errno));
		return;
	}
	setvbuf(f, NULL, _IONBF, 0);
	T_ASSERT_EQ(util_fput_escaped(f, "a", 1), -EIO);
	T_ASSERT_EQ(util_fput_escaped(f, "\\", 1), -EIO);
	T_ASSERT_EQ(util_fput_escaped(f, "\n", 1), -EIO);
	fclose(f);
}

int main(void)
{
	each_byte();
	edge_strings();
	random_strings();
	failing_stream();
	return T_EXIT_PASS;
}
