/*
 * noreplace: mmap with MAP_FIXED_NOREPLACE gets the same address checks as
 * MAP_FIXED. The address is taken as it is, so it must be page aligned
 * (EINVAL) and the range must lie in user space without wrapping (ENOMEM);
 * a kernel address must never become a mapping of the process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG    4096UL
#define FREE  0x210000000000UL          /* nobody maps here */

/* The raw system call: -errno on failure, so a mapping that should not be
 * made is seen, and never used. */
static long sys_mmap(unsigned long addr, unsigned long len, int flags)
{
	return syscall(SYS_mmap, addr, len, PROT_READ, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void expect_errno(unsigned long addr, unsigned long len, int flags, int want, const char *what)
{
	long r = sys_mmap(addr, len, flags);

	ok_why(r == -1 && errno == want, r == -1 ? "wrong errno" : "the mapping was made",
	       "%s: %s", what, want == ENOMEM ? "ENOMEM" : "EINVAL");
}

int main(void)
{
	ktap_plan("noreplace", 8);
	expect_errno(0xffff800000000000UL, PG, MAP_FIXED_NOREPLACE, ENOMEM,
		     "NOREPLACE at the kernel's direct map");
	expect_errno(0xffffffff80000000UL, PG, MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, ENOMEM,
		     "NOREPLACE|GROWSDOWN at the kernel's text");
	expect_errno(0x00007ffffffff000UL, PG, MAP_FIXED_NOREPLACE, ENOMEM,
		     "NOREPLACE at the first page above user space");
	expect_errno(0xfffffffffffff000UL, 2 * PG, MAP_FIXED_NOREPLACE, ENOMEM,
		     "NOREPLACE of a range that wraps");
	expect_errno(FREE + 1, PG, MAP_FIXED_NOREPLACE, EINVAL, "NOREPLACE at an unaligned address");
	expect_errno(0xffff800000000000UL, PG, MAP_FIXED, ENOMEM, "FIXED at the kernel's direct map");

	long r = sys_mmap(FREE, 2 * PG, MAP_FIXED_NOREPLACE);
	ok(r == (long)FREE, "NOREPLACE at a free user address maps there");
	r = sys_mmap(FREE + PG, PG, MAP_FIXED_NOREPLACE);
	ok(r == -1 && errno == EEXIST, "NOREPLACE over that mapping: EEXIST");
	return ktap_done();
}
