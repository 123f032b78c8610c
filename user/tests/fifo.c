/*
 * fifo: named pipes (mkfifo) as Linux has them. A non-blocking open for
 * writing with no reader fails with ENXIO, a non-blocking open for reading
 * succeeds and reads end of file; a blocking open for reading waits until
 * a writer opens (and one for writing until a reader does); what one side
 * writes the other reads, every open of the name sharing one pipe; O_RDWR
 * opens at once; after the last writer closes the reader gets end of file;
 * the name stays a FIFO, and a new pair of opens gets a new, empty pipe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

#define NAME "fifo.p"

static void nonblocking_ends(void)
{
	int w = open(NAME, O_WRONLY | O_NONBLOCK);
	ok_errno(w, ENXIO, "O_WRONLY|O_NONBLOCK without a reader: ENXIO");
	if (w >= 0)
		close(w);
	int r = open(NAME, O_RDONLY | O_NONBLOCK);
	ok(r >= 0, "O_RDONLY|O_NONBLOCK opens at once");
	char c;
	ok(r >= 0 && read(r, &c, 1) == 0, "... and reads end of file (no writer)");
	w = open(NAME, O_WRONLY | O_NONBLOCK);
	ok(w >= 0, "O_WRONLY|O_NONBLOCK opens once a reader is there");
	ok(w >= 0 && write(w, "x", 1) == 1 && read(r, &c, 1) == 1 && c == 'x',
	   "a byte written goes through to the reader");
	close(w);
	close(r);
}

/* A child that sleeps ms, opens NAME for writing, writes msg and exits. */
static pid_t late_writer(int ms, const char *msg)
{
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(ms);
		int w = open(NAME, O_WRONLY);
		_exit(w < 0 || write(w, msg, strlen(msg)) != (ssize_t)strlen(msg) ? 1 : 0);
	}
	return pid;
}

static void blocking_open_waits(void)
{
	uint64_t t0 = now_ms();
	pid_t pid = late_writer(300, "through the fifo");
	int r = open(NAME, O_RDONLY);
	long waited = (long)(now_ms() - t0);
	ok(r >= 0, "O_RDONLY opens once a writer has opened");
	ok(waited >= 250, "... after waiting for it (%ld ms, the writer came after 300)", waited);
	char buf[64] = { 0 };
	ssize_t n = r >= 0 ? read(r, buf, sizeof(buf) - 1) : -1;
	ok(n == 16 && !strcmp(buf, "through the fifo"), "the reader gets what the writer wrote");
	int status = -1;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer opened and wrote");
	ok(r >= 0 && read(r, buf, 1) == 0, "end of file once the writer has closed");
	if (r >= 0)
		close(r);
}

static void writer_waits_for_reader(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(300);
		int r = open(NAME, O_RDONLY);
		char c = 0;
		_exit(r >= 0 && read(r, &c, 1) == 1 && c == 'w' ? 0 : 1);
	}
	uint64_t t0 = now_ms();
	int w = open(NAME, O_WRONLY);
	long waited = (long)(now_ms() - t0);
	ok(w >= 0 && waited >= 250, "O_WRONLY waits for a reader (%ld ms)", waited);
	ok(w >= 0 && write(w, "w", 1) == 1, "... and writes to it");
	int status = -1;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader read the byte");
	if (w >= 0)
		close(w);
}

static void rdwr_and_stat(void)
{
	int rw = open(NAME, O_RDWR);
	ok(rw >= 0, "O_RDWR opens at once, with nobody else");
	char buf[8] = { 0 };
	ok(rw >= 0 && write(rw, "loop", 4) == 4 && read(rw, buf, 4) == 4 && !strcmp(buf, "loop"),
	   "O_RDWR reads back what it wrote");
	struct pollfd pf = { .fd = rw, .events = POLLIN | POLLOUT };
	int n = rw >= 0 ? poll(&pf, 1, 0) : -1;
	ok(n == 1 && pf.revents == POLLOUT, "poll: O_RDWR, empty: writable only (revents %#x)",
	   pf.revents);
	n = rw >= 0 && write(rw, "x", 1) == 1 ? poll(&pf, 1, 0) : -1;
	ok(n == 1 && pf.revents == (POLLIN | POLLOUT),
	   "poll: O_RDWR holding a byte: readable and writable (revents %#x)", pf.revents);
	ok(rw >= 0 && read(rw, buf, 1) == 1 && buf[0] == 'x', "the byte reads back");
	struct stat st;
	ok(rw >= 0 && !fstat(rw, &st) && S_ISFIFO(st.st_mode), "fstat says S_IFIFO");
	ok(rw >= 0 && lseek(rw, 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek: ESPIPE");
	int r2 = open(NAME, O_RDONLY | O_NONBLOCK);
	ok(r2 >= 0 && write(rw, "s", 1) == 1 && read(r2, buf, 1) == 1 && buf[0] == 's',
	   "a second open of the name shares the pipe");
	if (r2 >= 0)
		close(r2);
	if (rw >= 0)
		close(rw);
	ok(!stat(NAME, &st) && S_ISFIFO(st.st_mode) && st.st_size == 0,
	   "the name is still a FIFO of size 0");
}

int main(void)
{
	ktap_plan("fifo", 22);
	signal(SIGPIPE, SIG_IGN);
	unlink(NAME);
	if (mkfifo(NAME, 0644))
		ktap_bail("mkfifo " NAME);
	nonblocking_ends();
	blocking_open_waits();
	writer_waits_for_reader();
	rdwr_and_stat();
	unlink(NAME);
	return ktap_done();
}
