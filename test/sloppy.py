#!/usr/bin/env python3
"""Staff only: the grader must catch a sloppy copy-on-write solution and say why.

    python3 test/sloppy.py [--keep] [--repeat N] [--tests NAMES] [PATCH...]

test/sloppy/NAME.patch is a mistake a student could make, as a patch against
calf's kernel (the solution); its header, before the first `diff --git`,
says what the student did. The check copies this tree to a scratch
directory (git ls-files: tracked and untracked files, nothing built or
ignored), builds it, and grades it on the tests it will use: calf itself
must score full marks there. Then for each patch (all of them, or those
named), in a copy of that tree: apply the patch (a patch that no longer
applies fails the check: the patches follow the code), build, and grade
only the grader tests the table below names for it (test/grade.py's own
parts and report). The patch is caught when the score is below full marks
and the grader's output matches each of the patch's regexes: the lines
that name the mistake.

--repeat N   grade each patch N times (a flake rate for racy mistakes): each
             run must catch it.
--tests A,B  grade these tests instead of the table's (exploring).
--keep       keep the scratch directory, and say where it is.
Prints one line per patch and run, then `N caught, M missed`; exits 1 if
any patch was missed or did not apply or build. Standard library only.
"""

import argparse
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grade  # noqa: E402

TEST = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TEST)
PATCHES = os.path.join(TEST, "sloppy")

# (patch name, grader tests to run, regexes the grader's output must match).
# Each regex names the mistake: a test that failed and the line that says why.
FAILED = r"cowtest: %s: FAIL .*\n\s+"
COUNT_WRONG = (r"(memcheck: frame 0x[0-9a-f]+ has count \d+, want \d+|leaked \d+ frames"
               r"|free frames after the workers exited: got|panic: .*(free frame|already free))")
NO_FAULT = r".* took [1-9]\d* COW faults between fork and exec, want 0"
SLOPPY = [
    ("no-oom-check", ["oom"], [FAILED % "oom" + r"panic: .*out of memory"]),
    ("no-reuse", ["reuse"], [FAILED % "reuse" + r".*cow_reuses by the last sharer: got 0x0, want"]),
    ("leak-on-exit", ["simple"], [FAILED % "simple" + r"leaked \d+ frames"]),
    ("non-atomic", ["forkrace"], [FAILED % "forkrace" + COUNT_WRONG]),
    ("cow-on-text", ["flags", "textwrite"], [FAILED % "flags" + r"text page: flags r-xu COW, want r-xu",
                                            FAILED % "textwrite" + r"read\(\) into text: got 0x1, want"]),
    ("parent-writable", ["flags", "parentwrites"],
     [FAILED % "flags" + r"page not copy-on-write: flags rw-u, want r--u COW",
      FAILED % "parentwrites" + r"page not copy-on-write: flags rw-u, want r--u COW"]),
    ("no-shortcut", ["forkexec", "shellexec", "flags"],
     [FAILED % "forkexec" + NO_FAULT, FAILED % "shellexec" + NO_FAULT,
      FAILED % "flags" + r"child's COW faults right after fork .*: got 0x[1-9]"]),
]


class CheckError(Exception):
    """A patch that cannot be checked: it does not apply, or the tree does not build."""


def tree_files():
    """Paths of this tree's files (git ls-files: tracked and untracked, not ignored)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout.decode()
    return [p for p in out.split("\0") if p and os.path.isfile(os.path.join(ROOT, p))]


def copy_tree(dest):
    """Copy this tree's files (tree_files) into the new directory dest."""
    for path in tree_files():
        os.makedirs(os.path.join(dest, os.path.dirname(path)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), os.path.join(dest, path))


def prepare(base, name, scratch):
    """A copy of built tree base in scratch/name with patch name applied, built;
    returns its path. Raises CheckError if the patch does not apply or the
    result does not build."""
    tree = os.path.join(scratch, name)
    shutil.copytree(base, tree, symlinks=True)
    patch = os.path.join(PATCHES, name + ".patch")
    apply = subprocess.run(["git", "apply", "--verbose", patch], cwd=tree,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if apply.returncode != 0:
        raise CheckError("%s.patch no longer applies to the kernel:\n%s"
                         % (name, apply.stdout.decode(errors="replace").rstrip()))
    ok, out = grade.build(tree)
    if not ok:
        raise CheckError("the tree with %s.patch does not build:\n%s" % (name, grade.qemu.tail(out)))
    return tree


def run_grader(tree, tests, verbose=False):
    """Grade tree's kernel on grader tests (the cow lab's parts or cowtest tests);
    returns (score, total, the grader's output; verbose: with the end of the
    console output of each failed boot)."""
    target = grade.Target(os.path.join(tree, "kernel", "kernel"), os.path.join(tree, "fs.img"), tree)
    ap = argparse.ArgumentParser(prog="grade.py")
    out = io.StringIO()
    score = total = 0
    with contextlib.redirect_stdout(out):
        parts = grade.LABS["cow"][0]
        for part, only in grade.selection(tests, tree, "cow", ap):
            got, possible, _ = grade.report(target, parts[part](target, only), verbose)
            score, total = score + got, total + possible
        print("Score: %d/%d" % (score, total))
    return score, total, out.getvalue()


def check(tree, name, tests, regexes):
    """Grade patched tree once; returns (caught, verdict lines, grader output)."""
    start = time.monotonic()
    score, total, out = run_grader(tree, tests, verbose=True)
    head = "%s: %d/%d (%.0fs)" % (name, score, total, time.monotonic() - start)
    found = [re.search(r, out) for r in regexes]
    if score < total and all(found):
        said = ["    " + " ".join(out[f.start():out.find("\n", f.end())].split()) for f in found]
        return True, "\n".join(["caught " + head] + said), out
    if score == total:
        return False, "MISSED %s: full marks" % head, out
    lost = [r for r, f in zip(regexes, found) if not f]
    return False, "MISSED %s: no line matching %s" % (head, " or ".join(map(repr, lost))), out


def main():
    ap = argparse.ArgumentParser(description="Check that the grader catches each sloppy solution.")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--repeat", type=int, default=1, metavar="N", help="grade each patch N times")
    ap.add_argument("--tests", default="", metavar="NAMES", help="grade these tests instead")
    ap.add_argument("names", nargs="*", metavar="PATCH", help="patches to check (default: all)")
    args = ap.parse_args()
    table = {name: (tests, regexes) for name, tests, regexes in SLOPPY}
    on_disk = sorted(f[:-len(".patch")] for f in os.listdir(PATCHES) if f.endswith(".patch"))
    untabled = [n for n in on_disk if n not in table]
    if untabled:
        ap.error("patches with no row in SLOPPY: %s" % " ".join(untabled))
    unknown = [n for n in args.names if n not in table]
    if unknown:
        ap.error("no patch %s; patches: %s" % (" ".join(unknown), " ".join(table)))
    names = args.names or [n for n, _, _ in SLOPPY]

    start = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="calf-sloppy-")
    caught = missed = 0
    try:
        base = os.path.join(scratch, "base")
        copy_tree(base)
        ok, out = grade.build(base)
        if not ok:
            print("this tree does not build:\n" + grade.qemu.tail(out))
            return 1
        every = sorted({t for n in names for t in (args.tests.split(",") if args.tests else table[n][0])})
        score, total, out = run_grader(base, every, verbose=True)
        if score < total:
            print("FAILED: calf itself loses points on %s:\n    | %s"
                  % (" ".join(every), out.rstrip().replace("\n", "\n    | ")))
            return 1
        print("calf: %d/%d on %s" % (score, total, " ".join(every)), flush=True)
        for name in names:
            tests, regexes = table[name]
            if args.tests:
                tests = args.tests.split(",")
            try:
                tree = prepare(base, name, scratch)
            except CheckError as e:
                print("FAILED %s: %s" % (name, e), flush=True)
                missed += 1
                continue
            for _ in range(args.repeat):
                ok, verdict, out = check(tree, name, tests, regexes)
                print(verdict, flush=True)
                if not ok:
                    print("    | " + out.rstrip().replace("\n", "\n    | "), flush=True)
                caught, missed = caught + ok, missed + (not ok)
            if not args.keep:
                shutil.rmtree(tree)
    finally:
        if args.keep:
            print("scratch trees in %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print("%d caught, %d missed (%.0fs)" % (caught, missed, time.monotonic() - start))
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
