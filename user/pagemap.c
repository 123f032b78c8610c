/*
 * pagemap: the frames behind a range of a process's addresses.
 *
 *   pagemap PID START [END]      (addresses in hex; END defaults to START + 1 page)
 *
 * For each page: its address, whether it is present, swapped or a file page,
 * its frame number (PFN), the NUMA node of the frame and how many page-table
 * entries map it. Everything comes from Linux's interfaces, so it runs on
 * Linux too (as root): /proc/PID/pagemap (frame and flags), /proc/kpagecount
 * (map count), and move_pages(2) with no target nodes (the node).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PFN ((1ULL << 55) - 1)

static uint64_t read_u64(const char *path, uint64_t index)
{
	uint64_t v = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || pread(fd, &v, 8, (off_t)(index * 8)) != 8)
		v = 0;
	close(fd);
	return v;
}

static int node_of(int pid, uint64_t va)
{
	void *page = (void *)va;
	int status = -1;

	if (syscall(SYS_move_pages, pid, 1UL, &page, NULL, &status, 0) < 0)
		return -1;
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: pagemap PID START [END]   (hex addresses)\n");
		return 1;
	}
	int pid = atoi(argv[1]);
	uint64_t start = strtoull(argv[2], NULL, 16) & ~4095ULL;
	uint64_t end = argc > 3 ? strtoull(argv[3], NULL, 16) : start + 4096;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	printf("%-16s %-8s %-10s %4s %6s\n", "ADDRESS", "FLAGS", "PFN", "NODE", "MAPS");
	for (uint64_t va = start; va < end; va += 4096) {
		uint64_t e = read_u64(path, va / 4096);
		char flags[5] = "----";
		if (e & PM_PRESENT) flags[0] = 'p';
		if (e & PM_SWAP) flags[1] = 's';
		if (e & PM_FILE) flags[2] = 'f';
		if (e & PM_EXCLUSIVE) flags[3] = 'x';
		if (!(e & PM_PRESENT)) {
			printf("%016llx %-8s %-10s %4s %6s\n", (unsigned long long)va, flags, "-", "-", "-");
			continue;
		}
		uint64_t pfn = e & PM_PFN;
		printf("%016llx %-8s %#-10llx %4d %6llu\n", (unsigned long long)va, flags,
		       (unsigned long long)pfn, node_of(pid, va),
		       (unsigned long long)read_u64("/proc/kpagecount", pfn));
	}
	return 0;
}
