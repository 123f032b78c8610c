/*
 * exitcost: what the exit of a small process costs, as its parent sees it
 * (fork, the child's _exit, wait4 returning), with the inode cache nearly
 * empty and again after FILES files have been created and looked at (each
 * leaves an unused inode in the cache). Prints `bench: NAME VALUE` lines in
 * rdtsc cycles (guest instructions under QEMU -icount shift=0) for
 * tests/bench.py:
 *
 *   forkexit_cold   fork + exit + wait4 of a child that exits at once
 *   forkexit_warm   the same, FILES unused inodes in the inode cache
 *
 * Each figure is the median of ROUNDS runs. The files go in /tmp/exitcost
 * and are removed at the end. The same binary runs on Linux.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define ROUNDS 21
#define FILES 2000
#define DIR "/tmp/exitcost"

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median cycles of fork + _exit + wait4 of an empty child. */
static uint64_t forkexit(void)
{
	uint64_t t[ROUNDS];

	for (int i = 0; i < ROUNDS; i++) {
		int status;
		uint64_t t0 = rdtsc();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return 0;
		t[i] = rdtsc() - t0;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp);
	return t[ROUNDS / 2];
}

/* Make (mode 1) or remove (mode 0) the files; closed, so unused inodes. */
static int files(int make)
{
	char path[64];

	if (make && mkdir(DIR, 0755) < 0)
		return -1;
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), DIR "/f%d", i);
		if (make) {
			int fd = open(path, O_CREAT | O_WRONLY, 0644);
			if (fd < 0)
				return -1;
			close(fd);
		} else {
			unlink(path);
		}
	}
	return make ? 0 : rmdir(DIR);
}

int main(void)
{
	uint64_t cold = forkexit();

	if (files(1) < 0) {
		printf("exitcost: cannot make %d files in %s\n", FILES, DIR);
		return 1;
	}
	uint64_t warm = forkexit();
	files(0);
	printf("bench: forkexit_cold %llu\n", (unsigned long long)cold);
	printf("bench: forkexit_warm %llu\n", (unsigned long long)warm);
	return 0;
}
