/*
 * cat [file...]: copy each file (standard input when there is none, or for
 * "-") to standard output.
 *
 * System calls: open, read, write, close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[8192];

/* Copy fd to standard output. Returns 0, or -1 on a read or write error. */
static int copy(int fd)
{
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n; ) {
			ssize_t w = write(1, buf + done, n - done);
			if (w <= 0)
				return -1;
			done += w;
		}
	}
	return n < 0 ? -1 : 0;
}

int main(int argc, char *argv[])
{
	int status = 0;

	if (argc < 2)
		return copy(0) < 0;
	for (int i = 1; i < argc; i++) {
		int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY);
		if (fd < 0 || copy(fd) < 0) {
			dprintf(2, "cat: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		}
		if (fd > 0)
			close(fd);
	}
	return status;
}
