/* SPDX-License-Identifier: BSD-3-Clause */
/* check.h -- verify every invariant of an open pool, for tests */
#ifndef PMKV_CHECK_H
#define PMKV_CHECK_H

struct pmkv;

/* 0, or PMKV_E_CORRUPT naming the first broken invariant; kv is quiet */
int check_run(struct pmkv *kv);

#endif /* PMKV_CHECK_H */
