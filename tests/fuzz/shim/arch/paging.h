/*
 * Host fuzzing shim for arch/paging.h: everything the kernel header
 * defines, except that "physical" addresses are offsets into a host arena
 * (fuzz_phys_base) instead of the kernel's direct map. The real header is
 * included with its phys_to_virt renamed out of the way.
 */
#ifndef FUZZ_SHIM_ARCH_PAGING_H
#define FUZZ_SHIM_ARCH_PAGING_H

#define phys_to_virt kernel_phys_to_virt
#define virt_to_phys kernel_virt_to_phys
#include_next <arch/paging.h>
#undef phys_to_virt
#undef virt_to_phys

/* Host address of physical address 0 (0 when "physical" means host). */
extern uintptr_t fuzz_phys_base;

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(fuzz_phys_base + (uintptr_t)pa);
}

static inline uint64_t virt_to_phys(const void *va)
{
	return (uintptr_t)va - fuzz_phys_base;
}

#endif
