/*
 * worker.c: one fuzzing worker. It makes w->ncalls random calls, each
 * logged on stdout as one line before it is made:
 *
 *     TAG INDEX NAME ARG0 ARG1 ...        (hexadecimal arguments)
 *
 * so that after a panic or a hang the last lines of each worker say what it
 * was doing. A worker may fork children (TAG.N), which run a shorter
 * sequence of their own and exit; they share the arena copy-on-write.
 */
#include <string.h>
#include <sys/wait.h>
#include "fuzz.h"

/* A system call with the `syscall` instruction: returns -errno on error. */
long fz_sys(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

void fz_out(const char *s)
{
	fz_sys(1, 1, (long)s, (long)strlen(s), 0, 0, 0);
}

static char *put_hex(char *p, unsigned long v)
{
	char tmp[17];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_dec(char *p, long v)
{
	char tmp[21];
	int n = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* out = a + decimal n + b (a tiny sprintf for the messages). */
void fz_fmt(char *out, const char *a, long n, const char *b)
{
	size_t la = strlen(a);

	memcpy(out, a, la);
	char *p = put_dec(out + la, n);
	strcpy(p, b);
}

/* Write one call's log line. */
void fz_log(struct worker *w, const struct call *c)
{
	char line[256], *p = line;

	p = stpcpy(p, w->tag);
	*p++ = ' ';
	p = put_dec(p, w->i);
	*p++ = ' ';
	p = stpcpy(p, c->name);
	for (int k = 0; k < c->nargs; k++) {
		*p++ = ' ';
		p = put_hex(p, (unsigned long)c->a[k]);
	}
	*p++ = '\n';
	fz_sys(1, 1, (long)line, p - line, 0, 0, 0);
}

/* Log one call, then make it. Returns the kernel's result. */
long fz_do(struct worker *w, struct call *c)
{
	fz_log(w, c);
	return fz_sys(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

/* Report a failure (a wrong value read back, a child killed): one line,
 * starting "fuzz: FAIL", which the host driver looks for. */
int fz_fail(struct worker *w, const char *what, long v)
{
	char line[200], *p = line;

	p = stpcpy(p, "fuzz: FAIL ");
	p = stpcpy(p, w->tag);
	*p++ = ' ';
	p = put_dec(p, w->i);
	*p++ = ' ';
	p = stpcpy(p, what);
	*p++ = ' ';
	p = put_hex(p, (unsigned long)v);
	strcpy(p, "\n");
	fz_out(line);
	w->failures++;
	return 0;
}

/* Read or write the first byte of a page we know to be accessible, and
 * check what it holds against what we last wrote there (or zero, or the
 * file's byte). These are the faults: demand-zero, copy-on-write, file. */
void fz_touch(struct worker *w)
{
	long i = fz_rand(w, ARENA_PAGES);
	struct pg *g = &w->pg[i];
	volatile unsigned char *p = (unsigned char *)(ARENA_BASE + i * PAGE);
	int write = fz_chance(w, 50) && (g->prot & 2);
	struct call c = { "touch", -1, { (long)p, write, 0 }, 3 };

	if (g->kind == PG_NONE || g->kind == PG_FILE || !(g->prot & 1))
		return;
	c.a[2] = write ? fz_rand(w, 256) : g->val;
	fz_log(w, &c);
	if (write) {
		*p = (unsigned char)c.a[2];
		g->val = (int16_t)c.a[2];
	} else if (g->val >= 0 && *p != g->val) {
		fz_fail(w, "read back a wrong byte at", (long)p);
	}
}

/* One step: a memory call most of the time (the kernel's most intricate
 * state), else a file, process or signal call. */
static void step(struct worker *w)
{
	long r = fz_rand(w, 100);

	fz_shared->progress[w->id] = w->i;
	if (r < 25)
		fz_touch(w);
	else if (r < 28 && w->depth < MAX_DEPTH)
		fz_fork(w);
	else if (r < 70)
		fz_gen_mm(w);
	else
		fz_gen_sys(w);
}

/* vfork whose child exits at once, before touching anything: written in
 * assembly, as the child runs on the parent's stack. Returns the pid. */
static long do_vfork(void)
{
	long ret;

	__asm__ volatile("mov $58, %%eax\n\tsyscall\n\ttest %%rax, %%rax\n\tjnz 1f\n\t"
			 "mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall\n1:"
			 : "=a"(ret) : : "rcx", "r11", "rdi", "memory");
	return ret;
}

/* Shared anonymous pages: after a fork both sides may write them. */
static void forget_shared(struct worker *w)
{
	for (int i = 0; i < ARENA_PAGES; i++)
		if (w->pg[i].kind == PG_SHARED)
			w->pg[i].val = -1;
}

/* The child of a fork: a shorter campaign with its own seed and tag. */
static void child_run(struct worker *w, uint64_t seed)
{
	char *t = w->tag + strlen(w->tag);

	fz_fmt(t, ".", w->nkids_made, "");
	w->depth++;
	w->rng = seed;
	w->ncalls = 16 + fz_rand(w, 48);
	w->nkids_made = 0;
	w->failures = 0;
	memset(w->kid, 0, sizeof(w->kid));
	fz_worker(w);
	fz_sys(231, w->failures ? 3 : 0, 0, 0, 0, 0, 0);
}

static int free_kid(struct worker *w)
{
	for (int k = 0; k < MAX_KIDS; k++)
		if (w->kid[k].pid <= 0)
			return k;
	return -1;
}

/* fork (or now and then vfork). The child's pid goes in w->kid, and in
 * the shared page for the watchdog. */
void fz_fork(struct worker *w)
{
	int k = free_kid(w), status = 0;
	uint64_t seed = fz_next(&w->rng);

	if (k < 0)
		return;
	if (fz_chance(w, 15)) {
		fz_log(w, &(struct call){ "vfork", 58, { 0 }, 0 });
		long pid = do_vfork();
		if (pid > 0 && fz_sys(61, pid, (long)&status, 0, 0, 0, 0) == pid && status != 0)
			fz_fail(w, "vfork child ended with status", status);
		return;
	}
	w->nkids_made++;
	long pid = fz_do(w, &(struct call){ "fork", 57, { 0 }, 0 });
	forget_shared(w);
	if (pid == 0)
		child_run(w, seed);
	if (pid > 0) {
		w->kid[k] = (struct child){ (int)pid, 0 };
		if (w->depth == 0)
			fz_shared->kids[w->id][k] = (int)pid;
	}
}

/* A child of ours ended (wait4 returned it): was that expected? */
void fz_reap(struct worker *w, int pid, int status)
{
	for (int k = 0; k < MAX_KIDS; k++) {
		struct child *c = &w->kid[k];
		if (c->pid != pid)
			continue;
		if (WIFSIGNALED(status) && !(c->killed && WTERMSIG(status) == 9))
			fz_fail(w, "child killed by signal", WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			fz_fail(w, "child exited with status", WEXITSTATUS(status));
		c->pid = 0;
		if (w->depth == 0)
			fz_shared->kids[w->id][k] = 0;
	}
}

static void reap_all(struct worker *w)
{
	for (int k = 0; k < MAX_KIDS; k++) {
		int status = 0;
		if (w->kid[k].pid <= 0)
			continue;
		long r = fz_sys(61, w->kid[k].pid, (long)&status, 0, 0, 0, 0);
		if (r == w->kid[k].pid)
			fz_reap(w, (int)r, status);
		else
			w->kid[k].pid = 0;
	}
}

void fz_worker(struct worker *w)
{
	for (w->i = 0; w->i < w->ncalls; w->i++)
		step(w);
	reap_all(w);
}
