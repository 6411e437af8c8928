#!/usr/bin/env python3
"""Write the copy-on-write lab's starter tree, and check that it is one.

    python3 test/handout.py OUT        write the handout to directory OUT
    python3 test/handout.py --check    build a handout in a scratch directory and
                                       check it: it is a git repository of one
                                       commit, its README is the students', it
                                       builds, boots, passes usertests, fails
                                       the COW tests, and make handin packs a
                                       change (and refuses a tree that does not
                                       build), while this tree scores full marks

The handout is the repository's files (git ls-files, tracked and untracked but
not ignored: nothing built) with the copy-on-write pieces taken out:

  - In kernel/*, every `#if COW` ... [`#else` ...] `#endif` block keeps only its
    #else part (or nothing), fenced by LAB comments that mark where students
    write their code. The COW variable of the Makefile then changes nothing.
  - Staff-only files go: this script, the benchmark and its results.
  - In every text file, lines from one containing `staff-only{` through one
    containing `}staff-only` go (test/lab.mk's handout targets, run_tests.py's
    handout-check row).
  - test/handout-README becomes LAB, the students' instructions, and
    test/student-README becomes README (this tree's README is the staff's).
  - The result is a git repository with one commit, "starter", tagged starter:
    make handin packs the students' changes against it.
Standard library only.
"""

import argparse
import fnmatch
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

TEST = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TEST)

# Files that never go into the handout (fnmatch patterns, relative to ROOT).
STAFF_ONLY = ["test/handout.py", "test/handout-README", "test/student-README",
              "test/bench.py", "test/bench.mk", "test/bench-results.txt",
              "user/forkbench.c", "user/benchnop.c", "test/sloppy.py", "test/sloppy/*"]

STAFF_BEGIN, STAFF_END = "staff-only{", "}staff-only"   # lines between go, markers too

# What the students' README must not mention: staff tools and the solution's design.
STAFF_WORDS = re.compile(r"make bench|\bCOW=0|make handout|handout-check|forkbench|\bcow_copy\b|"
                         r"\bcow_reuse\b|stack-page shortcut|\bcowctl\b")

# The handout's one commit, and who makes it.
STARTER = "starter"
GIT_IDENTITY = ["-c", "user.name=calf handout", "-c", "user.email=calf-handout@localhost"]

FENCE_OPEN = ("/* ===== LAB cow: your code here. The starter copies eagerly; "
              "make fork share pages copy-on-write. ===== */")
FENCE_CLOSE = "/* ===== end of LAB cow ===== */"

IF_COW = re.compile(r"^\s*#\s*if\s+COW\s*(/\*.*\*/\s*)?$")
IF_ANY = re.compile(r"^\s*#\s*if(n?def)?\b")
ELSE = re.compile(r"^\s*#\s*else\b")
ELIF = re.compile(r"^\s*#\s*elif\b")
ENDIF = re.compile(r"^\s*#\s*endif\b")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
COW_WORD = re.compile(r"\bCOW\b")


class HandoutError(Exception):
    """The repository cannot be turned into a handout (the message says why)."""


# --- writing a handout --------------------------------------------------------

def repo_files():
    """Paths (relative to ROOT) of the repository's files that exist, nothing built or ignored."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout.decode()
    paths = sorted(set(p for p in out.split("\0") if p))
    return [p for p in paths if os.path.isfile(os.path.join(ROOT, p))]


def staff_only(path):
    """True if path must not go into the handout."""
    return any(fnmatch.fnmatchcase(path, pat) for pat in STAFF_ONLY)


def strip_cow(text, name):
    """text with each `#if COW` block replaced by its fenced #else part.

    Raises HandoutError on a block it cannot read (#elif, no #endif) or when code
    outside comments would still name COW (#ifdef COW, #if !COW, if (COW))."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        if not IF_COW.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        start, depth, keep, else_seen = i, 0, [], False
        i += 1
        while True:
            if i == len(lines):
                raise HandoutError("%s:%d: #if COW without #endif" % (name, start + 1))
            line = lines[i]
            if IF_ANY.match(line):
                depth += 1
            elif ENDIF.match(line):
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and ELIF.match(line):
                raise HandoutError("%s:%d: #elif in an #if COW block" % (name, i + 1))
            elif depth == 0 and ELSE.match(line):
                else_seen = True
                i += 1
                continue
            if else_seen:
                keep.append(line)
            i += 1
        sample = next((ln for ln in (keep or lines[start + 1:i]) if ln.strip()), "")
        indent = re.match(r"\s*", sample)[0]
        out.append(indent + FENCE_OPEN)
        out.extend(keep)
        out.append(indent + FENCE_CLOSE)
        i += 1
    text = "\n".join(out)
    code = COMMENT.sub(lambda c: "\n" * c[0].count("\n"), text)
    left = COW_WORD.search(code)
    if left:
        line = code.count("\n", 0, left.start()) + 1
        raise HandoutError("%s:%d: COW in code the handout cannot strip: %s"
                           % (name, line, code.split("\n")[line - 1].strip()))
    return text


def strip_staff(text, name):
    """text without its staff-only{ ... }staff-only blocks; HandoutError if unbalanced."""
    kept, inside = [], None
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        if STAFF_BEGIN in line:
            if inside:
                raise HandoutError("%s:%d: %s inside the block of line %d" % (name, n, STAFF_BEGIN, inside))
            inside = n
        elif STAFF_END in line:
            if not inside:
                raise HandoutError("%s:%d: %s without %s" % (name, n, STAFF_END, STAFF_BEGIN))
            inside = None
        elif not inside:
            kept.append(line)
    if inside:
        raise HandoutError("%s:%d: %s never closed" % (name, inside, STAFF_BEGIN))
    return "".join(kept)


def transform(path, text):
    """The handout's version of repository file path with contents text."""
    if STAFF_BEGIN in text or STAFF_END in text:
        text = strip_staff(text, path)
    if path.startswith("kernel/") and path.endswith((".c", ".h", ".S")):
        text = strip_cow(text, path)
    return text


def write_handout(out):
    """Write the handout tree to directory out (created; must not hold files)."""
    if os.path.isdir(out) and os.listdir(out):
        raise HandoutError("%s exists and is not empty" % out)
    for path in repo_files():
        if staff_only(path):
            continue
        src, dst = os.path.join(ROOT, path), os.path.join(out, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(src, "rb") as f:
            data = f.read()
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = None
        if text is not None:
            new = transform(path, text)
            if new != text:
                data = new.encode()
        with open(dst, "wb") as f:
            f.write(data)
        shutil.copymode(src, dst)
    shutil.copyfile(os.path.join(TEST, "handout-README"), os.path.join(out, "LAB"))
    shutil.copyfile(os.path.join(TEST, "student-README"), os.path.join(out, "README"))
    make_repository(out)


def make_repository(out):
    """Make the tree at out a git repository whose one commit, STARTER, holds it all,
    tagged STARTER."""
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 GIT_IDENTITY + ["commit", "-q", "-m", STARTER], ["tag", STARTER]):
        subprocess.run(["git"] + args, cwd=out, check=True, stdout=subprocess.DEVNULL)


# --- checking a handout ----------------------------------------------------------

def grade(args, what):
    """Run test/grade.py with args, print its output indented and what (the name of the
    tree) with the score. Returns (exit status, score, total, output)."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, os.path.join(TEST, "grade.py")] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.decode(errors="replace")
    print("  " + out.rstrip("\n").replace("\n", "\n  "))
    m = re.search(r"^Score: (\d+)/(\d+)$", out, re.M)
    score, total = (int(m[1]), int(m[2])) if m else (0, 0)
    print("%s: %d/%d in %.0fs" % (what, score, total, time.monotonic() - start), flush=True)
    return proc.returncode, score, total, out


def git_out(tree, *args):
    """The output of git args in tree, stripped ("" if git fails)."""
    proc = subprocess.run(["git"] + list(args), cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else ""


def check_repository(out):
    """Problems with the handout at out as a git repository (after a build): it must
    have one commit, STARTER, tagged so, and nothing built may show as a change."""
    problems = []
    subjects = git_out(out, "log", "--format=%s").split("\n")
    if subjects != [STARTER]:
        problems.append("the handout's history is %s, want one commit %r" % (subjects, STARTER))
    if not git_out(out, "rev-parse", "HEAD") or \
            git_out(out, "rev-parse", "HEAD") != git_out(out, "rev-parse", STARTER + "^{commit}"):
        problems.append("the handout's commit is not tagged %s" % STARTER)
    dirty = git_out(out, "status", "--porcelain")
    if dirty:
        problems.append("a build leaves changes git sees in the handout:\n" + dirty)
    return problems


def check_readme(out):
    """Problems with the handout's README: it must be the students', with no staff tools
    and nothing of the solution's design."""
    with open(os.path.join(out, "README")) as f:
        text = f.read()
    found = sorted(set(m[0] for m in STAFF_WORDS.finditer(text)))
    problems = ["the handout's README mentions %s" % found] if found else []
    if "make handin" not in text or "make grade" not in text:
        problems.append("the handout's README does not explain make grade and make handin")
    return problems


def handin(out):
    """Run make handin in the handout at out with a fresh archive; returns (exit status,
    output, {member: bytes} of the archive or None if none was written)."""
    archive = os.path.join(out, "lab-cow-handin.tar.gz")
    if os.path.exists(archive):
        os.unlink(archive)
    proc = subprocess.run(["make", "-s", "--no-print-directory", "handin"], cwd=out,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    members = None
    if os.path.exists(archive):
        with tarfile.open(archive) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return proc.returncode, proc.stdout.decode(errors="replace"), members


def check_handin(out, tmp):
    """Problems with make handin in the handout at out, as a student uses it: with a
    change to a kernel file, a new file and time.txt it packs a patch that applies to
    the starter and gives the changed tree; without time.txt, or with a tree that
    does not build, it refuses. Leaves the handout as it found it."""
    problems = []
    cow = os.path.join(out, "kernel", "cow.c")
    with open(cow) as f:
        original = f.read()
    try:
        status, text, members = handin(out)
        if status == 0 or members is not None:
            problems.append("make handin without time.txt did not refuse:\n" + text)
        with open(cow, "a") as f:
            f.write("/* a student's change */\n")
        with open(os.path.join(out, "NOTES"), "w") as f:
            f.write("a student's new file\n")
        with open(os.path.join(out, "time.txt"), "w") as f:
            f.write("7\n")
        status, text, members = handin(out)
        if status != 0 or members is None:
            problems.append("make handin failed:\n" + text)
        elif sorted(members) != ["cow.patch", "time.txt"] or members["time.txt"] != b"7\n":
            problems.append("make handin packed %s, want cow.patch and time.txt holding 7" % sorted(members))
        else:
            clone = os.path.join(tmp, "applied")
            subprocess.run(["git", "clone", "-q", out, clone], check=True)
            patch = os.path.join(tmp, "cow.patch")
            with open(patch, "wb") as f:
                f.write(members["cow.patch"])
            applied = subprocess.run(["git", "apply", patch], cwd=clone, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
            if applied.returncode != 0 or not os.path.exists(os.path.join(clone, "NOTES")) or \
                    open(os.path.join(clone, "kernel", "cow.c")).read() != open(cow).read():
                problems.append("make handin's patch does not give the student's tree on the starter: %s"
                                % applied.stdout.decode(errors="replace"))
        with open(cow, "a") as f:
            f.write("#error a student's tree that does not build\n")
        status, text, members = handin(out)
        if status == 0 or members is not None or "does not build" not in text:
            problems.append("make handin of a tree that does not build did not refuse:\n" + text)
    finally:
        with open(cow, "w") as f:
            f.write(original)
        for name in ("NOTES", "time.txt", "lab-cow-handin.tar.gz"):
            if os.path.exists(os.path.join(out, name)):
                os.unlink(os.path.join(out, name))
    return problems


def check():
    """Build a handout, check it and grade it and this tree; returns the list of problems."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="calf-handout-") as tmp:
        out = os.path.join(tmp, "lab")
        start = time.monotonic()
        write_handout(out)
        left = [p for pat in STAFF_ONLY for p in glob.glob(pat, root_dir=out)]
        if left:
            problems.append("staff-only files in the handout: %s" % left)
        problems += check_readme(out)
        print("handout written in %.1fs" % (time.monotonic() - start), flush=True)
        start = time.monotonic()
        proc = subprocess.run(["make", "-s", "-j%d" % (os.cpu_count() or 2), "all"], cwd=out,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print("handout built in %.1fs" % (time.monotonic() - start), flush=True)
        if proc.returncode != 0:
            problems.append("make in the handout failed:\n" + proc.stdout.decode(errors="replace")[-3000:])
            return problems
        problems += check_repository(out)
        status, score, total, text = grade(["--tree", out, "--only", "cowtest,usertests"], "handout")
        if not re.search(r"^usertests -q: OK", text, re.M):
            problems.append("the handout fails usertests -q")
        if not re.search(r"^cowtest: all passed: FAIL", text, re.M):
            problems.append("the handout passes cowtest")
        tests = re.findall(r"^cowtest: (?!all passed:)\S+: (OK|FAIL)", text, re.M)
        if not tests or tests.count("FAIL") * 3 < len(tests):
            problems.append("the handout fails %d of %d cowtest tests, want at least a third"
                            % (tests.count("FAIL"), len(tests)))
        start = time.monotonic()
        problems += check_handin(out, tmp)
        print("make handin checked in %.1fs" % (time.monotonic() - start), flush=True)
    status, score, total, text = grade(["--only", "cowtest"], "calf")
    if status != 0 or total == 0 or score != total:
        problems.append("calf scores %d/%d on cowtest, want full marks" % (score, total))
    return problems


def main():
    ap = argparse.ArgumentParser(description="Write or check the copy-on-write lab handout.")
    ap.add_argument("out", nargs="?", help="directory to write the handout to")
    ap.add_argument("--check", action="store_true",
                    help="build a handout in a scratch directory and check it")
    args = ap.parse_args()
    if args.check == bool(args.out):
        ap.error("give either OUT or --check")
    try:
        if args.out:
            write_handout(os.path.abspath(args.out))
            print("handout written to %s" % args.out)
            return 0
        start = time.monotonic()
        problems = check()
    except HandoutError as e:
        print("handout: %s" % e)
        return 1
    for p in problems:
        print("handout check: " + p)
    print("handout check: %s in %.0fs" % ("FAILED" if problems else "ok", time.monotonic() - start))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
