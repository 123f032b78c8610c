/* Starting the other CPUs and running code on them. */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <kernel/cpumask.h>

/* Fix logical CPU ids from the MADT (the boot CPU is 0); before numa_init. */
void smp_identify(void);
/* Start every other CPU the MADT lists. */
void smp_boot(void);
void smp_call_init(void);

/*
 * Run fn(arg) on every CPU in mask (this one included if it is in mask) and
 * return when all have finished. Works with interrupts disabled in the
 * caller: while it waits for its turn it answers other CPUs' calls. fn runs
 * in interrupt context on the other CPUs: it must not sleep.
 */
void smp_call_function_mask(const struct cpumask *mask, void (*fn)(void *),
			    void *arg);
void smp_call_function_all(void (*fn)(void *), void *arg);

/* Panic path: stop every other CPU with an NMI. */
void smp_stop_others(void);

#endif
