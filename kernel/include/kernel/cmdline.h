/*
 * The kernel command line: space-separated words `key` or `key=value`.
 * Every option the kernel knows is listed once, in kernel/cmdline.c; any
 * other word is reported and ignored. Words after `--` belong to init.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <kernel/types.h>

void cmdline_parse(const char *line);
const char *cmdline_get(const char *key);   /* value, "" for a bare flag, or NULL */
bool cmdline_has(const char *key);
/* The words after "--" (at most max of them); returns how many. */
int cmdline_init_args(const char **argv, int max);

#endif
