/* Time: the TSC for clocks and delays, the LAPIC timer for ticks. */
#ifndef ARCH_TIMER_H
#define ARCH_TIMER_H

#include <kernel/types.h>

#define HZ 100

extern uint64_t tsc_khz;            /* measured against the PIT at boot */

void timer_calibrate(void);         /* boot CPU, once */
void timer_start_this_cpu(void);    /* every CPU: periodic tick at HZ */
void udelay(uint64_t us);
void rtc_init(void);                /* read the CMOS clock (after calibration) */
uint64_t tsc_to_ns(uint64_t cycles);

#endif
