/*
 * swapbasic: anonymous memory larger than the free RAM goes to swap and
 * comes back intact, copy-on-write stays right across swap, and every
 * swap slot is free again once the memory is gone.
 *
 *   swapbasic [MiB]      (default: 1.5 x MemFree, at most what swap holds)
 *
 * Needs a swap area (SwapTotal > 0), else every check is skipped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "swaptest.h"

#define PAGE 4096UL
#define WORDS_PER_PAGE (PAGE / sizeof(uint64_t))

/* The word expected at index i after `gen` rewrites. */
static uint64_t pattern(uint64_t i, uint64_t gen)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + gen * 0xbf58476d1ce4e5b9ULL;

	return x ^ (x >> 29);
}

/* Pages of [0, n) whose words are wrong for generation gen(page). */
static uint64_t check(const uint64_t *m, uint64_t pages, uint64_t gen_odd, uint64_t gen_even)
{
	uint64_t bad = 0;

	for (uint64_t pg = 0; pg < pages; pg++) {
		uint64_t gen = pg & 1 ? gen_odd : gen_even;
		for (uint64_t w = 0; w < WORDS_PER_PAGE; w++) {
			uint64_t i = pg * WORDS_PER_PAGE + w;
			if (m[i] != pattern(i, gen)) {
				bad++;
				break;
			}
		}
	}
	return bad;
}

static void fill(uint64_t *m, uint64_t pages, int odd_only, uint64_t gen)
{
	for (uint64_t pg = odd_only; pg < pages; pg += odd_only ? 2 : 1)
		for (uint64_t w = 0; w < WORDS_PER_PAGE; w++) {
			uint64_t i = pg * WORDS_PER_PAGE + w;
			m[i] = pattern(i, gen);
		}
}

static uint64_t random_check(const uint64_t *m, uint64_t pages, uint64_t gen)
{
	uint64_t bad = 0, x = 12345;

	for (uint64_t k = 0; k < pages; k++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t pg = (x >> 20) % pages, i = pg * WORDS_PER_PAGE + (x >> 8) % WORDS_PER_PAGE;
		bad += m[i] != pattern(i, gen);
	}
	return bad;
}

int main(int argc, char **argv)
{
	ktap_plan("swapbasic", 7);
	long swap_kb = meminfo_kb("SwapTotal"), free_kb = meminfo_kb("MemFree");
	if (swap_kb <= 0) {
		for (int i = 0; i < 7; i++)
			skip("no swap area", "check %d", i);
		return ktap_done();
	}
	uint64_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : (uint64_t)free_kb * 3 / 2 / 1024;
	/* After the fork both processes read everything, so a page read back
	 * by one keeps its slot for the other: the data must fit in swap; and
	 * the child's copies of half the pages must fit too (1.5 x mib). */
	if (argc <= 1 && mib * 1024 > (uint64_t)swap_kb * 3 / 4)
		mib = (uint64_t)swap_kb * 3 / 4 / 1024;
	if (argc <= 1 && mib * 1024 * 3 / 2 > (uint64_t)(free_kb + swap_kb * 3 / 4))
		mib = (uint64_t)(free_kb + swap_kb * 3 / 4) * 2 / 3 / 1024;
	uint64_t pages = mib << 8;
	long out0 = file_counter("/proc/vmstat", "pswpout"), in0 = file_counter("/proc/vmstat", "pswpin");
	diag("%lu MiB of anonymous memory; MemFree %ld kB, SwapTotal %ld kB", mib, free_kb, swap_kb);

	uint64_t *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		ktap_bail("mmap");
	fill(m, pages, 0, 1);
	ok(check(m, pages, 1, 1) == 0, "every page reads back after the fill");
	ok(random_check(m, pages, 1) == 0, "random words read back");
	long out1 = file_counter("/proc/vmstat", "pswpout"), in1 = file_counter("/proc/vmstat", "pswpin");
	diag("pswpout +%ld, pswpin +%ld", out1 - out0, in1 - in0);
	ok(out1 > out0 && in1 > in0, "pages went out to swap and came back in");

	pid_t pid = fork();
	if (pid == 0) {                      /* child: sees gen 1, writes odd pages gen 2 */
		int bad = check(m, pages, 1, 1) != 0;
		fill(m, pages, 1, 2);
		bad |= check(m, pages, 2, 1) != 0;
		_exit(bad);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the child saw the parent's data, then its own (status %#x)", status);
	ok(check(m, pages, 1, 1) == 0, "the parent still sees its own data (copy-on-write across swap)");
	long swapped = 0, cached = 0;
	if (!swt_own_swap(&swapped, &cached))
		diag("before munmap: %ld pages swapped, %ld in the swap cache", swapped, cached);
	munmap(m, pages * PAGE);
	/* What may still be in swap is this process's own: a page of its
	 * stack or data that reclaim gave a slot but could not unmap (its
	 * mm->lock was busy) stays mapped and in the swap cache, holding the
	 * slot, as on Linux. Anything more is a lost slot. Pages reclaim holds
	 * isolated meanwhile come free when it puts them back: up to 10 s (a
	 * vCPU of a busy host may not run for a while). */
	long used = -1, own = -1;
	for (int i = 0; i < 500; i++) {
		long total = meminfo_kb("SwapTotal"), sfree = meminfo_kb("SwapFree");
		if (swt_own_swap(&swapped, &cached))
			break;
		used = total - sfree;
		own = (swapped + cached) * 4;
		if (used == own && meminfo_kb("SwapFree") == sfree)
			break;
		usleep(20000);
	}
	ok(used == own, "every swap slot is free again but the test's own (%ld kB in use; its own: "
	   "%ld swapped and %ld swap-cache pages)", used, swapped, cached);
	long sc = meminfo_kb("SwapCached");
	ok(sc == cached * 4 || !is_numbat(),
	   "nothing in the swap cache but the test's own pages (SwapCached %ld kB, own %ld pages)",
	   sc, cached);
	static const char *const names[] = { "pgscan_kswapd", "pgsteal_kswapd", "pgscan_direct",
					     "pgsteal_direct", "pgactivate", "pgdeactivate",
					     "pswpout", "pswpin", "pgmajfault", "oom_kill" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		diag("%s %ld", names[i], file_counter("/proc/vmstat", names[i]));
	return ktap_done();
}
