#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

/* End user processes, then sync the file systems (not during a panic):
 * kernel/power.c. May sleep. */
void power_off_prepare(void);

/* Turn the machine off (ACPI S5); halts if the firmware gave no way to.
 * Calls power_off_prepare() first. */
__attribute__((noreturn)) void machine_poweroff(void);

#endif
