/*
 * struct uio: where a read() puts its bytes or a write() takes them from,
 * either a kernel buffer or a user one. File systems copy through it and
 * never touch a user pointer themselves; uio_copy_out/in check user
 * addresses and turn a bad one into -EFAULT, never a kernel fault.
 *
 *   struct uio u = UIO_KERNEL(buf, len);      // kernel buffer
 *   struct uio u = UIO_USER(ubuf, len);       // from a system call
 */
#ifndef KERNEL_UIO_H
#define KERNEL_UIO_H

#include <kernel/types.h>

struct uio {
	char *base;                /* next byte to fill or take */
	size_t resid;              /* bytes left */
	bool user;                 /* base is a user-space address */
};

#define UIO_KERNEL(p, n) ((struct uio){ (char *)(p), (n), false })
#define UIO_USER(p, n)   ((struct uio){ (char *)(p), (n), true })

/* Copy min(n, resid) bytes; returns bytes copied (fewer if the user buffer
 * turns bad part way) or -EFAULT if none could be. Advances. */
ssize_t uio_copy_out(struct uio *u, const void *src, size_t n);
ssize_t uio_copy_in(struct uio *u, void *dst, size_t n);

#endif
