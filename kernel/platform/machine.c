/* machine.c: the machine calf runs on, as the kernel keeps it: what the
 * device tree told (machine, filled by main.c before any other hart runs and
 * read-only afterwards), one struct cpu per started hart (hart.h), and the
 * harts' boot stacks. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/platform/fdt.h"
#include "kernel/platform/hart.h"

struct machine machine;

struct cpu cpus[NCPU];
int ncpu;

/* Boot stacks, slot 0 for the boot hart; entry.S sets sp, pagetable.c unmaps
 * each slot's first page as its guard. */
__attribute__((aligned(PGSIZE))) char hart_stacks[NCPU][HART_STACK_PAGES + 1][PGSIZE];
