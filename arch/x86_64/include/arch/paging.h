/*
 * x86-64 paging: the address-space layout and page-table entry bits.
 *
 * Virtual layout:
 *   0x0000000000000000 - 0x00007fffffffffff   user space (later issues)
 *   0xffff800000000000 - ...                  direct map of all physical memory
 *   0xffffff0000000000 - ...                  kernel stacks, guard under each (kstack.c)
 *   0xffffffff80000000 - 0xffffffffffffffff   kernel image (linker.ld)
 *
 * A virtual address splits into four 9-bit table indexes and a 12-bit offset:
 *   47    39 38    30 29    21 20    12 11         0
 *   | PML4  |  PDPT  |   PD   |   PT   |   offset   |
 */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <kernel/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define HUGE_2M (1UL << 21)

#define DIRECT_MAP_BASE 0xffff800000000000UL
#define KERNEL_VMA      0xffffffff80000000UL
#define DIRECT_MAP_MAX  (64UL << 30)   /* physical memory the direct map can cover */

#define PTE_P    (1UL << 0)     /* present */
#define PTE_W    (1UL << 1)     /* writable */
#define PTE_U    (1UL << 2)     /* user */
#define PTE_PWT  (1UL << 3)
#define PTE_PCD  (1UL << 4)     /* cache disable */
#define PTE_A    (1UL << 5)     /* accessed */
#define PTE_D    (1UL << 6)     /* dirty */
#define PTE_PS   (1UL << 7)     /* 2 MiB / 1 GiB page */
#define PTE_G    (1UL << 8)     /* global */
#define PTE_NX   (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa + DIRECT_MAP_BASE);
}

/* Works for direct-map and kernel-image addresses, not for the kernel
 * stack area (kstack.c): a local variable has no direct-map address, so
 * never hand one to a device (DMA) or to virt_to_page(). */
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;

	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

#define CR4_PGE  (1UL << 7)     /* global pages */
#define CR4_SMEP (1UL << 20)    /* no kernel instruction fetch from user pages */
#define CR4_SMAP (1UL << 21)    /* no kernel data access to user pages (but stac) */
#define EFER_NXE (1UL << 11)    /* the NX bit (PTE_NX) is honoured */

static inline uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void flush_tlb_page(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* PTE_NX if the CPU has no-execute (EFER.NXE set at boot), else 0: the
 * bit is reserved without it. */
extern uint64_t pte_nx;

void paging_init(void);
void paging_map_direct(uint64_t start, uint64_t end);
uint64_t kernel_pml4_phys(void);
void paging_drop_identity(void);
/* The leaf entry mapping kernel address va (a 4 KiB, 2 MiB or 1 GiB
 * page), or 0 if it is not mapped. */
uint64_t paging_kernel_pte(uint64_t va);
/* Is addr in the guard page under a kernel stack? (traps.c's report) */
bool stack_guard_hit(uint64_t addr);
bool kstack_guard_hit(uint64_t addr);
/* kstack.c: give the kernel stack area its slot in the kernel PML4. */
void kstack_area_init(uint64_t *pml4);

#endif
