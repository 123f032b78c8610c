/*
 * Enabling `syscall`: EFER.SCE, the entry point (LSTAR), the segments
 * (STAR: kernel CS 0x08 for entry; 0x10 + 16 = user CS 0x23 and 0x10 + 8 =
 * user SS 0x1B for sysret), and the RFLAGS bits cleared on entry (FMASK:
 * IF, so the entry code runs with interrupts off until it has a stack;
 * DF; TF; AC).
 */
#include <arch/io.h>
#include <arch/trap.h>

#define EFER_SCE (1UL << 0)
#define MSR_STAR  0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_FMASK 0xC0000084

extern char syscall_entry[];

void syscall_init_cpu(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, (1 << 9) | (1 << 10) | (1 << 8) | (1 << 18));
	wrmsr(MSR_KERNEL_GS_BASE, 0);      /* the user's GS base, swapped in */
}
