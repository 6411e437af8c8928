#!/usr/bin/env python3
"""Write the copy-on-write lab's starter tree, and check that it is one.

    python3 test/handout.py OUT        write the handout to directory OUT
    python3 test/handout.py --check    build a handout in a scratch directory and
                                       check it: it is a git repository of one
                                       commit, its README is the students', no
                                       file holds the answer (check_no_answer),
                                       it builds, boots, passes usertests, fails
                                       the COW tests, scores at most
                                       STARTER_MAX_PERCENT of the grader's
                                       total, and make handin packs a change
                                       (and refuses a tree that does not
                                       build); with every fence filled in from
                                       calf's code it scores full marks, and so
                                       does this tree on cowtest

The handout is the repository's files (git ls-files, tracked and untracked but
not ignored: nothing built) with the copy-on-write pieces taken out:

  - In kernel/*, every `#if COW` ... [`#else` ...] `#endif` block keeps only its
    #else part (or nothing). A block whose #if line ends in a hint,
    `#if COW /* LAB cow: HINT */`, is a place where students write code: its
    #else part is fenced by LAB comments that carry the hint. A block without
    a hint is the solution's machinery beyond the lab (shared page tables,
    file pages mapped from the page cache) or its commentary: it goes without
    a trace. The COW variable of the Makefile then changes nothing: the
    handout is calf built with COW=0.
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
              "user/forkbench.c", "user/benchnop.c"]

STAFF_BEGIN, STAFF_END = "staff-only{", "}staff-only"   # lines between go, markers too

# What the students' README must not mention: staff tools and the solution's design.
STAFF_WORDS = re.compile(r"make bench|\bCOW=0|make handout|handout-check|forkbench|\bcow_copy\b|"
                         r"\bcow_reuse\b|stack-page shortcut|\bcowctl\b")

# The handout's one commit, and who makes it.
STARTER = "starter"
STARTER_MAX_PERCENT = 40   # of the grader's total: what the untouched starter may score
GIT_IDENTITY = ["-c", "user.name=calf handout", "-c", "user.email=calf-handout@localhost"]

FENCE_OPEN = "/* ===== LAB cow: %s ===== */"
FENCE_CLOSE = "/* ===== end of LAB cow ===== */"

IF_COW = re.compile(r"^\s*#\s*if\s+COW\s*(/\*\s*(?P<hint>.*?)\s*\*/\s*)?$")
LAB_HINT = re.compile(r"^LAB cow:\s*(?P<text>.+)$")
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


def strip_cow(text, name, solved=False):
    """text with each `#if COW` block replaced by its #else part, fenced with the
    block's hint if it has one (see the top of the file). solved: a block with a
    hint keeps its #if part instead, unfenced (a student's finished lab).

    Raises HandoutError on a block it cannot read (#elif, no #endif) or when code
    outside comments would still name COW (#ifdef COW, #if !COW, if (COW))."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        opening = IF_COW.match(lines[i])
        if not opening:
            out.append(lines[i])
            i += 1
            continue
        comment = opening["hint"] or ""
        hint = LAB_HINT.match(comment)
        if comment and not hint:
            raise HandoutError("%s:%d: the comment on #if COW is not a hint (LAB cow: ...)"
                               % (name, i + 1))
        start, depth, keep, solution, else_seen = i, 0, [], [], False
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
            (keep if else_seen else solution).append(line)
            i += 1
        i += 1
        if hint and solved:
            out.extend(solution)
            continue
        if not hint:
            out.extend(keep)
            if not keep and out and not out[-1].strip() and i < len(lines) and not lines[i].strip():
                i += 1  # no second blank line where the block was
            continue
        sample = next((ln for ln in (keep or lines[start + 1:i - 1]) if ln.strip()), "")
        indent = re.match(r"\s*", sample)[0]
        out.append(indent + FENCE_OPEN % hint["text"])
        out.extend(keep)
        out.append(indent + FENCE_CLOSE)
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


def transform(path, text, solved=False):
    """The handout's version of repository file path with contents text (solved: as
    a student who finished the lab would have it)."""
    if STAFF_BEGIN in text or STAFF_END in text:
        text = strip_staff(text, path)
    if path.startswith("kernel/") and path.endswith((".c", ".h", ".S")):
        text = strip_cow(text, path, solved)
    return text


def write_handout(out, solved=False):
    """Write the handout tree to directory out (created; must not hold files);
    solved: with the code of every LAB fence filled in from calf's."""
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
            new = transform(path, text, solved)
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


# --- the answer is not in the box ------------------------------------------------

# Names of the solution's own functions and data: none may occur in the handout
# (the interface students write to, frame_ref, frame_is_last, page_write and the
# counters the tests read, may).
ANSWER_NAMES = re.compile(r"\b(cow_reuse|cow_copy|zero_fill|share_pages|fork_private|write_protect|"
                          r"fork_share|frame_refs|frame_counts_by_pfn|frame_ref_pte|frame_unref_pte|"
                          r"frame_release|leaf_private|leaf_table_own|unshare|unshare_edge|"
                          r"pt_unshare|pt_share_leaf|zeroframe)\b")
ANSWER_MIN = 16   # a code line shorter than this (once blanks are squeezed) is too common to tell
HEADER = re.compile(r"^[\w\s*]*\b\w+\([\w\s*,]*\);?$")  # a function's name and parameters: the
                                                           # interface (names: ANSWER_NAMES)


def squeeze(line):
    """line with its comments gone and its runs of blanks made one space."""
    return " ".join(COMMENT.sub(" ", line).split())


def cow_parts(text):
    """(solution, rest): the squeezed lines of text's `#if COW` parts, and of
    everything else (#else parts included)."""
    solution, rest, stack = set(), set(), []   # stack: for each open #if, "cow", "else" or None
    code = COMMENT.sub(lambda c: "\n" * c[0].count("\n"), text)
    for line in code.split("\n"):
        if IF_COW.match(line):
            stack.append("cow")
            continue
        if IF_ANY.match(line):
            stack.append(None)
        elif ELSE.match(line) and stack and stack[-1] == "cow":
            stack[-1] = "else"
            continue
        elif ENDIF.match(line) and stack:
            if stack.pop() is not None:
                continue
        (solution if "cow" in stack else rest).add(squeeze(line))
    return solution, rest


def answer_lines():
    """The solution's distinctive lines: code lines of the kernel's `#if COW`
    parts that occur nowhere else in the kernel, squeezed."""
    solution, rest = set(), set()
    for path in repo_files():
        if path.startswith("kernel/") and path.endswith((".c", ".h", ".S")):
            with open(os.path.join(ROOT, path)) as f:
                cow, other = cow_parts(f.read())
            solution |= cow
            rest |= other
    return sorted(ln for ln in solution - rest if len(ln) >= ANSWER_MIN and not HEADER.match(ln))


def check_no_answer(out):
    """Problems if any text file of the handout at out holds one of the solution's
    distinctive lines (answer_lines) or names (ANSWER_NAMES)."""
    lines, problems = answer_lines(), []
    if len(lines) < 50:
        problems.append("only %d distinctive lines found in the #if COW parts: is the "
                        "solution fenced?" % len(lines))
    for path in sorted(p for p in git_out(out, "ls-files").split("\n") if p):
        try:
            with open(os.path.join(out, path)) as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        names = sorted(set(m[1] for m in ANSWER_NAMES.finditer(text)))
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


def check_solved(out):
    """Problems with the handout written to out with every LAB fence filled in from
    calf's own code: it must build and score full marks (the fences are enough to
    finish the lab, and none is missing)."""
    write_handout(out, solved=True)
    proc = subprocess.run(["make", "-s", "-j%d" % (os.cpu_count() or 2), "all"], cwd=out,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        return ["the handout with its fences filled in does not build:\n" +
                proc.stdout.decode(errors="replace")[-3000:]]
    status, score, total, text = grade(["--tree", out], "handout, fences filled in")
    if status != 0 or total == 0 or score != total:
        return ["the handout with its fences filled in scores %d/%d, want full marks" % (score, total)]
    return []


def check():
    """Build a handout, check it and grade it and this tree; returns the list of problems."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="calf-handout-") as tmp:
        out = os.path.join(tmp, "lab")
        start = time.monotonic()
        write_handout(out)
        left = [p for p in STAFF_ONLY if os.path.exists(os.path.join(out, p))]
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
        problems += check_no_answer(out)
        status, score, total, text = grade(["--tree", out], "handout")
        if total == 0 or score * 100 > STARTER_MAX_PERCENT * total:
            problems.append("the handout scores %d/%d, want at most %d%%"
                            % (score, total, STARTER_MAX_PERCENT))
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
        problems += check_solved(os.path.join(tmp, "solved"))
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
