/*
 * pagemap: /proc/PID/pagemap and /proc/kpagecount agree with what the
 * kernel did. Touched pages are present with a frame, untouched ones are
 * not; a fork parent and child see the same frame, mapped twice, until a
 * write copies it; a file page says so; a page moved to another node has
 * a new frame that move_pages reports on that node. Reads must be whole
 * 8-byte entries (EINVAL otherwise), and past the user address space there
 * is nothing (0 bytes). Runs on Linux too, as root (PFNs are hidden from
 * other users there); the move to node 1 needs two nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL
#define PRESENT (1ULL << 63)
#define FILEPG (1ULL << 61)
#define EXCL (1ULL << 56)
#define PFN(e) ((e) & ((1ULL << 55) - 1))

static uint64_t entry(int pid, void *va)
{
	char path[64];
	uint64_t e = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)va / PG * 8)) != 8)
		e = ~0ULL;
	close(fd);
	return e;
}

/* Frame pfn's 64-bit word in /proc/kpagecount or /proc/kpageflags, or
 * all ones if it cannot be read. */
static uint64_t kpage_word(const char *file, uint64_t pfn)
{
	uint64_t w = ~0ULL;
	int fd = open(file, O_RDONLY);

	if (fd < 0 || pread(fd, &w, 8, (off_t)(pfn * 8)) != 8)
		w = ~0ULL;
	close(fd);
	return w;
}

static uint64_t mapcount(uint64_t pfn)
{
	return kpage_word("/proc/kpagecount", pfn);
}

#define KPF(bit) (1ULL << (bit))
#define KPF_UPTODATE 3
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPCACHE 13
#define KPF_SWAPBACKED 14

static uint64_t kpageflags(uint64_t pfn)
{
	return kpage_word("/proc/kpageflags", pfn);
}

/* The frame behind va has every bit of want and none of avoid. */
static bool has_flags(void *va, uint64_t want, uint64_t avoid)
{
	uint64_t e = entry(getpid(), va), f = (e & PRESENT) ? kpageflags(PFN(e)) : ~0ULL;

	return f != ~0ULL && (f & want) == want && !(f & avoid);
}

static void check_basic(char *p)
{
	uint64_t e0 = entry(getpid(), p), e3 = entry(getpid(), p + 3 * PG);

	ok((e0 & PRESENT) && PFN(e0) && (e0 & EXCL) && !(e0 & FILEPG),
	   "a touched anonymous page: present, exclusive, frame %#llx", (unsigned long long)PFN(e0));
	ok(e3 == 0, "an untouched page reads 0 (%#llx)", (unsigned long long)e3);
	ok(mapcount(PFN(e0)) == 1, "kpagecount: its frame is mapped once");
	ok(has_flags(p, KPF(KPF_MMAP) | KPF(KPF_ANON) | KPF(KPF_SWAPBACKED) | KPF(KPF_UPTODATE),
		     KPF(KPF_SWAPCACHE)),
	   "kpageflags: mmap, anon, swapbacked, uptodate, not in the swap cache (%#llx)",
	   (unsigned long long)kpageflags(PFN(e0)));
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t buf[2];
	ok_errno(pread(fd, buf, 8, 4), EINVAL, "a read at a position not a multiple of 8");
	ok_errno(pread(fd, buf, 12, 8), EINVAL, "a read of 12 bytes");
	ok(pread(fd, buf, 16, (off_t)(0x800000000000ULL / PG * 8)) == 0,
	   "nothing past the user address space");
	close(fd);
}

static void check_fork(char *p)
{
	uint64_t before = entry(getpid(), p);
	int pipefd[2];
	uint64_t seen[3];

	if (pipe(pipefd) < 0)
		ktap_bail("pipe");
	pid_t pid = fork();
	if (pid < 0) {                                /* fail, do not wait on the pipe */
		ok(0, "after fork the child maps the parent's frame (fork: %s)", strerror(errno));
		ok(0, "kpagecount says 2 mappings");
		ok(0, "the child's write gave it a frame of its own");
		ok(PFN(entry(getpid(), p)) == PFN(before), "the parent keeps its frame");
		return;
	}
	if (pid == 0) {
		seen[0] = entry(getpid(), p);
		seen[1] = mapcount(PFN(seen[0]));
		p[0] = 'c';                           /* copy on write */
		seen[2] = entry(getpid(), p);
		write(pipefd[1], seen, sizeof(seen));
		_exit(0);
	}
	int got = read(pipefd[0], seen, sizeof(seen)) == sizeof(seen);
	waitpid(pid, NULL, 0);
	ok(got && PFN(seen[0]) == PFN(before) && !(seen[0] & EXCL),
	   "after fork the child maps the parent's frame, not exclusively");
	ok(got && seen[1] == 2, "kpagecount says 2 mappings (%llu)", (unsigned long long)seen[1]);
	ok(got && (seen[2] & PRESENT) && PFN(seen[2]) != PFN(before),
	   "the child's write gave it a frame of its own");
	ok(PFN(entry(getpid(), p)) == PFN(before), "the parent keeps its frame");
}

static void check_file(void)
{
	int fd = open("pagemap.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *f = MAP_FAILED;

	if (fd >= 0 && ftruncate(fd, PG) == 0)
		f = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	volatile char c = f != MAP_FAILED ? f[0] : 0;
	(void)c;
	uint64_t e = f != MAP_FAILED ? entry(getpid(), f) : 0;
	ok((e & PRESENT) && (e & FILEPG), "a file page read through a mapping is a file page");
	ok(f != MAP_FAILED && has_flags(f, KPF(KPF_MMAP) | KPF(KPF_UPTODATE),
					KPF(KPF_ANON) | KPF(KPF_SWAPBACKED)),
	   "kpageflags: a file page is mmap and uptodate, not anon or swapbacked");
	if (f != MAP_FAILED)
		munmap(f, PG);
	close(fd);
	unlink("pagemap.tmp");
}

/* Move the page to the other one of nodes 0 and 1 (where the first touch
 * put it depends on the CPU the test runs on). */
static void check_move(char *p)
{
	void *page = p + PG;
	int status = -1, node;
	uint64_t before = entry(getpid(), page);

	if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0) < 0 || status < 0)
		status = 0;
	node = status == 0 ? 1 : 0;
	if (syscall(SYS_move_pages, 0, 1UL, &page, &node, &status, 0) < 0 || status != node) {
		skip("no second node to move to", "a page moved to the other node has a new frame");
		skip("no second node to move to", "move_pages reports that node");
		return;
	}
	uint64_t after = entry(getpid(), page);
	ok((after & PRESENT) && PFN(after) != PFN(before) && p[PG] == 'b',
	   "a page moved to node %d has a new frame (%#llx -> %#llx), data kept", node,
	   (unsigned long long)PFN(before), (unsigned long long)PFN(after));
	status = -1;
	ok(syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0) == 0 && status == node,
	   "move_pages reports node %d", node);
}

int main(void)
{
	ktap_plan("pagemap", 15);
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		ktap_bail("mmap");
	p[0] = 'a';
	p[PG] = 'b';
	p[2 * PG] = 'c';
	check_basic(p);
	check_fork(p);
	check_file();
	check_move(p);
	return ktap_done();
}
