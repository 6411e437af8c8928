#!/usr/bin/env python3
"""Staff only: carry the labs' patches over to a changed kernel/.

    python3 test/labs/remake.py [--from REV] [--theirs] [LAB...]

A lab's patch (test/labs/LAB.patch) turns kernel/ into the lab's starter.
When kernel/ changes where a patch touches it, the patch no longer applies.
This script takes kernel/ as it was at REV (default HEAD), where the patch
applied, makes the old starter from it, and merges, file by file, what the
patch did there into kernel/ as it is now (git merge-file: the starter's
lines carried over to the new code). The patch is then written again from
kernel/ to the new starter, its header (the text before the first `diff
--git`) kept, and checked to apply.

A file that does not merge cleanly is left, with conflict markers, in a
scratch directory the script names, and the patch is not written: resolve
the file there by hand and write the patch from it (git diff --no-index
kernel DIR/kernel), or change the patch by hand. With --theirs each
conflict takes the starter's side, which is right where the starter only
takes code out; a name kernel/ changed inside such a side stays as the old
starter had it, so build the starters after (make COW=0, make MMAP=0).

Exits 0 when every patch named (default: all) applies to kernel/ now.
Standard library and git only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

LABS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(LABS_DIR))


def run(args, cwd, check=True):
    """Run args in cwd; returns the completed process (output captured)."""
    return subprocess.run(args, cwd=cwd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def applies(patch, tree):
    """Does patch apply to the kernel/ in tree (ROOT, or a scratch tree outside any
    repository, where git apply works as patch does)?"""
    return run(["git", "apply", "--check", patch], tree, check=False).returncode == 0


def touched(patch):
    """The paths patch changes."""
    with open(patch) as f:
        return [ln.split()[2][2:] for ln in f if ln.startswith("diff --git ")]


def header(patch):
    """The patch's text before its first diff."""
    with open(patch) as f:
        text = f.read()
    return text[:text.index("diff --git ")]


def remake(lab, rev, scratch, theirs=False):
    """Write lab's patch anew against kernel/; returns a list of problems."""
    patch = os.path.join(LABS_DIR, lab + ".patch")
    if applies(patch, ROOT):
        return []
    base = os.path.join(scratch, lab, "base")
    old = os.path.join(scratch, lab, "old-starter")
    cur = os.path.join(scratch, lab, "kernel-now")
    new = os.path.join(scratch, lab, "new-starter")
    for tree in (base, cur, new):
        os.makedirs(tree)
    run(["sh", "-c", "git archive %s kernel | tar -x -C %s" % (rev, base)], ROOT)
    shutil.copytree(base, old)
    if not applies(patch, old):
        return ["%s.patch applies neither to kernel/ nor to kernel/ at %s" % (lab, rev)]
    run(["git", "apply", patch], old)
    for tree in (cur, new):   # kernel/'s sources, nothing built
        run(["sh", "-c", "git ls-files --cached --others --exclude-standard kernel | tar -c -T - | "
             "tar -x -C %s" % tree], ROOT)
    problems = []
    for path in touched(patch):
        merged = run(["git", "merge-file", "-p"] + (["--theirs"] if theirs else []) +
                     [os.path.join(ROOT, path), os.path.join(base, path), os.path.join(old, path)],
                     ROOT, check=False)
        with open(os.path.join(new, path), "wb") as f:
            f.write(merged.stdout)
        if merged.returncode != 0:
            problems.append("%s: %s does not merge; see %s" % (lab, path, os.path.join(new, path)))
    if problems:
        return problems
    diff = run(["git", "diff", "--no-index", "--src-prefix=a/", "--dst-prefix=b/", "kernel-now/kernel",
                "new-starter/kernel"], os.path.join(scratch, lab), check=False).stdout.decode()
    diff = diff.replace("a/kernel-now/kernel/", "a/kernel/").replace("b/new-starter/kernel/", "b/kernel/")
    diff = "".join(ln for ln in diff.splitlines(keepends=True) if not ln.startswith("index "))
    head = header(patch)  # read before the file is opened for writing
    with open(patch, "w") as f:
        f.write(head + diff)
    if not applies(patch, ROOT):
        return ["%s.patch was written but does not apply" % lab]
    print("remake: %s.patch written anew" % lab)
    return []


def main():
    ap = argparse.ArgumentParser(description="Carry the labs' patches over to a changed kernel/.")
    ap.add_argument("--from", dest="rev", default="HEAD", help="a commit where the patches applied")
    ap.add_argument("--theirs", action="store_true", help="resolve conflicts with the starter's side")
    ap.add_argument("labs", nargs="*", default=["cow", "mmap"])
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="calf-remake-")
    problems = []
    for lab in args.labs:
        problems += remake(lab, args.rev, scratch, args.theirs)
    for p in problems:
        print("remake: " + p)
    if not problems:
        shutil.rmtree(scratch)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
