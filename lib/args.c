// SPDX-License-Identifier: BSD-3-Clause
/* args.c -- the argument checks that the public calls share */
#include <errno.h>

#include "args.h"
#include "internal.h"

int args_key(const void *key, size_t klen)
{
	if (!key)
		return pmkv_err(-EINVAL, "key is NULL");
	if (klen == 0)
		return pmkv_err(-EINVAL, "key is empty");
	if (klen > PMKV_KEY_MAX)
		return pmkv_err(-EINVAL, "key of %zu bytes; the limit is %u", klen,
				PMKV_KEY_MAX);
	return 0;
}

int args_value(const void *val, size_t vlen)
{
	if (vlen > PMKV_VALUE_MAX)
		return pmkv_err(-EINVAL, "value of %zu bytes; the limit is %u",
				vlen, PMKV_VALUE_MAX);
	if (!val && vlen)
		return pmkv_err(-EINVAL, "val is NULL with %zu bytes", vlen);
	return 0;
}

int args_writable(struct pmkv *kv)
{
	if (kv->rdonly)
		return pmkv_err(-EROFS, "%s: opened read-only", kv->path);
	if (__atomic_load_n(&kv->poisoned, __ATOMIC_RELAXED))
		return pmkv_err(PMKV_E_POISONED,
				"%s: an earlier durable write failed", kv->path);
	return 0;
}
