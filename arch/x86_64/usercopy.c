/*
 * User copies (usercopy.h). The copy is one `rep movsb`; if it faults, the
 * page-fault handler finds the faulting instruction in the exception table
 * (__ex_table: pairs of "instruction that may fault, where to continue") and
 * resumes at the fixup with RCX still holding the bytes not copied.
 * With SMAP, the copy is the only kernel code allowed to touch user pages:
 * it opens the window with stac and closes it with clac (arch/protect.h),
 * on the fixup path too, since the fixup lands before the clac.
 *
 * A user copy may fault, and the fault may sleep (wait for a page being
 * migrated, read a file page): so none is made with a spinlock held
 * (might_sleep, spinlock.h). Copy through a kernel buffer outside the lock,
 * or hold a mutex instead.
 */
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/spinlock.h>
#include <arch/extable.h>
#include <arch/protect.h>

static size_t raw_copy(void *dst, const void *src, size_t n)
{
	user_access_begin();
	__asm__ volatile("1: rep movsb\n"
			 "2:\n"
			 EXTABLE_ENTRY(1b, 2b)
			 : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	user_access_end();
	return n;
}

size_t copy_to_user(void *dst, const void *src, size_t n)
{
	might_sleep("copy_to_user");
	if (!user_range_ok(dst, n))
		return n;
	return raw_copy(dst, src, n);
}

size_t copy_from_user(void *dst, const void *src, size_t n)
{
	might_sleep("copy_from_user");
	if (!user_range_ok(src, n))
		return n;
	return raw_copy(dst, src, n);
}

ssize_t strncpy_from_user(char *dst, const char *src, size_t max)
{
	might_sleep("strncpy_from_user");
	for (size_t i = 0; i < max; i++) {
		if (!user_range_ok(src + i, 1) || raw_copy(dst + i, src + i, 1))
			return -EFAULT;
		if (!dst[i])
			return (ssize_t)i;
	}
	return -ENAMETOOLONG;
}

/* One `lock cmpxchg` on the user word; a fault it cannot resolve lands
 * at 2 with err still -EFAULT (the robust futex walk at exit uses it). */
int user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new, uint32_t *seen)
{
	int err = -EFAULT;

	might_sleep("user_cmpxchg32");
	if (!user_range_ok(uaddr, sizeof(*uaddr)) || ((uint64_t)uaddr & 3))
		return -EFAULT;
	user_access_begin();
	__asm__ volatile("1: lock cmpxchgl %[new], %[mem]\n"
			 "   xorl %[err], %[err]\n"
			 "2:\n"
			 EXTABLE_ENTRY(1b, 2b)
			 : [err] "+r"(err), [mem] "+m"(*uaddr), "+a"(old)
			 : [new] "r"(new) : "memory", "cc");
	user_access_end();
	*seen = old;
	return err;
}
