// SPDX-License-Identifier: BSD-3-Clause
/* device_none.c -- devdax size and alignment from sysfs, without libdaxctl */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device.h"
#include "errormsg.h"
#include "libpmkv.h"

static int read_u64(dev_t rdev, const char *attr, uint64_t *v)
{
	char p[PATH_MAX];
	unsigned long long x;
	FILE *f;
	int ok;

	snprintf(p, sizeof(p), "/sys/dev/char/%u:%u/%s", major(rdev),
		 minor(rdev), attr);
	f = fopen(p, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*v = x;
	return 0;
}

int device_dax_info(const char *path, uint64_t *size, uint64_t *align)
{
	struct stat st;
	int rc;

	if (stat(path, &st))
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	rc = read_u64(st.st_rdev, "size", size);
	if (rc)
		return pmkv_err(rc, "%s: cannot read its size from sysfs", path);
	if (read_u64(st.st_rdev, "align", align))
		*align = 2ULL << 20;	/* kernels before 5.10 have no align attribute */
	return 0;
}
