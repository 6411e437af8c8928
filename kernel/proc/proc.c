/* proc.c: processes, the per-hart scheduler, sleep and wakeup.
 *
 * A process's memory is an address space (aspace.h); this file only decides
 * which one a process runs in: a new one at exec, a copy-on-write copy at
 * fork, its parent's (borrowed) after vfork, none after exit.
 *
 * Locks, in the order they may be taken: wait_lock, then a p->lock, then an
 * address space's lock, then any other lock. wait_lock guards every
 * p->parent and the vfork hand-back (p->vforked), so that exit's wakeup of a
 * parent cannot be lost. p->lock guards the fields struct proc lists under
 * it. pid_lock guards nextpid.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/proc/exec.h"
#include "kernel/mem/frame.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/mem/pagetable.h"
#include "kernel/platform/power.h"
#include "kernel/lib/printf.h"
#include "kernel/procinfo.h"
#include "kernel/lib/string.h"
#include "kernel/sys/trap.h"

struct cpu cpus[NCPU];
int ncpu;

struct proc proc[NPROC];
static struct proc *initproc;

static int nextpid = 1;
static struct spinlock pid_lock;
static struct spinlock wait_lock;

/* How fork shares memory; cowctl switches both (memstat.h).
 * The stack-page shortcut: fork gives the child a private copy of the page
 * holding the stack pointer, so fork-then-exec takes no copy-on-write fault
 * at all.
 * Table sharing: fork shares whole leaf page tables (2 MiB each) rather than
 * their pages, so its cost grows with the tables, not the pages (cow.c). */
int stack_shortcut = 1;
#if COW
int table_sharing = 1;
#else
int table_sharing = 0; /* the starter shares no tables */
#endif

static void forkret(void);

/* Set up the process table and map each slot's kernel stack (with an unmapped
 * guard page below it) into the kernel page table. Boot hart, once. */
void
procinit(void)
{
  initlock(&pid_lock, "nextpid");
  initlock(&wait_lock, "wait_lock");
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    initlock(&p->lock, "proc");
    p->state = UNUSED;
    p->kstack = KSTACK((int)(p - proc));
    for (int i = 0; i < KSTACK_PAGES; i++) {
      char *pa = kalloc();
      if (pa == 0)
        panic("procinit: out of memory for kernel stacks");
      kvmmap(kernel_pagetable, p->kstack + i * PGSIZE, (uint64)pa, PGSIZE, PTE_R | PTE_W);
    }
  }
}

/* The process running on this hart, or 0. Interrupts are off while it
 * reads, so this hart cannot change under it; nothing in between can take a
 * lock, so push_off's nesting count is not needed. */
struct proc *
myproc(void)
{
  int on = intr_save_off();
  struct proc *p = mycpu()->proc;
  intr_restore(on);
  return p;
}

static int
allocpid(void)
{
  acquire(&pid_lock);
  int pid = nextpid++;
  release(&pid_lock);
  return pid;
}

/* Free a process slot's memory and reset it. Caller holds p->lock. */
static void
freeproc(struct proc *p)
{
  if (p->as && !p->vforked)
    as_destroy(p->as);
  p->as = 0;
  if (p->trapframe)
    kfree(p->trapframe);
  p->trapframe = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->vforked = 0;
  p->state = UNUSED;
}

/* Find an unused slot and give it a pid, a trapframe and a context that
 * starts in forkret; no address space yet. Returns it locked, or 0 if the
 * table is full or memory runs out. */
static struct proc *
allocproc(void)
{
  struct proc *p;

  for (p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state == UNUSED)
      break;
    release(&p->lock);
  }
  if (p == &proc[NPROC])
    return 0;

  p->pid = allocpid();
  p->state = USED;
  if ((p->trapframe = kalloc()) == 0) {
    freeproc(p);
    release(&p->lock);
    return 0;
  }
  memset(p->trapframe, 0, sizeof(*p->trapframe));
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + KSTACK_PAGES * PGSIZE;
  return p;
}

/* Create the first process. Its first run (forkret) mounts the file system
 * and execs /init. */
void
userinit(void)
{
  struct proc *p = allocproc();
  if (p == 0)
    panic("userinit: no process slot");
  initproc = p;
  safestrcpy(p->name, "init", sizeof(p->name));
  p->state = RUNNABLE;
  release(&p->lock);
}

/* Grow (n > 0) or shrink (n < 0) the current process's memory by n bytes.
 * Eager growth allocates zeroed frames now; lazy growth only moves the break,
 * and the pages appear on first touch. A shrink below 0 changes nothing, as
 * in xv6. Returns 0, or -1 if the break would pass USER_TOP or memory runs
 * out. */
int
growproc(int n, int lazy)
{
  struct aspace *as = myproc()->as;

  if (n > 0)
    return as_grow(as, n, lazy);
  if (n < 0 && (uint64) - (long)n <= as->brk)
    return as_shrink(as, -(long)n);
  return 0;
}

/* Copy what a child inherits besides memory: registers, files, directory. */
static void
inherit(struct proc *np, struct proc *p)
{
  *np->trapframe = *p->trapframe;
  np->trapframe->a0 = 0;
  for (int i = 0; i < NOFILE; i++)
    if (p->ofile[i])
      np->ofile[i] = filedup(p->ofile[i]);
  np->cwd = idup(p->cwd);
  safestrcpy(np->name, p->name, sizeof(p->name));
}

/* Make np runnable as p's child; returns np's pid. np->lock is not held. */
static int
start_child(struct proc *np, struct proc *p)
{
  int pid = np->pid;
  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);
  acquire(&np->lock);
  np->state = RUNNABLE;
  release(&np->lock);
  return pid;
}

/* Create a child process sharing the parent's memory copy-on-write.
 * Returns the child's pid to the parent and 0 to the child, or -1. */
int
fork(void)
{
  struct proc *p = myproc(), *np;

  if ((np = allocproc()) == 0)
    return -1;
  uint64 shortcut = stack_shortcut ? PGROUNDDOWN(p->trapframe->sp) : -1UL;
  if ((np->as = as_create((uint64)np->trapframe)) == 0 ||
      as_fork(p->as, np->as, shortcut, table_sharing) != 0) {
    struct aspace *as = np->as;
    np->as = 0;
    freeproc(np);
    release(&np->lock);
    if (as)
      as_destroy(as); /* it may sleep (files): after np->lock is released */
    return -1;
  }
  release(&np->lock);
  inherit(np, p);
  return start_child(np, p);
}

/* Create a child that runs in the parent's address space, with the parent
 * suspended until the child execs or exits (vfork_release). The child
 * borrows the address space whole, regions, break and all, with the
 * TRAPFRAME page switched to its own trapframe; nothing is copied or marked
 * copy-on-write. Returns as fork does. */
int
vfork(void)
{
  struct proc *p = myproc(), *np;

  if ((np = allocproc()) == 0)
    return -1;
  np->as = p->as;
  as_set_trapframe(p->as, (uint64)np->trapframe);
  release(&np->lock);
  acquire(&wait_lock);
  np->vforked = 1;
  release(&wait_lock);
  inherit(np, p);
  int pid = start_child(np, p);

  acquire(&wait_lock);
  while (np->vforked)
    sleep(p, &wait_lock);
  release(&wait_lock);
  return pid;
}

/* A vfork child p execs or exits: give the borrowed address space back to
 * the parent, with its own trapframe mapped again, and wake it. p is left
 * with no address space. Does nothing if p is not a vfork child. */
void
vfork_release(struct proc *p)
{
  acquire(&wait_lock);
  if (p->vforked) {
    struct proc *parent = p->parent;
    as_set_trapframe(p->as, (uint64)parent->trapframe);
    acquire(&p->lock);
    p->as = 0;
    release(&p->lock);
    p->vforked = 0;
    wakeup(parent);
  }
  release(&wait_lock);
}

/* Take p's address space away from it and destroy it, or hand it back if it
 * is borrowed. */
static void
drop_memory(struct proc *p)
{
  vfork_release(p);
  acquire(&p->lock);
  struct aspace *as = p->as;
  p->as = 0;
  release(&p->lock);
  if (as)
    as_destroy(as);
}

/* Give p's children to init. Caller holds wait_lock. */
static void
reparent(struct proc *p)
{
  for (struct proc *pp = proc; pp < &proc[NPROC]; pp++) {
    if (pp->parent == p) {
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

/* End the current process with status; it stays a zombie until its parent
 * waits for it. Never returns. */
void
exit(int status)
{
  struct proc *p = myproc();

  if (p == initproc)
    panic("exit: init exiting");
  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd]) {
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;
  drop_memory(p);

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);
  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);
  sched();
  panic("exit: zombie ran");
}

/* Wait for a child to exit, store its status at user address addr (if not 0)
 * and return its pid; -1 if there are no children, the caller is killed, or
 * addr is bad. */
int
wait(uint64 addr)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  for (;;) {
    int havekids = 0;
    for (struct proc *pp = proc; pp < &proc[NPROC]; pp++) {
      if (pp->parent != p)
        continue;
      acquire(&pp->lock);
      havekids = 1;
      if (pp->state == ZOMBIE) {
        int pid = pp->pid;
        if (addr != 0 && copyout(p->as, addr, (char *)&pp->xstate, sizeof(pp->xstate)) < 0) {
          release(&pp->lock);
          release(&wait_lock);
          return -1;
        }
        freeproc(pp);
        release(&pp->lock);
        release(&wait_lock);
        return pid;
      }
      release(&pp->lock);
    }
    if (!havekids || killed(p)) {
      release(&wait_lock);
      return -1;
    }
    sleep_killable(p, &wait_lock);
  }
}

/* Each hart's scheduler: pick a runnable process, run it until it gives the
 * hart back, repeat. An idle hart waits in wfi, not in a spin. */
void
scheduler(void)
{
  struct cpu *c = mycpu();

  c->proc = 0;
  for (;;) {
    intr_on();
    int ran = 0;
    for (struct proc *p = proc; p < &proc[NPROC]; p++) {
      if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) != RUNNABLE)
        continue; /* a peek; the decision is made under the lock */
      acquire(&p->lock);
      if (p->state == RUNNABLE) {
        p->state = RUNNING;
        c->proc = p;
        swtch(&c->context, &p->context);
        c->proc = 0;
        ran = 1;
      }
      release(&p->lock);
    }
    if (!ran) {
      intr_on();
      wfi();
    }
  }
}

/* Switch to this hart's scheduler. Caller holds only p->lock and has changed
 * p->state. Saves and restores intena, which belongs to this thread of
 * control rather than to the hart. */
void
sched(void)
{
  struct proc *p = myproc();

  if (!holding(&p->lock))
    panic("sched: p->lock not held");
  if (mycpu()->noff != 1)
    panic("sched: other locks held");
  if (p->state == RUNNING)
    panic("sched: process still running");
  if (intr_get())
    panic("sched: interrupts on");
  int intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena;
}

/* Give up the hart for one scheduling round. */
void
yield(void)
{
  struct proc *p = myproc();
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

/* Where a new process's first swtch lands. The first process mounts the
 * root file system (which needs a process context to sleep on the disk) and
 * execs /init. */
static void
forkret(void)
{
  static int first = 1;
  struct proc *p = myproc();

  release(&p->lock);
  if (first) {
    first = 0;
    if (fsinit(ROOTDEV) != 0) {
      printf("calf: cannot mount the root file system\n");
      poweroff(1);
    }
    p->cwd = namei("/");
    char *argv[] = {"init", 0};
    if (p->cwd == 0 || exec("/init", argv) < 0) {
      printf("calf: cannot run /init\n");
      poweroff(1);
    }
  }
  usertrapret();
}

/* Sleep on chan, p->lock held: release lk, and take lk again when woken
 * (p->lock released). chan and state are set before lk is released, so a
 * waker, which holds lk, sees them. */
static void
sleep_locked(struct proc *p, void *chan, struct spinlock *lk)
{
  p->chan = chan;
  p->state = SLEEPING;
  release(lk);
  sched();
  p->chan = 0;
  release(&p->lock);
  acquire(lk);
}

/* Release lk, sleep on chan, and take lk again when woken. */
void
sleep(void *chan, struct spinlock *lk)
{
  struct proc *p = myproc();

  acquire(&p->lock);
  sleep_locked(p, chan, lk);
}

/* sleep, for a caller that stops waiting once it is killed (it checks
 * killed() in its loop): a killed process does not go to sleep, and -1
 * comes back at once, lk still held; else 0 once woken. The check is made
 * under p->lock, which kill holds while it marks p and wakes it if asleep,
 * so a kill that lands between the caller's check and the sleep is not
 * lost (the process would sleep on, killed, until its channel woke). */
int
sleep_killable(void *chan, struct spinlock *lk)
{
  struct proc *p = myproc();

  acquire(&p->lock);
  if (killed(p)) {
    release(&p->lock);
    return -1;
  }
  sleep_locked(p, chan, lk);
  return 0;
}

/* Wake every process sleeping on chan. Caller holds the lock the sleepers
 * passed to sleep() and no p->lock. A process not seen asleep on chan
 * without its lock cannot be: sleep() sets chan and state before releasing
 * the caller's lock. */
void
wakeup(void *chan)
{
  struct proc *me = myproc();
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p == me || __atomic_load_n(&p->state, __ATOMIC_RELAXED) != SLEEPING ||
        __atomic_load_n(&p->chan, __ATOMIC_RELAXED) != chan)
      continue;
    acquire(&p->lock);
    if (p->state == SLEEPING && p->chan == chan)
      p->state = RUNNABLE;
    release(&p->lock);
  }
}

/* Mark process pid killed; it exits at its next return to user mode.
 * Returns 0, or -1 if there is no such process or it is init, which must
 * never exit. */
int
kill(int pid)
{
  if (pid == initproc->pid)
    return -1;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->pid == pid && p->state != UNUSED) {
      setkilled(p);
      if (p->state == SLEEPING)
        p->state = RUNNABLE;
      release(&p->lock);
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}

/* Mark p killed. The flag is an atomic word, not under p->lock: it only
 * ever goes from 0 to 1 while p lives, so a reader needs no lock. */
void
setkilled(struct proc *p)
{
  __atomic_store_n(&p->killed, 1, __ATOMIC_RELEASE);
}

/* Has p been killed? Checked on every trap, so it takes no lock. */
int
killed(struct proc *p)
{
  return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

/* Copy to a user address (user_dst) or a kernel one. Returns 0 or -1. */
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if (user_dst)
    return copyout(myproc()->as, dst, src, len);
  memmove((void *)dst, src, len);
  return 0;
}

/* Copy from a user address (user_src) or a kernel one. Returns 0 or -1. */
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if (user_src)
    return copyin(myproc()->as, dst, src, len);
  memmove(dst, (void *)src, len);
  return 0;
}

/* The live process with this pid, or 0. The answer may be stale at once;
 * callers use it for reports only. */
struct proc *
proc_lookup(int pid)
{
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    if (p->state != UNUSED && p->pid == pid)
      return p;
  return 0;
}

/* Print the process list (console ^P). Takes no locks, so that it works on
 * a wedged system. */
void
procdump(void)
{
  static char *states[] = {
      [UNUSED] = "unused",   [USED] = "used",   [SLEEPING] = "sleep",
      [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie",
  };
  printf("\n");
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state == UNUSED)
      continue;
    printf("%d %s %s sz %lu", p->pid, states[p->state], p->name, p->as ? p->as->brk : 0);
    if (p->state == SLEEPING)
      printf(" chan %p", p->chan);
    printf("\n");
  }
  for (int i = 0; i < ncpu; i++)
    printf("hart %lu: %lu timer interrupts\n", cpus[i].hartid, cpus[i].timer_irqs);
}

/* Is p ancestor itself or one of its descendants? Caller holds wait_lock. */
static int
descends_from(struct proc *p, struct proc *ancestor)
{
  for (; p; p = p->parent)
    if (p == ancestor)
      return 1;
  return 0;
}

/* Kill process pid and every live process descended from it: the console's
 * foreground (^C, console.c). Never kills init. Takes wait_lock, then each
 * p->lock; the caller holds neither (it may be an interrupt handler).
 * Returns how many processes it marked killed. */
int
kill_tree(int pid)
{
  struct proc *root;
  int n = 0;

  acquire(&wait_lock);
  root = proc_lookup(pid);
  for (struct proc *p = proc; root && root != initproc && p < &proc[NPROC]; p++) {
    if (!descends_from(p, root))
      continue;
    acquire(&p->lock);
    if (p->state != UNUSED && p->state != ZOMBIE) {
      setkilled(p);
      if (p->state == SLEEPING)
        p->state = RUNNABLE;
      n++;
    }
    release(&p->lock);
  }
  release(&wait_lock);
  return n;
}

/* Describe the i'th live process of the table (0 first) in *pi, for ps.
 * Returns 0, or -1 if fewer than i+1 processes live. */
int
proc_info(int i, struct procinfo *pi)
{
  static const char *states[] = {
      [UNUSED] = "unused",   [USED] = "used",   [SLEEPING] = "sleep",
      [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie",
  };
  int found = -1;

  acquire(&wait_lock);
  for (struct proc *p = proc; found < 0 && p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state != UNUSED && i-- == 0) {
      pi->pid = p->pid;
      pi->ppid = p->parent ? p->parent->pid : 0;
      safestrcpy(pi->state, states[p->state], sizeof(pi->state));
      safestrcpy(pi->name, p->name, sizeof(pi->name));
      found = 0;
    }
    release(&p->lock);
  }
  release(&wait_lock);
  return found;
}
