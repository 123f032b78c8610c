/*
 * x86 side of switching processes: kernel stack layout for new processes,
 * the TSS's kernel stack pointer, the user FPU/SSE state (FXSAVE) and the
 * FS base (user TLS), and loading the address space.
 */
#include <arch/sched.h>
#include <arch/io.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <kernel/proc.h>
#include <kernel/percpu.h>
#include <kernel/mm.h>
#include <kernel/string.h>

extern struct proc *switch_stacks(uint64_t *save, uint64_t load, struct proc *prev);
extern char proc_trampoline[];

static uint8_t clean_fpu[512] __aligned(16);   /* after fninit, MXCSR default */

void arch_proc_init_stack(struct proc *p, void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)((char *)p->kstack + (PAGE_SIZE << KSTACK_ORDER));

	sp -= sizeof(struct trap_frame) / 8;   /* room for user registers */
	p->tf = (struct trap_frame *)sp;
	*--sp = (uint64_t)proc_trampoline;
	*--sp = 0;                  /* rbp */
	*--sp = 0;                  /* rbx */
	*--sp = (uint64_t)fn;       /* r12 */
	*--sp = (uint64_t)arg;      /* r13 */
	*--sp = 0;                  /* r14 */
	*--sp = 0;                  /* r15 */
	p->saved_rsp = (uint64_t)sp;
}

/* Change the argument the new process's first function receives. */
void arch_proc_set_start_arg(struct proc *p, void *arg)
{
	((uint64_t *)p->saved_rsp)[2] = (uint64_t)arg;   /* r13 */
}

void arch_prepare_switch(struct proc *prev, struct proc *next)
{
	struct cpu *c = this_cpu();
	uint64_t top = (uint64_t)next->kstack + (PAGE_SIZE << KSTACK_ORDER);

	if (next->tf)
		top = (uint64_t)next->tf + sizeof(struct trap_frame);
	c->arch.tss.rsp[0] = top;     /* interrupts from user mode land here */
	c->kernel_rsp = top;          /* and system calls */
	if (prev->mm && prev->fpu) {
		__asm__ volatile("fxsave64 (%0)" : : "r"(prev->fpu) : "memory");
		prev->fs_base = rdmsr(MSR_FS_BASE);
	}
	if (next->mm && next->fpu) {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(next->fpu) : "memory");
		wrmsr(MSR_FS_BASE, next->fs_base);
	}
}

struct proc *arch_context_switch(struct proc *prev, struct proc *next)
{
	return switch_stacks(&prev->saved_rsp, next->saved_rsp, prev);
}

/* Load next's page tables (the kernel's for kernel threads). mm->cpus
 * tracks where an mm is loaded, for TLB shootdowns. */
void arch_switch_mm(struct proc *next)
{
	struct cpu *c = this_cpu();

	if (c->loaded_mm == next->mm)
		return;
	if (c->loaded_mm)
		cpumask_clear(&c->loaded_mm->cpus, c->id);
	if (next->mm)
		cpumask_set(&next->mm->cpus, c->id);
	write_cr3(next->mm ? next->mm->pml4_phys : kernel_pml4_phys());
	c->loaded_mm = next->mm;
}

/* CR0.MP on, EM off; CR4.OSFXSR and OSXMMEXCPT: SSE for user programs.
 * The kernel itself is built without SSE, so it never touches these. */
void fpu_init(void)
{
	uint64_t cr0, cr4;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~(1UL << 2)) | (1UL << 1);
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1UL << 9) | (1UL << 10);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	if (this_cpu_id() == 0) {
		__asm__ volatile("fninit; fxsave64 (%0)" : : "r"(clean_fpu) : "memory");
		*(uint32_t *)(clean_fpu + 24) = 0x1F80;   /* MXCSR: all masked */
	}
}

void fpu_init_state(void *area)
{
	memcpy(area, clean_fpu, sizeof(clean_fpu));
}
