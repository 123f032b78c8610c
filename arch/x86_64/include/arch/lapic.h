/* The local APIC: each CPU's interrupt controller, timer and IPI sender. */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <kernel/types.h>

#define ICR_FIXED     (0U << 8)
#define ICR_NMI       (4U << 8)
#define ICR_INIT      (5U << 8)
#define ICR_STARTUP   (6U << 8)
#define ICR_ASSERT    (1U << 14)
#define ICR_LEVEL     (1U << 15)

void lapic_init(uint64_t phys);     /* boot CPU: map and enable */
void lapic_enable_this(void);       /* every CPU */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint32_t icr);
void lapic_timer_start(uint32_t ticks_per_period, uint8_t vector);
uint32_t lapic_timer_current(void);
void lapic_timer_oneshot_max(void);

#endif
