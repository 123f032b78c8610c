#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

/* Sync the file systems (not during a panic): kernel/power.c. */
void power_off_prepare(void);

/* Turn the machine off (ACPI S5); halts if the firmware gave no way to.
 * Calls power_off_prepare() first. */
__attribute__((noreturn)) void machine_poweroff(void);

#endif
