/*
 * forkchain: three generations of fork with partial copy-on-write, and
 * what each process then shares. A process A writes N pages and forks B;
 * B writes the first quarter (its own copies) and forks C; C writes the
 * second quarter. At each step the process checks that it sees the data
 * it should (its own writes, its parent's elsewhere) and, through
 * /proc/self/pagemap's "exclusively mapped" bit, which of its pages are
 * mapped by it alone: the map counts are exact. Then C exits, then B, and
 * the survivors check again.
 *
 * On Numbat the pages pass through every state of the reverse map
 * (docs/rmap.md): after B's fork each page is a pair (A, B); B's copies
 * are direct, then pairs with C; the pages all three share are chains,
 * and go back to pairs when C writes or exits, and to direct when B exits.
 * There each step also checks /proc/rmap_check, and at the end that the
 * pair and chain counters in /proc/vmstat moved. The rest runs on Linux.
 *
 *   forkchain [-n]     -n: the kernel keeps no pairs (rmap_pairs=off), so
 *                      every second mapping made a chain instead (also
 *                      when /proc/cmdline says rmap_pairs=off); with
 *                      rmap=scan or rmap=obj there are no chains to count
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include "ktap.h"

#define PG 4096UL
#define N 700UL                 /* more than one page table (512 PTEs) */
#define Q (N / 4)               /* B writes [0, Q) */
#define H (N / 2)               /* C writes [Q, H) */
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PRESENT (1ULL << 63)

static char *region;
static int numbat;
static struct ktap_state *handoff;  /* shared: a child's results for its parent */

static void stamp(size_t from, size_t to, long tag)
{
	for (size_t i = from; i < to; i++)
		*(long *)(region + i * PG) = tag ^ (long)i;
}

static int stamped(size_t from, size_t to, long tag)
{
	for (size_t i = from; i < to; i++)
		if (*(long *)(region + i * PG) != (tag ^ (long)i))
			return 0;
	return 1;
}

/* 1 if every page of [from, to) is present and its exclusive bit is
 * `alone` (mapped by this process only, or shared). */
static int exclusive(size_t from, size_t to, int alone)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	int good = fd >= 0;

	for (size_t i = from; good && i < to; i++) {
		uint64_t e;
		off_t off = ((uintptr_t)region / PG + i) * sizeof(e);
		if (pread(fd, &e, sizeof(e), off) != sizeof(e) || !(e & PM_PRESENT) ||
		    !!(e & PM_EXCLUSIVE) != alone)
			good = 0;
	}
	if (fd >= 0)
		close(fd);
	return good;
}

static void rmap_checked(const char *when)
{
	char buf[64];

	if (!numbat) {
		skip("Linux has no /proc/rmap_check", "rmap_check %s", when);
		return;
	}
	ok(read_file("/proc/rmap_check", buf, sizeof(buf)) > 0 && !strcmp(buf, "ok\n"),
	   "rmap_check %s", when);
}

/* Fork; the child runs fn and hands its results back; the parent takes
 * them over and checks that the child exited 0. */
static void generation(void (*fn)(void), const char *who)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		ktap_get(handoff);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		ok(0, "fork and wait for %s", who);
		return;
	}
	ktap_set(handoff);
	ok(exited_with(status, 0), "%s exited normally (%s)", who, status_str(status));
}

static void third(void)
{
	ok(stamped(0, Q, 'B') && stamped(Q, N, 'A'), "C sees B's quarter and A's rest");
	ok(exclusive(0, N, 0), "C shares every page (B's quarter with B, the rest with A and B)");
	rmap_checked("with three generations");
	stamp(Q, H, 'C');
	ok(stamped(0, Q, 'B') && stamped(Q, H, 'C') && stamped(H, N, 'A'),
	   "C sees its own writes");
	ok(exclusive(Q, H, 1) && exclusive(0, Q, 0) && exclusive(H, N, 0),
	   "C's copies are its own, the rest still shared");
	rmap_checked("after C's copy-on-write");
}

static void second(void)
{
	ok(stamped(0, N, 'A') && exclusive(0, N, 0), "B sees A's pages, all shared");
	stamp(0, Q, 'B');
	ok(exclusive(0, Q, 1) && exclusive(Q, N, 0), "B's copies are its own");
	generation(third, "C");
	ok(stamped(0, Q, 'B') && stamped(Q, N, 'A'), "B's data unchanged by C");
	ok(exclusive(0, Q, 1) && exclusive(Q, N, 0),
	   "after C: B's quarter is B's alone, the rest shared with A");
	rmap_checked("after C exited");
}

int main(int argc, char **argv)
{
	long pair0, chain0;
	char cmdline[512] = "";
	int no_pairs = argc > 1 && !strcmp(argv[1], "-n"), no_chains;

	numbat = is_numbat();
	if (numbat)
		read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	/* rmap=scan keeps no chains, rmap=obj none for anonymous pages */
	no_chains = strstr(cmdline, "rmap=scan") || strstr(cmdline, "rmap=obj");
	no_pairs = no_pairs || strstr(cmdline, "rmap_pairs=off") != NULL;
	ktap_plan("forkchain", 18);
	handoff = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	region = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (handoff == MAP_FAILED || region == MAP_FAILED)
		ktap_bail("mmap");
	pair0 = file_counter("/proc/vmstat", "numbat_rmap_direct_to_pair");
	chain0 = file_counter("/proc/vmstat", "numbat_rmap_direct_to_chain");
	stamp(0, N, 'A');
	ok(exclusive(0, N, 1), "A's pages are its own before the fork");
	generation(second, "B");
	ok(stamped(0, N, 'A'), "A's data unchanged by B and C");
	ok(exclusive(0, N, 1), "A's pages are its own again");
	if (numbat && no_chains) {
		skip("no chains in this rmap= mode", "the forks made pairs");
		skip("no chains in this rmap= mode", "C's fork made chains");
	} else if (numbat && !no_pairs) {
		long pairs = file_counter("/proc/vmstat", "numbat_rmap_direct_to_pair") - pair0;
		long chains = file_counter("/proc/vmstat", "numbat_rmap_direct_to_chain") - chain0;
		ok(pairs >= (long)(N + Q), "the forks made pairs of A's pages and of B's copies "
		   "(%ld, at least %lu)", pairs, N + Q);
		ok(chains >= (long)(N - Q), "C's fork made chains of the pages all three share "
		   "(%ld, at least %lu)", chains, N - Q);
	} else if (numbat) {                /* -n: Linux 2.5's layout, no pairs */
		long pairs = file_counter("/proc/vmstat", "numbat_rmap_direct_to_pair") - pair0;
		long chains = file_counter("/proc/vmstat", "numbat_rmap_direct_to_chain") - chain0;
		ok(pairs == 0, "no pairs (%ld)", pairs);
		ok(chains >= (long)(N + Q), "every second mapping made a chain (%ld, at least %lu)",
		   chains, N + Q);
	} else {
		skip("Linux has no pte_chains", "fork made pairs");
		skip("Linux has no pte_chains", "C's fork made chains");
	}
	return ktap_done();
}
