"""The table of boots `make test` runs (tests/run.py).

Each Case is one boot of `make qemu-nox` with its own ISO
(build/tests/NAME.iso) and log (build/tests/NAME.log), then a list of checks
on the log (tests/checks.py). To add a boot, append a Case:

    Case("my-boot", cmdline="ktest=vm poweroff", ktap=True,
         machine=even(2, 4, 512), checks=[expect("says hi", r"^hi$")])

- machine: the machine to boot and to check the `numa:`/`smp:` lines against.
  even(NODES, CPUS, MEM) passes NODES/CPUS/MEM to make and lets the Makefile
  write the QEMU options; with numa=True the harness passes its own
  QEMU_NUMA built from the Topology (for shapes even() cannot make).
- make: further Make variables (QEMU_NUMA="" means no -numa options at all,
  QEMUEXTRA, DISK, ...). They win over what machine sets.
- ktap: the boot prints KTAP (each leaf test counts) then `ktest: done`;
  each suite named by ktest=A,B must be there (ktest=all: some test must be).
- checks: extra check functions; crash=False drops the "no panic or trap"
  check and complete=False the "boot: complete" check (for deliberate faults).
- kind="gdb" runs the GDB session of tests/gdb_check.py named like the case
  (gdb-NAME) instead of a plain boot; gdb_cases() makes one per session.
- image: a function that writes the boot's disk image at the path it is
  given (build/tests/NAME.img); without it the boot gets a copy of
  build/disk.img. Parallel boots never share an image.
- post: functions run on the image after QEMU exits (e2fsck, debugfs),
  each returning a list of ktap.Result (tests/fsimg.py).
- keys: [(cue regex, data)] typed on the console as the cues appear
  (tests/qemu.py Typist; data: bytes, or bytes and pauses in seconds).
  Each cue must appear within cue_limit seconds (times --timeout-scale)
  of the one before, else the harness stops QEMU and the check "typist:
  cue N /regex/ not seen within S s" fails.
- stop_at, stop_after: an unclean stop. stop_after seconds after a line
  matching the regex stop_at, the harness kills make and QEMU with SIGKILL
  (a power cut: nothing is synced); "stopped on cue" replaces the
  "powers off" check.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

import bbdiff
import fsimg
from qemu import ROOT
import gdb_check

from checks import (Node, Topology, boot_complete, boots_once, check, check_ktap, check_topology,
                    check_protect_trap, check_trap, check_unknown_options, check_watchdog, even,  # noqa: F401
                    expect, init_exit_ok, no_crash, powers_off, stopped_on_cue, typist_cues,
                    user_ktap)

DEFAULT_TIMEOUT = 120
CUE_LIMIT = 60                      # a typist's cue must come within this


@dataclass
class Case:
    name: str
    cmdline: str = "init=/bin/nodes poweroff"
    machine: Topology = None
    numa: bool = False              # pass QEMU_NUMA built from machine
    make: dict = field(default_factory=dict)
    ktap: bool = False
    checks: list = field(default_factory=list)
    crash: bool = True              # check there is no panic/trap report
    complete: bool = True           # check `boot: complete` is printed
    timeout: float = DEFAULT_TIMEOUT
    kind: str = "boot"
    image: object = None            # fn(path): make the disk image
    post: list = field(default_factory=list)   # fn(image) -> [Result]
    stop_at: str = None             # regex: SIGKILL QEMU after this line...
    stop_after: float = 0.0         # ...and this many seconds
    keys: list = None               # [(cue regex, bytes)]: typed on the console
    cue_limit: float = CUE_LIMIT    # seconds for each cue (x --timeout-scale)

    def make_vars(self):
        """Make variables for this boot (besides ISO and CMDLINE)."""
        v = {}
        if self.machine:
            v["CPUS"], v["MEM"] = self.machine.ncpus, self.machine.mem
            if self.numa:
                v["QEMU_NUMA"] = self.machine.qemu_numa()
            else:
                v["NODES"] = len(self.machine.nodes)
        v.update(self.make)
        return {k: str(x) for k, x in v.items()}

    def all_checks(self):
        c = [stopped_on_cue(self.stop_at) if self.stop_at else powers_off, boots_once]
        if self.complete:
            c.append(boot_complete)
        if self.crash:
            c.append(no_crash)
        if self.machine:
            c.append(check_topology(self.machine))
        if self.ktap:
            c.append(check_ktap(self.suites()))
        if self.keys:
            c.append(typist_cues)
        return c + list(self.checks)

    def suites(self):
        """The suites ktest=A,B on the command line asks for (None for all)."""
        m = re.search(r"(?:^| )ktest=(\S+)", self.cmdline)
        if not m or m.group(1) == "all":
            return None
        return m.group(1).split(",")


# Non-uniform SLIT for the 4-node machine: 1 hop 15, 2 hops 20, 3 hops 25.
SLIT4 = [[10, 15, 20, 25], [15, 10, 25, 20], [20, 25, 10, 15], [25, 20, 15, 10]]
GARBAGE = ["zzz=1", "---", "=x", "%%"]
FS_POST = [fsimg.post_fsck, fsimg.post_host_files]
PROBES = ["read /ptr/x", "stat /ino/x", "stat /len/x", "rename /cyc/top /cyc/a/b/top",
          "stat /hello"]


# Boot options a user test needs besides init= (scratch devices).
USER_TEST_OPTIONS = {"swapon": "ramdisk=4M,2M ", "swapbasic": "swap=150M@1 "}
# Machines a user test needs instead of the default one: swapbasic wants
# less RAM than swap (both processes of its fork read every page back,
# and a page read back keeps its slot for the other): 96 MiB with the
# CPUs, and a memory-only node holding the 150 MiB swap RAM disk.
USER_TEST_MACHINES = {"swapbasic": Topology([Node("0-1", 96), Node("none", 160)])}
# Keys typed on the console for a user test (cue regex, bytes): ttykeys
# prints "# type: KEY" when its foreground child is ready for it.
# (The console ends lines with \r\n.)
USER_TEST_KEYS = {"ttykeys": [(r"^# type: \^C\r?$", b"\x03"), (r"^# type: \^Z\r?$", b"\x1a"),
                              (r"^# type: \^\\\r?$", b"\x1c"),
                              (r"^# type: \^C without ISIG\r?$", b"\x03")],
                  # termios: cues need no ^, an echo may come before them
                  "termios": [(rf"# type: {re.escape(name)}\r?$", keys) for name, keys in [
                      ("k", b"k"), ("abc", b"abc"), ("xy", b"xy"), ("z", b"z"), ("p", b"p"),
                      ("erase", b"ab\x7fc\n"), ("kill", b"xyz\x15ok\n"),
                      ("werase", b"one two\x17three\n"), ("eof after ab", b"ab\x04"),
                      ("eof", b"\x04"), ("cr", b"cr\r"), ("igncr", b"i\rg\n"),
                      ("hidden word", b"secret\n"), ("q", b"q"), ("enter", b"\n"),
                      ("junk", b"junk\n"), ("^C raw", b"\x03"), ("^C raw no ISIG", b"\x03")]],
                  # ttyflow: a list is keys and pauses (seconds): ^Q comes
                  # while the test watches its writer asleep
                  "ttyflow": [(rf"# type: {re.escape(name)}\r?$", keys) for name, keys in [
                      ("^S, ^Q 3 s later", [b"\x13", 3, b"\x11"]),
                      ("^S, x 3 s later", [b"\x13", 3, b"x"]), ("^Q 2 s later", [2, b"\x11"]),
                      ("^S, then -ixon", b"\x13"),
                      ("istrip", b"\xe1\xc2\n"), ("iuclc", b"MiXed\n"),
                      ("iuclc no iexten", b"MiXed\n"), ("discard", b"a\x0fb\n"),
                      ("echoprt erase", b"abc\x7f\x7fx\n"), ("echoprt kill", b"xy\x15z\n")]]}


def numawatch_plot(boot):
    """The numawatch boot's log, read as `make plot` reads it
    (scripts/numaplot.py): numawatch sampled the moves (node 1's share went
    by the whole region, 256 pages), its maps show the region all on node 0
    at the start and all on node 1 at the end, and the trace in the log has
    256 migrations 0->1 by move_pages. The samples count the whole process:
    on a loaded machine an idle CPU of node 1 may steal the test before it
    pins itself to node 0, and its first pages (stack, data) are then node
    1's, so node 1's growth is checked, not its first count."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import numaplot
    log = numaplot.parse(boot.lines)
    w = log.watch()
    first, last = (w.samples[0][1], w.samples[-1][1]) if w and w.samples else ({}, {})
    pair = numaplot.largest_maps(w)
    moves = [m for m in log.migrations if (m.src, m.dst, m.reason) == (0, 1, "syscall_or_cpuset")]
    grew = last.get(1, 0) - first.get(1, 0)
    return [check("numaplot: node 1's samples grow by >= 256 pages",
                  bool(first) and grew >= 256, f"first {first}, last {last}"),
            check("numaplot: region all on node 0, then all on node 1",
                  pair is not None and pair[0].nodes == "0" * 256 and pair[1].nodes == "1" * 256,
                  f"maps {pair}"),
            check("numaplot: 256 traced migrations 0->1 (syscall_or_cpuset)", len(moves) == 256,
                  f"{len(moves)} of {len(log.migrations)}")]


def echoed(name, pattern, count):
    """The console's raw output (control characters kept: the lines the
    other checks read have none) matches pattern (bytes) count times."""
    def run(boot):
        n = len(re.findall(pattern, boot.extra.get("raw", b"")))
        return [check(name, n == count, f"{n} matches, want {count}")]
    return run


# Checks a user test's boot gets besides its KTAP and exit status.
USER_TEST_CHECKS = {"numawatch": [numawatch_plot],
                    # echoed once each: ^C without ISIG is not a signal key
                    "ttykeys": [expect("the console echoes ^C once", r"^\^C$", 1),
                                expect("the console echoes ^Z", r"^\^Z$", 1),
                                expect("the console echoes ^\\", r"^\^\\$", 1)],
                    "termios": [echoed("the erase is echoed as \\b \\b", rb"ab\x08 \x08c", 1),
                                echoed("nothing is echoed with ECHO off", rb"secret", 0),
                                echoed("^U is echoed as a rub-out of xyz",
                                       rb"xyz(\x08 \x08){3}ok", 1)],
                    # the bytes on the console that ttyflow cannot read back
                    "ttyflow": [echoed("TCIOFF, TCION send ^S, ^Q", rb"# tcflow: <\x13\x11>", 1),
                                echoed("OLCUC: upper case out", rb"# OLCUC: MIXED\r\n", 1),
                                echoed("OCRNL: \\r out as \\n", rb"# ocrnl a\nb\r\n", 1),
                                echoed("ONOCR: no \\r in column 0", rb"# onocr\r\n# c\r\n", 1),
                                echoed("XTABS: a tab as spaces", rb"# tab   x\r\n", 1),
                                echoed("ONLRET: \\n returns to column 0", rb"# onlret\n# d\n", 1),
                                echoed("ECHOPRT: the erase echoed as \\cb/", rb"abc\\cb/x", 1),
                                echoed("ECHOPRT: the kill echoed as \\yx/", rb"xy\\yx/z", 1),
                                echoed("the stopped writers' lines come out once restarted",
                                       rb"# ttyflow: the stopped writer's line\r\n", 2),
                                # it exits with output stopped, a writer asleep
                                expect("power-off ends the writer asleep on stopped output",
                                       r"^power: killed 1 processes$", 1),
                                echoed("... which never writes", rb"written after power-off", 0)]}


def swap_disk(mib, label="from-linux"):
    """An image function: the boot's root disk at path, and beside it
    (NAME-swap.img) a sparse swap area of mib MiB made by Linux's own
    mkswap (util-linux), attached as vdb by swap_drive()."""
    def make(path):
        subprocess.run(["cp", "--sparse=always", os.path.join(ROOT, "build", "disk.img"), path],
                       check=True)
        swap = path[:-len(".img")] + "-swap.img"
        with open(swap, "wb") as f:
            f.truncate(mib << 20)
        mkswap = shutil.which("mkswap") or "/sbin/mkswap"
        subprocess.run([mkswap, "-L", label, swap], check=True, stdout=subprocess.DEVNULL)
    return make


def swap_drive(name):
    """QEMUEXTRA for the swap area swap_disk() made beside the case's image."""
    return {"QEMUEXTRA": f"-drive file=build/tests/{name}-swap.img,format=raw,if=virtio"}


linux_swap_image = swap_disk(8)     # 8 MiB: the swap-linux-mkswap case


# The swap and reclaim tests (user/tests/, the helpers in user/lib/swaptest.c):
# name -> (machine, swap, arguments, guest seconds allowed). swap is
# ("disk", MiB): a virtio disk swapped on by the test (-s /dev/vdb); or
# ("option", "SIZE@NODE"): the swap= boot option on the machine given; or
# ("ram", MiB): the swap= boot option making a RAM disk of MiB on a
# memory-only node 1 of MiB + 8 beside a 64 MiB node 0 with the CPUs, the
# test told that RAM is 64 MiB (-m 64M): as much swap as a disk gives, at
# memory speed (a virtio request per page is slow under TCG, and slower
# still on a loaded host). RAM is MemTotal otherwise; see docs/testing.md
# for what each costs.
SWAP_TESTS = {
    "swapstress": (None, ("ram", 320), "", 240),
    "swapfork": (None, ("ram", 256), "", 180),
    "swapfile": (None, ("ram", 160), "-f 8M", 180),
    "swapmigrate": (even(2, 2, 64), ("disk", 160), "", 180),
    "swappolicy": (None, ("ram", 160), "", 180),
    "swapoff": (None, ("ram", 160), "", 180),
    # (kswapd binds its fill to node 1, 78 MiB on a 62 MiB node: reading it
    # back swaps every page in on node 1 again; with rmap=scan that alone
    # takes 140 s, and more beside other boots)
    "kswapd": (even(2, 2, 128), ("option", "32M@0"), "", 300),
    # (oomswap's first kill under rmap=scan came after 13 s in one run and
    # 69 s in another on a loaded host: a file-page fault retries reclaim
    # inside each of its own retries before the OOM killer runs)
    "oomswap": (even(2, 2, 64), ("option", "8M@0"), "", 360),
    "swaperr": (None, ("ram", 160), "", 180),
    # (a hot eighth of RAM read after each MiB of 2 x RAM written once)
    "lruhot": (None, ("ram", 160), "", 180),
}
RAM_SWAP_NODE0 = 64
# RAM-disk machines other than the usual node 0 (64 MiB, CPUs 0-1), as
# swap_case keywords. swaperr's OOM scene (every write failing) spends its
# time in reclaim going round pages it cannot free, and with two vCPUs on
# a loaded host they spin on each other's locks: 7.5 minutes instead of
# 20 s at a load average of 25. One CPU, and a node half the size, halve
# the pages reclaim goes round.
RAM_SWAP_OWN = {"swaperr": {"cpus": "0", "node0": 32}}


def ram_swap_machine(mib, cpus="0-1", node0=RAM_SWAP_NODE0):
    """Node 0: the CPUs and node0 MiB (64); node 1: memory only, the swap
    RAM disk of mib MiB and 8 MiB more."""
    return Topology([Node(cpus, node0), Node("none", mib + 8)])
SWAP_POST = {"swapfile": [fsimg.post_swapfile(8 << 20)]}


def swap_case(name, test, args="", extra="", machine=None, checks=(), node0=None,
              cpus=None, numa=False, slow=1):
    """One swap test as init on its machine (SWAP_TESTS, or machine; numa:
    pass it as QEMU_NUMA), named name; a RAM-disk machine's node 0 has
    node0 MiB and the CPUs cpus (by default RAM_SWAP_NODE0 and 0-1, or the
    test's RAM_SWAP_OWN); slow multiplies its time limit."""
    mach, (kind, size), targs, secs = SWAP_TESTS[test]
    own = RAM_SWAP_OWN.get(test, {})
    node0 = node0 or own.get("node0", RAM_SWAP_NODE0)
    cpus = cpus or own.get("cpus", "0-1")
    if kind == "disk":
        targs, image, make = f"-s /dev/vdb {targs}", swap_disk(size), swap_drive(name)
    elif kind == "ram":
        cpus = machine.nodes[0].cpus if machine else cpus
        mach, machine, numa = ram_swap_machine(size, cpus, node0), None, True
        targs, extra, image, make = f"-m {node0}M {targs}", f"swap={size}M@1 {extra}", None, {}
    else:
        extra, image, make = f"swap={size} {extra}", None, {}
    argv = " ".join(a for a in (targs.strip(), args) if a)
    return Case(name, cmdline=f"{extra}init=/tests/{test} poweroff" + (f" -- {argv}" if argv else ""),
                machine=machine or mach, numa=numa, image=image, make=make, timeout=secs * slow,
                checks=[user_ktap, init_exit_ok] + list(checks),
                post=[fsimg.post_fsck] + SWAP_POST.get(test, []))


# What the console must show: Linux's line for each OOM kill.
OOM_LINE = r"Out of memory: Killed process \d+ \(oomswap\)"
SWAP_CHECKS = {"oomswap": [expect("the kernel says Out of memory: Killed process PID (oomswap)",
                                  OOM_LINE, 2)]}


# The boot line of each reverse-map mode (rmap.c).
MODE_LINE = {"chain": r"pte_chain \(direct, pair, chain\)$", "scan": r"scan \(", "obj": r"obj \(",
             "hybrid": r"hybrid \("}

# With rmap=scan, reclaim walks every page table of every process for each
# page it looks at (about 100 times the reverse map's cost, docs/reclaim.md),
# and holds mm->lock while it walks one: a second vCPU that faults meanwhile
# spins on that lock, and on a loaded host the walker's vCPU is often not
# running at all. With 2 vCPUs swapfork took 165 s on a 12 MiB node 0, with
# one 10 s. So the rmap=scan forms run on one CPU (kswapd keeps its two
# nodes with a CPU on each: it needs them; oomswap, on one CPU, took 88 s
# instead of 45 on two: it keeps two, on 48 MiB instead of 64), on a
# smaller node 0 than the other forms, their sizes still derived from the
# RAM they are told (-m, node 0 of the RAM-disk machines) or find
# (MemTotal). Keyword arguments of swap_case for each test.
SCAN_SWAP = {
    "swapstress": {"node0": 24, "cpus": "0"},
    "swapfork": {"node0": 24, "cpus": "0"},
    "swapfile": {"node0": 24, "cpus": "0"},
    "swapmigrate": {"machine": Topology([Node("0", 32), Node("none", 32)]), "numa": True},
    "swapoff": {"node0": 24, "cpus": "0"},
    "kswapd": {},
    "oomswap": {"machine": even(2, 2, 48)},
    "swaperr": {"node0": 24, "cpus": "0"},
    "swappolicy": {"node0": 24, "cpus": "0"},
    "lruhot": {"node0": 24, "cpus": "0"},
}


RMAP_CHECK_500 = expect("rmap_check every 500 faults", r"^rmap_check: every 500 page faults", 1)
RMAP_CHECK_1000 = expect("rmap_check every 1000 faults", r"^rmap_check: every 1000 page faults", 1)

OBJ_SWAP_TESTS = ("swapstress", "swapfork", "swapmigrate")


def swap_cases():
    """The swap tests again, each in a second form: with the reverse map
    checked every 2000 faults, with rmap=scan (unmapping by walking every page
    table), and swapstress with 2 and 4 workers on all CPUs."""
    # (2 and 4 workers on both CPUs of the machine, sharing 2 x RAM: more
    # vCPUs than the host's 2 cores make every TLB shootdown wait for a
    # vCPU the host has not scheduled, 4 minutes instead of 20 s)
    cases = [swap_case(f"swapstress-{n}proc", "swapstress", f"-p {n} -x 2")
             for n in (2, 4)]
    # (rmap_check=2000: a check reads every frame of the machine, and a
    # RAM-disk swap machine has 400 MiB of them)
    # rmap-obj and rmap-hybrid: reclaim and swap-in through the objects
    # (i_mmap, anon_vma), checked as rmap-check is.
    # Under rmap=scan, rmap=obj and rmap=hybrid make test runs the three
    # swap tests that fork, migrate and stress reclaim (OBJ_SWAP_TESTS); the
    # other six take minutes each there (kswapd under rmap=scan: 5) and run
    # with RMAP_MODES_FULL=1 in the environment (docs/testing.md).
    full = os.environ.get("RMAP_MODES_FULL") == "1"
    for mode, extra in (("rmap-check", "rmap_check=2000 "), ("rmap-scan", "rmap=scan "),
                        ("rmap-obj", "rmap=obj rmap_check=2000 "),
                        ("rmap-hybrid", "rmap=hybrid rmap_check=2000 ")):
        for test in SWAP_TESTS:
            if mode in ("rmap-scan", "rmap-obj", "rmap-hybrid") and not full \
                    and test not in OBJ_SWAP_TESTS:
                continue
            checks = SWAP_CHECKS.get(test, [])
            if "rmap_check" in extra:
                checks = checks + [expect("rmap_check every 2000 faults",
                                          r"^rmap_check: every 2000 page faults", 1)]
            scan = SCAN_SWAP[test] if mode == "rmap-scan" else {}
            # (an object walk visits every VMA that may map a page, and
            # tries each one's mm->lock: swapfork, parent and child both
            # faulting, took 391 s with rmap=obj against 272 s with
            # chains on one loaded host)
            if mode in ("rmap-obj", "rmap-hybrid"):
                scan = {"slow": 2}
            # (swapstress at 2 x RAM: the checks make every fault dearer)
            cases.append(swap_case(f"{test}-{mode}", test, "-x 2" if test == "swapstress" else "",
                                   extra=extra, checks=checks, **scan))
    return cases


# The NUMA-balancing tests: user/tests/numabal.c, one boot per scenario,
# and user/tests/numachurn.c, on two nodes of 256 MiB with one CPU each,
# balancing on at boot (the off scenario boots with it off).
# case name -> (test and its arguments, boot options, seconds).
NUMABAL_MACHINE = Topology([Node("0", 256), Node("1", 256)])
ON, OFF = "numa_balancing=enable ", "numa_balancing=disable "
NUMABAL_CASES = {
    "numabal-converge": ("numabal converge", ON, 240),
    "numabal-local": ("numabal local", ON, 180),
    "numabal-pingpong": ("numabal pingpong", ON, 180),
    "numabal-policy": ("numabal policy", ON, 240),
    "numabal-ratelimit": ("numabal ratelimit", ON, 180),
    "numabal-off": ("numabal off", OFF, 180),
    "numabal-placement": ("numabal placement", ON, 240),
    "numachurn": ("numachurn", ON, 240),
    # numachurn again: the reverse map checked every 500 faults; unmapping
    # by walking every page table (rmap=scan); and with swap on a small
    # node 0 (48 MiB: the workers and the migrations to it meet reclaim).
    "numachurn-rmap-check": ("numachurn", ON + "rmap_check=500 ", 360),
    "numachurn-rmap-scan": ("numachurn", ON + "rmap=scan ", 360),
    "numachurn-rmap-obj": ("numachurn", ON + "rmap=obj rmap_check=500 ", 360),
    "numachurn-rmap-hybrid": ("numachurn", ON + "rmap=hybrid rmap_check=500 ", 360),
    "numachurn-swap": ("numachurn", ON + "swap=64M@1 ", 360),
    # and with replication: a forked child sweeping its parent's private
    # region from the other node gets replicas of the copy-on-write pages,
    # which its writes, exits and SIGKILLs collapse or free; once with the
    # reverse map checked, once with swap on the small node 0.
    "numachurn-replicate": ("numachurn", ON + "numa_replication=enable rmap_check=500 ", 360),
    "numachurn-replicate-swap": ("numachurn", ON + "numa_replication=enable swap=64M@1 ", 360),
}
NUMABAL_TESTS = ("numabal", "numachurn")
NUMABAL_MACHINES = {name: Topology([Node("0", 48), Node("1", 256 + 72)])
                    for name in ("numachurn-swap", "numachurn-replicate-swap")}


def numabal_cases():
    """One boot per NUMABAL_CASES entry: /tests/TEST -b B ARGS as init."""
    cases = []
    for name, (test, opts, secs) in NUMABAL_CASES.items():
        prog, _, args = test.partition(" ")
        on = 0 if opts == OFF else 1
        checks = [user_ktap, init_exit_ok]
        m = re.search(r"rmap_check=(\d+)", opts)
        if m:
            checks.append(expect(f"rmap_check every {m.group(1)} faults",
                                 rf"^rmap_check: every {m.group(1)} page faults", 1))
        if "swap=" in opts:
            checks.append(expect("swap: on /dev/ram0", r"^swap: on /dev/ram0", 1))
        cases.append(Case(name, cmdline=f"{opts}init=/tests/{prog} poweroff -- -b {on} {args}".rstrip(),
                          machine=NUMABAL_MACHINES.get(name, NUMABAL_MACHINE), numa=True,
                          checks=checks, post=[fsimg.post_fsck], timeout=secs))
    return cases


def user_test_cases():
    """One boot per user/tests/*.c program, run as init (init=/tests/NAME);
    the swap tests on their own machines (SWAP_TESTS)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = sorted(os.path.basename(p)[:-2] for d in ("user/tests", "user/pie", "user/glibc")
                   for p in glob.glob(os.path.join(root, d, "*.c")))
    return [swap_case(f"user-{n}", n, checks=SWAP_CHECKS.get(n, [])) for n in names
            if n in SWAP_TESTS] + numabal_cases() + [
            Case(f"user-{n}", cmdline=USER_TEST_OPTIONS.get(n, "")
                 + f"rmap_check=500 init=/tests/{n} poweroff",
                 machine=USER_TEST_MACHINES.get(n), numa=n in USER_TEST_MACHINES,
                 keys=USER_TEST_KEYS.get(n),
                 checks=[user_ktap, init_exit_ok, RMAP_CHECK_500] + USER_TEST_CHECKS.get(n, []),
                 post=[fsimg.post_fsck] + ([fsimg.post_filemap] if n == "filemap" else []),
                 timeout=3 * DEFAULT_TIMEOUT)
            for n in names if n not in SWAP_TESTS and n not in NUMABAL_TESTS] + [
        # The whole suite in one boot with the reverse map checked every 500
        # page faults (rmap_check panics on a disagreement), with rmap=scan
        # (migration by walking every page table), rmap=obj (every page found
        # through its i_mmap or anon_vma) and rmap=hybrid (chains for
        # anonymous pages, i_mmap for file pages). With pte_chains (the
        # default) each user-NAME boot above checks every 500 faults itself;
        # RMAP_MODES_FULL=1 adds the one-boot chain run. Every 1000 faults
        # here: a check walks all of memory, and cow's 274 MiB alone made
        # 35 s of checks per mode at 500 (make test's 15 minutes).
        Case(f"user-all-{mode}-rmap-check",
             cmdline=f"rmap={mode} rmap_check=1000 init=/bin/sh poweroff -- /tests/run.sh",
             checks=[user_ktap, RMAP_CHECK_1000],
             post=[fsimg.post_fsck], timeout=10 * DEFAULT_TIMEOUT)
        for mode in ("chain", "scan", "obj", "hybrid")
        if mode != "chain" or os.environ.get("RMAP_MODES_FULL") == "1"] + [
        # Several processes fault file pages in, map, unmap, read, write and
        # fork at once while the reverse map is checked every N faults: the
        # check must neither hang the machine (it once took every mm->lock
        # from inside a fault) nor report a healthy kernel (it once counted
        # a pte_chain block between the slab and a CPU's spare as leaked).
        Case(f"user-rmapstress-rmap-check-{n}",
             cmdline=f"rmap_check={n} init=/tests/rmapstress poweroff",
             checks=[user_ktap, init_exit_ok,
                     expect(f"rmap_check every {n} faults",
                            rf"^rmap_check: every {n} page faults", 1),
                     expect("the checker ran during the test",
                            r"^# rmap_check ran [1-9]\d* times in \d+ page faults", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for n in (1, 3)] + [
        # Without pairs (rmap_pairs=off: a second mapping makes a chain, as
        # on a machine with RAM above 32 GiB): the same stress and the fork
        # chains of three generations, checked every 3 faults.
        Case(f"user-{t}-no-pairs-rmap-check",
             cmdline=f"rmap_pairs=off rmap_check=3 init=/tests/{t} poweroff"
                     + (" -- -n" if t == "forkchain" else ""),
             checks=[user_ktap, init_exit_ok,
                     expect("no pairs", r"^rmap: pte_chain \(direct, chain: rmap_pairs=off\)", 1),
                     expect("rmap_check every 3 faults", r"^rmap_check: every 3 page faults", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for t in ("rmapstress", "forkchain")] + [
        Case("ktest-rmap-no-pairs", cmdline="rmap_pairs=off ktest=rmap poweroff", ktap=True,
             checks=[expect("no pairs", r"^rmap: pte_chain \(direct, chain: rmap_pairs=off\)", 1)]),
        Case("user-forkchain-rmap-check", cmdline="rmap_check=1 init=/tests/forkchain poweroff",
             checks=[user_ktap, init_exit_ok,
                     expect("rmap_check every fault", r"^rmap_check: every 1 page faults", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)] + [
        # The same with rmap=chain said on the command line (the rmap lab's
        # grader: its starting tree uses rmap=obj by default until the
        # student's chains work), with pairs and without.
        Case(f"user-{t}-rmap-chain{sfx}",
             cmdline=f"rmap=chain {opts}init=/tests/{t} poweroff" + (" -- -n" if sfx else ""),
             checks=[user_ktap, init_exit_ok,
                     expect("rmap mode chain", rf"^rmap: {line}", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for t, sfx, opts, line in (
            ("forkchain", "", "rmap_check=1 ", MODE_LINE["chain"]),
            ("forkchain", "-no-pairs", "rmap_pairs=off rmap_check=3 ",
             r"pte_chain \(direct, chain: rmap_pairs=off\)"),
            ("rmapstress", "", "rmap_check=3 ", MODE_LINE["chain"]))] + [
        # NUMA balancing and replication rewrite PTEs (hint entries, batched
        # migrations, replicas with their own chains) while the reverse map
        # is checked every 50 faults.
        # The same under rmap=obj and rmap=hybrid (used_elsewhere and
        # replicas' unmapping through i_mmap and anon_vma).
        Case(f"user-{t}-rmap-check{sfx}", cmdline=f"{mode}rmap_check=50 init=/tests/{t} poweroff",
             checks=[user_ktap, init_exit_ok,
                     expect("rmap_check every 50 faults", r"^rmap_check: every 50 page faults", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for t in ("numahint", "numareplica", "numacowrep")
        for sfx, mode in (("", ""), ("-obj", "rmap=obj "), ("-hybrid", "rmap=hybrid "))] + [
        # Threads of one mm faulting, mprotecting and unmapping on CPUs of
        # two nodes at once, with the reverse map checked every 50 faults.
        Case(f"user-{t}-rmap-check", cmdline=f"rmap_check=50 init=/tests/{t} poweroff",
             checks=[user_ktap, init_exit_ok,
                     expect("rmap_check every 50 faults", r"^rmap_check: every 50 page faults", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for t in ("threads", "threads-glibc", "threadsig", "threadsig-glibc")] + [
        # mremap moves PTEs: each mode's reverse map must follow them
        # (chain slots rewritten; obj and hybrid computing the new address
        # from the moved VMA; scan reading the tables), checked every 20
        # faults and by /proc/rmap_check at the end.
        Case(f"user-mremap-rmap-{mode}",
             cmdline=f"rmap={mode} rmap_check=20 init=/tests/mremap poweroff",
             checks=[user_ktap, init_exit_ok,
                     expect(f"rmap mode {mode}", rf"^rmap: {MODE_LINE[mode]}", 1),
                     expect("rmap_check every 20 faults", r"^rmap_check: every 20 page faults", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for mode in ("chain", "scan", "obj", "hybrid")] + [
        # rmapwalk's moves (after mremap among them) in each mode: the walk
        # must reach every PTE, and /proc/rmap_check agree, after each move.
        Case(f"user-rmapwalk-rmap-{mode}", cmdline=f"rmap={mode} init=/tests/rmapwalk poweroff",
             checks=[user_ktap, init_exit_ok,
                     expect(f"rmap mode {mode}", rf"^rmap: {MODE_LINE[mode]}", 1)],
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for mode in ("chain", "scan", "obj", "hybrid")] + [
        # swapbasic without chains: swap slots of pages reached through
        # their objects must all come free again too.
        Case(f"user-swapbasic-rmap-{mode}",
             cmdline=f"swap=150M@1 rmap={mode} rmap_check=2000 init=/tests/swapbasic poweroff",
             machine=USER_TEST_MACHINES["swapbasic"], numa=True,
             checks=[user_ktap, init_exit_ok], post=[fsimg.post_fsck],
             timeout=3 * DEFAULT_TIMEOUT)
        for mode in ("obj", "hybrid")] + [
        # mremap of a mapping partly on swap (swap entries move with it),
        # on swapbasic's small machine, the reverse map checked too.
        Case("user-mremap-swap", cmdline="swap=150M@1 rmap_check=2000 init=/tests/mremap poweroff",
             machine=USER_TEST_MACHINES["swapbasic"], numa=True,
             checks=[user_ktap, init_exit_ok], post=[fsimg.post_fsck],
             timeout=3 * DEFAULT_TIMEOUT)] + [
        # Memory policies on the 2-node machine with the reverse map checked
        # every 64 faults (mbind's moves and splits, COW copies by policy)
        # and with rmap=scan (mbind moves pages by walking page tables).
        Case(f"user-mempolicy-{name}", cmdline=f"{opts} init=/tests/mempolicy poweroff",
             checks=[user_ktap, init_exit_ok] + extra,
             post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT)
        for name, opts, extra in (
            ("rmap-check", "rmap_check=64",
             [expect("rmap_check every 64 faults", r"^rmap_check: every 64 page faults", 1)]),
            ("rmap-scan", "rmap=scan", []))] + [
        # A power cut while processes write to files unlinked while open: the
        # disk then holds inodes with no links still allocated (as Linux's
        # ext2 leaves them); e2fsck must repair it all and be clean after.
        # msync must write every file of its range: the power is cut after
        # it, and the image must hold what the mappings wrote (the second
        # time, seen only in the PTEs' dirty bits).
        Case("msync-power-cut", cmdline="init=/tests/msync poweroff -- hold",
             stop_at=r"^# msync: holding", stop_after=0.5,
             checks=[expect("msync returned", r"^ok 2 one msync", 1),
                     expect("the second msync returned", r"^ok 4 a second msync", 1)],
             post=[fsimg.post_msync(12)]),
        Case("orphan-power-cut", cmdline="init=/tests/orphan poweroff -- hold",
             stop_at=r"^# orphan: holding", stop_after=0.5,
             checks=[expect("the children report", r"^ok 5 4 of 4 children report", 1),
                     expect("no power-off happened", r"^power: ", 0)],
             post=[fsimg.post_repair(["Deleted inode \\d+ has zero dtime"])],
             timeout=3 * DEFAULT_TIMEOUT)]


def lines_in_order(name, patterns):
    """Lines matching each of patterns (re.search) are printed, in this order."""
    def run(boot):
        at, seen = 0, []
        for pat in patterns:
            hit = next((i for i in range(at, len(boot.lines)) if re.search(pat, boot.lines[i])), None)
            if hit is None:
                return [check(name, False, f"no line matching {pat!r} after {seen}")]
            seen.append(boot.lines[hit].strip())
            at = hit + 1
        return [check(name, True)]
    return run


# Debian's static busybox (glibc: fork is clone(CLONE_CHILD_SETTID|
# CLONE_CHILD_CLEARTID|SIGCHLD)) as the first process: ash runs a
# three-stage pipeline and a subshell that sleeps 1 s in the background,
# says "started" at once, and its `wait` (rt_sigsuspend until SIGCHLD)
# returns only after both: "late" comes between "started" and "done".
BUSYBOX_SH = ("echo a b c | busybox tr a-z A-Z | busybox rev & (busybox sleep 1; echo late) & "
              "echo started; wait; echo done")


# An interactive ash as the first process (the console is its controlling
# TTY): a job started in the background, listed, brought to the
# foreground, stopped with ^Z, continued in the background and killed, as
# a user at the console would. Each command is typed once the prompt
# ("~ # ", at the end of the output so far, maybe with line editing's
# request for the cursor position, which gets no answer) is back.
PROMPT = r"[~/] # (\x1b\[6n)?$"
ASH_JOBS_KEYS = [(PROMPT, b"busybox sleep 60 &\n"), (PROMPT, b"jobs\n"), (PROMPT, b"fg\n"),
                 (r"^busybox sleep 60\r?$", b"\x1a"), (PROMPT, b"jobs\n"), (PROMPT, b"bg\n"),
                 (PROMPT, b"jobs\n"), (PROMPT, b"kill %1\n"), (PROMPT, b"jobs\n"),
                 (PROMPT, b"echo jobs-done\n"), (PROMPT, b"exit\n")]
JOB = r"^\[1\]\+? +"
# ash's line editor in the console's raw mode: a command, then the up
# arrow (ESC [ A) recalls it and Enter runs it again; then `read -n 1`
# (non-canonical, VMIN 1) takes one key without Enter; Tab completes.
ASH_HISTORY_KEYS = [(PROMPT, b"echo hist-$((6*7))\n"), (PROMPT, b"\x1b[A"),
                    (r"echo hist-\$\(\(6\*7\)\)(\x1b\[J)?$", b"\n"),
                    (PROMPT, b"read -n 1 k; echo; echo got-$k\n"), (r"echo got-\$k\r?$", b"x"),
                    (PROMPT, b"ech\t"), (r"# echo (\x1b\[J)?$", b"tab-ok\n"), (PROMPT, b"exit\n")]


def busybox_cases():
    return [Case("busybox-sh", cmdline=f'init=/bin/busybox poweroff -- sh -c "{BUSYBOX_SH}"',
                 checks=[init_exit_ok,
                         expect("the pipeline's output", r"^C B A$", 1),
                         lines_in_order("started at once, late after 1 s, done after wait",
                                        [r"^started$", r"^late$", r"^done$"]),
                         expect("done is printed once", r"^done$", 1)],
                 timeout=2 * DEFAULT_TIMEOUT),
            Case("busybox-jobs", cmdline="init=/bin/busybox poweroff -- sh -i",
                 keys=ASH_JOBS_KEYS,
                 checks=[init_exit_ok,
                         expect("^Z is echoed", r"\^Z", 1),
                         lines_in_order("running, stopped by ^Z, running again, killed",
                                        [JOB + r"Running +busybox sleep 60",
                                         JOB + r"Stopped +busybox sleep 60",
                                         JOB + r"Stopped +busybox sleep 60",
                                         r"^\[1\] busybox sleep 60\r?$",   # bg
                                         JOB + r"Running +busybox sleep 60",
                                         JOB + r"Terminated +busybox sleep 60",
                                         r"^jobs-done\r?$"])],
                 timeout=2 * DEFAULT_TIMEOUT),
            Case("busybox-history", cmdline="init=/bin/busybox poweroff -- sh -i",
                 keys=ASH_HISTORY_KEYS,
                 checks=[init_exit_ok,
                         expect("the command ran twice (typed, then recalled)", r"^hist-42$", 2),
                         expect("echoed once each time (no TTY echo besides ash's)",
                                r"echo hist-\$\(\(6\*7\)\)", 2),
                         expect("no line shows the command twice",
                                r"echo hist-.*echo hist-", 0),
                         expect("read -n 1 gets the key without Enter", r"^got-x$", 1),
                         expect("Tab completes ech to echo", r"^tab-ok$", 1)],
                 timeout=2 * DEFAULT_TIMEOUT)]


# The differential suite (tests/bbdiff.py): tests/bbdiff.sh, the same
# script with the same busybox, here and on the host; one check per block.
# Its scratch tree stays in the image, for e2fsck.
def bbdiff_cases():
    return [Case("busybox-diff", cmdline="init=/bin/sh poweroff -- bbdiff.sh /tmp/bbdiff",
                 image=bbdiff.image, checks=[init_exit_ok, bbdiff.compare],
                 post=[fsimg.post_fsck], timeout=2 * DEFAULT_TIMEOUT)]


def gdb_cases():
    """One case per GDB walkthrough of tests/gdb_check.py (the docs quote them)."""
    return [Case(f"gdb-{s.name}", kind="gdb", timeout=s.timeout) for s in gdb_check.SESSIONS]


# The deliberate protection faults (arch/x86_64/protect_test.c): suite,
# trap, the line naming the protection, a function the report must name,
# and the command-line word that turns the protection off (None: none).
PROTECT = [
    ("smep", "page fault (vector 14)", r"SMEP: the kernel executed a user page",
     "ktest_smep_fn", "nosmep", "kernel_executes_user_page"),
    ("smap", "page fault (vector 14)", r"SMAP: the kernel touched a user page outside a user copy",
     "ktest_smap_fn", "nosmap", "kernel_reads_user_page"),
    ("text", "page fault (vector 14)", r"write to a read-only kernel page",
     "ktest_text_write_fn", "rodata=off", "kernel_writes_its_text"),
    ("alias", "page fault (vector 14)", r"write to a read-only kernel page",
     "ktest_alias_write_fn", "rodata=off", "kernel_writes_its_text_via_direct_map"),
    ("rodata", "page fault (vector 14)", r"write to a read-only kernel page",
     "ktest_rodata_write_fn", "rodata=off", "kernel_writes_its_rodata"),
    ("nx", "page fault (vector 14)", r"NX: the kernel executed a no-execute page",
     "ktest_protect_nx_kernel_executes_its_data", "rodata=off", "kernel_executes_its_data"),
    ("stack", "double fault (vector 8)",
     r"kernel stack overflow in task recurse \(pid \d+\): guard page hit at 0x[0-9a-f]+",
     "ktest_recurse_fn", None, None),
]


def protect_cases():
    """One boot per deliberate protection fault, and one per protection
    turned off, where the same test must fail (it can fail) without a trap."""
    cases = [Case(f"protect-{name}", cmdline=f"ktest=protect_{name} poweroff", crash=False,
                  complete=False, checks=[check_protect_trap(title, why, fn)])
             for name, title, why, fn, _, _ in PROTECT]
    cases += [Case(f"protect-{name}-off", cmdline=f"ktest=protect_{name} {off} poweroff",
                   checks=[expect(f"with {off} the test fails instead",
                                  r"^\s*not ok 1 " + test + r" # ", 1)])
              for name, _, _, _, off, test in PROTECT if off]
    # -fstack-protector-strong: an overrun local array stops the kernel.
    cases.append(Case("protect-canary", cmdline="ktest=protect_canary poweroff", crash=False,
                      complete=False, checks=[expect(
                          "KERNEL PANIC: stack protector: stack smashed in ktest_smash_fn",
                          r"KERNEL PANIC on cpu \d+: stack protector: stack smashed in ktest_smash_fn ", 1)]))
    # A CPU without SMEP and SMAP (TCG's default model): no stac/clac.
    cases.append(Case("protect-qemu64", cmdline="ktest=protect,usercopy,usermode poweroff",
                      ktap=True, make={"QEMU_CPU": "qemu64"}))
    return cases


def bad_image(kind):
    def make(path):
        fsimg.make_image(path, 1024)
        fsimg.corrupt(path, kind)
    return make


# busybox's process and system applets, run one after another by busybox's
# sh (/bin/sh), each after a "== NAME" line.
BUSYBOX_APPLETS = ["ps", "top -b -n1", "free", "uptime", "df", "mount", "uname -a",
                   "cat /proc/loadavg"]


def busybox_image(path):
    """build/disk.img with /procs.sh, the script of BUSYBOX_APPLETS."""
    subprocess.run(["cp", "--sparse=always", os.path.join(ROOT, "build", "disk.img"), path],
                   check=True)
    script = path + ".procs.sh"
    with open(script, "w") as f:
        for a in BUSYBOX_APPLETS:
            f.write(f"/bin/echo == {a.split()[0]}\n/bin/busybox {a}\n")
    subprocess.run([fsimg.tool("debugfs"), "-w", "-R", f"write {script} /procs.sh", path],
                   check=True, capture_output=True)
    os.unlink(script)


# What each applet prints on Linux, in shape: headers, columns, a line for
# init (pid 1, /bin/sh running the script). free and uptime take their
# totals and uptime from sysinfo(2), df its sizes from statfs(2).
BUSYBOX_CHECKS = [
    expect("ps: header", r"^PID\s+USER\s+COMMAND$", 1),
    expect("ps: init's line", r"^\s+1 root\s+/bin/sh /procs\.sh$", 1),
    expect("ps: a kernel thread in brackets", r"^\s+\d+ \S+\s+\[kswapd0\]$", 1),
    expect("ps: its own line", r"^\s+\d+ \S+\s+/bin/busybox ps$", 1),
    expect("top: Mem line", r"^Mem: \d+K used, \d+K free, \d+K shrd, \d+K buff, \d+K cached$", 1),
    expect("top: CPU line", r"^CPU:\s+\d+% usr\s+\d+% sys\s+\d+% nic\s+\d+% idle", 1),
    expect("top: Load average line", r"^Load average: \d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+$", 1),
    expect("top: header", r"^\s+PID\s+PPID USER\s+STAT\s+VSZ %VSZ %CPU COMMAND$", 1),
    expect("top: init's line", r"^\s+1\s+0 \S+\s+S\s+\d+\s+\d+%\s+\d+% /bin/sh /procs\.sh$", 1),
    expect("free: header", r"^\s+total\s+used\s+free\s+shared\s+buff/cache\s+available$", 1),
    expect("free: Mem and Swap lines", r"^(Mem|Swap):(\s+\d+){3}", 2),
    expect("uptime: load average", r" up .* load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$", 1),
    expect("df: header", r"^Filesystem\s+1K-blocks\s+Used Available Use% Mounted on$", 1),
    expect("mount: the root and /proc", r"^(vda on / type ext2|proc on /proc type proc) \(rw\)$", 2),
    expect("uname -a: Linux, Numbat in the version",
           r"^Linux numbat 6\.1\.0-numbat #1 SMP NUMA Numbat \S+ x86_64 GNU/Linux$", 1),
    expect("cat /proc/loadavg", r"^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+$", 1),
]

CASES = [
    Case("topo-1node", machine=even(1, 2, 256)),
    Case("topo-2node", cmdline="ktest=all poweroff", machine=even(2, 4, 512), ktap=True,
         post=FS_POST),
    # policy strings, balancing checks, placement by mode (two nodes)
    Case("ktest-mempolicy", cmdline="ktest=mempolicy poweroff", ktap=True),
    # rmap_walk must report exactly the PTEs of a frame in every mode.
    *[Case(f"ktest-rmap-walk-{mode}", cmdline=f"rmap={mode} ktest=rmap_walk,rmap poweroff",
           ktap=True, checks=[expect(f"rmap mode {mode}", rf"^rmap: {MODE_LINE[mode]}", 1)])
      for mode in ("chain", "scan", "obj", "hybrid")],
    Case("topo-4node", cmdline="ktest=all poweroff", ktap=True, numa=True, post=FS_POST,
         machine=Topology([Node("0", 64), Node("1", 128), Node("2", 192), Node("3", 128)], SLIT4)),
    Case("topo-cpus-no-mem", cmdline="ktest=pmm poweroff", ktap=True, numa=True,
         machine=Topology([Node("0-1", 512), Node("2-3", 0)])),
    Case("topo-mem-no-cpus", cmdline="ktest=pmm poweroff", ktap=True, numa=True,
         machine=Topology([Node("0-3", 256), Node("none", 256)])),
    Case("topo-no-numa", machine=Topology([Node("0-3", 512)]), make={"QEMU_NUMA": ""}),
    Case("big-4g-4node", cmdline="ktest=pmm poweroff", machine=even(4, 4, 4096), ktap=True,
         timeout=2 * DEFAULT_TIMEOUT),
    Case("trap-pf", cmdline="ktest=trap_pf poweroff", crash=False, complete=False,
         checks=[check_trap("page fault (vector 14)", "ktest_trap_pf_fn", [
             ("error 0x2 (write, not present)", r"^\s*TRAP: page fault .*, error 0x0*2\s*$"),
             ("CR2: 0x...dead000", r"^\s*CR2: 0x0*dead000\s*$")])]),
    Case("trap-ud", cmdline="ktest=trap_ud poweroff", crash=False, complete=False,
         checks=[check_trap("invalid opcode (vector 6)", "ktest_trap_ud_fn")]),
    *protect_cases(),
    # Deliberate hangs: the watchdog must turn each into a report that names
    # the hung CPU and, in its NMI backtrace, the function that hangs.
    Case("watchdog-irq", cmdline="ktest=watchdog_irq poweroff", crash=False, complete=False,
         checks=[check_watchdog("a cpu stuck with interrupts off",
                                r"cpu (\d+) stuck with interrupts off for \d+ s", 1,
                                "ktest_wd_irqoff_fn")]),
    Case("watchdog-lock", cmdline="ktest=watchdog_lock poweroff", crash=False, complete=False,
         checks=[check_watchdog("a cpu waits for a spinlock held forever",
                                r"cpu \d+ waited \d+ s for spinlock 'watchdog_test' held by cpu (\d+)",
                                1, "ktest_wd_hold_fn", holds="watchdog_test")]),
    Case("watchdog-held", cmdline="ktest=watchdog_held poweroff", crash=False, complete=False,
         checks=[expect("schedule() with a spinlock held is stopped, naming the lock",
                        r"KERNEL PANIC on cpu \d+: schedule with 1 spinlocks held "
                        r"\('held_across_yield'\) and 0 pte_chain locks", 1),
                 expect("the backtrace names the function that yields",
                        r"^\s*#\d+ 0x[0-9a-f]+ <ktest_wd_yield_locked_fn\+0x[0-9a-f]+>")]),
    Case("cmdline-garbage", cmdline="ktest=none poweroff " + " ".join(GARBAGE),
         checks=[check_unknown_options(GARBAGE)]),
    # A disk with no file system: no root, init cannot run, no trap (init
    # once freed an argument buffer it had never allocated).
    Case("no-root", cmdline="init=/bin/nodes poweroff", make={"MEM": "32", "NODES": "1"},
         image=lambda p: open(p, "wb").truncate(1 << 20),
         checks=[expect("vfs: no root file system", r"^vfs: no root file system", 1),
                 expect("init: cannot run /bin/nodes: error -2",
                        r"^init: cannot run /bin/nodes: error -2$", 1)]),
    # swap=SIZE@NODE: a RAM disk on node 1 with a swap header, swapped on.
    Case("busybox-procs", cmdline="init=/bin/sh poweroff -- /procs.sh", image=busybox_image,
         checks=BUSYBOX_CHECKS),
    # The strace option prints paths and data as strace does, and a bad
    # pointer (badptr hands the kernel its worst) as an address.
    Case("strace-paths", cmdline="strace init=/bin/busybox poweroff -- head -n 1 /etc/motd",
         checks=[expect("openat with its path and flags",
                        r'^\[1 busybox\] openat\(AT_FDCWD, "/etc/motd", O_RDONLY\) = 3$', 1),
                 expect("write with its data escaped",
                        r'^\[1 busybox\] write\(1, "Welcome to Numbat\.\\n", 19\) = 19$', 1),
                 expect("exit_group", r"^\[1 busybox\] exit_group\(0\) = \?$", 1)]),
    Case("strace-badptr", cmdline="strace init=/tests/badptr poweroff",
         checks=[user_ktap, init_exit_ok,
                 expect("open of a kernel address: the address, EFAULT",
                        r"^\[1 badptr\] open\(0xffff800000000000, O_RDONLY\) = -1 EFAULT$", 1),
                 expect("open(NULL)", r"^\[1 badptr\] open\(NULL, O_RDONLY\) = -1 EFAULT$", 1)],
         timeout=3 * DEFAULT_TIMEOUT),
    # The intro lab's first test: a program run as init prints /proc/uptime.
    Case("intro-cat-uptime", cmdline="init=/bin/cat poweroff -- /proc/uptime",
         checks=[init_exit_ok, expect("/proc/uptime: two numbers with two decimals",
                                      r"^\d+\.\d\d \d+\.\d\d$", 1)]),
    Case("swap-option", cmdline="swap=8M@1 init=/bin/cat poweroff -- /proc/swaps",
         checks=[expect("swap: on /dev/ram0 (8 MiB less the header)",
                        r"^swap: on /dev/ram0: 8188 KiB, priority -2$", 1),
                 expect("blk: ram0 on node 1", r"^blk: ram0: 16384 blocks of 512 bytes \(8192 KiB\), node 1$", 1),
                 expect("/proc/swaps lists it as Linux does",
                        r"^/dev/ram0 {31}partition {4}8188 {8}0 {8}-2$", 1)]),  # tabs read as 4 spaces
    # A swap area made by Linux's mkswap is one Numbat swaps on.
    Case("swap-linux-mkswap", cmdline="init=/bin/swapon poweroff -- /dev/vdb",
         image=linux_swap_image,
         make={"QEMUEXTRA": "-drive file=build/tests/swap-linux-mkswap-swap.img,format=raw,if=virtio"},
         checks=[init_exit_ok, expect("swap: on /dev/vdb (8 MiB less the header)",
                                      r"^swap: on /dev/vdb: 8188 KiB, priority -2$", 1)]),
    # shmem's swap side on the swap area swap= makes: a page written out
    # reads back, the slot is reused and given back at the last put.
    Case("shmem-swap", cmdline="swap=4M ktest=shmem poweroff", ktap=True),
    # Shared anonymous memory pushed out to swap and read back: 256 MiB of
    # the 352 are the swap RAM disk, which leaves about 88 MiB for a 32 MiB
    # shared area and 200 MiB of private memory touched after it: well over
    # what fits, so that reclaim must write shmem pages to swap too, not
    # only the private ones.
    Case("user-shmanon-pressure", cmdline="swap=256M@0 init=/tests/shmanon poweroff -- pressure 200",
         make={"MEM": "352", "NODES": "1", "CPUS": "2"}, checks=[user_ktap, init_exit_ok],
         post=[fsimg.post_fsck], timeout=3 * DEFAULT_TIMEOUT),
] + [
    # ext2 on every block size: the in-kernel tests, then e2fsck and debugfs.
    Case(f"ext2-b{bs}", cmdline="ktest=ext2,pcache,vfs poweroff", ktap=True,
         image=lambda p, bs=bs: fsimg.make_image(p, bs), post=FS_POST,
         checks=[expect("ext2 mounted with this block size",
                        rf"^ext2: vda: \d+ blocks of {bs} bytes")])
    for bs in (1024, 2048, 4096)
] + [
    # Damaged images: the mount is refused or the operation fails; no crash.
    Case("ext2-probe-good", cmdline="ktest=ext2_bad poweroff", ktap=True,
         image=lambda p: fsimg.make_image(p, 1024), post=[fsimg.post_fsck],
         checks=[expect(f"probe: {what} = 0", rf"^probe: {re.escape(what)} = 0$", 1)
                 for what in PROBES]),
    Case("ext2-bad-magic", cmdline="ktest=ext2_bad poweroff", ktap=True,
         image=bad_image("magic"),
         checks=[expect("ext2: vda: bad magic; not mounted", r"^ext2: vda: bad magic; not mounted$", 1),
                 expect("vfs: no root file system", r"^vfs: no root file system"),
                 expect("probe: no root", r"^probe: no root$", 1)]),
] + [
    Case(f"ext2-bad-{kind}", cmdline="ktest=ext2_bad poweroff", ktap=True,
         image=bad_image(kind),
         checks=[expect(f"probe: {what} = -EUCLEAN or -EIO", rf"^probe: {re.escape(what)} = -(117|5)$", 1),
                 expect("probe: stat /hello = 0", r"^probe: stat /hello = 0$", 1),
                 expect("ext2: ... corrupt: ... is logged", r"^ext2: vda: corrupt: ")])
    for kind, what in (("blockptr", "read /ptr/x"), ("inode", "stat /ino/x"),
                       ("reclen", "stat /len/x"), ("cycle", "rename /cyc/top /cyc/a/b/top"))
] + user_test_cases() + busybox_cases() + bbdiff_cases() + swap_cases() + gdb_cases() + [
    # A short fixed-seed campaign of the system-call fuzzer (user/fuzz/):
    # 4 workers on 4 CPUs, then again with the reverse map checked every
    # 200 page faults. No panic, no hang, every worker clean, e2fsck clean.
    # `make fuzz` runs long campaigns with any seed (tests/syzfuzz.py).
    Case(f"fuzz-{name}", cmdline=f"{extra}init=/bin/fuzz poweroff -- -s 1 -n 750 -w 4 -t 120",
         machine=even(2, 4, 512), timeout=3 * DEFAULT_TIMEOUT, post=[fsimg.post_fsck],
         checks=[init_exit_ok,
                 expect("every worker ends clean", r"^fuzz: worker \d+ done: 750 calls, 0 failures$", 4),
                 expect("fuzz: done: ... 0 failures", r"^fuzz: done: seed 1, 3000 calls, 0 failures$", 1),
                 expect("no worker fails or hangs", r"^fuzz: (FAIL|HANG)", 0)] +
                ([expect("rmap_check every 200 faults", r"^rmap_check: every 200 page faults", 1)]
                 if extra else []))
    for name, extra in (("short", ""), ("rmap-check", "rmap_check=200 "))
]
