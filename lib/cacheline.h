/* SPDX-License-Identifier: BSD-3-Clause */
/* cacheline.h -- the cache line size, for alignment and prefetching */
#ifndef PMKV_CACHELINE_H
#define PMKV_CACHELINE_H

#define CACHELINE 64

#endif /* PMKV_CACHELINE_H */
