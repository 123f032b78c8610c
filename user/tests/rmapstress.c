/*
 * rmapstress: several processes at once mix every way a file page gets
 * mapped and unmapped, so that a kernel checking its reverse map as it
 * goes (Numbat's rmap_check=N) checks it in the middle of all of them:
 *
 *  - file faults that miss the page cache (a fresh file, grown with
 *    ftruncate, read through MAP_SHARED: each page is read under the
 *    address space's lock);
 *  - read()/write() whose user buffer is not yet mapped, so the kernel's
 *    copy faults with the file system busy (a fresh anonymous buffer; a
 *    fresh private file mapping as a write() source);
 *  - munmap of file mappings (the last reference to an unlinked file);
 *  - one file shared by every process, mapped shared and private at once,
 *    so its pages have several mappings (reverse-map chains grow and
 *    shrink); copy-on-write writes to the private mapping;
 *  - fork of a child that touches the shared mapping and exits.
 *
 * Every process checks the data it sees. On Numbat, the test passes when
 * every worker finishes with the right data (a hang or a kernel panic is
 * the failure this test was written for) and /proc/rmap_check agrees.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG       4096
#define WORKERS  4
#define ITERS    12
#define SHARED   "rmapstress.dat"
#define SPAGES   8                  /* pages of the shared file */
#define FPAGES   4                  /* pages of each fresh file */

static unsigned char shared_byte(int page)
{
	return (unsigned char)(page * 7 + 1);
}

/* The shared file: SPAGES pages, page i filled with shared_byte(i). */
static int make_shared(void)
{
	char page[PG];
	int fd = open(SHARED, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; fd >= 0 && i < SPAGES; i++) {
		memset(page, shared_byte(i), PG);
		if (write(fd, page, PG) != PG)
			return -1;
	}
	return fd;
}

static void *map(size_t len, int prot, int flags, int fd)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A fresh file grown to FPAGES (zeros): fault it in through MAP_SHARED,
 * write a mark with write() from a fresh anonymous buffer, read it back
 * with read() into another, then unmap, close and unlink. 0 if all agreed. */
static int fresh_file(int w, int it)
{
	char name[32];
	int bad = 0;

	snprintf(name, sizeof(name), "rmapstress.%d.%d", w, it);
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, FPAGES * PG))
		return 1;
	unsigned char *m = map(FPAGES * PG, PROT_READ, MAP_SHARED, fd);
	unsigned char *in = map(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *out = map(PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!m || !in || !out)
		return 1;
	for (int i = 0; i < FPAGES; i++)
		bad |= m[i * PG + 5] != 0;
	if (pwrite(fd, in, 64, PG) != 64)     /* source not mapped yet: zeros */
		bad = 1;
	if (pread(fd, out, PG, 0) != PG)      /* destination not mapped yet */
		bad = 1;
	bad |= out[100] != 0 || m[PG] != 0;
	munmap(m, FPAGES * PG);
	munmap(in, PG);
	munmap(out, PG);
	close(fd);
	unlink(name);
	return bad;
}

/* The shared file, mapped shared and private: data right, a private write
 * stays private, and write() from a fresh private file mapping (faulted in
 * by the kernel's copy) writes the shared file's own bytes back. */
static int shared_file(int fd, int w, int it)
{
	int bad = 0;
	unsigned char *s = map(SPAGES * PG, PROT_READ, MAP_SHARED, fd);
	unsigned char *p = map(SPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	unsigned char *src = map(SPAGES * PG, PROT_READ, MAP_PRIVATE, fd);

	if (!s || !p || !src)
		return 1;
	for (int i = 0; i < SPAGES; i++)
		bad |= s[i * PG + w] != shared_byte(i) || p[i * PG + 9] != shared_byte(i);
	int pg = (w + it) % SPAGES;
	p[pg * PG + 3] = 0xEE;                /* copy-on-write */
	bad |= s[pg * PG + 3] != shared_byte(pg);
	if (pwrite(fd, src + pg * PG, PG, (off_t)pg * PG) != PG)
		bad = 1;                          /* rewrites what is there */
	if (it % 8 == 0) {
		pid_t c = fork();
		if (c == 0)
			_exit(s[pg * PG] == shared_byte(pg) && p[pg * PG + 3] == 0xEE ? 0 : 1);
		int st;
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	munmap(s, SPAGES * PG);
	munmap(p, SPAGES * PG);
	munmap(src, SPAGES * PG);
	return bad;
}

/* One worker: ITERS rounds of both; exit status = the rounds that went wrong. */
static void worker(int w)
{
	int fd = open(SHARED, O_RDWR);
	int bad = fd < 0 ? ITERS : 0;

	for (int it = 0; it < ITERS && fd >= 0; it++)
		bad += fresh_file(w, it) | shared_file(fd, w, it);
	_exit(bad > 255 ? 255 : bad);
}

int main(void)
{
	pid_t pids[WORKERS];
	int statuses[WORKERS];

	ktap_plan("rmapstress", WORKERS + 1);
	long checks = file_counter("/proc/vmstat", "numbat_rmap_check");
	long faults = file_counter("/proc/vmstat", "pgfault");
	int fd = make_shared();
	if (fd < 0)
		ktap_bail("can't create the shared file");
	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0)
			worker(w);
	}
	int forked = 1;
	for (int w = 0; w < WORKERS; w++) {
		forked &= pids[w] > 0;
		statuses[w] = -1;
		if (pids[w] > 0 && waitpid(pids[w], &statuses[w], 0) != pids[w])
			statuses[w] = -1;
	}
	if (is_numbat())                      /* the harness reads this line */
		diag("rmap_check ran %ld times in %ld page faults",
		     file_counter("/proc/vmstat", "numbat_rmap_check") - checks,
		     file_counter("/proc/vmstat", "pgfault") - faults);
	ok(forked, "%d workers forked", WORKERS);
	for (int w = 0; w < WORKERS; w++) {
		int st = statuses[w];
		ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "worker %d: %d rounds of file faults, mmap/munmap, read/write and fork "
		   "saw the right data (status 0x%x)", w, ITERS, st);
	}
	close(fd);
	unlink(SHARED);
	return ktap_done();
}
