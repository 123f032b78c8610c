/*
 * mremapbench: what moving a mapping costs, against copying its data.
 *
 *   move              mremap(MAYMOVE|FIXED) of MIB MiB of touched private
 *                     anonymous memory back and forth between two places:
 *                     the kernel moves the PTEs (and, with pte_chains,
 *                     rewrites each page's reverse-map entry)
 *   move, forked      the same while a fork child shares every page
 *                     (each page then has two mappings: a pair, or a
 *                     chain without pairs)
 *   move, file        a MAP_SHARED file mapping of MIB MiB
 *   copy              memcpy of the same MiB into touched memory: what a
 *                     move by copying would cost at least
 *
 * Prints one line per measure: "mremapbench: NAME MIB MiB, X us per MiB".
 * `mremapbench MIB` sets the size (default 32).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define ROUNDS 10
#define FILE_NAME "mremapbench.dat"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void report(const char *name, long mib, uint64_t ns, int rounds)
{
	printf("mremapbench: %-14s %4ld MiB, %8.1f us per MiB\n", name, mib,
	       ns / 1000.0 / rounds / mib);
}

static char *reserve(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* ROUNDS moves of [*a, +len) to *b and back; the ns they took. */
static uint64_t move_rounds(char **a, char **b, long len)
{
	uint64_t t0 = now_ns();

	for (int r = 0; r < ROUNDS; r++) {
		char *to = mremap(*a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, *b);
		if (to != *b) {
			perror("mremap");
			exit(1);
		}
		*a = to;                        /* the old place is free now */
		*b = reserve(len);              /* a fresh destination */
	}
	uint64_t ns = now_ns() - t0;
	munmap(*b, len);
	return ns;
}

static void bench_anon(long mib, int forked)
{
	long len = mib << 20;
	char *a = reserve(len), *b = reserve(len);
	pid_t child = -1;

	memset(a, 1, len);
	if (forked && (child = fork()) == 0) {
		pause();                         /* holds every page until killed */
		_exit(0);
	}
	uint64_t ns = move_rounds(&a, &b, len);
	report(forked ? "move, forked" : "move", mib, ns, ROUNDS);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	munmap(a, len);
}

static void bench_file(long mib)
{
	long len = mib << 20;
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, len)) {
		perror(FILE_NAME);
		exit(1);
	}
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), *b = reserve(len);
	if (a == MAP_FAILED) {
		perror("mmap file");
		exit(1);
	}
	memset(a, 2, len);
	uint64_t ns = move_rounds(&a, &b, len);
	report("move, file", mib, ns, ROUNDS);
	munmap(a, len);
	close(fd);
	unlink(FILE_NAME);
}

static void bench_copy(long mib)
{
	long len = mib << 20;
	char *a = reserve(len), *b = reserve(len);

	memset(a, 3, len);
	memset(b, 4, len);
	uint64_t t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++)
		memcpy(r % 2 ? a : b, r % 2 ? b : a, len);
	report("copy", mib, now_ns() - t0, ROUNDS);
	munmap(a, len);
	munmap(b, len);
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? strtol(argv[1], NULL, 0) : 32;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_anon(mib, 0);
	bench_anon(mib, 1);
	bench_file(mib);
	bench_copy(mib);
	return 0;
}
