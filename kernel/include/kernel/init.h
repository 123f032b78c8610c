#ifndef KERNEL_INIT_H
#define KERNEL_INIT_H

/* Start the first process, pid 1 (kernel/proc/init.c). */
void init_start(void);

#endif
