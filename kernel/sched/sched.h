/* sched.h: processes, and the scheduler that runs them (sched.c, swtch.S).
 * The lifecycle (fork, exit, wait, exec) is one layer up, in proc/. */
#ifndef CALF_SCHED_H
#define CALF_SCHED_H

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/platform/hart.h"

struct aspace;

/* The page at TRAPFRAME. trampoline.S saves user registers here on a trap and
 * finds the kernel's page table, stack and hart index here; the offsets in
 * trampoline.S follow this order. */
struct trapframe {
  /*   0 */ uint64 kernel_satp;
  /*   8 */ uint64 kernel_sp;
  /*  16 */ uint64 epc;
  /*  24 */ uint64 kernel_hartid; /* tp, i.e. cpuid() */
  /*  32 */ uint64 ra;
  /*  40 */ uint64 sp;
  /*  48 */ uint64 gp;
  /*  56 */ uint64 tp;
  /*  64 */ uint64 t0;
  /*  72 */ uint64 t1;
  /*  80 */ uint64 t2;
  /*  88 */ uint64 s0;
  /*  96 */ uint64 s1;
  /* 104 */ uint64 a0;
  /* 112 */ uint64 a1;
  /* 120 */ uint64 a2;
  /* 128 */ uint64 a3;
  /* 136 */ uint64 a4;
  /* 144 */ uint64 a5;
  /* 152 */ uint64 a6;
  /* 160 */ uint64 a7;
  /* 168 */ uint64 s2;
  /* 176 */ uint64 s3;
  /* 184 */ uint64 s4;
  /* 192 */ uint64 s5;
  /* 200 */ uint64 s6;
  /* 208 */ uint64 s7;
  /* 216 */ uint64 s8;
  /* 224 */ uint64 s9;
  /* 232 */ uint64 s10;
  /* 240 */ uint64 s11;
  /* 248 */ uint64 t3;
  /* 256 */ uint64 t4;
  /* 264 */ uint64 t5;
  /* 272 */ uint64 t6;
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

/* The table (sched.c). wait_lock guards every p->parent; initproc is set
 * once, by userinit. */
extern struct proc proc[NPROC];
extern struct proc *initproc;
extern struct spinlock wait_lock;

void sched_init(void);
const char *proc_state_name(enum procstate s);
struct proc *myproc(void);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
void sleep(void *chan, struct spinlock *lk);
int sleep_killable(void *chan, struct spinlock *lk);
void wakeup(void *chan);
int kill(int pid);
int killed(struct proc *p);
void setkilled(struct proc *p);
void procdump(void);
struct proc *proc_lookup(int pid);
int kill_tree(int pid);
void swtch(struct context *old, struct context *new);

#endif
