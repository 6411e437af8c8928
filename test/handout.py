#!/usr/bin/env python3
"""Write a lab's starter tree, and check that it is one.

    python3 test/handout.py [--lab NAME] OUT
                                       write the handout to directory OUT
    python3 test/handout.py [--lab NAME] --check
                                       build a handout in a scratch directory and
                                       check it: it is a git repository of one
                                       commit, its README is the students', no
                                       file holds the answer (check_no_answer),
                                       it builds, boots, passes usertests, fails
                                       the lab's tests, scores at most
                                       STARTER_MAX_PERCENT of the grader's
                                       total, and make handin packs a change
                                       (and refuses a tree that does not
                                       build); with kernel/ as calf has it (every
                                       fence filled in) it scores full marks, and
                                       so does this tree on the lab's tests

The labs (LABS), in the order a course gives them: cow (copy-on-write fork, the
default) and mmap (file mappings). kernel/ holds calf whole, every lab solved;
each lab's patch, test/labs/NAME.patch, takes its solution out again (and that
of any later lab) and leaves a LAB fence with a hint wherever students write
code. The handout is the repository's files (git ls-files, tracked and
untracked but not ignored: nothing built) with the lab's pieces taken out:

  - kernel/ gets the lab's patch (git apply): the starter. make COW=0 and
    make MMAP=0 build the same starters for staff (test/labs/starters.mk).
  - Staff-only files go: this script, the labs' patches, the benchmark and
    its results, the sloppy solutions.
  - In every text file, lines from one containing `staff-only{` through one
    containing `}staff-only` go (the Makefile's include of the starters'
    rules, test/lab.mk's handout targets, run_tests.py's handout-check row).
  - The lab's text (Lab.text) becomes LAB, the students' instructions, and
    test/student-README becomes README (this tree's README is the staff's),
    its @NAME@ words filled in for the lab (readme_for). test/lab.mk's LAB
    becomes the lab's, so that make grade and make handin serve it.
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

class Lab:
    """A lab: its name (make LAB=NAME; its patch is test/labs/NAME.patch), the file
    that becomes the handout's LAB, its test program (test/grade.py's
    suite), what the starter lacks in a line and how its memory comes in (the
    README says both), the names of the
    solution's own functions and data (none may occur in the handout: the interface
    students write to may), and how many distinctive solution lines it has at
    least (fewer: the patch does not take the solution out)."""

    def __init__(self, name, text, suite, lacks, memory, answer_names, min_lines):
        self.name, self.text, self.suite, self.lacks = name, text, suite, lacks
        self.patch = os.path.join(TEST, "labs", name + ".patch")
        self.memory = memory
        self.answer_names = re.compile(r"\b(%s)\b" % "|".join(answer_names))
        self.min_lines = min_lines


LABS = [
    Lab("cow", "test/handout-README", "cowtest", "its fork copies every page of the parent.",
        "Memory that sbrklazy gives, and a program's bss, comes in on first touch:\n"
        "a zeroed frame of its own (LAB, step 4, lets reads share one frame of\n"
        "zeros instead). A program's text and data come in on first touch too, as\n"
        "copies of the page cache's pages.",
        ["cow_reuse", "cow_copy", "zero_fill", "share_pages", "fork_private", "write_protect",
         "fork_share", "frame_refs", "frame_counts_by_pfn", "frame_ref_pte", "frame_unref_pte",
         "frame_release", "leaf_private", "leaf_table_own", "unshare", "unshare_edge", "pt_unshare",
         "pt_share_leaf", "zeroframe"], 50),
    Lab("mmap", "test/handout-mmap-README", "maptest",
        "mmap and munmap fail in it.",
        "Memory that sbrklazy gives, and a program's bss, comes in on first touch:\n"
        "a read maps a shared frame of zeros, a write a zeroed frame of its own.\n"
        "fork shares pages copy-on-write (COW in vmmap's flags). A program's text\n"
        "comes in on first touch too: the page cache's own frame, shared by every\n"
        "process that runs the program; its data copy-on-write over the cached page.",
        ["free_range", "prot_bits"], 15),
]
LAB_BY_NAME = {lab.name: lab for lab in LABS}

# Files that never go into the handout (fnmatch patterns, relative to ROOT).
STAFF_ONLY = ["test/handout.py", "test/handout-README", "test/handout-mmap-README", "test/student-README",
              "test/bench.py", "test/bench.mk", "test/bench-results.txt", "test/bench-fork.svg",
              "user/forkbench.c", "user/benchnop.c", "test/sloppy.py", "test/sloppy/*", "test/labs/*"]

STAFF_BEGIN, STAFF_END = "staff-only{", "}staff-only"   # lines between go, markers too

# What the students' README must not mention: staff tools and the solution's design.
STAFF_WORDS = re.compile(r"make bench|\bCOW=0|\bMMAP=0|make handout|handout-check|forkbench|\bcow_copy\b|"
                         r"\bcow_reuse\b|stack-page shortcut|\bcowctl\b")

# The handout's one commit, and who makes it.
STARTER = "starter"
STARTER_MAX_PERCENT = 40   # of the grader's total: what the untouched starter may score
GIT_IDENTITY = ["-c", "user.name=calf handout", "-c", "user.email=calf-handout@localhost"]

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


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


LAB_LINE = re.compile(r"^LAB \?= \w+$", re.M)   # test/lab.mk's choice of lab


def transform(path, text, lab):
    """The handout of lab's version of repository file path with contents text
    (kernel/ gets the lab's patch afterwards, whole: write_handout)."""
    if STAFF_BEGIN in text or STAFF_END in text:
        text = strip_staff(text, path)
    if path == "test/lab.mk":
        if len(LAB_LINE.findall(text)) != 1:
            raise HandoutError("test/lab.mk has no one line LAB ?= NAME")
        text = LAB_LINE.sub("LAB ?= " + lab.name, text)
    return text


README_WORDS = re.compile(r"@(LAB|LACKS|MEMORY|SUITE)@")


def readme_for(lab):
    """test/student-README with its @LAB@, @LACKS@, @MEMORY@ and @SUITE@ filled in
    for lab."""
    with open(os.path.join(TEST, "student-README")) as f:
        text = f.read()
    words = {"LAB": lab.name, "LACKS": lab.lacks, "MEMORY": lab.memory, "SUITE": lab.suite}
    return README_WORDS.sub(lambda m: words[m[1]], text)


def write_handout(out, lab, solved=False):
    """Write the handout tree of lab to directory out (created; must not hold
    files); solved: with kernel/ as calf has it, every LAB fence filled in."""
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
            new = transform(path, text, lab)
            if new != text:
                data = new.encode()
        with open(dst, "wb") as f:
            f.write(data)
        shutil.copymode(src, dst)
    shutil.copyfile(os.path.join(ROOT, lab.text), os.path.join(out, "LAB"))
    with open(os.path.join(out, "README"), "w") as f:
        f.write(readme_for(lab))
    make_repository(out, None if solved else lab.patch)


def make_repository(out, patch):
    """Make the tree at out a git repository whose one commit, STARTER, holds it all,
    tagged STARTER; patch (if not None) is applied to it first. HandoutError if the
    patch does not apply (it follows kernel/: remake it when kernel/ changes)."""
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=out, check=True, stdout=subprocess.DEVNULL)
    if patch:
        proc = subprocess.run(["git", "apply", patch], cwd=out, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise HandoutError("%s does not apply to kernel/:\n%s"
                               % (os.path.relpath(patch, ROOT), proc.stdout.decode(errors="replace")))
    for args in (["add", "-A"], GIT_IDENTITY + ["commit", "-q", "-m", STARTER], ["tag", STARTER]):
        subprocess.run(["git"] + args, cwd=out, check=True, stdout=subprocess.DEVNULL)


# --- the answer is not in the box ------------------------------------------------

ANSWER_MIN = 16   # a code line shorter than this (once blanks are squeezed) is too common to tell
HEADER = re.compile(r"^[\w\s*]*\b\w+\([\w\s*,]*\);?$")  # a function's name and parameters: the
                                                           # interface (names: Lab.answer_names)


def squeeze(line):
    """line with its comments gone and its runs of blanks made one space."""
    return " ".join(COMMENT.sub(" ", line).split())


def code_lines(text):
    """The squeezed lines of text with its comments gone."""
    return set(squeeze(ln) for ln in COMMENT.sub(lambda c: "\n" * c[0].count("\n"), text).split("\n"))


def answer_lines(lab, starter):
    """The solution's distinctive lines: code lines of calf's kernel that the lab's
    starter (the handout at starter) does not have, that occur in no other source
    file (the user programs and tools go to students whole), squeezed."""
    solution, rest, others = set(), set(), []
    for path in repo_files():
        if not path.endswith((".c", ".h", ".S")):
            continue
        with open(os.path.join(ROOT, path)) as f:
            text = f.read()
        if path.startswith("kernel/"):
            solution |= code_lines(text)
            given = os.path.join(starter, path)
            if os.path.exists(given):
                with open(given) as f:
                    rest |= code_lines(f.read())
        else:
            others.append(" ".join(text.split()))
    solution -= rest
    solution -= set(ln for ln in solution if any(ln in flat for flat in others))
    return sorted(ln for ln in solution if len(ln) >= ANSWER_MIN and not HEADER.match(ln))


def check_no_answer(out, lab):
    """Problems if any text file of the handout of lab at out holds one of the
    solution's distinctive lines (answer_lines) or names (Lab.answer_names)."""
    lines, problems = answer_lines(lab, out), []
    if len(lines) < lab.min_lines:
        problems.append("only %d distinctive lines of the solution are missing from the starter: "
                        "does %s take the solution out?" % (len(lines), os.path.relpath(lab.patch, ROOT)))
    for path in sorted(p for p in git_out(out, "ls-files").split("\n") if p):
        try:
            with open(os.path.join(out, path)) as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        names = sorted(set(m[1] for m in lab.answer_names.finditer(text)))
        if names:
            problems.append("the handout's %s names the solution's %s" % (path, ", ".join(names)))
        flat = " ".join(text.split())
        found = [ln for ln in lines if ln in flat]
        if found:
            problems.append("the handout's %s holds %d line(s) of the solution, such as: %s"
                            % (path, len(found), found[0]))
    return problems


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


def archive_of(lab):
    """The name of the archive make handin writes for lab."""
    return "lab-%s-handin.tar.gz" % lab.name


def handin(out, lab):
    """Run make handin in the handout of lab at out with a fresh archive; returns (exit
    status, output, {member: bytes} of the archive or None if none was written)."""
    archive = os.path.join(out, archive_of(lab))
    if os.path.exists(archive):
        os.unlink(archive)
    proc = subprocess.run(["make", "-s", "--no-print-directory", "handin"], cwd=out,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    members = None
    if os.path.exists(archive):
        with tarfile.open(archive) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return proc.returncode, proc.stdout.decode(errors="replace"), members


def check_handin(out, lab, tmp):
    """Problems with make handin in the handout at out, as a student uses it: with a
    change to a kernel file, a new file and time.txt it packs a patch that applies to
    the starter and gives the changed tree; without time.txt, or with a tree that
    does not build, it refuses. Leaves the handout as it found it."""
    problems, patch_name = [], lab.name + ".patch"
    cow = os.path.join(out, "kernel", "mem", "cow.c")
    with open(cow) as f:
        original = f.read()
    try:
        status, text, members = handin(out, lab)
        if status == 0 or members is not None:
            problems.append("make handin without time.txt did not refuse:\n" + text)
        with open(cow, "a") as f:
            f.write("/* a student's change */\n")
        with open(os.path.join(out, "NOTES"), "w") as f:
            f.write("a student's new file\n")
        with open(os.path.join(out, "time.txt"), "w") as f:
            f.write("7\n")
        status, text, members = handin(out, lab)
        if status != 0 or members is None:
            problems.append("make handin failed:\n" + text)
        elif sorted(members) != [patch_name, "time.txt"] or members["time.txt"] != b"7\n":
            problems.append("make handin packed %s, want %s and time.txt holding 7"
                            % (sorted(members), patch_name))
        else:
            clone = os.path.join(tmp, "applied")
            subprocess.run(["git", "clone", "-q", out, clone], check=True)
            patch = os.path.join(tmp, patch_name)
            with open(patch, "wb") as f:
                f.write(members[patch_name])
            applied = subprocess.run(["git", "apply", patch], cwd=clone, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
            if applied.returncode != 0 or not os.path.exists(os.path.join(clone, "NOTES")) or \
                    open(os.path.join(clone, "kernel", "mem", "cow.c")).read() != open(cow).read():
                problems.append("make handin's patch does not give the student's tree on the starter: %s"
                                % applied.stdout.decode(errors="replace"))
        with open(cow, "a") as f:
            f.write("#error a student's tree that does not build\n")
        status, text, members = handin(out, lab)
        if status == 0 or members is not None or "does not build" not in text:
            problems.append("make handin of a tree that does not build did not refuse:\n" + text)
    finally:
        with open(cow, "w") as f:
            f.write(original)
        for name in ("NOTES", "time.txt", archive_of(lab)):
            if os.path.exists(os.path.join(out, name)):
                os.unlink(os.path.join(out, name))
    return problems


def check_solved(out, lab):
    """Problems with the handout of lab written to out with kernel/ as calf has it,
    every LAB fence filled in: it must build and score full marks (the rest of the
    handout, grader and all, serves a finished lab)."""
    write_handout(out, lab, solved=True)
    proc = subprocess.run(["make", "-s", "-j%d" % (os.cpu_count() or 2), "all"], cwd=out,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        return ["the handout with its fences filled in does not build:\n" +
                proc.stdout.decode(errors="replace")[-3000:]]
    status, score, total, text = grade(["--lab", lab.name, "--tree", out], "handout, fences filled in")
    if status != 0 or total == 0 or score != total:
        return ["the handout with its fences filled in scores %d/%d, want full marks" % (score, total)]
    return []


def check(lab):
    """Build lab's handout, check it and grade it and this tree; returns the list of
    problems."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="calf-handout-") as tmp:
        out = os.path.join(tmp, "lab")
        start = time.monotonic()
        write_handout(out, lab)
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
        problems += check_no_answer(out, lab)
        status, score, total, text = grade(["--lab", lab.name, "--tree", out], "handout")
        if total == 0 or score * 100 > STARTER_MAX_PERCENT * total:
            problems.append("the handout scores %d/%d, want at most %d%%"
                            % (score, total, STARTER_MAX_PERCENT))
        if not re.search(r"^usertests -q: OK", text, re.M):
            problems.append("the handout fails usertests -q")
        if not re.search(r"^%s: all passed: FAIL" % lab.suite, text, re.M):
            problems.append("the handout passes %s" % lab.suite)
        tests = re.findall(r"^%s: (?!all passed:)\S+: (OK|FAIL)" % lab.suite, text, re.M)
        if not tests or tests.count("FAIL") * 3 < len(tests):
            problems.append("the handout fails %d of %d %s tests, want at least a third"
                            % (tests.count("FAIL"), len(tests), lab.suite))
        start = time.monotonic()
        problems += check_handin(out, lab, tmp)
        print("make handin checked in %.1fs" % (time.monotonic() - start), flush=True)
        problems += check_solved(os.path.join(tmp, "solved"), lab)
    status, score, total, text = grade(["--lab", lab.name, "--only", lab.suite], "calf")
    if status != 0 or total == 0 or score != total:
        problems.append("calf scores %d/%d on %s, want full marks" % (score, total, lab.suite))
    return problems


def main():
    ap = argparse.ArgumentParser(description="Write or check a lab's handout.")
    ap.add_argument("--lab", default=LABS[0].name, choices=list(LAB_BY_NAME),
                    help="the lab (default %(default)s)")
    ap.add_argument("out", nargs="?", help="directory to write the handout to")
    ap.add_argument("--check", action="store_true",
                    help="build a handout in a scratch directory and check it")
    args = ap.parse_args()
    if args.check == bool(args.out):
        ap.error("give either OUT or --check")
    try:
        if args.out:
            write_handout(os.path.abspath(args.out), LAB_BY_NAME[args.lab])
            print("handout written to %s" % args.out)
            return 0
        start = time.monotonic()
        problems = check(LAB_BY_NAME[args.lab])
    except HandoutError as e:
        print("handout: %s" % e)
        return 1
    for p in problems:
        print("handout check: " + p)
    print("handout check: %s in %.0fs" % ("FAILED" if problems else "ok", time.monotonic() - start))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
