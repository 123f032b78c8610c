/*
 * fuzz: random system calls against the kernel, seeded and reproducible.
 *
 *     fuzz [-s SEED] [-n CALLS] [-w WORKERS] [-W ONLY] [-d DIR] [-t SECONDS]
 *     fuzz -W N -R FILE      (replay.c: the calls in FILE, as worker N)
 *
 * Starts WORKERS processes (default 4), each pinned to a CPU in turn and
 * making CALLS calls (default 1000) chosen by a generator seeded from SEED
 * and its number; -W N runs only worker N, with the same sub-seed, to
 * replay it. Each works in DIR/wN (default /fuzz). This process watches
 * them: a worker that makes no progress for SECONDS (default 60) is killed
 * and reported as hung. Lines starting "fuzz: " are the verdicts:
 *
 *     fuzz: seed 1 workers 4 calls 1000 dir /fuzz
 *     fuzz: worker 0 done: 1000 calls, 0 failures
 *     fuzz: FAIL 2.1 17 read back a wrong byte at 200000003000
 *     fuzz: HANG worker 3 at call 411
 *     fuzz: done: seed 1, 4000 calls, 0 failures
 *
 * The exit status is 0 only when every worker finished without failure.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include "fuzz.h"

struct shared *fz_shared;
static struct worker wk;
void fz_signals_init(void);

struct opts {
	unsigned long seed;
	long calls, hang;
	int workers, only;
	const char *dir, *replay;
};

static double now(void)
{
	struct timespec t;

	fz_sys(228, CLOCK_MONOTONIC, (long)&t, 0, 0, 0, 0);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Print a + n + b + c + m + d as one line (one write: workers interleave). */
static void say(const char *a, long n, const char *b, long m, const char *c)
{
	char line[200];

	fz_fmt(line, a, n, b);
	fz_fmt(line + strlen(line), "", m, c);
	fz_out(line);
}

/* The n-th CPU we may run on (wrapping), as a one-CPU mask. */
static unsigned long cpu_mask(int n)
{
	unsigned long m = 0;
	int cpus[64], k = 0;

	if (fz_sys(204, 0, sizeof(m), (long)&m, 0, 0, 0) < 0 || !m)
		return 0;
	for (int c = 0; c < 64; c++)
		if (m >> c & 1)
			cpus[k++] = c;
	return 1UL << cpus[n % k];
}

/* The worker's files: "ro", never changed after this (its mappings are
 * checked against fz_ro_byte), and "a", read-write. */
static void make_files(struct worker *w)
{
	char path[96];
	long fd;

	strcpy(path, w->dir);
	strcat(path, "/ro");
	fd = fz_sys(2, (long)path, O_RDWR | O_CREAT | O_TRUNC, 0644, 0, 0, 0);
	for (unsigned long off = 0; off < RO_SIZE && fd >= 0; off++)
		fz_buf[off % BUF_SIZE] = (char)fz_ro_byte(off);
	if (fd >= 0)
		fz_sys(1, fd, (long)fz_buf, RO_SIZE, 0, 0, 0);
	fz_sys(3, fd, 0, 0, 0, 0, 0);
	fz_fd_set(w, fz_sys(2, (long)path, O_RDONLY, 0, 0, 0, 0), FD_RO);
	strcpy(path, w->dir);
	strcat(path, "/a");
	fz_fd_set(w, fz_sys(2, (long)path, O_RDWR | O_CREAT, 0644, 0, 0, 0), FD_FILE);
}

/* Set up worker id (its directory, files, arena, CPU) and run it. */
static void worker_main(const struct opts *o, int id)
{
	struct worker *w = &wk;
	uint64_t s = o->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(id + 1));
	unsigned long mask = cpu_mask(id);

	w->id = id;
	w->rng = fz_next(&s);
	w->ncalls = o->calls;
	fz_fmt(w->tag, "", id, "");
	fz_fmt(w->dir, o->dir, id, "");                 /* DIR/wN: o->dir ends "/w" */
	fz_sys(83, (long)w->dir, 0755, 0, 0, 0, 0);
	fz_sys(80, (long)w->dir, 0, 0, 0, 0, 0);
	if (mask)
		fz_sys(203, 0, sizeof(mask), (long)&mask, 0, 0, 0);
	fz_sys(37, o->hang * 2, 0, 0, 0, 0, 0);         /* alarm (Linux; not in Numbat) */
	for (int fd = 0; fd < 3; fd++)
		w->fd[fd] = FD_CONSOLE;
	make_files(w);
	fz_paths_init(w);
	if (fz_sys(9, ARENA_BASE, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == (long)ARENA_BASE)
		fz_arena_set(w, ARENA_BASE, ARENA_PAGES * PAGE, PG_ANON, 3, 0);
	w->brk0 = w->brk = (unsigned long)fz_sys(12, 0, 0, 0, 0, 0, 0);
	if (o->replay)
		fz_replay(w, o->replay);
	else
		fz_worker(w);
	char line[128];
	fz_fmt(line, "fuzz: worker ", id, " done: ");
	fz_fmt(line + strlen(line), "", w->i, " calls, ");
	fz_fmt(line + strlen(line), "", w->failures, " failures\n");
	fz_out(line);
	fz_sys(231, w->failures ? 1 : 0, 0, 0, 0, 0, 0);
}

static void kill_worker(int i)
{
	for (int k = 0; k < MAX_KIDS; k++)
		if (fz_shared->kids[i][k] > 0)
			fz_sys(62, fz_shared->kids[i][k], 9, 0, 0, 0, 0);
	fz_sys(62, fz_shared->pid[i], 9, 0, 0, 0, 0);
}

/* One worker ended: report how, and return 1 if that is a failure. */
static int ended(int i, int status, int hung)
{
	if (hung)
		return 1;
	if (WIFSIGNALED(status)) {
		say("fuzz: FAIL worker ", i, " killed by signal ", WTERMSIG(status), "\n");
		return 1;
	}
	return WEXITSTATUS(status) != 0;
}

/* Wait for the workers; kill one that makes no progress for o->hang
 * seconds. Reaps orphans too (on Numbat this program may be init). */
static int watch(const struct opts *o, int n)
{
	long last[64];
	double seen[64];
	int live = 0, bad = 0, hung[64] = { 0 };
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < n; i++) {
		last[i] = -1, seen[i] = now();
		if (fz_shared->pid[i] > 0)
			live++;
		else if (fz_shared->pid[i] < 0)
			bad++;                     /* fork failed */
	}
	while (live > 0) {
		int status = 0;
		long pid = fz_sys(61, -1, (long)&status, WNOHANG, 0, 0, 0);
		for (int i = 0; i < n && pid > 0; i++)
			if (fz_shared->pid[i] == pid && pid > 0) {
				bad += ended(i, status, hung[i]);
				fz_shared->pid[i] = 0;
				live--;
			}
		if (pid > 0)
			continue;
		fz_sys(35, (long)&tick, 0, 0, 0, 0, 0);
		for (int i = 0; i < n; i++) {
			if (fz_shared->pid[i] <= 0 || hung[i])
				continue;
			if (fz_shared->progress[i] != last[i])
				last[i] = fz_shared->progress[i], seen[i] = now();
			else if (now() - seen[i] > o->hang) {
				say("fuzz: HANG worker ", i, " at call ", last[i], "\n");
				hung[i] = 1;
				kill_worker(i);
			}
		}
	}
	return bad;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ 1, 1000, 60, 4, -1, "/fuzz", 0 };
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];
		switch (argv[i][1]) {
		case 's': o->seed = strtoul(v, 0, 0); break;
		case 'n': o->calls = strtol(v, 0, 0); break;
		case 'w': o->workers = (int)strtol(v, 0, 0); break;
		case 'W': o->only = (int)strtol(v, 0, 0); break;
		case 'd': o->dir = v; break;
		case 't': o->hang = strtol(v, 0, 0); break;
		case 'R': o->replay = v; break;
		}
	}
	if (o->workers < 1 || o->workers > 64)
		o->workers = 4;
}

int main(int argc, char **argv)
{
	static char wdir[64];
	struct opts o;
	int bad;

	parse(argc, argv, &o);
	fz_sys(83, (long)o.dir, 0755, 0, 0, 0, 0);
	char line[200];
	fz_fmt(line, "fuzz: seed ", (long)o.seed, " workers ");
	fz_fmt(line + strlen(line), "", o.workers, " calls ");
	fz_fmt(line + strlen(line), "", o.calls, " dir ");
	strcat(strcat(line, o.dir), "\n");
	fz_out(line);
	strcpy(wdir, o.dir);
	strcat(wdir, "/w");
	o.dir = wdir;
	fz_shared = (struct shared *)fz_sys(9, 0, sizeof(struct shared), PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if ((unsigned long)fz_shared > -4096UL)
		return 2;
	fz_shared->nworkers = o.workers;
	fz_signals_init();                 /* before any worker can signal another */
	for (int i = 0; i < o.workers; i++) {
		if (o.only >= 0 && i != o.only)
			continue;
		long pid = fz_sys(57, 0, 0, 0, 0, 0, 0);
		if (pid == 0) {
			fz_shared->pid[i] = (int)fz_sys(39, 0, 0, 0, 0, 0, 0);
			worker_main(&o, i);
		}
		fz_shared->pid[i] = (int)pid;
	}
	bad = watch(&o, o.workers);
	fz_fmt(line, "fuzz: done: seed ", (long)o.seed, ", ");
	fz_fmt(line + strlen(line), "", o.only >= 0 ? o.calls : o.calls * o.workers, " calls, ");
	fz_fmt(line + strlen(line), "", bad, " failures\n");
	fz_out(line);
	return bad ? 1 : 0;
}
