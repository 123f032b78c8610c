/*
 * robust-glibc: user/tests/robust.c built with glibc, whose pthread_exit
 * leaves a dead thread's robust mutexes to the kernel (musl cleans its
 * own list in user space first).
 */
#include "../tests/robust.c"
