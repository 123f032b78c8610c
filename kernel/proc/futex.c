/*
 * Futexes: a task sleeps on a 32-bit user word until another wakes it
 * (Linux's futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET,
 * WAKE_BITSET, FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME).
 *
 * The key names the word independently of who asks:
 *   - private (FUTEX_PRIVATE_FLAG, or a private mapping): (mm, address),
 *     so every thread of a process finds the same waiters;
 *   - a MAP_SHARED mapping (a file, or shared anonymous memory, which has
 *     a shmem inode): (inode, offset in the file), so two processes that
 *     map the same page, at any address, meet; it stays right when the
 *     page is swapped out or migrated, as a physical address would not.
 *
 * Waiters are kept in FUTEX_BUCKETS hash buckets, each a list under its
 * own spinlock (a leaf: nothing is taken inside it but a run-queue lock
 * for the wake-up; lock_order.h).
 *
 * The lost wake-up race: a waiter checks *uaddr == val and sleeps; a waker
 * stores a new value and calls FUTEX_WAKE. If the check came before the
 * store and the sleep after the wake, the waiter would sleep forever.
 * Linux reads the word under the bucket lock; Numbat never touches user
 * memory under a spinlock (a fault may sleep), so the waiter instead
 * joins the bucket *before* it reads the word: a wake that follows the
 * store then always finds it queued (and marks it woken, which the sleep
 * loop tests after setting itself SLEEPING), and a store that comes before
 * the read is seen by the read (-EAGAIN).
 */
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <kernel/syscalls.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/list.h>

#define FUTEX_WAIT          0
#define FUTEX_WAKE          1
#define FUTEX_REQUEUE       3
#define FUTEX_CMP_REQUEUE   4
#define FUTEX_WAIT_BITSET   9
#define FUTEX_WAKE_BITSET  10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY   0xffffffffU

#define FUTEX_BUCKETS 64

struct futex_key {
	const void *obj;           /* the mm (private) or the inode (shared) */
	uint64_t off;              /* the address, or the byte offset in the file */
};

struct futex_bucket {
	struct spinlock lock;      /* protects waiters, and each waiter's
				      bucket, key and woken fields */
	struct list_head waiters;
};

struct futex_waiter {
	struct list_head node;     /* on bucket->waiters while queued */
	struct futex_bucket *volatile bucket;  /* where it is (requeue moves it) */
	struct futex_key key;
	uint32_t bitset;
	volatile bool woken;       /* a wake took it off the queue */
	struct proc *proc;
};

static struct futex_bucket buckets[FUTEX_BUCKETS];
static bool buckets_ready;

static struct futex_bucket *bucket_of(const struct futex_key *k)
{
	uint64_t h = (uint64_t)k->obj ^ (k->off * 0x9e3779b97f4a7c15ULL);

	return &buckets[(h >> 32) % FUTEX_BUCKETS];
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->obj == b->obj && a->off == b->off;
}

/* Buckets are set up on the first use (before any task can wait). */
static void futex_init_once(void)
{
	if (__atomic_load_n(&buckets_ready, __ATOMIC_ACQUIRE))
		return;
	static struct spinlock init_lock = SPINLOCK_INIT("futex_init");   /* the set-up */
	spin_lock(&init_lock);
	if (!buckets_ready) {
		for (int i = 0; i < FUTEX_BUCKETS; i++) {
			spin_init(&buckets[i].lock, "futex_bucket");
			list_init(&buckets[i].waiters);
		}
		__atomic_store_n(&buckets_ready, true, __ATOMIC_RELEASE);
	}
	spin_unlock(&init_lock);
}

/*
 * The key of uaddr in mm (see the top of the file). -EINVAL for a word
 * not 4-aligned, -EFAULT for a shared futex outside any mapping. Takes
 * mm->lock for a shared one; no user memory is touched.
 */
static int futex_key(struct mm *mm, uint64_t uaddr, bool private, struct futex_key *k)
{
	if (uaddr & 3)
		return -EINVAL;
	k->obj = mm;
	k->off = uaddr;
	if (private)
		return 0;
	if (uaddr >= USER_TOP)
		return -EFAULT;
	spin_lock(&mm->lock);
	struct vma *v = vma_find(mm, uaddr);
	int err = v ? 0 : -EFAULT;

	if (v && (v->flags & MAP_SHARED) && v->inode) {
		k->obj = v->inode;
		k->off = v->pgoff * PAGE_SIZE + (uaddr - v->start);
	}
	spin_unlock(&mm->lock);
	return err;
}

static void lock_bucket(struct futex_bucket *b, uint64_t *flags)
{
	*flags = spin_lock_irqsave(&b->lock);
}

/* Take w off whatever bucket it is on now (a requeue may have moved it);
 * true if it was still queued (not woken). */
static bool futex_unqueue(struct futex_waiter *w)
{
	for (;;) {
		struct futex_bucket *b = w->bucket;
		uint64_t flags;

		lock_bucket(b, &flags);
		if (b != w->bucket) {
			spin_unlock_irqrestore(&b->lock, flags);
			continue;
		}
		bool queued = !w->woken;
		if (queued)
			list_del(&w->node);
		spin_unlock_irqrestore(&b->lock, flags);
		return queued;
	}
}

/* Mark w woken and make it runnable; its bucket's lock held. */
static void wake_one(struct futex_waiter *w)
{
	list_del(&w->node);
	struct proc *p = w->proc;

	WRITE_ONCE(w->woken, true);     /* w may be gone once this is seen */
	sched_wakeup(p);
}

/* Wake up to n waiters of k whose bitset meets `bitset`; returns how many. */
static int wake_key(const struct futex_key *k, int n, uint32_t bitset)
{
	struct futex_bucket *b = bucket_of(k);
	struct list_head *l, *next;
	int woken = 0;
	uint64_t flags;

	lock_bucket(b, &flags);
	for (l = b->waiters.next; l != &b->waiters && woken < n; l = next) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, node);

		next = l->next;
		if (key_eq(&w->key, k) && (w->bitset & bitset)) {
			wake_one(w);
			woken++;
		}
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return woken;
}

int futex_wake(struct mm *mm, uint64_t uaddr, int n)
{
	struct futex_key k;
	int err;

	futex_init_once();
	if ((err = futex_key(mm, uaddr, false, &k)))
		return err;
	return wake_key(&k, n, FUTEX_BITSET_ANY);
}

/*
 * Sleep until w is woken, a signal comes, or clock_ns() passes deadline
 * (0: no deadline). 0, -EINTR or -ETIMEDOUT. The state is set SLEEPING
 * before w->woken is tested, so a wake between the test and schedule()
 * only makes schedule() return. No lock held.
 */
static int futex_sleep(struct futex_waiter *w, uint64_t deadline)
{
	int ret;

	for (;;) {
		if (deadline)
			sched_set_state_sleeping_until(deadline);
		else
			sched_set_state_sleeping();
		if (READ_ONCE(w->woken)) {
			ret = 0;
			break;
		}
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (deadline && clock_ns() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		schedule();
	}
	sched_sleep_end();
	return ret;
}

/*
 * FUTEX_WAIT(_BITSET): queue, then read the word (see the top of the
 * file), then sleep. 0 when woken, -EAGAIN (the word is not val),
 * -EFAULT, -ETIMEDOUT, -EINTR. A wake that came before the read counts:
 * the waiter was queued with the value it was told to expect.
 */
static int futex_wait(const struct futex_key *k, uint64_t uaddr, uint32_t val,
		      uint32_t bitset, uint64_t deadline)
{
	struct futex_waiter w = { .key = *k, .bitset = bitset, .proc = current };
	struct futex_bucket *b = bucket_of(k);
	uint64_t flags;
	uint32_t now;

	w.bucket = b;
	lock_bucket(b, &flags);
	list_add_tail(&w.node, &b->waiters);
	spin_unlock_irqrestore(&b->lock, flags);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);     /* queued before the read */
	int ret = copy_from_user(&now, (void *)uaddr, sizeof(now)) ? -EFAULT : 0;
	if (!ret && now != val)
		ret = -EAGAIN;
	if (!ret)
		ret = futex_sleep(&w, deadline);
	if (futex_unqueue(&w))
		return ret ? ret : -EINTR;   /* not woken: its own reason */
	return 0;                    /* woken: that is what counts */
}

static void lock_two_buckets(struct futex_bucket *a, struct futex_bucket *b, uint64_t *flags)
{
	*flags = irq_save();
	if (a == b) {
		spin_lock(&a->lock);
	} else {
		spin_lock(a < b ? &a->lock : &b->lock);   /* lower address first */
		spin_lock(a < b ? &b->lock : &a->lock);
	}
}

static void unlock_two_buckets(struct futex_bucket *a, struct futex_bucket *b, uint64_t flags)
{
	if (a != b)
		spin_unlock(&b->lock);
	spin_unlock(&a->lock);
	irq_restore(flags);
}

/*
 * FUTEX_REQUEUE: wake up to nwake waiters of k1, move up to nreq more to
 * k2 (they then wait there, as if they had called FUTEX_WAIT on it).
 * Both buckets locked, lower address first. Returns woken + moved.
 */
static int requeue(const struct futex_key *k1, const struct futex_key *k2, int nwake, int nreq)
{
	struct futex_bucket *b1 = bucket_of(k1), *b2 = bucket_of(k2);
	struct list_head *l, *next;
	int done = 0;
	uint64_t flags;

	lock_two_buckets(b1, b2, &flags);
	for (l = b1->waiters.next; l != &b1->waiters && done < nwake + nreq; l = next) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, node);

		next = l->next;
		if (!key_eq(&w->key, k1))
			continue;
		if (done++ < nwake) {
			wake_one(w);
			continue;
		}
		w->key = *k2;
		if (b1 != b2) {
			list_del(&w->node);
			list_add_tail(&w->node, &b2->waiters);
			w->bucket = b2;
		}
	}
	unlock_two_buckets(b1, b2, flags);
	return done;
}

struct kernel_timespec {
	int64_t sec, nsec;
};

/* The clock_ns() deadline of a futex timeout (0: none). WAIT's is
 * relative; the BITSET wait's absolute, on CLOCK_MONOTONIC or (with
 * FUTEX_CLOCK_REALTIME) CLOCK_REALTIME. -EFAULT, -EINVAL. */
static int futex_deadline(uint64_t uts, int cmd, bool realtime, uint64_t *deadline)
{
	struct kernel_timespec ts;

	*deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, (void *)uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts.sec * 1000000000 + ts.nsec;
	if (cmd == FUTEX_WAIT) {
		*deadline = clock_ns() + ns;
	} else {
		uint64_t off = realtime ? clock_realtime_offset_ns() : 0;
		*deadline = ns > off ? ns - off : 1;      /* already past: time out */
	}
	if (!*deadline)
		*deadline = 1;
	return 0;
}

static int sys_futex_wait(uint64_t uaddr, int cmd, bool private, bool realtime,
			  uint32_t val, uint64_t uts, uint32_t bitset)
{
	struct futex_key k;
	uint64_t deadline;
	int err = futex_key(current->mm, uaddr, private, &k);

	if (!err)
		err = futex_deadline(uts, cmd, realtime, &deadline);
	if (err)
		return err;
	return futex_wait(&k, uaddr, val, bitset, deadline);
}

static int sys_futex_requeue(uint64_t uaddr, int cmd, bool private, int nwake,
			     int nreq, uint64_t uaddr2, uint32_t val3)
{
	struct futex_key k1, k2;
	uint32_t now;
	int err;

	if (nwake < 0 || nreq < 0)
		return -EINVAL;
	if ((err = futex_key(current->mm, uaddr, private, &k1)) ||
	    (err = futex_key(current->mm, uaddr2, private, &k2)))
		return err;
	if (cmd == FUTEX_CMP_REQUEUE) {
		/* Not atomic with the requeue, as Linux's is: see the docs. */
		if (copy_from_user(&now, (void *)uaddr, sizeof(now)))
			return -EFAULT;
		if (now != val3)
			return -EAGAIN;
	}
	return requeue(&k1, &k2, nwake, nreq);
}

/* futex(uaddr, op, val, timeout or val2, uaddr2, val3) */
SYSCALL(futex)
{
	int cmd = (int)(a1 & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME));
	bool private = a1 & FUTEX_PRIVATE_FLAG, realtime = a1 & FUTEX_CLOCK_REALTIME;
	uint32_t val = (uint32_t)a2, bitset = (uint32_t)a5;
	struct futex_key k;
	int err;

	futex_init_once();
	if (realtime && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		bitset = FUTEX_BITSET_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		if (!bitset)
			return -EINVAL;
		return sys_futex_wait(a0, cmd, private, realtime, val, a3, bitset);
	case FUTEX_WAKE:
		bitset = FUTEX_BITSET_ANY;
		/* fall through */
	case FUTEX_WAKE_BITSET:
		if (!bitset)
			return -EINVAL;
		if ((err = futex_key(current->mm, a0, private, &k)))
			return err;
		return wake_key(&k, (int)MIN(val, 0x7fffffffU), bitset);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return sys_futex_requeue(a0, cmd, private, (int)val, (int)a3, a4, bitset);
	}
	return -ENOSYS;
}
