#!/usr/bin/env python3
"""Cut a lab's starting tree from the reference tree (docs/labs/README.md).

    python3 scripts/mklab.py LAB OUTDIR     the tree with LAB's regions stubbed
    python3 scripts/mklab.py --check        parse every marker, list the regions
    python3 scripts/mklab.py --labs         the labs in order, one a line

A lab region in a C file (kernel/, arch/, user/: every tracked .c and .h):

    /* LAB cow: BEGIN one line saying what to write */
    ...the reference solution...
    /* LAB cow: END */
    /* LAB cow: STUB
    ...what the starting tree has instead (may be empty)...
    */

or, for an empty stub, `/* LAB cow: STUB */` on the line after END. The
markers are lines of their own. LAB's tree keeps the BEGIN and END lines,
puts the stub's lines between them and drops the STUB block; every other
lab's regions stay solved (labs are done in order, and a later lab's
region missing would stop the kernel the earlier ones are tested on).
Unbalanced or malformed markers stop the generator with FILE:LINE: why.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every lab, in the order a course does them.
LABS = ["intro", "pgtbl", "cow", "filemap", "reclaim", "rmap", "numa"]

MARK = re.compile(r"^\s*/\* LAB (?P<lab>[a-z0-9_]+): (?P<kind>BEGIN|END|STUB)(?P<rest>.*)$")
ANY_MARK = re.compile(r"/\*\s*LAB\b")        # anything that looks like one
SCANNED = (".c", ".h")


class MarkerError(Exception):
    pass


class Region:
    """One lab region: lines [begin, end] of path, the stub block after it
    ([end + 1, stub_end]) and the stub's lines."""

    def __init__(self, path, lab, task, begin):
        self.path, self.lab, self.task, self.begin = path, lab, task, begin
        self.end = self.stub_end = None
        self.stub = []

    def __repr__(self):
        return f"{self.path}:{self.begin + 1}: {self.lab}: {self.task}"


def _marker(path, n, line):
    """The marker on line n (0-based) as (lab, kind, rest), or None."""
    m = MARK.match(line)
    if not m:
        if ANY_MARK.search(line):
            raise MarkerError(f"{path}:{n + 1}: malformed lab marker: {line.strip()}")
        return None
    lab, kind, rest = m.group("lab"), m.group("kind"), m.group("rest").rstrip()
    if lab not in LABS:
        raise MarkerError(f"{path}:{n + 1}: unknown lab '{lab}' (labs: {' '.join(LABS)})")
    if kind == "BEGIN" and not (rest.endswith("*/") and rest[:-2].strip() and rest.startswith(" ")):
        raise MarkerError(f"{path}:{n + 1}: BEGIN needs a one-line task: /* LAB {lab}: BEGIN task */")
    if kind == "END" and rest != " */":
        raise MarkerError(f"{path}:{n + 1}: END is exactly /* LAB {lab}: END */")
    if kind == "STUB" and rest not in ("", " */"):
        raise MarkerError(f"{path}:{n + 1}: STUB opens a block (/* LAB {lab}: STUB) "
                          f"or is empty (/* LAB {lab}: STUB */)")
    return lab, kind, rest


def _stub(path, lines, r):
    """Read the STUB block that must follow r's END line; sets r.stub_end."""
    n = r.end + 1
    mk = _marker(path, n, lines[n]) if n < len(lines) else None
    if not mk or mk[1] != "STUB" or mk[0] != r.lab:
        raise MarkerError(f"{path}:{r.end + 1}: END of lab {r.lab} must be followed "
                          f"by its STUB block on the next line")
    if mk[2] == " */":
        r.stub_end = n
        return
    for k in range(n + 1, len(lines)):
        if lines[k].strip() == "*/":
            r.stub_end = k
            return
        if "/*" in lines[k] or "*/" in lines[k] or _marker(path, k, lines[k]):
            raise MarkerError(f"{path}:{k + 1}: a stub may not hold a comment or a marker")
        r.stub.append(lines[k])
    raise MarkerError(f"{path}:{n + 1}: STUB block of lab {r.lab} is never closed by a '*/' line")


def parse(path, text):
    """The regions of one file (its text); MarkerError if unbalanced."""
    lines = text.split("\n")
    regions, cur, n = [], None, 0
    while n < len(lines):
        mk = _marker(path, n, lines[n])
        if mk:
            lab, kind, rest = mk
            if kind == "BEGIN":
                if cur:
                    raise MarkerError(f"{path}:{n + 1}: BEGIN inside the region of lab "
                                      f"{cur.lab} opened at line {cur.begin + 1}")
                cur = Region(path, lab, rest[:-2].strip(), n)
            elif kind == "END":
                if not cur or cur.lab != lab:
                    raise MarkerError(f"{path}:{n + 1}: END of lab {lab} without its BEGIN")
                cur.end = n
                _stub(path, lines, cur)
                regions.append(cur)
                n, cur = cur.stub_end, None
            else:
                raise MarkerError(f"{path}:{n + 1}: STUB of lab {lab} not right after an END")
        n += 1
    if cur:
        raise MarkerError(f"{path}:{cur.begin + 1}: region of lab {cur.lab} never ends")
    return regions


def cut(text, regions, lab):
    """text with lab's regions replaced by their stubs."""
    lines = text.split("\n")
    for r in sorted((r for r in regions if r.lab == lab), key=lambda r: -r.begin):
        lines[r.begin + 1:r.stub_end + 1] = r.stub + [lines[r.end]]
    return "\n".join(lines)


def tree_files(src):
    """The files of the tree at src: git's tracked files, or every file
    outside build/ and .git/ when src is not a git work tree."""
    top = subprocess.run(["git", "-C", src, "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True)
    if top.returncode == 0 and os.path.realpath(top.stdout.strip()) == os.path.realpath(src):
        p = subprocess.run(["git", "-C", src, "ls-files", "-z"], capture_output=True, check=True)
        return sorted(f for f in p.stdout.decode().split("\0") if f)
    out = []
    for d, dirs, files in os.walk(src):
        dirs[:] = [x for x in dirs if x not in (".git", "build", "__pycache__")]
        out += [os.path.relpath(os.path.join(d, f), src) for f in files]
    return sorted(out)


def scan(src):
    """{relative path: (text, regions)} of every C file of the tree that
    has a marker; MarkerError on the first bad one."""
    found = {}
    for f in tree_files(src):
        full = os.path.join(src, f)
        if not f.endswith(SCANNED) or not os.path.isfile(full):
            continue
        with open(full, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
        if "LAB" in text:
            regions = parse(f, text)
            if regions:
                found[f] = (text, regions)
    return found


def generate(src, lab, out, force=False):
    """Write lab's starting tree to out; returns the regions cut."""
    if lab not in LABS:
        raise MarkerError(f"unknown lab '{lab}' (labs: {' '.join(LABS)})")
    marked = scan(src)                       # every marker checked before writing
    cuts = [r for _, regions in marked.values() for r in regions if r.lab == lab]
    if not cuts:
        raise MarkerError(f"lab {lab} has no regions in {src}")
    if os.path.exists(out) and os.listdir(out):
        if not force:
            raise MarkerError(f"{out} exists and is not empty (--force replaces it)")
        shutil.rmtree(out)
    for f in tree_files(src):
        s, d = os.path.join(src, f), os.path.join(out, f)
        if not os.path.lexists(s):
            continue                         # deleted, not yet committed
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if f in marked:
            text, regions = marked[f]
            with open(d, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(cut(text, regions, lab))
            shutil.copymode(s, d)
        else:
            shutil.copy2(s, d, follow_symlinks=False)
    with open(os.path.join(out, ".lab"), "w") as fh:
        fh.write(lab + "\n")
    return cuts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lab", nargs="?")
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--src", default=ROOT, help="the reference tree (default: this one)")
    ap.add_argument("--check", action="store_true", help="check the markers, list the regions")
    ap.add_argument("--labs", action="store_true", help="list the labs in order")
    ap.add_argument("--force", action="store_true", help="replace a non-empty OUTDIR")
    o = ap.parse_args(argv)
    try:
        if o.labs:
            print("\n".join(LABS))
        elif o.check:
            for f, (_, regions) in sorted(scan(o.src).items()):
                for r in regions:
                    print(f"{r.lab:8} {f}:{r.begin + 1}-{r.end + 1}  {r.task}")
        elif o.lab and o.outdir:
            cuts = generate(o.src, o.lab, o.outdir, o.force)
            print(f"mklab: {o.outdir}: lab {o.lab}, {len(cuts)} regions stubbed")
        else:
            ap.error("give LAB and OUTDIR, --check or --labs")
    except MarkerError as e:
        print(f"mklab: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
