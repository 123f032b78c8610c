/*
 * What must happen before the power goes: every file system written back,
 * so that nothing written before power-off is lost. machine_poweroff()
 * calls power_off_prepare() first, except on the panic path: a panic may
 * have stopped other CPUs inside a file system (holding its lock, with
 * half-made changes), and writing that state out could hurt more than it
 * saves; e2fsck repairs what a crash leaves.
 */
#include <kernel/power.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/vfs.h>

void power_off_prepare(void)
{
	if (panic_in_progress())
		return;
	int err = vfs_sync();
	printk("power: file systems synced%s\n", err ? " (with errors)" : "");
}
