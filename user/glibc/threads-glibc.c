/*
 * threads-glibc: user/tests/threads.c built with glibc's static pthreads
 * (gcc -static -pthread), whose thread creation (clone with CLONE_SETTLS,
 * CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, rseq and robust lists) and
 * futex use (FUTEX_WAIT_BITSET with absolute timeouts, private futexes)
 * differ from musl's.
 */
#include "../tests/threads.c"
