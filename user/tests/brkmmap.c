/*
 * brkmmap: edge cases of brk, mmap, munmap, mprotect and madvise.
 *
 * brk is called raw: the system call returns the new break on success and
 * the unchanged break on failure (musl's sbrk hides that). The test never
 * calls malloc, so nothing else moves the break meanwhile.
 * mprotect is called raw too: musl's wrapper rounds the range to pages.
 *
 * Faults are checked in child processes (touch_in_child), which must die
 * of SIGSEGV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#define PG        4096UL
#define WRAP_ADDR ((void *)0xfffffffffffff000UL)    /* + 2 pages wraps to 4096 */
#define KERNEL    ((void *)0xffff800000000000UL)
#define SCRATCH   "brkmmap.tmp"

static unsigned long sys_brk(unsigned long addr)
{
	return syscall(SYS_brk, addr);
}

static long sys_mprotect(void *addr, size_t len, int prot)
{
	return syscall(SYS_mprotect, addr, len, prot);
}

static char *map_anon(size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* map_anon for memory the test needs: bail out if there is none. */
static char *must_map(size_t len, int prot)
{
	char *p = map_anon(len, prot);

	if (p == MAP_FAILED)
		ktap_bail("mmap of a few pages failed");
	return p;
}

/* 1 if len bytes at p all equal c. */
static int all(const char *p, int c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static int segv(void *addr, int write)
{
	return killed_by(touch_in_child(addr, write), SIGSEGV);
}

/* ---------------------------------------------------------------- brk */

/* How many lines of /proc/self/maps name the heap (Linux merges a brk
 * extension into the heap's VMA: one). -1 if it cannot be read. */
static int heap_lines(void)
{
	char buf[8192];
	int fd = open("/proc/self/maps", O_RDONLY), n = 0;
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (len < 0)
		return -1;
	buf[len] = 0;
	for (char *s = buf; (s = strstr(s, "[heap]")); s++)
		n++;
	return n;
}

static void test_brk(void)
{
	unsigned long start = sys_brk(0), base, b;
	char *p;

	ok(start != 0 && sys_brk(0) == start, "brk(0) returns the current break");

	/* Work from a page boundary, in case the first break isn't one. */
	base = (start + PG - 1) & ~(PG - 1);
	b = sys_brk(base + 4 * PG);
	p = (char *)base;
	if (ok(b == base + 4 * PG && all(p, 0, 4 * PG), "brk grows by 4 pages of zeros")) {
		memset(p, 'b', 4 * PG);
	}
	b = sys_brk(base + 2 * PG);
	ok(b == base + 2 * PG && all(p, 'b', 2 * PG), "brk shrinks by 2 pages, keeping the rest");
	ok(segv(p + 2 * PG, 0), "a page released by brk faults");
	b = sys_brk(base + 4 * PG);
	ok(b == base + 4 * PG && all(p + 2 * PG, 0, 2 * PG) && all(p, 'b', 2 * PG),
	   "brk grown again: the new pages read as zeros");

	sys_brk(base + 5 * PG);
	sys_brk(base + 6 * PG);
	ok(heap_lines() == 1, "after growing, shrinking and growing again: one [heap] "
	   "line in /proc/self/maps (%d)", heap_lines());
	sys_brk(base + 4 * PG);

	ok(sys_brk(1) == base + 4 * PG, "brk(1), below the data segment, leaves the break");
	ok(sys_brk(base + (1UL << 47)) == base + 4 * PG,
	   "brk beyond user space leaves the break");

	/* 1 GiB more: Linux grants it (memory comes on first touch) unless
	 * overcommit accounting refuses; either way the answer must be exact. */
	b = sys_brk(base + (1UL << 30));
	if (b == base + (1UL << 30)) {
		p[(1UL << 30) - 1] = 1;
		p[(1UL << 29)] = 1;
		ok(sys_brk(0) == b, "brk grows by 1 GiB (granted; two pages touched)");
	} else {
		ok(b == base + 4 * PG, "brk grows by 1 GiB (refused: break unchanged)");
	}
	ok(sys_brk(start) == start && sys_brk(0) == start, "brk back to where it started");
}

/* ---------------------------------------------------------------- mmap */

static void test_mmap_args(void)
{
	int fd = open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char page[PG];
	char *p;

	memset(page, 'f', sizeof(page));
	if (fd < 0 || write(fd, page, PG) != PG)
		diag("can't write " SCRATCH);

	ok_errno((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		 EINVAL, "mmap length 0: EINVAL");
	ok_errno((long)map_anon(1UL << 50, PROT_READ | PROT_WRITE), ENOMEM,
		 "mmap length 2^50: ENOMEM");
	ok_errno((long)map_anon(-PG, PROT_READ | PROT_WRITE), ENOMEM,
		 "mmap length 2^64 - 4096: ENOMEM");
	ok_errno((long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL,
		 "mmap of a file at offset 100: EINVAL");
	ok_errno((long)mmap((void *)0x10000001UL, PG, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		 EINVAL, "MAP_FIXED at an unaligned address: EINVAL");
	ok_errno((long)mmap(WRAP_ADDR, 2 * PG, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		 ENOMEM, "MAP_FIXED whose end wraps around: ENOMEM");
	ok_errno((long)mmap(KERNEL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		 ENOMEM, "MAP_FIXED in the kernel half: ENOMEM");

	p = map_anon(3 * PG, PROT_READ | PROT_WRITE);
	ok(p != MAP_FAILED && ((uintptr_t)p & (PG - 1)) == 0 && all(p, 0, 3 * PG),
	   "mmap anonymous: page-aligned zeros");
	if (p != MAP_FAILED) {
		memset(p, 'x', 3 * PG);
		char *q = mmap(p + PG, PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ok(q == p + PG && all(q, 0, PG) && all(p, 'x', PG) && all(p + 2 * PG, 'x', PG),
		   "MAP_FIXED over a mapping replaces just that page");
		munmap(p, 3 * PG);
	} else {
		ok(0, "MAP_FIXED over a mapping replaces just that page");
	}
	close(fd);
	unlink(SCRATCH);
}

static void test_prot_none(void)
{
	char *p = map_anon(PG, PROT_NONE);

	ok(p != MAP_FAILED && segv(p, 0), "reading a PROT_NONE page: SIGSEGV");
	ok(p != MAP_FAILED && segv(p, 1), "writing a PROT_NONE page: SIGSEGV");
	munmap(p, PG);
}

static void test_munmap(void)
{
	char *p = must_map(3 * PG, PROT_READ | PROT_WRITE);

	memset(p, 'a', PG);
	memset(p + PG, 'b', PG);
	memset(p + 2 * PG, 'c', PG);
	ok(munmap(p + PG, PG) == 0 && all(p, 'a', PG) && all(p + 2 * PG, 'c', PG),
	   "munmap of the middle page keeps both ends");
	ok(segv(p + PG, 0), "the unmapped middle page faults");
	ok(segv(p + 2 * PG - 1, 1) && all(p + 2 * PG, 'c', PG),
	   "the hole's last byte faults, the next page is intact");
	ok_errno(munmap(p + 1, PG), EINVAL, "munmap at an unaligned address: EINVAL");
	ok_errno(munmap(p, 0), EINVAL, "munmap of length 0: EINVAL");
	ok_errno(munmap(WRAP_ADDR, 2 * PG), EINVAL, "munmap whose end wraps around: EINVAL");
	ok(munmap(p, 3 * PG) == 0, "munmap over the hole and both ends");
	ok(munmap(p, 3 * PG) == 0, "munmap of nothing mapped succeeds");
}

static void test_mprotect(void)
{
	char *p = must_map(2 * PG, PROT_READ | PROT_WRITE);

	memset(p, 'm', 2 * PG);
	ok(sys_mprotect(p, PG, PROT_READ) == 0 && all(p, 'm', PG),
	   "mprotect read-only: still readable");
	ok(segv(p, 1), "writing a read-only page: SIGSEGV");
	p[PG] = 'n';
	ok(p[PG] == 'n', "the page after it, split off, stays writable");
	ok(sys_mprotect(p, PG, PROT_READ | PROT_WRITE) == 0 && (p[0] = 'w') == 'w' && p[1] == 'm',
	   "mprotect read-write again: writable");
	ok_errno(sys_mprotect(p + 1, PG, PROT_READ), EINVAL, "mprotect unaligned: EINVAL");
	ok_errno(sys_mprotect(WRAP_ADDR, 2 * PG, PROT_READ), ENOMEM,
		 "mprotect whose end wraps around: ENOMEM");
	munmap(p, 2 * PG);
	ok_errno(sys_mprotect(p, PG, PROT_READ), ENOMEM, "mprotect of unmapped memory: ENOMEM");
}

static void test_madvise(void)
{
	char *p = must_map(4 * PG, PROT_READ | PROT_WRITE);

	memset(p, 'd', 4 * PG);
	ok(madvise(p + PG, 2 * PG, MADV_DONTNEED) == 0 && all(p + PG, 0, 2 * PG) &&
	   all(p, 'd', PG) && all(p + 3 * PG, 'd', PG),
	   "madvise(MADV_DONTNEED) on private anonymous memory: zeros");
	p[PG] = 'e';
	ok(p[PG] == 'e', "memory dropped by MADV_DONTNEED is usable again");
	ok_errno(madvise(WRAP_ADDR, 2 * PG, MADV_DONTNEED), EINVAL,
		 "madvise whose end wraps around: EINVAL");
	munmap(p, 4 * PG);
	ok_errno(madvise(p, PG, MADV_DONTNEED), ENOMEM, "madvise of unmapped memory: ENOMEM");
}

int main(void)
{
	ktap_plan("brkmmap", 40);
	test_brk();
	test_mmap_args();
	test_prot_none();
	test_munmap();
	test_mprotect();
	test_madvise();
	return ktap_done();
}
