/*
 * mremap-glibc: user/tests/mremap.c built with glibc, whose realloc of a
 * large (mmap'd) block is an mremap(MREMAP_MAYMOVE) and whose threads
 * are made with other clone flags than musl's.
 */
#include "../tests/mremap.c"
