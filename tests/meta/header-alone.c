/* SPDX-License-Identifier: BSD-3-Clause */
/* header-alone.c -- libpmkv.h compiles alone as C99 and links */

/*
 * The same file is built as C++ through header-alone.cc. Nothing but the
 * public header is included: it must bring everything its declarations
 * use. Exit 0 when the library's version is the header's.
 */
#include <libpmkv.h>

int main(void)
{
	struct pmkv_info info;
	int major = -1, minor = -1;

	pmkv_version(&major, &minor);
	if (major != PMKV_VERSION_MAJOR || minor != PMKV_VERSION_MINOR)
		return 1;
	info.media = PMKV_MEDIA_FILE;
	if (sizeof(info) < sizeof(uint64_t) || info.media != PMKV_MEDIA_FILE)
		return 1;
	return pmkv_strerror(PMKV_E_CORRUPT)[0] == '\0';
}
