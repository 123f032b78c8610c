#!/usr/bin/env python3
"""GDB walkthroughs that the harness runs, so that the ones in the docs stay
true. Each Session is one `make qemu-gdb` boot with its own kernel command
line, driven by a batch-mode GDB (build/gdbinit's setup, then the session's
commands); then every regex of `expect` must match a line of GDB's output,
in order, and no helper may end in a Python traceback. tests/cases.py turns
each session into a case `gdb-NAME` (kind="gdb").

    python3 tests/gdb_check.py              # list the sessions
    python3 tests/gdb_check.py NAME         # run one (after `make all`) and
                                            # print its transcript; exit 0 = pass

The transcript echoes each command as `(gdb) COMMAND`, so it reads like an
interactive session: the docs quote these transcripts.
"""
import os
import random
import re
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Node, Topology, check  # noqa: E402
from ktap import FAIL, clean_lines  # noqa: E402
from qemu import ROOT, kernel_elf, kill_group, make_args, make_env, wait_listening  # noqa: E402

SESSION_TIMEOUT = 60          # seconds, for the boot and the whole GDB session
CUR = "cpus[$_thread-1].rq.curr"   # the process on the CPU GDB stopped on
LOOPBACK = "0100007F"         # 127.0.0.1 as /proc/net/tcp writes it


@dataclass
class Session:
    name: str
    cmdline: str                  # the kernel command line (CMDLINE=)
    commands: list                # GDB commands after build/gdbinit's setup
    expect: list                  # (what, regex): lines that must appear, in order
    doc: str = ""                 # the doc that quotes it (tests/test_gdb_docs.py)
    make: dict = field(default_factory=dict)   # more Make variables (NODES, ...)
    agree: object = None          # fn(serial lines, gdb lines) -> [Result]: cross-checks
    timeout: float = SESSION_TIMEOUT


STOP = r"(Thread \d+ hit )?(Temporary breakpoint|Breakpoint) \d+, (0x[0-9a-f]+ in )?"


def bad(cmd, why):
    """An expectation: `cmd` refused with a message (no traceback)."""
    return (f"{cmd} is refused: {why}", rf"^{re.escape(cmd.split()[0])}: .*{why}")


def after(cmd):
    """An expectation: the transcript reaches command `cmd` (an anchor, so
    that the next expectation is looked for in that command's output)."""
    return (f"runs '{cmd}'", "^" + re.escape("(gdb) " + cmd) + "$")


SESSIONS = [
    # (a) The first GDB session of docs/debugging.md section 1.
    Session("pmm-init", "", ["break pmm_init", "continue", "bt"], [
        ("gdb stops in pmm_init", STOP + r"pmm_init \("),
        ("the backtrace shows kmain", r"^#\d+\s.*\bkmain\b"),
    ], doc="docs/debugging.md"),
    # (d) docs/debugging.md section 4: 32-bit boot code, then C.
    Session("32to64", "", ["hbreak _start", "continue", "p/x $eax", "break pmm_init",
                           "continue", "bt"], [
        ("hbreak stops in _start (32-bit code)", STOP + r"_start \(\)"),
        ("eax holds the multiboot2 magic", r"^\$1 = 0x36d76289$"),
        ("then stops in pmm_init", STOP + r"pmm_init \("),
        ("the backtrace ends at kmain and frame 0", r"^#\d+\s.*\bkmain\b"),
        ("... whose caller is address 0", r"^#\d+\s+0x0+ in \?\? \(\)"),
    ], doc="docs/debugging.md"),
    # (b) Every helper on a booted system: /bin/nodes runs as init and
    # stops as it exits.
    Session("helpers", "init=/bin/nodes poweroff", [
        "break sys_exit_group", "continue", "numa-nodes", "buddy-free 1",
        "procs", f"vmas {CUR}->pid", f"ptwalk {CUR}->pid 0x401000",
        "page $ptwalk_pfn", "rmap $ptwalk_pfn", "ptwalk 1 0x7ffffffdf000",
    ], [
        ("stops in sys_exit_group", STOP + r"sys_exit_group \("),
        ("numa-nodes: node 0", r"^node 0: cpus 0x3 present \d+ pages, free \d+, mem_map 0x"),
        ("numa-nodes: node 1", r"^node 1: cpus 0xc present \d+ pages, free \d+, mem_map 0x"),
        ("buddy-free 1: order 0", r"^order  0 \(    4 KiB\):\s+\d+ free"),
        ("buddy-free 1: order 10, with first frames", r"^order 10 \( 4096 KiB\):\s+\d+ free\s+0x1\w+"),
        ("buddy-free 1: totals agree", r"^free pages (\d+) \(node says \1\)$"),
        ("procs: header", r"^\s*pid state\s+cpu name\s+mm$"),
        ("procs: flush is a kernel thread (mm 0)", r"^\s*\d+ \w+\s+\d+ flush\s+0x0$"),
        ("procs: init is pid 1, running /bin/nodes", r"^\s*1 RUNNING\s+\d+ nodes\s+0xffff8"),
        ("vmas: the text, r-x private file", r"^\s*0x0+401000-0x0+4\w+ r-x private file ino \d+"),
        ("vmas: the stack grows down", r" rw- private anon\s+pgoff 0x0 growsdown$"),
        ("ptwalk: the PML4 line", r"^\s*PML4\[\s*0\] = 0x\w+\s+P\|W\|U.*-> table 0x"),
        ("ptwalk: the PT line names a frame", r"^\s*PT\s*\[\s*1\] = 0x\w+\s+P\|U.*-> frame 0x"),
        ("page: a page-cache page", r"^\s*flags 0x\w+ .*pcache"),
        ("page: counts", r"^\s*refcount \d+ mapcount 1 lockbits 0x0 -$"),
        ("page: the direct PTE", r"^\s*direct\s+pte@0x\w+ = 0x\w+\s+mm 0xffff8\w+\s+va 0x401000$"),
        ("rmap: the same direct PTE", r"^\s*direct\s+pte@0x\w+ = 0x\w+\s+mm 0xffff8\w+\s+va 0x401000$"),
        ("ptwalk: an untouched stack page is empty", r"^\s*PT\s*\[\s*\d+\] = 0x0+\s+empty$"),
        ("... and not mapped", r"^\s*0x7ffffffdf000 is not mapped$"),
    ], doc="docs/debugging.md"),
    # (b) The same, with bad or missing arguments: each is refused with a
    # usage line, none reads past an array or ends in a traceback.
    Session("helpers-bad", "init=/bin/nodes poweroff", [
        "break sys_exit_group", "continue",
        "buddy-free", "buddy-free 16", "buddy-free 15", "buddy-free x", "procs 1",
        "vmas", "vmas 9999", "vmas 2", "ptwalk 1", "ptwalk 1 0x800000000000", "ptwalk 2 0",
        "page -1", "page 0x7fffffffff", "rmap", "rmap zz", "numa-nodes 3",
    ], [
        ("stops in sys_exit_group", STOP + r"sys_exit_group \("),
        bad("buddy-free", "expected 1 argument, got 0"),
        ("... with a usage line", r"^usage: buddy-free NODE"),
        bad("buddy-free 16", r"no node 16 \(online nodes: 0 1\)"),
        bad("buddy-free 15", r"no node 15 \(online nodes: 0 1\)"),
        bad("buddy-free x", "NODE 'x' is not a number"),
        bad("procs 1", "expected 0 arguments, got 1"),
        bad("vmas", "expected 1 argument, got 0"),
        bad("vmas 9999", "no process with pid 9999"),
        bad("vmas 2", "is a kernel thread"),
        bad("ptwalk 1", "expected 2 arguments, got 1"),
        bad("ptwalk 1 0x800000000000", "is not a canonical address"),
        bad("ptwalk 2 0", "is a kernel thread"),
        bad("page -1", "pfn -0x1 has no struct page"),
        bad("page 0x7fffffffff", r"pfn 0x7fffffffff has no struct page \(node 0 0x"),
        bad("rmap", "expected 1 argument, got 0"),
        bad("rmap zz", "PFN 'zz' is not a number"),
        bad("numa-nodes 3", "expected 0 arguments, got 1"),
    ]),
    # (c) docs/rmap.md: init has forked the shell, and the child stops in
    # execve: until the exec, both map the same page-cache page of
    # /bin/init's text. Found with ptwalk, then its two PTEs (a pair) with rmap.
    Session("rmap", "", [
        "break sys_execve", "continue", "procs", f"ptwalk {CUR}->pid 0x401000",
        "rmap $ptwalk_pfn", "page $ptwalk_pfn", "set $child_pfn = $ptwalk_pfn",
        "ptwalk 1 0x401000", 'printf "same frame: %d\\n", $ptwalk_pfn == $child_pfn',
    ], [
        ("the child of init stops in execve", STOP + r"sys_execve \("),
        ("procs: init, pid 1", r"^\s*1 \w+\s+\d+ init\s+0xffff8\w+$"),
        ("procs: its child, still called init", r"^\s*([2-9]|\d\d+) RUNNING\s+\d+ init\s+0xffff8"),
        ("ptwalk: the text page's PTE", r"^\s*PT\s*\[\s*1\] = 0x\w+\s+P\|U\|A.*-> frame 0x"),
        ("rmap: two mappings, a pair, on an LRU list",
         r"^pfn 0x\w+: mapcount 2 refcount \d+ flags 0x\w+ pair\|pcache\|lru$"),
        ("rmap: a pair, no block", r"^\s*pair \(no block\)$"),
        ("rmap: pair[0], va 0x401000", r"^\s*\[0\] pte@0x\w+ = 0x\w+\s+mm 0xffff8\w+\s+va 0x401000$"),
        ("rmap: pair[1], va 0x401000", r"^\s*\[1\] pte@0x\w+ = 0x\w+\s+mm 0xffff8\w+\s+va 0x401000$"),
        ("page: pcache, mapcount 2", r"^\s*refcount \d+ mapcount 2 lockbits 0x0 -$"),
        ("ptwalk 1: init's PTE names a frame", r"^\s*PT\s*\[\s*1\] = .*-> frame 0x"),
        ("... the same frame", r"^same frame: 1$"),
    ], doc="docs/rmap.md"),
    # (e) docs/processes.md section 13: init forks the shell; where the
    # child is placed (choose_cpu: the parent's node, fewest resident).
    Session("fork", "", [
        "break proc_clone", "continue", "bt", "info threads",
        f"p *{CUR}", "finish",
        f"set $c = (struct proc *)((char *){CUR}->children.next - (long)&((struct proc *)0)->sibling)",
        "p $c->pid", "p $c->cpu", f"p cpus[$c->cpu].node == cpus[{CUR}->cpu].node",
        "procs",
    ], [
        ("stops in proc_clone", STOP + r"proc_clone \(r="),
        ("bt: called from sys_fork (fork is clone(SIGCHLD))", r"^#\d\s+0x\w+ in sys_fork \("),
        ("bt: called from syscall_dispatch", r"^#\d\s+0x\w+ in syscall_dispatch \("),
        ("bt: ends at syscall_entry", r"^#\d\s+0x\w+ in syscall_entry \(\)"),
        ("info threads: one thread per CPU", r"^\s+4\s+Thread 1\.4 \(CPU#3"),
        ("the parent is init, pid 1", r'^\$1 = \{pid = 1, name = "init"'),
        ("finish returns the child's pid", r"^Value returned is \$2 = \d+$"),
        after(f"p cpus[$c->cpu].node == cpus[{CUR}->cpu].node"),
        ("the child is on the parent's node", r"^\$5 = 1$"),
        ("procs: the child (not pid 1), on its CPU", r"^\s*([2-9]|\d\d+) RUNN(ABLE|ING)\s+\d+ init\s+0xffff8"),
    ], doc="docs/processes.md"),
    # docs/processes.md section 13: a signal handler's frame and its return.
    Session("signal", "init=/tests/syscalls poweroff", [
        "break setup_frame", "break sys_rt_sigreturn", "continue", "bt",
        "p/x p->sigactions[sig]", "p/x p->tf->rip", "p/x p->tf->rsp", "finish",
        f"p/x *{CUR}->tf", f"x/2gx {CUR}->tf->rsp", "continue", f"p/x {CUR}->tf->rsp",
        "finish", f"p/x {CUR}->tf->rip", f"p/x {CUR}->tf->rsp",
    ], [
        ("stops in setup_frame", STOP + r"setup_frame \("),
        ("bt: delivered on the way back to user mode", r"^#\d+\s+0x\w+ in user_return_work \("),
        ("SIGUSR1's handler and restorer", r"^\$1 = \{handler = 0x4\w+, flags = 0x4000000, restorer = 0x4\w+"),
        ("setup_frame returns 0", r"^Value returned is \$4 = 0$"),
        ("the trap frame enters the handler, sig 10 in rdi", r"rdi = 0xa, .*rip = 0x4\w+, cs = 0x23"),
        ("then sys_rt_sigreturn", STOP + r"sys_rt_sigreturn \("),
    ], doc="docs/processes.md"),
    # docs/processes.md section 11: a child of the jobctl test stops with
    # SIGSTOP (jobctl_stop, on its way back to user mode), then its parent's
    # SIGCONT makes it runnable again (sched_continue from kill).
    Session("stop", "init=/tests/jobctl poweroff", [
        "break jobctl_stop", "continue", "bt", "p sig", f"p {CUR}->pgid",
        "delete 1", "break sched_continue", "continue", "bt", "p p->state", "p p->stop_sig",
        "p p->wait_report", "finish", "p p->state",
    ], [
        ("stops in jobctl_stop", STOP + r"jobctl_stop \(sig=(sig@entry=)?19\)"),
        ("bt: from signal_deliver on the way back to user mode", r"^#1\s+0x\w+ in signal_deliver \("),
        ("the signal is SIGSTOP", r"^\$1 = 19$"),
        ("then sched_continue", STOP + r"sched_continue \("),
        ("bt: the parent's kill(pid, SIGCONT)", r"^#\d+\s+0x\w+ in sys_kill \("),
        ("the child is STOPPED (5)", r"^\$3 = 5$"),
        ("its stop is over", r"^\$4 = 0$"),
        ("wait4 gets a continue report (WREPORT_CONT)", r"^\$5 = 2$"),
        ("then RUNNABLE (1), or already RUNNING (2) elsewhere", r"^\$6 = [12]$"),
    ], doc="docs/processes.md"),
    # docs/numa.md section 8: numa_maps counting the numawatch test's
    # region once it is all on node 1 (the test's own read of its line).
    Session("numamaps", "init=/tests/numawatch poweroff", [
        "break numa_maps_counts if s->pages == 256 && s->node[1] == 256", "continue", "bt 3",
        "p *s", "up", "p/x v->start", "p/x v->end", "p numa_nodes[1].other_node",
        "p numa_nodes[1].numa_hit",
    ], [
        ("stops in numa_maps_counts", STOP + r"numa_maps_counts \("),
        ("bt: for one VMA", r"^#1\s+0x\w+ in numa_maps_vma \("),
        ("the region's counts: 256 anon pages, all on node 1",
         r"^\$1 = \{pages = 256, anon = 256, dirty = 256, mapmax = 1, swapcache = 0, "
         r"active = 0, node = \{0, 256, 0 <repeats 14 times>\}\}$"),
        ("the VMA starts at the first mmap address", r"^\$2 = 0x100000\w+$"),
        ("... and is 256 pages long", r"^\$3 = 0x100000\w+$"),
        ("node 1: at least 256 allocations for another node's CPU", r"^\$4 = (2[5-9]\d|[3-9]\d\d|\d{4,})$"),
    ], doc="docs/numa.md"),
]


def pagemap_agrees(serial, lines):
    """/bin/pagemap's frame for 0x400000 (read through /proc/1/pagemap, in
    the serial output) is the frame GDB's page-table walk finds there."""
    user = [m.group(1) for m in (re.match(r"^0+400000\s+p\S*\s+(0x[0-9a-f]+)\s", x)
                                  for x in serial) if m]
    walk = [m.group(1) for m in (re.search(r"PT\s*\[\s*0\] = .*-> frame (0x[0-9a-f]+)", x)
                                  for x in lines) if m]
    ok = bool(user) and bool(walk) and int(user[0], 16) == int(walk[0], 16)
    return [check("pagemap's frame for 0x400000 is the one ptwalk finds", ok,
                  f"pagemap says {user[:1] or 'nothing'}, ptwalk {walk[:1] or 'nothing'}")]


# /proc/PID/pagemap agrees with the page tables: /bin/pagemap, run as init,
# prints the frame of its own first text page; GDB walks the same page
# table as the process exits.
SESSIONS.append(Session("pagemap", "init=/bin/pagemap poweroff -- 1 400000 401000", [
    "break sys_exit_group", "continue", f"ptwalk {CUR}->pid 0x400000",
], [
    ("stops in sys_exit_group", STOP + r"sys_exit_group \("),
    ("ptwalk ends at a frame", r"^\s+PT\s*\[\s*0\] = 0x\w+\s+P\S*\s+-> frame 0x"),
], agree=pagemap_agrees))
# docs/labs/intro.md (graded by the intro lab): /bin/cat reads
# /proc/uptime as init; show_uptime() writes the file's text when it is
# opened (procfs_open, from open(2)), and returns 0. A temporary
# breakpoint: once, under load, "finish" stopped at the same breakpoint
# again, at the function's first instruction, before it had run.
SESSIONS.append(Session("uptime", "init=/bin/cat poweroff -- /proc/uptime", [
    "tbreak show_uptime", "continue", "bt", "finish",
], [
    ("stops in show_uptime", STOP + r"show_uptime \("),
    ("bt: called by procfs_open", r"^#1\s+0x\w+ in procfs_open \("),
    ("bt: ... in open(2) or openat(2)", r"^#\d+\s+0x\w+ in sys_open(at)? \("),
    ("bt: ... through syscall_dispatch", r"^#\d+\s+0x\w+ in syscall_dispatch \("),
    ("show_uptime returns 0", r"^Value returned is \$\d+ = 0$"),
], doc="docs/labs/intro.md"))
# docs/labs/cow.md: the first write fault after cowreuse forks. The page
# is shared (two mappings, two references); fault_cow gives the writer a
# copy, writable, in another frame.
SESSIONS.append(Session("cow", "init=/tests/cowreuse poweroff", [
    "break proc_clone", "continue", "delete 1", "break fault_cow", "continue", "bt 3",
    f"set $pid = {CUR}->pid", "set $va = va", "p/x $va", "ptwalk $pid $va", "page $ptwalk_pfn",
    "set $old = $ptwalk_pfn", "delete 2", "finish",
    "ptwalk $pid $va", 'printf "new frame: %d\\n", $ptwalk_pfn != $old', "page $old",
], [
    ("stops in proc_clone", STOP + r"proc_clone \("),
    ("then in fault_cow", STOP + r"fault_cow \("),
    ("bt: from the fault handler", r"^#1\s+0x\w+ in fault_locked \("),
    ("ptwalk: the PTE is present, not writable", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+P\|U\|\S*\s+-> frame"),
    ("page: two mappings, two references, anonymous",
     r"^\s*refcount 2 mapcount 2 "),
    ("fault_cow returns 0", r"^Value returned is \$\d+ = 0$"),
    ("ptwalk: now writable", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+P\|W\|U\S*\s+-> frame"),
    ("in a new frame", r"^new frame: 1$"),
    ("the old frame: one mapping left", r"^\s*refcount 1 mapcount 1 "),
], doc="docs/labs/cow.md"))
# docs/labs/filemap.md: the first write to an untouched page of a shared
# file mapping (filemap's one-fault test). fault_file first asks for the
# page (FAULT_FETCH: looked up with mm->lock dropped), then, called again,
# maps the page-cache page itself, writable, and marks it dirty; no copy.
SESSIONS.append(Session("filemap", "init=/tests/filemap poweroff", [
    "break fault_file if write && (v->flags & 1)", "continue", "bt 3",
    f"set $pid = {CUR}->pid", "set $va = va", "p/x $va", "p v->inode->ino", "finish",
    "continue", "p/x va", "finish", "ptwalk $pid $va", "page $ptwalk_pfn",
], [
    ("stops in fault_file", STOP + r"fault_file \("),
    ("bt: from fault_missing", r"^#1\s+0x\w+ in fault_missing \("),
    ("first: FAULT_FETCH (fetch the page without the lock)", r"^Value returned is \$\d+ = 1$"),
    ("then fault_file again", STOP + r"fault_file \("),
    ("fault_file returns 0", r"^Value returned is \$\d+ = 0$"),
    ("ptwalk: present and writable", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+P\|W\|U\S*\s+-> frame"),
    ("page: a page-cache page, dirty", r"^\s*flags 0x\w+ .*dirty"),
    ("page: the cache's reference and the mapping's", r"^\s*refcount 2 mapcount 1 "),
], doc="docs/labs/filemap.md"))
# docs/labs/rmap.md: a chain that falls to two mappings becomes a pair
# again (forkchain's third generation writes or exits), seen before and
# after chain_shrink.
SESSIONS.append(Session("rmap-chain", "rmap=chain init=/tests/forkchain poweroff", [
    "break chain_shrink", "continue", "bt 3",
    "set $pfn = numa_nodes[p->node].start_pfn + (p - numa_nodes[p->node].mem_map)",
    "p/x $pfn", "rmap $pfn", "finish", "rmap $pfn",
], [
    ("stops in chain_shrink", STOP + r"chain_shrink \("),
    ("bt: from a removal", r"^#1\s+(0x\w+ in )?(remove_locked|rmap_remove_locked|rmap_remove) \("),
    after("rmap $pfn"),
    ("rmap: two mappings, still a chain", r"^pfn 0x\w+: mapcount 2 "),
    ("one block, slots 5 and 6", r"^\s*block 0x\w+ idx 5$"),
    after("finish"),
    ("rmap: a pair again", r"^\s*pair \(no block\)$"),
], doc="docs/labs/rmap.md"))
# docs/labs/pgtbl.md: the first page table the ptables test gives back
# (munmap of half its region): freed by free_level one level up.
SESSIONS.append(Session("pgtbl", "init=/tests/ptables poweroff", [
    "break table_free", "continue", "bt 6", "up", "p level", "p/x base", "p/x start", "p/x end",
], [
    ("stops in table_free", STOP + r"table_free \("),
    ("bt: called by free_level", r"^#1\s+0x\w+ in free_level \("),
    ("bt: ... from pgtable_free_range", r"^#\d\s+0x\w+ in pgtable_free_range \("),
    ("bt: ... in munmap", r"^#\d\s+0x\w+ in sys_munmap \("),
    ("up: the caller walks a page directory (level 1)", r"^\$1 = 1$"),
], doc="docs/labs/pgtbl.md"))
# docs/processes.md section 13: threads of one process. A CPU switches
# from one thread to another of the same mm (no CR3 load: loaded_mm is
# already theirs); then a thread exits and its clear_child_tid futex is
# woken for pthread_join.
SESSIONS.append(Session("threads", "init=/tests/threads poweroff", [
    "break arch_switch_mm if next->tgid == 1 && next->leader != next && "
    "cpus[$_thread-1].loaded_mm == next->mm",
    "continue", "p next->pid", "p next->tgid", "p cpus[$_thread-1].loaded_mm == next->mm",
    "p/x next->mm->cpus", "delete 1", "break futex_wake", "continue", "bt",
    f"p {CUR}->pid == {CUR}->tgid", f"p/x {CUR}->clear_child_tid == uaddr",
], [
    ("stops in arch_switch_mm", STOP + r"arch_switch_mm \("),
    ("the next task is a thread of pid 1 (not its leader)", r"^\$2 = 1$"),
    ("its mm is already this CPU's", r"^\$3 = 1$"),
    ("stops in futex_wake", STOP + r"futex_wake \("),
    ("bt: from proc_mm_release", r"^#\d+\s+0x\w+ in proc_mm_release \("),
    ("bt: in a thread's exit", r"^#\d+\s+0x\w+ in proc_exit \("),
    ("the exiting task is not the leader", r"^\$5 = 0$"),
    ("it wakes its clear_child_tid word", r"^\$6 = 0x1$"),
], doc="docs/processes.md"))

# docs/vm.md, shared anonymous memory: the first touch of a page of a
# MAP_SHARED|MAP_ANONYMOUS area reads it through its shmem object.
SESSIONS.append(Session("shmem", "init=/tests/shmanon poweroff", [
    "break shmem_readpage", "continue", "bt", "p page->index",
    "p ((struct shmem_inode *)inode)->nswapped", "p inode->sb->type", "p inode->nlink",
    f"vmas {CUR}->pid",
], [
    ("stops in shmem_readpage", STOP + r"shmem_readpage \("),
    ("bt: a page-cache miss", r"^#\d+\s+0x\w+ in pcache_get \("),
    ("bt: from a page fault", r"^#\d+\s+0x\w+ in vm_fault \("),
    ("nothing of it in swap yet", r"^\$2 = 0$"),
    ("the object's super block is shm", r'^\$3 = 0x\w+ "shm"$'),
    ("an unlinked file", r"^\$4 = 0$"),
    ("vmas: a shared file VMA", r"^\s*0x1000\w+-0x1000\w+ rw- shared\s+file ino \d+"),
], doc="docs/vm.md"))
# docs/swap.md: a page goes out to swap and another comes back. A small
# machine (node 0: 48 MiB and the CPU; node 1: 80 MiB, 64 of them the swap
# RAM disk) and swapbasic filling 80 MiB: reclaim must swap. First the
# swap-out: unmap_one turns an anonymous page's PTE into its swap entry
# (the condition: PG_anon, 1 << 6; file pages are unmapped there too).
# Then the swap-in: the fault finds the entry, reads the page into the
# swap cache outside mm->lock (swapin_page), and maps it on its retry.
SWAP_MACHINE = Topology([Node("0", 48), Node("none", 80)])
SESSIONS.append(Session("swap", "swap=64M@1 init=/tests/swapbasic poweroff -- 80", [
    "break vmscan.c:unmap_one if p->flags & 64", "continue", "bt 12", "set $va = va",
    "ptwalk 1 $va", "page $ptwalk_pfn", "finish", "ptwalk 1 $va",
    "delete", "break fault_swap", "continue", "bt 6", "set $va = va", "ptwalk 1 $va",
    "break swapin_page", "continue", "bt 6", "p/x e", "continue", "finish",
    "ptwalk 1 $va", "page $ptwalk_pfn",
], [
    ("stops in unmap_one", STOP + r"unmap_one \("),
    ("bt: through the reverse map", r"^#\d+\s+0x\w+ in rmap_walk_trylock \("),
    ("bt: from reclaim's inactive list", r"^#\d+\s+0x\w+ in shrink_inactive \("),
    ("ptwalk: still present", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+P\|W\|U.*-> frame 0x"),
    ("page: anonymous, in the swap cache, not on a list", r"^\s*flags 0x\w+ direct\|anon\|dirty\|swapcache$"),
    ("page: its swap entry", r"^\s*swap cache: entry 0x\w+ \(type 0 slot 0x(\w+)\)$"),
    ("page: one direct PTE", r"^\s*direct\s+pte@0x\w+ = 0x\w+\s+mm 0xffff8\w+\s+va 0x\w+$"),
    ("unmap_one returns true", r"^Value returned is \$\d+ = true$"),
    ("ptwalk: now a swap entry", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+not present: swap entry, type 0 slot 0x"),
    ("stops in fault_swap", STOP + r"fault_swap \("),
    ("bt: a user page fault", r"^#\d+\s+0x\w+ in user_page_fault \("),
    ("ptwalk: the faulting PTE holds a swap entry", r"not present: swap entry, type 0 slot 0x"),
    ("stops in swapin_page", STOP + r"swapin_page \("),
    ("bt: called from vm_fault, outside mm->lock", r"^#\d+\s+0x\w+ in swapin \("),
    ("the entry to read", r"^\$\d+ = \{val = 0x\w+\}$"),
    ("then fault_swap again", STOP + r"fault_swap \("),
    ("which maps the page (returns 0)", r"^Value returned is \$\d+ = 0$"),
    ("ptwalk: present again", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+P\|(W\|)?U.*-> frame 0x"),
    ("page: a new anonymous page on the inactive list",
     r"^\s*flags 0x\w+ direct\|anon\|lru(\|swapcache)?$"),
], doc="docs/swap.md", make={"CPUS": "1", "MEM": str(SWAP_MACHINE.mem),
                            "QEMU_NUMA": SWAP_MACHINE.qemu_numa()}, timeout=120))

# docs/labs/reclaim.md: the verdict on an anonymous page at the inactive
# tail (one PTE: PG_anon 1 << 6, PG_direct 1 << 3), whose accessed bit
# (0x20) page_referenced clears; then a run of kswapd, which stops once
# the node is above its high watermark. lruhot on the swap session's
# machine, 40 MiB of "RAM" (hot 5 MiB, cold 80 MiB).
SESSIONS.append(Session("reclaim", "swap=64M@1 init=/tests/lruhot poweroff -- -m 40M", [
    "break check_references if (p->flags & 64) && (p->flags & 8)", "continue", "bt 3",
    "set $pte = (unsigned long *)(0xffff800000000000 + p->pte.direct)", "p/x *$pte",
    "p/x *$pte & 0x20", "finish", "p/x *$pte & 0x20",
    "delete", "break balance_node", "continue", "bt 2", "p n->id", "p n->free_pages",
    "p n->wmark_low", "p n->wmark_high", "finish", "p n->free_pages",
    "p n->free_pages >= n->wmark_high",
], [
    ("stops in check_references", STOP + r"check_references \("),
    ("bt: from shrink_inactive", r"^#1\s+0x\w+ in shrink_inactive \("),
    ("the PTE was used: A set", r"^\$2 = 0x20$"),
    ("the verdict", r"^Value returned is \$\d+ = (ACTIVATE|KEEP|RECLAIM)$"),
    ("page_referenced cleared A", r"^\$\d+ = 0x0$"),
    ("stops in balance_node", STOP + r"balance_node \("),
    ("bt: kswapd", r"^#1\s+0x\w+ in kswapd \("),
    ("after the run: above high", r"^\$\d+ = 1$"),
], doc="docs/labs/reclaim.md", make={"CPUS": "1", "MEM": str(SWAP_MACHINE.mem),
                                    "QEMU_NUMA": SWAP_MACHINE.qemu_numa()}, timeout=120))

# docs/numa-balancing.md: a NUMA-hint fault and a daemon migration. Two
# nodes with one CPU each; numahint writes 8 MiB on node 0, moves itself to
# node 1 and reads it: the scanner has made the PTEs hint entries, so the
# read faults (numab_hint_fault), the PTE comes back, and the page is
# queued for node 1's kmigrated, which moves a batch (migrate_pages_batch).
NUMA_MACHINE = Topology([Node("0", 128), Node("1", 128)])
SESSIONS.append(Session("numa", "numa_balancing=enable init=/tests/numahint poweroff", [
    "break numab_hint_fault", "continue", "bt 4", "set $va = va", "ptwalk 1 $va",
    "page $ptwalk_pfn", "finish", "ptwalk 1 $va", "page $ptwalk_pfn",
    "delete", "break migrate_pages_batch", "continue", "bt 2", "p n", "p node",
    "p/x pages[0]->flags",
], [
    ("stops in numab_hint_fault", STOP + r"numab_hint_fault \("),
    ("bt: from the page fault", r"^#\d+\s+(0x\w+ in )?vm_fault \("),
    ("ptwalk: a NUMA-hint entry, frame kept", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+not present: NUMA-hint entry, .*kept\s+-> frame 0x"),
    ("page: on node 0, mapped once", r"^pfn 0x\w+: struct page 0x\w+ node 0 order 0$"),
    ("ptwalk: present again", r"^\s*PT\s*\[\s*\d+\] = 0x\w+\s+P\|W\|U.*-> frame 0x"),
    ("page: queued, the last hint fault came from node 1",
     r"^\s*last NUMA-hint fault from node 1$"),
    ("stops in migrate_pages_batch", STOP + r"migrate_pages_batch \("),
    ("bt: called by the daemon", r"^#\d+\s+0x\w+ in kmigrated \("),
    ("a batch of pages", r"^\$\d+ = \d+$"),
    ("to node 1", r"^\$\d+ = 1$"),
], doc="docs/numa-balancing.md", make={"CPUS": "2", "MEM": str(NUMA_MACHINE.mem),
                                     "QEMU_NUMA": NUMA_MACHINE.qemu_numa()}, timeout=120))
# docs/numa.md, memory policies: mempolicy's first interleaved VMA. The
# allocation stops with the policy and the page's interleave index; one
# frame up, the VMA that faulted and the process's own policy; the page
# returned is on node (ilx mod 2).
SESSIONS.append(Session("mempolicy", "init=/tests/mempolicy poweroff", [
    "break mpol_alloc_with if pol->mode == 3", "continue", "bt 3", "p *pol", "p ilx % 2",
    "up", "p v->mpol", f"p {CUR}->mpol.mode", "finish", "p $->node", "p $6 == $2",
], [
    ("stops in mpol_alloc_with", STOP + r"mpol_alloc_with \("),
    ("bt: from mpol_alloc_page", r"^#1\s+0x\w+ in mpol_alloc_page \("),
    ("bt: a first touch (anon_page)", r"^#2\s+0x\w+ in anon_page \("),
    ("the policy: interleave over nodes 0 and 1", r"^\$1 = \{mode = 3, flags = 0, nodes = 3, user_nodes = 0\}$"),
    ("ilx mod 2", r"^\$2 = ([01])$"),
    ("the VMA's policy is not interleave (the task's is)", r"^\$3 = \{mode = 0, "),
    ("the process interleaves", r"^\$4 = 3$"),
    ("mpol_alloc_page returns a page", r"^Value returned is \$5 = \(struct page \*\) 0x"),
    ("on a node", r"^\$6 = [01]$"),
    ("the node ilx mod 2 named", r"^\$7 = 1$"),
], doc="docs/numa.md"))
# docs/numa-balancing.md section 9: the collapse of an anonymous page's
# replicas. numacowrep's parent forks on node 0 and its child reads the
# memory from node 1 through replicas; the first write to such a page stops
# in replica_collapse_of, and each replica PTE moved back to the master
# (to_master_one) takes one mapping from the replica to the master.
SESSIONS.append(Session("replica", "numa_balancing=enable numa_replication=enable "
                        "init=/tests/numacowrep poweroff", [
    "break replica_collapse_of", "continue", "bt 3", "p/x p->flags & 0x18000",
    "break to_master_one", "continue", "bt 3", "set $r = r",
    "set $m = ((struct to_master *)arg)->master", "p $r->mapcount", "p $m->mapcount",
    "finish", "p $r->mapcount == $2 - 1", "p $m->mapcount == $3 + 1",
], [
    ("stops in replica_collapse_of", STOP + r"replica_collapse_of \("),
    ("bt: a write fault", r"^#1\s+0x\w+ in vm_fault \("),
    ("the page is a master (PG_replicated) or a replica (PG_replica)", r"^\$\d+ = 0x(8000|10000)$"),
    ("stops in to_master_one", STOP + r"to_master_one \("),
    ("bt: walking the replica's chain", r"^#1\s+0x\w+ in rmap_walk_trylock \("),
    ("bt: from unmap_replica", r"^#2\s+0x\w+ in (unmap_replica|replica_collapse) "),
    ("the PTE moved", r"^Value returned is \$\d+ = true$"),
    ("one mapping fewer on the replica", r"^\$\d+ = 1$"),
    ("one more on the master", r"^\$\d+ = 1$"),
], doc="docs/numa-balancing.md", make={"CPUS": "2", "MEM": str(NUMA_MACHINE.mem),
                                     "QEMU_NUMA": NUMA_MACHINE.qemu_numa()}, timeout=120))
# docs/userland.md: the first process is /bin/sh, a symbolic link to
# busybox; exec resolves the path as /proc/PID/exe will show it.
SESSIONS.append(Session("exe", "init=/bin/sh poweroff -- -c true", [
    "break path_resolve", "continue", "p path", "set $o = out", "finish", "p (char *)$o",
], [
    ("stops in path_resolve", STOP + r"path_resolve \("),
    ("the path exec was given", r'^\$1 = 0x\w+ (<\S+> )?"/bin/sh"$'),
    ("returns 0", r"^Value returned is \$\d+ = 0$"),
    ("the file itself: busybox", r'^\$\d+ = 0x\w+ "/bin/busybox"$'),
], doc="docs/userland.md"))
# docs/processes.md section 7: the termios test's first TCSETS (ECHO,
# ICANON and ECHOCTL cleared, VMIN 3), seen in the line discipline.
SESSIONS.append(Session("termios", "init=/tests/termios poweroff", [
    "break ldisc_set_termios_locked", "continue", "bt", "p/o t->tio.lflag", "p/o n->lflag",
    "p t->tio.cc", "finish", "p tty_console.tio.cc[6]",
], [
    ("stops in ldisc_set_termios_locked", STOP + r"ldisc_set_termios_locked \("),
    ("bt: TCSETS from sys_ioctl", r"^#\d+\s+0x\w+ in set_termios \((cmd=)?"),
    ("the default c_lflag", r"^\$1 = 0105073$"),
    ("the new one: no ECHO, ICANON, ECHOCTL", r"^\$2 = 0104061$"),
    ("Linux's default c_cc", r'^\$3 = "\\003\\034\\177\\025\\004\\000\\001'),
    ("VMIN is now 3", r"^\$\d+ = 3 '\\003'$"),
], doc="docs/processes.md"))
# docs/processes.md section 7, flow control: ttyflow's first check stops
# the console's output (TCOOFF) and a child writes; it sleeps in
# wait_output (the breakpoint's condition skips the writes before).
SESSIONS.append(Session("ttyflow", "init=/tests/ttyflow poweroff", [
    "break wait_output if tty_console.stopped", "continue", "bt", "p tty_console.stopped",
    "p tty_console.tco_stopped",
], [
    ("stops in wait_output", STOP + r"wait_output \("),
    ("bt: from a write", r"^#\d+\s+(0x\w+ in )?tty_write \("),
    ("output is stopped", r"^\$1 = true$"),
    ("by TCOOFF", r"^\$2 = true$"),
], doc="docs/processes.md"))
SESSIONS_BY_NAME = {s.name: s for s in SESSIONS}


def free_port():
    """A random TCP port in 26000..29999 that nobody listens on now."""
    for _ in range(100):
        port = random.randint(26000, 29999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free TCP port for GDB")


def gdb_command(session, gdbinit):
    """gdb -batch with the session's setup file, echoing each command."""
    cmd = ["gdb", "-q", "-nx", "-batch", "-x", gdbinit]
    for ex in session.commands:
        echo = ("(gdb) " + ex).replace("\\", "\\\\")
        cmd += ["-ex", f"echo {echo}\\n", "-ex", ex]
    return cmd + [kernel_elf("qemu-gdb")]


def write_gdbinit(path, port):
    """build/gdbinit as `make gdb` writes it, for this session's port."""
    with open(os.path.join(ROOT, "scripts", "gdbinit.tmpl")) as fh:
        text = fh.read().replace("@GDBPORT@", str(port))
    with open(path, "w") as fh:
        fh.write(text)


def listen_addresses(port):
    """The local addresses (as /proc/net/tcp* writes them: 0100007F is
    127.0.0.1) of every socket listening on TCP port `port`."""
    out = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                rows = [r.split() for r in fh.read().splitlines()[1:]]
        except OSError:
            continue
        out |= {c[1].rsplit(":", 1)[0] for c in rows
                if len(c) > 3 and c[3] == "0A" and int(c[1].rsplit(":", 1)[1], 16) == port}
    return out


def drive(session, port, gdbinit, qemu, deadline, procs):
    """Wait for QEMU's GDB stub and run GDB. Returns (addresses it listens
    on, finished, output); no addresses if it never listened."""
    if not wait_listening(port, qemu, deadline):
        return set(), False, b""
    where = listen_addresses(port)
    gdb = subprocess.Popen(gdb_command(session, gdbinit), cwd=ROOT, env=make_env(),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, start_new_session=True)
    procs.add(gdb)
    try:
        return where, True, gdb.communicate(timeout=max(1, deadline - time.monotonic()))[0]
    except subprocess.TimeoutExpired:
        kill_group(gdb)
        return where, False, gdb.communicate()[0]
    finally:
        procs.discard(gdb)


def evaluate(session, out, where, finished, port, timeout):
    """The checks of one session on GDB's output; `where`: the addresses
    QEMU's GDB stub listened on."""
    lines = clean_lines(out)
    late = "" if finished else f"gdb did not finish within {timeout:g} s; "
    results = [check("qemu-gdb listens for GDB", bool(where), f"nothing listened on port {port}"),
               check("... on 127.0.0.1 only", where == {LOOPBACK},
                     f"port {port} listened on {sorted(where)} (/proc/net/tcp* notation)")]
    at = 0
    for what, rx in session.expect:
        hit = next((i for i in range(at, len(lines)) if re.search(rx, lines[i])), None)
        results.append(check(what, hit is not None, late + f"no line matches /{rx}/"
                             + (f" after line {at}" if at else "")))
        at = hit + 1 if hit is not None else at
    tb = [line for line in lines if "Traceback" in line or "Python Exception" in line]
    results.append(check("no Python traceback", not tb, tb[0] if tb else ""))
    return results


def run(name, timeout=SESSION_TIMEOUT, log=None, procs=None):
    """Run session NAME ("gdb-" prefix optional) under `make qemu-gdb`.
    Returns (results, log text): the log gets QEMU's output, then GDB's.
    procs: a set to register child processes in (for the caller's Ctrl-C)."""
    session = SESSIONS_BY_NAME[name[4:] if name.startswith("gdb-") else name]
    case = "gdb-" + session.name
    procs = procs if procs is not None else set()
    log = log or os.path.join(ROOT, "build", "tests", case + ".log")
    gdbinit = os.path.join(ROOT, "build", "tests", case + ".gdbinit")
    deadline, port = time.monotonic() + timeout, free_port()
    write_gdbinit(gdbinit, port)
    with open(log, "wb") as fh:
        args = make_args("qemu-gdb", case, dict(session.make, GDBPORT=port,
                                                  CMDLINE=session.cmdline))
        fh.write(("# " + shlex.join(args) + "\n").encode())
        fh.flush()
        qemu = subprocess.Popen(args, cwd=ROOT, env=make_env(), stdin=subprocess.DEVNULL,
                                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        procs.add(qemu)
        try:
            where, finished, out = drive(session, port, gdbinit, qemu, deadline, procs)
        finally:
            kill_group(qemu)
            procs.discard(qemu)
        fh.write(b"\n=== " + shlex.join(gdb_command(session, gdbinit)).encode()
                 + b" ===\n" + out)
    results = evaluate(session, out, where, finished, port, timeout)
    with open(log, "rb") as fh:
        text = fh.read()
    if session.agree:
        serial = clean_lines(text[:text.rfind(b"\n=== ")])
        results += session.agree(serial, clean_lines(out))
    return results, text


def main(argv):
    if not argv:
        for s in SESSIONS:
            print(f"gdb-{s.name}: {s.cmdline or '(no command line)'}")
        return 0
    os.makedirs(os.path.join(ROOT, "build", "tests"), exist_ok=True)
    res, text = run(argv[0])
    transcript = text.split(b"\n=== gdb ", 1)[-1].split(b" ===\n", 1)[-1]
    print(transcript.decode("utf-8", "replace"))
    for i, r in enumerate(res, 1):
        print(f"{'not ok' if r.status == FAIL else 'ok'} {i} {r.name}"
              + (f" # {r.reason}" if r.reason else ""))
    return 1 if any(r.status == FAIL for r in res) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
