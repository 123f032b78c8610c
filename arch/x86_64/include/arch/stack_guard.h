/*
 * Static stacks with a guard page under them (the boot CPU's first stack,
 * the double-fault and NMI stacks of every CPU). Each stack is declared as
 * an array of `struct NAME { char guard[PAGE_SIZE]; char stack[SIZE]; }`
 * and registered with STACK_GUARDS(): paging_init() then leaves every
 * guard page out of the kernel image map, so that running off the bottom
 * of the stack is a page fault (reported as a stack overflow, traps.c)
 * instead of silently overwriting whatever lies below.
 */
#ifndef ARCH_STACK_GUARD_H
#define ARCH_STACK_GUARD_H

#include <kernel/types.h>

struct stack_guard {
	uint64_t first;         /* address of the first guard page */
	uint64_t count;         /* how many */
	uint64_t stride;        /* bytes from one to the next */
};

/* Register the guard pages of array `arr` (field `guard` of each element). */
#define STACK_GUARDS(arr)                                                     \
	static const struct stack_guard arr##_guards                          \
		__section(".stack_guards") __used __aligned(8) = {            \
		(uint64_t)&arr[0].guard, ARRAY_SIZE(arr), sizeof(arr[0]) }

#endif
