/*
 * gen_mm.c: the memory calls. Valid calls aim at the worker's arena (2 MiB
 * at ARENA_BASE, mapped and unmapped piece by piece with MAP_FIXED), whose
 * page states the worker tracks, so that it can touch the pages it knows
 * to be accessible and check their contents. Invalid calls use the edges:
 * kernel addresses, unaligned and wrapping ranges, huge lengths, bad
 * flags. Nothing here can reach the worker's own text, data or stack,
 * except move_pages, which keeps contents.
 */
#include <signal.h>
#include <sys/mman.h>
#include "fuzz.h"

#define ARENA_END (ARENA_BASE + ARENA_PAGES * PAGE)

static unsigned long mp_pages[64];       /* move_pages arguments */
static int mp_nodes[64], mp_status[64];

/* A range: mostly pages of the arena, else an edge case. */
static void pick_range(struct worker *w, unsigned long *addr, unsigned long *len)
{
	long r = fz_rand(w, 20), first = fz_rand(w, ARENA_PAGES);
	struct region *g = &w->reg[fz_rand(w, MAX_REGIONS)];

	*addr = ARENA_BASE + first * PAGE;
	*len = (1 + fz_rand(w, r < 10 ? 8 : 64)) * PAGE;
	if (r == 14 && g->len) {
		*addr = g->addr;
		*len = g->len;
		g->touch = 0;
	} else if (r == 15) {
		*addr = fz_bad_ptr(w) & ~(PAGE - 1);
	} else if (r == 16) {
		*addr += 1 + fz_rand(w, PAGE - 1);                 /* unaligned */
	} else if (r == 17) {
		*addr = 0xfffffffffffff000UL;                      /* wraps */
		*len = 0x2000;
	} else if (r == 18) {
		*len = fz_chance(w, 50) ? 1UL << 47 : (unsigned long)-PAGE;   /* past the top */
	} else if (r == 19) {
		*len = fz_chance(w, 50) ? 0 : 1 + fz_rand(w, PAGE);
	}
}

static int pick_prot(struct worker *w)
{
	static const int prot[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ,
				    PROT_NONE, PROT_READ | PROT_EXEC, PROT_WRITE, 0x7, 0x1000008 };

	return prot[fz_rand(w, 8)];
}

/* What a protection lets the worker do: bit 0 read, bit 1 write. */
static int can(long prot)
{
	if (prot & ~(long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return 0;
	return (prot & PROT_WRITE) ? 3 : (prot & PROT_READ) ? 1 : 0;
}

static int find_fd(struct worker *w, int kind)
{
	for (int fd = 0; fd < MAX_FD; fd++)
		if (w->fd[fd] == kind)
			return fd;
	return -1;
}

static void add_region(struct worker *w, unsigned long addr, unsigned long len, int touch)
{
	struct region *g = &w->reg[fz_rand(w, MAX_REGIONS)];

	for (int i = 0; i < MAX_REGIONS; i++)    /* the new one replaced them */
		if (w->reg[i].addr < addr + len && addr < w->reg[i].addr + w->reg[i].len)
			w->reg[i] = (struct region){ 0, 0, 0 };
	if (g->len)                      /* replace one: unmap the old */
		fz_do(w, &(struct call){ "munmap", 11, { (long)g->addr, (long)g->len }, 2 });
	*g = (struct region){ addr, len, touch };
}

struct mmap_req {
	unsigned long addr, len, off;
	long prot, flags, fd;
	int kind;
	int garbage;                     /* random flags: the result is not tracked */
};

/* Choose an mmap: anonymous private or shared, or a file, fixed in the
 * arena; or a large sparse mapping; or placed by the kernel; or garbage. */
static void mmap_choose(struct worker *w, struct mmap_req *q)
{
	long r = fz_rand(w, 24);

	*q = (struct mmap_req){ .prot = pick_prot(w), .fd = -1, .kind = PG_ANON,
				.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED };
	pick_range(w, &q->addr, &q->len);
	if (r >= 8 && r < 12) {
		q->flags = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED;
		q->kind = PG_SHARED;
	} else if (r >= 12 && r < 16) {
		q->fd = find_fd(w, FD_RO);
		q->off = fz_rand(w, 20) * PAGE;
		q->flags = (r < 15 ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED;
		q->kind = PG_ROFILE;
	} else if (r == 16 || r == 17) {
		q->fd = fz_pick_fd(w, 1);
		q->off = fz_chance(w, 80) ? fz_rand(w, 64) * PAGE : (unsigned long)fz_len(w);
		q->flags = (r == 16 ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED;
		q->kind = PG_FILE;
	} else if (r == 18 || r == 19) {
		q->addr = 0;                       /* the kernel chooses */
		q->flags &= ~MAP_FIXED;
	} else if (r == 20) {
		q->addr = SPARSE_BASE;             /* up to 1 GiB, a few pages touched */
		q->len = (1 + fz_rand(w, 256)) << 22;
	} else if (r == 21) {
		q->flags = fz_rand(w, 0x200000) | (fz_chance(w, 50) ? MAP_FIXED : 0);
		q->fd = fz_pick_fd(w, 1);
		q->garbage = 1;
	}
}

static void gen_mmap(struct worker *w)
{
	struct mmap_req q;

	mmap_choose(w, &q);
	long ret = fz_do(w, &(struct call){ "mmap", 9, { (long)q.addr, (long)q.len, q.prot, q.flags,
						       q.fd, (long)q.off }, 6 });
	if (ret < 0 && ret > -4096) {
		if (q.flags & MAP_FIXED)           /* may have unmapped the old range */
			fz_arena_set(w, q.addr, q.len, PG_NONE, 0, 0);
		return;
	}
	if (!(q.flags & MAP_FIXED) || q.addr == SPARSE_BASE || (unsigned long)ret != q.addr) {
		if ((unsigned long)ret < ARENA_END && (unsigned long)ret + q.len > ARENA_BASE)
			fz_arena_set(w, ret, q.len, PG_NONE, 0, 0);
		add_region(w, ret, q.len, q.kind == PG_ANON && can(q.prot) == 3 && !q.garbage);
		return;
	}
	fz_arena_set(w, q.addr, q.len, q.garbage ? PG_NONE : q.kind, can(q.prot), q.off);
}

static void gen_munmap(struct worker *w)
{
	unsigned long addr, len;

	pick_range(w, &addr, &len);
	fz_do(w, &(struct call){ "munmap", 11, { (long)addr, (long)len }, 2 });
	fz_arena_set(w, addr, len, PG_NONE, 0, 0);   /* also on failure: not touched again */
}

static void gen_mprotect(struct worker *w)
{
	unsigned long addr, len;
	long prot = pick_prot(w);

	pick_range(w, &addr, &len);
	long ret = fz_do(w, &(struct call){ "mprotect", 10, { (long)addr, (long)len, prot }, 3 });
	fz_arena_prot(w, addr, len, ret == 0 ? can(prot) : 0);
}

/* madvise: the advice that drops contents (DONTNEED, FREE, REMOVE) makes
 * private anonymous pages read back as zeros; other pages unknown. */
static void gen_madvise(struct worker *w)
{
	static const long adv[] = { MADV_DONTNEED, MADV_DONTNEED, MADV_WILLNEED, MADV_NORMAL,
				    MADV_RANDOM, MADV_SEQUENTIAL, 8 /* FREE */, 9 /* REMOVE */,
				    11 /* DOFORK */, 12, 14, 15, 20, 21, 1000, -1 };
	unsigned long addr, len;
	long a = adv[fz_rand(w, 16)];

	pick_range(w, &addr, &len);
	long ret = fz_do(w, &(struct call){ "madvise", 28, { (long)addr, (long)len, a }, 3 });
	if (a != MADV_DONTNEED && a != 8 && a != 9)
		return;
	for (unsigned long p = addr & ~(PAGE - 1); p < addr + len && p >= ARENA_BASE && p < ARENA_END; p += PAGE) {
		struct pg *g = &w->pg[(p - ARENA_BASE) / PAGE];
		g->val = (ret == 0 && a == MADV_DONTNEED && g->kind == PG_ANON) ? 0 :
			 (g->kind == PG_ROFILE && ret == 0 && a == MADV_DONTNEED) ? g->val : -1;
	}
}

/* mremap: both ranges are forgotten (what moved where is not modelled). */
static void gen_mremap(struct worker *w)
{
	unsigned long addr, len, nlen = (1 + fz_rand(w, 16)) * PAGE;
	long flags = fz_rand(w, 4) == 0 ? fz_rand(w, 16) : 1 /* MREMAP_MAYMOVE */;

	pick_range(w, &addr, &len);
	long ret = fz_do(w, &(struct call){ "mremap", 25, { (long)addr, (long)len, (long)nlen, flags, 0 }, 5 });
	fz_arena_set(w, addr, len, PG_NONE, 0, 0);
	if (ret > 0 || ret < -4096)
		fz_arena_set(w, ret, nlen, PG_NONE, 0, 0);
}

static void gen_brk(struct worker *w)
{
	long r = fz_rand(w, 8);
	unsigned long to = w->brk + (fz_rand(w, 64) << 12);

	if (r == 0)
		to = 0;
	else if (r == 1 && w->brk > w->brk0)
		to = w->brk - (fz_rand(w, 16) << 12);
	else if (r == 2)
		to = fz_bad_ptr(w);
	else if (r == 3)
		to = w->brk0 - PAGE;                   /* below the start: refused */
	long ret = fz_do(w, &(struct call){ "brk", 12, { (long)to }, 1 });
	if (ret > 0)
		w->brk = ret;
	if (w->brk > w->brk0 + (32UL << 20))   /* keep it bounded */
		w->brk = (unsigned long)fz_sys(12, (long)w->brk0, 0, 0, 0, 0, 0);
}

static void gen_msync(struct worker *w)
{
	static const long fl[] = { MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_ASYNC | MS_SYNC, 8, 0 };
	unsigned long addr, len;

	pick_range(w, &addr, &len);
	fz_do(w, &(struct call){ "msync", 26, { (long)addr, (long)len, fl[fz_rand(w, 6)] }, 3 });
}

/* move_pages: arena pages, our own text and stack, garbage addresses; to
 * nodes 0-3 or bad ones; of ourselves, a child or a sibling worker. */
static void gen_move_pages(struct worker *w)
{
	static const long fl[] = { 0, 2, 2, 4, 6, 0x100 };
	long n = 1 + fz_rand(w, 64), pid = fz_chance(w, 60) ? 0 : fz_pick_pid(w);
	long nodes = fz_chance(w, 25) ? 0 : (long)mp_nodes, status = (long)mp_status;
	long pages = (long)mp_pages, r = fz_rand(w, 20);

	for (long i = 0; i < 64; i++) {
		long k = fz_rand(w, 20);
		mp_pages[i] = k < 14 ? ARENA_BASE + fz_rand(w, ARENA_PAGES) * PAGE + (k == 0 ? 5 : 0) :
			      k < 16 ? (unsigned long)&n : k < 18 ? (unsigned long)&fz_worker : fz_bad_ptr(w);
		mp_nodes[i] = fz_chance(w, 95) ? (int)fz_rand(w, 4) : (int)fz_len(w);
	}
	if (r == 0)
		n = 0;
	else if (r == 1) {                      /* huge count: status into the arena */
		n = fz_chance(w, 50) ? 1L << 30 : -1;
		status = (long)(ARENA_BASE + fz_rand(w, ARENA_PAGES) * PAGE);
		fz_arena_unknown(w, status, ARENA_PAGES * PAGE);
	} else if (r == 2)
		pages = (long)fz_bad_ptr(w);
	else if (r == 3)
		status = (long)fz_bad_ptr(w);
	else if (r == 4)
		nodes = (long)fz_bad_ptr(w);
	fz_do(w, &(struct call){ "move_pages", 279, { pid, n, pages, nodes, status, fl[fz_rand(w, 6)] }, 6 });
}

static void gen_get_mempolicy(struct worker *w)
{
	static const long maxn[] = { 0, 1, 2, 64, 1024, 1L << 40, -1 };
	static const long fl[] = { 0, 1, 2, 3, 4, 3, 0x100 };
	long addr = fz_chance(w, 80) ? (long)(ARENA_BASE + fz_rand(w, ARENA_PAGES) * PAGE) : (long)fz_bad_ptr(w);

	fz_do(w, &(struct call){ "get_mempolicy", 239, { (long)fz_out_ptr(w, 4), (long)fz_out_ptr(w, 128),
		maxn[fz_rand(w, 7)], addr, fl[fz_rand(w, 7)] }, 5 });
}

/* sched_setaffinity / sched_getaffinity / getcpu. */
static void gen_affinity(struct worker *w)
{
	static const long len[] = { 8, 8, 16, 128, 0, 1, 4, 1L << 20 };
	long r = fz_rand(w, 3), pid = fz_chance(w, 70) ? 0 : fz_pick_pid(w);

	*(unsigned long *)fz_buf = fz_chance(w, 90) ? (unsigned long)fz_rand(w, 16) : fz_next(&w->rng);
	if (r == 0)
		fz_do(w, &(struct call){ "sched_setaffinity", 203, { pid, len[fz_rand(w, 8)],
			fz_chance(w, 85) ? (long)fz_buf : (long)fz_bad_ptr(w) }, 3 });
	else if (r == 1)
		fz_do(w, &(struct call){ "sched_getaffinity", 204, { pid, len[fz_rand(w, 8)],
			(long)fz_out_ptr(w, 128) }, 3 });
	else
		fz_do(w, &(struct call){ "getcpu", 309, { (long)fz_out_ptr(w, 4), (long)fz_out_ptr(w, 4),
			(long)fz_out_ptr(w, 64) }, 3 });
}

/* A page of a region placed by the kernel, if one is touchable. */
static void touch_region(struct worker *w)
{
	struct region *g = &w->reg[fz_rand(w, MAX_REGIONS)];

	if (!g->len || !g->touch)
		return;
	unsigned long p = g->addr + fz_rand(w, g->len / PAGE) * PAGE;
	fz_log(w, &(struct call){ "touch", -1, { (long)p, 1, 0 }, 3 });
	*(volatile char *)p = 1;
}

int fz_gen_mm(struct worker *w)
{
	long r = fz_rand(w, 100);

	if (r < 22)
		gen_mmap(w);
	else if (r < 32)
		gen_munmap(w);
	else if (r < 46)
		gen_mprotect(w);
	else if (r < 58)
		gen_madvise(w);
	else if (r < 62)
		gen_mremap(w);
	else if (r < 68)
		gen_brk(w);
	else if (r < 72)
		gen_msync(w);
	else if (r < 86)
		gen_move_pages(w);
	else if (r < 90)
		gen_get_mempolicy(w);
	else if (r < 95)
		gen_affinity(w);
	else
		touch_region(w);
	return 1;
}
