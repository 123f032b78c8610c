/* Traps and interrupts: the frame the entry stubs (isr.asm) build. */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

#define T_NMI        2
#define T_UD         6
#define T_DF         8
#define T_GP        13
#define T_PF        14
#define IRQ_BASE    32
#define VEC_TIMER   0xF0
#define VEC_CALL    0xF1    /* smp_call_function */
#define VEC_RESCHED 0xF2    /* "run schedule() soon" (wakes an idle CPU) */
#define VEC_SPURIOUS 0xFF

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS   0x1B
#define USER_CS   0x23
#define TSS_SEL   0x28

typedef void (*irq_handler_t)(struct trap_frame *tf);

#define SYSCALL_VECTOR 0x80    /* trap_frame.vector of a system call */

void gdt_init_cpu(void);       /* this CPU's GDT and TSS */
void syscall_init_cpu(void);   /* this CPU: enable the syscall instruction */
/* Enter user mode for the first time with p->tf's registers. */
__attribute__((noreturn)) void user_enter(struct trap_frame *tf);
void idt_init(void);           /* once, on the boot CPU */
void idt_load(void);           /* on every CPU */
void irq_register(int vector, irq_handler_t fn);
void trap_dispatch(struct trap_frame *tf);

/* Print the caller chain starting at rbp (frame pointers). */
void backtrace_from(uint64_t rip, uint64_t rbp);
/* Where tf was stopped ("RIP: ...") and its backtrace. */
void trap_print_backtrace(const struct trap_frame *tf);
/* watchdog.c: an NMI while the machine panics; prints this CPU's
 * backtrace if the report asked for it, then halts. */
__attribute__((noreturn)) void watchdog_nmi(const struct trap_frame *tf);
void backtrace(void);

#endif
