"""ext2 images for the harness: make them with mke2fs, check them after a
boot with e2fsck and debugfs, and damage them on purpose.

- make_image(path, bs): a small multi-group ext2 image of block size bs
  with a few known files (the corrupt-image cases damage those).
- post_fsck / post_host_files: checks run on the image after the boot
  (Case.post in tests/cases.py): e2fsck -fn reports nothing, and the files
  the kernel's ext2 host_files test wrote read back with the expected bytes.
- corrupt(path, kind): flip bytes on the host, knowing just enough of the
  ext2 layout (superblock, group descriptors, inodes, directory blocks).
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile

from ktap import FAIL, PASS, Result

E2FS = ["/sbin", "/usr/sbin"]


def tool(name):
    for d in E2FS:
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return name


def pattern(n, seed, off=0):
    """The kernel's fst_byte() (kernel/fs/fs_test_util.h) for bytes off..off+n."""
    return bytes(((i * 31 + seed * 7 + (i >> 12)) & 0xff) for i in range(off, off + n))


# What the kernel's ext2 host_files test leaves in /ktest/host: name -> bytes.
def host_files():
    return {
        "h1": pattern(300000, 11),
        "h2": pattern(70000, 12),
        "h3": pattern(12345, 13),
        "h4": pattern(25000, 15),
    }


def make_image(path, bs, size_mb=16):
    """mke2fs -d from a staging folder; groups small enough that there are
    several (each block size then exercises multi-group allocation)."""
    stage = tempfile.mkdtemp(prefix="numbat-stage-")
    try:
        for d in ("ptr", "ino", "len", "cyc/a/b", "cyc/top", "proc", "sys"):
            os.makedirs(os.path.join(stage, d), exist_ok=True)
        for d in ("ptr", "ino", "len"):
            with open(os.path.join(stage, d, "x"), "wb") as f:
                f.write(pattern(20000, 3))
        with open(os.path.join(stage, "hello"), "wb") as f:
            f.write(b"hello from the host\n")
        group = {1024: 4096, 2048: 4096, 4096: 2048}[bs]
        subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext2", "-b", str(bs), "-g", str(group),
                        "-N", "4096", "-L", f"ktest{bs}", "-d", stage, path, f"{size_mb}M"],
                       check=True, capture_output=True)
    finally:
        shutil.rmtree(stage)


# ---------------------------------------------------------------- checks

def post_fsck(image):
    p = subprocess.run([tool("e2fsck"), "-fn", image], capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    return [Result("e2fsck -fn finds no errors", PASS if p.returncode == 0 else FAIL,
                   "" if p.returncode == 0 else f"exit status {p.returncode}", lines[-15:])]


def post_repair(finds=()):
    """Checks for an image left by an unclean stop, each on a copy (the image
    stays as the boot left it, to look at): e2fsck -fp (preen, as at boot)
    repairs it without asking; e2fsck -fy repairs it and reports each regex
    in finds (what the stop must have left); then e2fsck -fn finds nothing
    more. e2fsck exits 0 (clean) or 1 (fixed) when it repaired everything,
    4 or more when it could not."""
    def fsck(opt, image):
        p = subprocess.run([tool("e2fsck"), opt, image], capture_output=True, text=True)
        text = p.stdout + p.stderr
        return p.returncode in (0, 1), f"exit status {p.returncode}", text

    def run(image):
        out = []
        with tempfile.TemporaryDirectory(prefix="numbat-fsck-") as d:
            for opt, name in (("-fp", "e2fsck -fp repairs it without questions"),
                              ("-fy", "e2fsck -fy repairs it")):
                copy = os.path.join(d, f"copy{opt}.img")
                subprocess.run(["cp", "--sparse=always", image, copy], check=True)
                good, why, text = fsck(opt, copy)
                tail = [] if good else text.splitlines()[-15:]
                out.append(Result(name, PASS if good else FAIL, "" if good else why, tail))
            for pat in finds:
                found = re.search(pat, text, re.M)
                out.append(Result(f"e2fsck -fy found /{pat}/", PASS if found else FAIL,
                                  "" if found else "not in its output",
                                  [] if found else text.splitlines()[-15:]))
            again = post_fsck(copy)[0]
        again.name = "after the repair, " + again.name
        return out + [again]
    return run


def debugfs_cat(image, path):
    p = subprocess.run([tool("debugfs"), "-R", f"cat {path}", image], capture_output=True)
    return p.stdout if p.returncode == 0 else None


def post_owned(image):
    """ext2's attrs_on_disk test: mode 04711, owner 70000:80001 (the high
    16 bits of each in osd2), atime 1000000000, mtime 1200000000."""
    st = subprocess.run([tool("debugfs"), "-R", "stat /ktest/host/owned", image],
                        capture_output=True, text=True).stdout
    want = {"Mode": "04711", "User": "70000", "Group": "80001"}
    got = {k: (re.search(rf"{k}:\s+(\d+)", st) or [None, None])[1] for k in want}
    times = {k: re.search(rf"{k}: (0x[0-9a-f]+)", st) for k in ("atime", "mtime")}
    ok = got == want and times["atime"] and int(times["atime"][1], 16) == 1000000000 \
        and times["mtime"] and int(times["mtime"][1], 16) == 1200000000
    return Result("debugfs: /ktest/host/owned has the mode, owner and times set",
                  PASS if ok else FAIL, "" if ok else f"{got} {st[:300]!r}")


def post_host_files(image):
    out = []
    for name, want in host_files().items():
        got = debugfs_cat(image, f"/ktest/host/{name}")
        ok = got is not None and hashlib.sha256(got).hexdigest() == hashlib.sha256(want).hexdigest()
        why = "" if ok else ("cannot read" if got is None else
                             f"sha256 {hashlib.sha256(got).hexdigest()[:16]} want "
                             f"{hashlib.sha256(want).hexdigest()[:16]} ({len(got)} vs {len(want)} bytes)")
        out.append(Result(f"debugfs: /ktest/host/{name} has the bytes the kernel wrote",
                          PASS if ok else FAIL, why))
    out.append(post_owned(image))
    gone = subprocess.run([tool("debugfs"), "-R", "stat /ktest/host/gone", image],
                          capture_output=True, text=True)
    out.append(Result("debugfs: /ktest/host/gone was deleted",
                      PASS if "File not found" in gone.stdout + gone.stderr else FAIL))
    return out


# ---------------------------------------------------------------- damage

class Ext2:
    """Just enough of an ext2 image to find things in it."""

    def __init__(self, path):
        self.f = open(path, "r+b")
        sb = self.read(1024, 1024)
        (self.inodes_count, self.blocks_count) = struct.unpack_from("<II", sb, 0)
        self.first_data = struct.unpack_from("<I", sb, 20)[0]
        self.bs = 1024 << struct.unpack_from("<I", sb, 24)[0]
        self.ipg = struct.unpack_from("<I", sb, 40)[0]
        self.isz = struct.unpack_from("<H", sb, 88)[0]

    def read(self, off, n):
        self.f.seek(off)
        return self.f.read(n)

    def write(self, off, data):
        self.f.seek(off)
        self.f.write(data)

    def inode_off(self, ino):
        g, i = divmod(ino - 1, self.ipg)
        gd = self.read((self.first_data + 1) * self.bs + 32 * g, 32)
        table = struct.unpack_from("<I", gd, 8)[0]
        return table * self.bs + i * self.isz

    def block0(self, ino):
        return struct.unpack_from("<I", self.read(self.inode_off(ino) + 40, 4))[0]

    def entries(self, dir_ino):
        """(offset on disk, inode, rec_len, name) in the directory's first block."""
        base = self.block0(dir_ino) * self.bs
        blk = self.read(base, self.bs)
        off, out = 0, []
        while off < self.bs:
            ino, rec, nlen = struct.unpack_from("<IHB", blk, off)
            out.append((base + off, ino, rec, blk[off + 8:off + 8 + nlen].decode()))
            off += rec
        return out

    def lookup(self, path):
        ino = 2
        for part in path.strip("/").split("/"):
            ino = next(e[1] for e in self.entries(ino) if e[3] == part)
        return ino

    def entry(self, dir_path, name):
        return next(e for e in self.entries(self.lookup(dir_path)) if e[3] == name)


def corrupt(path, kind):
    """Damage one thing: magic, blockptr, inode, reclen, cycle."""
    fs = Ext2(path)
    if kind == "magic":
        fs.write(1024 + 56, b"\x54\xef")
    elif kind == "blockptr":      # /ptr/x's first block pointer past the end
        fs.write(fs.inode_off(fs.lookup("/ptr/x")) + 40, struct.pack("<I", fs.blocks_count + 1000))
    elif kind == "inode":         # /ino's entry "x" names an inode past the count
        fs.write(fs.entry("/ino", "x")[0], struct.pack("<I", fs.inodes_count + 7))
    elif kind == "reclen":        # /len's entry "x": rec_len not a multiple of 4
        fs.write(fs.entry("/len", "x")[0] + 4, struct.pack("<H", 13))
    elif kind == "cycle":         # /cyc/a/b's ".." names b itself
        b = fs.lookup("/cyc/a/b")
        fs.write(fs.entry("/cyc/a/b", "..")[0], struct.pack("<I", b))
    else:
        raise ValueError(kind)
    fs.f.close()


def filemap_expected():
    """What user/tests/filemap.c leaves in filemap.out (see its comment)."""
    data = bytearray(b"".join(bytes([ord("A") + i]) * 4096 for i in range(3)))
    data[4096:4112] = b"written-by-mmap\n"
    return bytes(data)


def post_msync(nfiles):
    """Each /msync.N on the image (left by `msync hold` before the
    power cut) holds 4096 bytes of chr(ord('A') + N), its second contents:
    the second msync wrote it, found dirty only by its PTE's dirty bit."""
    def check(image):
        bad = []
        for i in range(nfiles):
            got = debugfs_cat(image, f"/msync.{i}")
            if got != bytes([ord("A") + i]) * 4096:
                bad.append(f"msync.{i}: " + ("missing" if got is None else
                                              f"{got[:1]!r}... ({len(got)} bytes)"))
        return [Result(f"debugfs: all {nfiles} files msync wrote are on the disk",
                       FAIL if bad else PASS, "; ".join(bad[:4]))]
    return check


def post_filemap(image):
    """The bytes written through a shared mapping reached the disk."""
    got = debugfs_cat(image, "/filemap.out")
    want = filemap_expected()
    ok = got == want
    why = "" if ok else ("cannot read" if got is None else f"{len(got)} bytes, differs from the expected {len(want)}")
    return [Result("debugfs: /filemap.out has what the shared mapping wrote", PASS if ok else FAIL, why)]


def swapfile_expected(size):
    """What user/tests/swapfile.c leaves in swapfile.out: the word at byte
    offset o holds swt_pat(o, pass, 0) (user/lib/swaptest.h), pass 1 in the
    first half (written through MAP_SHARED), pass 0 in the second (the
    MAP_PRIVATE writes must not reach the file)."""
    m = (1 << 64) - 1
    out = bytearray()
    for o in range(0, size, 8):
        p = 1 if o < size // 2 else 0
        w = ((o * 0x9E3779B97F4A7C15) & m) ^ (((p + 1) * 0xC2B2AE3D27D4EB4F) & m)
        out += struct.pack("<Q", w)
    return bytes(out)


def post_swapfile(size):
    """The shared writes of the swapfile test reached the disk, the private
    ones did not."""
    def check(image):
        got = debugfs_cat(image, "/swapfile.out")
        want = swapfile_expected(size)
        good = got == want
        why = "" if good else ("cannot read" if got is None else
                               f"{len(got)} bytes, first difference at byte "
                               f"{next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))}")
        return [Result("debugfs: /swapfile.out holds the shared writes and none of the private ones",
                       PASS if good else FAIL, why)]
    return check
