/*
 * mremap: grow and shrink in place, move (MREMAP_MAYMOVE, MREMAP_FIXED,
 * MREMAP_DONTUNMAP) anonymous private, anonymous shared and file
 * mappings, and Linux's errors. After a move the data is at the new
 * address, the old range is gone (a touch there is SIGSEGV), pages shared
 * with fork children (copy-on-write, or MAP_SHARED) stay shared as they
 * were, and a moved file mapping still sees the file and writes to it.
 * A thread on another CPU writing the page in a loop must fault as soon
 * as another thread moved it (no write may land through a stale TLB
 * entry after mremap returned). With a swap area (the harness's
 * user-mremap-swap), a mapping partly on swap moves with its swap entries.
 * On Numbat the kernel moves the page-table entries, not the data: the
 * reverse map must follow them (ktap_done reads /proc/rmap_check; the
 * harness also runs this test under rmap=chain, obj, hybrid and scan).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "segvwriter.h"

#define PG 4096L
#define MAYMOVE   1
#define FIXED     2
#define DONTUNMAP 4
#define SCRATCH "mremap.dat"
#define NKIDS 3
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* The raw call: -1 and errno on failure (MAP_FAILED as a long). */
static long sys_mremap(void *old, long old_len, long new_len, int flags, void *new)
{
	return syscall(SYS_mremap, old, old_len, new_len, flags, new);
}

static char *map(long len, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ktap_bail("mmap failed");
	return p;
}

/* Page i of p starts with 'A' + i + salt; returns 1 if all n do. */
static void fill(char *p, int n, int salt)
{
	for (int i = 0; i < n; i++)
		memset(p + i * PG, 'A' + i + salt, PG);
}

static int holds(const char *p, int n, int salt)
{
	for (int i = 0; i < n; i++)
		if (p[i * PG] != 'A' + i + salt || p[i * PG + PG - 1] != 'A' + i + salt)
			return 0;
	return 1;
}

static int zero(const char *p, int n)
{
	for (long i = 0; i < n * PG; i += 512)
		if (p[i])
			return 0;
	return 1;
}

static int gone(void *p)
{
	return killed_by(touch_in_child(p, 0), SIGSEGV);
}

/* Grow in place into a free gap, then shrink: same address each time. */
static void in_place(void)
{
	char *p = map(8 * PG, MAP_PRIVATE);

	munmap(p + 4 * PG, 4 * PG);
	fill(p, 4, 0);
	long r = sys_mremap(p, 4 * PG, 8 * PG, 0, NULL);
	ok(r == (long)p && holds(p, 4, 0) && zero(p + 4 * PG, 4),
	   "grow in place: same address, data kept, the new pages zero");
	p[7 * PG] = 'z';
	r = sys_mremap(p, 8 * PG, 2 * PG, 0, NULL);
	ok(r == (long)p && holds(p, 2, 0) && gone(p + 2 * PG) && gone(p + 7 * PG),
	   "shrink: same address, the tail unmapped");
	munmap(p, 2 * PG);
}

/* A mapping with another one right behind it cannot grow in place. */
static char *blocked(int flags, int n)
{
	char *p = map((n + 1) * PG, flags);

	if (mmap(p + n * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED)
		ktap_bail("mmap FIXED failed");
	return p;
}

/* Forked children hold the private pages copy-on-write (two or more
 * mappings of each frame); the parent moves them, then writes: the
 * children still see the old data at the old address. */
static void move_private(void)
{
	char *p = blocked(MAP_PRIVATE, 4);
	int go[2], kids = 0;

	fill(p, 4, 1);
	if (pipe(go))
		ktap_bail("pipe");
	for (int k = 0; k < NKIDS; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(go[1]);
			read(go[0], &c, 1);
			_exit(holds(p, 4, 1) ? 0 : 1);
		}
		kids += pid > 0;
	}
	ok(sys_mremap(p, 4 * PG, 16 * PG, 0, NULL) == -1 && errno == ENOMEM,
	   "grow without MAYMOVE, blocked: ENOMEM");
	char *q = (char *)sys_mremap(p, 4 * PG, 16 * PG, MAYMOVE, NULL);
	ok(q != MAP_FAILED && q != p && holds(q, 4, 1) && zero(q + 4 * PG, 12),
	   "grow with MAYMOVE: moved, data kept, the new pages zero");
	ok(gone(p) && gone(p + 3 * PG), "the old range is gone");
	fill(q, 16, 5);                  /* copy-on-write breaks */
	close(go[0]);
	close(go[1]);                    /* the children read EOF */
	int good = 0;
	for (int k = 0; k < kids; k++) {
		int st;
		good += wait(&st) > 0 && exited_with(st, 0);
	}
	ok(kids == NKIDS && good == NKIDS && holds(q, 16, 5),
	   "fork children kept their copies; the parent writes its own");
	munmap(q, 16 * PG);
	munmap(p + 4 * PG, PG);
}

/* MAP_SHARED|MAP_ANONYMOUS: after the move a child's write (through its
 * mapping at the old address) is seen at the new one. */
static void move_shared(void)
{
	char *p = blocked(MAP_SHARED, 3);
	int go[2];

	fill(p, 3, 2);
	if (pipe(go))
		ktap_bail("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		read(go[0], &c, 1);
		p[PG] = 'S';
		_exit(0);
	}
	char *dst = map(3 * PG, MAP_PRIVATE);
	char *q = (char *)sys_mremap(p, 3 * PG, 3 * PG, MAYMOVE | FIXED, dst);
	ok(q == dst && holds(q, 3, 2) && gone(p), "shared: FIXED move, data kept");
	close(go[0]);
	close(go[1]);
	waitpid(pid, NULL, 0);
	ok(q[PG] == 'S', "shared: a child's write at the old address is seen at the new");
	char *twin = (char *)sys_mremap(q, 0, 2 * PG, MAYMOVE, NULL);
	if (twin != MAP_FAILED)
		twin[PG] = 'T';
	ok(twin != MAP_FAILED && twin != q && holds(twin, 1, 2) && q[PG] == 'T',
	   "shared: old_len 0 maps the same pages a second time");
	if (twin != MAP_FAILED)
		munmap(twin, 2 * PG);
	munmap(q, 3 * PG);
	munmap(p + 3 * PG, PG);
}

/* A file mapped shared, moved: writes through it reach the file, and
 * writes to the file are seen through it. */
static void move_file(void)
{
	char buf[PG];
	int fd = open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; i < 4; i++) {
		memset(buf, 'A' + i + 3, PG);
		if (write(fd, buf, PG) != PG)
			ktap_bail("write");
	}
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		ktap_bail("mmap file");
	ok(holds(p, 4, 3), "file: mapped");
	char *dst = map(6 * PG, MAP_PRIVATE);
	char *q = (char *)sys_mremap(p + PG, 3 * PG, 3 * PG, MAYMOVE | FIXED, dst + 2 * PG);
	ok(q == dst + 2 * PG && q[0] == 'B' + 3 && q[2 * PG] == 'D' + 3 && gone(p + PG) &&
	   holds(p, 1, 3), "file: part moved, the file's pages at the new address");
	q[PG] = 'w';
	memset(buf, 'f', PG);
	pwrite(fd, buf, PG, 3 * PG);
	ok(pread(fd, buf, 1, 2 * PG) == 1 && buf[0] == 'w' && q[2 * PG] == 'f',
	   "file: a write through the moved mapping reaches the file, and back");
	munmap(dst, 6 * PG);
	munmap(p, PG);
	close(fd);
	unlink(SCRATCH);
}

/* DONTUNMAP: the pages move, the old range stays mapped and empty. */
static void dontunmap(void)
{
	char *p = map(2 * PG, MAP_PRIVATE);

	fill(p, 2, 4);
	char *q = (char *)sys_mremap(p, 2 * PG, 2 * PG, MAYMOVE | DONTUNMAP, NULL);
	ok(q != MAP_FAILED && q != p && holds(q, 2, 4) && zero(p, 2),
	   "DONTUNMAP: data moved, the old range mapped and zero");
	munmap(p, 2 * PG);
	munmap(q, 2 * PG);
}

static void errors(void)
{
	char *p = map(4 * PG, MAP_PRIVATE);
	char *far = map(PG, MAP_PRIVATE);

	munmap(far, PG);
	ok_errno(sys_mremap(p, PG, PG, 8, NULL), EINVAL, "unknown flag: EINVAL");
	ok_errno(sys_mremap(p + 1, PG, 2 * PG, MAYMOVE, NULL), EINVAL, "unaligned: EINVAL");
	ok_errno(sys_mremap(p, PG, 0, MAYMOVE, NULL), EINVAL, "new_len 0: EINVAL");
	ok_errno(sys_mremap(p, PG, PG, FIXED, far), EINVAL, "FIXED without MAYMOVE: EINVAL");
	ok_errno(sys_mremap(p, 2 * PG, 2 * PG, MAYMOVE | FIXED, p + PG), EINVAL,
		 "FIXED onto an overlapping range: EINVAL");
	ok_errno(sys_mremap(p, PG, 2 * PG, DONTUNMAP | MAYMOVE, NULL), EINVAL,
		 "DONTUNMAP with a new size: EINVAL");
	ok_errno(sys_mremap(p, 0, PG, MAYMOVE, NULL), EINVAL,
		 "old_len 0 of a private mapping: EINVAL");
	ok_errno(sys_mremap(far, PG, 2 * PG, MAYMOVE, NULL), EFAULT, "not mapped: EFAULT");
	ok_errno(sys_mremap(p, 6 * PG, 8 * PG, MAYMOVE, NULL), EFAULT,
		 "old range past its mapping: EFAULT");
	munmap(p, 4 * PG);
}

/* The C library's realloc of a block it got from mmap grows it with
 * mremap (glibc's and musl's): the data must survive. */
static void big_realloc(void)
{
	long n = 1 << 20;
	char *a = malloc(n);

	if (!a)
		ktap_bail("malloc");
	for (long i = 0; i < n; i += PG)
		a[i] = (char)(i / PG);
	char *b = realloc(a, 16 * n);
	long bad = !b;
	for (long i = 0; b && i < n; i += PG)
		bad += b[i] != (char)(i / PG);
	ok(bad == 0, "realloc of a 1 MiB block to 16 MiB keeps its data");
	free(b);
}

/* ---- a move while another thread writes ---- */

static void threaded_move(void)
{
	struct segv_writer w;
	volatile uint64_t *wpage = (volatile uint64_t *)map(PG, MAP_PRIVATE);

	pin_to_cpu(0);
	if (segv_writer_start(&w, wpage, 1, 100000))
		ktap_bail("pthread_create");
	volatile uint64_t *q = (volatile uint64_t *)sys_mremap((void *)wpage, PG, PG, MAYMOVE | FIXED,
							       map(PG, MAP_PRIVATE));
	uint64_t at = q[0], t0 = now_ms();
	int faulted = segv_writer_wait(&w, 5000);
	sleep_ms(20);
	uint64_t later = q[0];
	ok(q != MAP_FAILED && faulted, "a thread writing the page on another CPU faults once "
	   "it moved (%llu ms)", (unsigned long long)(now_ms() - t0));
	ok(later == at, "no write lands after mremap returned (value %llu then %llu)",
	   (unsigned long long)at, (unsigned long long)later);
	segv_writer_end(&w);
	munmap((void *)q, PG);
}

/* ---- swap entries move too ---- */

/* This process's swapped-out pages (VmSwap), in kB; 0 if not shown. */
static long vm_swap_kb(void)
{
	char st[4096];
	const char *v;

	if (read_file("/proc/self/status", st, sizeof(st)) < 0 || !(v = strstr(st, "VmSwap:")))
		return 0;
	return strtol(v + 7, NULL, 10);
}

/* In a child: anonymous memory of 1.5 x MemFree (bounded by swap), partly
 * on swap, moved by mremap (swap entries and all); exit 0 if every page
 * reads back at the new address, 2 if nothing went to swap. */
static void swap_child(long pages)
{
	long out0 = file_counter("/proc/vmstat", "pswpout");
	char *p = blocked(MAP_PRIVATE, pages);

	for (long i = 0; i < pages; i++)
		*(long *)(p + i * PG) = i * 7 + 1;
	long out1 = file_counter("/proc/vmstat", "pswpout");
	char *q = (char *)sys_mremap(p, pages * PG, (pages + 1) * PG, MAYMOVE, NULL);
	long bad = q == MAP_FAILED || q == p ? pages : 0;
	for (long i = 0; !bad && i < pages; i++)
		bad += *(long *)(q + i * PG) != i * 7 + 1;
	diag("%ld pages, %ld swapped out, moved: %ld bad", pages, out1 - out0, bad);
	_exit(bad ? 1 : out1 > out0 ? 0 : 2);
}

/* With a swap area: the child's move, then every slot is free again but
 * those of this process's own pages that pressure pushed out (VmSwap). */
static void swap_move(void)
{
	long swap_kb = meminfo_kb("SwapTotal"), free_kb = meminfo_kb("MemFree");
	int st = -1;

	if (swap_kb <= 0) {
		skip("no swap area", "swap entries move with the mapping");
		skip("no swap area", "every swap slot free again");
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		swap_child(MIN(free_kb * 3 / 2, swap_kb * 3 / 4) / 4);
	waitpid(pid, &st, 0);
	ok(exited_with(st, 0), "a mapping partly on swap moves, every page intact (%s)",
	   status_str(st));
	long used = -1;
	for (int i = 0; i < 100 && (used = swap_kb - meminfo_kb("SwapFree")) != vm_swap_kb(); i++)
		sleep_ms(20);
	ok(used == vm_swap_kb(), "every swap slot free again but this process's own "
	   "(%ld kB used, VmSwap %ld kB)", used, vm_swap_kb());
}

int main(void)
{
	ktap_plan("mremap", 27);
	in_place();
	move_private();
	move_shared();
	move_file();
	dontunmap();
	errors();
	big_realloc();
	threaded_move();
	swap_move();
	return ktap_done();
}
