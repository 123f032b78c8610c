/*
 * /proc/PID/numa_maps (kernel/mm/numa_maps.c): where a process's pages
 * are, per VMA and per node, in Linux's format.
 */
#ifndef KERNEL_NUMA_MAPS_H
#define KERNEL_NUMA_MAPS_H

struct pbuf;
struct mm;

struct mempolicy;
/* Write mm's numa_maps into b; task is its process's own memory policy
 * (shown for a VMA without one). Takes and drops mm->lock; returns 0. */
int numa_maps_show(struct pbuf *b, struct mm *mm, const struct mempolicy *task);

#endif
