/*
 * The watchdog: a hang becomes a report, not a silent time-out.
 *
 *  - hard lockup: every timer tick (HZ per second, on every CPU) bumps the
 *    CPU's tick count, and checks that its neighbour's (the next online
 *    CPU) has moved. A count that stands still for WATCHDOG_SECS means
 *    that CPU runs with interrupts off: the watchdog reports it and stops
 *    the machine, with the backtrace of every CPU (taken by NMI, which
 *    interrupts even a CPU with interrupts off);
 *  - a spin that never ends: spin_lock and pte_chain_lock look at the clock
 *    every few thousand turns of their loop; after WATCHDOG_SECS they report
 *    the lock's name and the CPU holding it, the same way. While a
 *    checker holds the whole machine still on purpose (rmap_check takes
 *    every mm->lock and walks every page table: seconds under TCG on a
 *    busy host), a spin may last up to WATCHDOG_HELD_SECS instead
 *    (watchdog_hold_world).
 *
 * The report is a panic ("KERNEL PANIC on cpu N: watchdog: ..."), followed
 * by "NMI backtrace of cpu M:" and a backtrace for each other CPU.
 *
 * Debug checks of the same family: a CPU that switches tasks or returns to
 * user mode must hold no spinlock and no pte_chain lock
 * (lock_assert_none_held); spinlock.c and rmap.c count what each CPU holds.
 */
#ifndef KERNEL_WATCHDOG_H
#define KERNEL_WATCHDOG_H

#include <kernel/types.h>

#define WATCHDOG_SECS 10            /* guest seconds: TCG on a busy host is slow */
#define WATCHDOG_SPIN_CHECK 4096    /* spin-loop turns between looks at the clock */
#define WATCHDOG_HELD_SECS 120      /* ... while the world is held (see above) */

void watchdog_tick(void);           /* timer interrupt, every CPU */

/* For a spin loop: *start is 0 before the loop. True once the loop has
 * spun for WATCHDOG_SECS (call it every WATCHDOG_SPIN_CHECK turns). */
bool watchdog_spun_too_long(uint64_t *start);

/* For a retry loop that yields between rounds (a walk that met a busy
 * mm->lock): the other CPUs run, so no spin report would ever come, and a
 * livelock would hang silently. Called once a round, with *start 0 before
 * the loop: after WATCHDOG_RETRY_SECS it reports what, and pfn, as a hang. */
#define WATCHDOG_RETRY_SECS 30
void watchdog_retry(uint64_t *start, const char *what, uint64_t pfn);

/* A checker starts (true) or ends (false) holding the machine still; the
 * spin limit is WATCHDOG_HELD_SECS meanwhile. Held ones nest (a count). */
void watchdog_hold_world(bool hold);

/* Report a hang: print the message as a panic, then every other CPU's
 * backtrace (NMI), then stop the machine as panic does. */
__noreturn void watchdog_stuck(const char *fmt, ...);

/* Panic if this CPU holds a spinlock or a pte_chain lock; where: what it
 * is about to do ("schedule", "return to user mode"). */
void lock_assert_none_held(const char *where);

#endif
