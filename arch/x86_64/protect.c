/*
 * Turning on the CPU's protections of the kernel against itself and against
 * user space (docs/memory.md, "Protection"):
 *   - SMEP: the kernel may not execute a user page (a classic exploit jumps
 *     to code it placed in user memory);
 *   - SMAP: the kernel may not read or write a user page except inside a
 *     user copy (arch/protect.h);
 *   - the stack protector's guard value (-fstack-protector-strong), random
 *     at each boot, and the report when a function finds it overwritten.
 * NX, W^X and the stack guard pages are paging's and kstack.c's part.
 */
#include <arch/protect.h>
#include <arch/paging.h>
#include <arch/io.h>
#include <kernel/cmdline.h>
#include <kernel/ksyms.h>
#include <kernel/percpu.h>
#include <kernel/printk.h>
#include <kernel/panic.h>

#define CPUID7_EBX_SMEP (1U << 7)
#define CPUID7_EBX_SMAP (1U << 20)
#define CPUID1_ECX_RDRAND (1U << 30)

bool cpu_has_smap;
extern char _text[];

/* CPUID leaf 7's feature bits (EBX), 0 if the CPU has no leaf 7. */
static uint32_t cpuid7_ebx(void)
{
	uint32_t a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 7)
		return 0;
	cpuid(7, 0, &a, &b, &c, &d);
	return b;
}

void protect_init_cpu(void)
{
	uint32_t features = cpuid7_ebx();
	uint64_t cr4 = read_cr4();

	if ((features & CPUID7_EBX_SMEP) && !cmdline_has("nosmep"))
		cr4 |= CR4_SMEP;
	if ((features & CPUID7_EBX_SMAP) && !cmdline_has("nosmap"))
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
	if (this_cpu_id() == 0) {
		cpu_has_smap = cr4 & CR4_SMAP;
		printk("protect: NX %s, SMEP %s, SMAP %s, kernel text %s\n",
		       pte_nx ? "on" : "off (no CPU support)",
		       cr4 & CR4_SMEP ? "on" : "off", cr4 & CR4_SMAP ? "on" : "off",
		       paging_kernel_pte((uint64_t)_text) & PTE_W ? "writable (rodata=off)"
								: "read-only");
	}
}

/* The guard -fstack-protector-strong puts in each protected frame (GCC's
 * -mstack-protector-guard=global: one value for all CPUs). */
uint64_t __stack_chk_guard = 0x595e9fbd94fda766UL;

static bool rdrand64(uint64_t *v)
{
	uint32_t a, b, c, d;
	bool ok = false;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_RDRAND))
		return false;
	for (int tries = 0; tries < 10 && !ok; tries++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
	return ok;
}

/* Runs before any protected function has a frame that will return (kmain
 * never returns), so changing the guard here breaks no check. RDRAND where
 * the CPU has it, mixed with the TSC (not unpredictable, but differs per
 * boot). The low byte is 0, so a string overflow cannot copy the guard. */
__attribute__((no_stack_protector)) void stack_guard_init(void)
{
	uint64_t r = 0;

	rdrand64(&r);
	r ^= rdtsc() * 0x9E3779B97F4A7C15UL;
	__stack_chk_guard = (__stack_chk_guard ^ r) & ~0xffUL;
}

/* A protected function found its guard overwritten: its stack frame was
 * overrun (a buffer overflow on the stack). Nothing on this stack can be
 * trusted, so stop with the name of the function. */
__noreturn void __stack_chk_fail(void)
{
	uint64_t off = 0, call = (uint64_t)__builtin_return_address(0) - 1;
	const char *name = ksym_lookup(call, &off);   /* the call may end it */

	panic("stack protector: stack smashed in %s (call at 0x%lx)", name ? name : "?", call);
}
