#!/usr/bin/env python3
"""Draw where a process's pages were, from a Numbat boot log.

    python3 scripts/numaplot.py [LOG] [-o OUT.png] [--pid PID]
    make plot [LOG=build/tests/user-numawatch.log] [OUT=build/numaplot.png]

The log is the serial output the test harness keeps (build/tests/NAME.log)
or any file holding the same lines. It reads:

- numawatch's lines (user/numawatch.c):
      numawatch: pid=7 t=123456789 N0=300 N1=12
      numawatch: pid=7 t=123456789 map=start 100000001000-100000041000 000--111
- the trace's migrations (/sys/kernel/tracing/trace, Linux's layout):
      numawatch-7       [001] .....     0.263905: migrate_page: pfn=0x1a2 new_pfn=0x1f0a3 from=0 to=1 reason=syscall_or_cpuset

and writes a PNG with (a) the share of the process's pages on each node
over time, the migrations into each node marked under it, and (b) the
page-by-node maps at the start and at the end (one cell per page, coloured
by node; grey: no page). A short text summary goes to stdout.

The parser needs only the standard library (the host unit tests import
it); drawing needs matplotlib (Debian: python3-matplotlib, which `make
tools` installs).
"""
import argparse
import re
import sys
from dataclasses import dataclass, field

_NOISE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\r")
_WATCH = re.compile(r"numawatch: pid=(\d+) t=(\d+) (.*?)\s*$")
_NODES = re.compile(r"\bN(\d+)=(\d+)")
_MAP = re.compile(r"map=(start|end) ([0-9a-f]+)-([0-9a-f]+) ([0-9-]*)$")
_MIGRATE = re.compile(
    r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(?:\S+\s+)?(\d+)\.(\d{6}): migrate_page: "
    r"pfn=0x([0-9a-f]+) new_pfn=0x([0-9a-f]+) from=(\d+) to=(\d+) reason=(\S+)")


@dataclass
class Migration:
    t_ns: int
    pid: int
    comm: str
    pfn: int
    new_pfn: int
    src: int
    dst: int
    reason: str


@dataclass
class PageMap:
    start: int
    end: int
    nodes: str        # one character per page: '0'..'9' or '-'


@dataclass
class Watch:
    """What numawatch said about one process."""
    pid: int
    samples: list = field(default_factory=list)      # (t_ns, {node: pages})
    maps: dict = field(default_factory=lambda: {"start": [], "end": []})


@dataclass
class Log:
    watches: dict = field(default_factory=dict)      # pid -> Watch
    migrations: list = field(default_factory=list)

    def watch(self, pid=None):
        """The Watch of pid, or of the process with the most samples."""
        if pid is not None:
            return self.watches.get(pid)
        if not self.watches:
            return None
        return max(self.watches.values(), key=lambda w: len(w.samples))


def _watch_line(log, pid, t, rest):
    w = log.watches.setdefault(pid, Watch(pid))
    m = _MAP.search(rest)
    if m:
        w.maps[m.group(1)].append(PageMap(int(m.group(2), 16), int(m.group(3), 16), m.group(4)))
        return
    nodes = {int(n): int(v) for n, v in _NODES.findall(rest)}
    if nodes:
        w.samples.append((t, nodes))


def parse(lines):
    """Parse log lines (str) into a Log. Lines it does not know are
    skipped; so are malformed numawatch and trace lines."""
    log = Log()
    for raw in lines:
        line = _NOISE.sub("", raw)
        m = _WATCH.search(line)
        if m:
            _watch_line(log, int(m.group(1)), int(m.group(2)), m.group(3))
            continue
        m = _MIGRATE.search(line)
        if m:
            log.migrations.append(Migration(
                t_ns=int(m.group(4)) * 1_000_000_000 + int(m.group(5)) * 1000,
                pid=int(m.group(2)), comm=m.group(1).strip(), pfn=int(m.group(6), 16),
                new_pfn=int(m.group(7), 16), src=int(m.group(8)), dst=int(m.group(9)),
                reason=m.group(10)))
    return log


def shares(watch):
    """(times in s from the first sample, {node: [share 0..1 per sample]})."""
    if not watch or not watch.samples:
        return [], {}
    t0 = watch.samples[0][0]
    nodes = sorted({n for _, s in watch.samples for n in s})
    times, out = [], {n: [] for n in nodes}
    for t, s in watch.samples:
        total = sum(s.values())
        times.append((t - t0) / 1e9)
        for n in nodes:
            out[n].append(s.get(n, 0) / total if total else 0.0)
    return times, out


def largest_maps(watch):
    """The start and end maps of the mapping in both with the most pages
    present (start and end together), as (start PageMap, end PageMap), or
    None."""
    if not watch:
        return None
    ends = {m.start: m for m in watch.maps["end"]}
    pairs = [(m, ends[m.start]) for m in watch.maps["start"] if m.start in ends]
    if not pairs:
        return None
    present = lambda pm: sum(c != "-" for c in pm.nodes)  # noqa: E731
    return max(pairs, key=lambda p: present(p[0]) + present(p[1]))


def summary(log, watch):
    """Text lines: samples, first and last counts, migrations by route."""
    out = []
    if watch and watch.samples:
        first, last = watch.samples[0], watch.samples[-1]
        span = (last[0] - first[0]) / 1e9
        fmt = lambda s: " ".join(f"N{n}={v}" for n, v in sorted(s.items()))  # noqa: E731
        out.append(f"pid {watch.pid}: {len(watch.samples)} samples over {span:.3f} s")
        out.append(f"  first: {fmt(first[1])}")
        out.append(f"  last:  {fmt(last[1])}")
    routes = {}
    for m in log.migrations:
        key = (m.src, m.dst, m.reason)
        routes[key] = routes.get(key, 0) + 1
    for (src, dst, reason), n in sorted(routes.items()):
        out.append(f"migrations {src}->{dst} ({reason}): {n}")
    return out


def _map_rows(pm, width):
    """A page map as rows of `width` node numbers (-1: no page)."""
    cells = [int(c) if c.isdigit() else -1 for c in pm.nodes]
    cells += [-1] * (-len(cells) % width)
    return [cells[i:i + width] for i in range(0, len(cells), width)]


def draw(log, watch, out, title=None):
    """Write the PNG (needs matplotlib)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    times, share = shares(watch)
    fig = plt.figure(figsize=(8, 6), dpi=80)
    grid = fig.add_gridspec(3, 2, height_ratios=[3, 0.6, 2])
    ax = fig.add_subplot(grid[0, :])
    for n, ys in sorted(share.items()):
        ax.plot(times, [100 * y for y in ys], drawstyle="steps-post",
                color=colours[n % len(colours)], label=f"node {n}")
    ax.set_ylabel("% of its pages")
    ax.set_ylim(-2, 102)
    ax.set_title(title or f"(a) where pid {watch.pid}'s pages are")
    ax.legend(loc="center right")
    rug = fig.add_subplot(grid[1, :], sharex=ax)
    t0 = watch.samples[0][0] if watch and watch.samples else 0
    for m in log.migrations:
        rug.vlines((m.t_ns - t0) / 1e9, m.dst - 0.4, m.dst + 0.4, color=colours[m.dst % len(colours)],
                   linewidth=0.5)
    rug.set_yticks(sorted({m.dst for m in log.migrations}) or [0])
    rug.set_ylabel("moved to")
    rug.set_xlabel("seconds since numawatch started (ticks: traced migrations)")
    pair = largest_maps(watch)
    cmap = ListedColormap(["#dddddd"] + colours)
    for i, which in enumerate(("start", "end")):
        pax = fig.add_subplot(grid[2, i])
        if pair:
            pm = pair[i]
            rows = _map_rows(pm, 32)
            pax.imshow([[c + 1 for c in r] for r in rows], cmap=cmap, vmin=0, vmax=len(colours),
                       aspect="auto", interpolation="nearest")
            pax.set_title(f"(b) {which}: {pm.start:#x}, {len(pm.nodes)} pages", fontsize=9)
        pax.set_xticks([])
        pax.set_yticks([])
        pax.set_xlabel("32 pages a row; colour: node, as in (a); grey: none", fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", nargs="?", default="build/tests/user-numawatch.log")
    ap.add_argument("-o", "--out", default="build/numaplot.png")
    ap.add_argument("--pid", type=int, default=None)
    ap.add_argument("--title", default=None)
    args = ap.parse_args(argv)
    try:
        with open(args.log, errors="replace") as f:
            log = parse(f)
    except OSError as e:
        print(f"numaplot: {e}", file=sys.stderr)
        return 1
    watch = log.watch(args.pid)
    if not watch or not watch.samples:
        print(f"numaplot: no numawatch samples in {args.log} (run /bin/numawatch in the boot; "
              "`python3 tests/run.py -k user-numawatch` makes such a log)", file=sys.stderr)
        return 1
    for line in summary(log, watch):
        print(line)
    draw(log, watch, args.out, args.title)
    print(f"numaplot: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
