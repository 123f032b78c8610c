/*
 * Who a process is and how it asks to be treated: user and group ids,
 * supplementary groups, the file-creation mask, the nice value and the
 * prctl settings. Each is a field of struct proc (proc.h) that fork copies.
 *
 * The ids follow Linux's rules for changing them (an effective uid of 0
 * may set any; others may only swap among their real, effective and saved
 * ids) and are reported back. Beyond these calls only swapon, swapoff
 * and setpriority look at them (proc_privileged); every process still
 * has root's file permissions. The nice value is stored and
 * reported; the scheduler does not use it.
 *
 * Locking: a process writes its own fields without a lock (only it reads
 * them), except nice and name, which other processes read or write under
 * proc_lock.
 */
#include <kernel/syscalls.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/usercopy.h>
#include <kernel/errno.h>
#include <kernel/string.h>

#define ID_KEEP ((uint32_t)-1)      /* "leave this id as it is" */

void proc_copy_settings(struct proc *child, const struct proc *parent)
{
	child->cred = parent->cred;
	child->nice = parent->nice;
	child->dumpable = parent->dumpable;
	child->no_new_privs = parent->no_new_privs;
	child->pdeath_sig = 0;          /* as Linux: not inherited */
}

SYSCALL(getuid) { return current->cred.uid[ID_REAL]; }
SYSCALL(geteuid) { return current->cred.uid[ID_EFFECTIVE]; }
SYSCALL(getgid) { return current->cred.gid[ID_REAL]; }
SYSCALL(getegid) { return current->cred.gid[ID_EFFECTIVE]; }

/* umask(2): set the mask (its permission bits), return the old one. */
SYSCALL(umask)
{
	return fs_set_umask(current, a0 & 0777);   /* shared with CLONE_FS */
}

/* ------------------------------------------------------------ ids */

static bool privileged(void) { return proc_privileged(current); }

/* May an unprivileged process take id v, one of its own three? */
static bool own_id(uint32_t v, const uint32_t ids[3])
{
	return v == ids[ID_REAL] || v == ids[ID_EFFECTIVE] || v == ids[ID_SAVED];
}

/*
 * setresuid/setresgid's rule on ids[3] = {real, effective, saved}: each
 * new value other than ID_KEEP must be one of the old three, unless the
 * caller is privileged. All or nothing: 0 or -EPERM.
 */
static int set_res(uint32_t ids[3], uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t want[3] = { r, e, s };

	for (int i = 0; i < 3; i++)
		if (want[i] != ID_KEEP && !privileged() && !own_id(want[i], ids))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (want[i] != ID_KEEP)
			ids[i] = want[i];
	return 0;
}

/* setreuid/setregid: the real id may become the old real or effective
 * one, the effective any of the three; the saved id follows the new
 * effective one when the real id is set or the effective one differs
 * from the old real id (Linux's rule). */
static int set_re(uint32_t ids[3], uint32_t r, uint32_t e)
{
	uint32_t old[3] = { ids[ID_REAL], ids[ID_EFFECTIVE], ids[ID_SAVED] };

	if (r != ID_KEEP && !privileged() && r != old[ID_REAL] && r != old[ID_EFFECTIVE])
		return -EPERM;
	if (e != ID_KEEP && !privileged() && !own_id(e, old))
		return -EPERM;
	if (r != ID_KEEP)
		ids[ID_REAL] = r;
	if (e != ID_KEEP)
		ids[ID_EFFECTIVE] = e;
	if (r != ID_KEEP || (e != ID_KEEP && e != old[ID_REAL]))
		ids[ID_SAVED] = ids[ID_EFFECTIVE];
	return 0;
}

/* setuid/setgid: privileged, all three; else the effective id only, to
 * the real or saved one. */
static int set_one(uint32_t ids[3], uint32_t v)
{
	if (v == ID_KEEP)
		return -EINVAL;
	if (privileged()) {
		ids[ID_REAL] = ids[ID_EFFECTIVE] = ids[ID_SAVED] = v;
		return 0;
	}
	if (v != ids[ID_REAL] && v != ids[ID_SAVED])
		return -EPERM;
	ids[ID_EFFECTIVE] = v;
	return 0;
}

#define UIDS(c) ((c)->uid)
#define GIDS(c) ((c)->gid)

SYSCALL(setuid) { return set_one(UIDS(&current->cred), (uint32_t)a0); }
SYSCALL(setgid) { return set_one(GIDS(&current->cred), (uint32_t)a0); }
SYSCALL(setreuid) { return set_re(UIDS(&current->cred), (uint32_t)a0, (uint32_t)a1); }
SYSCALL(setregid) { return set_re(GIDS(&current->cred), (uint32_t)a0, (uint32_t)a1); }

SYSCALL(setresuid)
{
	return set_res(UIDS(&current->cred), (uint32_t)a0, (uint32_t)a1, (uint32_t)a2);
}

SYSCALL(setresgid)
{
	return set_res(GIDS(&current->cred), (uint32_t)a0, (uint32_t)a1, (uint32_t)a2);
}

/* getresuid/getresgid: three unsigned ints to three user pointers. */
static int get_res(const uint32_t ids[3], uint64_t r, uint64_t e, uint64_t s)
{
	if (copy_to_user((void *)r, &ids[ID_REAL], 4) || copy_to_user((void *)e, &ids[ID_EFFECTIVE], 4) ||
	    copy_to_user((void *)s, &ids[ID_SAVED], 4))
		return -EFAULT;
	return 0;
}

SYSCALL(getresuid) { return get_res(UIDS(&current->cred), a0, a1, a2); }
SYSCALL(getresgid) { return get_res(GIDS(&current->cred), a0, a1, a2); }

/* getgroups(size, list): the count; with size 0 only the count; -EINVAL
 * if size is smaller than the count. */
SYSCALL(getgroups)
{
	struct proc_cred *c = &current->cred;

	if ((int)a0 < 0)
		return -EINVAL;
	if (a0 == 0)
		return c->ngroups;
	if ((int)a0 < c->ngroups)
		return -EINVAL;
	if (copy_to_user((void *)a1, c->groups, c->ngroups * sizeof(uint32_t)))
		return -EFAULT;
	return c->ngroups;
}

/* Insertion sort: Linux keeps the groups sorted, and getgroups shows it. */
static void sort_ids(uint32_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint32_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* setgroups: privileged only (-EPERM); Numbat keeps PROC_NGROUPS_MAX
 * groups (-EINVAL beyond; Linux's limit is 65536). */
SYSCALL(setgroups)
{
	uint32_t g[PROC_NGROUPS_MAX];

	if ((int)a0 < 0 || a0 > PROC_NGROUPS_MAX)
		return -EINVAL;
	if (!privileged())
		return -EPERM;
	if (copy_from_user(g, (void *)a1, a0 * sizeof(uint32_t)))
		return -EFAULT;
	sort_ids(g, (int)a0);
	memcpy(current->cred.groups, g, a0 * sizeof(uint32_t));
	current->cred.ngroups = (int)a0;
	return 0;
}
