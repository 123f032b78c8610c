/* Descriptor tables (see fdtable.h). */
#include <kernel/fdtable.h>
#include <kernel/errno.h>
#include <kernel/slab.h>
#include <kernel/string.h>

#define FD_START 64

static bool cloexec_bit(struct fdtable *ft, int fd)
{
	return ft->cloexec[fd / 64] >> (fd % 64) & 1;
}

static void set_cloexec_bit(struct fdtable *ft, int fd, bool on)
{
	if (on)
		ft->cloexec[fd / 64] |= 1ULL << (fd % 64);
	else
		ft->cloexec[fd / 64] &= ~(1ULL << (fd % 64));
}

static struct fdtable *alloc_size(int size)
{
	struct fdtable *ft = kzalloc(sizeof(*ft));

	if (!ft)
		return NULL;
	ft->fd = kzalloc(size * sizeof(struct file *));
	ft->cloexec = kzalloc(size / 8);
	if (!ft->fd || !ft->cloexec) {
		kfree(ft->fd);
		kfree(ft->cloexec);
		kfree(ft);
		return NULL;
	}
	spin_init(&ft->lock, "fdtable");
	ft->size = size;
	ft->refs = 1;
	return ft;
}

struct fdtable *fdtable_alloc(void)
{
	return alloc_size(FD_START);
}

/* Double the table (lock held; allocation does not sleep). */
static int grow(struct fdtable *ft)
{
	int n = ft->size * 2;
	struct file **fd = kzalloc(n * sizeof(*fd));
	uint64_t *bits = kzalloc(n / 8);

	if (ft->size >= FD_MAX || !fd || !bits) {
		kfree(fd);
		kfree(bits);
		return -EMFILE;
	}
	memcpy(fd, ft->fd, ft->size * sizeof(*fd));
	memcpy(bits, ft->cloexec, ft->size / 8);
	kfree(ft->fd);
	kfree(ft->cloexec);
	ft->fd = fd;
	ft->cloexec = bits;
	ft->size = n;
	return 0;
}

/* Lowest free slot >= minfd, growing as needed; lock held. */
static int free_slot(struct fdtable *ft, int minfd)
{
	if (minfd < 0 || minfd >= FD_MAX)
		return -EINVAL;
	for (int fd = minfd;; fd++) {
		if (fd >= FD_MAX)
			return -EMFILE;
		while (fd >= ft->size)
			if (grow(ft))
				return -EMFILE;
		if (!ft->fd[fd])
			return fd;
	}
}

int fd_install(struct fdtable *ft, struct file *f, int minfd, bool cloexec)
{
	spin_lock(&ft->lock);
	int fd = free_slot(ft, minfd);
	if (fd >= 0) {
		ft->fd[fd] = f;
		set_cloexec_bit(ft, fd, cloexec);
	}
	spin_unlock(&ft->lock);
	return fd;
}

struct file *fd_get(struct fdtable *ft, int fd)
{
	struct file *f = NULL;

	spin_lock(&ft->lock);
	if (fd >= 0 && fd < ft->size && ft->fd[fd])
		f = file_get(ft->fd[fd]);
	spin_unlock(&ft->lock);
	return f;
}

int fd_close(struct fdtable *ft, int fd)
{
	struct file *f = NULL;

	spin_lock(&ft->lock);
	if (fd >= 0 && fd < ft->size) {
		f = ft->fd[fd];
		ft->fd[fd] = NULL;
	}
	spin_unlock(&ft->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup(struct fdtable *ft, int fd, int minfd, bool cloexec)
{
	struct file *f = fd_get(ft, fd);

	if (!f)
		return -EBADF;
	int nfd = fd_install(ft, f, minfd, cloexec);
	if (nfd < 0)
		file_put(f);
	return nfd;
}

int fd_dup3(struct fdtable *ft, int oldfd, int newfd, uint32_t flags)
{
	if (oldfd == newfd || (flags & ~O_CLOEXEC))
		return -EINVAL;
	if (newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	struct file *f = fd_get(ft, oldfd), *old = NULL;
	if (!f)
		return -EBADF;
	spin_lock(&ft->lock);
	while (newfd >= ft->size && !grow(ft))
		;
	if (newfd < ft->size) {
		old = ft->fd[newfd];
		ft->fd[newfd] = f;
		set_cloexec_bit(ft, newfd, flags & O_CLOEXEC);
		f = NULL;
	}
	spin_unlock(&ft->lock);
	if (f) {
		file_put(f);
		return -EMFILE;
	}
	if (old)
		file_put(old);
	return newfd;
}

int fd_dup2(struct fdtable *ft, int oldfd, int newfd)
{
	if (oldfd == newfd) {
		struct file *f = fd_get(ft, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return fd_dup3(ft, oldfd, newfd, 0);
}

int fd_get_cloexec(struct fdtable *ft, int fd)
{
	spin_lock(&ft->lock);
	int r = fd >= 0 && fd < ft->size && ft->fd[fd] ? cloexec_bit(ft, fd) : -EBADF;
	spin_unlock(&ft->lock);
	return r;
}

int fd_set_cloexec(struct fdtable *ft, int fd, bool on)
{
	int r = -EBADF;

	spin_lock(&ft->lock);
	if (fd >= 0 && fd < ft->size && ft->fd[fd]) {
		set_cloexec_bit(ft, fd, on);
		r = 0;
	}
	spin_unlock(&ft->lock);
	return r;
}

struct fdtable *fdtable_copy(struct fdtable *ft)
{
	spin_lock(&ft->lock);
	struct fdtable *n = alloc_size(ft->size);
	if (n) {
		for (int i = 0; i < ft->size; i++)
			if ((n->fd[i] = ft->fd[i]))
				file_get(n->fd[i]);
		memcpy(n->cloexec, ft->cloexec, ft->size / 8);
	}
	spin_unlock(&ft->lock);
	return n;
}

void fdtable_close_on_exec(struct fdtable *ft)
{
	for (int fd = 0; fd < ft->size; fd++)
		if (fd_get_cloexec(ft, fd) == 1)
			fd_close(ft, fd);
}

void fdtable_get(struct fdtable *ft)
{
	__atomic_fetch_add(&ft->refs, 1, __ATOMIC_RELAXED);
}

/* Threads share a table (CLONE_FILES): the last to let go closes it. */
void fdtable_put(struct fdtable *ft)
{
	if (!__atomic_sub_fetch(&ft->refs, 1, __ATOMIC_ACQ_REL))
		fdtable_free(ft);
}

void fdtable_free(struct fdtable *ft)
{
	for (int fd = 0; fd < ft->size; fd++)
		if (ft->fd[fd])
			fd_close(ft, fd);
	kfree(ft->fd);
	kfree(ft->cloexec);
	kfree(ft);
}
