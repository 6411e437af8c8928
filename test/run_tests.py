#!/usr/bin/env python3
"""calf: run every test in order: host unit tests, the boot matrix, interactive
shell checks, scripted programs, the lab. Prints one line per test (PASS, FAIL,
or SKIP for a test whose inputs are absent, counted neither way) and, last,
exactly one line `N passed, M failed`; exits 1 if any test failed.

    python3 test/run_tests.py [--only SUBSTRING] [--list]

To add a test, add a row to one of the tables below; nothing else changes.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

# --- the tables ---------------------------------------------------------------

# Host test targets: `make -s TARGET` must exit 0 (each target counts as one test).
HOST_TARGETS = [("fdt-test", 300), ("headers-check", 120), ("layers-check", 120), ("mkfs-test", 300), ("test/build/fscheck", 120),
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
    # out of memory in a fault: the message says what ran out
    ("oom-message", [("cowtest oom", [r"killed: store page fault at va 0x[0-9a-f]+ \(pc 0x[0-9a-f]+\): "
                                      r"out of memory for a copy-on-write copy$", r"^test oom: OK$"])]),
    ("badmem", [("fault write 0x0", [r"^pid \d+ fault: killed: store page fault at va 0x0\b"]),
                ("fault read 0x80200000", [r"^pid \d+ fault: killed: load page fault at va 0x80200000\b"]),
                ("fault text", [r"^pid \d+ fault: killed: store page fault"]),
                ("echo alive", [r"^alive$"])]),
    ("badelf", [("echo garbage > notelf", []), ("notelf", [r"exec notelf failed"]),
                ("echo alive", [r"^alive$"])]),
    ("grep", [("echo one > g; echo two >> g; echo three >> g", []), ("grep -n -v o g", [r"^3:three$"]),
              ("grep -c -v e g", [r"^1$"]), ("grep -ci T g", [r"^2$"]), ("grep -n -i ^CALF README", [r"^1:calf$"]),
              ("grep -c calf g README", [r"^g:0$", r"^README:[1-9]\d*$"])]),
    ("status", [("cat nosuch", []), ("echo $?", [r"^1$"]), ("echo ok", []), ("echo $? \"$?\"", [r"^0 0$"])]),
    # $? is the status of the command before it in the same line, not of the line before
    ("status-list", [("echo ok", []), ("nosuch; echo $?", [r"^exec nosuch failed$", r"^1$"]),
                     ("cat nosuch; echo \"$?\" > st; cat st", [r"^1$"]), ("(nosuch; echo $?)", [r"^1$"])]),
    ("errors", [("mkdir d1", []), ("mkdir d1", [r"^mkdir: d1: exists$"]),
                ("mkdir no/d2", [r"^mkdir: no/d2: no such directory no$"]),
                ("cat d1", [r"^cat: d1: is a directory$"]), ("echo $?", [r"^1$"]),
                ("cat nosuch", [r"^cat: nosuch: no such file or directory$"]),
                ("echo x > no/f", [r"^sh: no/f: no such directory no$"]),
                ("echo x > d1", [r"^sh: d1: is a directory$"]),
                ("cd nowhere", [r"^sh: cd: nowhere: no such file or directory$"]),
                ("cd README", [r"^sh: cd: README: not a directory$"]),
                ("kill 1", [r"^kill: 1: init cannot be killed$"]), ("echo $?", [r"^1$"]),
                ("echo x > d1/f", []), ("rm d1", [r"^rm: d1: a directory that is not empty"]),
                ("rm nosuch", [r"^rm: nosuch: no such file or directory$"])]),
    # 33 commands and 32 ;s need 65 nodes of the parse tree (short, so that the typing keeps up)
    ("too-long", [("x;" * 32 + "x", [r"^sh: line too long: at most 64 commands and \|, ;, & in one line$"]),
                  ("echo $?", [r"^1$"])]),
    # a script prints what its commands print and no prompt
    ("script", [("echo echo one > s1; echo echo two >> s1", []), ("sh s1", [r"\Aone\ntwo\n\Z"])]),
    # 6 files of about 200 blocks fill the default disk (2000 blocks); last, made empty
    # first, then gets no block, and echo must say its write failed
    ("disk-full", [("> last", [])] + [("cat README README README README > f%d" % i, []) for i in range(6)]
     + [("echo hi > last", [r"^echo: write error$"]), ("echo $?", [r"^1$"])]),
]

# Shell checks that need code: (name, function(cpus)); run like SHELL_CHECKS.
SHELL_FUNCS = [("kill-tree", lambda cpus: kill_tree_test(cpus)), ("wide-line", lambda cpus: wide_line_test(cpus))]

# Console-driven shell checks: (name, [(keys, [regexes]), ...]). Each check is
# a fresh boot on every CPU count in SHELL_CPUS: at the first prompt each row's
# keys are typed as they are (escape sequences, control characters), then its
# regexes must appear in the output, in order, each after the last match; a
# regex written "!REGEX" must instead match nowhere in the output so far. ^A
# is typed twice: QEMU's -nographic console takes one ^A as its escape.
LEFT, RIGHT, UP, DOWN, HOME = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[B", "\x1b[H"
KEY_CHECKS = [
    ("edit", [("echo abef" + LEFT + LEFT + "cd\n", [r"^abcdef\n\$ "]),
              ("cho tail\x01\x01e\x05 end\n", [r"^tail end\n\$ "]),
              ("echo abXc" + LEFT + "\x7f\n", [r"^abc\n\$ "]),
              ("garbage\x15echo u\n", [r"^u\n\$ "]),
              ("echo one two\x17three\n", [r"^one three\n\$ "]),
              ("echo x2" + HOME + RIGHT * 5 + "y\x7f\n", [r"^x2\n\$ "])]),
    ("history", [("echo first\n", [r"^first\n\$ "]), ("echo second\n", [r"^second\n\$ "]),
                 (UP + UP + "\n", [r"^first\n\$ "]), (UP + UP + DOWN + "\n", [r"^first\n\$ "]),
                 (UP + UP + UP + DOWN + "\n", [r"^second\n\$ "])]),
    # a pasted 2000-byte line reaches the reader whole: the console's ring
    # holds 256 bytes, and the UART keeps the rest until there is room
    ("paste", [("wc\n", [r"wc\n"]), ("0123456789" * 200 + "\n\x04", [r"^\s*1 1 2001\b"]),
               ("echo after\n", [r"^after\n\$ "])]),
    # ^C throws away what was typed ahead for the job it kills, as Unix does
    ("ctrl-c-flush", [("grind -t 20\n", [r"grind -t 20\n"]), ("echo leaked\n", [r"echo leaked\n"]),
                      ("\x03", [r"\^C\n\$ "]), ("echo after\n", [r"^after\n\$ ", r"!^leaked$"])]),
    ("ctrl-c", [("cat\n", [r"cat\n"]), ("typed\n", [r"^typed\ntyped\n"]), ("\x03", [r"\^C\n\$ "]),
                ("echo $?\n", [r"^-1\n\$ "]), ("half a line\x03", [r"half a line\^C\n\$ "]),
                ("cat | grep x\n", []), ("\x03", [r"\^C\n\$ "]), ("echo alive\n", [r"^alive\n\$ "]),
                ("ps\n", [r"^ PID.*\n +1 +0 +\w+ +init .*\n +2 +1 +\w+ +sh .*\n +\d+ +2 +\w+ +ps .*\n\$ "])]),
    ("background", [("cowdemo > bg.out &\n", [r"^\[\d+\]\n"]), ("forktest\n", [r"fork test OK"]),
                    ("echo next\n", [r"^\[\d+\] done, status 0\n", r"^next\n\$ "]),
                    ("ps\n", [r"^ PID.*\n +1 +0 +\w+ +init .*\n +2 +1 +\w+ +sh .*\n +\d+ +2 +\w+ +ps .*\n\$ "])]),
    ("time", [("time cowdemo > t.out\n", [r"^time: \d+\.\d\d s wall, status 0$",
                                          r"^time: [1-9]\d* COW faults: [1-9]\d* copies, [1-9]\d* reuses; \d+ zero fills$",
                                          r"^time: frames in use \d+ before, \d+ after \(-?\d+\)\n\$ "])]),
    ("ps", [("ps\n", [r"^ PID +PPID +STATE +NAME +MAPPED +PRIVATE +COW +COWFAULTS +ZEROFILLS",
                      r"^ +1 +0 +sleep +init +[1-9]\d* +\d+ +\d+ +\d+ +\d+",
                      # sh may not have reached wait yet on another hart
                      r"^ +2 +1 +(sleep|runble|run) +sh +[1-9]\d* +\d+ +\d+ +\d+ +\d+",
                      r"^ +\d+ +2 +run +ps +[1-9]\d* +[1-9]\d* +\d+ +\d+ +\d+"]),
            ("clear\n", [r"\x1b\[H\x1b\[2J\$ "])]),
]
SHELL_CPUS = [1, 3]
SHELL_TIMEOUT = 90

# Tool checks: (name, function); each raises Fail. See the functions below.
TOOL_CHECKS = [("gdb", lambda: gdb_test()), ("gdb-prog", lambda: gdb_prog_test()),
               ("gdbport", lambda: gdbport_test()),
               ("keep-programs", lambda: keep_programs_test()), ("minimal-path", lambda: minimal_path_test()),
               ("compile-commands", lambda: compile_commands_test()), ("grade-grind", lambda: grade_grind_test())]

# Damaged disk images: (name, function); each raises Fail. See the functions below.
IMAGE_CHECKS = [("no-shell", lambda: no_shell_test()), ("big-disk", lambda: big_disk_test()),
                ("pcache-many", lambda: pcache_many_test())]

# Scripted programs: (name, command line, CPUS, MEM, timeout in seconds), run as
# `make qemu RUN=...`; pass if QEMU exits 0 and nothing panics. For example:
#   ("usertests", "usertests -q", 3, "128M", 600),
SCRIPTED = [
    ("echo", "echo ok", 3, "128M", 60),
    # 31 commands in one list (as many as sh parses): sh runs a list in a
    # loop, not one recursion per command on its one-page stack
    ("longlist", "echo;" * 30 + "echo ok", 1, "128M", 60),
    ("usertests-q:1", "usertests -q", 1, "128M", 900),
    ("usertests-q:3", "usertests -q", 3, "128M", 900),
    ("usertests-q:8", "usertests -q", 8, "1G", 900),
    ("cowtest:1", "cowtest", 1, "128M", 600),
    ("cowtest:3", "cowtest", 3, "128M", 600),
    ("cowtest:8", "cowtest", 8, "128M", 600),
    # fork sharing pages only, not whole page tables (cowctl tables off)
    ("cowtest-pages:1", "cowctl tables off; cowtest", 1, "128M", 600),
    ("cowtest-pages:3", "cowctl tables off; cowtest", 3, "128M", 600),
    ("cowtest-pages:8", "cowctl tables off; cowtest", 8, "128M", 600),
    ("usertests-q-pages:1", "cowctl tables off; usertests -q", 1, "128M", 900),
    ("usertests-q-pages:3", "cowctl tables off; usertests -q", 3, "128M", 900),
    ("usertests-q-pages:8", "cowctl tables off; usertests -q", 8, "1G", 900),
    ("vmtest-pages:3", "cowctl tables off; vmtest", 3, "128M", 300),
    ("maptest-pages:3", "cowctl tables off; maptest", 3, "128M", 300),
    ("cowdemo", "cowdemo", 3, "128M", 120),
    ("vmtest:1", "vmtest", 1, "128M", 300),
    ("vmtest:3", "vmtest", 3, "128M", 300),
    ("vmtest:8", "vmtest", 8, "1G", 300),
    ("maptest:1", "maptest", 1, "128M", 300),
    ("maptest:8", "maptest", 8, "1G", 300),
    ("pcachetest:1", "pcachetest -q", 1, "128M", 300),
    ("pcachetest:3", "pcachetest -q", 3, "128M", 300),
    ("fsabuse:1", "fsabuse", 1, "128M", 600),  # on 3 harts: FSCHECKED, with fscheck after
]

# Memory larger than RAM (issue 26): boots with a swap disk of SWAP bytes.
# (name, command, harts, MEM, SWAP, timeout, regexes the output must hold).
# The pressure rows start memhog, which leaves a process holding MiB of
# memory, so that the programs after it swap; calf's own tests of memory
# exhaustion and of RAM-only sums (-x oom, COW_NO_SWAP: "sbrk of more than
# free memory fails", "60% of RAM is free") assume no swap and are left
# out there, as is tablerace, which compares free frames between its rounds
# while page replacement moves the hog's. Most tests of usertests and
# cowtest size themselves to the memory that is free, so under a still hog
# only those that go past it swap (usertests sbrkpastfree, cowtest
# swapwrites; the rows check that pages went out: SWAPPING); grind and
# sysfuzz run beside an active hog larger than memory, which keeps
# replacement busy.
COW_NO_SWAP = "-x oom -x tableoom -x fork60 -x sbrktoomuch -x overcommit -x tablerace"
SWAPPING = r"^page-outs\s+[1-9]"  # memstat: page replacement did run
SWAPPED = [
    ("swaptest:1", "swaptest -q", 1, "128M", "256M", 600, [r"ALL SWAP TESTS PASSED"]),
    ("swaptest:3", "swaptest -q", 3, "128M", "256M", 600, [r"ALL SWAP TESTS PASSED"]),
    ("swaptest-big:3", "swaptest big forkbig exec oom full", 3, "128M", "256M", 1200,
     [r"ALL SWAP TESTS PASSED", r"^swaptest big: 300 MiB kept", r"^swaptest full: eager sbrk got",
      r"^oom: memory and swap are full: killed pid \d+ \(swaptest\), the largest"]),
    ("swaptest-full:3", "swaptest full; memcheck", 3, "128M", "8M", 120,
     [r"ALL SWAP TESTS PASSED", r"^swaptest full: eager sbrk got", r"^memcheck: ok"]),
    ("swapdemo", "swapdemo", 3, "128M", "256M", 120, [r"^swapdemo: ok$"]),
    ("belady", "refstring -p fifo -f 3 belady; refstring -p fifo -f 4 belady", 1, "128M", "64M",
     120, [r"belady fifo frames 3 refs 12 faults 9$", r"belady fifo frames 4 refs 12 faults 10$"]),
    ("usertests-pressure:1", "memhog 80; usertests -q -x oom; memstat", 1, "128M", "32M", 900,
     [r"ALL TESTS PASSED", r"memcheck: ok", SWAPPING]),
    ("usertests-pressure:3", "memhog 80; usertests -q -x oom; memstat", 3, "128M", "32M", 900,
     [r"ALL TESTS PASSED", r"memcheck: ok", SWAPPING]),
    ("cowtest-pressure:1", "memhog 100; cowtest " + COW_NO_SWAP + "; memstat", 1, "128M", "32M", 600,
     [r"ALL COW TESTS PASSED", SWAPPING]),
    ("cowtest-pressure:3", "memhog 100; cowtest " + COW_NO_SWAP + "; memstat", 3, "128M", "32M", 600,
     [r"ALL COW TESTS PASSED", SWAPPING]),
    ("grind-pressure:3", "memhog 140 -a; grind -t 30; memcheck; memstat", 3, "128M", "128M", 300,
     [r"^grind: ok", r"^memcheck: ok", SWAPPING]),
    ("sysfuzz-pressure:3", "memhog 140 -a; sysfuzz -t 30 1; memcheck; memstat", 3, "128M", "128M",
     300, [r"^sysfuzz: ok", r"^memcheck: ok", SWAPPING]),
]


def swapped_test(cmd, cpus, mem, swap, timeout, wants):
    """cmd, booted with a swap disk, powers off with status 0, no panic, and
    prints what wants asks for."""
    status, out = qemu.run_script(cmd, timeout, mem=mem, cpus=cpus, swap=swap)
    no_panic(out)
    if status != 0:
        raise Fail("QEMU exit status %d" % status, out)
    for want in wants:
        if not re.search(want, out, re.M):
            raise Fail("output lacks /%s/" % want, out)


def refstring_test():
    """The kernel's FIFO and clock fault exactly as the textbook's, simulated
    by test/bench_swap.py, on the random-with-locality string."""
    import bench_swap
    refs = bench_swap.strings()["locality"]
    cmd = "; ".join("refstring -p %s -f %d locality" % (p, f) for p in ("fifo", "clock") for f in (6, 12))
    status, out = qemu.run_script(cmd, 300, mem="128M", cpus=1, swap="64M")
    no_panic(out)
    got = {(m[1], int(m[2])): int(m[4]) for m in bench_swap.LINE.findall(out)}
    for policy, sim in (("fifo", bench_swap.fifo), ("clock", bench_swap.clock)):
        for f in (6, 12):
            if got.get((policy, f)) != sim(refs, f):
                raise Fail("%s with %d frames: %s faults, the textbook's %d"
                           % (policy, f, got.get((policy, f)), sim(refs, f)), out)


# The labs (test/lab.mk: cow, and with LAB=mmap mmap), run last: `make -s TARGET` must exit 0
# within the timeout, as for HOST_TARGETS. grade: full marks on this tree.
LAB_TARGETS = [
    ("grade", 900),
    # staff-only{ test/handout.py leaves this row out of the handout.
    ("handout-check", 1500),  # a handout: one commit, the students' README, no answer in it,
                              # builds, passes usertests -q, fails the COW tests, scores at
                              # most 40%; make handin works; its fences filled in: full marks
    ("sloppy", 600),  # each sloppy solution of test/sloppy/ loses points, the grader saying why
    ("grade LAB=mmap", 600),  # the mmap lab: full marks on this tree
    ("handout-check LAB=mmap", 1200),  # its handout, checked as the COW lab's
    # }staff-only
]

# staff-only{ test/handout.py leaves MIT's graders out of the handout.
# MIT's grader as a drop-in, run from clones of MIT's xv6-labs repositories
# the user names: MIT_LABS=PATH[:PATH...], each a clone (or a bare copy) of
# an xv6-labs-YEAR repository. For each, and each lab branch it has
# (MIT_LAB_FILES: the branch, and MIT's own test programs that calf has no
# counterpart of), grade-lab-BRANCH and gradelib.py from that branch run
# unmodified in a scratch copy of this tree, as an instructor would, and
# must give full marks; on the COW lab's handout (the starter) the cow
# grader must give less. Without MIT_LABS the rows are one SKIP line saying
# how to run them; a branch a clone lacks is a SKIP too.
MIT_LABS = [p for p in os.environ.get("MIT_LABS", "").split(":") if p]
MIT_LAB_FILES = [("cow", []), ("mmap", ["user/mmaptest.c"])]
MIT_TIMEOUT = 1500
# And MIT's own test programs of the cow branch, compiled unmodified in place
# of calf's in a scratch copy of this tree, under memory pressure with a
# 256 MiB swap disk, on 1 and 3 harts: (program, command, what it prints
# when it passes). They pass, pages went out, and memcheck is clean.
MIT_PRESSURE = [
    ("usertests", "memhog 80; usertests -q; memcheck; memstat", r"ALL TESTS PASSED"),
    ("cowtest", "memhog 100; cowtest; memcheck; memstat", r"ALL COW TESTS PASSED"),
]
# }staff-only

# --- checks -------------------------------------------------------------------

RAM_LINE = re.compile(r"^calf: ram 0x([0-9a-f]+)-0x([0-9a-f]+) \((\d+) MiB\), (\d+) free frames$", re.M)
HARTS_LINE = re.compile(r"^calf: harts started: (\d+) of (\d+) \(boot hart (\d+)\)$", re.M)


class Fail(Exception):
    """A test's verdict: a one-line reason and the output worth showing."""

    def __init__(self, reason, output=""):
        super().__init__(reason)
        self.output = output


class Skip(Exception):
    """A test that cannot run here (what it needs is absent); the message says why."""


def mebibytes(mem):
    """MiB in a QEMU -m size such as 128M or 3G."""
    return int(mem[:-1]) * {"M": 1, "G": 1024}[mem[-1].upper()]


def no_panic(output):
    """Fail if the kernel panicked."""
    if qemu.PANIC.search(output):
        raise Fail("kernel panic", output)


def run_group(argv, cwd, timeout):
    """Run argv in cwd as a process group of its own, no input: (exit status,
    output). Fail if it outlives timeout. Whatever it leaves running (a QEMU)
    is killed with it."""
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out = proc.communicate(timeout=timeout)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.communicate()[0].decode(errors="replace")
        raise Fail("timed out after %ss" % timeout, out) from None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.returncode, out


def host_test(target, timeout):
    """`make -s target` exits 0 within timeout (target: a make target, then maybe
    VAR=value words); its output is shown only on failure."""
    status, out = run_group(["make", "-s", "--no-print-directory"] + target.split(), qemu.ROOT, timeout)
    if status != 0:
        lines = out.strip().split("\n")
        raise Fail("exit status %d: %s" % (status, lines[-1]), out)


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


GDB = ["gdb-multiarch", "-q", "-batch", "-iex", "set auto-load local-gdbinit off", "-x", ".gdbinit"]


def with_qemu_gdb(make_args, gdb_args, timeout=180):
    """Start `make qemu-gdb` with make_args, attach gdb-multiarch (as `make
    gdb` does) with gdb_args once QEMU listens (until then, make may still be
    building the debug kernel and writing .gdbinit); returns gdb's output."""
    qemu_proc = subprocess.Popen(["make", "-s", "--no-print-directory", "qemu-gdb"] + make_args,
                                 cwd=qemu.ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:  # until QEMU (built and started by make) listens
            time.sleep(1)
            gdb = subprocess.run(GDB + gdb_args, cwd=qemu.ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=timeout)
            out = gdb.stdout.decode(errors="replace")
            waiting = "Connection refused" in out or ".gdbinit: No such file" in out
            if not waiting or time.monotonic() > deadline:
                return out
    finally:
        os.killpg(qemu_proc.pid, signal.SIGKILL)
        qemu_proc.wait()


def gdb_test():
    """`make qemu-gdb` halts QEMU with the -Og kernel; gdb attaches with .gdbinit and no
    auto-load warning, stops at boot_main and shows its locals."""
    out = with_qemu_gdb([], ["-ex", "break boot_main", "-ex", "continue", "-ex", "next 3",
                             "-ex", "info locals"])
    if not re.search(r"Breakpoint 1, boot_main", out):
        raise Fail("gdb did not stop at boot_main", out)
    if "auto-load" in out or "optimized out" in out:
        raise Fail("gdb warned about auto-load, or a local was optimized out", out)


def gdb_prog_test():
    """`make gdb PROG=cowdemo` (test/gdb-prog.gdb) stops at cowdemo's main, not the shell's;
    the programs are built at -O0, so step enters pages_demo (not inlined), its locals
    show, and finish comes back to main's next line. The step is taken with a software
    interrupt pending (sip.SSIP), as a timer tick sometimes is: the kernel runs in the
    middle of the step, and the step must still end in pages_demo."""
    out = with_qemu_gdb(["RUN=cowdemo", "CPUS=1"],
                        ["-ex", "set $calf_prog = \"cowdemo\"", "-ex", "add-symbol-file build/debug-user/_cowdemo",
                         "-x", "test/gdb-prog.gdb", "-ex", "continue", "-ex", "info registers satp",
                         "-ex", "set $sip = $sip | 2", "-ex", "step", "-ex", "next 2", "-ex", "info locals",
                         "-ex", "finish"])
    if not re.search(r"Temporary breakpoint \d+, main \(\) at user/cowdemo.c", out):
        raise Fail("gdb did not stop at cowdemo's main", out)
    if not re.search(r"^pages_demo \(\) at user/cowdemo.c:\d+", out, re.M):
        raise Fail("step from main did not enter pages_demo", out)
    if "optimized out" in out or not re.search(r"^raw = ", out, re.M):
        raise Fail("pages_demo's locals do not show", out)
    if not re.search(r"^main \(\) at user/cowdemo.c:\d+\n\d+\s+x_demo\(\);", out, re.M):
        raise Fail("finish did not return from pages_demo to main", out)


def gdbport_test():
    """make print-gdbport skips a port something listens on, and prints a GDBPORT given
    on the command line or in the environment as it is; make qemu-gdb refuses a
    GDBPORT that is taken, saying so, and starts no QEMU."""
    def make(args, env=None):
        return run_group(["make", "-s", "--no-print-directory"] + args, qemu.ROOT, 300) if env is None else \
            subprocess.run(["make", "-s", "--no-print-directory"] + args, cwd=qemu.ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60).stdout.decode().strip()
    status, port = make(["print-gdbport"])
    if status != 0 or not port.strip().isdigit():
        raise Fail("make print-gdbport: %r (status %d)" % (port, status), port)
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("", int(port)))
        taken.listen()
        status, other = make(["print-gdbport"])
        if status != 0 or other.strip() == port.strip():
            raise Fail("make print-gdbport printed port %s, which is taken" % other.strip(), other)
        given = make(["print-gdbport"], dict(os.environ, GDBPORT="23456"))
        status, cmdline = make(["print-gdbport", "GDBPORT=23457"])
        if given != "23456" or cmdline.strip() != "23457":
            raise Fail("make print-gdbport ignored a given GDBPORT: %r, %r" % (given, cmdline))
        status, out = make(["qemu-gdb", "GDBPORT=" + port.strip()])
        if status == 0 or "gdb port %s is in use" % port.strip() not in out:
            raise Fail("make qemu-gdb took port %s, which is taken (status %d)" % (port.strip(), status), out)


def clean_clone(tmp):
    """A clone of this tree's HEAD in tmp/calf (committed files only)."""
    clone = os.path.join(tmp, "calf")
    subprocess.run(["git", "clone", "-q", qemu.ROOT, clone], check=True, timeout=120)
    return clone


def keep_programs_test():
    """In a clean clone, `make` leaves user/_NAME for every program (gdb needs them)."""
    with tempfile.TemporaryDirectory(prefix="calf-clone-") as tmp:
        clone = clean_clone(tmp)
        build = subprocess.run(["make", "-s", "-j2", "all"], cwd=clone, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=600)
        if build.returncode != 0:
            raise Fail("make failed in a clean clone", build.stdout.decode(errors="replace"))
        lost = [f for f in os.listdir(os.path.join(clone, "user")) if f.endswith(".c")
                and re.search(r"^main\(", open(os.path.join(clone, "user", f)).read(), re.M)
                and not os.path.exists(os.path.join(clone, "user", "_" + f[:-2]))]
        if lost:
            raise Fail("make removed the programs of %s" % ", ".join(sorted(lost)))


def compile_commands_test():
    """In a clean clone with a file in fs.img's place (older than every source, so
    any rule that made fs.img would replace it), `make compile_commands.json`
    records the compiles of kernel, user and mkfs sources, and leaves that file,
    and the build's products, alone."""
    if not shutil.which("bear"):
        raise Skip("bear is not installed")
    marker = b"the user's files\n"
    with tempfile.TemporaryDirectory(prefix="calf-ccdb-") as tmp:
        clone = clean_clone(tmp)
        img = os.path.join(clone, "fs.img")
        with open(img, "wb") as f:
            f.write(marker)
        os.utime(img, (0, 0))
        status, out = run_group(["make", "-s", "--no-print-directory", "compile_commands.json"], clone, 600)
        if status != 0:
            raise Fail("make compile_commands.json failed (status %d)" % status, out)
        with open(img, "rb") as f:
            if f.read() != marker:
                raise Fail("make compile_commands.json replaced fs.img", out)
        made = [p for p in ("kernel/kernel", "user/_sh", "user/sh.o", "kernel/proc.o") if
                os.path.exists(os.path.join(clone, p))]
        if made:
            raise Fail("make compile_commands.json built %s" % ", ".join(made), out)
        with open(os.path.join(clone, "compile_commands.json")) as f:
            files = {os.path.relpath(os.path.join(e["directory"], e["file"]), clone) for e in json.load(f)}
        missing = [p for p in ("kernel/proc/proc.c", "kernel/platform/entry.S", "user/sh.c", "mkfs/mkfs.c") if p not in files]
        if missing:
            raise Fail("compile_commands.json lacks %s" % ", ".join(missing), out)


def grade_grind_test():
    """The grader boots its grind part with 256 MiB (so per-frame counts sized for 128
    MiB fail there), and a failed test's reason quotes the kernel's lines about the
    processes it killed during that test."""
    import grade
    segment = "test x: started\npid 7 cowtest: killed: store page fault at va 0x0 (pc 0x1a)\n"
    reason = grade.with_kills("child exited -1", segment)
    if reason != "child exited -1; killed: pid 7 cowtest: killed: store page fault at va 0x0 (pc 0x1a)":
        raise Fail("with_kills gave %r" % reason)
    if grade.with_kills("no child", "test x: started\n") != "no child":
        raise Fail("with_kills added to a reason with no kill in its output")
    status, out = run_group(["python3", "test/grade.py", "grind"], qemu.ROOT, 300)
    if status != 0 or not re.search(r"^grind -t \d+: OK", out, re.M):
        raise Fail("grade.py grind failed (status %d)" % status, out)
    with open(os.path.join(qemu.ROOT, "test/build/grade/grind_-t_30.out")) as f:
        ram = RAM_LINE.search(f.read())
    if not ram or ram[3] != "256":
        raise Fail("the grader's grind boot had %s, want 256 MiB" % (ram[3] + " MiB" if ram else "no banner"), out)


# What `make qemu` may use: the build, QEMU, dtc, and the shell tools recipes call.
BOOT_TOOLS = ["sh", "make", "grep", "sed", "expr", "id", "mkdir", "rm", "cat", "gcc", "cc", "as", "ld",
              "qemu-system-riscv64", "dtc"]
BOOT_TOOLCHAIN = ["gcc", "ld", "objcopy", "objdump", "as"]


def minimal_path_test():
    """In a clean clone, `make qemu RUN='echo ok'` builds and boots with only the boot
    tools on PATH: no dpkg, bear, cppcheck, clang-format, gdb or python3."""
    prefix = next((p for p in ("riscv64-unknown-elf-", "riscv64-linux-gnu-", "riscv64-elf-")
                   if shutil.which(p + "gcc")), None)
    if prefix is None:
        raise Fail("no riscv64 toolchain on PATH")
    with tempfile.TemporaryDirectory(prefix="calf-path-") as tmp:
        clone = clean_clone(tmp)
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        for tool in BOOT_TOOLS + [prefix + t for t in BOOT_TOOLCHAIN]:
            where = shutil.which(tool)
            if where:
                os.symlink(where, os.path.join(bindir, tool))
        env = dict(os.environ, PATH=bindir)
        run = subprocess.run(["make", "qemu", "RUN=echo ok"], cwd=clone, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=600)
        out = run.stdout.decode(errors="replace")
        no_panic(out)
        if run.returncode != 0 or not re.search(r"^ok$", out, re.M):
            raise Fail("make qemu failed with a minimal PATH (status %d)" % run.returncode, out)
        if "no dpkg here; using what is on PATH" not in out:
            raise Fail("install-deps.sh did not say which tools it uses", out)


# staff-only{ MIT's graders, as above.
def mit_grader_files(clone, branch, extra):
    """{path: bytes} of grade-lab-BRANCH, gradelib.py and the paths extra on branch
    (local or origin's) of the clone of MIT's repository at clone; Skip if a file
    is absent."""
    gitdir = os.path.join(clone, ".git") if os.path.isdir(os.path.join(clone, ".git")) else clone
    files = {}
    for name in ["grade-lab-" + branch, "gradelib.py"] + extra:
        for ref in (branch, "origin/" + branch):
            show = subprocess.run(["git", "--git-dir", gitdir, "show", "%s:%s" % (ref, name)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            if show.returncode == 0:
                files[name] = show.stdout
                break
        else:
            raise Skip("no %s:%s in %s" % (branch, name, clone))
    return files


def mit_rows():
    """The rows of MIT's graders: (name, function), from MIT_LABS."""
    if not MIT_LABS:
        def unset():
            raise Skip("set MIT_LABS=PATH[:PATH...] to clones of MIT's xv6-labs repositories to run them")
        return [("lab:mit-grade-lab", unset)]
    rows = []
    for clone in MIT_LABS:
        label = os.path.basename(os.path.normpath(clone))
        if label in ("repo", ".git"):
            label = os.path.basename(os.path.dirname(os.path.normpath(clone)))
        for branch, extra in MIT_LAB_FILES:
            rows.append(("lab:mit-grade-lab-%s:%s" % (branch, label),
                         lambda c=clone, b=branch, x=extra: mit_grader_test(c, b, x)))
        rows.append(("lab:mit-grade-lab-cow:%s:handout" % label,
                     lambda c=clone: mit_grader_test(c, "cow", [], True)))
        for prog, cmd, passed in MIT_PRESSURE:
            for cpus in (1, 3):
                rows.append(("lab:mit-%s-pressure:%d:%s" % (prog, cpus, label),
                             lambda c=clone, p=prog, m=cmd, w=passed, n=cpus: mit_pressure_test(c, p, m, w, n)))
    return rows


def mit_pressure_test(clone, prog, cmd, passed, cpus):
    """MIT's user/PROG.c of the cow branch, unmodified, built into a scratch copy
    of this tree in place of calf's, runs cmd with a swap disk: it prints passed,
    page replacement ran, and memcheck is clean."""
    files = mit_grader_files(clone, "cow", ["user/%s.c" % prog])
    with tempfile.TemporaryDirectory(prefix="calf-mit-") as tmp:
        tree = os.path.join(tmp, "calf")
        shutil.copytree(qemu.ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(".git", "xv6.out*"))
        with open(os.path.join(tree, "user", prog + ".c"), "wb") as f:
            f.write(files["user/%s.c" % prog])
        status, out = run_group(["make", "-s", "--no-print-directory", "kernel/kernel", "fs.img"], tree, 300)
        if status != 0:
            raise Fail("MIT's %s.c does not build in calf" % prog, out)
        status, out = qemu.run_script(cmd, MIT_TIMEOUT, mem="128M", cpus=cpus, swap="256M",
                                      kernel=os.path.join(tree, "kernel", "kernel"),
                                      image=os.path.join(tree, "fs.img"))
    no_panic(out)
    for want in (passed, r"^memcheck: ok", SWAPPING):
        if not re.search(want, out, re.M):
            raise Fail("output lacks /%s/ (QEMU exit status %d)" % (want, status), out)


def mit_grader_test(clone, branch, extra, handout=False):
    """MIT's grade-lab-BRANCH, unmodified, in a scratch copy of this tree (the
    repository itself is never touched) with MIT's files extra added and a
    time.txt as a student writes it: it exits 0 with full marks. handout: in
    the lab's handout instead (make handout LAB=BRANCH), where it must score
    less than full marks."""
    files = mit_grader_files(clone, branch, extra)
    grader = "grade-lab-" + branch
    with tempfile.TemporaryDirectory(prefix="calf-mit-") as tmp:
        tree = os.path.join(tmp, "calf")
        if handout:
            status, out = run_group(["make", "-s", "--no-print-directory", "handout", "LAB=" + branch,
                                     "OUT=" + tree], qemu.ROOT, 120)
            if status != 0:
                raise Fail("make handout LAB=%s failed" % branch, out)
        else:
            shutil.copytree(qemu.ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns(".git", "xv6.out*"))
        for name, data in files.items():
            with open(os.path.join(tree, name), "wb") as f:
                f.write(data)
        os.chmod(os.path.join(tree, grader), 0o755)
        with open(os.path.join(tree, "time.txt"), "w") as f:
            f.write("1\n")
        status, out = run_group(["./" + grader], tree, MIT_TIMEOUT)
    score = re.search(r"^Score: (\d+)/(\d+)$", out, re.M)
    if not score:
        raise Fail("%s: no score (exit status %d)" % (grader, status), out)
    if handout and (score[1] == score[2] or status == 0):
        raise Fail("%s on the handout: %s, want less than full marks" % (grader, score[0]), out)
    if not handout and (score[1] != score[2] or status != 0):
        raise Fail("%s: %s (exit status %d)" % (grader, score[0], status), out)
# }staff-only


def fscheck(img, what):
    """test/build/fscheck (built first if need be, as for --only) finds the image at
    img clean; what names the moment."""
    built = subprocess.run(["make", "-s", "--no-print-directory", "test/build/fscheck"], cwd=qemu.ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if built.returncode != 0:
        raise Fail("make test/build/fscheck failed", built.stdout.decode(errors="replace"))
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


# Programs that change the file system, run on a scratch image that fscheck
# must then find clean: (name, command line, CPUS, timeout in seconds).
FSCHECKED = [
    ("fsabuse", "fsabuse", 3, 600),
    ("usertests-all", "usertests", 3, 1200),
    ("maptest", "maptest", 3, 300),
    ("pcachetest", "pcachetest -q", 3, 300),
    ("stressfs", "stressfs", 3, 300),
    ("grind", "grind -t 60", 3, 300),
    ("sysfuzz", "sysfuzz -t 60 1", 3, 300),
]


def fschecked_test(cmd, cpus, timeout):
    """cmd passes on a scratch image, and leaves it clean: no lost inode or
    block, every link count right."""
    with qemu.scratch_image() as img:
        status, out = qemu.run_script(cmd, timeout, cpus=cpus, image=img)
        no_panic(out)
        if status != 0:
            raise Fail("%s failed" % cmd, out)
        fscheck(img, "after " + cmd)


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


def no_shell_test():
    """An image whose sh was removed: init says once why it cannot run sh and how to
    get a fresh image, then retries slowly, not many times a second."""
    with qemu.scratch_image() as img:
        status, out = qemu.run_script("rm sh", 60, image=img)
        no_panic(out)
        if status != 0:
            raise Fail("rm sh failed (status %d)" % status, out)
        with qemu.Machine(image=img, limit=60) as m:
            m.expect(r"^init: cannot run sh: there is no /sh on the disk$", 30)
            m.expect(r"^init: the disk image has no working shell: .*make fresh-fs", 10)
            time.sleep(5)
            out = m.output
        no_panic(out)
        tries = len(re.findall(r"^init: (cannot run sh|starting sh)", out, re.M))
        if tries != 2 or "exec sh failed" in out:
            raise Fail("init reported the missing sh %d times in 5 s, want once" % (tries - 1), out)


def big_image(tmp):
    """A 20000-block image in directory tmp, made by make FSSIZE=20000 (through the
    Makefile's rule, into a scratch file); its path."""
    img = os.path.join(tmp, "big.img")
    status, out = run_group(["make", "-s", "--no-print-directory", "FSIMG=" + img, "FSSIZE=20000", img],
                            qemu.ROOT, 300)
    if status != 0 or os.path.getsize(img) != 20000 * 1024:
        raise Fail("make FSSIZE=20000 did not make a 20000-block image (status %d)" % status, out)
    return img


def pcache_many_test():
    """pcachetest many on a 20000-block image: more file pages in use than a fixed
    cache of 1024 entries held, and shared mappings still share."""
    with tempfile.TemporaryDirectory(prefix="calf-big-") as tmp:
        status, out = qemu.run_script("pcachetest many", 300, image=big_image(tmp))
        no_panic(out)
        if status != 0:
            raise Fail("pcachetest many failed (status %d)" % status, out)


def big_disk_test():
    """make FSSIZE=20000 makes a 20000-block image that calf boots and fills past
    what the default 2000 blocks hold."""
    size = os.path.getsize(os.path.join(qemu.ROOT, "README"))  # as fs.img holds it
    copies = max(1, 260 * 1024 // size)            # a file holds at most 268 KiB (MAXFILE)
    files = -(-2400 * 1024 // (copies * size))      # 2400 blocks in all: more than 2000
    with tempfile.TemporaryDirectory(prefix="calf-big-") as tmp:
        img = big_image(tmp)
        cmd = "cat README > R; " + "; ".join("cat %s > f%d" % (" ".join(["R"] * copies), i)
                                             for i in range(files)) + "; ls f%d" % (files - 1)
        status, out = qemu.run_script(cmd, 120, image=img)
        no_panic(out)
        if not re.search(r"^virtio: disk in slot \d+, irq \d+, 20000 blocks$", out, re.M):
            raise Fail("the kernel did not see a 20000-block disk", out)
        if status != 0 or "write error" in out:
            raise Fail("writing 2400 blocks failed on a 20000-block disk (status %d)" % status, out)


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


def kill_tree_test(cpus):
    """kill -t PID kills a background job and every process it started (grind's
    workers), and the shell reports the job done; kill alone would leave them."""
    with qemu.Machine(cpus=cpus, limit=SHELL_TIMEOUT) as m:
        m.expect(qemu.PROMPT, SHELL_TIMEOUT)
        started = re.search(r"^\[(\d+)\]$", m.shell("grind -t 60 -p 2 -o pipe > g.out &"), re.M)
        if not started:
            raise Fail("the background job printed no [PID]", m.output)
        for _ in range(20):  # until the parent and both workers run
            if len(re.findall(r" grind ", m.shell("ps"))) >= 3:
                break
            time.sleep(0.5)
        else:
            raise Fail("grind's workers never showed in ps", m.output)
        out = m.shell("kill -t " + started[1])
        if "kill:" in out:
            raise Fail("kill -t %s: %r" % (started[1], out.strip()), m.output)
        for _ in range(20):
            if " grind " not in m.shell("ps"):
                break
            time.sleep(0.5)
        else:
            raise Fail("grind processes survived kill -t", m.output)
        m.shell("echo next")
        no_panic(m.output)
        if not re.search(r"^\[%s\] done, status -1$" % started[1], m.output, re.M):
            raise Fail("the shell did not report the killed job", m.output)


def wide_line_test(cpus):
    """A line wider than the 80-column terminal the editor assumes scrolls sideways:
    between the escape sequences that redraw it, no stretch of what the editor draws
    reaches the last column (where the terminal would wrap and the display scramble),
    and editing in it still works."""
    with qemu.Machine(cpus=cpus, limit=SHELL_TIMEOUT) as m:
        m.expect(qemu.PROMPT, SHELL_TIMEOUT)
        start = len(m.output)
        m.type("echo " + "b" * 90)
        m.type(HOME + RIGHT * 5 + "X\x05\n")
        ran = m.expect(r"^Xb{90}\n\$ ", SHELL_TIMEOUT)
        drawn = re.sub(r"\x1b\[\d*[A-Za-z]", "\n", m.output[start:ran.start()])
        widest = max(len(seg) for seg in drawn.split("\n"))
        if widest >= 80:
            raise Fail("the editor drew %d columns in one stretch; the terminal wraps at 80" % widest,
                       m.output)
        m.type(UP + HOME + "\x7f\x05\x7f\n")  # history, then delete at both ends of a wide line
        m.expect(r"^Xb{89}\n\$ ", SHELL_TIMEOUT)
        no_panic(m.output)


def keys_test(steps, cpus):
    """Boot to the prompt, type each row's keys, find its regexes in order (a
    regex written "!REGEX" must not match the output so far); nothing panics."""
    with qemu.Machine(cpus=cpus, limit=SHELL_TIMEOUT) as m:
        m.expect(qemu.PROMPT, SHELL_TIMEOUT)
        for keys, patterns in steps:
            m.type(keys)
            for p in patterns:
                if p.startswith("!"):
                    if re.search(p[1:], m.output, re.M):
                        raise Fail("the output has /%s/" % p[1:], m.output)
                else:
                    m.expect(p, SHELL_TIMEOUT)
            no_panic(m.output)


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
    shell += [("shell:%s:%d" % (name, cpus), lambda fn=fn, cpus=cpus: fn(cpus))
              for name, fn in SHELL_FUNCS for cpus in SHELL_CPUS]
    shell += [("shell:keys:%s:%d" % (name, cpus), lambda steps=steps, cpus=cpus: keys_test(steps, cpus))
              for name, steps in KEY_CHECKS for cpus in SHELL_CPUS]
    run = [("run:" + name, lambda a=(cmd, cpus, mem, t): scripted_test(*a))
           for name, cmd, cpus, mem, t in SCRIPTED]
    tools = [("tools:" + name, fn) for name, fn in TOOL_CHECKS]
    crash = [("crash:%d:%d" % (cpus, n), lambda cpus=cpus, n=n: crash_test(cpus, n))
             for cpus, n in ((1, 3), (3, 10), (3, 25))]
    crash += [("corrupt:" + how, lambda how=how: corrupt_test(how))
              for how in ("magic", "size", "type", "addr")]
    crash += [("image:" + name, fn) for name, fn in IMAGE_CHECKS]
    crash += [("fscheck:%s:%d" % (name, cpus), lambda a=(cmd, cpus, t): fschecked_test(*a))
              for name, cmd, cpus, t in FSCHECKED]
    swap = [("swap:" + name, lambda a=(cmd, cpus, mem, sw, t, w): swapped_test(*a))
            for name, cmd, cpus, mem, sw, t, w in SWAPPED]
    swap += [("swap:refstring-textbook", refstring_test)]
    lab = [("lab:" + t.replace(" LAB=", ":"), lambda t=t, s=s: host_test(t, s)) for t, s in LAB_TARGETS]
    # staff-only{ MIT's graders, as above.
    lab += mit_rows()
    # }staff-only
    return [("host tests", host), ("boot matrix", boot), ("tools", tools),
            ("shell", shell), ("crash recovery and damaged disks", crash), ("scripted programs", run),
            ("memory larger than RAM", swap), ("labs", lab)]


# --- driver -------------------------------------------------------------------

def run_one(name, thunk):
    """Run one test and print its line; returns True if it passed, None if it was skipped."""
    start = time.monotonic()
    try:
        thunk()
        reason, output = None, ""
    except Skip as e:
        print("SKIP %s: %s" % (name, e), flush=True)
        return None
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
            ok = run_one(name, thunk)
            if ok:
                passed += 1
            elif ok is not None:
                failed += 1
        print("-- %s: %.1fs" % (title, time.monotonic() - start), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
