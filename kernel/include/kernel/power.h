#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

/* Turn the machine off (ACPI S5); halts if the firmware gave no way to. */
__attribute__((noreturn)) void machine_poweroff(void);

#endif
