/*
 * swapoff: stop swapping on block devices.
 *
 *   swapoff DEVICE...     swapoff(2) on each
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: swapoff DEVICE...\n");
		return 1;
	}
	for (int a = 1; a < argc; a++)
		if (swapoff(argv[a]) < 0) {
			fprintf(stderr, "swapoff: %s: %s\n", argv[a], strerror(errno));
			status = 1;
		}
	return status;
}
