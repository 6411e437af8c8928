#!/usr/bin/env python3
"""Pack a lab submission: the student's changes against the starter, and time.txt.

    python3 test/handin.py [--lab NAME] [OUT]       (make handin)

Refuses (exit status 1, saying why) unless the tree builds (make all), time.txt
holds the whole number of hours the lab took, and the repository has the commit
tagged `starter` that the handout was made with. The changes are every
difference between the starter and the working tree, committed or not, new
files included (ignored files, such as build products, are not); they go into
OUT (default lab-NAME-handin.tar.gz) as NAME.patch beside time.txt, NAME being
the lab's (--lab, default cow; make handin passes the LAB of test/lab.mk). git
apply NAME.patch on a checkout of the starter gives the student's tree.
Standard library only.
"""

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STARTER = "starter"                     # the tag of the handout's one commit
TIME = "time.txt"


class Refused(Exception):
    """The tree cannot be handed in; the message says why and what to do."""


def git(*args, env=None):
    """Run git in ROOT; returns its output. Refused if it fails."""
    proc = subprocess.run(["git"] + list(args), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise Refused("git %s failed: %s" % (args[0], proc.stderr.decode(errors="replace").strip()))
    return proc.stdout


def check_time():
    """The contents of time.txt; Refused unless it is one whole number."""
    try:
        with open(os.path.join(ROOT, TIME)) as f:
            text = f.read()
    except OSError:
        raise Refused("no %s: write the hours the lab took, a whole number, into it" % TIME) from None
    if not re.fullmatch(r"\s*\d+\s*", text):
        raise Refused("%s must hold one whole number (the hours the lab took), not %r" % (TIME, text.strip()))
    return text.strip() + "\n"


def check_build():
    """Refused unless make all succeeds in the tree."""
    proc = subprocess.run(["make", "-s", "--no-print-directory", "all"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.decode(errors="replace").rstrip().split("\n")[-15:])
        raise Refused("the tree does not build (make all failed); fix it first:\n" + tail)


def changes(out):
    """The diff from the starter to the working tree, new files included (but not
    time.txt or the archive out), as bytes. Uses a scratch index, so the student's
    own index is left as it was."""
    with tempfile.TemporaryDirectory(prefix="calf-handin-") as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=os.path.join(tmp, "index"))
        git("read-tree", STARTER, env=env)
        git("add", "-A", "--", ".", ":!" + TIME, ":!" + out, env=env)
        return git("diff", "--cached", "--binary", STARTER, env=env)


def pack(out, patch_name, patch, hours):
    """Write the archive out holding patch as patch_name, and TIME."""
    with tarfile.open(out, "w:gz") as tar:
        for name, data in ((patch_name, patch), (TIME, hours.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))


def main():
    ap = argparse.ArgumentParser(description="Pack the lab's changes and time.txt for handing in.")
    ap.add_argument("--lab", default="cow", help="the lab's name (default %(default)s)")
    ap.add_argument("out", nargs="?", help="archive to write (default lab-LAB-handin.tar.gz)")
    args = ap.parse_args()
    if not re.fullmatch(r"[a-z]+", args.lab):
        ap.error("a lab's name is lower-case letters, not %r" % args.lab)
    args.out = args.out or "lab-%s-handin.tar.gz" % args.lab
    patch_name = args.lab + ".patch"
    out = os.path.join(ROOT, args.out)
    try:
        hours = check_time()
        try:
            git("rev-parse", "--verify", "-q", STARTER + "^{commit}")
        except Refused:
            raise Refused("no commit tagged %s here: run make handin in the lab's repository" % STARTER) from None
        check_build()
        patch = changes(os.path.relpath(out, ROOT))
    except Refused as e:
        print("handin: %s" % e, file=sys.stderr)
        return 1
    pack(out, patch_name, patch, hours)
    files = len(re.findall(rb"^diff --git ", patch, re.M))
    print("handin: wrote %s: %s (%d files changed) and %s" % (args.out, patch_name, files, TIME))
    if files == 0:
        print("handin: note: no changes against the starter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
