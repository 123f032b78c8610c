/*
 * fuzz.h: Numbat's random system-call fuzzer (user/fuzz/, installed as
 * /bin/fuzz). Shared between its files:
 *
 *   main.c    arguments, scratch directory, workers and their watchdog
 *   worker.c  one worker: the call loop, the log, fork, memory touches
 *   state.c   what a worker knows: its arena pages, descriptors, paths
 *   gen_mm.c  the memory calls (mmap, munmap, mprotect, madvise, ...)
 *   gen_file.c files, directories and descriptors
 *   gen_proc.c processes, signals, time; fork
 *   replay.c  making the calls of a log again (for the shrinker)
 *
 * Every call a worker makes is chosen by its own pseudo-random generator,
 * seeded from the campaign seed and the worker's number, and is written to
 * the log (stdout) before it is made, so the same seed replays the same
 * sequence. System calls are made with the raw `syscall` instruction
 * (fz_sys), so nothing in libc interferes: no errno, no malloc, no stdio.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>

#define ARENA_BASE   0x200000000000UL   /* where a worker's tracked pages live */
#define ARENA_PAGES  512                /* 2 MiB */
#define SPARSE_BASE  0x300000000000UL   /* a large, sparsely touched mapping */
#define PAGE         4096UL
#define MAX_FD       64                 /* descriptors a worker keeps track of */
#define MAX_KIDS     4                  /* live children per worker */
#define MAX_DEPTH    2                  /* a worker's child may fork once more */
#define MAX_REGIONS  8                  /* mappings placed by the kernel */
#define NPATH        24
#define BUF_SIZE     65536

/* Page states in the arena (struct pg.kind). */
enum { PG_NONE, PG_ANON, PG_SHARED, PG_ROFILE, PG_FILE };

/* One arena page: what we last successfully did to it. val is the byte we
 * expect at its start, or -1 when unknown (it then is not checked). */
struct pg {
	uint8_t kind, prot;
	int16_t val;
};

/* Descriptor kinds (struct worker.fd). */
enum { FD_NONE, FD_CONSOLE, FD_FILE, FD_RO, FD_PIPE, FD_SYS };

/* A mapping the kernel placed (mmap without MAP_FIXED). */
struct region {
	unsigned long addr, len;
	int touch;                 /* anonymous read-write and unchanged since */
};

struct child {
	int pid;
	int killed;                /* we sent it SIGKILL: that ending is expected */
};

/* The arguments of one call, as logged. */
struct call {
	const char *name;
	long nr;
	long a[6];
	int nargs;
};

/* One worker (or a worker's child: depth > 0). */
struct worker {
	char tag[16];              /* "3" or "3.1": prefix of its log lines */
	int id, depth, nkids_made;
	uint64_t rng;
	long ncalls, i;
	char dir[64];              /* its scratch directory */
	struct pg pg[ARENA_PAGES];
	uint8_t fd[MAX_FD];
	struct region reg[MAX_REGIONS];
	struct child kid[MAX_KIDS];
	unsigned long brk0, brk;
	int failures;
	const char *path[NPATH];   /* paths it may create, change or remove */
	int npath;
};

/* Shared between the campaign's processes (a MAP_SHARED page). */
struct shared {
	volatile long progress[64];        /* calls made, per worker */
	volatile int pid[64];              /* worker pids */
	volatile int kids[64][MAX_KIDS];   /* their children, for the watchdog */
	int nworkers;
};

extern struct shared *fz_shared;
extern char fz_buf[BUF_SIZE];          /* valid memory for input and output */
extern const unsigned long fz_bad_ptrs[];
extern const int fz_nbad_ptrs;

/* worker.c */
long fz_sys(long nr, long a, long b, long c, long d, long e, long f);
void fz_worker(struct worker *w);
void fz_log(struct worker *w, const struct call *c);
long fz_do(struct worker *w, struct call *c);
void fz_out(const char *s);
void fz_fmt(char *out, const char *a, long n, const char *b);
int fz_fail(struct worker *w, const char *what, long v);

/* replay.c */
long fz_replay(struct worker *w, const char *path);

/* state.c */
uint64_t fz_next(uint64_t *s);
long fz_rand(struct worker *w, long n);      /* 0 <= x < n */
int fz_chance(struct worker *w, int pct);
unsigned long fz_pick_ptr(struct worker *w, unsigned long size);
unsigned long fz_out_ptr(struct worker *w, unsigned long size);
unsigned long fz_bad_ptr(struct worker *w);
long fz_len(struct worker *w);
int fz_pick_fd(struct worker *w, int rw);
void fz_fd_set(struct worker *w, long fd, int kind);
const char *fz_mut_path(struct worker *w);
const char *fz_any_path(struct worker *w);
void fz_arena_set(struct worker *w, unsigned long addr, unsigned long len, int kind, int prot,
		  unsigned long off);
void fz_arena_prot(struct worker *w, unsigned long addr, unsigned long len, int prot);
void fz_arena_unknown(struct worker *w, unsigned long addr, unsigned long len);
void fz_paths_init(struct worker *w);
int fz_pick_pid(struct worker *w);
int fz_ro_byte(unsigned long off);

/* gen_mm.c, gen_sys.c: one step each; return 0 if nothing was done. */
int fz_gen_mm(struct worker *w);
int fz_gen_sys(struct worker *w);
int fz_gen_file(struct worker *w);
void fz_signals_init(void);
void fz_touch(struct worker *w);
void fz_fork(struct worker *w);
void fz_reap(struct worker *w, int pid, int status);

#define RO_SIZE (16 * PAGE)            /* size of the read-only file "ro" */

#endif
