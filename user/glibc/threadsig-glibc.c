/*
 * threadsig-glibc: user/tests/threadsig.c built with glibc's static
 * pthreads (gcc -static -pthread), whose thread creation and signal
 * handling in threads use other clone flags and system calls than musl's.
 */
#include "../tests/threadsig.c"
