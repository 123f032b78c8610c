/*
 * swaptest.h: what the swap and reclaim tests share (swaptest.c).
 *
 * Every such test takes the same options first:
 *
 *   -m SIZE   the "RAM" the test's sizes derive from (default: MemTotal);
 *             K, M or G suffix. On Linux give a small one.
 *   -s DEV    swap on DEV before the test (not an error if it is on already)
 *
 * Data is checked word by word: word i of a region holds pat(addr, pass,
 * seed), a hash of its address, the pass that wrote it and who wrote it, so
 * a word from another page, another pass or another process is caught.
 */
#ifndef USER_SWAPTEST_H
#define USER_SWAPTEST_H

#include <stddef.h>
#include <stdint.h>

struct swt_opts {
	long ram;              /* bytes */
	const char *dev;       /* -s, or NULL */
};

/* Parse -m and -s, into o (zeroed by the caller before the first call) (and stop at the first other option: getopt's optind is
 * left there; opts are the test's extra getopt letters). Exits 2 on a bad
 * size. Returns the first unparsed option letter, or -1. */
int swt_getopt(int argc, char **argv, const char *opts, struct swt_opts *o);

/* Print the KTAP plan of suite, n checks plus the first: swap on o->dev
 * (skipped without -s). */
void swt_start(const char *suite, int n, const struct swt_opts *o);

/* Skip the n remaining checks for reason why; returns ktap_done(). */
int swt_skip_rest(int n, const char *why);

/* "64M" -> bytes (K, M, G; none: bytes). -1 on a syntax error. */
long swt_size(const char *s);

/* The pattern word for address a, pass p, writer seed s. */
static inline unsigned long swt_pat(const void *a, unsigned p, unsigned s)
{
	unsigned long x = (unsigned long)a * 0x9E3779B97F4A7C15UL;

	return x ^ ((unsigned long)(p + 1) * 0xC2B2AE3D27D4EB4FUL) ^ ((unsigned long)s << 40);
}

/* Write the pattern over [p, p + len) (len a multiple of 8). */
void swt_fill(void *p, size_t len, unsigned pass, unsigned seed);

/* Count the words of [p, p + len) that do not hold the pattern; the first
 * wrong address goes to *bad (if not NULL and there is one). */
long swt_check(const void *p, size_t len, unsigned pass, unsigned seed, const void **bad);

/* Fresh private anonymous memory (not touched). Exits 1 on failure. */
void *swt_map(size_t len);

/* A /proc/vmstat counter, or -1. */
long swt_vmstat(const char *key);

/* Swap on dev unless /proc/swaps lists it already. 0, or -1 with errno. */
int swt_swapon(const char *dev);

/* MemFree + SwapFree in bytes (what a test may still use), or -1. */
long swt_avail(void);

/* Swap in use (SwapTotal - SwapFree) that no live process (VmSwap of every
 * /proc/PID/status) and no swap cache page (SwapCached) accounts for, kB.
 * 0 or less once everything an exited process had in swap is freed, even
 * if other processes (a shell, the test itself) have pages in swap. On
 * Linux, less the per-CPU caches of slots (128 per CPU). */
long swt_swap_unaccounted(void);

/* Poll until swt_swap_unaccounted() <= 0, every 10 ms for at most ms ms.
 * Returns the ms waited, or -1 if it never did (then *left = the last
 * swt_swap_unaccounted(), kB). */
long swt_wait_swap_empty(long ms, long *left);

/* The CPUs this process may run on (sched_getaffinity), in cpus[], at most
 * max; returns how many. */
int swt_cpus(int *cpus, int max);

/* Pin the caller to one CPU. 0 or -1. */
int swt_pin(int cpu);

/* The first CPU of NUMA node nid (/sys/devices/system/node/nodeN/cpulist),
 * or -1 if the node has none or does not exist. */
int swt_node_cpu(int nid);
/* Why a two-node swap test that pushes len bytes out cannot run here
 * (no node 1, no CPU on node 0, no swap, too little memory), or NULL;
 * *cpu0 gets node 0's CPU. */
const char *swt_two_node_why(long len, int *cpu0);
/* The /proc/self/pagemap entries of the n pages from p into e; 0, or -1
 * if they cannot be read. */
int swt_pagemap(const void *p, uint64_t *e, int n);

/* This process's own use of swap, in pages, from /proc/self/maps,
 * /proc/self/pagemap and /proc/kpageflags: *swapped, PTEs that hold a swap
 * entry; *cached, mapped pages in the swap cache (KPF_SWAPCACHE), each
 * holding its slot. 0, or -1 if a file cannot be read (on Linux, frame
 * numbers and kpageflags need root). */
int swt_own_swap(long *swapped, long *cached);

/* Bytes of swap this process uses (VmSwap of /proc/self/status), -1 if the
 * line is missing. */
long swt_vmswap(void);

/* Milliseconds of wall time (CLOCK_MONOTONIC). */
long swt_ms(void);

/* Sleep ms milliseconds. */
void swt_sleep_ms(long ms);

#endif
