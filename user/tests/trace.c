/*
 * trace: the memory-system trace follows a scripted run, in order.
 *
 * With page_fault_user and mm_migrate_pages (and Numbat's mm_fault) turned
 * on through their tracefs `enable` files and the buffer cleared (a write
 * to `trace`), the test touches a fresh page, moves another to the other
 * node, and forks a child that writes the fresh page; then it reads
 * /sys/kernel/tracing/trace: the fault at the fresh page's address comes
 * first (mm_fault: anon), the migration (nr_succeeded=1) after it, both by
 * this process, and the child's copy-on-write fault (mm_fault: cow). Turned off, a fault leaves no record. trace_pipe hands each
 * record out once. Enable files take 0 and 1 only.
 *
 * Linux has both events too (tracefs at /sys/kernel/tracing, as root);
 * where it is not mounted the checks are skipped. trace_pipe's "once" is
 * checked on Numbat only (Linux's waits for more instead of ending).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define T "/sys/kernel/tracing/"
#define PF_ENABLE T "events/exceptions/page_fault_user/enable"
#define MIG_ENABLE T "events/migrate/mm_migrate_pages/enable"
#define FAULT_ENABLE T "events/numbat/mm_fault/enable"     /* Numbat's own */
#define PG 4096UL

static char buf[1 << 20];

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	close(fd);
	return ok;
}

/* The offset in buf of the first line containing both needles, or -1. */
static long find(const char *a, const char *b)
{
	for (char *line = buf; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = 0;
		int hit = strstr(line, a) && (!b || strstr(line, b));
		if (end)
			*end = '\n';
		if (hit)
			return line - buf;
		line = end ? end + 1 : NULL;
	}
	return -1;
}

/* Move page to the other one of nodes 0 and 1; 1 if it moved. */
static int move_away(void *page)
{
	int status = -1, node;

	if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0) < 0 || status < 0)
		status = 0;
	node = status == 0 ? 1 : 0;
	return syscall(SYS_move_pages, 0, 1UL, &page, &node, &status, 0) == 0 && status == node;
}

static void check_run(void)
{
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char want_fault[64], want_pid[32];

	p[PG] = 1;                                 /* the page to move, touched before */
	int numbat = put(FAULT_ENABLE, "1");
	ok(put(PF_ENABLE, "1") && put(MIG_ENABLE, "1") && put(T "trace", "\n"),
	   "page_fault_user and mm_migrate_pages on, buffer cleared");
	p[0] = 1;                                  /* the fault to find */
	int moved = move_away(p + PG);
	pid_t child = fork();
	if (child == 0) {
		p[0] = 2;                          /* copy on write */
		_exit(0);
	}
	waitpid(child, NULL, 0);
	put(PF_ENABLE, "0");
	put(MIG_ENABLE, "0");
	put(FAULT_ENABLE, "0");
	p[2 * PG + 5] = 2;                         /* a fault, not traced: off */
	long n = read_file(T "trace", buf, sizeof(buf));
	snprintf(want_fault, sizeof(want_fault), "page_fault_user: address=%#lx ", (unsigned long)p);
	snprintf(want_pid, sizeof(want_pid), "-%d ", getpid());
	long f = n > 0 ? find(want_fault, want_pid) : -1;
	ok(f >= 0, "the trace has this process's fault at %p", (void *)p);
	if (moved) {
		long m = find("mm_migrate_pages: nr_succeeded=1 nr_failed=0", want_pid);
		ok(m > f && f >= 0, "then the migration of one page (reason=%s)",
		   m >= 0 && strstr(buf + m, "syscall_or_cpuset") ? "syscall_or_cpuset" : "?");
	} else {
		skip("no second node", "then the migration of one page");
	}
	char want[64], want_child[32];
	snprintf(want, sizeof(want), "mm_fault: address=%#lx kind=anon ", (unsigned long)p);
	snprintf(want_child, sizeof(want_child), "-%d ", child);
	if (numbat) {
		long a = find(want, want_pid);
		snprintf(want, sizeof(want), "mm_fault: address=%#lx kind=cow ", (unsigned long)p);
		ok(a > f && f >= 0, "numbat:mm_fault says how the fault was resolved: anon");
		ok(find(want, want_child) > a, "and the child's write to it: cow");
	} else {
		skip("numbat:mm_fault is Numbat's", "mm_fault: anon");
		skip("numbat:mm_fault is Numbat's", "mm_fault: cow");
	}
	snprintf(want_fault, sizeof(want_fault), "address=%#lx ", (unsigned long)(p + 2 * PG + 5));
	ok(find(want_fault, NULL) < 0, "a fault with the event off is not recorded");
	munmap(p, 3 * PG);
}

static void check_files(void)
{
	char v[8] = "";

	ok(put(T "events/enable", "1") && read_file(PF_ENABLE, v, sizeof(v)) > 0 && v[0] == '1',
	   "events/enable 1 turns every event on");
	ok(put(T "events/enable", "0") && read_file(MIG_ENABLE, v, sizeof(v)) > 0 && v[0] == '0',
	   "events/enable 0 turns them off");
	int fd = open(PF_ENABLE, O_WRONLY);
	ok_errno(write(fd, "x", 1), EINVAL, "an enable file takes 0 or 1 only");
	close(fd);
}

static void check_pipe(void)
{
	if (!is_numbat()) {
		skip("Linux's trace_pipe waits for more", "trace_pipe hands each record out once");
		return;
	}
	put(T "trace", "\n");
	put(PF_ENABLE, "1");
	char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	put(PF_ENABLE, "0");
	int fd = open(T "trace_pipe", O_RDONLY);
	long first = read(fd, buf, sizeof(buf) - 1), second = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ok(first > 0 && second == 0, "trace_pipe hands each record out once (%ld, then %ld bytes)",
	   first, second);
	munmap(p, PG);
}

int main(void)
{
	ktap_plan("trace", 10);
	if (access(PF_ENABLE, W_OK) != 0) {
		for (int i = 0; i < 10; i++)
			skip("no tracefs at " T, "trace check %d", i + 1);
		return ktap_done();
	}
	check_run();
	check_files();
	check_pipe();
	return ktap_done();
}
