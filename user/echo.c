/*
 * echo [-n] [word...]: print the words separated by spaces, then a newline
 * unless -n is given.
 *
 * System calls: write.
 */
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	int i = 1, newline = 1;
	char buf[4096];
	size_t len = 0;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = 0;
		i++;
	}
	/* Gather everything into one write, so pipes see a single chunk. */
	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + 2 > sizeof(buf)) {
			write(1, buf, len);
			len = 0;
		}
		if (n + 2 > sizeof(buf)) {
			write(1, argv[i], n);
		} else {
			memcpy(buf + len, argv[i], n);
			len += n;
		}
		if (i + 1 < argc)
			buf[len++] = ' ';
	}
	if (newline)
		buf[len++] = '\n';
	return write(1, buf, len) == (ssize_t)len ? 0 : 1;
}
