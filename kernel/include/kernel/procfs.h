/*
 * procfs: file systems whose files are made by the kernel when read.
 * Three trees exist: procfs_root() (mounted at /proc), sysfs_root()
 * (mounted at /sys) and devtmpfs_root() (mounted at /dev, device nodes
 * only: kernel/fs/devtmpfs.c); any subsystem adds entries to them.
 *
 *   static int show_x(struct pbuf *b, void *data) { pbuf_printf(b, "%d\n", 42); return 0; }
 *   procfs_create_file(procfs_root(), "x", show_x, NULL);
 *
 * A file's content is generated once per open() into a buffer (show is
 * called again with a larger buffer if it overflowed), so a reader sees a
 * consistent snapshot. Directories can be made and removed at any time
 * (that is how /proc/<pid> comes and goes); a symlink's target is also
 * made by a callback (/proc/self).
 *
 * Locking: procfs_lock protects the tree. show and target callbacks run
 * without it and may take their own subsystem's locks.
 */
#ifndef KERNEL_PROCFS_H
#define KERNEL_PROCFS_H

#include <kernel/vfs.h>

struct pbuf {
	char *buf;
	size_t size, len;
	bool overflow;
};

int pbuf_printf(struct pbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

typedef int (*procfs_show_t)(struct pbuf *b, void *data);
typedef int (*procfs_target_t)(char *buf, size_t size, void *data);
/* Take a write of len bytes (NUL-terminated copy): 0 or -errno. */
typedef int (*procfs_write_t)(void *data, const char *buf, size_t len);
#define PROCFS_WRITE_MAX 64
/* Read into u from position pos: bytes, 0 at the end, or -errno. */
typedef ssize_t (*procfs_read_t)(void *data, struct uio *u, uint64_t pos);

struct procfs_entry;

void procfs_init(void);
struct procfs_entry *procfs_root(void);
struct procfs_entry *sysfs_root(void);
struct procfs_entry *devtmpfs_root(void);
/* NULL if the name exists in parent or no memory. */
struct procfs_entry *procfs_create_file(struct procfs_entry *parent,
					const char *name, procfs_show_t show,
					void *data);
/* A file shown by show() and changed by writes (mode 0644). */
struct procfs_entry *procfs_create_rw(struct procfs_entry *parent, const char *name,
				     procfs_show_t show, procfs_write_t write, void *data);
/* A binary file read at a position by read() (no snapshot at open:
 * /proc/PID/pagemap, /proc/kpagecount). */
struct procfs_entry *procfs_create_raw(struct procfs_entry *parent, const char *name,
				      procfs_read_t read, void *data);
/* A device node (S_IFCHR or S_IFBLK in mode) with device number rdev. */
struct procfs_entry *procfs_mknod(struct procfs_entry *parent, const char *name,
				  uint32_t mode, uint64_t rdev);
struct procfs_entry *procfs_mkdir(struct procfs_entry *parent, const char *name);
/* The directory name under parent, made if it is not there yet (several
 * subsystems share /proc/sys/kernel). NULL if no memory. */
struct procfs_entry *procfs_dir(struct procfs_entry *parent, const char *name);
/* A directory whose children are brought up to date by refresh(dir, data)
 * before each lookup in it and each listing of it (/proc/PID/fd). refresh
 * runs without procfs_lock; it adds with procfs_symlink & co. and removes
 * with procfs_prune. */
typedef void (*procfs_refresh_t)(struct procfs_entry *dir, void *data);
struct procfs_entry *procfs_mkdir_refreshed(struct procfs_entry *parent, const char *name,
					    procfs_refresh_t refresh, void *data);
/* Remove the children of dir for which keep(name, arg) is false; keep
 * runs under procfs_lock and must take no lock. */
void procfs_prune(struct procfs_entry *dir, bool (*keep)(const char *name, void *arg),
		  void *arg);
struct procfs_entry *procfs_symlink(struct procfs_entry *parent, const char *name,
				    procfs_target_t target, void *data);
/* /proc/mounts' content (every process sees the same mounts, so also
 * /proc/PID/mounts'). */
int procfs_show_mounts(struct pbuf *b, void *data);
/* Remove an entry and everything below it. */
void procfs_remove(struct procfs_entry *e);
/* Mount a tree (procfs_root(), sysfs_root() or devtmpfs_root()) at a directory. */
int procfs_mount(const char *path, struct procfs_entry *root);

#endif
