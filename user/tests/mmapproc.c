/*
 * mmapproc: files without a page cache cannot be mapped. /proc files are
 * regular files whose contents are made when read; Linux's mmap refuses
 * them (EIO for /proc/meminfo and /proc/vmstat, whose proc_ops have no
 * mmap; ENODEV for /proc/self/maps, a seq_file). Numbat once mapped them, and the
 * first touch of the mapping called the missing readpage of their empty
 * address_space: a kernel page fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktap.h"

static void try_map(const char *path, int flags)
{
	int fd = open(path, O_RDONLY);
	char *p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, flags, fd, 0);
	int err = errno;

	if (p != MAP_FAILED) {
		volatile char c = p[0];         /* the touch that used to crash */
		(void)c;
		munmap(p, 4096);
	}
	ok(fd >= 0 && p == MAP_FAILED && (err == ENODEV || err == EIO),
	   "mmap %s %s: refused with ENODEV or EIO (%s)", path,
	   flags == MAP_SHARED ? "shared" : "private",
	   p == MAP_FAILED ? "refused" : "mapped");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	ktap_plan("mmapproc", 4);
	try_map("/proc/meminfo", MAP_PRIVATE);
	try_map("/proc/meminfo", MAP_SHARED);
	try_map("/proc/self/maps", MAP_PRIVATE);
	try_map("/proc/vmstat", MAP_PRIVATE);
	return ktap_done();
}
