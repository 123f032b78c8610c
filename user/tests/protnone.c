/*
 * protnone: mprotect(PROT_NONE) takes away access, never data.
 *
 * - Anonymous private pages, a shared file mapping: written, made
 *   PROT_NONE (a touch is SIGSEGV, a system call reading them is EFAULT),
 *   made readable and writable again: every byte is still there. (A kernel
 *   that freed the pages on PROT_NONE gave back zeros.)
 * - fork while PROT_NONE: the child turns access back on and sees the data;
 *   its writes are its own (copy on write), the parent's stay.
 * - A migration racing with mprotect: another process moves the page
 *   between nodes again and again while this one flips it between
 *   read-write and read-only; after each PROT_READ a write must fault. (A
 *   migration that restored the protection the page had when it started
 *   made it writable again.) Needs two nodes.
 * - munmap of part of a PROT_NONE range: the pages left keep their data.
 *   (A kernel that freed a page table whose entries were all not present
 *   lost them: the table looked empty. Swap and NUMA-hint entries, also
 *   not present, were lost the same way.)
 * Runs on Linux too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL
#define NPAGES 8

static sigjmp_buf env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

/* 1 if writing one byte at p faults (SIGSEGV), 0 if it went through. */
static int write_faults(volatile char *p)
{
	if (sigsetjmp(env, 1))
		return 1;
	*p = *p;
	return 0;
}

static void fill(char *p, int seed)
{
	for (unsigned long i = 0; i < NPAGES * PG; i++)
		p[i] = (char)(i * 7 + seed);
}

static int same(const char *p, int seed)
{
	for (unsigned long i = 0; i < NPAGES * PG; i++)
		if (p[i] != (char)(i * 7 + seed))
			return 0;
	return 1;
}

static void check_keeps(const char *what, char *p)
{
	fill(p, 3);
	ok(mprotect(p, NPAGES * PG, PROT_NONE) == 0, "%s: mprotect(PROT_NONE)", what);
	ok(killed_by(touch_in_child(p + PG, 0), SIGSEGV), "%s: a read is SIGSEGV", what);
	ok_errno(write(1, p, 16), EFAULT, "%s: write() from it", what);
	ok(mprotect(p, NPAGES * PG, PROT_READ | PROT_WRITE) == 0 && same(p, 3),
	   "%s: back to read-write, every byte is still there", what);
}

static void child_fork_check(void *arg)
{
	char *p = arg;

	if (mprotect(p, NPAGES * PG, PROT_READ | PROT_WRITE) || !same(p, 3))
		_exit(1);
	fill(p, 9);
	_exit(same(p, 9) ? 0 : 2);
}

static void check_fork(char *p)
{
	fill(p, 3);
	mprotect(p, NPAGES * PG, PROT_NONE);
	int st = run_child(child_fork_check, p);
	ok(exited_with(st, 0), "fork while PROT_NONE: the child sees the data and writes its own (%s)",
	   status_str(st));
	mprotect(p, NPAGES * PG, PROT_READ | PROT_WRITE);
	ok(same(p, 3), "the parent's data is untouched by the child's writes");
}

/* Another process moves our page between nodes 0 and 1 until killed. */
static void mover(pid_t target, void *page)
{
	for (int node = 1;; node ^= 1) {
		int status;
		syscall(SYS_move_pages, target, 1UL, &page, &node, &status, 0);
	}
}

static void check_race(char *p)
{
	void *page = p;
	int node = 1, status = -1;

	p[0] = 1;
	if (syscall(SYS_move_pages, 0, 1UL, &page, &node, &status, 0) < 0 || status != 1) {
		skip("no node 1 to move to", "PROT_READ holds while the page is migrated");
		return;
	}
	pid_t self = getpid(), pid = fork();
	if (pid == 0)
		mover(self, page);
	int wrong = 0, rounds = 3000;
	for (int i = 0; i < rounds; i++) {
		mprotect(p, PG, PROT_READ | PROT_WRITE);
		p[0] = (char)i;
		mprotect(p, PG, PROT_READ);
		wrong += !write_faults(p);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	mprotect(p, PG, PROT_READ | PROT_WRITE);
	ok(wrong == 0, "PROT_READ holds while another process migrates the page: "
	   "%d of %d writes went through", wrong, rounds);
}

/* The middle half of a PROT_NONE range unmapped: the rest keeps its bytes.
 * The range starts a 2 MiB block that nothing else uses, so that its
 * page table holds only its PTEs. */
static void check_unmap_part(void)
{
	const unsigned long block = 2UL << 20;
	char *r = mmap(NULL, 2 * block, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int kept = 1;

	if (r == MAP_FAILED)
		ktap_bail("mmap");
	char *p = (char *)(((uintptr_t)r + block - 1) & ~(block - 1));
	munmap(r, 2 * block);
	if (mmap(p, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != p)
		ktap_bail("mmap at a 2 MiB boundary");
	fill(p, 5);
	mprotect(p, NPAGES * PG, PROT_NONE);
	ok(munmap(p + NPAGES / 4 * PG, NPAGES / 2 * PG) == 0,
	   "munmap the middle half of a PROT_NONE range");
	mprotect(p, NPAGES / 4 * PG, PROT_READ);
	mprotect(p + NPAGES * 3 / 4 * PG, NPAGES / 4 * PG, PROT_READ);
	for (unsigned long i = 0; i < NPAGES * PG; i++)
		if ((i < NPAGES / 4 * PG || i >= NPAGES * 3 / 4 * PG) && p[i] != (char)(i * 7 + 5))
			kept = 0;
	ok(kept, "the pages left, made readable, kept every byte");
	munmap(p, NPAGES * PG);
}

int main(void)
{
	ktap_plan("protnone", 13);
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);

	char *anon = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open("protnone.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *file = MAP_FAILED;
	if (fd >= 0 && ftruncate(fd, NPAGES * PG) == 0)
		file = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (anon == MAP_FAILED || file == MAP_FAILED)
		ktap_bail("mmap");
	check_keeps("anonymous", anon);
	check_fork(anon);
	check_keeps("shared file", file);
	check_race(anon);
	check_unmap_part();
	munmap(file, NPAGES * PG);
	close(fd);
	unlink("protnone.tmp");
	return ktap_done();
}
