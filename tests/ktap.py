"""Parsers for what a Numbat boot prints on its serial console.

- clean_lines(): serial bytes -> text lines, without terminal escapes or \\r.
- parse_ktap() / ktap_results(): KTAP as Linux KUnit prints it, nested suites
  indented 4 spaces a level, turned into one Result per leaf test.
- parse_numa() / parse_cpulist() / format_cpulist(): the boot log's
  `numa: node ...` lines (docs/design.md, section 6).

Python 3 standard library only; tests/test_ktap.py tests this module.
"""
import re
from dataclasses import dataclass, field

PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass
class Result:
    """One counted test: a KTAP leaf, or a check made by the harness."""
    name: str
    status: str                  # PASS, FAIL or SKIP
    reason: str = ""             # why it failed or was skipped
    diag: list = field(default_factory=list)   # lines printed around it


# ---------------------------------------------------------------- raw text

# CSI sequences (ESC [ ... final byte), other two-byte ESC sequences, and
# control characters other than tab and newline.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]")


def clean_lines(text):
    """Split serial output into lines, dropping escape codes and \\r."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _ESCAPES.sub("", text.replace("\t", "    ")).split("\n")


# ---------------------------------------------------------------- KTAP

_VERSION = re.compile(r"(?:KTAP|TAP) version \d+\s*$")
_PLAN = re.compile(r"1\.\.(\d+)\s*(?:#.*)?$")
_RESULT = re.compile(r"(not ok|ok)\s+(\d+)\b(?:\s*-)?\s*([^#]*?)\s*(?:#\s*(.*?)\s*)?$")
_SUBTEST = re.compile(r"#\s*Subtest:\s*(.*?)\s*$")
_INDENT = 4


@dataclass
class Test:
    """A node of the KTAP tree: a suite (has children or a plan) or a test."""
    name: str = ""
    number: int = None
    status: str = None           # "ok" / "not ok"; None: no result line seen
    directive: str = ""          # text after '#' on the result line
    plan: int = None
    children: list = field(default_factory=list)
    diag: list = field(default_factory=list)
    line: int = 0                # line number (1-based) of the result line

    @property
    def skipped(self):
        return self.status is not None and re.match(r"(SKIP|TODO)\b", self.directive, re.I)

    @property
    def fresh(self):
        return self.plan is None and not self.children and self.status is None


class _Parser:
    def __init__(self):
        self.docs = []           # top-level Test per "KTAP version" at column 0
        self.stack = []          # stack[d]: the open test whose lines are at depth d
        self.pending = []        # non-KTAP and comment lines since the last result

    def _flush(self):
        if self.stack and self.pending:
            self.stack[-1].diag.extend(self.pending)
        self.pending = []

    def _at(self, depth):
        """stack[depth], opening unnamed tests down to it if the stack is short."""
        while len(self.stack) <= depth:
            child = Test()
            self.stack[-1].children.append(child)
            self.stack.append(child)
        return self.stack[depth]

    def _fresh(self, depth):
        """An open test at depth (> 0) with nothing in it yet: a new one unless
        stack[depth] is still fresh (e.g. '# Subtest:' after 'KTAP version')."""
        if len(self.stack) > depth and self.stack[depth].fresh:
            return self.stack[depth]
        del self.stack[depth:]       # tests left open there never got a result
        return self._at(depth)

    def line(self, lineno, raw):
        body = raw.lstrip(" ")
        indent = len(raw) - len(body)
        body = body.rstrip()
        depth = indent // _INDENT
        structural = indent % _INDENT == 0 and (
            _VERSION.match(body) or _PLAN.match(body) or _RESULT.match(body)
            or _SUBTEST.match(body))
        if structural and not self.stack and not (depth == 0 and _VERSION.match(body)):
            structural = False       # KTAP lines before any "KTAP version" are noise
        if not structural:
            if body:
                self.pending.append(body)
            return
        if _VERSION.match(body):
            self._flush()
            if depth == 0:
                self.docs.append(Test())
                self.stack = [self.docs[-1]]
            else:
                self._fresh(depth)
            return
        m = _SUBTEST.match(body)
        if m:
            self._flush()
            if depth == 0:
                self.stack[0].name = self.stack[0].name or m.group(1)
            else:
                self._fresh(depth).name = m.group(1)
            return
        m = _PLAN.match(body)
        if m:
            self._flush()
            if depth == 0:
                t = self.stack[0]
            elif len(self.stack) > depth and self.stack[depth].plan is None:
                t = self.stack[depth]     # fresh, or a plan after its results
                del self.stack[depth + 1:]
            else:
                t = self._fresh(depth)
            if t.plan is not None:
                t.diag.append(f"duplicate plan {body!r}")
            t.plan = int(m.group(1))
            return
        m = _RESULT.match(body)
        if len(self.stack) > depth + 1:
            t = self.stack[depth + 1]            # a suite's closing line
            del self.stack[depth + 1:]
        else:
            parent = self._at(depth)
            t = Test()
            parent.children.append(t)
        t.status, t.number = m.group(1), int(m.group(2))
        t.name = m.group(3) or t.name
        t.directive = m.group(4) or ""
        t.line = lineno
        t.diag.extend(self.pending)
        self.pending = []

    def finish(self):
        self._flush()
        return self.docs


def parse_ktap(lines):
    """Parse KTAP from lines (other lines are kept as diagnostics).

    Returns one Test per top-level 'KTAP version' line.
    """
    p = _Parser()
    for n, raw in enumerate(lines, 1):
        p.line(n, raw)
    return p.finish()


def _reason(t):
    return t.directive or ("no result line" if t.status is None else "")


def _results(t, name):
    prefix = name + "." if name else ""
    if not t.children:
        if t.skipped:
            return [Result(name, SKIP, re.sub(r"(?i)^SKIP\b\s*", "", t.directive), t.diag)]
        if t.plan:
            why = f"missing result (plan 1..{t.plan}, got none)"
            if t.status:
                why += f"; suite said: {t.status} {t.directive}".rstrip()
            return [Result(f"{prefix}#{i}", FAIL, why, t.diag if i == 1 else [])
                    for i in range(1, t.plan + 1)]
        if t.status == "ok":
            return [Result(name, PASS, t.directive, t.diag)]
        if t.status == "not ok":
            return [Result(name, FAIL, t.directive, t.diag)]
        if t.plan == 0:
            return []
        return [Result(name or "(unnamed)", FAIL, "no results", t.diag)]
    out = []
    for i, c in enumerate(t.children, 1):
        out += _results(c, prefix + (c.name or f"#{c.number or i}"))
    got = len(t.children)
    if t.plan is not None and got < t.plan:
        why = f"missing result (plan 1..{t.plan}, got {got})"
        last = t.children[-1].diag if t.children[-1].status is None else t.diag
        out += [Result(f"{prefix}#{i}", FAIL, why, last if i == got + 1 else [])
                for i in range(got + 1, t.plan + 1)]
    elif t.plan is not None and got > t.plan:
        out.append(Result(name or "(plan)", FAIL, f"{got} results for plan 1..{t.plan}", t.diag))
    if t.status == "not ok" and not t.skipped and not any(r.status == FAIL for r in out):
        out.append(Result(name, FAIL, "suite reported not ok " + _reason(t), t.diag))
    return out


def ktap_results(docs):
    """Leaf results of parsed KTAP documents (see parse_ktap).

    A leaf is a result with no subtests. A test or suite whose plan is larger
    than the results seen (the machine crashed, say) gets one failure per
    missing result; a suite that says 'not ok' with no failing leaf gets one.
    """
    out = []
    for d in docs:
        out += _results(d, d.name if len(docs) > 1 else "")
    return out


# ---------------------------------------------------------------- boot log

_NUMA = re.compile(r"(?<![\w-])numa: node (\d+) cpus (\S+) mem (\d+) MiB distances((?: \d+)+)\s*$")


@dataclass
class NumaNode:
    id: int
    cpus: list
    mem: int
    distances: list
    text: str = ""


def parse_cpulist(s):
    """'0-1,4' -> [0, 1, 4]; 'none' -> []. Raises ValueError if malformed."""
    if s == "none":
        return []
    cpus = []
    for part in s.split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise ValueError(f"bad cpulist {s!r}")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise ValueError(f"bad cpulist {s!r}")
        cpus += range(lo, hi + 1)
    if cpus != sorted(set(cpus)):
        raise ValueError(f"cpulist {s!r} is not sorted or repeats a cpu")
    return cpus


def format_cpulist(cpus):
    """[0, 1, 4] -> '0-1,4'; [] -> 'none'."""
    cpus, out = sorted(set(cpus)), []
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out) or "none"


def parse_numa(lines):
    """Return (nodes, malformed): NumaNode per well-formed `numa: node` line,
    and the lines that mention `numa: node` but do not follow the format."""
    nodes, bad = [], []
    for line in lines:
        if "numa: node" not in line:
            continue
        m = _NUMA.search(line)
        try:
            if not m:
                raise ValueError
            cpus = parse_cpulist(m.group(2))
        except ValueError:
            bad.append(line.strip())
            continue
        nodes.append(NumaNode(int(m.group(1)), cpus, int(m.group(3)),
                              [int(x) for x in m.group(4).split()], line.strip()))
    return nodes, bad


def find_all(pattern, lines):
    """Match objects of pattern (searched) on each line, in order."""
    rx = re.compile(pattern)
    return [m for m in (rx.search(line) for line in lines) if m]
