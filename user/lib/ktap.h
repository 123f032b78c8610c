/*
 * ktap.h: a tiny KTAP printer for Numbat's user-space tests, and the helpers
 * every test needs (is this Numbat?, /proc/meminfo, "run this in a child").
 *
 * A test prints, as Linux's KUnit does:
 *
 *     KTAP version 1
 *     # Subtest: NAME
 *     1..N
 *     ok 1 first check
 *     not ok 2 second check # why it failed
 *     ok 3 third check # SKIP why it was skipped
 *     # NAME: pass:1 fail:1 skip:1 total:3
 *
 * and exits 0 when nothing failed (ktap_done's return value).
 */
#ifndef USER_KTAP_H
#define USER_KTAP_H

#include <stdint.h>
#include <stddef.h>

#define KTAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Start a test: print the header and plan; make stdout line-buffered so a
 * fork never duplicates unprinted output. */
void ktap_plan(const char *suite, int n);

/* Report one check named by fmt. Returns cond, so callers can react. */
int ok(int cond, const char *fmt, ...) KTAP_PRINTF(2, 3);

/* Report one check that ended as `ret`, wanting ret == -1 and errno == want
 * (call it straight after the system call, errno untouched). On failure the
 * result line says what happened instead. Returns 1 on pass. */
int ok_errno(long ret, int want, const char *fmt, ...) KTAP_PRINTF(3, 4);

/* Report one check as passed or failed with a reason after '#'. */
int ok_why(int cond, const char *why, const char *fmt, ...) KTAP_PRINTF(3, 4);

/* Report one check as skipped, with a reason. */
void skip(const char *why, const char *fmt, ...) KTAP_PRINTF(2, 3);

/* A diagnostic line: "# ...". */
void diag(const char *fmt, ...) KTAP_PRINTF(1, 2);

/* Give up: print "Bail out! why" and the summary, and exit 1. The results
 * not printed count as missing (failed) for the harness. */
void ktap_bail(const char *why) __attribute__((noreturn));

/* Print the summary; returns the exit status (0: all passed, 1 otherwise,
 * also when the number of results differs from the plan). */
int ktap_done(void);

/* The results so far, to hand from a forked child that reported some
 * checks back to its parent (which then continues the numbering). */
struct ktap_state {
	int count, passed, failed, skipped;
};
void ktap_get(struct ktap_state *s);

/* Take over the results a child reported (what its ktap_get said). */
void ktap_set(const struct ktap_state *s);

/* ---- helpers (util.c) ---- */

/* 1 when running on Numbat (uname version contains "Numbat"), 0 on Linux. */
int is_numbat(void);

/* The value in kB of KEY ("MemFree") in /proc/meminfo, or -1. */
long meminfo_kb(const char *key);

/* The number after "KEY " in a "KEY value" file such as /proc/vmstat, or -1. */
long file_counter(const char *path, const char *key);

/* Read a whole small file into buf (NUL-terminated); returns its length or -1. */
long read_file(const char *path, char *buf, size_t size);

/* Fork; the child runs fn(arg) then _exit(0). Returns the wait4 status of the
 * child, or -1 if fork or wait4 failed. */
int run_child(void (*fn)(void *), void *arg);

/* Read (write = 0) or write (write = 1) one byte at addr in a child process.
 * Returns the child's wait status (see run_child). */
int touch_in_child(void *addr, int write);

/* 1 if a wait status says "killed by signal sig". */
int killed_by(int status, int sig);

/* The time-stamp counter (under QEMU -icount, guest nanoseconds). */
unsigned long rdtsc(void);

/* len bytes of fresh anonymous memory, every page written (its first byte
 * is its page number): resident before a measurement. Exits on failure. */
char *touch_anon(long len);

/* 1 if a wait status says "exited with code". */
int exited_with(int status, int code);

/* Describe a wait status ("exit 3", "signal 11") in a static buffer. */
const char *status_str(int status);

/* Parse a CPU list such as "0-3,8" into a bitmap of nbits bits (cleared
 * first). Returns the number of CPUs set, or -1 on a syntax error or a CPU
 * number >= nbits. */
int cpulist_parse(const char *s, unsigned long *bits, int nbits);

/* The first CPU of NUMA node n (its sysfs cpulist), or -1. */
int node_first_cpu(int n);

/* Run only on cpu (sched_setaffinity); 0 or -1. */
int pin_to_cpu(int cpu);

/* CLOCK_MONOTONIC in seconds (under QEMU -icount: guest time). */
double now_seconds(void);
/* The same in milliseconds; and a nanosleep of ms (not resumed on EINTR). */
uint64_t now_ms(void);
void sleep_ms(long ms);
/* A child that sleeps ms, then writes one byte to fd (if fd >= 0) and
 * sends sig to the parent (if sig); reap_child waits for it. */
int child_later(int ms, int fd, int sig);
void reap_child(int pid);

/* Of the n (at most 64) pages from m, how many are on node nid
 * (move_pages queries); -1 if move_pages failed. */
int pages_on_node(const char *m, int n, int nid);

/* The node of the frame behind the code at fn, or -1. */
int text_node(void *fn);

/* Whether pid's /proc/PID/numa_maps line for the mapping starting at m
 * contains want (as " N1=16 "). */
int numa_maps_says(int pid, const void *m, const char *want);

/* numbat_nr_replica_pages once it is want, or after 10 s of waiting for it
 * (a replica goes with its last mapping, which may outlive the exit that
 * waitpid reported by a while under rmap_check=50, where every 50th fault
 * reads every frame: 2 s was seen to be short; a leak never comes back). */
long replicas_settle(long want);

/* Write a Linux swap header (version 1) for an area of `pages` 4 KiB pages
 * at the start of fd: nbad bad page numbers, uuid (16 bytes) and label
 * (up to 16) may be NULL. 0, or -1 with errno set. (swaphdr.c) */
int swap_header_write(int fd, unsigned long pages, const char *label,
		      const unsigned int *bad, unsigned nbad, const unsigned char *uuid);

#define BITS_PER_LONG (8 * (int)sizeof(long))
static inline int bit_test(const unsigned long *b, int i)
{
	return (b[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;
}
static inline void bit_set(unsigned long *b, int i)
{
	b[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
}

#endif
