"""calf: `make bench`: copy-on-write fork against eager copy, one table.

Boots the COW kernel (kernel/kernel) and the eager-copy kernel
(build/eager/kernel) on one hart with 512 MiB under `-icount shift=0,sleep=off`,
where QEMU retires exactly one guest instruction per virtual nanosecond, so the
instret deltas user/forkbench.c prints are repeatable. Each kernel runs twice
that way (the two runs must agree within 1%; the table says whether they do)
and once without -icount, whose time-CSR deltas give host wall time per
operation. Then `usertests -q` runs on 3 harts for its wall time, if it exists.

Says what it is doing as it goes (on stderr), then prints the table and
writes it to build/bench-results.txt; with --refresh (make bench REFRESH=1)
also to the tracked test/bench-results.txt, whose table the README quotes.
Targets are reported as met or missed; they never fail the run. Standard
library only.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

RESULTS = os.path.join(qemu.ROOT, "build", "bench-results.txt")
TRACKED = os.path.join(qemu.ROOT, "test", "bench-results.txt")
KERNELS = {"cow": os.path.join(qemu.ROOT, "kernel", "kernel"),
           "eager": os.path.join(qemu.ROOT, "build", "eager", "kernel")}
ICOUNT = ["-icount", "shift=0,sleep=off"]
MEM = "512M"
SCRIPT = "; ".join("forkbench " + b for b in ("fork", "exec", "faults", "frames", "shell",
                                                "bigexec", "shells"))
SIZES = (0, 1, 4, 16, 64)          # MiB of touched heap, as in forkbench.c
PAGES_PER_MIB = 256
TOLERANCE = 0.01                   # two -icount runs must agree this closely
USERTESTS_TIMEOUT = 200
LINE = re.compile(r"bench: (\S+) (.*)$", re.M)
TIMEBASE = re.compile(r"timebase (\d+) Hz")


def parse(output):
    """{name: {key: int}} from forkbench's "bench: NAME k=v ..." lines."""
    found = {}
    for name, rest in LINE.findall(output):
        found[name] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
    return found


def progress(what):
    """Say what the benchmark does now, on stderr."""
    print("bench: " + what, file=sys.stderr, flush=True)


def boot(kernel, icount):
    """Run SCRIPT once on kernel (a KERNELS key): (parsed figures, timebase Hz)."""
    progress("%s kernel, forkbench%s" % (kernel, " under -icount" if icount else ", wall time"))
    status, out = qemu.run_script(SCRIPT, 300, mem=MEM, cpus=1, kernel=KERNELS[kernel],
                                  extra_args=ICOUNT if icount else [])
    if status != 0 or qemu.PANIC.search(out):
        sys.exit("bench: %s kernel: forkbench failed (status %d):\n%s"
                 % (kernel, status, qemu.tail(out)))
    tb = TIMEBASE.search(out)
    return parse(out), int(tb.group(1)) if tb else 10000000


# Figures that read the disk on every operation (bigcopy's 240 KiB cannot
# stay in the buffer cache): the hart's instret while it waits for the disk
# depends on the host, which -icount does not make repeatable.
DISK_BOUND = ("bigexec-copy",)


def deviation(a, b):
    """Largest relative difference between the instret figures of two runs
    (those in DISK_BOUND left out)."""
    worst = 0.0
    for name, fig in a.items():
        if name in DISK_BOUND:
            continue
        for key in ("instret", "loop"):
            if key in fig:
                x, y = fig[key], b[name][key]
                worst = max(worst, abs(x - y) / max(x, y, 1))
    return worst


def usertests(kernel):
    """Wall seconds of `usertests -q` on 3 harts and its exit status, or a reason string."""
    if not os.path.exists(os.path.join(qemu.ROOT, "user", "_usertests")):
        return "n/a (no usertests)"
    progress("%s kernel, usertests -q on 3 harts" % kernel)
    with qemu.Machine(run="usertests -q", kernel=KERNELS[kernel],
                      limit=USERTESTS_TIMEOUT + 30) as m:
        try:
            m.expect(r"init: running: ", 60)
            start = time.monotonic()
            status = m.expect(r"init: exit status (-?\d+)", USERTESTS_TIMEOUT)
            took = time.monotonic() - start
        except qemu.MachineError:
            return "timeout (>%ds)" % USERTESTS_TIMEOUT
    ok = "passed" if status.group(1) == "0" else "FAILED, status " + status.group(1)
    return "%.1f s (%s)" % (took, ok)


def per_op(fig):
    """Instructions per operation of one figure."""
    return fig["instret"] / fig["ops"]


def usec(fig, hz):
    """Host microseconds per operation, from a run without -icount."""
    return fig["time"] / fig["ops"] * 1e6 / hz


def fault_cost(fig):
    """Instructions of one fault: the faulting pass less the plain pass, per page."""
    return (fig["instret"] - fig["loop"]) / fig["ops"]


def shell_faults(f, kind, on):
    """COW faults (copies + reuses) the command adds over the empty run: (total, copies, reuses)."""
    key = "%s-%s" % (kind, "on" if on else "off")
    echo, none = f[key + "-echo"], f[key + "-none"]
    copies = echo["copies"] - none["copies"]
    reuses = echo["reuses"] - none["reuses"]
    return copies + reuses, copies, reuses


class Table:
    """Rows of text columns, printed aligned."""

    def __init__(self):
        self.rows = []

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def rule(self):
        self.rows.append(None)

    def text(self):
        cols = max(len(r) for r in self.rows if r)
        width = [0] * cols
        for r in self.rows:
            for i, c in enumerate(r or []):
                width[i] = max(width[i], len(c))
        out = []
        for r in self.rows:
            if r is None:
                out.append("-" * (sum(width) + 2 * (cols - 1)))
                continue
            cells = [r[0].ljust(width[0])] + [c.rjust(width[i + 1]) for i, c in enumerate(r[1:])]
            out.append("  ".join(cells).rstrip())
        return "\n".join(out)


def num(x, digits=0):
    """x with thousands separators and `digits` decimals."""
    return "{:,.{}f}".format(x, digits)


def build_table(ic, wall, hz, worst, nfig, ut):
    """The whole report as text. ic/wall: {kernel: figures}; hz: {kernel: timebase}."""
    c, e = ic["cow"], ic["eager"]
    t = Table()
    t.add("measurement", "COW instr", "COW us", "eager instr", "eager us", "eager/COW")
    t.rule()
    for mib in SIZES:
        name = "fork-%02d" % mib
        t.add("fork+exit+wait, %d MiB touched" % mib, num(per_op(c[name])),
              num(usec(wall["cow"][name], hz["cow"]), 1), num(per_op(e[name])),
              num(usec(wall["eager"][name], hz["eager"]), 1),
              "%.1fx" % (per_op(e[name]) / per_op(c[name])))
    pp = {}
    for k, f in (("cow", c), ("eager", e)):
        pp[k] = {m: (per_op(f["fork-%02d" % m]) - per_op(f["fork-00"])) / (m * PAGES_PER_MIB)
                 for m in SIZES[1:]}
    for mib in SIZES[1:]:
        t.add("  per resident page, %d MiB" % mib, num(pp["cow"][mib], 1), "",
              num(pp["eager"][mib], 1), "", "")
    fork_only = {k: (per_op(f["fork-64-fork"]) - per_op(f["fork-00-fork"])) / (64 * PAGES_PER_MIB)
                 for k, f in (("cow", c), ("eager", e))}
    t.add("  of it in fork() itself, 64 MiB", num(fork_only["cow"], 1), "",
          num(fork_only["eager"], 1), "", "")
    t.add("fork+exec benchnop+wait, 32 MiB", num(per_op(c["exec-32"])),
          num(usec(wall["cow"]["exec-32"], hz["cow"]), 1), num(per_op(e["exec-32"])),
          num(usec(wall["eager"]["exec-32"], hz["eager"]), 1),
          "%.1fx" % (per_op(e["exec-32"]) / per_op(c["exec-32"])))
    t.add("COW fault that copies (each)", num(fault_cost(c["fault-copy"])), "", "n/a", "", "")
    t.add("COW fault that reuses (each)", num(fault_cost(c["fault-reuse"])), "", "n/a", "", "")
    t.add("zero-fill fault (each)", num(fault_cost(c["fault-zero"])), "",
          num(fault_cost(e["fault-zero"])), "", "")
    fr = {k: f["frames-64"]["before"] - f["frames-64"]["during"] for k, f in (("cow", c), ("eager", e))}
    t.add("frames used by fork of 64 MiB", num(fr["cow"]), "", num(fr["eager"]), "",
          "%.0fx" % (fr["eager"] / max(fr["cow"], 1)))
    for kind, label in (("shc", 'sh -c "echo hi"'), ("shi", "sh reading echo hi")):
        for on in (1, 0):
            n, cp, ru = shell_faults(c, kind, on)
            t.add("COW faults, %s, shortcut %s" % (label, "on" if on else "off"),
                  "%d (%dc+%dr)" % (n, cp, ru), "", "n/a", "", "")
    t.add("fork+exec+wait, 240 KiB program, 1 page touched", num(per_op(c["bigexec-paged"])),
          num(usec(wall["cow"]["bigexec-paged"], hz["cow"]), 1), num(per_op(e["bigexec-paged"])),
          num(usec(wall["eager"]["bigexec-paged"], hz["eager"]), 1), "")
    t.add("  ... the same program copied at exec", num(per_op(c["bigexec-copy"])),
          num(usec(wall["cow"]["bigexec-copy"], hz["cow"]), 1), num(per_op(e["bigexec-copy"])),
          num(usec(wall["eager"]["bigexec-copy"], hz["eager"]), 1),
          "copy/paged %.1fx" % (per_op(c["bigexec-copy"]) / per_op(c["bigexec-paged"])))
    sh = {k: f["shells-8"]["before"] - f["shells-8"]["during"] for k, f in (("cow", c), ("eager", e))}
    t.add("frames used by 8 shells at their prompts", num(sh["cow"]), "", num(sh["eager"]), "", "")
    t.add("usertests -q wall time, 3 harts", ut["cow"], "", ut["eager"], "", "")

    ratio64 = per_op(e["fork-64"]) / per_op(c["fork-64"])
    ratio_exec = per_op(e["exec-32"]) / per_op(c["exec-32"])
    shell_on = shell_faults(c, "shc", 1)[0]
    targets = Table()
    targets.add("target", "goal", "reached", "")
    targets.rule()
    for what, goal, got, met in (
            ("fork of 64 MiB, eager/COW", ">= 50x", "%.1fx" % ratio64, ratio64 >= 50),
            ("fork+exit+wait growth per resident page", "<= 40 instr", num(pp["cow"][64], 1),
             pp["cow"][64] <= 40),
            ("fork+exec from 32 MiB, eager/COW", ">= 20x", "%.1fx" % ratio_exec, ratio_exec >= 20),
            ('COW faults for sh -c "echo hi" (shortcut on)', "0", str(shell_on), shell_on == 0)):
        targets.add(what, goal, got, "met" if met else "MISSED")

    det = "agree" if worst <= TOLERANCE else "DISAGREE"
    head = ("calf benchmarks (make bench): QEMU virt, 1 hart, %s, -icount shift=0,sleep=off\n"
            "instr = guest instructions per operation (instret read in user mode around it; "
            "includes the kernel's work on the hart)\n"
            "us = host wall microseconds per operation (same program, a run without -icount)\n"
            % MEM)
    notes = (
        "Determinism: two -icount runs per kernel %s: largest difference %.4f%% over %d figures"
        " (limit 1%%).\n"
        "Notes:\n"
        "- fork rows: the parent forks 10 times (after one unmeasured fork) a child that exits at"
        " once, and waits.\n"
        "  per resident page = (cost - cost at 0 MiB) / touched pages; 'in fork() itself' leaves"
        " out the child's exit and wait.\n"
        "- faults: 4096 stores, one per page, less a second pass over the same (now writable)"
        " pages; copy: child alive\n"
        "  and blocked on a pipe; reuse: child exited; zero-fill: sbrklazy memory.\n"
        "- frames: freeframes() before fork and in the parent while the child is blocked on a"
        " pipe.\n"
        "- shell faults: the global cow_copies + cow_reuses delta across a fork+exec of sh running"
        " 'echo hi' less the delta\n"
        "  across the same sh run with nothing to do (sh -c \"\", or EOF on stdin), so only the"
        " command's fork+exec counts:\n"
        "  faults in sh's child before exec and in sh after its fork (zero-fills excluded). c ="
        " copies, r = reuses.\n"
        "  'shortcut' is fork's eager copy of the stack-pointer page (cowctl).\n"
        "- exec of a 240 KiB program: bigprog touches one page of 240 KiB of read-only data;"
        " bigcopy is the same program\n"
        "  linked (-N) so that its segment's file offset is not page-aligned and exec must copy"
        " it. bigcopy reads the\n"
        "  disk on every exec (not repeatable under -icount: left out of the determinism check).\n"
        "- shells: freeframes() before and while 8 sh processes wait at their prompts (text"
        " shared through the page cache).\n"
        "- usertests: host wall time from 'init: running' to 'init: exit status', no -icount.\n"
        % (det, worst * 100, nfig))
    return head + "\n" + t.text() + "\n\n" + targets.text() + "\n\n" + notes


def main():
    """Run every measurement, print the table and write it to RESULTS (and
    TRACKED with --refresh)."""
    for path in KERNELS.values():
        if not os.path.exists(path):
            sys.exit("bench: %s missing; run `make bench`" % path)
    ic, wall, hz = {}, {}, {}
    worst, nfig = 0.0, 0
    for k in KERNELS:
        first, hz[k] = boot(k, True)
        second, _ = boot(k, True)
        worst = max(worst, deviation(first, second))
        nfig += sum(1 for f in first.values() if "instret" in f)
        ic[k] = first
        wall[k], _ = boot(k, False)
    ut = {k: usertests(k) for k in KERNELS}
    text = build_table(ic, wall, hz, worst, nfig, ut)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    for path in [RESULTS] + ([TRACKED] if "--refresh" in sys.argv[1:] else []):
        with open(path, "w") as f:
            f.write(text)
    print(text, end="")
    progress("results in " + os.path.relpath(RESULTS, qemu.ROOT)
             + ("" if "--refresh" in sys.argv[1:] else "; make bench REFRESH=1 also updates "
                + os.path.relpath(TRACKED, qemu.ROOT)))


if __name__ == "__main__":
    main()
