"""What the harness checks in a boot's serial log, and the machine shapes.

A check function takes a Boot (the cleaned log plus how the boot ended) and
returns a list of ktap.Result, one per harness-level check. Each check is
always emitted, pass or fail, so the number of tests does not depend on how
far the kernel got.
"""
import os
import re
import subprocess
from dataclasses import dataclass, field

from ktap import (FAIL, PASS, Result, find_all, format_cpulist, ktap_results, parse_cpulist,
                  parse_ktap, parse_numa)


def check(name, ok, why=""):
    return Result(name, PASS if ok else FAIL, "" if ok else why)


@dataclass
class Boot:
    """One finished boot: what make/QEMU printed and how it ended."""
    lines: list
    timed_out: bool = False
    returncode: int = 0
    timeout: float = 0
    root: str = "."                  # repository root (for build/kernel.elf)
    extra: dict = field(default_factory=dict)

    def grep(self, pattern):
        return find_all(pattern, self.lines)


# ---------------------------------------------------------------- topology

@dataclass
class Node:
    cpus: str                        # cpulist as the kernel prints it, or "none"
    mem: int                         # MiB; 0: no memory (no memdev)


@dataclass
class Topology:
    """A NUMA machine: nodes, distances (None: 10 local, 20 remote), and the
    QEMU options that make it (None: let the Makefile generate them)."""
    nodes: list
    dist: list = None

    @property
    def mem(self):
        return sum(n.mem for n in self.nodes)

    @property
    def ncpus(self):
        return sum(len(parse_cpulist(n.cpus)) for n in self.nodes)

    def distances(self, i):
        if self.dist:
            return list(self.dist[i])
        return [10 if i == j else 20 for j in range(len(self.nodes))]

    def qemu_numa(self):
        """QEMU options for this machine (memory backends, nodes, SLIT)."""
        out = []
        for i, n in enumerate(self.nodes):
            node = f"-numa node,nodeid={i}"
            for part in format_cpulist(parse_cpulist(n.cpus)).split(","):
                if part != "none":
                    node += f",cpus={part}"
            if n.mem:
                out.append(f"-object memory-backend-ram,id=m{i},size={n.mem}M")
                node += f",memdev=m{i}"
            out.append(node)
        for i in range(len(self.nodes)):
            for j in range(len(self.nodes)):
                if i != j:
                    out.append(f"-numa dist,src={i},dst={j},val={self.distances(i)[j]}")
        return " ".join(out)


def even(nodes, cpus, mem, dist=20):
    """The machine `make NODES= CPUS= MEM= DISTANCE=` makes (scripts/qemu-numa.sh):
    memory split evenly (the last node takes the remainder), node i gets cpus
    i*CPUS/NODES .. (i+1)*CPUS/NODES-1."""
    per = mem // nodes
    shape = []
    for i in range(nodes):
        size = mem - per * (nodes - 1) if i == nodes - 1 else per
        shape.append(Node(format_cpulist(range(i * cpus // nodes, (i + 1) * cpus // nodes)), size))
    return Topology(shape, [[10 if i == j else dist for j in range(nodes)] for i in range(nodes)])


def node_line(i, cpus, mem, dists):
    return f"numa: node {i} cpus {cpus} mem {mem} MiB distances {' '.join(map(str, dists))}"


def check_topology(topo):
    """The kernel found the machine: one numa line per node, then smp."""
    def run(boot):
        found, bad = parse_numa(boot.lines)
        out = [check("numa: lines well-formed", not bad, f"malformed: {bad[:3]}")]
        ids = [n.id for n in found]
        n = len(topo.nodes)
        out.append(check(f"numa: exactly {n} node line(s), ids 0..{n - 1}",
                         ids == list(range(n)), f"got node ids {ids}"))
        for i, want in enumerate(topo.nodes):
            expect = node_line(i, format_cpulist(parse_cpulist(want.cpus)), want.mem,
                               topo.distances(i))
            got = [f for f in found if f.id == i]
            ok = len(got) == 1 and (got[0].cpus == parse_cpulist(want.cpus)
                                    and abs(got[0].mem - want.mem) <= 1
                                    and got[0].distances == topo.distances(i))
            out.append(check(expect, ok, f"got {[g.text for g in got] or 'no line'}"))
        smp = boot.grep(r"\bsmp: (\d+) cpus online\s*$")
        out.append(check(f"smp: {topo.ncpus} cpus online",
                         [m.group(1) for m in smp] == [str(topo.ncpus)],
                         f"got {[m.group(0) for m in smp] or 'no smp line'}"))
        return out
    return run


# ---------------------------------------------------------------- generic

def powers_off(boot):
    if boot.timed_out:
        why = f"no power-off within {boot.timeout:g} s (hang?)"
    elif boot.extra.get("typist"):
        why = "the harness stopped it: a typist's cue was late"
    else:
        why = f"make exited with status {boot.returncode}"
    return [check("powers off (qemu-nox returns)", not boot.timed_out and boot.returncode == 0, why)]


def typist_cues(boot):
    """The typist saw each cue in time (Case.keys, Case.cue_limit): else
    the harness stopped the boot, and this says at which cue; or the boot
    ended (or timed out) before a cue came."""
    late, unseen = boot.extra.get("typist"), boot.extra.get("typist_unseen")
    if late:
        n, cue, limit = late
        return [check(f"typist: cue {n} /{cue}/ not seen within {limit:g} s", False,
                      "the harness stopped QEMU")]
    if unseen:
        n, cue = unseen
        return [check(f"typist: cue {n} /{cue}/ not seen before the boot ended", False,
                      "timed out" if boot.timed_out else "the boot ended first")]
    return [check("typist: every cue seen in time", True)]


def stopped_on_cue(pattern):
    """An unclean stop (Case.stop_at): the harness killed QEMU after the cue."""
    def run(boot):
        return [check(f"QEMU killed mid-run after /{pattern}/", boot.extra.get("stopped"),
                      "hung" if boot.timed_out else f"ended by itself (status {boot.returncode})")]
    return run


def boots_once(boot):
    grub = boot.grep(r"Booting `Numbat'")
    done = boot.grep(r"\bboot: complete in ")
    return [check("boots once (no reboot loop)", len(grub) <= 1 and len(done) <= 1,
                  f"GRUB booted {len(grub)} times, 'boot: complete' {len(done)} times")]


def boot_complete(boot):
    ok = boot.grep(r"\bboot: complete in \d+(\.\d+)? ms( \(memory setup \d+(\.\d+)? ms\))?\s*$")
    return [check("boot: complete in <ms> ms", len(ok) == 1,
                  f"seen {len(ok)} times" if ok else "never reached")]


def no_crash(boot):
    bad = boot.grep(r"KERNEL PANIC|^\s*TRAP: |triple fault|\bwatchdog: cpu \d+ ")
    return [check("no kernel panic or trap", not bad, bad[0].string.strip() if bad else "")]


def expect(name, pattern, count=None):
    """A line matching pattern (re.search) is printed (exactly count times if given)."""
    def run(boot):
        n = len(boot.grep(pattern))
        ok = n == count if count is not None else n > 0
        return [check(name, ok, f"{n} matching lines, want {count}" if n else "no matching line")]
    return run


def check_ktap(suites=None):
    """The boot's KTAP: one result per leaf test (tests/ktap.py), after checks
    that KTAP and `ktest: done` were printed and that each suite in suites
    ran (None: at least one test ran, as for ktest=all)."""
    def run(boot):
        docs = parse_ktap(boot.lines)
        leaves = ktap_results(docs)
        out = [check("KTAP output present", docs, "no 'KTAP version' line"),
               expect("ktest: done", r"^\s*ktest: done\s*$", 1)(boot)[0]]
        if suites is None:
            out.append(check("KTAP has tests", leaves, "no test results"))
        names = [c.name for d in docs for c in d.children]
        out += [check(f"KTAP suite {s} ran", s in names, f"suites seen: {names}") for s in suites or ()]
        return out + leaves
    return run


# ---------------------------------------------------------------- traps

def kernel_symbol(root, name):
    """Address of a symbol in the kernel the boots ran (build/kernel.elf,
    build/debug/kernel.elf with DEBUG=1), or None."""
    elf = "build/debug/kernel.elf" if os.environ.get("DEBUG") == "1" else "build/kernel.elf"
    try:
        out = subprocess.run(["nm", f"{root}/{elf}"], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    return None


def check_trap(title, fn, extra=()):
    """The kernel's trap report for a deliberate fault in fn (DESIGN: ktest=trap_*)."""
    sym = r"0x([0-9a-fA-F]+) <%s\+0x([0-9a-fA-F]+)>" % re.escape(fn)

    def run(boot):
        out = [expect(f"TRAP: {title} on cpu <n>", r"^\s*TRAP: " + re.escape(title) + r" on cpu \d+", 1)(boot)[0]]
        out += [expect(name, pat)(boot)[0] for name, pat in extra]
        rip = boot.grep(r"^\s*RIP: " + sym)
        out.append(check(f"RIP: <{fn}+off>", len(rip) == 1, f"{len(rip)} matching RIP lines"))
        base = kernel_symbol(boot.root, fn) if rip else None
        ok = bool(rip) and base is not None and int(rip[0].group(1), 16) == base + int(rip[0].group(2), 16)
        out.append(check(f"RIP address agrees with {fn} in kernel.elf", ok,
                         f"{fn} at {base:#x} in kernel.elf" if base is not None else "no RIP or no symbol"))
        out.append(expect("registers (RAX=...)", r"\bRAX=\s*(0x)?[0-9a-fA-F]+")(boot)[0])
        bt = [i for i, l in enumerate(boot.lines) if re.match(r"\s*Backtrace:", l)]
        frames = []
        for line in boot.lines[bt[0] + 1:] if bt else []:
            if not re.match(r"\s*#\d+ ", line):
                break
            frames.append(line.strip())
        out.append(check(f"Backtrace #0 names {fn}",
                         bool(frames) and re.match(r"#0 " + sym, frames[0]) is not None,
                         f"frames: {frames[:2]}" if frames else "no 'Backtrace:' with frames"))
        out.append(check("Backtrace walks past #0", len(frames) >= 2, f"{len(frames)} frames"))
        out.append(expect("cpu <n> halted (trap in kernel)", r"\bcpu \d+ halted \(trap in kernel\)")(boot)[0])
        return out
    return run


def check_protect_trap(title, why, fn):
    """A deliberate protection fault (ktest=protect_*): the trap, the line
    saying which protection caught it (regex why), fn on the RIP line or in
    the backtrace, and the halt. (For a jump to data or user memory RIP is
    in no function, so fn is found one frame down.)"""
    def run(boot):
        out = [expect(f"TRAP: {title} on cpu <n>", r"^\s*TRAP: " + re.escape(title) + r" on cpu \d+", 1)(boot)[0],
               expect(f"says: {why}", r"^\s*" + why, 1)(boot)[0]]
        named = [l for l in boot.lines if re.match(r"\s*(RIP:|#\d+) ", l) and f"<{fn}+" in l]
        out.append(check(f"{fn} on the RIP line or in the backtrace", named, "not named"))
        out.append(expect("cpu <n> halted (trap in kernel)", r"\bcpu \d+ halted \(trap in kernel\)")(boot)[0])
        return out
    return run


def nmi_backtrace(lines, cpu):
    """The frames of "NMI backtrace of cpu N" (the watchdog's report)."""
    start = [i for i, l in enumerate(lines) if re.match(r"\s*NMI backtrace of cpu %d\b" % cpu, l)]
    frames = []
    for line in lines[start[0] + 1:] if start else []:
        if re.match(r"\s*(RIP:|Backtrace:|holds |spins on )", line):
            continue
        if not re.match(r"\s*#\d+ ", line):
            break
        frames.append(line.strip())
    return frames


def nmi_locks(lines, cpu):
    """The "holds ...; spins on ..." line of cpu's NMI backtrace, or ""."""
    start = [i for i, l in enumerate(lines) if re.match(r"\s*NMI backtrace of cpu %d\b" % cpu, l)]
    nxt = lines[start[0] + 1].strip() if start and start[0] + 1 < len(lines) else ""
    return nxt if re.match(r"(holds |spins on )", nxt) else ""


def check_watchdog(title, report, cpu_group, fn, holds=None):
    """The watchdog's report of a deliberate hang (ktest=watchdog_*): one
    "KERNEL PANIC on cpu <n>: watchdog: ..." line matching report, whose
    group cpu_group is the CPU that hangs; that CPU's NMI backtrace must
    name fn (and match kernel.elf's symbol for it), and list the spinlock
    holds if given."""
    sym = r"0x([0-9a-fA-F]+) <%s\+0x([0-9a-fA-F]+)>" % re.escape(fn)

    def run(boot):
        hits = boot.grep(r"KERNEL PANIC on cpu \d+: watchdog: " + report)
        out = [check(f"watchdog: {title}", len(hits) == 1, f"{len(hits)} matching reports")]
        cpu = int(hits[0].group(cpu_group)) if hits else -1
        frames = nmi_backtrace(boot.lines, cpu) if hits else []
        named = [m for m in (re.search(sym, f) for f in frames) if m]
        out.append(check(f"NMI backtrace of the hung cpu names {fn}", bool(named),
                         f"cpu {cpu} frames: {frames[:3]}" if frames else f"no NMI backtrace of cpu {cpu}"))
        base = kernel_symbol(boot.root, fn) if named else None
        ok = base is not None and int(named[0].group(1), 16) == base + int(named[0].group(2), 16)
        out.append(check(f"its address agrees with {fn} in kernel.elf", ok,
                         "no frame or no symbol" if not ok else ""))
        if holds:
            locks = nmi_locks(boot.lines, cpu)
            out.append(check(f"its NMI report says it holds '{holds}'",
                             re.match(r"holds (\S+ )*'%s'" % re.escape(holds), locks) is not None,
                             locks or "no holds line"))
        n_online = boot.grep(r"^smp: (\d+) cpus online")
        want = int(n_online[0].group(1)) - 1 if n_online else 1
        got = len(boot.grep(r"^\s*NMI backtrace of cpu \d+ \("))
        out.append(check("every other cpu's backtrace printed", got == want,
                         f"{got} NMI backtraces, want {want}"))
        return out
    return run


# ---------------------------------------------------------------- cmdline

def check_unknown_options(garbage):
    """Each garbage word is reported once as unknown, and nothing else is."""
    def run(boot):
        seen = [m.group(1) for m in boot.grep(r"\bcmdline: unknown option '(.*)' ignored\s*$")]
        out = [check(f"cmdline: unknown option '{w}' ignored", seen.count(w) == 1,
                     f"reported {seen.count(w)} times") for w in garbage]
        others = [w for w in seen if w not in garbage]
        out.append(check("no other word reported unknown", not others, f"also reported: {others}"))
        return out
    return run


# ---------------------------------------------------------------- user tests

def user_ktap(boot):
    """A user test run as init: its own KTAP document, each result a test."""
    docs = parse_ktap(boot.lines)
    leaves = ktap_results(docs)
    return [check("KTAP output present", docs, "no 'KTAP version' line"),
            check("KTAP has tests", leaves, "no test results")] + leaves


def init_exit_ok(boot):
    """The test program (pid 1) exited with status 0: every check passed."""
    return expect("the test exits with status 0", r"init exited with status 0x0:", 1)(boot)
