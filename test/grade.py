#!/usr/bin/env python3
"""The labs' grader: boots the kernel, runs a lab's tests, scores them.

    python3 test/grade.py [--lab cow|mmap] [--kernel PATH] [--tree DIR] [--only NAME,...]
                          [-v] [NAME...]

The labs (LABS) and their parts, each part a boot of its own with its own timeout:
  cow        cowtest, usertests, grind
  mmap       maptest, usertests
Parts:
  cowtest    `cowtest`: one graded test per row of user/cowtest.c's table, each
  maptest    `test NAME: OK|FAILED` line it prints, plus one for the run ending
             with ALL COW (MAP) TESTS PASSED. Each test program counts free
             frames around every test, once the test's processes are gone, so a
             leak is that test's FAILED line. If the run hangs or panics, each
             test with no result yet is run alone. A cowtest.c without that
             table (MIT's, say) earns none of its tests' points, and the grader
             says so. cowtest runs with fork's sharing of page tables off
             (`cowctl tables off`): students' kernels share pages only, and
             calf is graded on the same paths.
  usertests  `usertests -q` prints ALL TESTS PASSED.
  grind      `grind -t 30`: random system calls from parallel processes; no leak.
             It boots with 256 MiB (the others with 128 MiB), so a kernel whose
             per-frame counts are sized for 128 MiB fails at least this part.

A failed test's reason ends with the kernel's lines about processes it killed
during that test ("pid 7 cowtest: killed: store page fault at va 0x..."), which
say why a child died.

NAME (or --only NAME,...): run only these parts, or these tests of the lab's test
program (each then boots `cowtest NAME` alone). make grade TEST=NAME does the same.

Prints `name: OK (Ns)` or `name: FAIL (Ns)` and the reason for each test, each
with its own time, then `Score: X/Y`. Exits 0 only on full marks with no test
failed. The console
output of every boot is kept in test/build/grade/ of the tree graded (-v also
prints the end of it).

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

class Suite:
    """A test program built on user/utest.c: its name, the word of its last line (ALL
    COW TESTS PASSED), the commands run before it on the same boot, the points of
    each test and of the run as a whole, and how long the run may take."""

    def __init__(self, name, word, setup, points, done_points, timeout):
        self.name, self.word, self.setup = name, word, setup
        self.points, self.done_points, self.timeout = points, done_points, timeout
        self.line = re.compile(r"^(?:test (?P<name>\S+): (?P<verdict>OK|FAILED)(?P<rest>.*)"
                               r"|(?P<end>ALL %s TESTS PASSED|SOME %s TESTS FAILED.*)"
                               r"|(?P<start>init: running: .*)"
                               r"|(?P<panic>panic:.*))\n" % (word, word), re.M)


# cowtest boots with fork's sharing of whole leaf page tables off: students'
# kernels share pages only, so calf's own grade takes the same page-level paths
# (fork's page loop, the store fault) as theirs. make test runs cowtest with it on too.
COWTEST = Suite("cowtest", "COW", "cowctl tables off; ", 2, 20, 300)
MAPTEST = Suite("maptest", "MAP", "", 4, 20, 300)
SUITE_STALL = 30            # seconds without a test's line before a test counts as hung
USERTESTS_TIMEOUT = 900
USERTESTS_POINTS = 20
GRIND_SECONDS = 30
GRIND_TIMEOUT = GRIND_SECONDS + 90
GRIND_POINTS = 10
GRIND_MEM = "256M"          # RAM above 128 MiB: per-frame arrays must cover it
KILLED = re.compile(r"^pid \d+ \S+: killed: .*$", re.M)  # the kernel's note of a process it kills

TEST_TABLE = re.compile(r"\btests\[\]\s*=\s*\{(.*?)^\};", re.S | re.M)
TABLE_ROW = re.compile(r'^\s*\{\s*\w+\s*,\s*"([^"]+)"\s*(?:,[^}]*)?\}', re.M)


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
    def boot(self, cmd, limit, mem=MEM):
        """Yield a started qemu.Machine running cmd, with mem of RAM, on a private copy
        of the image; QEMU is killed after limit seconds at the latest, and its output
        is saved."""
        fd, copy = tempfile.mkstemp(prefix="calf-grade-", suffix=".img")
        os.close(fd)
        try:
            shutil.copyfile(self.image, copy)
            with qemu.Machine(run=cmd, cpus=CPUS, mem=mem, image=copy, kernel=self.kernel,
                              limit=limit + 10) as m:
                try:
                    yield m
                finally:
                    os.makedirs(self.logdir, exist_ok=True)
                    with open(self.log(cmd), "w") as f:
                        f.write(m.output)
        finally:
            os.unlink(copy)

    def run(self, cmd, timeout, mem=MEM):
        """Boot with RUN=cmd and mem of RAM and wait for power-off; a run still going
        after timeout gets its process list dumped (^P) and is killed.

        Returns (QEMU exit status or None if it did not finish, output, seconds)."""
        start = time.monotonic()
        with self.boot(cmd, timeout, mem) as m:
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

def table_names(text):
    """Test names from the tests[] table of {fn, "name"} rows in C source text, or None
    if it has no such table."""
    table = TEST_TABLE.search(text)
    names = TABLE_ROW.findall(table[1]) if table else []
    return names or None


def suite_names(suite, source):
    """(names, where) of suite's graded tests in tree source: the rows of the table in
    its user/NAME.c, or, if that file has none (a student put MIT's cowtest.c there),
    of the newest committed version that has one. names is None if neither has."""
    rel = "user/%s.c" % suite.name
    try:
        with open(os.path.join(source, rel)) as f:
            names = table_names(f.read())
    except OSError:
        names = None
    if names:
        return names, None
    log = subprocess.run(["git", "log", "--format=%H", "--", rel], cwd=source,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for commit in log.stdout.decode().split():
        show = subprocess.run(["git", "show", "%s:%s" % (commit, rel)], cwd=source,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        names = table_names(show.stdout.decode(errors="replace"))
        if names:
            return names, commit[:12]
    return None, None


def with_kills(reason, segment, limit=3):
    """reason, followed by the kernel's lines about processes it killed in segment
    (the console output of one test), at most limit of them, so that a child that
    died says why."""
    kills = KILLED.findall(segment)
    if not kills:
        return reason
    more = " (and %d more)" % (len(kills) - limit) if len(kills) > limit else ""
    return "%s; killed: %s%s" % (reason, "; ".join(k.strip() for k in kills[:limit]), more)


def unparen(rest):
    """The reason in the rest of a test's line, " (reason)", without its parentheses
    (those inside it, as in "want 0x10 (16)", stay)."""
    rest = rest.strip()
    return rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest


def suite_stream(suite, target, cmd, stall, limit, only=None):
    """Boot with RUN=cmd and read suite's lines as they come, until it ends, panics,
    prints no line for stall seconds, or (only given) reports test only. Returns
    (results {name: (ok, reason, seconds)} in order, QEMU exit status or None, why it
    stopped early or None, output, seconds). A test's seconds run from the line
    before its own (the program's start, or the last test's result)."""
    start = time.monotonic()
    results = {}
    with target.boot(cmd, limit) as m:
        why = status = None
        last = start
        since = 0  # where the running test's output starts
        while True:
            try:
                line = m.expect(suite.line, stall)
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
            now = time.monotonic()
            if line["start"]:
                last, since = now, line.end()
                continue
            if line["panic"]:
                why = line[0].strip()
                break
            if line["end"]:
                status = finish(m, 10)
                if status is None:
                    why = "did not power off"
                break
            ok, reason = line["verdict"] == "OK", unparen(line["rest"])
            if not ok:
                reason = with_kills(reason, m.output[since:line.start()])
            results.setdefault(line["name"], (ok, reason, now - last))
            last, since = now, line.end()
            if line["name"] == only:
                break
        out = m.output
    return results, status, why, out, time.monotonic() - start


def suite_alone(suite, target, name):
    """Yield the result of suite's test name run alone, in a boot of its own."""
    cmd = suite.setup + suite.name + " " + name
    alone, _, why, _, took = suite_stream(suite, target, cmd, SUITE_STALL, SUITE_STALL * 2, only=name)
    ok, reason, _ = alone.get(name, (False, why or "no result", 0))
    yield suite.name + ": " + name, suite.points, ok, reason, took, cmd


def not_calfs_suite(suite, names, commit):
    """Yield the one failed result that stands for suite's graded tests names when its
    source holds no table of them (names from commit; None: from nowhere)."""
    why = ("user/%s.c has no tests[] table of {fn, \"name\"} rows (MIT's %s?), so its tests did not run"
           % (suite.name, suite.name))
    if names is None:
        yield "%s: its tests" % suite.name, 0, False, \
            why + "; no committed version has one: the total lacks their points", 0.0, None
        return
    yield ("%s: %d tests of calf's %s" % (suite.name, len(names), suite.name), suite.points * len(names),
           False, why + "; git checkout %s -- user/%s.c restores calf's" % (commit, suite.name), 0.0, None)


def part_suite(suite, target, only=None):
    """Yield (name, points, ok, reason, seconds, command booted) for each test of suite
    and for the run as a whole; with only (a list of test names), for those tests alone.

    One boot runs them all. If that run stops early (a test hangs, the kernel
    panics), each test of the program's table that has no result yet gets a
    boot of its own, which ends at its first result line."""
    names, commit = suite_names(suite, target.source)
    if only:
        for name in only:
            yield from suite_alone(suite, target, name)
        return
    if commit or names is None:
        yield from not_calfs_suite(suite, names, commit)
        names = []
    cmd = suite.setup + suite.name
    results, status, why, out, took = suite_stream(suite, target, cmd, SUITE_STALL, suite.timeout)
    whole = why is None and status == 0 and re.search(r"^ALL %s TESTS PASSED$" % suite.word, out, re.M)
    if why is None:
        failed = re.search(r"^SOME %s TESTS FAILED.*$" % suite.word, out, re.M)
        whole_reason = failed[0] if failed else "QEMU exit status %s" % status
    else:
        whole_reason = "%s stopped: %s" % (suite.name, why)
    for name in list(results) + [n for n in names if n not in results]:
        if name in results:
            ok, reason, took1 = results[name]
            yield suite.name + ": " + name, suite.points, ok, reason, took1, cmd
        else:
            for row in suite_alone(suite, target, name):
                yield row[:3] + (row[3] + " (run alone)",) + row[4:]
    yield suite.name + ": all passed", suite.done_points, bool(whole), "" if whole else whole_reason, took, cmd


def part_usertests(target, only=None):
    """Yield the one result of `usertests -q` (only: unused, as for every part)."""
    cmd = "usertests -q"
    status, out, took = target.run(cmd, USERTESTS_TIMEOUT)
    ok = status == 0 and re.search(r"^ALL TESTS PASSED$", out, re.M)
    reason = "" if ok else "; ".join(failed_lines(out) or [why_stopped(status, out, USERTESTS_TIMEOUT)])
    yield cmd, USERTESTS_POINTS, bool(ok), reason, took, cmd


def part_grind(target, only=None):
    """Yield the one result of `grind -t GRIND_SECONDS` (only: unused, as for every part)."""
    cmd = "grind -t %d" % GRIND_SECONDS
    status, out, took = target.run(cmd, GRIND_TIMEOUT, GRIND_MEM)
    verdict = re.search(r"^grind: (ok|FAILED).*$", out, re.M)
    ok = status == 0 and verdict and verdict[1] == "ok"
    if ok:
        reason = ""
    elif verdict and verdict[1] == "FAILED":
        reason = "; ".join(ln for ln in out.split("\n") if ln.startswith("grind: ")
                           and "ops:" not in ln and "workers for" not in ln)
    else:
        reason = why_stopped(status, out, GRIND_TIMEOUT)
    if not ok:
        reason = "with %s of RAM: %s" % (GRIND_MEM, with_kills(reason, out))
    yield cmd, GRIND_POINTS, bool(ok), reason, took, cmd


def suite_part(suite):
    """The part function of suite."""
    return lambda target, only=None: part_suite(suite, target, only)


# Each lab's parts, in the order they run, and its test program (the part whose
# tests may be named one by one).
LABS = {
    "cow": ({"cowtest": suite_part(COWTEST), "usertests": part_usertests, "grind": part_grind}, COWTEST),
    "mmap": ({"maptest": suite_part(MAPTEST), "usertests": part_usertests}, MAPTEST),
}


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


def selection(names, source, lab, ap):
    """[(part, only)] to run for the names asked for (parts of lab, or tests of its
    test program's table in tree source), in the lab's order; ap.error on an unknown
    name."""
    parts, suite = LABS[lab]
    tests = suite_names(suite, source)[0] or []
    unknown = [n for n in names if n not in parts and n not in tests]
    if unknown:
        ap.error("unknown part or %s test %s; parts: %s; %s tests: %s"
                 % (suite.name, ", ".join(unknown), ", ".join(parts), suite.name, " ".join(tests)))
    only = [n for n in names if n in tests]
    chosen = [(p, None) for p in parts if p in names]
    if only and suite.name not in names:
        chosen.insert(0, (suite.name, only))
    return chosen


def report(target, results, verbose):
    """Print each result of results (from a part) and point at the console output
    of a failed one's boot; returns (points scored, points possible, results failed)."""
    score = total = failed = 0
    shown = set()  # boots whose console output was pointed at (and with -v shown)
    for name, points, ok, reason, took, cmd in results:
        total += points
        if ok:
            score += points
            print("%s: OK (%.1fs)" % (name, took), flush=True)
            continue
        failed += 1
        print("%s: FAIL (%.1fs)" % (name, took), flush=True)
        print("    " + reason, flush=True)
        if cmd is None or cmd in shown:
            continue
        shown.add(cmd)
        log = os.path.relpath(target.log(cmd))
        print("    console output: %s" % (target.log(cmd) if log.startswith("..") else log), flush=True)
        if verbose:
            with open(target.log(cmd)) as f:
                print("    | " + qemu.tail(f.read()).replace("\n", "\n    | "), flush=True)
    return score, total, failed


def main():
    ap = argparse.ArgumentParser(description="Grade a lab.")
    ap.add_argument("--lab", default="cow", choices=list(LABS), help="the lab (default %(default)s)")
    ap.add_argument("--kernel", metavar="PATH", help="kernel to boot (default kernel/kernel)")
    ap.add_argument("--tree", metavar="DIR", help="build and grade the tree in DIR")
    ap.add_argument("--only", metavar="NAMES", default="",
                    help="comma-separated parts or tests of the lab's test program to run")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the end of the console output of failed tests")
    ap.add_argument("names", nargs="*", metavar="NAME", help="a part or a test of the lab's test program")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] + args.names
    source = os.path.abspath(args.tree) if args.tree else qemu.ROOT
    parts = LABS[args.lab][0]
    chosen = selection(names, source, args.lab, ap) if names else [(p, None) for p in parts]

    target = target_of(args)
    score = total = failed = 0
    for part, only in chosen:
        got, possible, bad = report(target, parts[part](target, only), args.verbose)
        score, total, failed = score + got, total + possible, failed + bad
    print("Score: %d/%d" % (score, total), flush=True)
    return 0 if score == total and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
