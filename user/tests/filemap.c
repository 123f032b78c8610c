/*
 * filemap: file-backed mmap. A scratch file filemap.dat of 3 pages, page i
 * filled with 'A' + i, is mapped private and shared:
 *
 *  - both mappings, and a shared one at an offset, see the file's data;
 *  - writes through MAP_SHARED reach the file (msync, then read back with
 *    pread) and the other mappings; write()s to the file reach the mappings;
 *  - writes through MAP_PRIVATE reach neither the file nor the others;
 *  - munmap of the middle page of a file mapping leaves the rest working;
 *  - a shared mapping written by a child is seen by the parent;
 *  - touching a mapped page wholly past the end of the file is SIGBUS;
 *  - the mapping outlives close() of its descriptor;
 *  - a first write to a page of a file mapping takes one page fault
 *    (getrusage): a private mapping copies the page at once, a shared one
 *    maps it writable at once (Linux does both).
 *
 * Finally it leaves filemap.out in the current directory (/tests under
 * run.sh), which the host harness checks after power-off. Its contents,
 * exactly: 12288 bytes, page i (4096 bytes) filled with 'A' + i, except
 * that bytes 4096..4111 are "written-by-mmap\n" (written through a
 * MAP_SHARED mapping). A MAP_PRIVATE write of "PRIVATE" at byte 8192 must
 * not appear.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define PG       4096
#define SCRATCH  "filemap.dat"
#define OUT      "filemap.out"
#define MARK     "written-by-mmap\n"    /* 16 bytes */

/* Create name as 3 pages, page i filled with 'A' + i. Returns an O_RDWR fd. */
static int make_file(const char *name)
{
	char page[PG];
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; fd >= 0 && i < 3; i++) {
		memset(page, 'A' + i, PG);
		if (write(fd, page, PG) != PG)
			ktap_bail("can't write the scratch file");
	}
	if (fd < 0)
		ktap_bail("can't create the scratch file");
	return fd;
}

static int all(const char *p, int c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* 1 if the file holds len bytes s at off. */
static int file_has(int fd, off_t off, const char *s, size_t len)
{
	char buf[64];

	return pread(fd, buf, len, off) == (ssize_t)len && memcmp(buf, s, len) == 0;
}

static char *map(int fd, size_t len, int flags, off_t off)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	if (p == MAP_FAILED)
		ktap_bail("mmap of the scratch file failed");
	return p;
}

static void child_writes(void *shared)
{
	memcpy((char *)shared + 50, "child", 5);
}

static void test_mappings(void)
{
	int fd = make_file(SCRATCH);
	char *sh = map(fd, 3 * PG, MAP_SHARED, 0);
	char *pv = map(fd, 3 * PG, MAP_PRIVATE, 0);
	char *sh2 = map(fd, PG, MAP_SHARED, 2 * PG);     /* the third page again */

	ok(all(pv, 'A', PG) && all(pv + PG, 'B', PG) && all(pv + 2 * PG, 'C', PG),
	   "MAP_PRIVATE sees the file");
	ok(all(sh, 'A', PG) && all(sh + PG, 'B', PG) && all(sh + 2 * PG, 'C', PG),
	   "MAP_SHARED sees the file");
	ok(all(sh2, 'C', PG), "MAP_SHARED at offset 8192 sees the third page");

	memcpy(sh + PG + 100, "shared", 6);
	ok(msync(sh, 3 * PG, MS_SYNC) == 0 && file_has(fd, PG + 100, "shared", 6),
	   "a write through MAP_SHARED reaches the file (msync, pread)");
	/* POSIX leaves this open; Linux maps a private page to the page-cache
	 * page until it is written, and so does Numbat (docs/processes.md). */
	ok(memcmp(pv + PG + 100, "shared", 6) == 0,
	   "an unwritten MAP_PRIVATE page sees the shared write");
	memcpy(sh2 + 10, "second", 6);
	ok(memcmp(sh + 2 * PG + 10, "second", 6) == 0,
	   "two shared mappings of one page see each other's writes");
	ok(pwrite(fd, "pwrite", 6, 2 * PG + 20) == 6 && memcmp(sh + 2 * PG + 20, "pwrite", 6) == 0,
	   "a pwrite to the file shows in the shared mapping");

	memcpy(pv + 200, "private", 7);
	ok(file_has(fd, 200, "AAAAAAA", 7) && all(sh, 'A', PG),
	   "a write through MAP_PRIVATE reaches neither the file nor MAP_SHARED");
	ok(pwrite(fd, "later", 5, 200) == 5 && memcmp(pv + 200, "private", 7) == 0 &&
	   memcmp(sh + 200, "later", 5) == 0,
	   "a written private page no longer follows the file");

	ok(munmap(sh + PG, PG) == 0 && sh[0] == 'A' && memcmp(sh + 2 * PG + 10, "second", 6) == 0,
	   "munmap of the middle page keeps the other two");
	ok(killed_by(touch_in_child(sh + PG, 0), SIGSEGV), "the unmapped middle page faults");

	int status = run_child(child_writes, sh);
	ok(exited_with(status, 0) && memcmp(sh + 50, "child", 5) == 0 &&
	   file_has(fd, 50, "child", 5), "a child's write to a shared mapping reaches the parent");

	close(fd);
	ok(sh[0] == 'A' && (sh[1] = 'z') == 'z' && sh2[0] == 'C',
	   "the mappings outlive close() of the file");
	munmap(sh, PG);
	munmap(sh + 2 * PG, PG);
	munmap(sh2, PG);
	munmap(pv, 3 * PG);
	unlink(SCRATCH);
}

/* A mapping two pages long of a one-page file: the second page is past
 * the end of the file, so touching it is SIGBUS. */
static void test_past_eof(void)
{
	int fd = open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *p;

	if (fd < 0 || write(fd, "x", 1) != 1)
		ktap_bail("can't write the scratch file");
	p = map(fd, 2 * PG, MAP_SHARED, 0);
	ok(p[0] == 'x' && all(p + 1, 0, PG - 1), "the rest of the last page of a file reads as zeros");
	int status = touch_in_child(p + PG, 0);
	ok_why(killed_by(status, SIGBUS), status_str(status),
	       "touching a page past the end of the file: SIGBUS");
	munmap(p, 2 * PG);
	close(fd);
	unlink(SCRATCH);
}

/* Page faults so far (minor and major) of this process. */
static long faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		ktap_bail("getrusage failed");
	return ru.ru_minflt + ru.ru_majflt;
}

/* Write the first byte of each page of a fresh mapping of 8 file pages
 * (in the page cache: just written): one fault each, no read fault first. */
static void test_one_fault(int flags, const char *what)
{
	int fd = make_file(SCRATCH);
	char *p;
	long before, after;

	if (ftruncate(fd, 8 * PG))
		ktap_bail("can't grow the scratch file");
	p = map(fd, 8 * PG, flags, 0);
	before = faults();
	for (int i = 0; i < 8; i++)
		((volatile char *)p)[i * PG] = 'w';
	after = faults();
	ok(after - before == 8, "a first write to each of 8 %s file pages: 8 faults (%ld)",
	   what, after - before);
	munmap(p, 8 * PG);
	close(fd);
	unlink(SCRATCH);
}

/* Write OUT as documented at the top, and read it back. */
static void test_out(void)
{
	int fd = make_file(OUT);
	char *sh = map(fd, 3 * PG, MAP_SHARED, 0);
	char *pv = map(fd, 3 * PG, MAP_PRIVATE, 0);
	static char want[3 * PG], got[3 * PG + 1];
	ssize_t n;

	memcpy(sh + PG, MARK, 16);
	memcpy(pv + 2 * PG, "PRIVATE", 7);
	ok(msync(sh, 3 * PG, MS_SYNC) == 0 && munmap(sh, 3 * PG) == 0 &&
	   munmap(pv, 3 * PG) == 0 && fsync(fd) == 0, "msync, munmap and fsync " OUT);
	close(fd);
	sync();

	for (int i = 0; i < 3; i++)
		memset(want + i * PG, 'A' + i, PG);
	memcpy(want + PG, MARK, 16);
	fd = open(OUT, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, got, sizeof(got));
	ok(n == 3 * PG && memcmp(got, want, 3 * PG) == 0, OUT " holds exactly what was written");
	close(fd);
}

int main(void)
{
	ktap_plan("filemap", 19);
	test_mappings();
	test_past_eof();
	test_one_fault(MAP_PRIVATE, "MAP_PRIVATE");
	test_one_fault(MAP_SHARED, "MAP_SHARED");
	test_out();
	return ktap_done();
}
