/*
 * state.c: what a worker knows about itself, so that its random calls aim
 * at real objects (its arena pages, its descriptors, its scratch paths) and
 * never destroy what it runs on (its text, stack and log descriptor).
 */
#include <string.h>
#include "fuzz.h"

char fz_buf[BUF_SIZE];

/* Addresses no user pointer may reach: the kernel's direct map and text,
 * the non-canonical hole, the first page above user space (USER_TOP on
 * Numbat, TASK_SIZE on Linux), the last page, and the null page. */
const unsigned long fz_bad_ptrs[] = {
	0xffff800000000000UL, 0xffffffff80000000UL, 0x0000800000000000UL,
	0xfffffffffffff000UL, 0x00007ffffffff000UL, 0, 1, 0x8000000000000000UL,
	0x0000fffffffff000UL,
};
const int fz_nbad_ptrs = sizeof(fz_bad_ptrs) / sizeof(fz_bad_ptrs[0]);

/* splitmix64: small, and good enough to spread the seeds apart. */
uint64_t fz_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

long fz_rand(struct worker *w, long n)
{
	return n > 0 ? (long)(fz_next(&w->rng) % (uint64_t)n) : 0;
}

int fz_chance(struct worker *w, int pct)
{
	return fz_rand(w, 100) < pct;
}

unsigned long fz_bad_ptr(struct worker *w)
{
	unsigned long p = fz_bad_ptrs[fz_rand(w, fz_nbad_ptrs)];

	return fz_chance(w, 20) ? p + 1 + fz_rand(w, 4095) : p;   /* unaligned too */
}

/* A pointer to read `size` bytes from: mostly our buffer, sometimes an
 * arena page (mapped or not), sometimes garbage. */
unsigned long fz_pick_ptr(struct worker *w, unsigned long size)
{
	long r = fz_rand(w, 10);

	if (r < 6)
		return (unsigned long)fz_buf + fz_rand(w, size < BUF_SIZE ? BUF_SIZE - size : 1);
	if (r < 8)
		return ARENA_BASE + fz_rand(w, ARENA_PAGES) * PAGE + (fz_chance(w, 20) ? fz_rand(w, PAGE) : 0);
	return fz_bad_ptr(w);
}

/* A pointer the kernel will write up to `size` bytes to. An arena page the
 * kernel may write is from then on of unknown content (a caller that picks
 * a larger length marks the rest: fz_arena_unknown). */
unsigned long fz_out_ptr(struct worker *w, unsigned long size)
{
	unsigned long p = fz_pick_ptr(w, size);

	fz_arena_unknown(w, p, size);
	return p;
}

/* A length: small mostly, and the edges. */
long fz_len(struct worker *w)
{
	static const long edge[] = { 0, 1, 4095, 4096, 4097, 65536, 1L << 31, 1L << 40,
				     -1, -4096, 0x7fffffffffffffffL };
	long r = fz_rand(w, 10);

	if (r < 7)
		return fz_rand(w, r < 5 ? 512 : BUF_SIZE);
	return edge[fz_rand(w, sizeof(edge) / sizeof(edge[0]))];
}

/* A descriptor. rw: 0 any (fstat, fcntl F_GETFL...), 1 one we may read,
 * write, close or change (never the console, our log). Sometimes a bad one. */
int fz_pick_fd(struct worker *w, int rw)
{
	static const int bad[] = { -1, 9999, 0x7fffffff, -100, 1023, 1024 };
	int cand[MAX_FD], n = 0;

	if (fz_chance(w, 12))
		return bad[fz_rand(w, 6)];
	for (int fd = 0; fd < MAX_FD; fd++)
		if (w->fd[fd] != FD_NONE && (!rw || w->fd[fd] != FD_CONSOLE))
			cand[n++] = fd;
	return n ? cand[fz_rand(w, n)] : bad[fz_rand(w, 6)];
}

void fz_fd_set(struct worker *w, long fd, int kind)
{
	if (fd >= 0 && fd < MAX_FD)
		w->fd[fd] = (uint8_t)kind;
	else if (fd >= MAX_FD && kind != FD_NONE)
		fz_sys(3, fd, 0, 0, 0, 0, 0);        /* beyond what we track: close */
}

/* Paths the worker may create, change and remove: all under its directory.
 * Symbolic links there point only inside the campaign's directory. */
void fz_paths_init(struct worker *w)
{
	static char store[NPATH][320];
	static const char *leaf[] = { "a", "b", "d", "d/e", "d/a", "s", "d/s", "a/x",
				      "nodir/x", "d/..", "d/e/f", "c" };
	int n = 0;

	for (unsigned i = 0; i < sizeof(leaf) / sizeof(leaf[0]); i++, n++) {
		strcpy(store[n], w->dir);
		strcat(store[n], "/");
		strcat(store[n], leaf[i]);
	}
	strcpy(store[n], w->dir);
	strcat(store[n], "/");
	memset(store[n] + strlen(store[n]), 'L', 300);         /* a >255-byte name */
	store[n][strlen(w->dir) + 301] = 0;
	n++;
	strcpy(store[n++], "");
	strcpy(store[n++], "a");                              /* relative to cwd */
	strcpy(store[n++], "d/e");
	for (int i = 0; i < n; i++)
		w->path[i] = store[i];
	w->npath = n;
}

const char *fz_mut_path(struct worker *w)
{
	if (fz_chance(w, 5))
		return (const char *)fz_bad_ptr(w);
	return w->path[fz_rand(w, w->npath)];
}

/* A path for calls that only look (stat, open O_RDONLY, readlink...). */
const char *fz_any_path(struct worker *w)
{
	static const char *ro[] = { "/", "/bin/sh", "/etc/motd", "/proc/meminfo",
				    "/proc/self/status", "/proc/rmap_check", "/sys/devices/system/node",
				    "/tests", "/proc", "/nonexistent", "//bin/../etc/./motd", "/dev/null" };

	if (fz_chance(w, 40))
		return ro[fz_rand(w, sizeof(ro) / sizeof(ro[0]))];
	return fz_mut_path(w);
}

static int arena_range(unsigned long addr, unsigned long len, long *first, long *last)
{
	unsigned long end = ARENA_BASE + ARENA_PAGES * PAGE;

	if (len == 0 || addr + len < addr || addr + len <= ARENA_BASE || addr >= end)
		return 0;
	*first = addr < ARENA_BASE ? 0 : (long)((addr - ARENA_BASE) / PAGE);
	*last = addr + len >= end ? ARENA_PAGES - 1 : (long)((addr + len - 1 - ARENA_BASE) / PAGE);
	return 1;
}

/* A successful mmap/munmap over arena pages: new kind and protection;
 * off is the file offset of addr for a mapping of the file "ro". A page of
 * it past the end of the file would raise SIGBUS: it is never touched. */
void fz_arena_set(struct worker *w, unsigned long addr, unsigned long len, int kind, int prot,
		  unsigned long off)
{
	long a, b;

	if (!arena_range(addr, len, &a, &b))
		return;
	for (long i = a; i <= b; i++) {
		struct pg *g = &w->pg[i];
		unsigned long o = off + (ARENA_BASE + i * PAGE - addr);
		g->kind = (uint8_t)kind;
		g->prot = (uint8_t)prot;
		g->val = kind == PG_ANON || kind == PG_SHARED ? 0 : -1;
		if (kind == PG_ROFILE && o < RO_SIZE)
			g->val = (int16_t)fz_ro_byte(o);
		else if (kind == PG_ROFILE)
			g->kind = PG_FILE;
	}
}

void fz_arena_prot(struct worker *w, unsigned long addr, unsigned long len, int prot)
{
	long a, b;

	if (arena_range(addr, len, &a, &b))
		for (long i = a; i <= b; i++)
			w->pg[i].prot = (uint8_t)prot;
}

/* Pages whose content or state we no longer know: never touched again
 * until mapped afresh (kind PG_NONE), or just not checked (val -1). */
void fz_arena_unknown(struct worker *w, unsigned long addr, unsigned long len)
{
	long a, b;

	if (addr + len < addr)                   /* a huge length: to the end */
		len = ~addr;

	if (arena_range(addr, len, &a, &b))
		for (long i = a; i <= b; i++)
			w->pg[i].val = -1;
}

/* The byte at offset off of the read-only file "ro" (written at start). */
int fz_ro_byte(unsigned long off)
{
	return (int)((off * 7 + off / PAGE * 13 + 1) & 0xff);
}

/* A process to signal or to move pages of: ourselves, a child of ours, a
 * sibling worker, or a pid that cannot exist (never 0, -1 or 1). */
int fz_pick_pid(struct worker *w)
{
	static const int never[] = { 0x3fffffff, -0x3fffffff, (int)0x80000000 };
	long r = fz_rand(w, 10);

	if (r < 3)
		return (int)fz_sys(39, 0, 0, 0, 0, 0, 0);          /* getpid */
	if (r < 5) {
		struct child *k = &w->kid[fz_rand(w, MAX_KIDS)];
		if (k->pid > 0)
			return k->pid;
	}
	if (r < 8 && fz_shared->nworkers) {
		int pid = fz_shared->pid[fz_rand(w, fz_shared->nworkers)];
		if (pid > 0)                       /* never 0: our process group */
			return pid;
	}
	return never[fz_rand(w, 3)];
}
