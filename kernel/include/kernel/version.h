/*
 * What Numbat calls itself. uname(2) reports Linux's system name and a
 * Linux release number, as Linux-compatible layers do (WSL, gVisor):
 * programs and C libraries check them (glibc refuses to start on a kernel
 * older than it supports; scripts test `uname -s` = Linux). Numbat's own
 * name and version stay visible in uname's version field and in
 * /proc/version.
 */
#ifndef KERNEL_VERSION_H
#define KERNEL_VERSION_H

#define UTS_SYSNAME  "Linux"
#define UTS_NODENAME "numbat"
#define UTS_RELEASE  "6.1.0-numbat"        /* the Linux ABI it follows: 6.1 */
#define NUMBAT_VERSION "0.1.0"
#define UTS_VERSION  "#1 SMP NUMA Numbat " NUMBAT_VERSION
#define UTS_MACHINE  "x86_64"
#define UTS_DOMAINNAME "(none)"

#endif
