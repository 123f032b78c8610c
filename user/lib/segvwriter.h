/*
 * segvwriter.h: a thread that writes to a page in a loop until it takes
 * SIGSEGV (segvwriter.c). Tests that take write access away from a page
 * while another thread, on another CPU, writes it (mprotect, mremap) use
 * it: the writer must fault at once, and no write may land after the call
 * returned (which a stale TLB entry on the writer's CPU would let through).
 *
 *   struct segv_writer w;
 *   segv_writer_start(&w, page, cpu, 100000);    writing, 100000 times so far
 *   ... take the page away; read page[0] ...
 *   segv_writer_wait(&w, 5000);                   faulted, or 5 s went by
 *   segv_writer_end(&w);
 *
 * One writer at a time: its SIGSEGV handler is the process's.
 */
#ifndef USER_SEGVWRITER_H
#define USER_SEGVWRITER_H

#include <pthread.h>
#include <stdint.h>

struct segv_writer {
	volatile uint64_t *page;     /* it writes page[0] = 1, 2, 3, ... */
	int cpu;                     /* pinned there (if the CPU is ours) */
	volatile uint64_t writes;    /* the last value written */
	volatile int faulted;        /* it took SIGSEGV and stopped */
	volatile int stop;           /* segv_writer_end: stop without a fault */
	pthread_t thread;
};

/* Catch SIGSEGV, start the writer on page from CPU cpu, and return once it
 * has written warm times. 0, or -1 if the thread could not be made. */
int segv_writer_start(struct segv_writer *w, volatile uint64_t *page, int cpu, uint64_t warm);

/* Wait until the writer took SIGSEGV or ms milliseconds went by;
 * returns w->faulted. */
int segv_writer_wait(struct segv_writer *w, uint64_t ms);

/* Stop the writer if it still runs, join it, and give SIGSEGV its default
 * action back. */
void segv_writer_end(struct segv_writer *w);

#endif
