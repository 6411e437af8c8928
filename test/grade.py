#!/usr/bin/env python3
"""The copy-on-write lab grader: boots the kernel, runs the lab's tests, scores them.

    python3 test/grade.py [--kernel PATH] [--tree DIR] [--only PART,...] [-v]

Parts, each a boot of its own with its own timeout:
  cowtest    `cowtest`: one graded test per `test NAME: OK|FAILED` line it prints,
             plus one for the run ending with ALL COW TESTS PASSED. cowtest counts
             free frames around every test, so a leak is that test's FAILED line.
             If the run hangs or panics, each test of user/cowtest.c's table with
             no result yet is run alone.
  usertests  `usertests -q` prints ALL TESTS PASSED.
  grind      `grind -t 30`: random system calls from parallel processes; no leak.

Prints `name: OK (Ns)` or `name: FAIL (Ns)` and the reason for each test, then
`Score: X/Y`. Exits 0 only on full marks. The console output of every boot is
kept in test/build/grade/ of the tree graded (-v also prints the end of it).

--kernel PATH  boot this kernel with this tree's fs.img instead of kernel/kernel.
--tree DIR     grade another tree (a lab handout): run make there, boot its kernel
               and its fs.img.
Standard library only; boots through test/qemu.py.
"""

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

# --- what is graded -----------------------------------------------------------

CPUS, MEM = 3, "128M"

COWTEST_TIMEOUT = 300
COWTEST_POINTS = 2          # each test cowtest reports
COWTEST_DONE_POINTS = 20    # the run completes with ALL COW TESTS PASSED
USERTESTS_TIMEOUT = 900
USERTESTS_POINTS = 20
GRIND_SECONDS = 30
GRIND_TIMEOUT = GRIND_SECONDS + 90
GRIND_POINTS = 10

COWTEST_STALL = 30          # seconds without a cowtest line before a test counts as hung
COWTEST_LINE = re.compile(r"^(?:test (?P<name>\S+): (?P<verdict>OK|FAILED)(?P<rest>.*)"
                          r"|(?P<end>ALL COW TESTS PASSED|SOME COW TESTS FAILED)"
                          r"|(?P<panic>panic:.*))\n", re.M)
TEST_TABLE = re.compile(r"\btests\[\]\s*=\s*\{(.*?)^\};", re.S | re.M)
TABLE_ROW = re.compile(r'^\s*\{\s*\w+\s*,\s*"([^"]+)"\s*\}', re.M)


# --- running ------------------------------------------------------------------

class Target:
    """What to boot: a kernel file, a disk image that each boot copies, and the
    source tree, whose test/build/grade/ receives each boot's console output."""

    def __init__(self, kernel, image, source):
        self.kernel, self.image, self.source = kernel, image, source
        self.logdir = os.path.join(source, "test", "build", "grade")

    def log(self, cmd):
        """The file that keeps the console output of the boot that ran cmd."""
        return os.path.join(self.logdir, re.sub(r"[^\w.-]+", "_", cmd).strip("_") + ".out")

    @contextlib.contextmanager
    def boot(self, cmd, limit):
        """Yield a started qemu.Machine running cmd on a private copy of the image;
        QEMU is killed after limit seconds at the latest, and its output is saved."""
        fd, copy = tempfile.mkstemp(prefix="calf-grade-", suffix=".img")
        os.close(fd)
        try:
            shutil.copyfile(self.image, copy)
            with qemu.Machine(run=cmd, cpus=CPUS, mem=MEM, image=copy, kernel=self.kernel,
                              limit=limit + 10) as m:
                try:
                    yield m
                finally:
                    os.makedirs(self.logdir, exist_ok=True)
                    with open(self.log(cmd), "w") as f:
                        f.write(m.output)
        finally:
            os.unlink(copy)

    def run(self, cmd, timeout):
        """Boot with RUN=cmd and wait for power-off; a run still going after timeout
        gets its process list dumped (^P) and is killed.

        Returns (QEMU exit status or None if it did not finish, output, seconds)."""
        start = time.monotonic()
        with self.boot(cmd, timeout) as m:
            try:
                m.expect(r"^(init: exit status -?\d+|panic:.*)\n", timeout)
                status = finish(m, 10)
            except qemu.MachineError:
                dump_processes(m)
                status = finish(m, 2)
            return status, m.output, time.monotonic() - start


def dump_processes(m):
    """Type ^P on machine m, if it still runs, and give the kernel a moment to list
    its processes into the output (so a hang can be diagnosed from the log)."""
    try:
        m.send("\x10")
        m.expect(r"timer interrupts\n", 3)
    except qemu.MachineError:
        pass


def finish(m, timeout):
    """Wait for machine m to power off: its exit status, or None (killed) after timeout."""
    try:
        return m.wait(timeout)
    except qemu.MachineError:
        return None


def why_stopped(status, out, timeout):
    """A reason for a run that did not end well: panic, timeout or exit status."""
    panic = qemu.PANIC.search(out)
    if panic:
        return out[panic.start():].split("\n", 1)[0]
    if status is None:
        return "timed out after %ss" % timeout
    return "QEMU exit status %d" % status


def failed_lines(out, limit=8):
    """The output lines that report a failure, at most limit of them."""
    lines = [ln for ln in out.split("\n") if "FAIL" in ln or ln.startswith("panic")]
    return lines[:limit]


# --- the parts ----------------------------------------------------------------

def cowtest_names(source):
    """Test names from the tests[] table of {fn, "name"} rows in user/cowtest.c of tree
    source ([] if there is none)."""
    try:
        with open(os.path.join(source, "user", "cowtest.c")) as f:
            table = TEST_TABLE.search(f.read())
    except OSError:
        return []
    return TABLE_ROW.findall(table[1]) if table else []


def cowtest_stream(target, cmd, stall, limit, only=None):
    """Boot with RUN=cmd and read cowtest's lines as they come, until it ends, panics,
    prints no line for stall seconds, or (only given) reports test only. Returns
    (results {name: (ok, reason)} in order, QEMU exit status or None, why it stopped
    early or None, output, seconds)."""
    start = time.monotonic()
    results = {}
    with target.boot(cmd, limit) as m:
        why = status = None
        while True:
            try:
                line = m.expect(COWTEST_LINE, stall)
            except qemu.MachineError:
                dump_processes(m)
                status = finish(m, 2)
                if status is not None:
                    why = "ended without a verdict (QEMU exit status %d)" % status
                elif m.timed_out:
                    why = "killed after %ss" % limit
                else:
                    why = "no result within %ss" % stall
                break
            if line["panic"]:
                why = line[0].strip()
                break
            if line["end"]:
                status = finish(m, 10)
                if status is None:
                    why = "did not power off"
                break
            results.setdefault(line["name"], (line["verdict"] == "OK", line["rest"].strip(" ()")))
            if line["name"] == only:
                break
        out = m.output
    return results, status, why, out, time.monotonic() - start


def part_cowtest(target):
    """Yield (name, points, ok, reason, seconds, command booted) for each cowtest test
    and for the run as a whole.

    One boot runs them all. If that run stops early (a test hangs, the kernel
    panics), each test of user/cowtest.c's table that has no result yet gets a
    boot of its own, which ends at its first result line."""
    results, status, why, out, took = cowtest_stream(target, "cowtest", COWTEST_STALL, COWTEST_TIMEOUT)
    names = list(results) + [n for n in cowtest_names(target.source) if n not in results]
    whole = why is None and status == 0 and re.search(r"^ALL COW TESTS PASSED$", out, re.M)
    if why is None:
        whole_reason = "SOME COW TESTS FAILED" if re.search(r"^SOME COW TESTS FAILED$", out, re.M) \
            else "QEMU exit status %s" % status
    else:
        whole_reason = "cowtest stopped: " + why
    for name in names:
        if name in results:
            ok, reason = results[name]
            yield "cowtest: " + name, COWTEST_POINTS, ok, reason, took, "cowtest"
        else:
            alone, _, why1, _, took1 = cowtest_stream(target, "cowtest " + name, COWTEST_STALL,
                                                         COWTEST_STALL * 2, only=name)
            ok, reason = alone.get(name, (False, why1 or "no result"))
            yield "cowtest: " + name, COWTEST_POINTS, ok, reason + " (run alone)", took1, "cowtest " + name
        took = 0.0
    yield "cowtest: all passed", COWTEST_DONE_POINTS, bool(whole), "" if whole else whole_reason, took, "cowtest"


def part_usertests(target):
    """Yield the one result of `usertests -q`."""
    cmd = "usertests -q"
    status, out, took = target.run(cmd, USERTESTS_TIMEOUT)
    ok = status == 0 and re.search(r"^ALL TESTS PASSED$", out, re.M)
    reason = "" if ok else "; ".join(failed_lines(out) or [why_stopped(status, out, USERTESTS_TIMEOUT)])
    yield cmd, USERTESTS_POINTS, bool(ok), reason, took, cmd


def part_grind(target):
    """Yield the one result of `grind -t GRIND_SECONDS`."""
    cmd = "grind -t %d" % GRIND_SECONDS
    status, out, took = target.run(cmd, GRIND_TIMEOUT)
    verdict = re.search(r"^grind: (ok|FAILED).*$", out, re.M)
    ok = status == 0 and verdict and verdict[1] == "ok"
    if ok:
        reason = ""
    elif verdict and verdict[1] == "FAILED":
        reason = "; ".join(ln for ln in out.split("\n") if ln.startswith("grind: ")
                           and "ops:" not in ln and "workers for" not in ln)
    else:
        reason = why_stopped(status, out, GRIND_TIMEOUT)
    yield cmd, GRIND_POINTS, bool(ok), reason, took, cmd


PART_FUNCS = {"cowtest": part_cowtest, "usertests": part_usertests, "grind": part_grind}


# --- driver -------------------------------------------------------------------

def build(tree):
    """Run make in tree; returns (ok, output)."""
    proc = subprocess.run(["make", "-s", "--no-print-directory", "all"], cwd=tree,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode == 0, proc.stdout.decode(errors="replace")


def target_of(args):
    """The Target the options ask for; exits 1 if a tree does not build."""
    if args.tree:
        tree = os.path.abspath(args.tree)
        ok, out = build(tree)
        if not ok:
            print("make in %s failed:\n%s" % (tree, qemu.tail(out)))
            print("Score: 0/0")
            sys.exit(1)
        kernel = args.kernel or os.path.join(tree, "kernel", "kernel")
        return Target(os.path.abspath(kernel), os.path.join(tree, "fs.img"), tree)
    kernel = args.kernel or qemu.KERNEL
    return Target(os.path.abspath(kernel), qemu.FS_IMG, qemu.ROOT)


def main():
    ap = argparse.ArgumentParser(description="Grade the copy-on-write lab.")
    ap.add_argument("--kernel", metavar="PATH", help="kernel to boot (default kernel/kernel)")
    ap.add_argument("--tree", metavar="DIR", help="build and grade the tree in DIR")
    ap.add_argument("--only", metavar="PARTS", default=",".join(PART_FUNCS),
                    help="comma-separated parts to run (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the end of the console output of failed tests")
    args = ap.parse_args()
    parts = [p for p in args.only.split(",") if p]
    unknown = [p for p in parts if p not in PART_FUNCS]
    if unknown:
        ap.error("unknown part %s; parts: %s" % (", ".join(unknown), ", ".join(PART_FUNCS)))

    target = target_of(args)
    score = total = 0
    for part in parts:
        shown = set()  # boots whose console output was pointed at (and with -v shown)
        for name, points, ok, reason, took, cmd in PART_FUNCS[part](target):
            total += points
            if ok:
                score += points
                print("%s: OK (%.1fs)" % (name, took), flush=True)
                continue
            print("%s: FAIL (%.1fs)" % (name, took), flush=True)
            print("    " + reason, flush=True)
            if cmd in shown:
                continue
            shown.add(cmd)
            log = os.path.relpath(target.log(cmd))
            print("    console output: %s" % (target.log(cmd) if log.startswith("..") else log), flush=True)
            if args.verbose:
                with open(target.log(cmd)) as f:
                    print("    | " + qemu.tail(f.read()).replace("\n", "\n    | "), flush=True)
    print("Score: %d/%d" % (score, total), flush=True)
    return 0 if score == total else 1


if __name__ == "__main__":
    sys.exit(main())
