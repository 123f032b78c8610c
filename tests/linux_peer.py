#!/usr/bin/env python3
"""`make bench-linux`: the swap benchmark (user/bench/swapbench.c, the same
static binary Numbat runs) on Debian's Linux 6.1, under the QEMU settings of
`make bench`'s swap table, to set Numbat's figures beside.

The machine: -icount shift=0 (the TSC counts guest instructions), 1 CPU;
node 0 with 96 MiB and the CPU; node 1 memory-only with 392 MiB plus the
384 MiB the RAM disk will use (Linux's brd allocates its pages as they are
written, where Numbat's RAM disk takes its memory at boot). The kernel is
/boot/vmlinuz-6.1.*-amd64 from the package linux-image-amd64; the initramfs
(build/linux-peer/initramfs-SWAP.cpio, made here) holds busybox-static, brd.ko and
/bench/swapbench, and an /init that

  - loads brd with one 384 MiB RAM disk, runs mkswap and swapon on it,
  - makes a cgroup v2 memory group with memory.max = 64M, the room Numbat's
    96 MiB node leaves a process, and runs swapbench in it,
  - prints the group's memory.stat and powers off.

One boot per row: 0, 1, 16 and 64 idle processes (`swapbench -i N`). The
log of each is build/tests/linux-peer-IDLE-SIZE-SWAP.log. Never part of
`make test`. Usage:

    python3 tests/linux_peer.py [--size MIB] [--idle 0,1,16,64] [--memcg MIB]
                                [--swap MIB] [--mglru] [-v]
    python3 tests/linux_peer.py --numa [--runs N] [-v]
    python3 tests/linux_peer.py --rmap [-v]

--rmap runs the reverse-map benchmarks (user/bench/faults.c and
rmapbench.c) on bench.machine(512 or 1024, 2) under -icount shift=0 with
transparent_hugepage=never: the Linux 6.1 column of docs/rmap.md's table.

--numa runs the NUMA-balancing benchmark (user/bench/numabench.c) instead,
on bench.NUMA_MACHINE (two nodes of 256 MiB, one CPU each), TCG without
-icount: Linux brings up no second CPU under -icount. Its rows and their
tuples are what bench.LINUX_NUMA_RUNS holds.

The swap area is 384 MiB, or larger for a run that cannot fit in it and
the group's 64 MiB (bench.swap_area_mib: 640 MiB for 64 idle processes,
whose 256 MiB, the region's 192 and the fork child's copies of half of it
make 544 MiB at the fork, before page tables and the swap cache); --swap
sets one size for every row.

When the kernel or busybox is missing it installs linux-image-amd64 and
busybox-static as root with apt-get, or says what to install.
"""
import argparse
import glob
import os
import re
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402
import qemu  # noqa: E402

ROOT = qemu.ROOT
OUT = os.path.join(ROOT, "build", "linux-peer")
BENCH_BIN = os.path.join(ROOT, "build", "rootfs", "bench", "swapbench")
BUSYBOX = "/bin/busybox"
PACKAGES = ["linux-image-amd64", "busybox-static"]
NODE0_MIB, NODE1_MIB = 96, 392     # node 1 gets the swap area's size on top
TIMEOUT = 3600

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
{lru_gen}echo "peer: $(uname -r), $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo no) lru_gen"
insmod /brd.ko rd_nr=1 rd_size={swap_kib} || echo "peer: insmod brd failed"
mkswap /dev/ram0 >/dev/null && swapon /dev/ram0 || echo "peer: swapon failed"
cat /proc/swaps
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir /sys/fs/cgroup/bench
echo {memcg}M > /sys/fs/cgroup/bench/memory.max
echo "peer: memory.max $(cat /sys/fs/cgroup/bench/memory.max)"
sh -c 'echo $$ > /sys/fs/cgroup/bench/cgroup.procs && exec /bench/swapbench "$@"' swapbench "$@"
echo "peer: swapbench exited with status $?"
grep -E '^(pgscan|pgsteal|pgfault|pgmajfault) ' /sys/fs/cgroup/bench/memory.stat | sed 's/^/peer: memcg /'
echo "peer: memory.events $(tr '\\n' ' ' < /sys/fs/cgroup/bench/memory.events)"
poweroff -f
"""


def ensure_tools():
    """The newest Debian 6.1 kernel in /boot, its brd.ko and busybox; installs
    the packages (as root with apt-get) when they are missing."""
    def found():
        kernels = sorted(glob.glob("/boot/vmlinuz-6.1.*-amd64"),
                         key=lambda k: [(0, int(x), "") if x.isdigit() else (1, 0, x)
                                        for x in re.split(r"[.-]", k)])
        return (kernels[-1] if kernels else None), os.path.exists(BUSYBOX)
    kernel, busybox = found()
    if not kernel or not busybox:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            sys.exit("linux-peer: missing Debian's kernel or busybox. Install them with:\n"
                     f"  sudo apt-get install {' '.join(PACKAGES)}")
        print(f"linux-peer: installing {' '.join(PACKAGES)}", flush=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + PACKAGES,
                       check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        kernel, busybox = found()
        if not kernel:
            sys.exit("linux-peer: no /boot/vmlinuz-6.1.*-amd64 after installing")
    version = os.path.basename(kernel)[len("vmlinuz-"):]
    brd = f"/lib/modules/{version}/kernel/drivers/block/brd.ko"
    if not os.path.exists(brd):
        sys.exit(f"linux-peer: {brd} is missing (a compressed module? see {kernel})")
    return kernel, brd


def cpio_newc(entries):
    """An uncompressed initramfs: the "newc" cpio format the kernel unpacks.
    entries: (path, mode, data) with mode's S_IFDIR/S_IFREG bits set."""
    out = bytearray()

    def record(ino, name, mode, data):
        name_b = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data),
                  0, 0, 0, 0, len(name_b), 0]
        out.extend(b"070701" + b"".join(b"%08x" % f for f in fields) + name_b)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))
    for ino, (path, mode, data) in enumerate(entries, 1):
        record(ino, path, mode, data)
    record(0, "TRAILER!!!", 0, b"")
    return bytes(out)


def make_initramfs(brd, memcg, swap_mib, mglru=False):
    """build/linux-peer/initramfs-SWAP.cpio: busybox, brd.ko, swapbench,
    and /init, which makes a swap area of swap_mib."""
    def read(path):
        with open(path, "rb") as fh:
            return fh.read()
    if not os.path.exists(BENCH_BIN):
        sys.exit(f"linux-peer: {BENCH_BIN} is missing: run make first")
    d, x, r = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o755, stat.S_IFREG | 0o644
    entries = [(n, d, b"") for n in ("bin", "bench", "dev", "proc", "sys", "tmp")]
    entries += [("bin/busybox", x, read(BUSYBOX)), ("brd.ko", r, read(brd)),
                ("bench/swapbench", x, read(BENCH_BIN)),
                ("init", x, INIT.format(swap_kib=swap_mib * 1024, memcg=memcg,
                                         lru_gen="echo y > /sys/kernel/mm/lru_gen/enabled\n"
                                         if mglru else "").encode())]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"initramfs-{swap_mib}{'-mglru' if mglru else ''}.cpio")
    with open(path, "wb") as fh:
        fh.write(cpio_newc(entries))
    return path


def qemu_args(kernel, initrd, bench_args, swap_mib):
    """QEMU as tests/bench.py runs Numbat: TCG, -icount shift=0, 1 CPU on
    node 0 (96 MiB), node 1 memory-only (392 MiB + the RAM disk's size)."""
    node1 = NODE1_MIB + swap_mib
    numa = ["-object", f"memory-backend-ram,id=m0,size={NODE0_MIB}M",
            "-numa", "node,nodeid=0,cpus=0,memdev=m0",
            "-object", f"memory-backend-ram,id=m1,size={node1}M",
            "-numa", "node,nodeid=1,memdev=m1",
            "-numa", "dist,src=0,dst=1,val=20", "-numa", "dist,src=1,dst=0,val=20"]
    append = f"console=ttyS0 panic=-1 quiet loglevel=4 -- {bench_args}"
    return (["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-cpu", "max",
             "-m", str(NODE0_MIB + node1), "-smp", "1"] + numa +
            ["-kernel", kernel, "-initrd", initrd, "-append", append,
             "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
             "-icount", "shift=0"])


def boot_logged(args, log, timeout, what, verbose):
    """Run QEMU with args, its console into log (after a first line with
    the command); (console text, timed out?)."""
    start = time.monotonic()
    with open(log, "wb") as fh:
        fh.write(("# " + " ".join(args) + "\n").encode())
        fh.flush()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            qemu.kill_group(proc)
            timed_out = True
    with open(log, "rb") as fh:
        text = fh.read().decode(errors="replace").replace("\r", "")
    if verbose:
        print(text)
    print(f"linux-peer: {what}: {time.monotonic() - start:.0f} s, log {log}",
          file=sys.stderr, flush=True)
    return text, timed_out


def run(kernel, initrd, size, idle, swap_mib, verbose):
    """One boot; (text of its console, timed out?). Log in build/tests/,
    named like its initramfs."""
    tag = os.path.basename(initrd)[len("initramfs-"):-len(".cpio")]
    log = os.path.join(ROOT, "build", "tests", f"linux-peer-{idle}-{size}-{tag}.log")
    args = qemu_args(kernel, initrd, f"-s {size} -i {idle}", swap_mib)
    return boot_logged(args, log, TIMEOUT, f"idle={idle}", verbose)


def failure(text, timed_out, phases, wrong=None):
    """Why a Linux run has no figures to trust, or None."""
    if "peer: swapon failed" in text or not re.search(r"^/dev/ram0 +partition", text, re.M):
        return "no swap area (see the log)"
    if wrong and wrong != (0, 0):
        return f"WRONG WORDS: {wrong[0]} + {wrong[1]} idle"
    if "total" in phases and "peer: swapbench exited with status 0" in text:
        return None
    where = bench.swap_where(text, phases)
    if timed_out:
        return f"timed out in {where}"
    if re.search(r"out of memory|oom-kill", text, re.I):
        return f"OOM-killed in {where}"
    m = re.search(r"peer: swapbench exited with status (\d+)", text)
    return f"failed in {where} (status {m.group(1) if m else 'unknown'})"


# ---- the NUMA-balancing benchmark (user/bench/numabench.c) ----

NUMA_BIN = os.path.join(ROOT, "build", "rootfs", "bench", "numabench")
NUMA_INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "peer: $(uname -r), numa_balancing $(cat /proc/sys/kernel/numa_balancing)"
/bench/numabench "$@"
echo "peer: numabench exited with status $?"
poweroff -f
"""


def make_numa_initramfs():
    """build/linux-peer/initramfs-numa.cpio: busybox, numabench and /init."""
    if not os.path.exists(NUMA_BIN):
        sys.exit(f"linux-peer: {NUMA_BIN} is missing: run make first")
    with open(BUSYBOX, "rb") as fh:
        busybox = fh.read()
    with open(NUMA_BIN, "rb") as fh:
        numabench = fh.read()
    d, x = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o755
    entries = [(n, d, b"") for n in ("bin", "bench", "dev", "proc", "sys", "tmp")]
    entries += [("bin/busybox", x, busybox), ("bench/numabench", x, numabench),
                ("init", x, NUMA_INIT.encode())]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "initramfs-numa.cpio")
    with open(path, "wb") as fh:
        fh.write(cpio_newc(entries))
    return path


def numa_qemu_args(kernel, initrd, bench_args=""):
    """bench.NUMA_MACHINE for Linux: two nodes of 256 MiB with one CPU each,
    TCG without -icount (under it Linux brings up no second CPU), 4 KiB
    pages only (Debian's kernel makes transparent huge pages by default)."""
    numa = []
    for n in range(2):
        numa += ["-object", f"memory-backend-ram,id=m{n},size=256M",
                 "-numa", f"node,nodeid={n},cpus={n},memdev=m{n}"]
    numa += ["-numa", "dist,src=0,dst=1,val=20", "-numa", "dist,src=1,dst=0,val=20"]
    append = f"console=ttyS0 panic=-1 quiet loglevel=4 transparent_hugepage=never -- {bench_args}"
    return (["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-cpu", "max",
             "-m", "512", "-smp", "2"] + numa +
            ["-kernel", kernel, "-initrd", initrd, "-append", append,
             "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"])


def run_numa(kernel, initrd, run, verbose):
    """One boot of numabench; (console text, timed out?). Log:
    build/tests/linux-peer-numa-RUN.log."""
    log = os.path.join(ROOT, "build", "tests", f"linux-peer-numa-{run}.log")
    args = numa_qemu_args(kernel, initrd)
    return boot_logged(args, log, bench.NUMA_TIMEOUT, f"numa run {run}", verbose)


def numa_main(opts, kernel):
    """--numa: opts.runs boots of numabench on Linux, a row each, their mean,
    and the tuples bench.LINUX_NUMA_RUNS holds."""
    initrd = make_numa_initramfs()
    version = os.path.basename(kernel)[len("vmlinuz-"):]
    print(bench.NUMA_HEADER.replace("2 nodes x 256 MiB, 1 CPU each",
                                    f"Linux {version}, 2 nodes x 256 MiB, 1 CPU each, TCG"))
    print(bench.NUMA_RULE)
    runs, bad = [], 0
    for run in range(opts.runs):
        text, timed_out = run_numa(kernel, initrd, run, opts.v)
        parts, wrong = bench.numa_parse(text)
        why = bench.numa_failure(text, timed_out, parts, wrong)
        bad += bool(why)
        if not why:
            runs.append(parts)
        print(bench.numa_row(f"run {run + 1}", parts, why), flush=True)
    if runs:
        print(bench.numa_row(f"mean of {len(runs)}", bench.numa_mean(runs), None))
        for r in runs:
            print("    (" + ", ".join(f"{r[p][k]:g}" for p, k in bench.NUMA_KEYS) + "),")
    print()
    return 1 if bad else 0


# ---- the reverse-map benchmarks (user/bench/rmapbench.c and faults.c) ----

RMAP_BINS = ("rmapbench", "faults")
RMAP_INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "peer: $(uname -r), thp $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
if [ "$1" = faults ]; then
    shift
    /bench/faults
    echo "peer: faults exited with status $?"
fi
[ $# -gt 0 ] && /bench/rmapbench "$@"
echo "peer: rmapbench exited with status $?"
poweroff -f
"""


def make_rmap_initramfs():
    """build/linux-peer/initramfs-rmap.cpio: busybox, rmapbench, faults and
    /init (which runs faults if its first argument says so, then
    rmapbench with the rest)."""
    def read(path):
        with open(path, "rb") as fh:
            return fh.read()
    d, x = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o755
    entries = [(n, d, b"") for n in ("bin", "bench", "dev", "proc", "sys", "tmp")]
    entries += [("bin/busybox", x, read(BUSYBOX))]
    for name in RMAP_BINS:
        path = os.path.join(ROOT, "build", "rootfs", "bench", name)
        if not os.path.exists(path):
            sys.exit(f"linux-peer: {path} is missing: run make first")
        entries.append((f"bench/{name}", x, read(path)))
    entries.append(("init", x, RMAP_INIT.encode()))
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "initramfs-rmap.cpio")
    with open(path, "wb") as fh:
        fh.write(cpio_newc(entries))
    return path


def rmap_qemu_args(kernel, initrd, bench_args, mem):
    """bench.machine(mem, 2) for Linux, as `make bench` boots Numbat's
    reverse-map benchmarks: -icount shift=0, 1 CPU on node 0, node 1
    memory-only, 4 KiB pages only (transparent_hugepage=never)."""
    half = mem // 2
    numa = ["-object", f"memory-backend-ram,id=m0,size={half}M",
            "-numa", "node,nodeid=0,cpus=0,memdev=m0",
            "-object", f"memory-backend-ram,id=m1,size={half}M",
            "-numa", "node,nodeid=1,memdev=m1",
            "-numa", "dist,src=0,dst=1,val=20", "-numa", "dist,src=1,dst=0,val=20"]
    append = (f"console=ttyS0 panic=-1 quiet loglevel=4 transparent_hugepage=never "
              f"-- {bench_args}")
    return (["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-cpu", "max",
             "-m", str(mem), "-smp", "1"] + numa +
            ["-kernel", kernel, "-initrd", initrd, "-append", append,
             "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
             "-icount", "shift=0"])


# (name, memory in MiB, arguments): the boots of --rmap, as bench.py's.
RMAP_BOOTS = (("faults-fork", 512, "faults chains fork fork2"),
              ("move", 512, "move 1 1024 move 2 1024 move 8 1024 move 32 1024"),
              ("unrelated", 1024, "unrelated 1 256 unrelated 64 256"))


def rmap_main(opts, kernel):
    """--rmap: faults and rmapbench on Linux; prints their bench: lines
    (the figures bench.py's LINUX_* tables hold)."""
    initrd = make_rmap_initramfs()
    bad = 0
    for name, mem, args in RMAP_BOOTS:
        log = os.path.join(ROOT, "build", "tests", f"linux-peer-rmap-{name}.log")
        text, timed_out = boot_logged(rmap_qemu_args(kernel, initrd, args, mem), log,
                                      TIMEOUT, f"rmap {name}", opts.v)
        ok = not timed_out and "peer: rmapbench exited with status 0" in text
        bad += not ok
        for line in re.findall(r"^bench: .*$", text, re.M):
            print(line, flush=True)
        if not ok:
            print(f"linux-peer: rmap {name} failed; see {log}", flush=True)
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=bench.SWAP_MIB, help="region, MiB")
    ap.add_argument("--idle", default="0,1,16,64", help="idle processes, one boot each")
    ap.add_argument("--memcg", type=int, default=64, help="memory.max of the group, MiB")
    ap.add_argument("--swap", type=int, help="the brd swap area, MiB (384, or what a row needs)")
    ap.add_argument("--mglru", action="store_true",
                    help="turn on the multi-generational LRU (Debian ships it off)")
    ap.add_argument("-v", action="store_true", help="print each boot's console")
    ap.add_argument("--numa", action="store_true",
                    help="the NUMA-balancing benchmark (numabench) instead of the swap one")
    ap.add_argument("--runs", type=int, default=3, help="--numa: boots to average")
    ap.add_argument("--rmap", action="store_true",
                    help="the reverse-map benchmarks (faults, rmapbench) instead")
    opts = ap.parse_args(argv)
    kernel, brd = ensure_tools()
    os.makedirs(os.path.join(ROOT, "build", "tests"), exist_ok=True)
    if opts.numa:
        return numa_main(opts, kernel)
    if opts.rmap:
        return rmap_main(opts, kernel)
    version = os.path.basename(kernel)[len("vmlinuz-"):]
    print(f"| {opts.size} MiB, Linux {version}, {opts.memcg} MiB memory cgroup, brd swap, "
          "1 CPU | fill | seq1 | seq2 | random | fork | pswpin | pswpout "
          "| scanned / reclaimed (ratio) | wrong words | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    bad = 0
    for idle in (int(n) for n in opts.idle.split(",")):
        swap = opts.swap or bench.swap_area_mib(opts.size, idle)
        initrd = make_initramfs(brd, opts.memcg, swap, opts.mglru)
        text, timed_out = run(kernel, initrd, opts.size, idle, swap, opts.v)
        phases, wrong = bench.swap_parse(text)
        why = failure(text, timed_out, phases, wrong)
        bad += bool(why)
        what = f"{idle} idle x 4 MiB" if idle else "no idle processes"
        what += f", {swap} MiB swap" + (", MGLRU" if opts.mglru else "")
        print(bench.swap_row(what, phases, wrong, why), flush=True)
    print()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
