/* proc.h: harts, processes and the state a context switch saves. */
#ifndef CALF_PROC_H
#define CALF_PROC_H

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"

struct aspace;
struct procinfo;

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

/* The page at TRAPFRAME. trampoline.S saves user registers here on a trap and
 * finds the kernel's page table, stack and handler here; the offsets in
 * trampoline.S follow this order. */
struct trapframe {
  /*   0 */ uint64 kernel_satp;
  /*   8 */ uint64 kernel_sp;
  /*  16 */ uint64 kernel_trap;
  /*  24 */ uint64 epc;
  /*  32 */ uint64 kernel_hartid; /* tp, i.e. cpuid() */
  /*  40 */ uint64 ra;
  /*  48 */ uint64 sp;
  /*  56 */ uint64 gp;
  /*  64 */ uint64 tp;
  /*  72 */ uint64 t0;
  /*  80 */ uint64 t1;
  /*  88 */ uint64 t2;
  /*  96 */ uint64 s0;
  /* 104 */ uint64 s1;
  /* 112 */ uint64 a0;
  /* 120 */ uint64 a1;
  /* 128 */ uint64 a2;
  /* 136 */ uint64 a3;
  /* 144 */ uint64 a4;
  /* 152 */ uint64 a5;
  /* 160 */ uint64 a6;
  /* 168 */ uint64 a7;
  /* 176 */ uint64 s2;
  /* 184 */ uint64 s3;
  /* 192 */ uint64 s4;
  /* 200 */ uint64 s5;
  /* 208 */ uint64 s6;
  /* 216 */ uint64 s7;
  /* 224 */ uint64 s8;
  /* 232 */ uint64 s9;
  /* 240 */ uint64 s10;
  /* 248 */ uint64 s11;
  /* 256 */ uint64 t3;
  /* 264 */ uint64 t4;
  /* 272 */ uint64 t5;
  /* 280 */ uint64 t6;
};

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
  struct spinlock lock;

  /* p->lock must be held when using these: */
  enum procstate state;
  void *chan; /* sleeping on chan, if non-zero */
  int xstate; /* exit status for the parent's wait() */
  int pid;

  /* Atomic, no lock: set once by kill() or a fatal fault (setkilled); the
   * process exits at its next trap return. */
  int killed;

  /* The address space the process runs in (its own, or its parent's while it
   * is a vfork child), 0 before its first exec and after exit. The process
   * changes it with p->lock held and reads it freely; others read it with
   * p->lock held, which keeps it from being destroyed under them. */
  struct aspace *as;

  /* wait_lock must be held when using these: */
  struct proc *parent;
  int vforked; /* a vfork child: p->as is borrowed from the parent, who sleeps
                * in vfork until it is given back (exec or exit) */

  /* Private to the process, no lock needed: */
  uint64 kstack;               /* virtual address of the kernel stack */
  struct trapframe *trapframe; /* page at TRAPFRAME */
  struct context context;      /* swtch() here to run the process */
  struct file *ofile[NOFILE];
  struct inode *cwd;
  char name[16];
};

/* Processes (proc.c, swtch.S). */
extern int stack_shortcut; /* fork's stack-page shortcut, switched by cowctl */
extern int table_sharing;  /* fork's sharing of leaf page tables, switched by cowctl */

void procinit(void);
void userinit(void);
struct proc *myproc(void);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
void sleep(void *chan, struct spinlock *lk);
int sleep_killable(void *chan, struct spinlock *lk);
void wakeup(void *chan);
int fork(void);
int vfork(void);
void vfork_release(struct proc *p);
void exit(int status) __attribute__((noreturn));
int wait(uint64 addr);
int kill(int pid);
int killed(struct proc *p);
void setkilled(struct proc *p);
int growproc(int n, int lazy);
int either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);
void procdump(void);
struct proc *proc_lookup(int pid);
int kill_tree(int pid);
int proc_info(int i, struct procinfo *pi);
void swtch(struct context *old, struct context *new);

#endif
