/*
 * robust: robust futex lists (set_robust_list, get_robust_list). When a
 * thread dies holding a lock on its robust list, the kernel marks the
 * lock's word FUTEX_OWNER_DIED and wakes one waiter:
 *
 *  - a hand-made list: a thread (raw clone, so no C library cleans up
 *    for it) registers three words, one it owns with a waiter, one owned
 *    by another thread, and one it owns as list_op_pending, then exits;
 *    the waiter wakes, its word says OWNER_DIED, the pending one too, and
 *    the other thread's is untouched;
 *  - a process-shared robust pthread mutex in MAP_SHARED memory, held by
 *    a child process that exits: the parent's lock gets EOWNERDEAD;
 *  - a private robust mutex held by a thread that calls pthread_exit
 *    (musl cleans its own list in user space; glibc leaves it to the
 *    kernel: user/glibc/robust-glibc.c is this file built with glibc).
 * And the calls' errors: a wrong len is EINVAL, an unknown pid ESRCH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define WAITERS    0x80000000U
#define OWNER_DIED 0x40000000U
#define TID_MASK   0x3fffffffU

struct head {
	void *next;
	long futex_offset;
	void *pending;
};

struct entry {
	void *next;
	volatile uint32_t word;
};

static struct head head;
static struct entry mine, other, pend;
static volatile int ready, tid;
static void *got_head;
static size_t got_len;
static char stack[64 * 1024] __attribute__((aligned(16)));

static long futex(volatile uint32_t *w, int op, uint32_t val, const struct timespec *t)
{
	return syscall(SYS_futex, w, op, val, t, NULL, 0);
}

/* The raw-clone thread: builds its list, says so, waits a little (so the
 * main thread is asleep on `mine`) and exits holding everything. */
static int dying(void *arg)
{
	(void)arg;
	int me = (int)syscall(SYS_gettid);

	mine.word = me | WAITERS;
	other.word = ((me + 1) & TID_MASK) | WAITERS;
	pend.word = me;
	head = (struct head){ &mine, offsetof(struct entry, word), &pend };
	mine.next = &other;
	other.next = &head;
	syscall(SYS_set_robust_list, &head, sizeof(head));
	syscall(SYS_get_robust_list, 0, &got_head, &got_len);
	tid = me;
	ready = 1;
	futex((volatile uint32_t *)&ready, FUTEX_WAKE, 1, NULL);
	struct timespec t = { 0, 100 * 1000 * 1000 };
	syscall(SYS_nanosleep, &t, NULL);
	return 0;                        /* the clone wrapper calls exit */
}

static void hand_made(void)
{
	volatile pid_t ctid = -1;       /* the kernel clears it after the robust list */
	pid_t ptid;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

	if (clone(dying, stack + sizeof(stack), flags, NULL, &ptid, NULL, &ctid) < 0)
		ktap_bail("clone");
	while (!ready)
		futex((volatile uint32_t *)&ready, FUTEX_WAIT, 0, NULL);
	ok(got_head == &head && got_len == sizeof(head),
	   "get_robust_list gives back the head and its size");
	struct timespec t = { 5, 0 };
	long r = futex(&mine.word, FUTEX_WAIT, tid | WAITERS, &t);
	int e = errno;
	ok(r == 0 || (r == -1 && e == EAGAIN),
	   "the waiter on the dead owner's lock wakes (%s)", r == 0 ? "woken" :
	   e == EAGAIN ? "the word changed first" : strerror(e));
	while (ctid)                     /* the thread is gone for good */
		futex((volatile uint32_t *)&ctid, FUTEX_WAIT, ctid, NULL);
	ok(mine.word == (OWNER_DIED | WAITERS), "its word: OWNER_DIED|WAITERS (%#x)",
	   mine.word);
	ok(pend.word == OWNER_DIED, "list_op_pending's word: OWNER_DIED (%#x)", pend.word);
	ok(other.word == (((tid + 1) & TID_MASK) | WAITERS),
	   "another owner's word on the list is left alone");
}

static pthread_mutex_t *robust_mutex(void *where, int pshared)
{
	pthread_mutexattr_t a;
	pthread_mutex_t *m = where;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&a, pshared);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return m;
}

/* Lock m within 5 s; EOWNERDEAD is made consistent. The lock's result. */
static int lock_soon(pthread_mutex_t *m)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 5;
	int r = pthread_mutex_timedlock(m, &t);
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(m);
	return r;
}

static void shared_process(void)
{
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		ktap_bail("mmap");
	pthread_mutex_t *m = robust_mutex(mem, PTHREAD_PROCESS_SHARED);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(m);
		_exit(0);                    /* dies holding it */
	}
	waitpid(pid, NULL, 0);
	int r = lock_soon(m);
	ok(r == EOWNERDEAD, "a process died holding a shared robust mutex: EOWNERDEAD (%s)",
	   strerror(r));
	ok(pthread_mutex_unlock(m) == 0 && lock_soon(m) == 0 && pthread_mutex_unlock(m) == 0,
	   "made consistent, it locks and unlocks again");
	munmap(mem, 4096);
}

static pthread_mutex_t priv;

static void *hold_and_exit(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&priv);
	pthread_exit(NULL);
}

static void private_thread(void)
{
	pthread_t t;

	robust_mutex(&priv, PTHREAD_PROCESS_PRIVATE);
	pthread_create(&t, NULL, hold_and_exit, NULL);
	pthread_join(t, NULL);
	int r = lock_soon(&priv);
	ok(r == EOWNERDEAD, "a thread exited holding a robust mutex: EOWNERDEAD (%s)",
	   strerror(r));
	pthread_mutex_unlock(&priv);
}

int main(void)
{
	void *h;
	size_t len;

	ktap_plan("robust", 10);
	ok_errno(syscall(SYS_set_robust_list, &head, sizeof(head) - 1), EINVAL,
		 "set_robust_list with a wrong len: EINVAL");
	ok_errno(syscall(SYS_get_robust_list, 0x3ffffff0, &h, &len), ESRCH,
		 "get_robust_list of no such thread: ESRCH");
	hand_made();
	shared_process();
	private_thread();
	return ktap_done();
}
