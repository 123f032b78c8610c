/*
 * The CPU's protections for the kernel (protect.c): SMEP and SMAP in CR4
 * where the CPU has them, and the user-access window that SMAP requires.
 *
 * With SMAP on, a kernel load or store to a user page faults unless
 * RFLAGS.AC is set. stac sets it, clac clears it; every deliberate access to
 * user memory (usercopy.c) sits between user_access_begin() and
 * user_access_end(). Interrupt entry (isr.asm) and system-call entry (the
 * FMASK MSR) clear AC, so the window never leaks into a handler.
 */
#ifndef ARCH_PROTECT_H
#define ARCH_PROTECT_H

#include <kernel/types.h>

extern bool cpu_has_smap;       /* CR4.SMAP is on: stac/clac exist */

static inline void user_access_begin(void)
{
	if (cpu_has_smap)
		__asm__ volatile("stac" : : : "memory");
}

static inline void user_access_end(void)
{
	if (cpu_has_smap)
		__asm__ volatile("clac" : : : "memory");
}

/* This CPU: SMEP and SMAP on, as the CPU and the command line allow
 * (nosmep, nosmap). The boot CPU first, then each AP. */
void protect_init_cpu(void);
/* Once, first thing on the boot CPU: a random stack-protector guard. */
void stack_guard_init(void);

#endif
