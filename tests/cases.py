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
- kind="gdb" runs tests/gdb_check.py instead of a plain boot.
- image: a function that writes the boot's disk image at the path it is
  given (build/tests/NAME.img); without it the boot gets a copy of
  build/disk.img. Parallel boots never share an image.
- post: functions run on the image after QEMU exits (e2fsck, debugfs),
  each returning a list of ktap.Result (tests/fsimg.py).
"""
import glob
import os
import re
from dataclasses import dataclass, field

import fsimg

from checks import (Node, Topology, boot_complete, boots_once, check_ktap, check_topology,
                    check_trap, check_unknown_options, even, expect, init_exit_ok,  # noqa: F401
                    no_crash, powers_off, user_ktap)

DEFAULT_TIMEOUT = 120


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
        c = [powers_off, boots_once]
        if self.complete:
            c.append(boot_complete)
        if self.crash:
            c.append(no_crash)
        if self.machine:
            c.append(check_topology(self.machine))
        if self.ktap:
            c.append(check_ktap(self.suites()))
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


def user_test_cases():
    """One boot per user/tests/*.c program, run as init (DESIGN.md 7)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = sorted(os.path.basename(p)[:-2] for d in ("user/tests", "user/pie")
                   for p in glob.glob(os.path.join(root, d, "*.c")))
    return [Case(f"user-{n}", cmdline=f"init=/tests/{n} poweroff",
                 checks=[user_ktap, init_exit_ok],
                 post=[fsimg.post_fsck] + ([fsimg.post_filemap] if n == "filemap" else []),
                 timeout=3 * DEFAULT_TIMEOUT)
            for n in names] + [
        # The whole suite in one boot with the reverse map checked every 500
        # page faults (rmap_check panics on a disagreement), with pte_chains
        # and with rmap=scan (migration by walking every page table).
        Case(f"user-all-{mode}-rmap-check",
             cmdline=f"rmap={mode} rmap_check=500 init=/bin/sh poweroff -- /tests/run.sh",
             checks=[user_ktap, expect("rmap_check every 500 faults",
                                       r"^rmap_check: every 500 page faults", 1)],
             post=[fsimg.post_fsck], timeout=10 * DEFAULT_TIMEOUT)
        for mode in ("chain", "scan")]


def bad_image(kind):
    def make(path):
        fsimg.make_image(path, 1024)
        fsimg.corrupt(path, kind)
    return make


CASES = [
    Case("topo-1node", machine=even(1, 2, 256)),
    Case("topo-2node", cmdline="ktest=all poweroff", machine=even(2, 4, 512), ktap=True,
         post=FS_POST),
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
    Case("cmdline-garbage", cmdline="ktest=none poweroff " + " ".join(GARBAGE),
         checks=[check_unknown_options(GARBAGE)]),
    Case("gdb", kind="gdb"),
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
] + user_test_cases() + [
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
