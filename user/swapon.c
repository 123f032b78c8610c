/*
 * swapon: start swapping on block devices, or list the swap areas.
 *
 *   swapon [-p PRIO] DEVICE...     swapon(2) on each
 *   swapon -s                      print /proc/swaps
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>

int main(int argc, char **argv)
{
	int flags = 0, status = 0;

	if (argc == 2 && !strcmp(argv[1], "-s")) {
		FILE *f = fopen("/proc/swaps", "r");
		int c;
		while (f && (c = getc(f)) != EOF)
			putchar(c);
		return f ? 0 : 1;
	}
	int a = 1;
	if (a + 1 < argc && !strcmp(argv[a], "-p")) {
		flags = SWAP_FLAG_PREFER | (atoi(argv[a + 1]) & SWAP_FLAG_PRIO_MASK);
		a += 2;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: swapon [-p PRIO] DEVICE... | swapon -s\n");
		return 1;
	}
	for (; a < argc; a++)
		if (swapon(argv[a], flags) < 0) {
			fprintf(stderr, "swapon: %s: %s\n", argv[a], strerror(errno));
			status = 1;
		}
	return status;
}
