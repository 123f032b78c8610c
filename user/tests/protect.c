/*
 * protect: the page protections user code runs into.
 *
 * Each attempt runs in a child that must die of SIGSEGV:
 *   - reading, writing and executing kernel memory (the kernel image and
 *     the start of the kernel half, the direct map on Numbat): kernel pages
 *     are supervisor-only;
 *   - executing a `ret` placed in memory mapped without execute
 *     permission: the stack, .data, the heap (brk, via malloc) and an
 *     anonymous mmap without PROT_EXEC. These pages carry the NX bit.
 * One control runs the same `ret` in a PROT_EXEC mapping and must return,
 * so that a SIGSEGV above is the protection and not a broken test. Linux
 * behaves the same, so the test runs on the Linux host too.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "ktap.h"

#define RET 0xc3        /* x86 `ret`: running it returns at once */

static unsigned char data_ret[16] = { RET };   /* .data: not executable */

static void call(void *code)
{
	((void (*)(void))code)();
}

/* Copy a `ret` onto this child's stack and run it. */
static void exec_stack(void *unused)
{
	volatile unsigned char buf[64];

	(void)unused;
	buf[0] = RET;
	call((void *)buf);
}

static void exec_at(void *code)
{
	call(code);
}

static void must_segv(int status, const char *what)
{
	ok_why(killed_by(status, SIGSEGV), status_str(status), "%s kills with SIGSEGV", what);
}

static void kernel_memory(void)
{
	static const struct {
		uintptr_t addr;
		const char *name;
	} where[] = {
		{ 0xffffffff80100000UL, "the kernel image" },
		{ 0xffff800000100000UL, "the kernel half (direct map)" },
	};
	char what[96];

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		void *a = (void *)where[i].addr;

		snprintf(what, sizeof(what), "reading %s", where[i].name);
		must_segv(touch_in_child(a, 0), what);
		snprintf(what, sizeof(what), "writing %s", where[i].name);
		must_segv(touch_in_child(a, 1), what);
		snprintf(what, sizeof(what), "executing %s", where[i].name);
		must_segv(run_child(exec_at, a), what);
	}
}

/* A page holding `ret`, mapped with prot (after being filled). */
static void *ret_page(int prot)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p[0] = RET;
	if (mprotect(p, 4096, prot))
		return NULL;
	return p;
}

static void user_data(void)
{
	unsigned char *heap = malloc(64 * 1024);   /* brk or mmap: never exec */
	void *anon = ret_page(PROT_READ | PROT_WRITE);
	void *exec = ret_page(PROT_READ | PROT_EXEC);

	must_segv(run_child(exec_stack, NULL), "executing the stack");
	must_segv(run_child(exec_at, data_ret), "executing .data");
	if (heap)
		heap[0] = RET;
	ok(heap != NULL, "malloc works");
	must_segv(run_child(exec_at, heap), "executing the heap");
	ok(anon != NULL && exec != NULL, "mmap and mprotect work");
	must_segv(run_child(exec_at, anon), "executing an anonymous mapping without PROT_EXEC");
	int status = run_child(exec_at, exec);
	ok_why(exited_with(status, 0), status_str(status),
	       "control: the same ret in a PROT_EXEC mapping runs and returns");
}

int main(void)
{
	ktap_plan("protect", 13);
	kernel_memory();
	user_data();
	return ktap_done();
}
