/*
 * The lock order of the whole kernel: the one place it is written. A lock
 * may be taken while holding only locks above it in this list.
 *
 * Sleeping locks (mutexes, mutex.h: the holder may sleep, fault on a user
 * buffer, and finish on another CPU):
 *
 *   sb->lock            one per mounted file system (vfs.h); the same task
 *                       may take it again (a page-cache miss inside a
 *                       directory operation; a write() whose buffer maps a
 *                       file of the same mount)
 *                       (and one for the unmounted "shm" of shmem.h; a
 *                       write() whose buffer maps shared anonymous memory
 *                       takes it inside a file system's)
 *     page lock         PL_LOCKED (migrate.h): held across a migration,
 *                       and by reclaim while it unmaps and writes a page
 *                       out (vmscan.c); waited for asleep, never with a
 *                       spinlock held; under a spinlock only tried
 *                       (page_trylock: swap_cache_try_free)
 *
 * Spinlocks, outermost first (spinlock.h):
 *
 *   mm_list_lock        the list of every mm (rmap.h)
 *     mm->lock          VMAs, page tables, RSS (mm.h); a parent's before
 *                       its fork child's
 *       rmap_obj_lock   every file's i_mmap list of VMAs, every anon_vma's
 *                       list and life (rmap=obj/hybrid, rmap_obj.c); the
 *                       object walk holds it and only tries mm->lock
 *       pte_chain lock  bit PL_CHAIN of a page (rmap.h)
 *         spare_lock    a CPU's one spare pte_chain block (rmap_blocks.c)
 *         the pte_chain lock of a replica's master (replicate.c: a
 *                       replica's last put leaves the master's set; an
 *                       anonymous replica's collapse moves its PTEs onto
 *                       the master's chain; the master's lock is never
 *                       held when taking a replica's)
 *       icache_lock or pcache_lock or swapcache_lock   (none inside another;
 *                       pcache_lock and swapcache_lock also inside a
 *                       pte_chain lock: an unmap's last put of a page)
 *         bcache_lock   the buffer cache
 *           blkdev->lock  one request at a time per device
 *   oom_lock            one OOM-killer decision at a time (oom.c)
 *     proc_lock         every process's family and signals (proc.c), and
 *                       the thread groups (thread.c); a waitq lock and an
 *                       rq lock may be taken inside it (a vfork parent's
 *                       wake-up, signals' sched_wakeup)
 *       ft->lock        a descriptor table's slots (fdtable.h): /proc/PID/fd
 *                       reads another process's table under proc_lock
 *       fs->lock        a task's fs_struct: its cwd and path (fs_struct.h):
 *                       /proc/PID/cwd reads another's under proc_lock;
 *                       icache_lock is taken inside it (inode_get of the cwd)
 *   fifo_lock           every FIFO inode's pipe (pipe.c); a pipe's lock
 *                       inside it
 *   futex bucket lock   a futex hash bucket's waiters (futex.c); two at
 *                       once (FUTEX_REQUEUE): lower address first; an rq
 *                       lock is taken inside (the wake-up); never held
 *                       with mm->lock (futex_key drops it first)
 *   rq lock             a CPU's run queue (sched.c); two at once: lower
 *                       CPU id first; a waitq lock may be held when taking
 *                       one (wake_up_all), never the other way
 *   leaves              nothing but the allocators inside them:
 *                       swap_lock, procfs_lock, mount_lock, blkdevs_lock,
 *                       a trace ring's lock, shmem_list_lock,
 *                       futex_init (the buckets' one-time set-up),
 *                       task_mpol_lock (mempolicy.c), itimer_lock
 *                       (itimer.c) and the console's tty lock (tty.c):
 *                       signals are sent after they are dropped; its echo
 *                       takes the console output lock (printk.c) inside
 *                       it, a leaf of its own; a node's
 *                       migration queue (kmigrated.lock, numa_balancing.c:
 *                       a hint fault queues a page under mm->lock), a node's
 *                       LRU lock (lruvec.lock: a page's last put takes it
 *                       under any of the locks above)
 *   allocators, innermost: a slab cache's lock, then a node's buddy lock
 *                       (numa_node.lock); kmalloc, kfree and the page
 *                       allocator may be called holding any lock above
 *
 * The rules that go with it, each checked by the kernel:
 *   - no sleep, no mutex and no user copy while holding a spinlock or a
 *     pte_chain lock: might_sleep() (spinlock.h) panics naming the locks,
 *     from schedule(), mutex_lock(), vm_fault() and the user-copy routines;
 *   - no spinlock held across a task switch or a return to user mode
 *     (lock_assert_none_held, watchdog.h);
 *   - a lock needed against the order is only tried (spin_trylock), and on
 *     failure everything is dropped and the operation retried: code that
 *     holds a chain lock and needs an mm->lock (try_to_unmap, migration,
 *     rmap_check) or rmap_obj_lock and needs an mm->lock (the object
 *     walk) answers RMAP_AGAIN (rmap.h);
 *   - a spin longer than WATCHDOG_SECS is reported with the lock's name
 *     and holder (watchdog.h).
 *
 * A fault in a user copy takes mm->lock with sb->lock held (read, write,
 * getdents64); so a file page is never read with mm->lock held (the fault
 * handler fetches it before taking the lock, fault.c), and rmap_check,
 * which wants every mm->lock at once, never runs in the fault path.
 */
#ifndef KERNEL_LOCK_ORDER_H
#define KERNEL_LOCK_ORDER_H
#endif
