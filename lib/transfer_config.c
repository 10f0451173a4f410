// SPDX-License-Identifier: BSD-3-Clause
/* transfer_config.c -- struct pmkv_transfer_config, and naming the paths */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "errormsg.h"
#include "layout.h"
#include "transfer.h"

int pmkv_transfer_config_new(struct pmkv_transfer_config **tc)
{
	struct pmkv_transfer_config *c;

	if (!tc)
		return pmkv_err(-EINVAL, "tc is NULL");
	c = calloc(1, sizeof(*c));
	if (!c)
		return pmkv_err(-ENOMEM, "no memory for a transfer config");
	*c = transfer_config_default;
	*tc = c;
	return 0;
}

void pmkv_transfer_config_free(struct pmkv_transfer_config **tc)
{
	if (!tc || !*tc)
		return;
	free((*tc)->base);
	free(*tc);
	*tc = NULL;
}

int pmkv_transfer_config_set_flags(struct pmkv_transfer_config *tc,
				   unsigned flags)
{
	if (!tc)
		return pmkv_err(-EINVAL, "tc is NULL");
	if (flags & ~PMKV_T_VALID)
		return pmkv_err(-EINVAL, "unknown flags 0x%x",
				flags & ~PMKV_T_VALID);
	tc->flags = flags;
	return 0;
}

int pmkv_transfer_config_set_base(struct pmkv_transfer_config *tc,
				  const char *base)
{
	char *p = NULL;

	if (!tc)
		return pmkv_err(-EINVAL, "tc is NULL");
	if (base) {
		if (!*base || strlen(base) >= PMKV_BACKUP_PATH_MAX)
			return pmkv_err(-EINVAL, "a base path of 1 to %d bytes, not %zu",
					PMKV_BACKUP_PATH_MAX - 1, strlen(base));
		p = strdup(base);
		if (!p)
			return pmkv_err(-ENOMEM, "no memory for a path");
	}
	free(tc->base);
	tc->base = p;
	return 0;
}

int pmkv_transfer_config_set_queue_depth(struct pmkv_transfer_config *tc,
					 unsigned depth)
{
	if (!tc)
		return pmkv_err(-EINVAL, "tc is NULL");
	if (depth < 1 || depth > PMKV_QUEUE_DEPTH_MAX)
		return pmkv_err(-EINVAL, "queue depth %u is outside 1..%u", depth,
				PMKV_QUEUE_DEPTH_MAX);
	tc->depth = depth;
	return 0;
}

int pmkv_transfer_config_set_progress(struct pmkv_transfer_config *tc,
				      pmkv_progress_cb cb, void *arg)
{
	if (!tc)
		return pmkv_err(-EINVAL, "tc is NULL");
	tc->progress = cb;
	tc->progress_arg = arg;
	return 0;
}

const char *pmkv_transfer_path_name(enum pmkv_transfer_path path)
{
	switch (path) {
	case PMKV_PATH_URING_FIXED:
		return "uring-fixed";
	case PMKV_PATH_URING:
		return "uring";
	case PMKV_PATH_SYNC_DIRECT:
		return "sync-direct";
	case PMKV_PATH_BUFFERED:
		return "buffered";
	case PMKV_PATH_NONE:
		break;
	}
	return "none";
}
