/*
 * free: memory in use and free, in KiB, from /proc/meminfo, laid out as
 * procps free prints it:
 *
 *                total        used        free      shared  buff/cache   available
 * Mem:          524288       12345      500000           0        1000      505000
 * Swap:              0           0           0
 *
 * As procps-ng 4 computes them: buff/cache = Buffers + Cached +
 * SReclaimable, used = total - available (total - free - buff/cache when
 * there is no MemAvailable). Fields the kernel doesn't report count as 0.
 *
 * System calls: open, read, close, write.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char meminfo[8192];

/* Value of "key:" in meminfo, in kB, or absent if it isn't there. */
static long value(const char *key, long absent)
{
	size_t klen = strlen(key);

	for (const char *p = meminfo; p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtol(p + klen + 1, NULL, 10);
	return absent;
}

int main(void)
{
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, meminfo, sizeof(meminfo) - 1);

	if (n <= 0) {
		perror("free: /proc/meminfo");
		return 1;
	}
	close(fd);
	meminfo[n] = '\0';

	long total = value("MemTotal", 0), mfree = value("MemFree", 0);
	long cache = value("Buffers", 0) + value("Cached", 0) + value("SReclaimable", 0);
	long avail = value("MemAvailable", -1);
	long used;

	if (avail < 0) {
		avail = mfree;
		used = total - mfree - cache;
	} else {
		used = total - avail;
	}
	printf("%20s%12s%12s%12s%12s%12s\n", "total", "used", "free",
	       "shared", "buff/cache", "available");
	printf("%-8s%12ld%12ld%12ld%12ld%12ld%12ld\n", "Mem:", total, used, mfree,
	       value("Shmem", 0), cache, avail);
	long stotal = value("SwapTotal", 0), sfree = value("SwapFree", 0);
	printf("%-8s%12ld%12ld%12ld\n", "Swap:", stotal, stotal - sfree, sfree);
	return 0;
}
