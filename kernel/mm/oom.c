/*
 * The OOM killer: when reclaim cannot free memory for a fault, end the
 * process that holds the most (Linux's badness without oom_score_adj and
 * without page-table pages: resident pages plus swap entries), so that the
 * others can go on. Kernel threads (no mm) and init (pid 1) are never
 * chosen. While an earlier victim still holds its memory, nobody else is
 * killed: its exit will free what the next fault needs.
 */
#include <kernel/reclaim.h>
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/signal.h>
#include <kernel/vmstat.h>
#include <kernel/printk.h>
#include <kernel/string.h>

/* oom_lock: victim_pid; one OOM decision at a time. Taken inside
 * nothing; proc_lock is taken inside it. */
static struct spinlock oom_lock = SPINLOCK_INIT("oom");
static int victim_pid;                   /* the last victim, 0: none */

static uint64_t badness(const struct mm *mm)
{
	return READ_ONCE(mm->rss_anon) + READ_ONCE(mm->rss_file) + READ_ONCE(mm->swapents);
}

/* Is the last victim still holding its memory? proc_lock held. */
static bool victim_alive(void)
{
	struct proc *v = victim_pid ? proc_find(victim_pid) : NULL;

	return v && v->mm;
}

/* The process to kill, with its mm referenced; proc_lock held. */
static struct proc *choose(uint64_t *points, struct mm **mm)
{
	struct proc *best = NULL;

	*points = 0;
	proc_for_each(p) {
		if (!p->mm || p->pid <= 1 || p->state == P_ZOMBIE)
			continue;
		uint64_t b = badness(p->mm);
		if (!best || b > *points) {
			best = p;
			*points = b;
		}
	}
	if (best) {
		*mm = best->mm;
		mm_get(*mm);
	}
	return best;
}

/* Linux's report line, in kB. Sizes are read under mm->lock. */
static void report(int pid, const char *name, struct mm *mm)
{
	uint64_t vm = 0;
	struct list_head *l;

	spin_lock(&mm->lock);
	list_for_each(l, &mm->vmas) {
		struct vma *v = list_entry(l, struct vma, node);
		vm += v->end - v->start;
	}
	uint64_t anon = mm->rss_anon, file = mm->rss_file;
	spin_unlock(&mm->lock);
	printk("Out of memory: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, "
	       "file-rss:%lukB, shmem-rss:0kB, UID:0 pgtables:0kB oom_score_adj:0\n",
	       pid, name, vm / 1024, anon * (PAGE_SIZE / 1024), file * (PAGE_SIZE / 1024));
}

bool out_of_memory(void)
{
	char name[PROC_NAME_MAX];
	struct mm *mm = NULL;
	uint64_t points;
	int pid = 0;

	spin_lock(&oom_lock);
	uint64_t flags = spin_lock_irqsave(&proc_lock);
	bool waiting = victim_alive();
	struct proc *v = waiting ? NULL : choose(&points, &mm);
	if (v) {
		pid = victim_pid = v->pid;
		memcpy(name, v->name, sizeof(name));
		signal_send_locked(v, SIGKILL);
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	spin_unlock(&oom_lock);
	if (waiting)
		return true;                  /* the last one is still going */
	if (!v) {
		printk("Out of memory: no process to kill\n");
		return false;
	}
	count_vm_event(OOM_KILL);
	report(pid, name, mm);
	mm_put(mm);
	return true;
}
