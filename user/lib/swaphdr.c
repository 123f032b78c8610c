/*
 * swaphdr.c: Linux's swap header (version 1, "SWAPSPACE2"), for mkswap and
 * the swap tests (see ktap.h). The layout of the first 4 KiB page:
 *
 *   0     1024 boot bytes (left alone: zeros here)
 *   1024  version (1), last_page, nr_badpages (32-bit each)
 *   1036  uuid (16 bytes), 1052 volume label (16 bytes)
 *   1536  bad page numbers, nr_badpages of them
 *   4086  "SWAPSPACE2"
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

int swap_header_write(int fd, unsigned long pages, const char *label,
		      const unsigned int *bad, unsigned nbad, const unsigned char *uuid)
{
	unsigned char page[4096];
	uint32_t words[3] = { 1, (uint32_t)(pages - 1), nbad };

	if (pages < 2 || nbad > 637)
		return -1;
	memset(page, 0, sizeof(page));
	memcpy(page + 1024, words, sizeof(words));
	if (uuid)
		memcpy(page + 1036, uuid, 16);
	if (label)
		strncpy((char *)page + 1052, label, 16);
	memcpy(page + 1536, bad, nbad * sizeof(uint32_t));
	memcpy(page + 4086, "SWAPSPACE2", 10);
	return pwrite(fd, page, sizeof(page), 0) == sizeof(page) && fsync(fd) == 0 ? 0 : -1;
}
