#!/bin/sh
# Run a user program under strace on the Linux host and list the system
# calls it makes that Numbat doesn't implement (docs/design.md 6: those return
# ENOSYS there). rt_sigreturn is listed apart: it is how a signal handler
# returns, so the kernel needs it as soon as it runs handlers.
#
#   sh user/check-syscalls.sh build/rootfs/tests/cow [args...]
#
# Prints "NAME: ok" or "NAME: not in Numbat's list: a b c".
set -eu
allowed=" read write readv writev pread64 pwrite64 open openat close lseek stat
fstat lstat newfstatat getdents64 access mkdir rmdir unlink rename link symlink
readlink chdir getcwd dup dup2 dup3 pipe pipe2 fcntl ioctl mmap munmap mprotect
brk madvise msync fork vfork execve exit exit_group wait4 kill getpid getppid
gettid uname arch_prctl set_tid_address clock_gettime nanosleep sched_yield
sched_setaffinity sched_getaffinity getcpu rt_sigaction rt_sigprocmask getuid
geteuid getgid getegid sync fsync mknod mknodat swapon swapoff umask chmod
fchmod fchmodat chown fchown lchown fchownat utimensat futimesat utimes utime
faccessat faccessat2 statfs fstatfs sysinfo getgroups setgroups setuid setgid
setreuid setregid setresuid getresuid setresgid getresgid getpriority
setpriority time gettimeofday clock_getres clock_nanosleep preadv pwritev
preadv2 pwritev2 fdatasync sendfile copy_file_range prctl getrusage times clone futex
rt_sigsuspend tgkill tkill set_robust_list poll ppoll select pselect6
rt_sigtimedwait rt_sigpending alarm setitimer getitimer setsid setpgid getpgid
getpgrp getsid sigaltstack get_robust_list mremap "
allowed=$(echo $allowed)
log=$(mktemp)
strace -f -qq -o "$log" "$@" >/dev/null 2>&1 || true
used=$(sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p; s/^[0-9]* *<\.\.\. \([a-z_0-9]*\) resumed>.*/\1/p' "$log" | sort -u)
rm -f "$log"
extra=""
for s in $used; do
	case " $allowed " in
	*" $s "*) ;;
	*) extra="$extra $s" ;;
	esac
done
echo "$(basename "$1"):${extra:+ not in Numbat's list:}${extra:- ok} (uses: $(echo $used))"
