#ifndef KERNEL_PIPE_H
#define KERNEL_PIPE_H

#include <kernel/vfs.h>

/* A pipe: two files, the read end and the write end. */
int pipe_create(struct file **r, struct file **w, bool nonblock);
bool pipe_is(const struct file *f);
/* open() of a FIFO (named pipe) inode: its pipe, shared by every open. */
int fifo_open(struct inode *in, struct file *f);

#endif
