#!/usr/bin/env python3
"""GDB check: `make qemu-gdb`, attach with build/gdbinit, stop in pmm_init,
and see kmain in the backtrace. Run by tests/run.py (case `gdb`), or alone:

    python3 tests/gdb_check.py        # after `make all`; exit status 0 = pass
"""
import os
import random
import re
import shlex
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check  # noqa: E402
from ktap import FAIL, clean_lines  # noqa: E402
from qemu import ROOT, kill_group, make_args, make_env, wait_listening  # noqa: E402

GDB_EX = ["break pmm_init", "continue", "bt"]


def free_port():
    """A random TCP port in 26000..29999 that nobody listens on now."""
    for _ in range(100):
        port = random.randint(26000, 29999)
        with socket.socket() as s:
            try:
                s.bind(("", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free TCP port for GDB")


def run(name="gdb", timeout=120, log=None, procs=None):
    """Boot build/tests/NAME.iso under `make qemu-gdb` and drive GDB.

    Returns (results, log text). The log gets QEMU's output, then GDB's.
    procs: a set to register child processes in (for the caller's Ctrl-C)."""
    procs = procs if procs is not None else set()
    log = log or os.path.join(ROOT, "build", "tests", name + ".log")
    deadline = time.monotonic() + timeout
    env, port = make_env(), free_port()
    subprocess.run(["make", "-s", "build/gdbinit", f"GDBPORT={port}"], cwd=ROOT, env=env,
                   stdin=subprocess.DEVNULL, check=False)
    out, finished, up = b"", False, False
    with open(log, "wb") as fh:
        args = make_args("qemu-gdb", name, {"GDBPORT": port, "CMDLINE": ""})
        fh.write(("# " + shlex.join(args) + "\n").encode())
        fh.flush()
        qemu = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
        procs.add(qemu)
        try:
            up = wait_listening(port, qemu, deadline)
            if up:
                cmd = ["gdb", "-q", "-nx", "-batch", "-x", "build/gdbinit"]
                for ex in GDB_EX:
                    cmd += ["-ex", ex]
                gdb = subprocess.Popen(cmd + ["build/kernel.elf"], cwd=ROOT, env=env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True)
                procs.add(gdb)
                try:
                    out = gdb.communicate(timeout=max(1, deadline - time.monotonic()))[0]
                    finished = True
                except subprocess.TimeoutExpired:
                    kill_group(gdb)
                    out = gdb.communicate()[0]
                finally:
                    procs.discard(gdb)
        finally:
            kill_group(qemu)
            procs.discard(qemu)
        fh.write(b"\n=== gdb -x build/gdbinit -ex '" + "' -ex '".join(GDB_EX).encode()
                 + b"' build/kernel.elf ===\n" + out)
    lines = clean_lines(out)
    stop = [i for i, line in enumerate(lines)
            if re.search(r"\b[Bb]reakpoint \d+, (0x[0-9a-f]+ in )?pmm_init \(", line)]
    bt = [line for line in lines[stop[0]:] if re.match(r"#\d+\s.*\bkmain\b", line)] if stop else []
    late = "" if finished else f"gdb did not finish within {timeout:g} s; "
    results = [
        check("qemu-gdb listens for GDB", up, f"nothing listened on port {port}"),
        check("gdb stops in pmm_init", bool(stop), late + "no 'Breakpoint N, pmm_init (' line"),
        check("gdb backtrace shows kmain", bool(bt), late + "no '#N ... kmain' line after the stop"),
    ]
    with open(log, "rb") as fh:
        return results, fh.read()


if __name__ == "__main__":
    os.makedirs(os.path.join(ROOT, "build", "tests"), exist_ok=True)
    res, text = run()
    for i, r in enumerate(res, 1):
        print(f"{'not ok' if r.status == FAIL else 'ok'} {i} {r.name}" + (f" # {r.reason}" if r.reason else ""))
    if any(r.status == FAIL for r in res):
        print("\n".join("# | " + line for line in clean_lines(text)[-40:]))
        sys.exit(1)
