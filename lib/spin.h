/* SPDX-License-Identifier: BSD-3-Clause */
/* spin.h -- what a thread does while it waits a few cycles for another */
#ifndef PMKV_SPIN_H
#define PMKV_SPIN_H

/* tell the CPU this is a spin: the other hyperthread gets the core */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif /* PMKV_SPIN_H */
