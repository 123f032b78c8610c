/*
 * mkswap: make a Linux swap area (version 1) on a block device or file.
 *
 *   mkswap [-L LABEL] DEVICE [KIB]
 *
 * The area is the whole device (its size from BLKGETSIZE64, or a file's
 * size), or KIB kilobytes of it. Prints what Linux's mkswap prints (the
 * size in KiB).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktap.h"

#define BLKGETSIZE64 0x80081272

static unsigned long long dev_bytes(int fd)
{
	unsigned long long bytes = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &bytes) == 0 ? bytes : 0;
	return (unsigned long long)st.st_size;
}

int main(int argc, char **argv)
{
	const char *label = NULL;
	int a = 1;

	if (a + 1 < argc && !strcmp(argv[a], "-L")) {
		label = argv[a + 1];
		a += 2;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: mkswap [-L LABEL] DEVICE [KIB]\n");
		return 1;
	}
	int fd = open(argv[a], O_RDWR);
	unsigned long long bytes = fd < 0 ? 0 : dev_bytes(fd);
	if (a + 1 < argc && strtoull(argv[a + 1], NULL, 10) * 1024 < bytes)
		bytes = strtoull(argv[a + 1], NULL, 10) * 1024;
	unsigned long pages = (unsigned long)(bytes / 4096);
	unsigned char uuid[16];
	int rnd = open("/dev/urandom", O_RDONLY);
	if (rnd < 0 || read(rnd, uuid, 16) != 16)
		memset(uuid, 0, 16);
	uuid[6] = (uuid[6] & 0x0f) | 0x40;            /* a version 4 UUID */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
	if (fd < 0 || pages < 10 || swap_header_write(fd, pages, label, NULL, 0, uuid) < 0) {
		fprintf(stderr, "mkswap: %s: %s\n", argv[a],
			fd < 0 ? "cannot open" : pages < 10 ? "swap area needs at least 40 KiB" :
			"cannot write the header");
		return 1;
	}
	printf("Setting up swapspace version 1, size = %lu KiB (%lu bytes)\n",
	       (pages - 1) * 4, (pages - 1) * 4096);
	printf("%s%s, UUID=", label ? "LABEL=" : "no label", label ? label : "");
	for (int i = 0; i < 16; i++)
		printf("%02x%s", uuid[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	printf("\n");
	return 0;
}
