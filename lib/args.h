/* SPDX-License-Identifier: BSD-3-Clause */
/* args.h -- the argument checks that the public calls share */
#ifndef PMKV_ARGS_H
#define PMKV_ARGS_H

#include <stddef.h>

struct pmkv;

/* -EINVAL with a message for a NULL, empty or too long key */
int args_key(const void *key, size_t klen);
/* -EINVAL with a message for a too long value, or NULL with a length */
int args_value(const void *val, size_t vlen);
/* -EROFS for a read-only handle, PMKV_E_POISONED for a poisoned one */
int args_writable(struct pmkv *kv);

#endif /* PMKV_ARGS_H */
