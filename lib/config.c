// SPDX-License-Identifier: BSD-3-Clause
/* config.c -- struct pmkv_config: how pmkv_open() should open a pool */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int pmkv_config_new(struct pmkv_config **cfg)
{
	struct pmkv_config *c;

	if (!cfg)
		return pmkv_err(-EINVAL, "cfg is NULL");
	c = calloc(1, sizeof(*c));
	if (!c)
		return pmkv_err(-ENOMEM, "no memory for a config");
	c->mode = 0600;
	*cfg = c;
	return 0;
}

void pmkv_config_free(struct pmkv_config **cfg)
{
	if (!cfg || !*cfg)
		return;
	free(*cfg);
	*cfg = NULL;
}

int pmkv_config_set_size(struct pmkv_config *cfg, uint64_t bytes)
{
	if (!cfg)
		return pmkv_err(-EINVAL, "cfg is NULL");
	if (bytes != 0 && bytes < PMKV_POOL_MIN)
		return pmkv_err(-EINVAL, "pool size %llu is below the minimum %llu",
				(unsigned long long)bytes,
				(unsigned long long)PMKV_POOL_MIN);
	cfg->size = bytes;
	return 0;
}

int pmkv_config_set_flags(struct pmkv_config *cfg, unsigned flags)
{
	if (!cfg)
		return pmkv_err(-EINVAL, "cfg is NULL");
	if (flags & ~PMKV_F_VALID)
		return pmkv_err(-EINVAL, "unknown flags 0x%x", flags & ~PMKV_F_VALID);
	if ((flags & PMKV_F_EXCL) && !(flags & PMKV_F_CREATE))
		return pmkv_err(-EINVAL, "PMKV_F_EXCL needs PMKV_F_CREATE");
	if ((flags & PMKV_F_CREATE) && (flags & PMKV_F_RDONLY))
		return pmkv_err(-EINVAL, "PMKV_F_CREATE cannot go with PMKV_F_RDONLY");
	if ((flags & PMKV_F_CREATE) && (flags & PMKV_F_SALVAGE))
		return pmkv_err(-EINVAL, "PMKV_F_CREATE cannot go with PMKV_F_SALVAGE, which only reads");
	cfg->flags = flags;
	return 0;
}

int pmkv_config_set_mode(struct pmkv_config *cfg, mode_t mode)
{
	if (!cfg)
		return pmkv_err(-EINVAL, "cfg is NULL");
	if (mode & ~(mode_t)07777)
		return pmkv_err(-EINVAL, "mode 0%o has bits outside 07777", (unsigned)mode);
	cfg->mode = mode;
	return 0;
}
