#!/usr/bin/env python3
"""calf: run every test in order: host unit tests, the boot matrix, interactive
shell checks, scripted programs. Prints one line per test and, last, exactly one
line `N passed, M failed`; exits 1 if any test failed.

    python3 test/run_tests.py [--only SUBSTRING] [--list]

To add a test, add a row to one of the tables below; nothing else changes.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

# --- the tables ---------------------------------------------------------------

# Host test targets: `make -s TARGET` must exit 0 (each target counts as one test).
HOST_TARGETS = [("fdt-test", 300), ("headers-check", 120), ("mkfs-test", 300), ("test/build/fscheck", 120),
                ("format-check", 120), ("lint", 600)]

# Boot matrix: (MEM, CPUS). Boots with RUN='echo ok'; the banner must report
# exactly this RAM and this many harts, and QEMU must exit 0.
BOOT_MATRIX = [("128M", 1), ("128M", 3), ("1G", 8), ("512M", 2), ("3G", 3)]
BOOT_TIMEOUT = 90

# Damaged device trees: (name, regex, replacement, message). QEMU's own tree
# for 128M and 3 harts is dumped, the one match of regex in its dts text is
# replaced, and the kernel boots with the result (-dtb): it must print
# "bad device tree: " and message, QEMU must exit, nothing may panic.
RAM_AT_84 = ('\tmemory@84000000 {\n\t\tdevice_type = "memory";\n'  # 128M, overlapping the first
             '\t\treg = <0x00 0x84000000 0x00 0x8000000>;\n\t};\n\n')
BAD_TREES = [
    ("memory-overlap", r"^(?=\tmemory@80000000 \{)", RAM_AT_84, "two memory ranges overlap"),
    ("memreserve-wraps", r"^/dts-v1/;$", "/dts-v1/;\n/memreserve/ 0x80000000 0xffffffff80001000;",
     "a reserved memory range wraps"),
    ("plic-context", r"(plic@c000000 \{[^}]*reg = <0x00 0xc000000 0x00) 0x600000>", r"\1 0x205000>",
     "a hart's PLIC context lies beyond the PLIC's registers"),
    ("uart-irq", r"(serial@10000000 \{[^}]*interrupts = <)0x0a>", r"\g<1>0x61>",
     "a device's interrupt is not a source of the PLIC"),
    ("ram-misses-kernel", r"reg = <0x00 0x80000000 0x00 0x8000000>", "reg = <0x00 0x80300000 0x00 0x7d00000>",
     "the kernel image is not inside one memory range"),
]
BAD_TREE_TIMEOUT = 60

# Interactive shell checks: (name, [(command, [regexes its output must match]), ...]).
# Each check is a fresh boot on every CPU count in SHELL_CPUS; the shell must
# come back to its prompt after every command and nothing may panic.
SHELL_CHECKS = [
    ("pipe", [("echo hello | grep hell | wc", [r"^\s*1 1 6\b"])]),
    ("redirect", [("echo hi > f1", []), ("cat f1", [r"^hi$"])]),
    ("ls", [("ls", [r"^README\s", r"^cat\s", r"^sh\s", r"^ls\s"])]),
    ("forktest", [("forktest", [r"fork test OK"])]),
    ("fs", [("mkdir dir", []), ("echo data > dir/file", []), ("ln dir/file dir/link", []),
            ("rm dir/file", []), ("cat dir/link", [r"^data$"]), ("ls dir", [r"^link\s+2 \d+ 5$"]),
            ("rm dir/link", []), ("rm dir", []), ("ls dir", [r"cannot open dir"])]),
    ("badmem", [("fault write 0x0", [r"^pid \d+ fault: killed: store page fault at va 0x0\b"]),
                ("fault read 0x80200000", [r"^pid \d+ fault: killed: load page fault at va 0x80200000\b"]),
                ("fault text", [r"^pid \d+ fault: killed: store page fault"]),
                ("echo alive", [r"^alive$"])]),
    ("badelf", [("echo garbage > notelf", []), ("notelf", [r"exec notelf failed"]),
                ("echo alive", [r"^alive$"])]),
]
SHELL_CPUS = [1, 3]
SHELL_TIMEOUT = 90

# Scripted programs: (name, command line, CPUS, MEM, timeout in seconds), run as
# `make qemu RUN=...`; pass if QEMU exits 0 and nothing panics. For example:
#   ("usertests", "usertests -q", 3, "128M", 600),
SCRIPTED = [
    ("echo", "echo ok", 3, "128M", 60),
    ("stressfs", "stressfs", 3, "128M", 300),
    ("usertests-q:1", "usertests -q", 1, "128M", 900),
    ("usertests-q:3", "usertests -q", 3, "128M", 900),
    ("usertests-q:8", "usertests -q", 8, "1G", 900),
    ("usertests-all:3", "usertests", 3, "128M", 1200),
    ("cowtest:1", "cowtest", 1, "128M", 600),
    ("cowtest:3", "cowtest", 3, "128M", 600),
    ("cowtest:8", "cowtest", 8, "128M", 600),
    ("cowdemo", "cowdemo", 3, "128M", 120),
    ("vmtest:1", "vmtest", 1, "128M", 300),
    ("vmtest:3", "vmtest", 3, "128M", 300),
    ("vmtest:8", "vmtest", 8, "1G", 300),
    ("maptest:1", "maptest", 1, "128M", 300),
    ("maptest:3", "maptest", 3, "128M", 300),
    ("maptest:8", "maptest", 8, "1G", 300),
    ("grind", "grind -t 60", 3, "128M", 300),
    ("fsabuse:1", "fsabuse", 1, "128M", 600),  # on 3 harts: fsabuse-fscheck:3, with fscheck after
    ("sysfuzz:3", "sysfuzz -t 60 1", 3, "128M", 300),
]

# The copy-on-write lab (test/lab.mk), run last: `make -s TARGET` must exit 0
# within the timeout, as for HOST_TARGETS. grade: full marks on this tree.
LAB_TARGETS = [
    ("grade", 900),
    # staff-only{ test/handout.py leaves this row out of the handout.
    ("handout-check", 1500),  # a handout builds, passes usertests -q, fails the COW tests
    # }staff-only
]

# --- checks -------------------------------------------------------------------

RAM_LINE = re.compile(r"^calf: ram 0x([0-9a-f]+)-0x([0-9a-f]+) \((\d+) MiB\), (\d+) free frames$", re.M)
HARTS_LINE = re.compile(r"^calf: harts started: (\d+) of (\d+) \(boot hart (\d+)\)$", re.M)


class Fail(Exception):
    """A test's verdict: a one-line reason and the output worth showing."""

    def __init__(self, reason, output=""):
        super().__init__(reason)
        self.output = output


def mebibytes(mem):
    """MiB in a QEMU -m size such as 128M or 3G."""
    return int(mem[:-1]) * {"M": 1, "G": 1024}[mem[-1].upper()]


def no_panic(output):
    """Fail if the kernel panicked."""
    if qemu.PANIC.search(output):
        raise Fail("kernel panic", output)


def host_test(target, timeout):
    """`make -s target` exits 0 within timeout; its output is shown only on failure."""
    proc = subprocess.Popen(["make", "-s", "--no-print-directory", target], cwd=qemu.ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out = proc.communicate(timeout=timeout)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.communicate()[0].decode(errors="replace")
        raise Fail("timed out after %ss" % timeout, out) from None
    if proc.returncode != 0:
        lines = out.strip().split("\n")
        raise Fail("exit status %d: %s" % (proc.returncode, lines[-1]), out)


def boot_test(mem, cpus):
    """Boot with RUN='echo ok': banner RAM and hart count match, QEMU exits 0."""
    status, out = qemu.run_script("echo ok", BOOT_TIMEOUT, mem=mem, cpus=cpus)
    no_panic(out)
    ram = RAM_LINE.search(out)
    if not ram:
        raise Fail("no 'calf: ram' banner line", out)
    lo, hi, mib, free = int(ram[1], 16), int(ram[2], 16), int(ram[3]), int(ram[4])
    if mib != mebibytes(mem) or hi - lo != mib << 20:
        raise Fail("banner reports %s, want %d MiB" % (ram[0], mebibytes(mem)), out)
    if not 0 < free < mib * 256:
        raise Fail("implausible free frame count %d" % free, out)
    harts = HARTS_LINE.search(out)
    if not harts or int(harts[1]) != cpus or int(harts[2]) != cpus:
        raise Fail("want 'harts started: %d of %d', got %r"
                   % (cpus, cpus, harts[0] if harts else None), out)
    if not re.search(r"^ok$", out, re.M):
        raise Fail("'echo ok' printed nothing", out)
    if status != 0:
        raise Fail("QEMU exit status %d" % status, out)


def timer_test(cpus):
    """^P at the prompt lists every hart, each having taken timer interrupts."""
    with qemu.Machine(cpus=cpus, limit=SHELL_TIMEOUT) as m:
        m.expect(qemu.PROMPT, SHELL_TIMEOUT)
        m.send("\x10")
        m.expect(r"^hart \d+: \d+ timer interrupts\n(?:hart \d+: \d+ timer interrupts\n){%d}" % (cpus - 1),
                 SHELL_TIMEOUT)
        counts = re.findall(r"^hart (\d+): (\d+) timer interrupts$", m.output, re.M)
        if sorted(int(h) for h, _ in counts) != list(range(cpus)):
            raise Fail("^P listed harts %s, want 0..%d" % ([h for h, _ in counts], cpus - 1), m.output)
        idle = [h for h, n in counts if int(n) == 0]
        if idle:
            raise Fail("harts %s took no timer interrupt" % idle, m.output)


def gdb_test():
    """`make qemu-gdb` halts QEMU; gdb-multiarch attaches with .gdbinit, stops at boot_main."""
    qemu_proc = subprocess.Popen(["make", "-s", "--no-print-directory", "qemu-gdb"], cwd=qemu.ROOT,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # until QEMU (built and started by make) listens
            time.sleep(1)
            gdb = subprocess.run(["gdb-multiarch", "-q", "-batch", "-x", ".gdbinit",
                                  "-ex", "break boot_main", "-ex", "continue",
                                  "-ex", "info registers pc"],
                                 cwd=qemu.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 timeout=60)
            out = gdb.stdout.decode(errors="replace")
            if "Connection refused" not in out or time.monotonic() > deadline:
                break
        if not re.search(r"Breakpoint 1, boot_main", out):
            raise Fail("gdb did not stop at boot_main", out)
    finally:
        os.killpg(qemu_proc.pid, signal.SIGKILL)
        qemu_proc.wait()


def fscheck(img, what):
    """test/build/fscheck finds the image at img clean; what names the moment."""
    check = subprocess.run([os.path.join(qemu.ROOT, "test/build/fscheck"), img],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if check.returncode != 0:
        raise Fail("fscheck %s failed" % what, check.stdout.decode(errors="replace"))


def crash_test(cpus, kill_after):
    """Kill QEMU in the middle of a stream of file writes, check the image on
    the host (fscheck replays a committed log), then boot again and check that
    every file is either complete or absent."""
    with qemu.scratch_image() as img:
        with qemu.Machine(cpus=cpus, image=img, run="crashtest write", limit=120) as m:
            m.expect(r"crashtest: wrote cfile%d\b" % kill_after, 90)
            m.kill()
        fscheck(img, "after the crash")
        status, out = qemu.run_script("crashtest check", 90, cpus=cpus, image=img)
        no_panic(out)
        if status != 0:
            raise Fail("files damaged after recovery", out)


def fsabuse_fscheck_test(cpus):
    """fsabuse passes on a scratch image, and leaves it clean: no lost inode
    or block, every link count right."""
    with qemu.scratch_image() as img:
        status, out = qemu.run_script("fsabuse", 600, cpus=cpus, image=img)
        no_panic(out)
        if status != 0:
            raise Fail("fsabuse failed", out)
        fscheck(img, "after fsabuse")


def corrupt_image(path, how):
    """Damage the fs.img copy at path: 'magic' or 'size' in the superblock,
    or README's inode (inode 2, the first file mkfs adds): 'type' garbage or
    a block number 'addr' beyond the disk."""
    import struct
    with open(path, "r+b") as f:
        f.seek(1024)
        sb = list(struct.unpack("<8I", f.read(32)))
        if how in ("magic", "size"):
            sb[0 if how == "magic" else 1] = 0xdeadbeef if how == "magic" else 1 << 30
            f.seek(1024)
            f.write(struct.pack("<8I", *sb))
            return
        inode = sb[6] * 1024 + 2 * 64  # inodestart block, 64-byte dinodes
        if how == "type":
            f.seek(inode)
            f.write(struct.pack("<h", 77))
        else:
            f.seek(inode + 12)  # type, major, minor, nlink (shorts), size: addrs[0]
            f.write(struct.pack("<I", 999999))


def corrupt_test(how):
    """A damaged image is refused at mount, or the operation on the damaged
    inode fails with an error: no panic, the system goes on."""
    with qemu.scratch_image() as img:
        corrupt_image(img, how)
        if how in ("magic", "size"):
            status, out = qemu.run_script("echo ok", 60, image=img)
            no_panic(out)
            if "cannot mount the root file system" not in out or status == 0:
                raise Fail("a corrupt superblock was not refused (status %d)" % status, out)
            return
        status, out = qemu.run_script("cat README; echo alive", 60, image=img)
        no_panic(out)
        if not re.search(r"^alive$", out, re.M) or re.search(r"^calf$", out, re.M):
            raise Fail("reading a damaged inode did not fail cleanly", out)


def bad_tree_test(regex, replacement, message):
    """Boot with QEMU's tree edited (see BAD_TREES): refused with message, QEMU exits, no panic."""
    dts, n = re.subn(regex, replacement, qemu.machine_dts("128M", 3), flags=re.M)
    if n != 1:
        raise Fail("the edit /%s/ matched %d times in QEMU's tree" % (regex, n))
    with tempfile.TemporaryDirectory(prefix="calf-dtb-") as tmp:
        dtb = os.path.join(tmp, "bad.dtb")
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb], input=dts.encode(),
                       check=True, timeout=60)
        status, out = qemu.run_script("echo ok", BAD_TREE_TIMEOUT, mem="128M", cpus=3, disk=False,
                                      extra_args=["-dtb", dtb])
    no_panic(out)
    if not re.search(r"^calf: bad device tree: " + re.escape(message), out, re.M):
        raise Fail("no 'bad device tree: %s' (QEMU exit status %d)" % (message, status), out)


def shell_test(steps, cpus):
    """Boot to the prompt, type each command, match its output; nothing panics."""
    with qemu.Machine(cpus=cpus, limit=SHELL_TIMEOUT) as m:
        m.expect(qemu.PROMPT, SHELL_TIMEOUT)
        for cmd, patterns in steps:
            out = m.shell(cmd, SHELL_TIMEOUT)
            no_panic(m.output)
            for p in patterns:
                if not re.search(p, out, re.M):
                    raise Fail("%r: output lacks /%s/" % (cmd, p), m.output)


def scripted_test(cmd, cpus, mem, timeout):
    """RUN=cmd powers off with exit status 0 and no panic."""
    status, out = qemu.run_script(cmd, timeout, mem=mem, cpus=cpus)
    no_panic(out)
    if status != 0:
        raise Fail("QEMU exit status %d" % status, out)


def parts():
    """[(part title, [(test name, thunk), ...]), ...] in running order."""
    host = [("host:" + t, lambda t=t, s=s: host_test(t, s)) for t, s in HOST_TARGETS]
    boot = [("boot:%s:%d" % (mem, cpus), lambda mem=mem, cpus=cpus: boot_test(mem, cpus))
            for mem, cpus in BOOT_MATRIX]
    boot += [("timer:%d" % cpus, lambda cpus=cpus: timer_test(cpus)) for cpus in (1, 3, 8)]
    boot += [("badtree:" + name, lambda a=(regex, repl, msg): bad_tree_test(*a))
             for name, regex, repl, msg in BAD_TREES]
    shell = [("shell:%s:%d" % (name, cpus), lambda steps=steps, cpus=cpus: shell_test(steps, cpus))
             for name, steps in SHELL_CHECKS for cpus in SHELL_CPUS]
    run = [("run:" + name, lambda a=(cmd, cpus, mem, t): scripted_test(*a))
           for name, cmd, cpus, mem, t in SCRIPTED]
    tools = [("tools:gdb", gdb_test)]
    crash = [("crash:%d:%d" % (cpus, n), lambda cpus=cpus, n=n: crash_test(cpus, n))
             for cpus, n in ((1, 3), (3, 10), (3, 25))]
    crash += [("corrupt:" + how, lambda how=how: corrupt_test(how))
              for how in ("magic", "size", "type", "addr")]
    crash += [("fsabuse-fscheck:3", lambda: fsabuse_fscheck_test(3))]
    lab = [("lab:" + t, lambda t=t, s=s: host_test(t, s)) for t, s in LAB_TARGETS]
    return [("host tests", host), ("boot matrix", boot), ("tools", tools),
            ("shell", shell), ("crash recovery and damaged disks", crash), ("scripted programs", run),
            ("copy-on-write lab", lab)]


# --- driver -------------------------------------------------------------------

def run_one(name, thunk):
    """Run one test and print its line; returns True if it passed."""
    start = time.monotonic()
    try:
        thunk()
        reason, output = None, ""
    except (Fail, qemu.MachineError) as e:
        reason, output = str(e), e.output
    except Exception as e:  # a harness bug, or a missing file: report it, go on
        reason, output = "%s: %s" % (type(e).__name__, e), ""
    took = time.monotonic() - start
    if reason is None:
        print("PASS %s (%.1fs)" % (name, took), flush=True)
        return True
    print("FAIL %s (%.1fs): %s" % (name, took, reason), flush=True)
    if output:
        print("    | " + qemu.tail(output).replace("\n", "\n    | "), flush=True)
    return False


def main():
    ap = argparse.ArgumentParser(description="Run calf's tests.")
    ap.add_argument("--only", metavar="SUBSTRING", default="",
                    help="run only tests whose name contains SUBSTRING")
    ap.add_argument("--list", action="store_true", help="list test names and exit")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so atexit kills QEMU

    selected = [(title, [t for t in tests if args.only in t[0]]) for title, tests in parts()]
    selected = [(title, tests) for title, tests in selected if tests]
    if args.list:
        for _, tests in selected:
            for name, _ in tests:
                print(name)
        return 0

    passed = failed = 0
    for title, tests in selected:
        print("== %s ==" % title, flush=True)
        start = time.monotonic()
        for name, thunk in tests:
            if run_one(name, thunk):
                passed += 1
            else:
                failed += 1
        print("-- %s: %.1fs" % (title, time.monotonic() - start), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
