#!/usr/bin/env python3
"""mkfs_test.py: host tests for mkfs/mkfs and test/build/fscheck.

Builds images from scratch files, checks them with fscheck, damages them in
known ways to see fscheck notice, and feeds mkfs inputs it must refuse.
Run from anywhere after `make mkfs/mkfs test/build/fscheck` (or `make mkfs-test`).
Prints one line per check and "N passed, M failed"; exits 1 on any failure.
"""
import os
import struct
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MKFS = os.path.join(TOP, "mkfs", "mkfs")
FSCHECK = os.path.join(TOP, "test", "build", "fscheck")

# From kernel/fs.h and kernel/param.h.
BSIZE = 1024
NDIRECT = 12
MAXFILE = NDIRECT + BSIZE // 4
DIRSIZ = 14
FSSIZE = 2000
DINODE = 64  # bytes per struct dinode
NINODES = 200  # mkfs's inode count

results = []


def check(name, ok, detail=""):
    """Record and print one check."""
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + detail))


def run(*argv):
    """Run argv; returns (exit status, combined output)."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout.strip()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def pattern(n, seed):
    """n bytes that differ from block to block, so misplaced blocks show."""
    return bytes((i * 7 + i // BSIZE + seed) & 0xFF for i in range(n))


class Image:
    """An image file, read and patched through its superblock layout."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = bytearray(f.read())
        (self.magic, self.size, self.nblocks, self.ninodes, self.nlog, self.logstart,
         self.inodestart, self.bmapstart) = struct.unpack_from("<8I", self.data, BSIZE)

    def save(self, path):
        write(path, bytes(self.data))
        return path

    def inode_off(self, inum):
        ipb = BSIZE // DINODE
        return (self.inodestart + inum // ipb) * BSIZE + inum % ipb * DINODE

    def set_nlink(self, inum, nlink):
        struct.pack_into("<h", self.data, self.inode_off(inum) + 6, nlink)

    def get_inode(self, inum):
        """(type, nlink, size, addrs) of inode inum."""
        f = struct.unpack_from("<4hI13I", self.data, self.inode_off(inum))
        return f[0], f[3], f[4], list(f[5:])

    def put_inode(self, inum, typ, nlink, size, addrs):
        struct.pack_into("<4hI13I", self.data, self.inode_off(inum), typ, 0, 0, nlink, size, *addrs)

    def free_block(self):
        """Lowest data block the bitmap marks free."""
        for b in range(self.size - self.nblocks, self.size):
            if not self.data[self.bmapstart * BSIZE + b // 8] >> (b % 8) & 1:
                return b
        raise RuntimeError("image full")

    def free_inum(self):
        return next(i for i in range(1, self.ninodes) if self.get_inode(i)[0] == 0)

    def mkdir_in_root(self, name):
        """Make directory /name as the kernel does: "." and ".." entries, the
        new directory's nlink 1, the root's nlink one higher for ".."."""
        inum, b = self.free_inum(), self.free_block()
        self.flip_bitmap(b)
        ents = struct.pack("<H14s", inum, b".") + struct.pack("<H14s", 1, b"..")
        self.set_block(b, ents.ljust(BSIZE, b"\0"))
        self.put_inode(inum, 1, 1, len(ents), [b] + [0] * NDIRECT)
        typ, nlink, size, addrs = self.get_inode(1)
        off = addrs[size // BSIZE] * BSIZE + size % BSIZE
        self.data[off:off + 16] = struct.pack("<H14s", inum, name.encode())
        self.put_inode(1, typ, nlink + 1, size + 16, addrs)
        return inum

    def flip_bitmap(self, b):
        self.data[self.bmapstart * BSIZE + b // 8] ^= 1 << (b % 8)

    def block(self, b):
        return bytes(self.data[b * BSIZE:(b + 1) * BSIZE])

    def set_block(self, b, content):
        self.data[b * BSIZE:(b + 1) * BSIZE] = content

    def set_log_header(self, blocks, n=None):
        head = struct.pack("<i", len(blocks) if n is None else n)
        head += b"".join(struct.pack("<i", b) for b in blocks)
        self.set_block(self.logstart, head.ljust(BSIZE, b"\0"))


def tests(tmp):
    files = {
        "small": b"hello, calf\n",
        "_under": pattern(5000, 1),              # stored as "under"
        "empty": b"",
        "direct12": pattern(NDIRECT * BSIZE, 2),  # exactly the direct blocks
        "indirect": pattern(100000, 3),
        "maxfile": pattern(MAXFILE * BSIZE, 4),  # the largest file allowed
        "n" * DIRSIZ: b"longest name\n",
    }
    paths = [write(os.path.join(tmp, name), data) for name, data in files.items()]
    img = os.path.join(tmp, "fs.img")

    rc, out = run(MKFS, img, *paths)
    check("mkfs builds an image from %d files" % len(paths), rc == 0, out)
    if rc != 0:
        return
    check("image is FSSIZE blocks", os.path.getsize(img) == FSSIZE * BSIZE)
    rc, out = run(FSCHECK, img, *paths)
    check("fscheck passes the image and finds every file", rc == 0 and "fscheck: ok" in out, out)

    os.makedirs(os.path.join(tmp, "other"))
    changed = write(os.path.join(tmp, "other", "indirect"), files["indirect"][:-1] + b"\0")
    rc, out = run(FSCHECK, img, changed)
    check("fscheck notices a file whose bytes differ", rc == 1 and "differs" in out, out)
    shorter = write(os.path.join(tmp, "other", "small"), b"x")
    rc, out = run(FSCHECK, img, os.path.join(tmp, "empty"), shorter)
    check("fscheck notices a file whose size differs", rc == 1 and "bytes" in out, out)

    base = Image(img)
    damaged = Image(img)
    damaged.flip_bitmap(FSSIZE - 1)
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "bitmap.img")))
    check("fscheck notices a stray bit in the bitmap", rc == 1 and "bitmap" in out, out)

    damaged = Image(img)
    damaged.flip_bitmap(base.size - base.nblocks)  # first data block: the root's or a file's
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "bitmap2.img")))
    check("fscheck notices a used block marked free", rc == 1 and "free in the bitmap" in out, out)

    damaged = Image(img)
    sub = damaged.mkdir_in_root("sub")
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "subdir.img")), *paths)
    check("fscheck accepts a subdirectory made the kernel's way", rc == 0, out)
    typ, nlink, size, addrs = damaged.get_inode(sub)
    damaged.put_inode(sub, typ, 2, size, addrs)
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "subdir2.img")))
    check("fscheck notices a directory that counts its own \".\"",
          rc == 1 and "nlink 2, but 1" in out, out)

    damaged = Image(img)
    victim = damaged.free_inum() - 1  # the last file mkfs added
    typ, nlink, size, addrs = damaged.get_inode(victim)
    addrs[0] = damaged.get_inode(1)[3][0]  # the root directory's first block
    damaged.put_inode(victim, typ, nlink, size, addrs)
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "twice.img")))
    check("fscheck notices a block used twice", rc == 1 and "used twice" in out, out)

    damaged = Image(img)
    damaged.set_nlink(1, 3)
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "nlink.img")))
    check("fscheck notices a wrong link count", rc == 1 and "nlink" in out, out)

    # A committed transaction still in the log: the home copy of the inode
    # block is stale, the log holds the right one. fscheck must replay it.
    damaged = Image(img)
    good = damaged.block(damaged.inodestart)
    damaged.set_nlink(1, 7)
    damaged.set_block(damaged.logstart + 1, good)
    damaged.set_log_header([damaged.inodestart])
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "log.img")), *paths)
    check("fscheck replays a committed log before checking",
          rc == 0 and "committed transaction" in out, out)
    damaged.set_log_header([], n=0)
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "nolog.img")))
    check("... and without the commit the stale block is caught", rc == 1, out)
    damaged.set_log_header([damaged.inodestart], n=1000)
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "badlog.img")))
    check("fscheck reports a corrupt log header", rc == 1 and "log" in out, out)
    damaged.set_log_header([1])  # the superblock: outside what the log may name
    rc, out = run(FSCHECK, damaged.save(os.path.join(tmp, "badlog2.img")))
    check("fscheck refuses a log entry outside the data blocks", rc == 1 and "log" in out, out)

    write(os.path.join(tmp, "short.img"), bytes(base.data[:BSIZE * 100]))
    rc, out = run(FSCHECK, os.path.join(tmp, "short.img"))
    check("fscheck refuses a truncated image", rc == 1 and "size" in out, out)


def refusals(tmp):
    """mkfs must exit non-zero, with a message, and leave no image."""
    def refused(name, args, words):
        img = os.path.join(tmp, "refused.img")
        if os.path.exists(img):
            os.remove(img)
        rc, out = run(MKFS, img, *args)
        ok = rc != 0 and words in out and not os.path.exists(img)
        check("mkfs refuses " + name, ok, "exit %d: %s" % (rc, out))

    small = write(os.path.join(tmp, "ok"), b"ok\n")
    refused("a missing file", [small, os.path.join(tmp, "no-such-file")], "No such file")
    refused("a name longer than DIRSIZ", [write(os.path.join(tmp, "n" * (DIRSIZ + 1)), b"x")],
            "longer than")
    refused("a file larger than MAXFILE blocks",
            [write(os.path.join(tmp, "huge"), bytes(MAXFILE * BSIZE + 1))], "too large")
    big = [write(os.path.join(tmp, "big%d" % i), bytes(MAXFILE * BSIZE)) for i in range(8)]
    refused("files that overflow the data blocks", big, "image too small")
    os.makedirs(os.path.join(tmp, "d1"))
    os.makedirs(os.path.join(tmp, "d2"))
    refused("two files with the same name",
            [write(os.path.join(tmp, "d1", "cat"), b"1"),
             write(os.path.join(tmp, "d2", "_cat"), b"2")],
            "already")
    refused("a directory as input", [os.path.join(tmp, "d1")], "d1")

    many = os.path.join(tmp, "many")
    os.makedirs(many)
    names = [write(os.path.join(many, "f%d" % i), b"%d\n" % i) for i in range(NINODES - 1)]
    refused("more files than inodes", names, "too many files")
    img = os.path.join(tmp, "full.img")
    rc, out = run(MKFS, img, *names[:NINODES - 2])
    rc2, out2 = run(FSCHECK, img, *names[:NINODES - 2]) if rc == 0 else (rc, out)
    check("mkfs fills every inode and fscheck agrees", rc == 0 and rc2 == 0, out2)


def sizes(tmp):
    """mkfs -s BLOCKS makes an image of that size, which holds what the default
    size cannot and which fscheck passes; a size out of range is refused."""
    big = [write(os.path.join(tmp, "size%d" % i), pattern(MAXFILE * BSIZE, i)) for i in range(8)]
    img = os.path.join(tmp, "big.img")
    rc, out = run(MKFS, "-s", "20000", img, *big)
    check("mkfs -s 20000 holds files that overflow FSSIZE blocks",
          rc == 0 and "of 19" in out and os.path.getsize(img) == 20000 * BSIZE, out)
    rc, out = run(FSCHECK, img, *big) if rc == 0 else (rc, out)
    check("fscheck passes the 20000-block image and finds every file", rc == 0 and "fscheck: ok" in out, out)
    for size in ("10", "abc", "-5", "99999999999"):
        bad = os.path.join(tmp, "badsize.img")
        rc, out = run(MKFS, "-s", size, bad, big[0])
        check("mkfs refuses -s %s" % size,
              rc != 0 and "the size must be" in out and not os.path.exists(bad), "exit %d: %s" % (rc, out))


def main():
    for tool in (MKFS, FSCHECK):
        if not os.access(tool, os.X_OK):
            print("mkfs_test: %s not built" % tool)
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        tests(tmp)
        refusals(tmp)
        sizes(tmp)
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
