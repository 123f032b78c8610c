/*
 * Host fuzzing shim for arch/irq.h: a user process may not touch the
 * interrupt flag (cli, sti and hlt fault), and the fuzz targets run on
 * one thread with no interrupts, so these only record the state.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

extern bool fuzz_irq_on;     /* shim.c */

static inline void irq_disable(void) { fuzz_irq_on = false; }
static inline void irq_enable(void) { fuzz_irq_on = true; }
static inline void cpu_relax(void) {}
static inline void cpu_halt(void) { abort(); }   /* would stop forever */
static inline void cpu_idle_wait(void) { abort(); }

static inline uint64_t irq_save(void)
{
	uint64_t was = fuzz_irq_on;

	fuzz_irq_on = false;
	return was;
}

static inline void irq_restore(uint64_t flags)
{
	fuzz_irq_on = flags;
}

static inline bool irq_enabled(void)
{
	return fuzz_irq_on;
}

#endif
