/* Helpers shared by the file-system tests (ext2_test.c, pcache_test.c,
 * vfs_test.c): whole-file I/O through the VFS and a byte pattern the host
 * harness can regenerate (tests/fsimg.py: pattern()). */
#ifndef FS_TEST_UTIL_H
#define FS_TEST_UTIL_H

#include <kernel/vfs.h>
#include <kernel/ktest.h>

/* Byte i of pattern `seed`: the host computes the same bytes. */
static inline uint8_t fst_byte(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 31 + seed * 7 + (i >> 12)) & 0xff);
}

void fst_fill(uint8_t *buf, size_t n, uint64_t off, unsigned seed);
/* Write n bytes of pattern seed at off in path (creating it); 0 or -errno. */
int fst_write(const char *path, uint64_t off, size_t n, unsigned seed, uint32_t oflags);
/* Read n bytes at off and compare with the pattern: 0, 1 (differs), -errno. */
int fst_check(const char *path, uint64_t off, size_t n, unsigned seed);
int fst_read(const char *path, uint64_t off, void *buf, size_t n);
/* Skip the test (true) when there is no root file system to test on. */
bool fst_no_root(struct ktest_ctx *t);
/* mkdir that tolerates an existing directory. */
int fst_mkdir(const char *path);

#endif
