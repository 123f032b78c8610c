/*
 * swapon: swap areas as Linux has them. swapon(2) and swapoff(2) with their
 * errors, a header written as Linux's mkswap writes it, /proc/swaps and the
 * Swap lines of /proc/meminfo.
 *
 *   swapon [DEV1 DEV2]      two scratch block devices of at least 1 MiB
 *                           (default /dev/ram0 and /dev/ram1: the harness
 *                           boots with ramdisk=4M,2M)
 *
 * On Linux, as root, with two loop devices: `swapon /dev/loop0 /dev/loop1`.
 * Their contents are overwritten. Without the devices, or without the right
 * to swap (a container), the checks that need them are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktap.h"

#define BLKGETSIZE64_ 0x80081272
#define MIN_(a, b) ((a) < (b) ? (a) : (b))

static const char *dev0 = "/dev/ram0", *dev1 = "/dev/ram1";

static unsigned long dev_pages(const char *dev)
{
	unsigned long long bytes = 0;
	int fd = open(dev, O_RDONLY);

	if (fd >= 0 && ioctl(fd, BLKGETSIZE64_, &bytes) < 0)
		bytes = 0;
	close(fd);
	return (unsigned long)(bytes / 4096);
}

/* A header on dev; version (normally 1) and bad pages as given. */
static int header(const char *dev, unsigned long pages, unsigned version,
		  const unsigned *bad, unsigned nbad)
{
	int fd = open(dev, O_RDWR);
	int r = swap_header_write(fd, pages, "test", bad, nbad, NULL);

	if (!r && version != 1)
		r = pwrite(fd, &version, 4, 1024) == 4 ? 0 : -1;
	close(fd);
	return r;
}

/* The line of /proc/swaps naming dev, in line (or "" if none). */
static void swaps_line(const char *dev, char *line, size_t size)
{
	static char buf[4096];
	long n = read_file("/proc/swaps", buf, sizeof(buf));
	char *p = n > 0 ? strstr(buf, dev) : NULL;

	line[0] = 0;
	if (p && (p == buf || p[-1] == '\n')) {
		size_t len = strcspn(p, "\n");
		snprintf(line, size, "%.*s", (int)MIN_(len, size - 1), p);
	}
}

static void check_errors(void)
{
	ok_errno(swapon("/nonexistent/swap", 0), ENOENT, "swapon of a missing path");
	ok_errno(swapon("/proc", 0), EISDIR, "swapon of a directory");
	ok_errno(swapon("/dev/null", 0), EINVAL, "swapon of a character device");
	ok_errno(syscall(SYS_swapon, (char *)8, 0), EFAULT, "swapon of a bad pointer");
	ok_errno(swapon(dev0, 0x1000000), EINVAL, "swapon with unknown flags");
	ok_errno(swapoff("/dev/null"), EINVAL, "swapoff of a character device");
}

static void check_area(unsigned long pages0)
{
	char line[256];
	long total = meminfo_kb("SwapTotal"), free = meminfo_kb("SwapFree");

	ok_errno(swapon(dev0, 0), EINVAL, "swapon of a device without a header");
	ok(header(dev0, pages0, 2, NULL, 0) == 0, "a header with version 2");
	ok_errno(swapon(dev0, 0), EINVAL, "swapon of version 2");
	unsigned far = (unsigned)pages0;
	ok(header(dev0, pages0, 1, &far, 1) == 0, "a header with a bad page past the end");
	ok_errno(swapon(dev0, 0), EINVAL, "swapon refuses it");
	unsigned bad[2] = { 3, 9 };
	ok(header(dev0, pages0, 1, bad, 2) == 0, "a good header, bad pages 3 and 9");
	ok(swapon(dev0, SWAP_FLAG_PREFER | 7) == 0, "swapon(%s, priority 7)", dev0);
	ok_errno(swapon(dev0, 0), EBUSY, "swapon of it again");
	long kb = (long)(pages0 - 3) * 4;
	ok(meminfo_kb("SwapTotal") == total + kb && meminfo_kb("SwapFree") == free + kb,
	   "SwapTotal and SwapFree grew by %ld kB", kb);
	swaps_line(dev0, line, sizeof(line));
	char want[64];
	snprintf(want, sizeof(want), "\t%ld\t", kb);
	ok(strstr(line, "partition") && strstr(line, want) && strstr(line, "\t7"),
	   "/proc/swaps: %s", line);
	ok_errno(swapoff(dev1), EINVAL, "swapoff of a device that is not swap");
	ok(swapoff(dev0) == 0, "swapoff(%s)", dev0);
	swaps_line(dev0, line, sizeof(line));
	ok(!line[0] && meminfo_kb("SwapTotal") == total, "it is gone from /proc/swaps and SwapTotal");
	ok_errno(swapoff(dev0), EINVAL, "swapoff of it again");
	ok(header(dev1, 2, 1, NULL, 0) == 0 && swapon(dev1, 0) == 0 && swapoff(dev1) == 0,
	   "an area of one page beside the header");
	int fd = open(dev1, O_RDWR);
	uint32_t last = 0;                      /* last_page 0: only the header */
	ok(fd >= 0 && pwrite(fd, &last, 4, 1028) == 4 && close(fd) == 0,
	   "a header whose last page is itself");
	ok_errno(swapon(dev1, 0), EINVAL, "swapon of an area with no page");
}

int main(int argc, char **argv)
{
	if (argc == 3) {
		dev0 = argv[1];
		dev1 = argv[2];
	}
	ktap_plan("swapon", 23);
	check_errors();
	unsigned long pages0 = dev_pages(dev0);
	int can = pages0 >= 256 && dev_pages(dev1) >= 256;
	if (can && swapon("/dev/null", 0) < 0 && errno == EPERM)
		can = 0;                            /* not allowed to swap here */
	if (!can) {
		for (int i = 0; i < 17; i++)
			skip("no scratch block devices (or no right to swap)", "area check %d", i + 1);
	} else {
		check_area(pages0);
	}
	return ktap_done();
}
