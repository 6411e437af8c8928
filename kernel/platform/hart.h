/* hart.h: the harts calf runs on, as the kernel keeps them: one struct cpu
 * each, indexed by cpuid() (tp holds the index in the kernel). machine.c
 * defines the table; main.c fills it as it starts the harts. */
#ifndef CALF_HART_H
#define CALF_HART_H

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"

struct proc;

/* Callee-saved registers, saved by swtch.S. */
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s[12]; /* s0-s11 */
};

/* Per-hart state. Only its own hart touches it, with interrupts off. */
struct cpu {
  struct proc *proc;      /* running process, or 0 */
  struct context context; /* swtch() here to enter the scheduler */
  int noff;               /* depth of push_off() nesting */
  int intena;             /* were interrupts on before push_off()? */
  uint64 hartid;          /* SBI hart id; the index into cpus[] is cpuid() */
  int plic_ctx;           /* PLIC context for S-mode external interrupts */
  int started;            /* set once the hart runs the scheduler */
  uint64 timer_irqs;      /* timer interrupts taken, for procdump */
};

extern struct cpu cpus[NCPU];
extern int ncpu; /* harts started */

/* Index of this hart in cpus[] (tp holds it in the kernel). Interrupts
 * must be off, or the caller may move to another hart before using it. */
static inline int
cpuid(void)
{
  return r_tp();
}

/* This hart's struct cpu. Interrupts must be off. */
static inline struct cpu *
mycpu(void)
{
  return &cpus[r_tp()];
}

#endif
