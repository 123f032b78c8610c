/*
 * What the boot loader told us, copied out of its structures early so that
 * the memory they sit in can be reused. Filled by arch/x86_64/multiboot2.c.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <kernel/types.h>

#define BOOT_MEM_USABLE 1          /* multiboot2/e820 "available RAM" */
#define BOOT_MAX_MEM 64
#define BOOT_CMDLINE_MAX 1024

struct boot_mem_range {
	uint64_t base, len;
	uint32_t type;             /* BOOT_MEM_USABLE or the firmware's type */
};

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX];
	int nr_mem;
	struct boot_mem_range mem[BOOT_MAX_MEM];
	bool has_rsdp;
	uint8_t rsdp[36];          /* copy of the ACPI RSDP (v1: first 20 bytes) */
	uint64_t tsc_at_entry;     /* rdtsc as kmain starts, for boot timing */
	uint64_t tsc_mem_cycles;   /* cycles spent in memory_init() */
};

extern struct boot_info boot_info;

void multiboot2_parse(uint32_t magic, phys_addr_t mbi);

#endif
