#!/usr/bin/env python3
"""`make fuzz`: a long campaign of /bin/fuzz (user/fuzz/) on several machine
shapes, each boot with the reverse map checked every N page faults.

For each shape it boots `init=/bin/fuzz poweroff -- -s SEED -n CALLS`, on a
private copy of the root image, then reports what went wrong:

- a kernel panic or trap, or a hang (no power-off within the time limit);
- a worker's failure or hang (`fuzz: FAIL ...`, `fuzz: HANG ...`);
- e2fsck errors on the image afterwards;

with the seed, the command that replays the boot, and the last calls each
worker logged (its lines `TAG INDEX NAME ARGS...`). The log of the boot is
build/tests/fuzz-SHAPE.log, its image build/tests/fuzz-SHAPE.img.

    python3 tests/syzfuzz.py [--seed S] [--calls N] [--workers W]
                             [--shapes 1node,2node,4node] [--rmap-check N]
                             [--only WORKER] [--timeout SECONDS] [--shrink] [-v]

--shrink: after a crash or a hang, replay (`fuzz -W N -R FILE`) the last
calls of the processes that logged last, 1, 8 then 64 of them, and drop
calls one by one while the kernel still fails the same way.

Exit status 0 when every shape ran clean.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fsimg  # noqa: E402
import qemu  # noqa: E402
from checks import Node, Topology, even  # noqa: E402
from ktap import clean_lines  # noqa: E402

SLIT4 = [[10, 15, 20, 25], [15, 10, 25, 20], [20, 25, 10, 15], [25, 20, 15, 10]]
SHAPES = {
    "1node": (even(1, 2, 256), False),
    "2node": (even(2, 4, 512), False),
    "4node": (Topology([Node("0", 128), Node("1", 128), Node("2", 128), Node("3", 128)], SLIT4), True),
}
TAIL = 8                 # calls shown per worker
CALL = re.compile(r"^(\d+(?:\.\d+)*) (\d+) (\S+)(?: .*)?$")
CRASH = re.compile(r"KERNEL PANIC|^\s*TRAP: |triple fault")


def cmdline(opts):
    args = f"-s {opts.seed} -n {opts.calls} -w {opts.workers} -t {opts.hang}"
    if opts.only is not None:
        args += f" -W {opts.only}"
    rmap = f"rmap_check={opts.rmap_check} " if opts.rmap_check else ""
    return f"{rmap}init=/bin/fuzz poweroff -- {args}"


def make_vars(shape, opts):
    topo, numa = SHAPES[shape]
    v = {"CPUS": str(topo.ncpus), "MEM": str(topo.mem), "CMDLINE": cmdline(opts)}
    if numa:
        v["QEMU_NUMA"] = topo.qemu_numa()
    else:
        v["NODES"] = str(len(topo.nodes))
    return v


def last_calls(lines, n=TAIL):
    """The last n calls each worker (and child) logged: {tag: [lines]}."""
    per = {}
    for line in lines:
        m = CALL.match(line)
        if m:
            per.setdefault(m.group(1), []).append(line)
    return {tag: calls[-n:] for tag, calls in per.items()}


def shown(lines, bad):
    """Whose last calls to print: every worker, the processes named in a
    failure, and those still logging at the end (a panic or hang): at most 16."""
    per = last_calls(lines)
    tail = [CALL.match(line) for line in lines[-100:]]
    want = {t for t in per if "." not in t}
    want |= {m.group(1) for m in tail if m}
    want |= {t for t in per if any(f" {t} " in b for b in bad)}
    return sorted((t, per[t]) for t in want)[:16]


def problems(lines, timed_out, timeout):
    """What went wrong in one boot, as text lines (empty: clean)."""
    out = []
    if timed_out:
        out.append(f"hang: no power-off within {timeout:g} s")
    out += [f"crash: {line.strip()}" for line in lines if CRASH.search(line)][:3]
    out += [f"fuzz: {line.strip()}" for line in lines
            if line.startswith(("fuzz: FAIL", "fuzz: HANG"))][:10]
    if not timed_out and not any(line.startswith("fuzz: done:") for line in lines):
        out.append("fuzz: no 'fuzz: done:' line (the campaign did not finish)")
    return out


def fsck_errors(image):
    """e2fsck -fn on the image: its complaints (empty when clean)."""
    p = subprocess.run([fsimg.tool("e2fsck"), "-fn", image], capture_output=True, text=True)
    if p.returncode == 0:
        return []
    said = [line for line in (p.stdout + p.stderr).splitlines()
            if line.strip() and not line.startswith(("Pass ", "e2fsck "))]
    return [f"e2fsck: exit status {p.returncode}"] + [f"  {line}" for line in said[:12]]


def run_shape(shape, opts):
    """Boot one shape; print its verdict. Returns (calls, problems)."""
    name = f"fuzz-{shape}"
    log = os.path.join(qemu.ROOT, "build", "tests", f"{name}.log")
    v = make_vars(shape, opts)
    v["DISK"] = qemu.disk_copy(name)
    out, timed_out, _ = qemu.boot(name, v, opts.timeout, log, opts.verbose)
    lines = clean_lines(out)
    bad = problems(lines, timed_out, opts.timeout)
    bad += fsck_errors(os.path.join(qemu.ROOT, v["DISK"]))
    calls = sum(1 for line in lines if CALL.match(line))
    print(f"## {shape}: {calls} calls logged, {'CLEAN' if not bad else 'PROBLEMS'}")
    if bad:
        print(f"seed {opts.seed}; log {os.path.relpath(log, qemu.ROOT)}; replay with:")
        print(f"  make fuzz FUZZ_SEED={opts.seed} FUZZ_CALLS={opts.calls} FUZZ_SHAPES={shape}"
              " (add FUZZ_ONLY=N for worker N alone)")
        for b in bad:
            print(f"  {b}")
        for tag, tail in shown(lines, bad):
            print(f"  last calls of {tag}:")
            print("\n".join(f"    {c}" for c in tail))
    sys.stdout.flush()
    if bad and opts.shrink:
        shrink(shape, opts, lines, timed_out)
    return calls, bad


# ---------------------------------------------------------------- shrinking

# The names the fuzzer logs, and their system-call numbers (-1: a touch).
NR = {"read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "fstat": 5, "lstat": 6,
      "lseek": 8, "mmap": 9, "mprotect": 10, "munmap": 11, "brk": 12, "rt_sigaction": 13,
      "rt_sigprocmask": 14, "ioctl": 16, "pread64": 17, "pwrite64": 18, "readv": 19,
      "writev": 20, "access": 21, "pipe": 22, "sched_yield": 24, "mremap": 25, "msync": 26,
      "madvise": 28, "dup": 32, "dup2": 33, "nanosleep": 35, "getpid": 39, "fork": 57,
      "vfork": 58, "execve": 59, "wait4": 61, "kill": 62, "uname": 63, "fcntl": 72, "fsync": 74,
      "truncate": 76, "ftruncate": 77, "getcwd": 79, "chdir": 80, "rename": 82, "mkdir": 83,
      "rmdir": 84, "link": 86, "unlink": 87, "symlink": 88, "readlink": 89, "getuid": 102,
      "getgid": 104, "geteuid": 107, "getegid": 108, "getppid": 110, "arch_prctl": 158,
      "sync": 162, "gettid": 186, "tkill": 200, "sched_setaffinity": 203,
      "sched_getaffinity": 204, "getdents64": 217, "set_tid_address": 218,
      "clock_gettime": 228, "tgkill": 234, "get_mempolicy": 239, "openat": 257,
      "newfstatat": 262, "set_robust_list": 273, "move_pages": 279, "dup3": 292, "pipe2": 293,
      "prlimit64": 302, "getcpu": 309, "getrandom": 318, "touch": -1}
RIP = re.compile(r"RIP: 0x[0-9a-f]+ <([A-Za-z0-9_.]+)")


def signature(lines, timed_out):
    """What a failing boot looks like, to recognise it again: the function
    of the trap, the panic message, or 'hang'."""
    for line in lines:
        m = RIP.search(line)
        if m:
            return "trap in " + m.group(1)
        if "KERNEL PANIC" in line:
            return line[line.index("KERNEL PANIC"):][:60]
    return "hang" if timed_out else None


def to_replay(call_lines):
    """Log lines -> replay lines (`NR ARGS...`), dropping unknown names."""
    out = []
    for line in call_lines:
        f = line.split()
        if len(f) >= 3 and f[2] in NR:
            out.append(" ".join([str(NR[f[2]])] + f[3:]))
    return out


def replay(shape, opts, worker, calls):
    """Boot the replay of calls as worker; returns the boot's signature."""
    name = f"fuzz-shrink-{shape}"
    host = os.path.join(qemu.ROOT, "build", "tests", f"{name}.txt")
    with open(host, "w") as f:
        f.write("\n".join(calls) + "\n")
    img = qemu.disk_copy(name)
    subprocess.run([fsimg.tool("debugfs"), "-w", "-R", f"write {host} /replay",
                    os.path.join(qemu.ROOT, img)], check=True, capture_output=True)
    v = make_vars(shape, opts)
    rmap = f"rmap_check={opts.rmap_check} " if opts.rmap_check else ""
    v.update(DISK=img, CMDLINE=f"{rmap}init=/bin/fuzz poweroff -- -W {worker} -R /replay")
    log = os.path.join(qemu.ROOT, "build", "tests", f"{name}.log")
    out, timed_out, _ = qemu.boot(name, v, opts.timeout, log, opts.verbose)
    return signature(clean_lines(out), timed_out)


def shrink(shape, opts, lines, timed_out):
    """Look for a short replay that fails the same way: the last 1, 8, 64
    calls of the processes that logged last, then drop calls one by one."""
    want = signature(lines, timed_out)
    if not want:
        return
    last = {}
    for i, line in enumerate(lines):
        m = CALL.match(line)
        if m:
            last[m.group(1)] = i
    tags = sorted(last, key=last.get, reverse=True)[:3]
    boots = [0]

    def fails(tag, seq):
        if boots[0] >= opts.shrink_boots:
            return False
        boots[0] += 1
        got = replay(shape, opts, int(tag.split(".")[0]), seq)
        print(f"  shrink: {len(seq)} calls of {tag}: {got or 'clean'}", flush=True)
        return got == want

    for k in (1, 8, 64):
        for tag in tags:
            seq = to_replay(last_calls(lines, k).get(tag, []))
            if seq and fails(tag, seq):
                for i in range(len(seq) - 1, -1, -1):
                    if len(seq) > 1 and fails(tag, seq[:i] + seq[i + 1:]):
                        seq = seq[:i] + seq[i + 1:]
                print(f"## {shape}: {want} reproduced by {len(seq)} calls of worker "
                      f"{tag.split('.')[0]} (fuzz -W N -R FILE, one `NR ARGS` a line):")
                print("\n".join(f"    {c}" for c in seq))
                return
    print(f"## {shape}: no short replay reproduced {want} ({boots[0]} boots)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--calls", type=int, default=5000, help="calls per worker")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--shapes", default="1node,2node,4node")
    ap.add_argument("--rmap-check", type=int, default=500, metavar="N",
                    help="rmap_check=N on the command line (0: none)")
    ap.add_argument("--only", type=int, default=None, metavar="WORKER")
    ap.add_argument("--hang", type=int, default=120, help="seconds without progress = hung worker")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per boot")
    ap.add_argument("--shrink", action="store_true",
                    help="after a crash or hang, look for a short replay that does it again")
    ap.add_argument("--shrink-boots", type=int, default=12, metavar="N",
                    help="at most N replay boots per failing shape")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo serial output")
    opts = ap.parse_args(argv)
    shapes = [s for s in opts.shapes.split(",") if s]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        sys.exit(f"syzfuzz: unknown shapes {unknown}; known: {', '.join(SHAPES)}")
    if opts.timeout is None:          # TCG on a loaded machine: generous
        opts.timeout = 120 + opts.calls * opts.workers * 0.1
    os.makedirs(os.path.join(qemu.ROOT, "build", "tests"), exist_ok=True)
    print(f"# fuzz: seed {opts.seed}, {opts.calls} calls x {opts.workers} workers, "
          f"shapes {','.join(shapes)}, {cmdline(opts)}")
    rows, failed = [], 0
    for shape in shapes:
        calls, bad = run_shape(shape, opts)
        rows.append((shape, calls, "clean" if not bad else f"{len(bad)} problems"))
        failed += bool(bad)
    print("\n| shape | calls logged | result |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
