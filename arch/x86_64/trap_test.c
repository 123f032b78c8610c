/*
 * Deliberate kernel faults (ktest=trap_pf, ktest=trap_ud). They never
 * return: the trap report is printed and the machine stops. The host
 * harness checks the report. Not part of ktest=all.
 */
#include <kernel/ktest.h>

__attribute__((noinline)) void ktest_trap_pf_fn(void)
{
	*(volatile int *)0xdead000 = 1;     /* nothing is mapped there */
}

__attribute__((noinline)) void ktest_trap_ud_fn(void)
{
	__asm__ volatile("ud2");
}

KTEST_EXPLICIT(trap_pf, write_to_unmapped_address)
{
	ktest_trap_pf_fn();
	ktest_fail(t, __FILE__, __LINE__, "the page fault did not stop the kernel");
}

KTEST_EXPLICIT(trap_ud, invalid_opcode)
{
	ktest_trap_ud_fn();
	ktest_fail(t, __FILE__, __LINE__, "ud2 did not stop the kernel");
}
