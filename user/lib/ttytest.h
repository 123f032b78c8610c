/*
 * ttytest.h: what the terminal tests (termios, ttyflow) share
 * (ttytest.c). On Numbat they drive the console, and the harness types
 * the keys when the test prints a cue ("# type: NAME", USER_TEST_KEYS in
 * tests/cases.py); on Linux they drive a pseudo-terminal of their own and
 * write the keys to its master themselves, so the same checks run on both.
 *
 *   static int tty, master = -1;
 *   if (!is_numbat())
 *           return tty_run_on_pty(run, &tty, &master);
 */
#ifndef USER_TTYTEST_H
#define USER_TTYTEST_H

#include <stddef.h>

/* Type keys: on the pty (master >= 0) write them to its master now;
 * on the console print the cue "# type: name" for the harness. */
void tty_type(int master, const char *name, const char *keys);

/* What the pty's master received in the last 100 ms, as a string in
 * buf (n bytes at most, the terminating zero included). */
const char *tty_output(int master, char *buf, size_t n);

/* Linux: open a pseudo-terminal, and in a child that is a new session
 * with the pty's slave as its controlling terminal (*tty), the master
 * (*master) non-blocking, exit with run(1). Returns the child's exit
 * status (1 if it did not exit). Bails out without a pty. */
int tty_run_on_pty(int (*run)(int keys), int *tty, int *master);

#endif
