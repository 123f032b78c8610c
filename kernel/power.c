/*
 * What must happen before the power goes, in the order Linux's shutdown
 * does it: every user process still running is killed and waited for, so
 * that it lets go of its files (a file unlinked while open is deleted when
 * its last reference goes: its blocks and inode are freed then); then every
 * file system is written back, so that nothing written before power-off is
 * lost and e2fsck finds the disk clean. machine_poweroff() calls
 * power_off_prepare() first, except on the panic path: a panic may have
 * stopped other CPUs inside a file system (holding its lock, with
 * half-made changes), and writing that state out could hurt more than it
 * saves; e2fsck repairs what a crash leaves.
 */
#include <kernel/power.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>

/* Sleeps (waiting for processes to exit): call from a process or kernel
 * thread with no lock held. */
void power_off_prepare(void)
{
	if (panic_in_progress())
		return;
	int ended = 0, left = proc_end_all(&ended);
	if (ended)
		printk("power: killed %d processes\n", ended);
	if (left)
		printk("power: %d processes did not exit: their open files stay allocated\n", left);
	int err = vfs_sync();
	printk("power: file systems synced%s\n", err ? " (with errors)" : "");
}
