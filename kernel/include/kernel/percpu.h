/*
 * Per-CPU data. Each CPU owns one struct cpu, found through the GS segment
 * base: gs:0 holds the struct's own address, so this_cpu() is one load.
 * cpus[] is indexed by the logical CPU id (0 = the boot CPU, then MADT order).
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <kernel/types.h>
#include <kernel/topology.h>
#include <kernel/cpumask.h>
#include <kernel/sched.h>

#define NR_VM_EVENTS_MAX 32        /* room for enum vm_event */
#include <arch/percpu.h>

struct trace_ring;

struct cpu {
	struct cpu *self;          /* must stay first: read through gs:0 */
	uint64_t user_rsp;         /* gs:8, syscall entry saves the user rsp */
	uint64_t kernel_rsp;       /* gs:16, syscall entry's kernel stack */
	int id;                    /* logical id, index into cpus[] */
	uint32_t apic_id;          /* from the MADT */
	int node;                  /* NUMA node (SRAT), 0 without one */
	void *stack_top;           /* kernel stack, on the CPU's own node */
	volatile uint64_t ticks;   /* LAPIC timer interrupts taken */
	struct runqueue rq;        /* this CPU's scheduler state */
	struct mm *loaded_mm;      /* whose page tables CR3 holds (NULL: kernel) */
	void *rmap_spare;          /* one pte_chain block (rmap_blocks.c, under its spare_lock) */
	void *rmap_reserve[MAX_NODES]; /* fork's blocks, by node (rmap_blocks.c: filled and
					  drained under spare_lock) */
	uint64_t rmap_reserved;    /* blocks on rmap_reserve[] */
	bool rmap_bulk;            /* a fork is copying: blocks from rmap_reserve */
	int locks_held;            /* spinlocks this CPU holds (spinlock.c) */
	struct spinlock *held[4];  /* which (the first four), for reports */
	struct spinlock *spinning_on; /* the lock it waits for now, for reports */
	int nr_chain_held;         /* pte_chain locks it holds (rmap.c) */
	struct page *chain_held[4];/* which (the first four), for the watchdog */
	uint64_t vmstat[NR_VM_EVENTS_MAX]; /* this CPU's memory events (vmstat.h) */
	struct trace_ring *trace;  /* this CPU's trace records, once tracing is on (trace.h) */
	struct arch_cpu arch;      /* GDT, TSS and other x86 state */
};

_Static_assert(offsetof(struct cpu, user_rsp) == 8, "syscall.asm uses gs:8");
_Static_assert(offsetof(struct cpu, kernel_rsp) == 16, "syscall.asm uses gs:16");

extern struct cpu cpus[MAX_CPUS];
extern int nr_cpus;                /* present CPUs (MADT, enabled) */
extern struct cpumask cpu_online_mask;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline int this_cpu_id(void)
{
	struct cpu *c = this_cpu();

	return c ? c->id : 0;
}

void percpu_init_this(struct cpu *c);   /* set GS base to c */

#endif
