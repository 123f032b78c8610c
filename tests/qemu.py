"""Running make/QEMU for the harness: a clean environment for make, one boot
of `make qemu-nox` with a time limit, and ending a boot's process group."""
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

from ktap import clean_lines

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Make variables that must come from the case, not from the caller's
# environment or from `make test VAR=...` (passed down in MAKEFLAGS).
# ACCEL is left alone: `ACCEL=kvm make test` is how to go faster.
_SCRUB = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS",
          "NODES", "CPUS", "MEM", "DISTANCE", "CMDLINE", "DISK", "QEMUEXTRA",
          "QEMU_NUMA", "ISO", "GDBPORT")


def make_env():
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["LC_ALL"] = "C"
    return env


def kill_group(proc, grace=3):
    """End proc's process group (it was started with start_new_session=True),
    politely first. Only while proc itself is alive, so the group is ours."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            pass


class Echo:
    """Copy serial output to our stdout, line by line, prefixed with the case."""
    lock = threading.Lock()

    def __init__(self, name):
        self.prefix, self.buf = f"{name}| ", b""

    def feed(self, data):
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        self._out(lines)

    def close(self):
        self._out([self.buf] if self.buf else [])

    def _out(self, lines):
        if lines:
            with self.lock:
                for line in lines:
                    sys.stdout.write(self.prefix + clean_lines(line)[0] + "\n")
                sys.stdout.flush()


def disk_copy(name):
    """A private copy of build/disk.img for one boot (build/tests/NAME.img):
    boots run in parallel, QEMU locks its image, and tests write to it."""
    src = os.path.join(ROOT, "build", "disk.img")
    dst = os.path.join(ROOT, "build", "tests", f"{name}.img")
    if not os.path.exists(src):
        return None
    subprocess.run(["cp", "--sparse=always", src, dst], check=True)
    return f"build/tests/{name}.img"


def kernel_elf(target="qemu-nox"):
    """The kernel a boot of `make TARGET` runs: build/debug/kernel.elf for
    qemu-gdb (and for everything with DEBUG=1 in the environment, as
    `DEBUG=1 make test` runs the whole suite on the -Og build), else
    build/kernel.elf."""
    debug = os.environ.get("DEBUG", "")
    if debug == "1" or (target == "qemu-gdb" and debug == ""):
        return "build/debug/kernel.elf"
    return "build/kernel.elf"


def make_args(target, name, make_vars):
    """`make -s TARGET ISO=build/tests/NAME.iso VARS...`, after removing that
    ISO so that it is made afresh from the build/kernel.elf that exists now.
    -o build/kernel.elf (and build/debug/kernel.elf, the -Og one qemu-gdb
    uses): never rebuild the kernel here (run.py built both once), so that parallel boots do not build it twice at the same time and
    every boot of a run gets the same kernel. Without DISK, the boot gets its
    own copy of the root image (disk_copy)."""
    iso = f"build/tests/{name}.iso"
    try:
        os.remove(os.path.join(ROOT, iso))
    except FileNotFoundError:
        pass
    make_vars = dict(make_vars)
    if "DISK" not in make_vars:
        make_vars["DISK"] = disk_copy(name) or "none"
    return (["make", "-s", "-o", "build/kernel.elf", "-o", "build/debug/kernel.elf",
             "-o", "build/disk.img", target,
             f"ISO={iso}"] + [f"{k}={v}" for k, v in make_vars.items()])


class Typist:
    """Types keys on the serial console: keys is a list of (cue, data); once
    the output after the previous cue matches regex cue, data is written to
    QEMU's stdin. Cues are matched in order. data is bytes, or a list of
    bytes and pauses (seconds, numbers): [b"\x13", 2, b"\x11"] types ^S,
    then ^Q two seconds later (tick() types what is due).

    Each cue must appear within cue_limit seconds of the previous one (of
    the start, for the first); overdue() then says which did not, and the
    boot is stopped. clock is time.monotonic (a fake one in the unit
    tests). feed() runs in the reader thread, tick() in the waiting one."""

    def __init__(self, proc, keys, cue_limit=None, clock=time.monotonic):
        self.proc, self.keys, self.pos = proc, list(keys), 0
        self.cue_limit, self.clock = cue_limit, clock
        self.number, self.since = 1, clock()      # the cue awaited, since when
        self.pending = []                         # [(due time, bytes)]
        self.lock = threading.Lock()

    def feed(self, output):
        with self.lock:
            while self.keys:
                cue, data = self.keys[0]
                m = re.search(cue.encode(), output[self.pos:], re.M)
                if not m:
                    return
                self.pos += m.end()
                self.keys.pop(0)
                self.number, self.since = self.number + 1, self.clock()
                self._plan(data)
                self._type_due()

    def tick(self):
        """Type the keys whose pause is over."""
        with self.lock:
            self._type_due()

    def overdue(self):
        """(number, cue, limit) of a cue not seen within cue_limit seconds
        of the previous one, or None."""
        with self.lock:
            if not self.keys or self.cue_limit is None:
                return None
            if self.clock() - self.since <= self.cue_limit:
                return None
            return self.number, self.keys[0][0], self.cue_limit

    def unseen(self):
        """(number, cue) of the first cue never seen, or None."""
        with self.lock:
            return (self.number, self.keys[0][0]) if self.keys else None

    def _plan(self, data):
        at = self.clock()
        for part in [data] if isinstance(data, bytes) else data:
            if isinstance(part, bytes):
                self.pending.append((at, part))
            else:
                at += part

    def _type_due(self):
        now = self.clock()
        while self.pending and self.pending[0][0] <= now:
            data = self.pending.pop(0)[1]
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.keys, self.pending = [], []


def wait_typing(proc, timeout, typist):
    """Wait for proc to end within timeout (subprocess.TimeoutExpired if not)
    while the typist types its paused keys. If a cue is overdue, end proc's
    group and return what typist.overdue() said; else None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(0.1)
            return None
        except subprocess.TimeoutExpired:
            pass
        typist.tick()
        late = typist.overdue()
        if late:
            kill_group(proc)
            return late
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)


def boot(name, make_vars, timeout, log, verbose=False, procs=None, stop_at=None, stop_after=0.0,
         keys=None, cue_limit=None, status=None):
    """Run `make qemu-nox` for build/tests/NAME.iso with make_vars, saving its
    output (the serial console) in log. Returns (output, timed_out, returncode).
    With stop_at (a regex), the boot is cut short like a power failure:
    stop_after seconds after a line matching it is printed, make and QEMU are
    killed with SIGKILL (returncode is then -9); the guest gets no warning.
    With keys (see Typist), the console's input is typed as cues appear;
    a cue not seen within cue_limit seconds of the previous one stops the
    boot, and status["typist"] (status: a dict) says which: (number, cue,
    limit); status["typist_unseen"] is (number, cue) of a cue the boot
    ended without (None if every cue came)."""
    if keys:
        make_vars = dict(make_vars, QEMU_STDIN="/dev/stdin")
    args = make_args("qemu-nox", name, make_vars)
    echo = Echo(name) if verbose else None
    with open(log, "wb") as fh:
        fh.write(("# " + shlex.join(args) + "\n").encode())
        proc = subprocess.Popen(args, cwd=ROOT, env=make_env(),
                                stdin=subprocess.PIPE if keys else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        typist = Typist(proc, keys, cue_limit) if keys else None
        if procs is not None:
            procs.add(proc)
        chunks = []
        seen = threading.Event()          # stop_at has been printed
        stop_re = re.compile(stop_at.encode(), re.M) if stop_at else None

        def reader():
            try:
                for data in iter(lambda: os.read(proc.stdout.fileno(), 4096), b""):
                    chunks.append(data)
                    fh.write(data)
                    fh.flush()
                    if echo:
                        echo.feed(data)
                    if stop_re and not seen.is_set() and stop_re.search(b"".join(chunks)):
                        seen.set()
                    if typist:
                        typist.feed(b"".join(chunks))
            except (OSError, ValueError):    # closed under us after a hang
                pass

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        timed_out = stopped = False
        late = None
        try:
            if typist and not stop_re:
                late = wait_typing(proc, timeout, typist)
            else:
                stopped = wait_or_stop(proc, timeout, seen if stop_re else None, stop_after)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
        finally:
            if procs is not None:
                procs.discard(proc)
        t.join(10)   # a grandchild that escaped the group could hold the pipe
        if not t.is_alive():
            proc.stdout.close()
        if echo:
            echo.close()
        if timed_out:
            fh.write(f"\n# harness: killed after {timeout:g} s\n".encode())
        if stopped:
            fh.write(f"\n# harness: stopped with SIGKILL {stop_after:g} s after the cue\n".encode())
        if late:
            fh.write((f"\n# harness: stopped: typist cue {late[0]} /{late[1]}/ not seen "
                      f"within {late[2]:g} s\n").encode())
            if status is not None:
                status["typist"] = late
        if typist and not late and status is not None:
            status["typist_unseen"] = typist.unseen()
    return b"".join(chunks), timed_out, proc.returncode


def wait_or_stop(proc, timeout, seen, stop_after):
    """Wait for proc to end within timeout (subprocess.TimeoutExpired if not).
    With an event `seen`, once it is set wait stop_after seconds more, then
    SIGKILL proc's whole group (make and QEMU at once, as a power cut).
    Returns True if it was stopped that way."""
    if seen is None:
        proc.wait(timeout)
        return False
    deadline = time.monotonic() + timeout
    while not seen.wait(0.1):
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)
    time.sleep(stop_after)
    if proc.poll() is not None:
        return False
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    proc.wait(10)
    return True


def wait_listening(port, proc, deadline):
    """Wait until a TCP port is listened on (per /proc/net/tcp*) while proc
    runs. Returns True, or False on timeout or if proc ended."""
    while time.monotonic() < deadline and proc.poll() is None:
        seen = False
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(f) as fh:
                    rows = fh.read().splitlines()[1:]
            except OSError:
                continue
            seen = True
            for row in rows:
                cols = row.split()
                if len(cols) > 3 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    return True
        if not seen:                  # no /proc: cannot tell; give QEMU a moment
            time.sleep(3)
            return proc.poll() is None
        time.sleep(0.2)
    return False
