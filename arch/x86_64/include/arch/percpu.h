/* The x86 part of struct cpu (kernel/include/kernel/percpu.h). */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdint.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#define GDT_ENTRIES 7   /* null, kcode, kdata, udata, ucode, tss (2 slots) */

struct arch_cpu {
	uint64_t gdt[GDT_ENTRIES];
	struct tss tss;
	void *ist_stack;        /* IST1, double faults (NMIs have IST2): gdt.c */
};

#endif
