/*
 * sendfile: file to file, to a pipe and to a device, with the input's
 * position used and moved (offset NULL) or an offset given and updated
 * (position untouched); a count past the end stops there; the errors are
 * Linux's. copy_file_range between two files, with offsets or positions,
 * and its errors (flags, overlap, not regular files).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#define SRC "sendfile.src"
#define DST "sendfile.dst"
#define SIZE (100 * 1024 + 123)        /* several rounds of any buffer */
#define BADP ((void *)1)

static char data[SIZE], back[SIZE];

static long sf(int out, int in, long *off, long count)
{
	return syscall(SYS_sendfile, out, in, off, count);
}

static int make_source(void)
{
	for (int i = 0; i < SIZE; i++)
		data[i] = (char)(i * 7 + i / 4096);
	int fd = open(SRC, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, SIZE) != SIZE)
		ktap_bail("cannot write " SRC);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void check_file_to_file(int in)
{
	int out = open(DST, O_RDWR | O_CREAT | O_TRUNC, 0644);

	ok(sf(out, in, NULL, SIZE) == SIZE, "file to file, offset NULL: %d bytes", SIZE);
	ok(lseek(in, 0, SEEK_CUR) == SIZE, "the input's position moved to the end");
	ok(pread(out, back, SIZE, 0) == SIZE && !memcmp(back, data, SIZE), "the copy is exact");
	ok(sf(out, in, NULL, 10) == 0, "at the end of the input: 0");
	long off = 1000;
	lseek(in, 5, SEEK_SET);
	ftruncate(out, 0);
	lseek(out, 0, SEEK_SET);
	ok(sf(out, in, &off, 5000) == 5000 && off == 6000, "with an offset: 5000 bytes, offset 6000");
	ok(lseek(in, 0, SEEK_CUR) == 5, "with an offset the input's position stays");
	ok(pread(out, back, 5000, 0) == 5000 && !memcmp(back, data + 1000, 5000),
	   "the bytes from the offset");
	off = SIZE - 100;
	ok(sf(out, in, &off, 1000) == 100 && off == SIZE, "a count past the end stops there");
	close(out);
}

static void check_to_pipe_and_device(int in)
{
	int p[2], null = open("/dev/null", O_WRONLY);
	char buf[4096];
	long off = 0;

	if (pipe(p))
		ktap_bail("pipe");
	ok(sf(p[1], in, &off, 3000) == 3000 && read(p[0], buf, sizeof(buf)) == 3000 &&
	   !memcmp(buf, data, 3000), "file to pipe");
	off = 0;
	ok(sf(null, in, &off, SIZE) == SIZE, "file to /dev/null");
	ok_errno(sf(p[1], p[0], &off, 1), ESPIPE, "an offset on a pipe input: ESPIPE");
	close(p[0]);
	close(p[1]);
	close(null);
}

static void check_errors(int in)
{
	int wo = open(DST, O_WRONLY), ro = open(DST, O_RDONLY);
	int ap = open(DST, O_WRONLY | O_APPEND);
	long off = -1;

	ok_errno(sf(wo, -1, NULL, 1), EBADF, "bad input fd: EBADF");
	ok_errno(sf(-1, in, NULL, 1), EBADF, "bad output fd: EBADF");
	ok_errno(sf(ro, in, NULL, 1), EBADF, "output not open for writing: EBADF");
	ok_errno(sf(in, wo, NULL, 1), EBADF, "input not open for reading: EBADF");
	ok_errno(sf(ap, in, NULL, 1), EINVAL, "an O_APPEND output: EINVAL");
	ok_errno(sf(wo, in, &off, 1), EINVAL, "a negative offset: EINVAL");
	ok_errno(sf(wo, in, BADP, 1), EFAULT, "a bad offset pointer: EFAULT");
	close(wo);
	close(ro);
	close(ap);
}

static long cfr(int in, long *ioff, int out, long *ooff, long len, unsigned flags)
{
	return syscall(SYS_copy_file_range, in, ioff, out, ooff, len, flags);
}

static void check_copy_file_range(int in)
{
	int out = open(DST, O_RDWR | O_CREAT | O_TRUNC, 0644), p[2];
	long io = 10, oo = 100, r;

	lseek(in, 7, SEEK_SET);
	r = cfr(in, &io, out, &oo, 50000, 0);
	ok(r == 50000 && io == 50010 && oo == 50100, "with offsets: 50000 bytes, both updated");
	ok(lseek(in, 0, SEEK_CUR) == 7 && lseek(out, 0, SEEK_CUR) == 0,
	   "with offsets the positions stay");
	ok(pread(out, back, 50000, 100) == 50000 && !memcmp(back, data + 10, 50000),
	   "the bytes landed at the output offset");
	lseek(out, 0, SEEK_SET);
	r = cfr(in, NULL, out, NULL, SIZE, 0);
	ok(r == SIZE - 7 && lseek(in, 0, SEEK_CUR) == SIZE && lseek(out, 0, SEEK_CUR) == SIZE - 7,
	   "without offsets: to the end, both positions move (%ld)", r);
	ok(cfr(in, NULL, out, NULL, 10, 0) == 0, "at the end of the input: 0");
	io = 0;
	oo = 0;
	ok_errno(cfr(in, &io, out, &oo, 10, 1), EINVAL, "flags 1: EINVAL");
	io = 0;
	oo = 100;
	ok_errno(cfr(out, &io, out, &oo, 200, 0), EINVAL, "overlapping ranges in one file: EINVAL");
	if (pipe(p))
		ktap_bail("pipe");
	ok_errno(cfr(in, NULL, p[1], NULL, 10, 0), EINVAL, "to a pipe: EINVAL");
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	ok_errno(cfr(dir, NULL, out, NULL, 10, 0), EISDIR, "from a directory: EISDIR");
	ok_errno(cfr(in, NULL, -1, NULL, 10, 0), EBADF, "bad output fd: EBADF");
	io = -5;
	ok_errno(cfr(in, &io, out, NULL, 10, 0), EOVERFLOW, "negative offset: EOVERFLOW (Linux)");
	ok_errno(cfr(in, BADP, out, NULL, 10, 0), EFAULT, "bad offset pointer: EFAULT");
	close(dir);
	close(p[0]);
	close(p[1]);
	close(out);
}

int main(void)
{
	ktap_plan("sendfile", 8 + 3 + 7 + 12);
	int in = make_source();
	check_file_to_file(in);
	check_to_pipe_and_device(in);
	check_errors(in);
	check_copy_file_range(in);
	close(in);
	unlink(SRC);
	unlink(DST);
	return ktap_done();
}
