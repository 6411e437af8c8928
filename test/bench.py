"""calf: `make bench`: fork three ways, one table and one plot.

Three configurations: the eager-copy kernel (build/eager/kernel, COW=0); the
COW kernel (kernel/kernel) sharing pages only (`cowctl tables off`: the
textbook's page-level copy-on-write); and the same kernel sharing whole leaf
page tables (its default). Each boots on one hart with 512 MiB under
`-icount shift=0,sleep=off`, where QEMU retires exactly one guest instruction
per virtual nanosecond, so the instret deltas user/forkbench.c prints are
repeatable. Each configuration runs twice that way (the two runs must agree
within 1%; the table says whether they do) and once without -icount, whose
time-CSR deltas give host wall time per operation. Then `usertests -q` runs on
3 harts in each, for its wall time.

Says what it is doing as it goes (on stderr), then prints the table and
writes it to build/bench-results.txt, and the plot of fork cost against
memory touched to build/bench-fork.svg; with --refresh (make bench REFRESH=1)
also to the tracked test/bench-results.txt and test/bench-fork.svg, which the
README quotes. Targets are reported as met or missed; they never fail the
run. Standard library only.
"""

import math
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

RESULTS = os.path.join(qemu.ROOT, "build", "bench-results.txt")
TRACKED = os.path.join(qemu.ROOT, "test", "bench-results.txt")
PLOT, TRACKED_PLOT = (os.path.join(qemu.ROOT, d, "bench-fork.svg") for d in ("build", "test"))
COW_KERNEL = os.path.join(qemu.ROOT, "kernel", "kernel")
# configuration: (kernel, commands run first, column title)
CONFIGS = {"eager": (os.path.join(qemu.ROOT, "build", "eager", "kernel"), "", "eager"),
           "pages": (COW_KERNEL, "cowctl tables off; ", "page COW"),
           "tables": (COW_KERNEL, "", "table COW")}
ICOUNT = ["-icount", "shift=0,sleep=off"]
MEM = "512M"
SCRIPT = "; ".join("forkbench " + b for b in ("fork", "exec", "faults", "frames", "shell",
                                                "bigexec", "shells", "curve"))
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


def boot(config, icount):
    """Run SCRIPT once in config (a CONFIGS key): (parsed figures, timebase Hz)."""
    kernel, prefix, _ = CONFIGS[config]
    progress("%s, forkbench%s" % (config, " under -icount" if icount else ", wall time"))
    status, out = qemu.run_script(prefix + SCRIPT, 600, mem=MEM, cpus=1, kernel=kernel,
                                  extra_args=ICOUNT if icount else [])
    if status != 0 or qemu.PANIC.search(out):
        sys.exit("bench: %s: forkbench failed (status %d):\n%s"
                 % (config, status, qemu.tail(out)))
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


def usertests(config):
    """Wall seconds of `usertests -q` on 3 harts and its exit status, or a reason string."""
    if not os.path.exists(os.path.join(qemu.ROOT, "user", "_usertests")):
        return "n/a (no usertests)"
    kernel, prefix, _ = CONFIGS[config]
    progress("%s, usertests -q on 3 harts" % config)
    with qemu.Machine(run=prefix + "usertests -q", kernel=kernel,
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
    """Instructions of one fault: the faulting pass less the plain pass, per
    page that faulted (skip of them had been written already)."""
    return (fig["instret"] - fig["loop"]) / max(fig["ops"] - fig.get("skip", 0), 1)


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


def ratio(a, b):
    """a / b as "N.Nx"."""
    return "%.1fx" % (a / max(b, 1))


def fork_growth(f, key, mib):
    """Instructions per resident page that figure key (a fork-64 kind) adds
    over the same at 0 MiB."""
    base = "fork-00-fork" if key.endswith("-fork") else "fork-00"
    return (per_op(f[key]) - per_op(f[base])) / (mib * PAGES_PER_MIB)


def fork_slope(f, key):
    """Instructions per page that figure key (a fork-64 kind) adds from 16 to
    64 MiB: what one more resident page costs, without the fixed cost of the
    first 2 MiB (the stack pointer's leaf table, never shared, filled page by
    page)."""
    return (per_op(f[key]) - per_op(f[key.replace("64", "16")])) / (48 * PAGES_PER_MIB)


def build_table(ic, wall, hz, worst, nfig, ut):
    """The whole report as text. ic/wall: {config: figures}; hz: {config: timebase}."""
    ks = list(CONFIGS)
    e, p, tb = ic["eager"], ic["pages"], ic["tables"]
    t = Table()
    t.add("measurement", *[CONFIGS[k][2] + " instr" for k in ks],
          *[CONFIGS[k][2] + " us" for k in ks], "eager/page", "eager/table")
    t.rule()

    def row(label, name, ratios=True):
        t.add(label, *[num(per_op(ic[k][name])) for k in ks],
              *[num(usec(wall[k][name], hz[k]), 1) for k in ks],
              *([ratio(per_op(e[name]), per_op(ic[k][name])) for k in ("pages", "tables")]
                if ratios else ["", ""]))

    def plain(label, cells, *rest):
        t.add(label, *cells, "", "", "", *rest)

    for mib in SIZES:
        row("fork+exit+wait, %d MiB touched" % mib, "fork-%02d" % mib)
    for mib in SIZES[1:]:
        plain("  per resident page, %d MiB" % mib,
              [num(fork_growth(ic[k], "fork-%02d" % mib, mib), 1) for k in ks], "", "")
    plain("  of it in fork() itself, 64 MiB",
          [num(fork_growth(ic[k], "fork-64-fork", 64), 2) for k in ks], "", "")
    plain("  in fork() itself, per page added from 16 to 64 MiB",
          [num(fork_slope(ic[k], "fork-64-fork"), 2) for k in ks], "", "")
    row("first fork+exit+wait, 64 MiB (pages stored since)", "fork-64-first")
    plain("  in fork() itself, per resident page",
          [num(fork_growth(ic[k], "fork-64-first-fork", 64), 2) for k in ks], "", "")
    plain("  in fork() itself, per page added from 16 to 64 MiB",
          [num(fork_slope(ic[k], "fork-64-first-fork"), 2) for k in ks], "", "")
    for mib in (0, 32, 64):
        row("fork+exec benchnop+wait, %d MiB" % mib, "exec-%d" % mib)
    plain("COW fault that copies (each)", ["n/a"] + [num(fault_cost(ic[k]["fault-copy"])) for k in ks[1:]], "", "")
    plain("  ... the first in a shared table (each)",
          ["n/a"] + [num(fault_cost(ic[k]["fault-unshare"])) for k in ks[1:]], "", "")
    plain("COW fault that reuses (each)", ["n/a"] + [num(fault_cost(ic[k]["fault-reuse"])) for k in ks[1:]], "", "")
    plain("zero-fill fault (each)", [num(fault_cost(ic[k]["fault-zero"])) for k in ks], "", "")
    fr = {k: ic[k]["frames-64"]["before"] - ic[k]["frames-64"]["during"] for k in ks}
    plain("frames used by fork of 64 MiB", [num(fr[k]) for k in ks],
          "%.0fx" % (fr["eager"] / max(fr["pages"], 1)), "%.0fx" % (fr["eager"] / max(fr["tables"], 1)))
    for kind, label in (("shc", 'sh -c "echo hi"'), ("shi", "sh reading echo hi")):
        for on in (1, 0):
            plain("COW faults, %s, shortcut %s" % (label, "on" if on else "off"),
                  ["n/a"] + ["%d (%dc+%dr)" % shell_faults(ic[k], kind, on) for k in ks[1:]], "", "")
    row("fork+exec+wait, 240 KiB program, 1 page touched", "bigexec-paged", False)
    t.add("  ... the same program copied at exec", *[num(per_op(ic[k]["bigexec-copy"])) for k in ks],
          *[num(usec(wall[k]["bigexec-copy"], hz[k]), 1) for k in ks], "", "")
    sh = {k: ic[k]["shells-8"]["before"] - ic[k]["shells-8"]["during"] for k in ks}
    plain("frames used by 8 shells at their prompts", [num(sh[k]) for k in ks], "", "")
    plain("usertests -q wall time, 3 harts", [ut[k] for k in ks], "", "")

    first = per_op(e["fork-64-first"]) / per_op(tb["fork-64-first"])
    repeat = per_op(e["fork-64"]) / per_op(tb["fork-64"])
    first_page = fork_slope(tb, "fork-64-first-fork")
    repeat_page = fork_slope(tb, "fork-64-fork")
    exec_growth = per_op(tb["exec-64"]) / per_op(tb["exec-0"])
    copy_t, copy_p = fault_cost(tb["fault-copy"]), fault_cost(p["fault-copy"])
    ratio64 = per_op(e["fork-64"]) / per_op(p["fork-64"])
    ratio_exec = per_op(e["exec-32"]) / per_op(tb["exec-32"])
    shell_on = shell_faults(tb, "shc", 1)[0]
    targets = Table()
    targets.add("target", "goal", "reached", "")
    targets.rule()
    for what, goal, got, met in (
            ("fork+exit+wait 64 MiB, first fork, eager/table", ">= 250x", "%.1fx" % first, first >= 250),
            ("fork+exit+wait 64 MiB, repeated fork, eager/table", ">= 600x", "%.1fx" % repeat,
             repeat >= 600),
            ("fork() itself per page added, first fork (table)", "<= 6 instr", num(first_page, 2),
             first_page <= 6),
            ("fork() itself per page added, repeated fork (table)", "<= 0.5 instr",
             num(repeat_page, 2), repeat_page <= 0.5),
            ("fork+exec+wait from 64 MiB / from 0 MiB (table)", "<= 1.5x", "%.2fx" % exec_growth,
             exec_growth <= 1.5),
            ("COW copy fault in an unshared table / page COW's", "<= 1.05x",
             "%.3fx" % (copy_t / copy_p), copy_t <= copy_p * 1.05),
            ("fork of 64 MiB, eager/page", ">= 50x", "%.1fx" % ratio64, ratio64 >= 50),
            ("fork+exit+wait growth per resident page (page)", "<= 40 instr",
             num(fork_growth(p, "fork-64", 64), 1), fork_growth(p, "fork-64", 64) <= 40),
            ("fork+exec from 32 MiB, eager/table", ">= 20x", "%.1fx" % ratio_exec, ratio_exec >= 20),
            ('COW faults for sh -c "echo hi" (shortcut on, table)', "0", str(shell_on),
             shell_on == 0)):
        targets.add(what, goal, got, "met" if met else "MISSED")

    det = "agree" if worst <= TOLERANCE else "DISAGREE"
    head = ("calf benchmarks (make bench): QEMU virt, 1 hart, %s, -icount shift=0,sleep=off\n"
            "instr = guest instructions per operation (instret read in user mode around it; "
            "includes the kernel's work on the hart)\n"
            "us = host wall microseconds per operation (same program, a run without -icount)\n"
            "eager = kernel built with COW=0; page COW = COW kernel after `cowctl tables off`"
            " (fork shares pages);\n"
            "table COW = COW kernel as booted (fork shares whole leaf page tables: kernel/mem/cow.c)\n"
            % MEM)
    notes = (
        "Determinism: two -icount runs per configuration %s: largest difference %.4f%% over %d"
        " figures (limit 1%%).\n"
        "Notes:\n"
        "- fork rows: the parent forks 10 times (after one unmeasured fork) a child that exits at"
        " once, and waits: these are\n"
        "  repeated forks (nothing stored since the last). First forks: before each (not"
        " measured) a store to every page.\n"
        "  per resident page = (cost - cost at 0 MiB) / touched pages; 'in fork() itself' leaves"
        " out the child's exit and wait;\n"
        "  per page added = (cost at 64 MiB - cost at 16 MiB) / pages between: the per-page"
        " targets use it, because the\n"
        "  first 2 MiB (the leaf table holding the stack pointer's page, which fork fills page by"
        " page) is a fixed cost.\n"
        "- faults: 4096 stores, one per page, less a second pass over the same (now writable)"
        " pages; copy: child alive\n"
        "  and blocked on a pipe; the first store into each 2 MiB of it (each shared table) is"
        " measured apart and left out\n"
        "  of the copy row; reuse: child exited; zero-fill: sbrklazy memory.\n"
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
        "- plot (bench-fork.svg): repeated fork+exit+wait against touched heap, 1 to 256 MiB;"
        " the eager kernel's last\n"
        "  points are missing where its copy does not fit in %s.\n"
        % (det, worst * 100, nfig, MEM))
    return head + "\n" + t.text() + "\n\n" + targets.text() + "\n\n" + notes


def curve(fig):
    """[(MiB, instructions per fork+exit+wait)] of one run's curve figures."""
    pts = []
    for name, f in fig.items():
        if name.startswith("curve-") and "instret" in f:
            pts.append((int(name[6:]), per_op(f)))
    return sorted(pts)


def plot(ic):
    """An SVG line chart, log-log, of fork+exit+wait cost against MiB touched."""
    w, h, left, right, top, bottom = 720, 440, 90, 150, 30, 60
    series = [(CONFIGS[k][2], curve(ic[k]), colour)
              for k, colour in (("eager", "#c0392b"), ("pages", "#2471a3"), ("tables", "#1e8449"))]
    ys = [y for _, pts, _ in series for _, y in pts]
    lo, hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    xmax = 8  # log2(256)

    def px(mib):
        return left + (w - left - right) * math.log2(mib) / xmax

    def py(y):
        return top + (h - top - bottom) * (hi - math.log10(y)) / max(hi - lo, 1)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif"'
           ' font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">calf: fork+exit+wait, instructions against MiB'
           ' touched (-icount, %s)</text>' % (left, MEM)]
    for e in range(lo, hi + 1):
        y = py(10 ** e)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (left, y, w - right, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">1e%d</text>' % (left - 6, y + 4, e))
    for i in range(xmax + 1):
        x = px(2 ** i)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x, top, x, h - bottom))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x, h - bottom + 16, 2 ** i))
    out.append('<text x="%d" y="%d" text-anchor="middle">MiB touched by the parent (log scale)</text>'
               % ((left + w - right) // 2, h - 18))
    out.append('<text x="18" y="%d" transform="rotate(-90 18 %d)" text-anchor="middle">'
               'instructions per fork+exit+wait (log scale)</text>' % (h // 2, h // 2))
    for i, (label, pts, colour) in enumerate(series):
        if pts:
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                       % (colour, " ".join("%.1f,%.1f" % (px(m), py(y)) for m, y in pts)))
            out.extend('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px(m), py(y), colour)
                       for m, y in pts)
        ly = top + 20 + 20 * i
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                   % (w - right + 12, ly, w - right + 36, ly, colour))
        out.append('<text x="%d" y="%d">%s</text>' % (w - right + 42, ly + 4, label))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    """Run every measurement, print the table and write it to RESULTS (and
    TRACKED with --refresh)."""
    for path, _, _ in CONFIGS.values():
        if not os.path.exists(path):
            sys.exit("bench: %s missing; run `make bench`" % path)
    ic, wall, hz = {}, {}, {}
    worst, nfig = 0.0, 0
    for k in CONFIGS:
        first, hz[k] = boot(k, True)
        second, _ = boot(k, True)
        worst = max(worst, deviation(first, second))
        nfig += sum(1 for f in first.values() if "instret" in f)
        ic[k] = first
        wall[k], _ = boot(k, False)
    ut = {k: usertests(k) for k in CONFIGS}
    text = build_table(ic, wall, hz, worst, nfig, ut)
    svg = plot(ic)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    refresh = "--refresh" in sys.argv[1:]
    for path, content in [(RESULTS, text), (PLOT, svg)] + ([(TRACKED, text), (TRACKED_PLOT, svg)]
                                                           if refresh else []):
        with open(path, "w") as f:
            f.write(content)
    print(text, end="")
    progress("results in " + os.path.relpath(RESULTS, qemu.ROOT)
             + ("" if "--refresh" in sys.argv[1:] else "; make bench REFRESH=1 also updates "
                + os.path.relpath(TRACKED, qemu.ROOT)))


if __name__ == "__main__":
    main()
