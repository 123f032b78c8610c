/*
 * poll(2), ppoll(2), select(2) and pselect6(2): wait for any of many files
 * to become ready, with a timeout, as Linux does.
 *
 * Readiness comes from each file's driver (file_ops->poll: pipes, the
 * console TTY); a file without one is always ready. The caller sleeps on
 * every file's wait queue at once:
 *
 *   1. pass 0: ask every file; each driver joins its queue (poll_wait ->
 *      waitq_add), still RUNNING;
 *   2. loop: become SLEEPING, ask every file again, and schedule() only
 *      if none is ready, no signal is pending and time is left.
 *
 * No wake-up is lost: a driver changes its state and then wakes its queue.
 * An event before step 2's state change is seen by step 2's re-check; an
 * event after it finds us on the queue and SLEEPING, and makes us
 * RUNNING, so schedule() returns at once. (Joining a queue must not set
 * SLEEPING itself: a wake-up between two joins would be undone by the
 * second one.)
 *
 * Locking: none held across the wait; each queue's own lock guards its
 * list. The files are held (a reference each) until every queue has been
 * left, so no queue is freed under us (a pipe frees its queue with its
 * last file). No user copy happens with a lock held.
 */
#include <kernel/poll.h>
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/fdtable.h>
#include <kernel/slab.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define POLL_RETRY_NS 10000000ULL   /* re-poll period when the table overflowed */
#define NS_PER_SEC 1000000000LL
#define SIGSET_SIZE 8

/* Select's sets in poll bits, as Linux's POLLIN_SET ... (fs/select.c). */
#define SEL_IN  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SEL_EX  (POLLPRI)

/* One file being waited for. */
struct poll_fd {
	int fd;
	struct file *f;            /* with a reference, or NULL */
	uint32_t events;           /* bits that count as ready */
	uint32_t revents;
};

struct kernel_timespec {
	int64_t sec, nsec;
};

void poll_wait(struct poll_table *pt, struct waitq *wq)
{
	if (!pt)
		return;
	if (pt->n >= pt->max) {
		pt->overflow = true;
		return;
	}
	struct poll_entry *e = &pt->e[pt->n++];

	e->wq = wq;
	e->w = (struct waiter){ 0 };
	waitq_add(wq, &e->w);
}

/* Ask every file; count those with a wanted bit. pt: join their queues. */
static int poll_scan(struct poll_fd *pf, int n, struct poll_table *pt)
{
	int ready = 0;

	for (int i = 0; i < n; i++) {
		uint32_t m;

		if (!pf[i].f)
			m = pf[i].fd < 0 ? 0 : POLLNVAL;
		else if (pf[i].f->ops->poll)
			m = pf[i].f->ops->poll(pf[i].f, pt);
		else
			m = POLL_DEFAULT_MASK;
		pf[i].revents = m & pf[i].events;
		ready += pf[i].revents != 0;
	}
	return ready;
}

/* Leave every queue the table joined. */
static void poll_table_free(struct poll_table *pt)
{
	for (int i = 0; i < pt->n; i++)
		waitq_finish(pt->e[i].wq, &pt->e[i].w);
	kfree(pt->e);
}

/*
 * Wait until one of pf[0..n) is ready, a signal is pending or the clock
 * passes deadline (SCHED_FOREVER: never; 0: do not wait). Returns how many
 * are ready (revents filled in), 0 on timeout, -EINTR, -ENOMEM. The caller
 * holds references on the files and no lock; may sleep.
 */
static int poll_many(struct poll_fd *pf, int n, uint64_t deadline)
{
	struct poll_table pt = { .max = n + 1 };

	pt.e = kmalloc(sizeof(*pt.e) * pt.max);
	if (!pt.e)
		return -ENOMEM;
	int ready = poll_scan(pf, n, deadline ? &pt : NULL);

	while (!ready && deadline) {
		sched_set_state_sleeping();
		ready = poll_scan(pf, n, NULL);
		if (ready)
			break;
		if (signal_pending(current)) {
			ready = -EINTR;
			break;
		}
		uint64_t now = clock_ns();
		if (now >= deadline)
			break;
		sched_sleep_until(pt.overflow ? MIN(deadline, now + POLL_RETRY_NS) : deadline);
	}
	poll_table_free(&pt);
	sched_wakeup(current);      /* RUNNING again, whichever way we left */
	return ready;
}

/* The deadline for a timeout of ts from now (NULL: forever). */
static uint64_t deadline_of(const struct kernel_timespec *ts)
{
	if (!ts)
		return SCHED_FOREVER;
	if (!ts->sec && !ts->nsec)
		return 0;
	return clock_ns() + (uint64_t)ts->sec * NS_PER_SEC + ts->nsec;
}

/* Write the time left until deadline back to the user's timespec (Linux
 * does, for ppoll and pselect6); a failed copy is ignored, as Linux. */
static void put_time_left(void *uts, uint64_t deadline, bool timeval)
{
	uint64_t now = clock_ns(), left = deadline > now ? deadline - now : 0;
	struct kernel_timespec ts = { left / NS_PER_SEC, left % NS_PER_SEC };

	if (!uts || deadline == SCHED_FOREVER)
		return;
	if (timeval)
		ts.nsec /= 1000;
	copy_to_user(uts, &ts, sizeof(ts));
}

/* Look up the files of pf[0..n); a closed fd leaves f NULL. */
static void poll_get_files(struct poll_fd *pf, int n)
{
	for (int i = 0; i < n; i++)
		pf[i].f = pf[i].fd < 0 ? NULL : fd_get(current->fdt, pf[i].fd);
}

static void poll_put_files(struct poll_fd *pf, int n)
{
	for (int i = 0; i < n; i++)
		if (pf[i].f)
			file_put(pf[i].f);
}

/* struct pollfd as user space has it. */
struct pollfd {
	int fd;
	int16_t events, revents;
};

/*
 * poll's body: copy the array in, wait, copy the revents out. Returns the
 * number of entries with revents, 0 on timeout, or -EINVAL (nfds over
 * RLIMIT_NOFILE), -EFAULT, -EINTR, -ENOMEM.
 */
static int do_poll(struct pollfd *ufds, uint64_t nfds, uint64_t deadline)
{
	if (nfds > FD_MAX)
		return -EINVAL;
	struct pollfd *k = kmalloc(sizeof(*k) * nfds + 1);
	struct poll_fd *pf = kmalloc(sizeof(*pf) * nfds + 1);
	int r = -ENOMEM;

	if (!k || !pf)
		goto out;
	r = -EFAULT;
	if (copy_from_user(k, ufds, sizeof(*k) * nfds))
		goto out;
	for (uint64_t i = 0; i < nfds; i++) {
		pf[i].fd = k[i].fd;
		pf[i].events = (uint16_t)k[i].events | POLLERR | POLLHUP | POLLNVAL;
	}
	poll_get_files(pf, nfds);
	r = poll_many(pf, nfds, deadline);
	poll_put_files(pf, nfds);
	for (uint64_t i = 0; i < nfds && r >= 0; i++)
		k[i].revents = pf[i].revents;
	if (r >= 0 && copy_to_user(ufds, k, sizeof(*k) * nfds))
		r = -EFAULT;
out:
	kfree(k);
	kfree(pf);
	return r;
}

/* A wait cut short by a signal: restarted unless a handler runs (the
 * time left is in the user's timespec by then), as Linux. */
static int restart_code(int r)
{
	return r == -EINTR ? -ERESTARTNOHAND : r;
}

/* poll(fds, nfds, timeout_ms): a negative timeout waits forever. With a
 * timeout, a signal gives EINTR even without a handler (Linux restarts it
 * with the time left, which Numbat does not keep). */
SYSCALL(poll)
{
	int ms = (int)a2;
	struct kernel_timespec ts = { ms / 1000, (int64_t)(ms % 1000) * 1000000 };
	int r = do_poll((struct pollfd *)a0, a1, deadline_of(ms < 0 ? NULL : &ts));

	return ms < 0 ? restart_code(r) : r;
}

/* The timespec at uts (NULL: none) into *ts; -EFAULT or -EINVAL. */
static int get_timeout(const void *uts, struct kernel_timespec *ts)
{
	if (!uts)
		return 0;
	if (copy_from_user(ts, uts, sizeof(*ts)))
		return -EFAULT;
	if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= NS_PER_SEC)
		return -EINVAL;
	return 0;
}

/* The mask at umask (NULL: keep) becomes the caller's for the call;
 * *old gets the one to put back. -EINVAL (size), -EFAULT. */
static int swap_in_mask(const void *umask, uint64_t size, uint64_t *old)
{
	uint64_t set;

	*old = current->sigmask;
	if (!umask)
		return 0;
	if (size != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&set, umask, sizeof(set)))
		return -EFAULT;
	signal_set_mask(set);
	return 0;
}

/* ppoll(fds, nfds, tsp, sigmask, sigsetsize) */
SYSCALL(ppoll)
{
	struct kernel_timespec ts;
	uint64_t old;
	int r = get_timeout((void *)a2, &ts);

	if (!r)
		r = swap_in_mask((void *)a3, a4, &old);
	if (r)
		return r;
	uint64_t deadline = deadline_of(a2 ? &ts : NULL);
	r = restart_code(do_poll((struct pollfd *)a0, a1, deadline));
	if (a2)
		put_time_left((void *)a2, deadline, false);
	signal_restore_mask(old, r == -ERESTARTNOHAND);
	return r;
}

/* ---- select ---- */

#define BITS_PER_WORD 64
#define SET_WORDS(n) (((n) + BITS_PER_WORD - 1) / BITS_PER_WORD)

/* The three fd_sets of a select call, in the kernel. */
struct fd_sets {
	uint64_t in[SET_WORDS(FD_MAX)], out[SET_WORDS(FD_MAX)], ex[SET_WORDS(FD_MAX)];
};

static bool set_has(const uint64_t *s, int fd)
{
	return (s[fd / BITS_PER_WORD] >> (fd % BITS_PER_WORD)) & 1;
}

static void set_add(uint64_t *s, int fd)
{
	s[fd / BITS_PER_WORD] |= 1ULL << (fd % BITS_PER_WORD);
}

/* Copy in one set (NULL: empty); -EFAULT. */
static int get_set(uint64_t *k, const void *u, int nfds)
{
	memset(k, 0, sizeof(uint64_t) * SET_WORDS(FD_MAX));
	if (u && copy_from_user(k, u, sizeof(uint64_t) * SET_WORDS(nfds)))
		return -EFAULT;
	return 0;
}

/* One poll_fd per fd named in any set, with its file; -EBADF if one is
 * not open (pf's files are put back then). Returns how many. */
static int sets_to_pfds(const struct fd_sets *s, int nfds, struct poll_fd *pf)
{
	int n = 0;

	for (int fd = 0; fd < nfds; fd++) {
		uint32_t ev = (set_has(s->in, fd) ? SEL_IN : 0) |
			      (set_has(s->out, fd) ? SEL_OUT : 0) |
			      (set_has(s->ex, fd) ? SEL_EX : 0);
		if (!ev)
			continue;
		pf[n] = (struct poll_fd){ .fd = fd, .events = ev };
		pf[n].f = fd_get(current->fdt, fd);
		if (!pf[n].f) {
			poll_put_files(pf, n);
			return -EBADF;
		}
		n++;
	}
	return n;
}

/* The results back into the sets (each one only where it was asked);
 * returns the number of bits set, as select does. */
static int pfds_to_sets(const struct poll_fd *pf, int n, struct fd_sets *s)
{
	struct fd_sets asked = *s;
	int bits = 0;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++) {
		int fd = pf[i].fd;
		uint32_t r = pf[i].revents;

		if (set_has(asked.in, fd) && (r & SEL_IN))
			set_add(s->in, fd), bits++;
		if (set_has(asked.out, fd) && (r & SEL_OUT))
			set_add(s->out, fd), bits++;
		if (set_has(asked.ex, fd) && (r & SEL_EX))
			set_add(s->ex, fd), bits++;
	}
	return bits;
}

/* Copy the result sets out to the user's non-NULL ones; -EFAULT. */
static int put_sets(const struct fd_sets *s, void *const u[3], int nfds)
{
	const uint64_t *k[3] = { s->in, s->out, s->ex };

	for (int i = 0; i < 3; i++)
		if (u[i] && copy_to_user(u[i], k[i], sizeof(uint64_t) * SET_WORDS(nfds)))
			return -EFAULT;
	return 0;
}

/*
 * select's body: nfds is clipped to the descriptor limit (as Linux clips
 * it to the table's size). Returns the bits set, 0 on timeout, -EBADF (a
 * set names a closed fd), -EFAULT, -EINTR, -ENOMEM.
 */
static int do_select(int nfds, void *const u[3], uint64_t deadline)
{
	struct fd_sets *s = kmalloc(sizeof(*s));
	struct poll_fd *pf = kmalloc(sizeof(*pf) * FD_MAX);
	int r = -ENOMEM;

	nfds = MIN(nfds, FD_MAX);
	if (!s || !pf)
		goto out;
	r = get_set(s->in, u[0], nfds);
	if (!r)
		r = get_set(s->out, u[1], nfds);
	if (!r)
		r = get_set(s->ex, u[2], nfds);
	int n = r ? r : sets_to_pfds(s, nfds, pf);
	if (n < 0) {
		r = n;
		goto out;
	}
	r = poll_many(pf, n, deadline);
	poll_put_files(pf, n);
	if (r >= 0) {
		r = pfds_to_sets(pf, n, s);
		if (put_sets(s, u, nfds))
			r = -EFAULT;
	}
out:
	kfree(s);
	kfree(pf);
	return r;
}

struct kernel_timeval {
	int64_t sec, usec;
};

/* select(nfds, readfds, writefds, exceptfds, timeout): the timeval gets
 * the time left, as Linux writes it back. */
SYSCALL(select)
{
	void *const u[3] = { (void *)a1, (void *)a2, (void *)a3 };
	struct kernel_timeval tv;
	struct kernel_timespec ts;

	if ((int)a0 < 0)
		return -EINVAL;
	if (a4 && copy_from_user(&tv, (void *)a4, sizeof(tv)))
		return -EFAULT;
	if (a4) {
		ts.sec = tv.sec + tv.usec / 1000000;
		ts.nsec = (tv.usec % 1000000) * 1000;
		if (ts.sec < 0 || ts.nsec < 0)
			return -EINVAL;
	}
	uint64_t deadline = deadline_of(a4 ? &ts : NULL);
	int r = restart_code(do_select((int)a0, u, deadline));
	if (a4)
		put_time_left((void *)a4, deadline, true);
	return r;
}

/* pselect6(nfds, r, w, e, timespec, {const sigset_t *ss; size_t len} *) */
SYSCALL(pselect6)
{
	void *const u[3] = { (void *)a1, (void *)a2, (void *)a3 };
	struct kernel_timespec ts;
	struct { uint64_t set, size; } sig = { 0, SIGSET_SIZE };
	uint64_t old;

	if ((int)a0 < 0)
		return -EINVAL;
	int r = get_timeout((void *)a4, &ts);
	if (!r && a5 && copy_from_user(&sig, (void *)a5, sizeof(sig)))
		r = -EFAULT;
	if (!r)
		r = swap_in_mask((void *)sig.set, sig.size, &old);
	if (r)
		return r;
	uint64_t deadline = deadline_of(a4 ? &ts : NULL);
	r = restart_code(do_select((int)a0, u, deadline));
	if (a4)
		put_time_left((void *)a4, deadline, false);
	signal_restore_mask(old, r == -ERESTARTNOHAND);
	return r;
}
