/* Copying through a struct uio (see uio.h). */
#include <kernel/uio.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

/* As Linux: a user buffer that becomes bad part way takes the bytes that
 * fit before the bad page; only a copy that gets nowhere is -EFAULT. */
ssize_t uio_copy_out(struct uio *u, const void *src, size_t n)
{
	size_t want = MIN(n, u->resid);

	n = want;
	if (u->user) {
		n -= copy_to_user(u->base, src, n);
		if (!n && want)            /* nothing asked is no fault (EOF) */
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
	size_t want = MIN(n, u->resid);

	n = want;
	if (u->user) {
		n -= copy_from_user(dst, u->base, n);
		if (!n && want)
			return -EFAULT;
	} else {
		memcpy(dst, u->base, n);
	}
	u->base += n;
	u->resid -= n;
	return (ssize_t)n;
}
