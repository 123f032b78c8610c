#!/usr/bin/env python3
"""Numbat's test harness: `make test` runs `python3 tests/run.py`.

Builds once (`make all`), runs the host unit tests (tests/test_*.py), a
short run of each host parser fuzzer (tests/fuzz, case host-fuzz), then
the boots of tests/cases.py, at most -j at a time, each with its own ISO and
log (build/tests/NAME.iso, build/tests/NAME.log) and a time limit. Prints
KTAP: one subtest per case whose leaves are the harness's checks and the
boot's own KTAP leaf tests; then, as the very last line,
`N passed, N failed` (`, N skipped` when some were skipped).
Exit status 0 when nothing failed.

    python3 tests/run.py [-k PATTERN]... [-v] [-j N] [--list] [--timeout-scale X]
"""
import argparse
import concurrent.futures
import fnmatch
import io
import os
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gdb_check  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "fuzz"))
import runfuzz  # noqa: E402
from cases import CASES  # noqa: E402
from checks import Boot  # noqa: E402
from ktap import FAIL, PASS, SKIP, Result, clean_lines  # noqa: E402
from qemu import ROOT, Echo, boot, disk_copy, kill_group, make_env  # noqa: E402

LOG_TAIL = 40
UNIT = "host-unit"
FUZZ = "host-fuzz"
FUZZ_SECONDS = 15                      # per parser fuzzer, in `make test`


# ---------------------------------------------------------------- running

def run_case(case, opts, procs):
    """Run one case; returns (results, cleaned log lines)."""
    timeout = case.timeout * opts.timeout_scale
    log = os.path.join(ROOT, "build", "tests", case.name + ".log")
    if case.kind == "gdb":
        results, out = gdb_check.run(case.name, timeout, log, procs)   # session gdb-NAME
        if opts.verbose:
            e = Echo(case.name)
            e.feed(out)
            e.close()
        return results, clean_lines(out)
    make_vars = dict(case.make_vars(), CMDLINE=case.cmdline)
    image = None
    if case.image:                     # a disk image made for this case
        image = os.path.join(ROOT, "build", "tests", case.name + ".img")
        case.image(image)
        make_vars["DISK"] = os.path.relpath(image, ROOT)
    elif case.post:
        make_vars.setdefault("DISK", disk_copy(case.name))
        image = os.path.join(ROOT, make_vars["DISK"])
    status = {}
    out, timed_out, rc = boot(case.name, make_vars, timeout, log, opts.verbose, procs,
                              case.stop_at, case.stop_after, case.keys,
                              case.cue_limit * opts.timeout_scale, status)
    lines = clean_lines(out)
    b = Boot(lines, timed_out, rc, timeout, ROOT)
    b.extra["typist"] = status.get("typist")    # (number, cue, limit) of a late cue
    b.extra["typist_unseen"] = status.get("typist_unseen")   # (number, cue) never seen
    b.extra["stopped"] = bool(case.stop_at) and not timed_out and rc == -9
    b.extra["raw"] = out               # the bytes, control characters and all
    results = []
    for fn in case.all_checks():
        results += fn(b)
    for fn in case.post:               # host-side checks of the image
        results += fn(image)
    return results, lines


def run_unit_tests():
    """Host unit tests (tests/test_*.py), one Result per unittest test."""
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    results = []

    class Collect(unittest.TestResult):
        def addSuccess(self, test):
            results.append(Result(test.id(), PASS))

        def addFailure(self, test, err):
            results.append(Result(test.id(), FAIL, "failed",
                                  self._exc_info_to_string(err, test).splitlines()))

        addError = addFailure

        def addSubTest(self, test, subtest, err):
            if err is not None:      # the test itself then reports no success
                self.addFailure(subtest, err)

        def addSkip(self, test, reason):
            results.append(Result(test.id(), SKIP, reason))

        def addExpectedFailure(self, test, err):
            results.append(Result(test.id(), PASS))

        def addUnexpectedSuccess(self, test):
            results.append(Result(test.id(), FAIL, "unexpected success"))

    out = io.StringIO()
    save = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out        # tests that print go to the report
    try:
        suite.run(Collect())
    finally:
        sys.stdout, sys.stderr = save
    if not results:
        results.append(Result("unit tests found", FAIL, "no tests in tests/test_*.py"))
    return results, out.getvalue().splitlines()


def run_fuzzers(opts):
    """Build the host parser fuzzers, then fuzz each for FUZZ_SECONDS (-j at
    a time) from its seeds and regression inputs, keeping no corpus. A
    target fails on a sanitizer report, a crash, a leak or a hang."""
    p = subprocess.run(["make", "-s", "fuzz-build"], cwd=ROOT, env=make_env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    lines = clean_lines(p.stdout)
    if p.returncode:
        return [Result("make fuzz-build", FAIL, f"exit status {p.returncode}")], lines

    def one(name):
        ok, st, log = runfuzz.run_target(name, FUZZ_SECONDS, keep=False)
        what = (f"fuzz-{name}: {st.get('runs', '?')} runs, cov {st.get('cov', '?')} "
                f"ft {st.get('ft', '?')}, no sanitizer report")
        return Result(what, PASS if ok else FAIL, "" if ok else "see below",
                      [] if ok else runfuzz.failure_lines(log)), log

    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
        done = list(pool.map(one, runfuzz.TARGETS))
    for r, log in done:
        if r.status == FAIL:
            lines += clean_lines(log)
    return [Result("make fuzz-build", PASS)] + [r for r, _ in done], lines


# ---------------------------------------------------------------- report

class Report:
    def __init__(self, total):
        self.n = 0
        self.counts = {PASS: 0, FAIL: 0, SKIP: 0}
        self.lock = threading.Lock()
        print("KTAP version 1")
        print(f"1..{total}", flush=True)

    def case(self, name, results, lines, log=None, seconds=None):
        out = ["    KTAP version 1", f"    # Subtest: {name}", f"    1..{len(results)}"]
        for i, r in enumerate(results, 1):
            word = "not ok" if r.status == FAIL else "ok"
            tail = f" # SKIP {r.reason}" if r.status == SKIP else (f" # {r.reason}" if r.reason else "")
            out.append(f"    {word} {i} {r.name}{tail}")
            if r.status == FAIL:
                out += [f"    #   {d}" for d in r.diag[-10:]]
        failed = any(r.status == FAIL for r in results)
        if failed and lines is not None:
            shown = [line for line in lines if line.strip()][-LOG_TAIL:]
            where = os.path.relpath(log, ROOT) if log else "output"
            out.append(f"    # last {len(shown)} lines of {where}:")
            out += [f"    # | {line}" for line in shown]
        if seconds is not None:
            out.append(f"    # {name}: {seconds:.1f} s")
        with self.lock:
            self.n += 1
            for r in results:
                self.counts[r.status] += 1
            out.append(f"{'not ok' if failed else 'ok'} {self.n} {name}")
            print("\n".join(out), flush=True)

    def summary(self):
        c = self.counts
        line = f"{c[PASS]} passed, {c[FAIL]} failed"
        if c[SKIP]:
            line += f", {c[SKIP]} skipped"
        print(line, flush=True)
        return 1 if c[FAIL] else 0


# ---------------------------------------------------------------- main

def selected(name, patterns):
    if not patterns:
        return True
    return any(p in name or fnmatch.fnmatchcase(name, p) for p in patterns)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="patterns", action="append", default=[], metavar="PATTERN",
                    help="run only cases whose name contains PATTERN or matches it as a "
                         "glob (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo serial output")
    ap.add_argument("-j", dest="jobs", type=int, default=2, help="boots at once (default 2)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--timeout-scale", type=float, default=1.0, metavar="X",
                    help="multiply every case's time limit by X")
    ap.add_argument("--no-build", action="store_true", help="skip `make all`")
    opts = ap.parse_args(argv)

    cases = [c for c in CASES if selected(c.name, opts.patterns)]
    unit = selected(UNIT, opts.patterns)
    fuzz = selected(FUZZ, opts.patterns)
    if opts.list:
        for name in ([UNIT] if unit else []) + ([FUZZ] if fuzz else []) + [c.name for c in cases]:
            print(name)
        return 0
    names = [c.name for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"tests/cases.py: duplicate case names {sorted(dup)}")
    if not cases and not unit and not fuzz:
        sys.exit(f"no case matches {opts.patterns}; try --list")

    report = Report(int(unit) + int(fuzz) + (1 + len(cases) if cases else 0))
    if unit:
        report.case(UNIT, *run_unit_tests())
    if fuzz:
        start = time.monotonic()
        report.case(FUZZ, *run_fuzzers(opts), seconds=time.monotonic() - start)
    if cases:
        os.makedirs(os.path.join(ROOT, "build", "tests"), exist_ok=True)
        build_ok = True
        if not opts.no_build:
            p = subprocess.run(["make", "-s", "all"], cwd=ROOT, env=make_env(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if p.returncode == 0 and any(c.kind == "gdb" for c in cases):
                # The -Og kernel `make qemu-gdb` boots, built once here so
                # that parallel GDB cases never build it at the same time.
                p = subprocess.run(["make", "-s", "DEBUG=1", "build/debug/kernel.elf"],
                                   cwd=ROOT, env=make_env(), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            build_ok = p.returncode == 0
            report.case("build", [Result("make all", PASS if build_ok else FAIL,
                                         f"exit status {p.returncode}")],
                        clean_lines(p.stdout))
        else:
            report.case("build", [Result("make all", SKIP, "--no-build")], None)
        if build_ok:
            run_boots(cases, opts, report)
        else:
            for c in cases:
                report.case(c.name, [Result("boot", SKIP, "build failed")], None)
    return report.summary()


def run_boots(cases, opts, report):
    procs = set()

    def one(case):
        start = time.monotonic()
        try:
            results, lines = run_case(case, opts, procs)
        except Exception as e:        # a harness bug fails the case, not the run
            results, lines = [Result("harness", FAIL, f"{type(e).__name__}: {e}")], None
        log = os.path.join(ROOT, "build", "tests", case.name + ".log")
        report.case(case.name, results, lines, log, time.monotonic() - start)

    pool = concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs))
    try:
        for f in [pool.submit(one, c) for c in cases]:
            f.result()
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        for p in list(procs):
            kill_group(p, grace=1)
        print("# interrupted", flush=True)
        raise SystemExit(130)
    pool.shutdown()


if __name__ == "__main__":
    sys.exit(main())
