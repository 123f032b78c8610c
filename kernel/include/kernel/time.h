/* Linux's time structures for system calls (x86-64: 64-bit fields). */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <kernel/types.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_USEC 1000ULL

struct kernel_timespec {
	int64_t sec, nsec;
};

struct kernel_timeval {
	int64_t sec, usec;
};

#endif
