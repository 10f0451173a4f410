// SPDX-License-Identifier: BSD-3-Clause
/* util.c -- error printing, number and size parsing, escaping, opening */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <libpmkv.h>

#include "util.h"

int util_err(const char *cmd, const char *path, int rc, const char *detail,
	     ...)
{
	/* copy first: nothing below may replace the thread's message */
	const char *msg = pmkv_errormsg();
	va_list ap;

	fprintf(stderr, "pmkv-cli %s: %s: %s", cmd, path, pmkv_strerror(rc));
	if (msg[0]) {
		fprintf(stderr, ": %s", msg);
	} else if (detail) {
		fputs(": ", stderr);
		va_start(ap, detail);
		vfprintf(stderr, detail, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	return CLI_FAIL;
}

void util_print_usage(FILE *f, const char *usage)
{
	fprintf(f, "usage: pmkv-cli %s\n", usage);
}

int util_usage_err(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pmkv-cli %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage)
		util_print_usage(stderr, usage);
	return CLI_USAGE;
}

int util_bad_option(const char *cmd, const char *usage, int c, char **argv)
{
	/*
	 * getopt_long() has advanced optind past the word it refused, and
	 * for an unknown long option optopt is 0: the word is the only name
	 * we have for it.
	 */
	const char *word = argv[optind - 1];

	if (c == ':')
		return util_usage_err(cmd, usage, "option '%s' needs a value",
				      word);
	if (optopt && word[0] == '-' && word[1] != '-')
		return util_usage_err(cmd, usage, "unknown option '-%c'",
				      optopt);
	return util_usage_err(cmd, usage, "unknown option '%s'", word);
}

int util_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int util_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *end = s, *u;
	uint64_t v = 0;
	unsigned shift = 0;
	char num[24];
	size_t n;

	if (!s)
		return -EINVAL;
	while (*end >= '0' && *end <= '9')
		end++;
	n = (size_t)(end - s);
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (util_parse_u64(num, &v))
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || !*u)
			return -EINVAL;
		shift = 10 * (unsigned)(u - units + 1);
		end++;
		if (!strcasecmp(end, "iB"))
			end += 2;
		else if (!strcasecmp(end, "B"))
			end += 1;
		if (*end)
			return -EINVAL;
		if (v > (UINT64_MAX >> shift))
			return -EINVAL;
	}
	*out = v << shift;
	return 0;
}

const char *util_size_fmt(char *buf, uint64_t bytes, unsigned flags)
{
	static const char *const unit[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned i = 0;
	double v = (double)bytes;

	if (!(flags & UTIL_HUMAN)) {
		snprintf(buf, UTIL_SIZE_BUF, "%" PRIu64, bytes);
		return buf;
	}
	while (v >= 1024.0 && i < sizeof(unit) / sizeof(unit[0]) - 1) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, UTIL_SIZE_BUF, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, UTIL_SIZE_BUF, "%.2f %s", v, unit[i]);
	return buf;
}

const char *util_uuid_fmt(char *buf, const uint8_t uuid[16])
{
	static const char hex[] = "0123456789abcdef";
	char *d = buf;

	for (unsigned i = 0; i < 16; i++) {
		/* the 8-4-4-4-12 grouping of RFC 4122 */
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*d++ = '-';
		*d++ = hex[uuid[i] >> 4];
		*d++ = hex[uuid[i] & 0xf];
	}
	*d = '\0';
	return buf;
}

static bool plain(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '\\';
}

size_t util_escape_len(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (plain(b[i]))
			len += 1;
		else if (b[i] == '\\')
			len += 2;
		else
			len += 4;
	}
	return len;
}

char *util_escape(char *dst, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	char *d = dst;

	for (size_t i = 0; i < n; i++) {
		if (plain(b[i])) {
			*d++ = (char)b[i];
		} else if (b[i] == '\\') {
			*d++ = '\\';
			*d++ = '\\';
		} else {
			*d++ = '\\';
			*d++ = 'x';
			*d++ = hex[b[i] >> 4];
			*d++ = hex[b[i] & 0xf];
		}
	}
	*d = '\0';
	return dst;
}

int util_fput_escaped(FILE *f, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		int r;

		if (plain(b[i]))
			r = putc(b[i], f);
		else if (b[i] == '\\')
			r = fputs("\\\\", f);
		else
			r = fprintf(f, "\\x%02x", b[i]);
		if (r < 0)
			return -EIO;
	}
	return 0;
}

int util_open(const char *cmd, const char *path, unsigned flags,
	      uint64_t size, struct pmkv **kv)
{
	struct pmkv_config *cfg = NULL;
	int rc;

	rc = pmkv_config_new(&cfg);
	if (rc)
		return util_err(cmd, path, rc, "cannot allocate a config");
	rc = pmkv_config_set_flags(cfg, flags);
	if (!rc && size)
		rc = pmkv_config_set_size(cfg, size);
	if (rc) {
		pmkv_config_free(&cfg);
		return util_err(cmd, path, rc, "flags %#x, size %" PRIu64,
				flags, size);
	}
	rc = pmkv_open(path, cfg, kv);
	pmkv_config_free(&cfg);
	if (rc)
		return util_err(cmd, path, rc, NULL);
	return CLI_OK;
}

int util_close_stdout(const char *cmd, int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "pmkv-cli %s: writing the output failed: %s\n",
			cmd, strerror(errno));
		return CLI_FAIL;
	}
	return rc;
}

int util_plain_args(int argc, char **argv, const char *usage, int nargs,
		    const char *need)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			util_print_usage(stdout, usage);
			return util_close_stdout(argv[0], CLI_OK);
		}
		return util_bad_option(argv[0], usage, c, argv);
	}
	if (argc - optind != nargs)
		return util_usage_err(argv[0], usage, "%s", argc - optind > nargs ?
				      "too many arguments" : need);
	return -1;
}
