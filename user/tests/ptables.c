/*
 * ptables: page tables are made as memory is touched and given back when
 * it goes (the pgtbl lab, docs/labs/pgtbl.md). VmPTE in /proc/self/status
 * is the memory held in page tables below the top level, as on Linux.
 * A region of N x 2 MiB, aligned to 2 MiB, with one page touched in each
 * 2 MiB, needs N leaf tables (one per 2 MiB):
 *
 *  - grow: touching the N pages adds at least N tables to VmPTE;
 *  - pagemap: each touched page is present in /proc/self/pagemap, with a
 *    frame of its own (frames are hidden from non-root users on Linux:
 *    then only the present bit is checked); empty: an untouched page
 *    next to a touched one (its table exists) reads 0;
 *  - unmap: munmap of the upper half gives back about N / 2 tables, and
 *    the lower half still holds its data; munmap of the rest gives back
 *    the others;
 *  - exit: 20 processes started with posix_spawn (no fork: no page is
 *    shared), each touching N pages 2 MiB apart, give back every table
 *    when they exit: MemFree comes back (Numbat only: MemFree is noisy on
 *    a Linux host).
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define PG       4096UL
#define TWO_MIB  (2UL << 20)
#define N        128                  /* leaf tables the region needs */
#define CHILDREN 20
#define PRESENT  (1ULL << 63)
#define PFN(e)   ((e) & ((1ULL << 55) - 1))

extern char **environ;

/* VmPTE of this process in kB, or -1. */
static long vmpte_kb(void)
{
	char buf[4096], *s;

	if (read_file("/proc/self/status", buf, sizeof(buf)) <= 0 || !(s = strstr(buf, "\nVmPTE:")))
		return -1;
	return strtol(s + 7, NULL, 10);
}

/* N x 2 MiB of anonymous memory aligned to 2 MiB, one page touched in
 * each 2 MiB (with its index); NULL if mmap failed. */
static char *touch_region(void)
{
	char *raw = mmap(NULL, (N + 1) * TWO_MIB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (raw == MAP_FAILED)
		return NULL;
	char *p = (char *)(((uintptr_t)raw + TWO_MIB - 1) & ~(TWO_MIB - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + N * TWO_MIB, (size_t)(raw + TWO_MIB - p));
	for (int i = 0; i < N; i++)
		p[i * TWO_MIB] = (char)(i + 1);
	return p;
}

static uint64_t entry(const char *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / PG * 8)) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return e;
}

static void check_pagemap(const char *p)
{
	uint64_t e0 = entry(p), e1 = entry(p + TWO_MIB), gap = entry(p + PG);
	int hidden = (e0 & PRESENT) && !PFN(e0);

	ok((e0 & PRESENT) && (e1 & PRESENT) && (hidden || (PFN(e0) && PFN(e1))),
	   "pagemap: touched pages 2 MiB apart are present (%#llx, %#llx)",
	   (unsigned long long)e0, (unsigned long long)e1);
	if (hidden)
		skip("frames are hidden without CAP_SYS_ADMIN", "pagemap: each has a frame of its own");
	else
		ok((e0 & PRESENT) && PFN(e0) != PFN(e1), "pagemap: each has a frame of its own");
	ok(gap == 0, "empty: an untouched page beside a touched one reads 0 (%#llx)",
	   (unsigned long long)gap);
}

static void check_unmap(char *p, long base)
{
	long full = vmpte_kb();

	munmap(p + N / 2 * TWO_MIB, N / 2 * TWO_MIB);
	long half = vmpte_kb();
	int data = 1;
	for (int i = 0; i < N / 2; i++)
		data &= p[i * TWO_MIB] == (char)(i + 1);
	ok(full - half >= (long)(N / 2 - 2) * 4 && data,
	   "unmap: the upper half gives back its %d tables (VmPTE %ld -> %ld kB), the rest keeps its data",
	   N / 2, full, half);
	munmap(p, N / 2 * TWO_MIB);
	long none = vmpte_kb();
	ok(none <= base + 8, "unmap: the rest gives back the others (VmPTE %ld kB, %ld before the region)",
	   none, base);
}

/* Start CHILDREN copies of this program that touch a region and exit. */
static int spawn_children(const char *self)
{
	char *argv[] = { (char *)self, "child", NULL };
	int good = 0;

	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid;
		int status;
		if (posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0 &&
		    waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	}
	return good;
}

static void check_exit(const char *self)
{
	struct timespec tenth = { 0, 100 * 1000 * 1000 };

	if (!is_numbat()) {
		skip("MemFree is noisy on a Linux host", "exit: %d processes give back their tables", CHILDREN);
		return;
	}
	spawn_children(self);                  /* the program is in the page cache now */
	long before = meminfo_kb("MemFree");
	int good = spawn_children(self);
	long after = meminfo_kb("MemFree");
	for (int i = 0; i < 10 && after < before - 2048; i++) {
		nanosleep(&tenth, NULL);
		after = meminfo_kb("MemFree");
	}
	ok(good == CHILDREN && before > 0 && after >= before - 2048,
	   "exit: %d processes with %d tables each give them back (%d ran; MemFree %ld -> %ld kB)",
	   CHILDREN, N, good, before, after);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return touch_region() ? 0 : 1;
	ktap_plan("ptables", 7);
	long base = vmpte_kb();
	char *p = touch_region();
	if (!p)
		ktap_bail("mmap");
	long grown = vmpte_kb();
	ok(base >= 0 && grown - base >= N * 4, "grow: %d pages 2 MiB apart add %d tables (VmPTE %ld -> %ld kB)",
	   N, N, base, grown);
	check_pagemap(p);
	check_unmap(p, base);
	check_exit(argv[0]);
	return ktap_done();
}
