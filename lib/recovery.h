/* SPDX-License-Identifier: BSD-3-Clause */
/* recovery.h -- rebuild the index from the log at open */
#ifndef PMKV_RECOVERY_H
#define PMKV_RECOVERY_H

struct pmkv;

int recovery_run(struct pmkv *kv);

#endif /* PMKV_RECOVERY_H */
