/*
 * The virtual file system: the objects every file system shares, and the
 * calls system calls make. Drawn (docs/fs.md has more):
 *
 *   fdtable --fd--> struct file --inode--> struct inode --sb--> super_block
 *                   pos, flags,            ino, mode, size,     dev, root,
 *                   file_ops               nlink, inode_ops,    super_ops,
 *                                          mapping (page cache) lock
 *
 * - struct inode: one per file in use, found through the inode cache by
 *   (super_block, ino); counted with inode_get/inode_put. An inode whose
 *   last reference goes while it has no links is deleted then.
 * - struct file: an open file: offset, O_* flags, operations. Counted with
 *   file_get/file_put; other subsystems make their own kinds (pipes, the
 *   TTY) with file_alloc(ops, priv, flags).
 * - struct mount: a file system attached at a directory; path lookup
 *   crosses from the covered directory to the mounted root and back on "..".
 *
 * Locking. Each super_block has one lock (sb->lock), a mutex owned by a
 * task (mutex.h): its holder may sleep, fault on a user buffer, wait for a
 * page being migrated or for the disk, and finish on another CPU; other
 * tasks wait for it asleep. The same task may take it again (depth
 * counts): a page cache miss inside a locked directory operation, or a
 * fault on a user buffer mapped from a file of the same mount during a
 * write(), re-enters the file system through readpage. The VFS takes it
 * around every inode operation and the page cache around every
 * address_space operation, so a file system's code runs single-threaded
 * per mount.
 *
 * The lock order (sb->lock, a mutex, above every spinlock) and its rules
 * are in lock_order.h. The one that shapes this code: no user copy, no
 * sleep and no mutex under a spinlock. A call that must copy to or from
 * user memory while it needs a spinlock copies through a kernel buffer
 * outside the lock; the sb mutex may be held across a user copy.
 *
 * Errors are negative Linux errno values.
 */
#ifndef KERNEL_VFS_H
#define KERNEL_VFS_H

#include <kernel/types.h>
#include <kernel/list.h>
#include <kernel/spinlock.h>
#include <kernel/mutex.h>
#include <kernel/radix.h>
#include <kernel/uio.h>

/* open() flags: Linux x86-64 values. */
#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR      00000002
#define O_CREAT     00000100
#define O_EXCL      00000200
#define O_NOCTTY    00000400
#define O_TRUNC     00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#define O_CLOEXEC   02000000

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* d_type in struct linux_dirent64. */
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

#define NAME_MAX 255
#define PATH_MAX 4096
#define SYMLOOP_MAX 40             /* symlinks followed in one lookup */

struct inode;
struct file;
struct super_block;
struct page;
struct kstat;
struct kstatfs;

/* ------------------------------------------------------------ locks */

/* A mutex the holding task may take again (depth counts); see the top. */
struct fs_lock {
	struct mutex mutex;
	int depth;                 /* times the owner took it; only it touches this */
};

void fs_lock_init(struct fs_lock *l, const char *name);
void fs_lock(struct fs_lock *l);
void fs_unlock(struct fs_lock *l);
/* Take it if free (or held by the caller); never sleeps. True if taken. */
bool fs_trylock(struct fs_lock *l);

/* ------------------------------------------------------------ page cache */

struct address_space_ops {
	/* Fill the page (page->index) from the device; holes read as zero. */
	int (*readpage)(struct inode *inode, struct page *page);
	/* Write the page's allocated blocks within i_size to the device. */
	int (*writepage)(struct inode *inode, struct page *page);
	/* Allocate the blocks behind bytes [from, to) of page `index` before
	 * a write copies into it: -ENOSPC is reported here, not at writeback. */
	int (*prepare_write)(struct inode *inode, uint64_t index, uint32_t from,
			     uint32_t to);
};

/* The page cache of one inode: page->mapping points here. */
struct address_space {
	struct inode *host;
	const struct address_space_ops *ops;
	struct radix_root pages;   /* page index -> struct page *; pcache_lock */
	uint64_t nrpages;          /* pcache_lock */
	uint64_t ndirty;           /* pcache_lock */
	bool no_replicas;          /* mapped shared from a file open for writing:
				      its pages are never replicated (replicate.c) */
	struct list_head i_mmap;   /* rmap=obj/hybrid: every VMA that maps this
				      file (vma.i_mmap_node); rmap_obj_lock */
};

/* ------------------------------------------------------------ inodes */

/* Called by readdir for each entry; returns nonzero to stop (the entry is
 * then not consumed and readdir leaves *pos at it). */
typedef int (*filldir_t)(void *ctx, const char *name, size_t len,
			 uint64_t ino, unsigned dtype, uint64_t next_pos);

/* Every op is called with dir->sb->lock held and references on the inodes
 * passed; names are not NUL-terminated ([name, name + len)). */
struct inode_ops {
	/* -ENOENT if absent; *out gets a reference. */
	int (*lookup)(struct inode *dir, const char *name, size_t len,
		      struct inode **out);
	int (*create)(struct inode *dir, const char *name, size_t len,
		      uint32_t mode, struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, size_t len, uint32_t mode);
	/* A device (rdev), FIFO or socket inode named name (mode has the type). */
	int (*mknod)(struct inode *dir, const char *name, size_t len, uint32_t mode,
		     uint64_t rdev);
	int (*rmdir)(struct inode *dir, const char *name, size_t len);
	int (*unlink)(struct inode *dir, const char *name, size_t len);
	int (*link)(struct inode *old, struct inode *dir, const char *name,
		    size_t len);
	int (*symlink)(struct inode *dir, const char *name, size_t len,
		       const char *target);
	/* Replaces an existing target as rename(2) does. */
	int (*rename)(struct inode *odir, const char *oname, size_t olen,
		      struct inode *ndir, const char *nname, size_t nlen);
	/* Copies at most size bytes (no NUL); returns the length. */
	int (*readlink)(struct inode *inode, char *buf, size_t size);
	int (*truncate)(struct inode *inode, uint64_t size);
	int (*readdir)(struct inode *dir, uint64_t *pos, filldir_t fill, void *ctx);
};

struct mount;

struct pipe;

struct inode {
	struct super_block *sb;
	uint64_t ino;
	uint32_t mode;             /* S_IF* | permissions */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t blocks;           /* 512-byte units allocated */
	int64_t atime, mtime, ctime;   /* seconds since 1970 */
	uint64_t rdev;
	int refcount;              /* icache_lock */
	const struct inode_ops *iops;
	const struct file_ops *fops;
	struct address_space mapping;
	struct mount *covered;     /* a mount on this directory; mount_lock */
	struct list_head hash;     /* inode cache chain; icache_lock */
	struct list_head lru;      /* on the unused list while refcount is 0; icache_lock */
	void *priv;                /* the file system's */
	struct pipe *pipe;         /* a FIFO's pipe while it is open; fifo_lock (pipe.c) */
};

/* Take or drop a reference. The last inode_put of an unlinked inode
 * deletes it (its pages, its blocks, its on-disk inode). */
struct inode *inode_get(struct inode *inode);
void inode_put(struct inode *inode);
/* The inode (sb, ino) with a reference, read from disk if not cached.
 * Caller holds sb->lock. -EUCLEAN/-EIO from the file system. */
int iget(struct super_block *sb, uint64_t ino, struct inode **out);
/* A new inode for a file system's create path, not yet hashed. */
struct inode *inode_new(struct super_block *sb, uint64_t ino);
void inode_hash(struct inode *inode);
/* Drop unreferenced inodes of sb and their clean pages (unmount). Caller
 * holds no file-system lock. Returns the count. */
int icache_prune(struct super_block *sb);
/* How many of sb's inodes are cached unused (refcount 0). */
int icache_unused_count(struct super_block *sb);
/* Every new super block: its empty list of unused inodes. */
void icache_sb_init(struct super_block *sb);
/* The inode cache keeps about this many unused inodes (refcount 0, still
 * linked) per file system; beyond it, each miss frees a few of the oldest. */
#define ICACHE_UNUSED_MAX 1024
#define ICACHE_TRIM_BATCH 8        /* freed per miss at most */
#define ICACHE_TRIM_SCAN  32       /* unused inodes looked at per miss at most */

/* ------------------------------------------------------------ super blocks */

struct super_ops {
	struct inode *(*alloc_inode)(struct super_block *sb);
	void (*free_inode)(struct inode *inode);
	int (*read_inode)(struct inode *inode);    /* fill from disk by ino */
	int (*write_inode)(struct inode *inode);   /* in-memory -> disk */
	void (*evict_inode)(struct inode *inode);  /* nlink 0, last ref: free it */
	/* Optional: true if an inode should be freed at its last reference
	 * rather than kept in the cache unused (procfs: cheap to rebuild). */
	bool (*drop_inode)(struct inode *inode);
	int (*sync)(struct super_block *sb);       /* metadata to the device */
	/* Optional: fill st's counts and f_type (statfs.c fills the rest).
	 * Called without sb->lock. */
	int (*statfs)(struct super_block *sb, struct kstatfs *st);
	void (*put_super)(struct super_block *sb);
};

struct super_block {
	const char *type;          /* "ext2", "procfs" */
	const struct super_ops *ops;
	struct blkdev *dev;        /* NULL for procfs */
	struct inode *root;
	void *fs_info;
	uint32_t block_size;
	uint64_t maxbytes;         /* largest file size: write or truncate past it is -EFBIG (Linux's s_maxbytes) */
	bool rdonly;
	uint32_t dev_id;           /* st_dev */
	struct fs_lock lock;       /* this file system's state (see top) */
	struct list_head unused;   /* its unused cached inodes, oldest first; icache_lock */
	int nr_unused;             /* how many; icache_lock */
	struct mount *mnt;
	struct list_head list;     /* all super blocks; mount_lock */
};

/* ------------------------------------------------------------ mounts */

struct mount {
	struct super_block *sb;
	struct inode *mountpoint;  /* covered directory; NULL for "/" */
	char path[64];
	char devname[16];
	struct list_head list;
};

/* Attach sb at path (a directory; "/" for the root). */
int vfs_mount_sb(struct super_block *sb, const char *path, const char *devname);
/* Mount ext2 from the named block device at path. */
int vfs_mount_dev(const char *dev, const char *path);
int vfs_umount(const char *path);
struct inode *vfs_root(void);             /* with a reference, or NULL */
/* Call fn for every mount (for /proc/mounts). */
void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg);
/* Boot: block devices, ext2 root from vda, procfs at /proc and /sys. */
void fs_init(void);
/* Start the thread that writes dirty data back every few seconds. */
void flush_start(void);

/* ------------------------------------------------------------ files */

struct poll_table;

struct file_ops {
	/* Read/write at *pos and advance it; return bytes or -errno. */
	ssize_t (*read)(struct file *f, struct uio *u, uint64_t *pos);
	ssize_t (*write)(struct file *f, struct uio *u, uint64_t *pos);
	/* Optional: NULL means the generic seek for inodes, -ESPIPE else. */
	int64_t (*lseek)(struct file *f, int64_t off, int whence);
	ssize_t (*getdents64)(struct file *f, struct uio *u);
	int (*open)(struct inode *inode, struct file *f);   /* optional */
	int (*fsync)(struct file *f);                       /* optional */
	/* Optional: ioctl(2); arg is the user's pointer. NULL: -ENOTTY. */
	int64_t (*ioctl)(struct file *f, uint64_t cmd, void *arg);
	void (*release)(struct file *f);                    /* optional */
	/* Optional: readiness as POLL* bits (kernel/poll.h); joins the wait
	 * queues that announce changes through poll_wait(pt, ...). Must not
	 * sleep. NULL: always ready (POLL_DEFAULT_MASK). */
	uint32_t (*poll)(struct file *f, struct poll_table *pt);
};

struct file {
	int refcount;              /* atomic */
	uint32_t flags;            /* O_* (access mode, O_APPEND, O_NONBLOCK) */
	uint64_t pos;              /* see vfs_read on concurrent use */
	const struct file_ops *ops;
	struct inode *inode;       /* NULL for pipes and the like */
	void *priv;
	char *path;                /* absolute path open() was given (kmalloc'd,
				      freed with the file), or NULL: /proc/PID/fd */
};

struct file *file_alloc(const struct file_ops *ops, void *priv, uint32_t flags);
struct file *file_get(struct file *f);
void file_put(struct file *f);             /* the last put calls release */

/* struct linux_dirent64, as getdents64(2) returns it. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
} __packed;

struct kstat {
	uint64_t dev, ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t rdev;
	int64_t size;
	uint32_t blksize;
	uint64_t blocks;           /* 512-byte units */
	int64_t atime, mtime, ctime;
};

/* ------------------------------------------------------------ calls */

#define LOOKUP_FOLLOW 1            /* follow a symlink in the last component */

/*
 * Path lookup from cwd (NULL: the root) or from the root for absolute
 * paths; ".", ".." and mounts handled, symlinks followed in the middle of
 * a path always and at the end with LOOKUP_FOLLOW. *out gets a reference.
 * -ENOENT, -ENOTDIR, -ENAMETOOLONG, -ELOOP (more than SYMLOOP_MAX links),
 * -EUCLEAN/-EIO from a damaged file system.
 */
int vfs_lookup(struct inode *cwd, const char *path, int flags, struct inode **out);
/* The directory that would contain path's last component, and the name. */
int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir,
		      char name[NAME_MAX + 1]);

int vfs_open(struct inode *cwd, const char *path, uint32_t flags, uint32_t mode,
	     struct file **out);
ssize_t vfs_read(struct file *f, struct uio *u);
ssize_t vfs_write(struct file *f, struct uio *u);
ssize_t vfs_pread(struct file *f, struct uio *u, uint64_t off);
ssize_t vfs_pwrite(struct file *f, struct uio *u, uint64_t off);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
ssize_t vfs_getdents64(struct file *f, struct uio *u);
int vfs_fsync(struct file *f);
int vfs_ftruncate(struct file *f, uint64_t size);
int vfs_sync(void);

int vfs_getattr(struct inode *inode, struct kstat *st);
int vfs_stat(struct inode *cwd, const char *path, int flags, struct kstat *st);
int vfs_mkdir(struct inode *cwd, const char *path, uint32_t mode);
/* mknod(2): a regular file, device (rdev), FIFO or socket at path. */
int vfs_mknod(struct inode *cwd, const char *path, uint32_t mode, uint64_t rdev);
int vfs_rmdir(struct inode *cwd, const char *path);
int vfs_unlink(struct inode *cwd, const char *path);
int vfs_rename(struct inode *cwd, const char *from, const char *to);
int vfs_link(struct inode *cwd, const char *from, const char *to);
int vfs_symlink(struct inode *cwd, const char *target, const char *path);
/* Copies at most size bytes (no NUL added); returns the length. */
int vfs_readlink(struct inode *cwd, const char *path, char *buf, size_t size);
int vfs_truncate(struct inode *cwd, const char *path, uint64_t size);

/* Generic regular-file operations through the page cache (file.c). */
extern const struct file_ops vfs_file_ops;
extern const struct file_ops vfs_dir_ops;
ssize_t vfs_file_read(struct file *f, struct uio *u, uint64_t *pos);
ssize_t vfs_file_write(struct file *f, struct uio *u, uint64_t *pos);

/* Seconds since 1970 for timestamps (the CMOS clock at boot + uptime). */
int64_t fs_now(void);

#endif
