#!/usr/bin/env python3
"""Check that kernel calls only go down the layers the folders of kernel/ draw.

    python3 test/layers.py [--objs DIR] [--nm NM] [--graph]
    python3 test/layers.py --self-test

The layers, bottom to top (LAYERS): lib, platform, sched, mem, dev, fs, proc,
sys, and kernel/main.c on top. Each object file of the built kernel (DIR,
default kernel/) belongs to the layer of its folder. A file that uses a
symbol another file defines (nm: U against T/D/B/R) calls that file. The
rules:

  1. A file calls only files of its own layer or of layers below it.
  2. Calls between files, counted as a graph of files, make no loop.

Two kinds of call are exempt, and only these:

  - The lock/panic core (CORE: printf.c, which holds panic, and spinlock.c)
    is called by every layer and calls into platform (the console out, the
    harts, power off): a lock can panic and panic takes a lock. Its calls up
    into platform break rule 1 and are the one loop rule 2 allows.
  - An assembly entry point enters the C function it exists for (ENTRIES):
    the firmware's entry enters main, the trap vectors (the kernel's, and
    the trampoline's for user mode) the trap handlers. Hardware and firmware come in at the bottom and go straight up.

Prints one line per offending call, with the symbols, and exits 1; or prints
a summary and exits 0. --graph prints every file's calls. --self-test
checks the checker: it builds a file of the lowest layer that calls the top
of the kernel, and a pair of files that call each other, and each must be
refused. Standard library and binutils only.
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LAYERS = ["lib", "platform", "sched", "mem", "dev", "fs", "proc", "sys", "main"]
CORE = {"lib/printf", "lib/spinlock"}
ENTRIES = {("platform/entry", "boot_main"), ("platform/entry", "secondary_main"),
           ("sys/kernelvec", "kerneltrap"), ("platform/trampoline", "usertrap")}


def layer_of(unit):
    """The layer of unit (an object's path below kernel/, without .o)."""
    return unit.split("/")[0] if "/" in unit else unit


def read_objects(objs, nm):
    """{unit: (defined symbols, undefined symbols)} for every .o below objs."""
    units = {}
    for dirpath, _, names in os.walk(objs):
        for name in sorted(names):
            if not name.endswith(".o"):
                continue
            path = os.path.join(dirpath, name)
            unit = os.path.relpath(path, objs)[:-2]
            out = subprocess.run([nm, path], check=True, stdout=subprocess.PIPE).stdout.decode()
            defined, undefined = set(), set()
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == "U":
                    undefined.add(parts[1])
                elif len(parts) == 3 and parts[1] in "TDBRGS":
                    defined.add(parts[2])
            units[unit] = (defined, undefined)
    return units


def calls(units):
    """{(caller, callee): sorted symbols} between distinct units."""
    owner = {}
    for unit, (defined, _) in units.items():
        for sym in defined:
            owner[sym] = unit
    edges = collections.defaultdict(list)
    for unit, (_, undefined) in units.items():
        for sym in sorted(undefined):
            callee = owner.get(sym)
            if callee and callee != unit and (unit, sym) not in ENTRIES:
                edges[(unit, callee)].append(sym)
    return edges


def upward(edges):
    """Calls that break rule 1: [(caller, callee, symbols)]."""
    bad = []
    for (caller, callee), syms in sorted(edges.items()):
        if caller in CORE and layer_of(callee) == "platform":
            continue
        if layer_of(caller) not in LAYERS or layer_of(callee) not in LAYERS:
            bad.append((caller, callee, syms))
        elif LAYERS.index(layer_of(callee)) > LAYERS.index(layer_of(caller)):
            bad.append((caller, callee, syms))
    return bad


def loops(edges):
    """Groups of files that call each other (rule 2), the core's calls left out."""
    graph = collections.defaultdict(set)
    for caller, callee in edges:
        if caller not in CORE:
            graph[caller].add(callee)
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):   # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(list(graph)):
        if v not in index:
            visit(v)
    return found


def check(objs, nm, graph=False):
    """Check the objects below objs; returns the list of problems."""
    units = read_objects(objs, nm)
    if not units:
        return ["no object files below %s: build the kernel first" % objs]
    edges = calls(units)
    if graph:
        for (caller, callee), syms in sorted(edges.items()):
            print("%s -> %s: %s" % (caller, callee, " ".join(syms)))
    problems = ["%s calls up into %s (%s): %s" % (caller, callee, layer_of(callee), " ".join(syms))
                for caller, callee, syms in upward(edges)]
    problems += ["these files call each other in a loop: %s" % " ".join(group) for group in loops(edges)]
    return problems


def self_test(nm):
    """The checker refuses an upward call and a loop; returns the list of failures."""
    cc = nm[:-2] + "gcc"
    failures = []
    with tempfile.TemporaryDirectory(prefix="calf-layers-") as tmp:
        cases = {
            "an upward call": {"lib/low.c": "void syscall(void); void low(void) { syscall(); }",
                               "sys/syscall.c": "void syscall(void) {}"},
            "a loop": {"fs/a.c": "void b(void); void a(void) { b(); }",
                       "fs/b.c": "void a(void); void b(void) { a(); }"},
            "a clean tree": {"lib/low.c": "void low(void) {}",
                             "sys/top.c": "void low(void); void top(void) { low(); }"},
        }
        for name, files in cases.items():
            objs = os.path.join(tmp, name.replace(" ", "-"))
            for path, text in files.items():
                src = os.path.join(objs, path)
                os.makedirs(os.path.dirname(src), exist_ok=True)
                with open(src, "w") as f:
                    f.write(text + "\n")
                subprocess.run([cc, "-c", "-o", src[:-2] + ".o", src], check=True)
            problems = check(objs, nm)
            if (name == "a clean tree") != (not problems):
                failures.append("%s: the checker said %s" % (name, problems or "nothing"))
    return failures


def main():
    ap = argparse.ArgumentParser(description="Check that kernel calls go down the layers.")
    ap.add_argument("--objs", default=os.path.join(ROOT, "kernel"), help="the built kernel's objects")
    ap.add_argument("--nm", default=os.environ.get("TOOLPREFIX", "riscv64-unknown-elf-") + "nm")
    ap.add_argument("--graph", action="store_true", help="print every file's calls")
    ap.add_argument("--self-test", action="store_true", help="check the checker")
    args = ap.parse_args()
    if args.self_test:
        failures = self_test(args.nm)
        for f in failures:
            print("layers self-test: " + f)
        print("layers self-test: %s" % ("FAILED" if failures else "ok"))
        return 1 if failures else 0
    problems = check(args.objs, args.nm, args.graph)
    for p in problems:
        print("layers: " + p)
    if problems:
        print("layers: %d problem(s); the layers, bottom to top: %s" % (len(problems), ", ".join(LAYERS)))
        return 1
    print("layers: calls go down: %s" % " < ".join(LAYERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
