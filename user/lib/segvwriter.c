/*
 * segvwriter.c: a thread that writes to a page until it takes SIGSEGV
 * (segvwriter.h).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "ktap.h"
#include "segvwriter.h"

static struct segv_writer *active;     /* the one writer running */
static sigjmp_buf writer_jmp;          /* where its fault lands */

/* In the writer's thread: the write faulted; leave the loop. */
static void on_segv(int sig)
{
	(void)sig;
	active->faulted = 1;
	siglongjmp(writer_jmp, 1);
}

static void *writer(void *arg)
{
	struct segv_writer *w = arg;

	pin_to_cpu(w->cpu);
	if (sigsetjmp(writer_jmp, 1))
		return NULL;
	for (uint64_t i = 1; !w->stop; i++) {   /* until it faults, or _end */
		w->page[0] = i;
		w->writes = i;
	}
	return NULL;
}

int segv_writer_start(struct segv_writer *w, volatile uint64_t *page, int cpu, uint64_t warm)
{
	struct sigaction sa;

	memset(w, 0, sizeof(*w));
	w->page = page;
	w->cpu = cpu;
	active = w;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	if (pthread_create(&w->thread, NULL, writer, w))
		return -1;
	while (w->writes < warm)
		;
	return 0;
}

int segv_writer_wait(struct segv_writer *w, uint64_t ms)
{
	uint64_t t0 = now_ms();

	while (!w->faulted && now_ms() - t0 < ms)
		;
	return w->faulted;
}

void segv_writer_end(struct segv_writer *w)
{
	w->stop = 1;
	pthread_join(w->thread, NULL);
	signal(SIGSEGV, SIG_DFL);
	active = NULL;
}
