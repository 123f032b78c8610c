/* Copying through a struct uio (see uio.h). */
#include <kernel/uio.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

ssize_t uio_copy_out(struct uio *u, const void *src, size_t n)
{
	n = MIN(n, u->resid);
	if (u->user) {
		if (copy_to_user(u->base, src, n))
			return -EFAULT;
	} else {
		memcpy(u->base, src, n);
	}
	u->base += n;
	u->resid -= n;
	return (ssize_t)n;
}

ssize_t uio_copy_in(struct uio *u, void *dst, size_t n)
{
	n = MIN(n, u->resid);
	if (u->user) {
		if (copy_from_user(dst, u->base, n))
			return -EFAULT;
	} else {
		memcpy(dst, u->base, n);
	}
	u->base += n;
	u->resid -= n;
	return (ssize_t)n;
}
