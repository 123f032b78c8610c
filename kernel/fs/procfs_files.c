/*
 * The file-system files in /proc: mounts, diskstats (Linux's formats, so
 * that tools read them) and pcache (the page cache's counters).
 */
#include <kernel/procfs.h>
#include <kernel/blkdev.h>
#include <kernel/pcache.h>

static void one_mount(struct mount *m, void *arg)
{
	pbuf_printf(arg, "%s %s %s %s 0 0\n", m->devname, m->path, m->sb->type,
		    m->sb->rdonly ? "ro" : "rw");
}

int procfs_show_mounts(struct pbuf *b, void *data)
{
	vfs_for_each_mount(one_mount, b);
	return 0;
}

/* Linux's 14-field /proc/diskstats line; we count requests, not merges or
 * time, so those fields are 0. Sectors are 512 bytes. */
static void one_disk(struct blkdev *d, void *arg)
{
	struct blk_stats s = blk_get_stats(d);

	pbuf_printf(arg, "%4d %7d %s %lu 0 %lu 0 %lu 0 %lu 0 0 0 0\n", d->major,
		    d->minor, d->name, s.reads, s.read_bytes / 512, s.writes,
		    s.write_bytes / 512);
}

static int show_diskstats(struct pbuf *b, void *data)
{
	blk_for_each(one_disk, b);
	return 0;
}

static int show_pcache(struct pbuf *b, void *data)
{
	struct pcache_stats s = pcache_get_stats();

	pbuf_printf(b, "pages %lu\ndirty %lu\nhits %lu\nmisses %lu\nwritebacks %lu\n"
		    "dropped %lu\n", s.pages, s.dirty, s.hits, s.misses, s.writebacks,
		    s.dropped);
	return 0;
}

void procfs_files_init(void)
{
	procfs_create_file(procfs_root(), "mounts", procfs_show_mounts, NULL);
	procfs_create_file(procfs_root(), "diskstats", show_diskstats, NULL);
	procfs_create_file(procfs_root(), "pcache", show_pcache, NULL);
}
