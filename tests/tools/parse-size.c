// SPDX-License-Identifier: BSD-3-Clause
/* parse-size.c -- util_parse_size(): suffixes, limits and what it refuses */
/*
 * Proves, for util_parse_size() in tools/pmkv-cli/util.c, as util.h
 * describes it (create --size, bench --pool_size and --floor_buffer):
 *   - plain decimal byte counts, 0 to UINT64_MAX, are read exactly;
 *   - K, M, G and T multiply by 2^10, 2^20, 2^30 and 2^40, in either
 *     case, alone or followed by "B" or "iB" in any case;
 *   - the largest count each suffix can express is accepted and one more
 *     is refused with -EINVAL, as is any decimal past UINT64_MAX;
 *   - the empty string, NULL, signs, spaces, fractions, exponents, hex,
 *     unknown or doubled suffixes, "B" without a multiplier and anything
 *     after the suffix are refused with -EINVAL.
 */
#include <errno.h>
#include <inttypes.h>

#include "t.h"
#include "util.h"

static void good(const char *s, uint64_t want)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;
	int rc = util_parse_size(s, &v);

	if (rc || v != want)
		T_FAIL("util_parse_size(\"%s\") = %d, %" PRIu64
		       "; expected 0, %" PRIu64, s, rc, v, want);
}

static void bad(const char *s)
{
	uint64_t v = 0;
	int rc = util_parse_size(s, &v);

	if (rc != -EINVAL)
		T_FAIL("util_parse_size(\"%s\") = %d (value %" PRIu64
		       "); expected -EINVAL", s ? s : "(null)", rc, v);
}

static void suffixes(void)
{
	static const char *const tails[] = {
		"", "B", "b", "iB", "ib", "IB", "Ib",
	};
	static const char letters[] = "KMGT";
	char s[32];

	for (unsigned l = 0; l < 4; l++) {
		for (unsigned t = 0; t < sizeof(tails) / sizeof(tails[0]);
		     t++) {
			unsigned shift = 10 * (l + 1);

			snprintf(s, sizeof(s), "3%c%s", letters[l], tails[t]);
			good(s, UINT64_C(3) << shift);
			snprintf(s, sizeof(s), "3%c%s", letters[l] + 32,
				 tails[t]);
			good(s, UINT64_C(3) << shift);
			snprintf(s, sizeof(s), "0%c%s", letters[l], tails[t]);
			good(s, 0);
		}
	}
	good("1K", 1024);
	good("64M", 64ULL << 20);
	good("16m", 16777216);
	good("1G", 1073741824);
	good("2TiB", 2ULL << 40);
	good("1024K", 1ULL << 20);
}

/* UINT64_MAX >> 10*k with each suffix, and one more */
static void limits(void)
{
	good("0", 0);
	good("1", 1);
	good("67108864", 67108864);
	good("00000000000000000000064", 64);	/* 23 digits */
	good("18446744073709551615", UINT64_MAX);
	bad("18446744073709551616");
	bad("99999999999999999999");
	bad("184467440737095516150");

	good("18014398509481983K", UINT64_MAX >> 10 << 10);
	bad("18014398509481984K");
	good("17592186044415M", UINT64_MAX >> 20 << 20);
	bad("17592186044416M");
	good("17179869183G", UINT64_MAX >> 30 << 30);
	bad("17179869184G");
	good("16777215T", UINT64_MAX >> 40 << 40);
	bad("16777216TiB");
	bad("18446744073709551615K");
	bad("99999999999999999999T");
}

static void garbage(void)
{
	static const char *const refused[] = {
		"", "K", "KiB", "B", "iB", " 1", "1 ", "1 K", "\t1", "1\n",
		"-1", "-0", "+1", "-1K", "1.5G", "1,024", "1e3", "0x10", "1Q",
		"1P", "1E", "1B", "1iB", "1KK", "1KiBB", "1Ki", "1KBB",
		"1K B", "1Kx", "1MiBs", "1G1", "12Q", "abc", "1k\xff",
		"1\xc2\xb5", "1K\x01",
	};

	bad(NULL);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		bad(refused[i]);
}

int main(void)
{
	suffixes();
	limits();
	garbage();
	return T_EXIT_PASS;
}
