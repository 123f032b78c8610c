#!/usr/bin/env python3
"""`make labcheck`: check every finished lab against the reference tree.

For each lab of tests/labs.py, in course order:

  1. the reference (this tree) scores full marks (`tests/grade.py LAB`);
  2. scripts/mklab.py cuts the lab's starting tree into build/labcheck/LAB;
     it differs from the reference only inside that lab's regions (from a
     BEGIN line to the end of its STUB block: checked line by line with
     difflib, not by running the generator's own cut again), every other
     file is identical, and the tree builds with no warning;
  3. in that tree the lab scores 0, and every earlier lab full marks.

The starting tree starts from a copy of this tree's build/ (times kept),
so make recompiles only the files the cut changed. Not part of `make
test`: it builds and boots a tree per lab (about 10 minutes on 2 cores).
Prints one `ok`/`not ok` line per check and `labcheck: N passed, N failed`.

    python3 tests/labcheck.py [--timeout-scale X] [LAB...]
"""
import argparse
import difflib
import filecmp
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))

import grade  # noqa: E402
import labs  # noqa: E402
import mklab  # noqa: E402
from qemu import ROOT, make_env  # noqa: E402

OUT = os.path.join(ROOT, "build", "labcheck")
NOT_COPIED = {"tests", "labcheck", "grade-extra"}   # of build/: per-run files


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, why=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {name}" + ("" if ok else f" # {why}"), flush=True)
        return ok


def score(tree, lab, flags, build):
    """(score, max, output) of grading lab in tree."""
    args = [sys.executable, "tests/grade.py", *flags] + ([] if build else ["--no-build"]) + [lab]
    p = subprocess.run(args, cwd=tree, env=make_env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, total = grade.parse(p.stdout)
    return (total or (-1, -1)) + (p.stdout,)


def outside_regions(ref, cut, regions, lab):
    """Lines where cut differs from ref outside lab's regions (1-based
    reference line numbers); [] when every change is inside one."""
    spans = [(r.begin + 1, r.stub_end) for r in regions if r.lab == lab]   # 0-based, inclusive
    inside = lambda a, b: any(lo <= a and b <= hi + 1 for lo, hi in spans)  # noqa: E731
    bad = []
    sm = difflib.SequenceMatcher(None, ref.split("\n"), cut.split("\n"), autojunk=False)
    for op, i1, i2, _, _ in sm.get_opcodes():
        if op != "equal" and not inside(i1, i2):
            bad.append(i1 + 1)
    return bad


def compare(tree, lab, t):
    """Check 2's comparison: only lab's regions changed."""
    marked = mklab.scan(ROOT)
    bad = []
    for f in mklab.tree_files(ROOT):
        src, dst = os.path.join(ROOT, f), os.path.join(tree, f)
        if not os.path.lexists(src):
            continue
        if f in marked:
            text, regions = marked[f]
            with open(dst, encoding="utf-8", errors="surrogateescape") as fh:
                bad += [f"{f}:{n}" for n in outside_regions(text, fh.read(), regions, lab)]
        elif not os.path.lexists(dst) or not filecmp.cmp(src, dst, shallow=False):
            bad.append(f)
    t.check(f"{lab}: the starting tree differs from the reference only inside its regions",
            not bad, f"also changed: {' '.join(bad[:5])}")


def cut_and_build(lab, t):
    """Cut lab's tree, seed its build/ from ours, build it: the tree or None."""
    tree = os.path.join(OUT, lab)
    subprocess.run(["rm", "-rf", tree], check=True)
    try:
        mklab.generate(ROOT, lab, tree)
    except mklab.MarkerError as e:
        t.check(f"{lab}: scripts/mklab.py cuts the tree", False, str(e))
        return None
    os.makedirs(os.path.join(tree, "build"))
    for d in sorted(os.listdir(os.path.join(ROOT, "build"))):
        if d not in NOT_COPIED:
            subprocess.run(["cp", "-a", "--sparse=always", os.path.join(ROOT, "build", d),
                            os.path.join(tree, "build", d)], check=True)
    compare(tree, lab, t)
    p = subprocess.run(["make", "all"], cwd=tree, env=make_env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    warn = [line for line in p.stdout.splitlines() if re.search(r"\b(warning|error):", line)]
    if not t.check(f"{lab}: the starting tree builds with no warning", p.returncode == 0 and not warn,
                   (warn or p.stdout.splitlines()[-1:] or ["?"])[0]):
        return None
    p = build(tree)
    if not t.check(f"{lab}: its -Og kernel (for the GDB sessions) builds", p.returncode == 0,
                   p.stdout[-300:]):
        return None
    return tree


def build(tree):
    """The -Og kernel `make qemu-gdb` boots, as tests/run.py builds it."""
    return subprocess.run(["make", "-s", "DEBUG=1", "build/debug/kernel.elf"], cwd=tree,
                          env=make_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def check_lab(lab, flags, t):
    got, total, out = score(ROOT, lab.name, flags, False)
    t.check(f"{lab.name}: the reference scores {total}/{total}", got == total and total > 0,
            f"Score: {got}/{total}\n" + indent(out))
    tree = cut_and_build(lab.name, t)
    if not tree:
        return
    got, total, out = score(tree, lab.name, flags, False)
    t.check(f"{lab.name}: its starting tree scores 0/{total}", got == 0 and total > 0,
            f"Score: {got}/{total}\n" + indent(out))
    for earlier in labs.LABS[:labs.LABS.index(lab)]:
        got, total, out = score(tree, earlier.name, flags, False)
        t.check(f"{lab.name}: its starting tree keeps lab {earlier.name} at {total}/{total}",
                got == total and total > 0, f"Score: {got}/{total}\n" + indent(out))


def indent(text):
    return "\n".join("#   " + line for line in text.splitlines()[-40:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labs", nargs="*", help="only these labs (default: every finished one)")
    ap.add_argument("--timeout-scale", default="1", metavar="X")
    o = ap.parse_args(argv)
    flags = ["--timeout-scale", o.timeout_scale]
    t = Tally()
    p = subprocess.run(["make", "-s", "all"], cwd=ROOT, env=make_env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode == 0:
        p = build(ROOT)
    if not t.check("the reference tree builds", p.returncode == 0, p.stdout[-500:]):
        return 1
    for lab in labs.LABS:
        if not o.labs or lab.name in o.labs:
            check_lab(lab, flags, t)
    print(f"labcheck: {t.passed} passed, {t.failed} failed", flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
