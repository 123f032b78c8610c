#!/usr/bin/env python3
"""The lab grader: `make grade LAB=NAME` runs `python3 tests/grade.py NAME`.

Builds the tree (`make all`, and the -Og kernel when a GDB session is
graded), boots each case the lab's tests use once (tests/labs.py, the
cases of tests/cases.py, headless, each with its time limit), then prints
one line per test and the total, in a format that stays stable (the host
test tests/test_grade.py parses it):

    == grade: lab cow (docs/labs/cow.md)
    -- user-cow: 41.2 s
    cow: fork with more than half of memory: OK 25/25
    cow: three processes write one region: FAIL 0/15
        # not ok: three: three processes write 8 MiB, each sees its own (2 of 3 rounds)
    ...
    Score: 85/100

A case that hangs past its time limit, or whose kernel panics, fails every
test drawn from it. --extra DIR (GRADE_EXTRA=DIR) also builds and boots
each DIR/NAME.c, a KTAP test program like user/tests/*.c kept outside the
tree; each is worth the points DIR/points gives it (lines `NAME POINTS`,
default 10), and the total's maximum grows by them. Exit status 0 only
for full marks.

    python3 tests/grade.py [--list] [--extra DIR] [--no-build] [-j N] [-v] [--timeout-scale X] LAB
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import labs  # noqa: E402
from cases import CASES, DEFAULT_TIMEOUT, Case  # noqa: E402
from checks import init_exit_ok, user_ktap  # noqa: E402
from ktap import FAIL, PASS  # noqa: E402
from qemu import ROOT, kill_group, make_env  # noqa: E402

LINE = re.compile(r"^(?P<name>.+): (?P<status>OK|FAIL) (?P<got>\d+)/(?P<max>\d+)$")
SCORE = re.compile(r"^Score: (?P<got>\d+)/(?P<max>\d+)$")
# A boot's harness checks that mean the boot itself went wrong.
FATAL = re.compile(r"^(powers off|no kernel panic|boots once|boot: complete|harness|make all)")
EXTRA_POINTS = 10


def parse(text):
    """A grader's output read back: ([(name, ok, got, max)], (score, max) or None)."""
    tests, score = [], None
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            tests.append((m["name"], m["status"] == "OK", int(m["got"]), int(m["max"])))
        m = SCORE.match(line)
        if m:
            score = (int(m["got"]), int(m["max"]))
    return tests, score


def judge(test, results):
    """(ok, why) for one Graded test from its case's results."""
    fatal = [r for r in results if FATAL.match(r.name) and r.status == FAIL]
    if fatal:
        return False, f"{fatal[0].name}: {fatal[0].reason}"
    picked = [r for r in results if test.pick is None or re.search(test.pick, r.name)]
    if not picked:
        return False, "no such result (did the test run?)"
    bad = [r for r in picked if r.status != PASS]
    if bad:
        return False, "not ok: " + bad[0].name + (f" # {bad[0].reason}" if bad[0].reason else "")
    return True, ""


def extra_tests(folder):
    """Cases and Graded tests for the programs in folder (GRADE_EXTRA)."""
    points = {}
    pfile = os.path.join(folder, "points")
    if os.path.exists(pfile):
        with open(pfile) as fh:
            for line in fh:
                w = line.split()
                if len(w) >= 2 and not line.startswith("#"):
                    points[w[0]] = int(w[1])
    cases, tests = [], []
    for src in sorted(f for f in os.listdir(folder) if f.endswith(".c")):
        name = src[:-2]
        cases.append(Case(f"extra-{name}", cmdline=f"init=/tests/extra-{name} poweroff",
                          image=extra_image(os.path.join(folder, src), name),
                          checks=[user_ktap, init_exit_ok], timeout=3 * DEFAULT_TIMEOUT))
        tests.append(labs.Graded(f"extra: {name}", f"extra-{name}",
                                 points.get(name, EXTRA_POINTS)))
    return cases, tests


def extra_image(src, name):
    """An image function: build/disk.img with src, compiled as the user
    tests are (musl, user/lib), as /tests/extra-NAME."""
    def make(path):
        exe = os.path.join(ROOT, "build", "grade-extra", name)
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        subprocess.run(["musl-gcc", "-static", "-O2", "-Wall", "-std=gnu11", "-Iuser/lib",
                        "-o", exe, src, "build/user/libuser.a"], cwd=ROOT, check=True)
        subprocess.run(["cp", "--sparse=always", os.path.join(ROOT, "build", "disk.img"), path],
                       check=True)
        cmd = path + ".cmd"
        with open(cmd, "w") as f:
            f.write(f"cd /tests\nwrite {exe} extra-{name}\n")
        subprocess.run(["debugfs", "-w", "-f", cmd, path], check=True, capture_output=True)
        os.unlink(cmd)
    return make


def build(need_gdb):
    """`make all` (and the -Og kernel GDB sessions boot): (ok, output)."""
    out = b""
    for target in (["all"], ["DEBUG=1", "build/debug/kernel.elf"]) if need_gdb else (["all"],):
        p = subprocess.run(["make", "-s"] + target, cwd=ROOT, env=make_env(),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out += p.stdout
        if p.returncode:
            return False, out.decode(errors="replace")
    return True, out.decode(errors="replace")


def run_cases(cases, opts):
    """Boot each case once: {name: results}, printing a line per case."""
    import run                               # the harness (tests/run.py)
    ropts = SimpleNamespace(timeout_scale=opts.timeout_scale, verbose=opts.verbose)
    procs, got = set(), {}
    os.makedirs(os.path.join(ROOT, "build", "tests"), exist_ok=True)

    def one(case):
        start = time.monotonic()
        try:
            results, _ = run.run_case(case, ropts, procs)
        except Exception as e:               # a harness error fails the case
            from ktap import Result
            results = [Result("harness", FAIL, f"{type(e).__name__}: {e}")]
        print(f"-- {case.name}: {time.monotonic() - start:.1f} s", flush=True)
        return case.name, results

    pool = concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs))
    try:
        for name, results in pool.map(one, cases):
            got[name] = results
    except KeyboardInterrupt:                # stop the boots we started
        pool.shutdown(wait=False, cancel_futures=True)
        for p in list(procs):
            kill_group(p, grace=1)
        raise SystemExit(130)
    pool.shutdown()
    return got


def report(lab, tests, got):
    """Print each test and the score; returns (score, max)."""
    score = total = 0
    for t in tests:
        ok, why = judge(t, got.get(t.case, []))
        pts = t.points if ok else 0
        score, total = score + pts, total + t.points
        print(f"{t.name}: {'OK' if ok else 'FAIL'} {pts}/{t.points}")
        if why:
            print(f"    # {why}")
    print(f"Score: {score}/{total}", flush=True)
    return score, total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lab", nargs="?")
    ap.add_argument("--list", action="store_true", help="the labs that can be graded, one a line")
    ap.add_argument("--extra", metavar="DIR", help="more test programs (GRADE_EXTRA)")
    ap.add_argument("--no-build", action="store_true", help="skip `make all`")
    ap.add_argument("-j", dest="jobs", type=int, default=1, help="boots at once (default 1)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo serial output")
    ap.add_argument("--timeout-scale", type=float, default=1.0, metavar="X")
    opts = ap.parse_args(argv)
    if opts.list:
        print("\n".join(lb.name for lb in labs.LABS))
        return 0
    lab = labs.lab(opts.lab or "")
    if not lab:
        names = " ".join(lb.name for lb in labs.LABS)
        sys.exit(f"grade: no lab '{opts.lab or ''}': give LAB= one of: {names}"
                 + (f" (planned: {opts.lab})" if opts.lab in labs.PLANNED else ""))
    by_name = {c.name: c for c in CASES}
    tests = list(lab.tests)
    missing = sorted({t.case for t in tests} - set(by_name))
    if missing:
        sys.exit(f"grade: lab {lab.name} names cases tests/cases.py does not have: {missing}")
    cases = [by_name[n] for n in dict.fromkeys(t.case for t in tests)]
    if opts.extra:
        more_cases, more_tests = extra_tests(opts.extra)
        cases, tests = cases + more_cases, tests + more_tests
    print(f"== grade: lab {lab.name} ({lab.doc})", flush=True)
    if not opts.no_build:
        ok, out = build(any(c.kind == "gdb" for c in cases))
        if not ok:
            print(out.rstrip())
            print("-- build failed: every test fails")
            report(lab, tests, {})
            return 1
    got = run_cases(cases, opts)
    score, total = report(lab, tests, got)
    return 0 if score == total else 1


if __name__ == "__main__":
    sys.exit(main())
