"""calf: `make bench`, the page-replacement part: the kernel's policies on
reference strings against OPT and LRU, and a working set that fits in a
memory its program does not.

Reference strings (user/refstring.c makes the same ones: strings() here
must agree with it): the program limits its resident heap to F frames
(local replacement in the kernel, cowctl COWCTL_RSSLIMIT) and stores to
the pages of the string; the kernel counts its faults (zero-fills plus
page-ins). For every string and F, the kernel runs clock and FIFO; OPT
(Belady's: replace the page used furthest ahead) and exact LRU are computed
here for the same string, and FIFO and clock are simulated here too, so
that the table says whether the kernel's FIFO is the textbook's exactly.

Targets: clock within 1.3x of OPT's faults on the looping string and on
the random-with-locality string (at the frame counts in TARGETS), and
Belady's anomaly shown by the kernel's FIFO (more faults with 4 frames than
with 3). Reported as met or missed; they never fail the run.

Then wsbench touches 200 MiB on a 128 MiB machine and walks 48 MiB of it
four times: the later walks should find their pages in memory.

Writes build/bench-swap.txt and build/bench-swap.svg (faults against
frames); with --refresh also test/bench-swap.txt and test/bench-swap.svg.
Standard library only.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

OUT = {d: (os.path.join(qemu.ROOT, d, "bench-swap.txt"), os.path.join(qemu.ROOT, d, "bench-swap.svg"))
       for d in ("build", "test")}
NPAGES = 32
FRAMES = (2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32)
NAMES = ("loop", "locality", "cycle")
TARGETS = {"loop": 12, "locality": 12}   # frames at which clock must be within 1.3x of OPT
TARGET_RATIO = 1.3
BOOTARGS_MAX = 200
LINE = re.compile(r"refstring: (\w+) (\w+) frames (\d+) refs (\d+) faults (\d+)")
WS = re.compile(r"bench: wsbench (.*)$", re.M)


def strings():
    """{name: [page, ...]}: the reference strings of user/refstring.c."""
    seed = [12345]

    def rnd():
        seed[0] = (seed[0] * 1103515245 + 12345) & 0x7fffffff
        return seed[0] >> 16  # the high bits: the low ones are not random

    s = {"belady": [p - 1 for p in (1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5)]}
    s["loop"] = [phase * 6 + k for phase in range(4) for _ in range(20) for k in range(12)]
    loc = []
    for n in range(1000):
        hot = (n // 250) * 4
        loc.append(hot + rnd() % 8 if rnd() % 5 < 4 else rnd() % NPAGES)
    s["locality"] = loc
    s["cycle"] = [k for _ in range(10) for k in range(16)]
    return s


def opt(refs, frames):
    """Faults of Belady's optimal policy: replace the page used furthest ahead."""
    resident, faults = set(), 0
    for i, p in enumerate(refs):
        if p in resident:
            continue
        faults += 1
        if len(resident) == frames:
            def next_use(q):
                for j in range(i + 1, len(refs)):
                    if refs[j] == q:
                        return j
                return len(refs) + q  # never again: the furthest of all
            resident.remove(max(resident, key=next_use))
        resident.add(p)
    return faults


def lru(refs, frames):
    """Faults of exact LRU."""
    order, faults = [], 0
    for p in refs:
        if p in order:
            order.remove(p)
        else:
            faults += 1
            if len(order) == frames:
                order.pop(0)
        order.append(p)
    return faults


def fifo(refs, frames):
    """Faults of FIFO, as the textbook (and the kernel's ring) has it."""
    ring, hand, faults = [], 0, 0
    for p in refs:
        if p in ring:
            continue
        faults += 1
        if len(ring) < frames:
            ring.append(p)
        else:
            ring[hand] = p
            hand = (hand + 1) % frames
    return faults


def clock(refs, frames):
    """Faults of the clock (second chance): a use sets the page's bit."""
    ring, bit, hand, faults = [], {}, 0, 0
    for p in refs:
        if p in ring:
            bit[p] = 1
            continue
        faults += 1
        if len(ring) < frames:
            ring.append(p)
        else:
            while bit.get(ring[hand]):
                bit[ring[hand]] = 0
                hand = (hand + 1) % frames
            del bit[ring[hand]]
            ring[hand] = p
            hand = (hand + 1) % frames
        bit[p] = 1
    return faults


def run_kernel():
    """{(name, policy, frames): faults} from one boot running every refstring."""
    cmds = ["refstring -p fifo -f 3 belady", "refstring -p fifo -f 4 belady"]
    for name in NAMES:
        for f in FRAMES:
            for pol in ("clock", "fifo"):
                cmds.append("refstring -p %s -f %d %s" % (pol, f, name))
    print("bench: reference strings, %d runs" % len(cmds), file=sys.stderr, flush=True)
    found = {}
    while cmds:  # the kernel keeps BOOTARGS_MAX bytes of bootargs: a few runs a boot
        batch = []
        while cmds and len("; ".join(batch + cmds[:1])) < BOOTARGS_MAX:
            batch.append(cmds.pop(0))
        status, out = qemu.run_script("; ".join(batch), 300, mem="128M", cpus=1, swap="64M")
        got = {(m[0], m[1], int(m[2])): int(m[4]) for m in LINE.findall(out)}
        if status != 0 or len(got) != len(batch):
            sys.exit("bench: refstring runs failed (status %d):\n%s" % (status, qemu.tail(out)))
        found.update(got)
    return found


def run_wsbench():
    """wsbench's figures: {key: int}."""
    print("bench: wsbench, 200 MiB on 128 MiB with swap", file=sys.stderr, flush=True)
    status, out = qemu.run_script("wsbench 200 48 4", 900, mem="128M", cpus=3, swap="256M")
    m = WS.search(out)
    if status != 0 or not m:
        sys.exit("bench: wsbench failed (status %d):\n%s" % (status, qemu.tail(out)))
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}


def table(k, ws):
    """The results as text."""
    s = strings()
    lines = ["calf page replacement (make bench): reference strings of 32 pages, one process",
             "limited to F resident heap pages (local replacement); faults = the kernel's count",
             "(zero-fills + page-ins) for clock and FIFO, computed here for OPT and exact LRU;",
             "'sim' = the textbook's FIFO/clock simulated here on the same string", ""]
    for name in NAMES:
        refs = s[name]
        lines.append("%s (%d references)" % (name, len(refs)))
        lines.append("%8s %6s %6s %8s %8s %8s %8s %10s" % ("frames", "OPT", "LRU", "clock", "(sim)",
                                                            "FIFO", "(sim)", "clock/OPT"))
        for f in FRAMES:
            o = opt(refs, f)
            lines.append("%8d %6d %6d %8d %8d %8d %8d %9.2fx" % (
                f, o, lru(refs, f), k[(name, "clock", f)], clock(refs, f), k[(name, "fifo", f)],
                fifo(refs, f), k[(name, "clock", f)] / o))
        lines.append("")
    b3, b4 = k[("belady", "fifo", 3)], k[("belady", "fifo", 4)]
    lines.append("Belady's anomaly, 1 2 3 4 1 2 5 1 2 3 4 5 under the kernel's FIFO: "
                 "%d faults with 3 frames, %d with 4" % (b3, b4))
    lines.append("")
    lines.append("wsbench: 200 MiB touched once on a 128 MiB machine (256 MiB swap), then its first")
    lines.append("48 MiB walked 4 times: page-ins in the first walk %d, in the three later ones %d;"
                 % (ws["first_ins"], ws["later_ins"]))
    lines.append("page-outs in all %d; %d ms for the first walk, %d ms for the later three"
                 % (ws["outs"], ws["ms_first"], ws["ms_later"]))
    lines.append("")
    lines.append("%-64s %8s" % ("target", "reached"))
    for name, f in TARGETS.items():
        r = k[(name, "clock", f)] / opt(s[name], f)
        lines.append("%-64s %8s" % ("clock within %.1fx of OPT, %s, %d frames (%.2fx)"
                                    % (TARGET_RATIO, name, f, r), "met" if r <= TARGET_RATIO else "MISSED"))
    lines.append("%-64s %8s" % ("Belady's anomaly: FIFO faults more with 4 frames than 3",
                                "met" if b4 > b3 else "MISSED"))
    exact = all(k[(n, "fifo", f)] == fifo(s[n], f) for n in NAMES for f in FRAMES)
    lines.append("%-64s %8s" % ("the kernel's FIFO is the textbook's, fault for fault",
                                "met" if exact else "MISSED"))
    same = all(k[(n, "clock", f)] == clock(s[n], f) for n in NAMES for f in FRAMES)
    lines.append("%-64s %8s" % ("the kernel's clock is the textbook's, fault for fault",
                                "met" if same else "MISSED"))
    lines.append("%-64s %8s" % ("wsbench: the later walks find the working set in memory",
                                "met" if ws["later_ins"] == 0 else "MISSED"))
    return "\n".join(lines) + "\n"


def plot(k):
    """An SVG of faults against frames for the locality string: OPT, LRU, clock, FIFO."""
    s = strings()["locality"]
    series = [("OPT", "#2a7", [opt(s, f) for f in FRAMES]),
              ("LRU", "#888", [lru(s, f) for f in FRAMES]),
              ("clock (kernel)", "#c33", [k[("locality", "clock", f)] for f in FRAMES]),
              ("FIFO (kernel)", "#36c", [k[("locality", "fifo", f)] for f in FRAMES])]
    w, h, left, bottom, top, right = 640, 400, 60, 50, 30, 160
    ymax = max(max(v) for _, _, v in series)
    px = lambda f: left + (f - FRAMES[0]) * (w - left - right) / (FRAMES[-1] - FRAMES[0])  # noqa: E731
    py = lambda y: h - bottom - y * (h - top - bottom) / ymax  # noqa: E731
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif"'
           ' font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18">faults against frames: the random-with-locality string '
           '(1000 references, 32 pages)</text>' % left,
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, h - bottom, w - right,
                                                                        h - bottom),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, top, left, h - bottom)]
    for f in FRAMES:
        out.append('<text x="%.0f" y="%d" text-anchor="middle">%d</text>' % (px(f), h - bottom + 16, f))
    for y in range(0, ymax + 1, max(1, ymax // 5)):
        out.append('<text x="%d" y="%.0f" text-anchor="end">%d</text>' % (left - 6, py(y) + 4, y))
    out.append('<text x="%d" y="%d" text-anchor="middle">frames</text>' % ((left + w - right) / 2,
                                                                          h - 12))
    for i, (name, color, ys) in enumerate(series):
        pts = " ".join("%.1f,%.1f" % (px(f), py(y)) for f, y in zip(FRAMES, ys))
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (color, pts))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (w - right + 10, top + 20 + 18 * i,
                                                               color, name))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    k = run_kernel()
    ws = run_wsbench()
    text, svg = table(k, ws), plot(k)
    print(text, end="")
    dirs = ["build"] + (["test"] if "--refresh" in sys.argv else [])
    for d in dirs:
        os.makedirs(os.path.join(qemu.ROOT, d), exist_ok=True)
        for path, content in zip(OUT[d], (text, svg)):
            with open(path, "w") as f:
                f.write(content)


if __name__ == "__main__":
    main()
