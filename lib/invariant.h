/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * invariant.h -- PMKV_ASSERT: an invariant the code relies on, checked
 *
 * A comment that states an invariant is also an assert where the code
 * depends on it, in the spirit of LMDB's mdb_cassert(). Asserts are on in
 * debug and test builds and compiled out of release builds (meson option
 * asserts; config.h's PMKV_ASSERTS), where they cost nothing: the
 * condition is not evaluated, so it must have no side effect. A failed
 * assert logs where and what, then aborts: the handle's state is no
 * longer what the code was written for, and going on could write a wrong
 * record durably.
 */
#ifndef PMKV_INVARIANT_H
#define PMKV_INVARIANT_H

#include "config.h"

void invariant_fail(const char *file, int line, const char *func,
		    const char *expr) __attribute__((noreturn, cold));

#if PMKV_ASSERTS
#define PMKV_ASSERT(cond) do {						\
	if (__builtin_expect(!(cond), 0))				\
		invariant_fail(__FILE__, __LINE__, __func__, #cond);	\
} while (0)
#else
/* type-checked, never evaluated */
#define PMKV_ASSERT(cond) do { (void)sizeof(!(cond)); } while (0)
#endif

#endif /* PMKV_INVARIANT_H */
