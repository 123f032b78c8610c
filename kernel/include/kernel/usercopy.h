/*
 * Copying between the kernel and user space. Every user pointer a system
 * call receives goes through these: they reject addresses outside user
 * space and survive unmapped ones (a fault during the copy is caught by the
 * exception fixup table and becomes a failure return, not a kernel crash).
 * Return: 0 on success, or the number of bytes NOT copied.
 */
#ifndef KERNEL_USERCOPY_H
#define KERNEL_USERCOPY_H

#include <kernel/types.h>

#define USER_TOP 0x00007ffffffff000UL   /* first address above user space */

static inline bool user_range_ok(const void *p, size_t n)
{
	uint64_t a = (uint64_t)p;

	return a < USER_TOP && n <= USER_TOP - a;
}

size_t copy_to_user(void *dst, const void *src, size_t n);
size_t copy_from_user(void *dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most max bytes (including the NUL);
 * returns its length, -EFAULT, or -ENAMETOOLONG. */
ssize_t strncpy_from_user(char *dst, const char *src, size_t max);
/* Atomically: if the 32-bit user word at uaddr (4-aligned) holds old, make
 * it new. *seen gets the value found. 0, or -EFAULT (not user memory, or
 * no mapping the fault handler could make). May fault (and sleep). */
int user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new, uint32_t *seen);

#endif
