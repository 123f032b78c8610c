/*
 * jobtest.h: what the job-control tests share (jobtest.c): jobctl (stopping
 * and continuing, the TTY's signals) and pgroups (process groups and
 * sessions).
 */
#ifndef USER_JOBTEST_H
#define USER_JOBTEST_H

#include <sys/types.h>

/* sigaction(sig) to fn with flags, no mask. */
void catch(int sig, void (*fn)(int), int flags);

/* A child that waits for its parent to close or write the pipe p (in a
 * group of its own if own_group). Returns its pid; it exits with the byte
 * read, or 99 at end of file (98: its read failed, e.g. EINTR). */
pid_t waiting_child(const int p[2], int own_group);

/* Sleep ms milliseconds even if signal handlers run meanwhile. */
void nap(int ms);

/* waitpid(pid, options), again after EINTR; the status (-1 if none). */
int wait_for(pid_t pid, int options);

#endif
