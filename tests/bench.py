#!/usr/bin/env python3
"""`make bench`: guest benchmarks under QEMU -icount shift=0.

With -icount shift=0 the guest clock advances 1 ns per guest instruction, so
the TSC (calibrated by the kernel against the PIT on the same clock) counts
instructions' worth of time: figures repeat exactly and compare across host
machines. As the project's reference figures were measured, the machine has
one CPU (node 0) and the other nodes are memory-only.

Prints Markdown tables. Usage:
    python3 tests/bench.py [-v] [--rmap-only | --swap-only | --numa-only]
                           [--rmap-modes chain,scan,obj,hybrid]
                           [--swap-size MIB] [--swap-rows MODE:IDLE,...]
"""
import os
import re
import sys

import qemu
from checks import Node, Topology

ICOUNT = "-icount shift=0"
RUNS = 2          # each figure twice, to show it repeats


def machine(mem, nodes):
    per = mem // nodes
    return Topology([Node("0", per)] + [Node("none", per) for _ in range(nodes - 1)])


def boot(name, topo, cmdline, verbose):
    make_vars = {"CPUS": "1", "MEM": str(topo.mem), "QEMU_NUMA": topo.qemu_numa(),
                 "CMDLINE": cmdline, "QEMUEXTRA": ICOUNT}
    out, timed_out, _ = qemu.boot(name, make_vars, 600, f"build/tests/{name}.log", verbose)
    text = out.decode(errors="replace")
    if timed_out:
        sys.exit(f"bench: {name} timed out")
    return text


def boot_times(verbose):
    print("| machine (1 CPU) | kernel entry to `boot: complete` | of which memory setup |")
    print("|---|---|---|")
    for mem, nodes in ((512, 2), (4096, 4)):
        seen = []
        for run in range(RUNS):
            text = boot(f"bench-boot-{mem}-{nodes}-{run}", machine(mem, nodes),
                        "init=/bin/echo poweroff -- booted", verbose)
            m = re.search(r"boot: complete in ([\d.]+) ms \(memory setup ([\d.]+) ms\)", text)
            if not m:
                sys.exit("bench: no boot: complete line")
            seen.append((m.group(1), m.group(2)))
        same = "" if len(set(seen)) == 1 else f" (runs differ: {seen})"
        print(f"| {mem} MiB, {nodes} nodes | {seen[0][0]} ms{same} | {seen[0][1]} ms |")
    print()


def mm_bench(verbose):
    text = boot("bench-mm", machine(512, 2), "ktest=bench_mm poweroff", verbose)
    rows = re.findall(r"bench: (\S+) (\d+) cycles/op", text)
    if not rows or "not ok" in text:
        sys.exit("bench: bench_mm failed")
    print("| operation (512 MiB, 2 nodes, 1 CPU on node 0) | guest cycles |")
    print("|---|---|")
    for name, cycles in rows:
        print(f"| {name} | {cycles} |")
    print()


def fs_bench(verbose):
    """16 MiB file on the root image (a private copy): cold and warm reads,
    cached writes and their writeback, against a plain 4 KiB copy."""
    rows = {}
    for run in range(RUNS):
        text = boot(f"bench-fs-{run}", machine(512, 2), "ktest=bench_fs poweroff", verbose)
        got = dict(re.findall(r"bench: (\S+) (\d+) cycles/page", text))
        if not got or "not ok" in text:
            sys.exit("bench: bench_fs failed")
        for k, v in got.items():
            rows.setdefault(k, []).append(v)
    what = {"read_cold": "sequential read, cold (virtio-blk, polled)",
            "read_warm": "sequential read, warm (page cache)",
            "write_cached": "sequential write into the page cache",
            "writeback_fsync": "writeback of those pages (fsync)",
            "memcpy_4k": "plain 4 KiB memcpy (the floor for warm reads)"}
    print("| 16 MiB file, 4 KiB ext2, 1 CPU | guest instructions per 4 KiB page |")
    print("|---|---|")
    for k in ("read_cold", "read_warm", "memcpy_4k", "write_cached", "writeback_fsync"):
        v = rows.get(k, ["?"])
        same = "" if len(set(v)) == 1 else f" (runs: {', '.join(v)})"
        print(f"| {what[k]} | {v[0]}{same} |")
    print()


# Debian's Linux 6.1 on the same QEMU settings, guest rdtsc cycles
# (`python3 tests/linux_peer.py --rmap`, 2026-11-30).
LINUX_FAULTS = {"anon_fault": 6935, "cow_fault": 11684, "shm_fault": 12673, "shm_refault": 2208,
                "fork_16m": 694111, "fork_64m": 2361195, "exit_16m": 1206227,
                "exit_64m": 4562471}
FAULT_ROWS = [("anon_fault", "anonymous fault, per page"), ("cow_fault", "copy-on-write fault, per page"),
              ("shm_fault", "shared anonymous (shmem) first touch, per page"),
              ("shm_refault", "shared anonymous touch after MADV_DONTNEED, per page"),
              ("fork_16m", "fork, 16 MiB touched"), ("fork_64m", "fork, 64 MiB touched"),
              ("exit_16m", "exit + wait4, 16 MiB touched"),
              ("exit_64m", "exit + wait4, 64 MiB touched")]


def fault_bench(verbose, rmap="chain"):
    """User-space fault and fork costs (user/bench/faults.c), run as init."""
    text = boot(f"bench-faults-{rmap}", machine(512, 2), f"rmap={rmap} init=/bench/faults poweroff",
                verbose)
    got = dict(re.findall(r"bench: (\S+) (\d+)", text))
    if not all(k in got for k, _ in FAULT_ROWS):
        sys.exit("bench: /bench/faults printed no figures")
    print(f"| operation (512 MiB, 2 nodes, 1 CPU), rmap={rmap} | Numbat cycles | Linux 6.1 cycles |")
    print("|---|---|---|")
    for key, what in FAULT_ROWS:
        linux = LINUX_FAULTS.get(key)
        print(f"| {what} | {int(got[key]):,} | {f'{linux:,}' if linux else '-'} |")
    print()


def exit_bench(verbose):
    """The exit of a small process, with a nearly empty and a warm inode
    cache (user/bench/exitcost.c), run as init."""
    text = boot("bench-exitcost", machine(512, 2), "init=/bench/exitcost poweroff", verbose)
    got = dict(re.findall(r"bench: (\S+) (\d+)", text))
    if not all(k in got for k in ("forkexit_cold", "forkexit_warm")):
        sys.exit("bench: /bench/exitcost printed no figures")
    print("| fork + exit + wait4 of an empty child (1 CPU), median of 21 | cycles |")
    print("|---|---|")
    print(f"| inode cache nearly empty | {int(got['forkexit_cold']):,} |")
    print(f"| after 2000 files were created (2000 unused inodes cached) | {int(got['forkexit_warm']):,} |")
    print()


MOVE_PAGES = 1024
UNRELATED_PAGES = 256


def rmap_boot(mode, args, verbose, mem=512, extra=""):
    """One boot of /bench/rmapbench with rmap=MODE (and the options in
    extra); its bench: lines."""
    cmd = f"rmap={mode} {extra + ' ' if extra else ''}init=/bench/rmapbench poweroff -- {args}"
    tag = f"{mode}-nopairs" if extra else mode
    text = boot(f"bench-rmap-{tag}-{args.split()[0]}", machine(mem, 2), cmd, verbose)
    if "init exited with status 0x0" not in text:
        sys.exit(f"bench: rmapbench {args} (rmap={mode}) failed; see build/tests/")
    return text


RMAP_MODES = ("chain", "obj", "hybrid", "scan")
KS = (1, 2, 8, 32)

# The rows of the reverse-map table (docs/rmap.md): key, what, and whether
# it is a target (None; "linux": at most Linux's with chains; "half": at
# most half of Linux's with obj and hybrid, at most Linux's with chains).
RMAP_ROWS = [("fork_16m", "fork, 16 MiB touched (cycles)", "half"),
             ("exit_16m", "exit + wait4, 16 MiB touched", "half"),
             ("fork_64m", "fork, 64 MiB touched", "half"),
             ("exit_64m", "exit + wait4, 64 MiB touched", "half"),
             ("fork2", "fork, 64 MiB already shared with a child (third mapping)", "linux"),
             ("anon_fault", "anonymous fault, per page", None),
             ("cow_fault", "copy-on-write fault, per page", None)] + \
            [(f"move{k}", f"move_pages, per page, k = {k} sharers", None) for k in KS] + \
            [("unrel64", "move_pages, per page, k = 1, 64 unrelated 4 MiB processes", None),
             ("reclaim", "swapbench (192 MiB, no idle), instructions per page reclaimed", None),
             ("bytes", "reverse-map bytes per mapping, 32 forks of 16 MiB", None),
             ("share", "... as a share of RAM (%)", None)]

# Debian's Linux 6.1 (6.1.0-57) on the same QEMU settings with
# transparent_hugepage=never, the same static /bench/faults and
# /bench/rmapbench (`python3 tests/linux_peer.py --rmap`), measured
# 2026-11-30; reclaim from LINUX_SWAP[0] (its whole run per page reclaimed).
# Linux keeps no per-mapping reverse map for anonymous pages (an anon_vma
# and an anon_vma_chain per VMA): 0 bytes per mapping.
LINUX_RMAP = {"fork_16m": 694111, "exit_16m": 1206227, "fork_64m": 2361195,
              "exit_64m": 4562471, "fork2": 2212680, "anon_fault": 6935, "cow_fault": 11684,
              "move1": 10863, "move2": 12402, "move8": 21858, "move32": 59812,
              "unrel64": 10553, "reclaim": 28641, "bytes": 0.0, "share": 0.0}


# rmap=scan's swapbench run takes most of an hour under -icount: the figure
# of docs/reclaim.md's run (marked * in the table), not measured again.
SCAN_RECLAIM = 1459553


def reclaim_per_page(phases):
    """swapbench's whole run in instructions per page reclaimed."""
    t = phases.get("total", {})
    steal = t.get("pgsteal", 0)
    return round(t["per_page"] * SWAP_MIB * 256 / steal) if steal > 0 else None


def rmap_measure(mode, verbose, swap=True):
    """The figures of one column: /bench/faults, rmapbench's three boots
    and (swap) a swapbench boot, with rmap=MODE. A dict by RMAP_ROWS key."""
    got = {}
    text = boot(f"bench-faults-{mode}", machine(512, 2), f"rmap={mode} init=/bench/faults poweroff",
                verbose)
    got.update({k: int(v) for k, v in re.findall(r"bench: (\w+) (\d+)\s", text)})
    text = rmap_boot(mode, " ".join(f"move {k} {MOVE_PAGES}" for k in KS), verbose)
    for k, c in re.findall(r"bench: move k=(\d+) unrelated=0 pages=\d+ cycles_per_page=(\d+)", text):
        got[f"move{k}"] = int(c)
    # 64 x 4 MiB of unrelated memory: 1 GiB, so node 1 has room to move to
    text = rmap_boot(mode, f"unrelated 64 {UNRELATED_PAGES}", verbose, mem=1024)
    m = re.search(r"bench: move k=1 unrelated=64 pages=\d+ cycles_per_page=(\d+)", text)
    got["unrel64"] = int(m.group(1)) if m else None
    text = rmap_boot(mode, "chains fork2", verbose)
    m = re.search(r"bench: chains kb=\d+ mappings=\d+ bytes_per_mapping=([\d.]+) "
                  r"ram_share_pct=([\d.]+)", text)
    if m:
        got["bytes"], got["share"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"bench: fork64m_shared fork_cycles=(\d+)", text)
    got["fork2"] = int(m.group(1)) if m else None
    if swap and mode == "scan":
        got["reclaim"] = f"{SCAN_RECLAIM:,} *"
    elif swap:
        phases, _, failure = swap_boot(mode, 0, SWAP_MIB, verbose)
        got["reclaim"] = None if failure else reclaim_per_page(phases)
    return got


def cell(v):
    if v is None:
        return "?"
    if isinstance(v, str):
        return v
    return f"{v:.2f}" if isinstance(v, float) and v < 100 else f"{v:,}"


def target_met(mode, got):
    """Does the column meet its targets (RMAP_ROWS' third field)? None: no target."""
    if mode == "scan":
        return None
    ok = True
    for key, _, kind in RMAP_ROWS:
        if not kind or got.get(key) is None:
            continue
        if kind == "linux" and mode != "chain":
            continue
        limit = LINUX_RMAP[key] / 2 if kind == "half" and mode != "chain" else LINUX_RMAP[key]
        ok = ok and got[key] <= limit
    return ok


def rmap_tables(verbose, modes=RMAP_MODES, swap=True):
    """One table (docs/rmap.md): a column per rmap= mode, and Linux 6.1's."""
    got = {mode: rmap_measure(mode, verbose, swap) for mode in modes}
    print("| cycles, 1 CPU, `-icount shift=0` | " + " | ".join(f"rmap={m}" for m in modes) +
          " | Linux 6.1 |")
    print("|---" * (len(modes) + 2) + "|")
    for key, what, _ in RMAP_ROWS:
        print(f"| {what} | " + " | ".join(cell(got[m].get(key)) for m in modes) +
              f" | {cell(LINUX_RMAP[key])} |")
    marks = {True: "met", False: "**not met**", None: "-"}
    print("| targets: fork, exit <= Linux (chain: and the third mapping), "
          "<= half of Linux (obj, hybrid) | " +
          " | ".join(marks[target_met(m, got[m])] for m in modes) + " | |")
    print()


# ---- swapping and reclaim (user/bench/swapbench.c) ----

SWAP_MIB = 192                 # the region; node 0 has 96 MiB
SWAP_TIMEOUT = 3600            # seconds per boot (TCG with -icount is slow)
SWAP_PHASES = ("fill", "seq1", "seq2", "random", "fork")
SWAP_ROWS = [("chain", 0), ("scan", 0), ("chain", 1), ("scan", 1),
             ("chain", 16), ("scan", 16), ("chain", 64), ("scan", 64)]
# Debian's Linux 6.1 (6.1.0-57, 6.1.192) on the same QEMU settings, the
# process in a 64 MiB memory cgroup, swap on a brd RAM disk of the same size
# (`make bench-linux`, tests/linux_peer.py), by idle processes: instructions
# per page for fill, seq1, seq2, random and fork, then pswpin, pswpout,
# pgscan and pgsteal over the run. Runs differ by up to 2 % (pgscan: 15 %).
LINUX_SWAP = {
    0: (19151, 33389, 29888, 20057, 59110, 225577, 230981, 644481, 277318),
    1: (19409, 33765, 29871, 19846, 59156, 225420, 232104, 555289, 278253),
    16: (23712, 33506, 28324, 19887, 59198, 226069, 247830, 581121, 294267),
    64: (24876, 33325, 29800, 20476, 59292, 227225, 248989, 576526, 295681),
}


def linux_swap_phases(idle):
    """LINUX_SWAP[idle] as swap_parse returns a run's phases."""
    v = LINUX_SWAP[idle]
    phases = {p: {"per_page": n} for p, n in zip(SWAP_PHASES, v)}
    phases["total"] = dict(zip(("pswpin", "pswpout", "pgscan", "pgsteal"), v[5:]))
    return phases


def swap_area_mib(size, idle):
    """The swap area for a run: 384 MiB, or more when the run cannot fit in
    it. At its peak, the fork phase, the run holds the region, the child's
    copies of half of it and the idle processes' 4 MiB each; RAM gives it
    about 64 MiB (Linux's memory cgroup; what Numbat's node 0 leaves).
    96 MiB more for page tables, the processes' own pages and swap slots
    still held by pages read back (the swap cache): on Linux, 64 idle
    processes (256 + 288 MiB) are OOM-killed in the fork phase with 512
    MiB of swap, and finish with 640."""
    need = size * 3 // 2 + idle * 4 + 96 - 64
    return max(384, -(-need // 128) * 128)


def swap_machine(swap_mib):
    """1 CPU on node 0 with 96 MiB; node 1 memory-only, 392 MiB for the
    usual 384 MiB swap RAM disk: its struct pages (1/64 of it) and about
    2 MiB are left over. A larger disk gets as much room around it."""
    return Topology([Node("0", 96), Node("none", swap_mib + 8 + (swap_mib - 384) // 64)])


def swap_parse(text):
    """The phases /bench/swapbench reported, {phase: {key: int}}, and its
    wrong-word counts (None if it never got there)."""
    phases = {}
    for phase, rest in re.findall(r"bench: swap phase=(\w+) (.*)", text):
        phases[phase] = {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", rest)}
    m = re.search(r"bench: swap wrong_words=(\d+) idle_wrong_words=(\d+)", text)
    return phases, (int(m.group(1)), int(m.group(2))) if m else None


def swap_where(text, phases):
    """Where a run stopped: the phase it never reported, or the step a
    process of the benchmark died in (swapbench says so)."""
    if "bench: swap fork child died" in text:
        return "fork (the child)"
    if "an idle process died before reporting" in text:
        return "the idle processes' final check"
    if re.search(r"bench: swap start .*idle=[1-9]", text) and "bench: swap idle ready" not in text:
        return "the idle processes' set-up"
    return next((p for p in SWAP_PHASES if p not in phases), "the end")


def swap_failure(text, timed_out, phases, wrong=None):
    """Why a run has no figures to trust, or None if it has them."""
    m = re.search(r"swap: (no|cannot) .*", text)
    if m or "swap: on /dev/ram" not in text:
        return f"no swap area (`{m.group(0) if m else 'no swap: on line'}`)"
    if wrong and wrong != (0, 0):
        return f"WRONG WORDS: {wrong[0]} + {wrong[1]} idle"
    if "total" in phases and "init exited with status 0x0" in text:
        return None
    where = swap_where(text, phases)
    if timed_out:
        return f"timed out in {where}"
    m = re.search(r"oom: .*killed", text)
    if m:
        return f"OOM-killed in {where} (`{m.group(0)}`)"
    if "bench: swap start" not in text:
        return "did not start"
    m = re.search(r"init exited with status (\S+)", text)
    return f"failed in {where} (exit status {m.group(1) if m else 'unknown'})"


def swap_boot(mode, idle, size, verbose):
    """One boot of /bench/swapbench; (phases, wrong, failure)."""
    name = f"bench-swap-{mode}-{idle}-{size}"
    swap = swap_area_mib(size, idle)
    cmd = f"rmap={mode} swap={swap}M@1 init=/bench/swapbench poweroff -- -s {size} -i {idle}"
    topo = swap_machine(swap)
    make_vars = {"CPUS": "1", "MEM": str(topo.mem), "QEMU_NUMA": topo.qemu_numa(),
                 "CMDLINE": cmd, "QEMUEXTRA": ICOUNT}
    out, timed_out, _ = qemu.boot(name, make_vars, SWAP_TIMEOUT, f"build/tests/{name}.log",
                                  verbose)
    text = out.decode(errors="replace")
    phases, wrong = swap_parse(text)
    return phases, wrong, swap_failure(text, timed_out, phases, wrong)


def swap_row(what, phases, wrong, failure):
    """One Markdown row: instructions per page per phase, the swap and
    reclaim counters over the run, and the wrong words."""
    cells = [f"{phases[p]['per_page']:,}" if p in phases else "-" for p in SWAP_PHASES]
    t = phases.get("total", {})

    def count(k):
        v = t.get(k, -1)
        return "n/a" if v < 0 else f"{v:,}"
    scan, steal = t.get("pgscan", -1), t.get("pgsteal", -1)
    ratio = f"{scan / steal:.2f}" if steal > 0 and scan >= 0 else "n/a"
    bad = f"{wrong[0]} + {wrong[1]} idle" if wrong else "-"
    return f"| {what} | " + " | ".join(cells) + f" | {count('pswpin')} | {count('pswpout')} | " \
           f"{count('pgscan')} / {count('pgsteal')} ({ratio}) | {bad} | {failure or 'ok'} |"


def swap_table(verbose, size=SWAP_MIB, rows=SWAP_ROWS):
    """/bench/swapbench with SIZE MiB on a 96 MiB node, swap=384M@1 (more
    where the run cannot fit: swap_area_mib), with and without rmap=scan,
    with 0, 1, 16 and 64 idle 4 MiB processes."""
    print(f"| {size} MiB on a 96 MiB node, swap=384M@1, 1 CPU | fill | seq1 | seq2 | random "
          "| fork | pswpin | pswpout | scanned / reclaimed (ratio) | wrong words | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode, idle in rows:
        phases, wrong, failure = swap_boot(mode, idle, size, verbose)
        what = "rmap (pte_chain)" if mode == "chain" else "rmap=scan"
        what += f", {idle} idle x 4 MiB" if idle else ""
        swap = swap_area_mib(size, idle)
        what += f", swap={swap}M@1" if swap != 384 else ""
        print(swap_row(what, phases, wrong, failure), flush=True)
    if size == SWAP_MIB:
        for idle in sorted({i for _, i in rows if i in LINUX_SWAP}):
            what = "Linux 6.1, 64 MiB memory cgroup" + (f", {idle} idle x 4 MiB" if idle else "")
            swap = swap_area_mib(size, idle)
            what += f", {swap} MiB swap" if swap != 384 else ""
            print(swap_row(what, linux_swap_phases(idle), (0, 0), None))
    print()


# ---- automatic NUMA balancing (user/bench/numabench.c) ----

# Two nodes of 256 MiB with one CPU each, balancing on at boot: unlike the
# other tables, two CPUs, since balancing is about a process and its memory
# on different nodes.
NUMA_MACHINE = Topology([Node("0", 256), Node("1", 256)])
NUMA_CMDLINE = "numa_balancing=enable init=/bench/numabench poweroff"
NUMA_TIMEOUT = 1800
# Debian's Linux 6.1 (6.1.0-57, 6.1.192) on the same machine but TCG without
# -icount (Linux brings up no second CPU under -icount), so times are guest
# CLOCK_MONOTONIC at TCG speed on a shared host, not instruction counts;
# transparent_hugepage=never (4 KiB pages, as Numbat). `python3
# tests/linux_peer.py --numa --runs 3`, measured 2026-11-29, one tuple per
# boot in NUMA_KEYS order: converge t50, t90, t95 (ms), final %; overhead
# sweeps off, sweeps on, slowdown %, hint faults with balancing on; shared:
# pages migrated (of 4,096). Linux never scans the private pages of a
# single-threaded process that are on its node already (1 hint fault), so
# its slowdown is the host's noise; and it moves a shared page at most once.
LINUX_NUMA_RUNS = [
    (3178, 3842, 3944, 99.9, 1471.53, 2108.47, -43.3, 1, 1),
    (1951, 2103, 2103, 99.9, 1789.16, 2144.52, -19.9, 1, 318),
    (2050, 2204, 2250, 99.9, 2277.00, 1463.59, 35.7, 1, 4096),
]
NUMA_KEYS = (("converge", "t50_ms"), ("converge", "t90_ms"), ("converge", "t95_ms"),
             ("converge", "final_pct"), ("overhead", "sweeps_off"), ("overhead", "sweeps_on"),
             ("overhead", "slowdown_pct"), ("overhead", "hint_faults_on"), ("shared", "migrated"))


def numa_parse(text):
    """{part: {key: float}} from the bench: numa lines, and the wrong pages
    (None if the run never got there)."""
    parts = {}
    for part, rest in re.findall(r"bench: numa (converge|overhead|shared) (.*)", text):
        parts[part] = {k: float(v) for k, v in re.findall(r"(\w+)=(-?[\d.]+)\b", rest)}
    m = re.search(r"bench: numa wrong_pages=(-?\d+)", text)
    return parts, int(m.group(1)) if m else None


def numa_failure(text, timed_out, parts, wrong):
    """Why a run has no figures to trust, or None."""
    if wrong is not None and wrong != 0:
        return f"WRONG PAGES: {wrong}"
    if len(parts) == 3 and wrong == 0:
        return None
    if timed_out:
        return "timed out"
    m = re.search(r"bench: numa (needs .*|\w+ could not run)", text)
    return m.group(1) if m else "did not finish (see the log)"


def numa_cells(parts):
    """The table's cells for one run: NUMA_KEYS, formatted."""
    cells = []
    for part, key in NUMA_KEYS:
        v = parts.get(part, {}).get(key)
        if v is None:
            cells.append("-")
        elif key.endswith("_ms"):
            cells.append("never" if v < 0 else f"{v / 1000:.2f} s")
        elif key.endswith("_pct"):
            cells.append(f"{v:.1f} %")
        elif key in ("migrated", "hint_faults_on"):
            cells.append("n/a" if v < 0 else f"{int(v):,}")
        else:
            cells.append(f"{v:.2f}")
    return cells


def numa_row(what, parts, failure):
    return f"| {what} | " + " | ".join(numa_cells(parts)) + f" | {failure or 'ok'} |"


def linux_numa_parts(values):
    """A tuple of LINUX_NUMA_RUNS as numa_parse returns a run's parts."""
    parts = {}
    for (part, key), v in zip(NUMA_KEYS, values):
        parts.setdefault(part, {})[key] = v
    return parts


def numa_mean(runs):
    """The mean of several runs' parts, key by key."""
    mean = {}
    for part, key in NUMA_KEYS:
        vals = [r[part][key] for r in runs]
        mean.setdefault(part, {})[key] = sum(vals) / len(vals)
    return mean


def numa_boot(verbose, run=0):
    """One boot of /bench/numabench on NUMA_MACHINE; (parts, failure)."""
    name = f"bench-numa-{run}"
    make_vars = {"CPUS": str(NUMA_MACHINE.ncpus), "MEM": str(NUMA_MACHINE.mem),
                 "QEMU_NUMA": NUMA_MACHINE.qemu_numa(), "CMDLINE": NUMA_CMDLINE,
                 "QEMUEXTRA": ICOUNT}
    out, timed_out, _ = qemu.boot(name, make_vars, NUMA_TIMEOUT, f"build/tests/{name}.log",
                                  verbose)
    text = out.decode(errors="replace")
    parts, wrong = numa_parse(text)
    return parts, numa_failure(text, timed_out, parts, wrong)


NUMA_HEADER = ("| 2 nodes x 256 MiB, 1 CPU each | 64 MiB: 50 % local | 90 % | 95 % | final share "
               "| 64 MiB local, 5 s: sweeps, balancing off | on | slowdown | hint faults (on) "
               "| 16 MiB shared by both nodes, 5 s: pages migrated (of 4,096) | result |")
NUMA_RULE = "|---|---|---|---|---|---|---|---|---|---|---|"


def numa_table(verbose):
    """/bench/numabench on Numbat (twice: the figures repeat under -icount),
    and Linux's figures beside them (LINUX_NUMA_RUNS)."""
    print(NUMA_HEADER)
    print(NUMA_RULE)
    for run in range(RUNS):
        parts, failure = numa_boot(verbose, run)
        print(numa_row(f"Numbat, -icount shift=0 (run {run + 1})", parts, failure), flush=True)
    linux = [linux_numa_parts(v) for v in LINUX_NUMA_RUNS]
    for i, parts in enumerate(linux):
        print(numa_row(f"Linux 6.1, TCG without -icount (2026-11-29, run {i + 1})", parts, None))
    print(numa_row(f"Linux 6.1, mean of {len(linux)}", numa_mean(linux), None))
    print()


def main():
    verbose = "-v" in sys.argv
    size, rows = SWAP_MIB, SWAP_ROWS
    if "--swap-size" in sys.argv:
        size = int(sys.argv[sys.argv.index("--swap-size") + 1])
    if "--swap-rows" in sys.argv:           # e.g. chain:0,scan:16
        rows = [(m, int(n)) for m, n in (r.split(":") for r in
                sys.argv[sys.argv.index("--swap-rows") + 1].split(","))]
    os.makedirs("build/tests", exist_ok=True)
    if "--numa-only" in sys.argv:
        numa_table(verbose)
        return
    if "--swap-only" in sys.argv:
        swap_table(verbose, size, rows)
        return
    if "--rmap-only" not in sys.argv:
        boot_times(verbose)
        mm_bench(verbose)
        fs_bench(verbose)
        fault_bench(verbose)
        fault_bench(verbose, "scan")
        exit_bench(verbose)
    modes = RMAP_MODES
    if "--rmap-modes" in sys.argv:          # e.g. obj,hybrid
        modes = tuple(sys.argv[sys.argv.index("--rmap-modes") + 1].split(","))
    rmap_tables(verbose, modes)
    if "--rmap-only" not in sys.argv:
        swap_table(verbose, size, rows)
        numa_table(verbose)


if __name__ == "__main__":
    main()
