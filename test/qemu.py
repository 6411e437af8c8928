"""calf: boot kernel/kernel under QEMU and talk to it over the serial console.

A Machine boots a private copy of fs.img, so tests never share or dirty the
repository's image; pass image=PATH (e.g. from scratch_image()) to boot a file
the caller owns and may boot again, as crash-recovery tests do. A Machine always
kills its QEMU: on close() or leaving its with-block, when its lifetime limit
runs out, and at interpreter exit. Standard library only.
"""

import atexit
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.path.join(ROOT, "kernel", "kernel")
FS_IMG = os.path.join(ROOT, "fs.img")
QEMU = "qemu-system-riscv64"
# The Makefile finds OpenSBI and exports it; run directly, Debian's path.
OPENSBI = os.environ.get("OPENSBI") or "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
PROMPT = r"\$ "
PANIC = re.compile(r"^panic:", re.M)

_live = set()  # Machines started and not yet closed; atexit kills them


class MachineError(Exception):
    """A wait on QEMU failed (timeout, early exit, dead pipe); .output is all it printed."""

    def __init__(self, reason, output):
        super().__init__(reason)
        self.output = output


def tail(text, lines=25):
    """The last `lines` lines of text."""
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


SWAP_MAGIC = b"calf-swap-1\n"  # kernel/mem/swap.h


def make_swap(path, size):
    """Make path an empty swap disk of size bytes (sparse), as the Makefile's swap-img does."""
    with open(path, "wb") as f:
        f.write(SWAP_MAGIC)
        f.truncate(size)


def parse_size(text):
    """Bytes in a QEMU-style size: 256M, 1G, 4096."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = str(text)
    if text[-1:].upper() in units:
        return int(text[:-1]) * units[text[-1].upper()]
    return int(text)


def command(mem="128M", cpus=3, image=None, run=None, extra_args=(), kernel=None, swap=None):
    """The QEMU argv the Makefile's `make qemu` uses; image=None boots with no disk.

    kernel: the kernel file to boot (default kernel/kernel; e.g. build/eager/kernel).
    swap: the path of a swap disk (make_swap) to attach second, or None.
    """
    argv = [QEMU, "-machine", "virt", "-bios", OPENSBI, "-kernel", kernel or KERNEL,
            "-m", str(mem), "-smp", str(cpus), "-nographic",
            "-global", "virtio-mmio.force-legacy=false"]
    if image is not None:
        argv += ["-drive", "file=%s,if=none,format=raw,id=x0" % image,
                 "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]
    if swap is not None:
        argv += ["-drive", "file=%s,if=none,format=raw,id=x1" % swap,
                 "-device", "virtio-blk-device,drive=x1,bus=virtio-mmio-bus.1"]
    if run:
        argv += ["-append", run]
    return argv + list(extra_args)


def machine_dts(mem="128M", cpus=3):
    """QEMU virt's own device tree for a boot with this MEM and CPUS, as dts text (uses dtc)."""
    with tempfile.TemporaryDirectory(prefix="calf-dtb-") as tmp:
        dtb = os.path.join(tmp, "virt.dtb")
        subprocess.run([QEMU, "-machine", "virt,dumpdtb=" + dtb, "-m", str(mem), "-smp", str(cpus),
                        "-nographic"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dtb], check=True,
                              stdout=subprocess.PIPE, timeout=60).stdout.decode()


@contextlib.contextmanager
def scratch_image():
    """Yield the path of a fresh copy of fs.img that outlives boots; removed afterwards."""
    fd, path = tempfile.mkstemp(prefix="calf-fs-", suffix=".img")
    os.close(fd)
    try:
        shutil.copyfile(FS_IMG, path)
        yield path
    finally:
        os.unlink(path)


class Machine:
    """One QEMU boot. Use as a context manager; start() boots, close() kills and cleans up.

    mem, cpus, run: as `make qemu MEM= CPUS= RUN=`. image: a disk image the caller
    owns (default: a private copy of fs.img, deleted on close). disk=False: no disk.
    extra_args: more QEMU arguments (e.g. ["-icount", "shift=0"]). limit: seconds
    after start() at which QEMU is killed whatever happens. log: a text file that
    receives the console output as it arrives. kernel: the kernel file to boot
    (default kernel/kernel).
    """

    def __init__(self, mem="128M", cpus=3, run=None, image=None, disk=True,
                 extra_args=(), limit=300, log=None, kernel=None, swap=None):
        self.mem, self.cpus, self.run = mem, cpus, run
        self.kernel = kernel
        self.swap = swap           # size of a fresh swap disk ("256M"), or None
        self._swapfile = None      # its temp file, deleted on close
        self.image, self.disk = image, disk
        self.extra_args, self.limit, self.log = list(extra_args), limit, log
        self._private = None       # temp copy of fs.img we own, or None
        self._proc = None
        self._reader = None
        self._watchdog = None
        self._cond = threading.Condition()
        self._text = ""            # all output so far, "\r" removed; guarded by _cond
        self._pos = 0              # expect() searches from here; guarded by _cond
        self._eof = False          # QEMU closed stdout; guarded by _cond
        self.timed_out = False     # the watchdog killed QEMU

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Boot QEMU; returns self. Raises OSError if QEMU or the image is missing."""
        image = self.image if self.disk else None
        if self.disk and image is None:
            fd, self._private = tempfile.mkstemp(prefix="calf-fs-", suffix=".img")
            os.close(fd)
            try:
                shutil.copyfile(FS_IMG, self._private)
            except OSError:
                self.close()
                raise
            image = self._private
        if self.swap:
            fd, self._swapfile = tempfile.mkstemp(prefix="calf-swap-", suffix=".img")
            os.close(fd)
            make_swap(self._swapfile, parse_size(self.swap))
        argv = command(self.mem, self.cpus, image, self.run, self.extra_args, self.kernel,
                       self._swapfile)
        try:
            self._proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError:
            self.close()
            raise
        _live.add(self)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._watchdog = threading.Timer(self.limit, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def _read(self):
        """Reader thread: move QEMU's output into _text until EOF."""
        fd = self._proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            text = chunk.decode("latin-1").replace("\r", "")
            if self.log:
                self.log.write(text)
                self.log.flush()
            with self._cond:
                self._text += text
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _expire(self):
        """Watchdog: the lifetime limit ran out."""
        self.timed_out = True
        self.kill()

    @property
    def output(self):
        """Everything QEMU has printed so far."""
        with self._cond:
            return self._text

    def _error(self, what):
        """A MachineError for `what`, saying why QEMU stopped if it did."""
        if self.timed_out:
            what += " (QEMU killed at its %ss limit)" % self.limit
        elif self._proc.poll() is not None:
            what += " (QEMU exited with status %d)" % self._proc.returncode
        return MachineError(what, self.output)

    def expect(self, pattern, timeout=30):
        """Wait for regex `pattern` (str: compiled with re.M) in output not yet matched.

        Returns the match (positions index .output) and moves past it. Raises
        MachineError if it does not appear within timeout or QEMU stops first.
        """
        pat = re.compile(pattern, re.M) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = pat.search(self._text, self._pos)
                if m:
                    self._pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    break
                self._cond.wait(left)
        raise self._error("no /%s/ within %ss" % (pat.pattern, timeout))

    def send(self, text):
        """Type text on the console, one line at a time so the UART keeps up."""
        for line in text.splitlines(keepends=True):
            try:
                self._proc.stdin.write(line.encode())
                self._proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                raise self._error("cannot type %r" % line) from None
            time.sleep(0.05)

    def type(self, keys):
        """Type keys on the console as they are, control characters and escape
        sequences included, in one write; then give the guest a moment."""
        try:
            self._proc.stdin.write(keys.encode("latin-1"))
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._error("cannot type %r" % keys) from None
        time.sleep(0.2)

    def shell(self, cmd, timeout=30):
        """Run one command at the shell prompt; returns what it printed.

        Requires the shell to be at its prompt (expect(PROMPT) once after boot);
        waits for the echo of cmd and then for the next prompt.
        """
        self.send(cmd + "\n")
        start = self.expect(re.escape(cmd) + r"\n", timeout).end()
        end = self.expect(PROMPT, timeout).start()
        return self.output[start:end]

    def wait(self, timeout=60):
        """Wait for QEMU to exit; returns its exit status. On timeout kill it, raise MachineError."""
        try:
            status = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._dump_processes()
            self.kill()
            raise MachineError("still running after %ss; killed" % timeout, self.output) from None
        self._reader.join(5)
        if self.timed_out:
            raise self._error("did not finish")
        return status

    def _dump_processes(self):
        """Type ^P so the kernel's process list lands in the output of a hung run."""
        try:
            self._proc.stdin.write(b"\x10")
            self._proc.stdin.flush()
            time.sleep(2)
        except (BrokenPipeError, ValueError):
            pass

    def kill(self):
        """SIGKILL QEMU now (also how tests simulate a crash) and reap it."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
        if self._proc:
            self._proc.wait()

    def close(self):
        """Kill QEMU if it still runs, stop the helpers, delete the private image."""
        if self._proc:
            self.kill()
            self._watchdog.cancel()
            self._reader.join(5)
            self._proc.stdin.close()
            self._proc.stdout.close()
            _live.discard(self)
        if self._private:
            os.unlink(self._private)
            self._private = None
        if self._swapfile:
            os.unlink(self._swapfile)
            self._swapfile = None


def run_script(cmd, timeout=60, **kw):
    """Boot with RUN=cmd (Machine keywords in kw), wait for power-off: (exit status, output).

    Raises MachineError if QEMU does not exit within timeout (it is killed).
    """
    kw.setdefault("limit", timeout + 10)
    with Machine(run=cmd, **kw) as m:
        status = m.wait(timeout)
        return status, m.output


@atexit.register
def _kill_all():
    """At exit, no QEMU we started survives."""
    for m in list(_live):
        m.close()
