// SPDX-License-Identifier: BSD-3-Clause
/* device_daxctl.c -- devdax size and alignment through libdaxctl */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <daxctl/libdaxctl.h>

#include "device.h"
#include "errormsg.h"
#include "libpmkv.h"

int device_dax_info(const char *path, uint64_t *size, uint64_t *align)
{
	struct daxctl_region *region;
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dev;
	struct stat st;
	int rc;

	if (stat(path, &st))
		return pmkv_err(-errno, "%s: %s", path, strerror(errno));
	rc = daxctl_new(&ctx);
	if (rc)
		return pmkv_err(rc < 0 ? rc : -ENOMEM, "%s: daxctl_new failed", path);
	rc = -ENODEV;
	daxctl_region_foreach(ctx, region)
		daxctl_dev_foreach(region, dev) {
			if ((unsigned)daxctl_dev_get_major(dev) != major(st.st_rdev) ||
			    (unsigned)daxctl_dev_get_minor(dev) != minor(st.st_rdev))
				continue;
			*size = daxctl_dev_get_size(dev);
			*align = daxctl_dev_get_align(dev);
			rc = 0;
			goto out;
		}
out:
	daxctl_unref(ctx);
	if (rc)
		return pmkv_err(rc, "%s: libdaxctl does not list this device", path);
	return 0;
}
