/*
 * cowreuse: what a write to a page shared copy-on-write does, seen through
 * /proc/self/pagemap's frame numbers (the cow lab, docs/labs/cow.md):
 *
 *  - copy: after fork, parent and child map the same frame; the parent's
 *    write gives it a new frame, and the child keeps the old one and its
 *    old data;
 *  - reuse: a page whose other user is gone is not copied: after the child
 *    has exited, the parent's write keeps its frame; and in the copy case,
 *    the child, left alone with the old frame, keeps it when it writes.
 *
 * Frame numbers need CAP_SYS_ADMIN on Linux: without it they read 0, and
 * the frame checks are skipped there (the data checks still run).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG 4096UL
#define PFN(e) ((e) & ((1ULL << 55) - 1))
#define PRESENT (1ULL << 63)

/* The frame of the page at p in this process (0: not present or hidden). */
static uint64_t frame(volatile char *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd >= 0 && pread(fd, &e, 8, (off_t)((uintptr_t)p / PG * 8)) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return (e & PRESENT) ? PFN(e) : 0;
}

/* The child's side of the copy test: report its frame and byte before and
 * after the parent wrote, then its frame after its own write. */
static void copy_child(volatile char *p, int to_parent, int from_parent)
{
	uint64_t seen[4];
	char go;

	seen[0] = frame(p);
	if (read(from_parent, &go, 1) != 1)      /* the parent has written */
		_exit(1);
	seen[1] = frame(p);
	seen[2] = (uint64_t)(unsigned char)p[0];
	p[0] = 'c';                              /* alone now: reuse */
	seen[3] = frame(p);
	if (write(to_parent, seen, sizeof(seen)) != sizeof(seen))
		_exit(1);
	_exit(0);
}

static void test_copy(volatile char *p, int hidden)
{
	int up[2], down[2];
	uint64_t seen[4] = { 0 };

	p[0] = 'a';
	uint64_t before = frame(p);
	if (pipe(up) || pipe(down))
		ktap_bail("pipe");
	pid_t pid = fork();
	if (pid == 0)
		copy_child(p, up[1], down[0]);
	p[0] = 'p';                              /* shared: copy */
	uint64_t mine = frame(p);
	int sent = pid > 0 && write(down[1], "g", 1) == 1;
	int got = sent && read(up[0], seen, sizeof(seen)) == sizeof(seen);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	ok(got && seen[2] == 'a' && p[0] == 'p',
	   "copy: after the parent's write the child still reads 'a', the parent 'p'");
	if (hidden) {
		skip("no frame numbers without CAP_SYS_ADMIN", "copy: the parent's write took a new frame");
		skip("no frame numbers without CAP_SYS_ADMIN", "reuse: the child, left alone, keeps its frame");
		return;
	}
	ok(got && seen[0] == before && mine != before && seen[1] == before,
	   "copy: the parent's write took a new frame; the child kept the old one");
	ok(got && seen[3] == before, "reuse: the child, left alone with the old frame, keeps it when it writes");
}

static void test_reuse(volatile char *p, int hidden)
{
	p[PG] = 'a';
	uint64_t before = frame(p + PG);
	pid_t pid = fork();
	if (pid == 0)
		_exit(p[PG] == 'a' ? 0 : 1);
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	p[PG] = 'b';                             /* the child is gone: reuse */
	ok(pid > 0 && status == 0 && p[PG] == 'b', "reuse: the child read the parent's data and exited");
	if (hidden)
		skip("no frame numbers without CAP_SYS_ADMIN", "reuse: the parent's write kept its frame");
	else
		ok(pid > 0 && frame(p + PG) == before,
		   "reuse: once the child has exited, the parent's write keeps its frame");
}

int main(void)
{
	volatile char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ktap_plan("cowreuse", 5);
	if (p == MAP_FAILED)
		ktap_bail("mmap");
	p[0] = 1;
	int hidden = frame(p) == 0;
	test_copy(p, hidden);
	test_reuse(p, hidden);
	return ktap_done();
}
