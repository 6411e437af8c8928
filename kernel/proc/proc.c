/* proc.c: a process's life: the first process, fork and vfork, growth of
 * its memory, exit and wait, and each return to user mode (usertrapret).
 * The table and the scheduler are sched.c's; a process's memory is an
 * address space (aspace.h), and this file only decides which one a process
 * runs in: a new one at exec, a copy-on-write copy at fork, its parent's
 * (borrowed) after vfork, none after exit.
 *
 * Locks, in the order they may be taken: wait_lock, then a p->lock, then an
 * address space's lock, then any other lock (sched.c). wait_lock also
 * guards the vfork hand-back (p->vforked). pid_lock guards nextpid.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/frame.h"
#include "kernel/mem/evict.h"
#include "kernel/mem/swap.h"
#include "kernel/sched/clock.h"
#include "kernel/sched/sleeplock.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/mem/pagetable.h"
#include "kernel/lib/printf.h"
#include "kernel/procinfo.h"
#include "kernel/lib/string.h"

static int nextpid = 1;
static struct sleeplock oom_lock; /* the out-of-memory killer's choice (oom_kill) */
static struct spinlock pid_lock;

/* How fork shares memory; cowctl switches both (memstat.h).
 * The stack-page shortcut: fork gives the child a private copy of the page
 * holding the stack pointer, so fork-then-exec takes no copy-on-write fault
 * at all.
 * Table sharing: fork shares whole leaf page tables (2 MiB each) rather than
 * their pages, so its cost grows with the tables, not the pages (cow.c). */
int stack_shortcut = 1;
int table_sharing = 1;

static void forkret(void);

/* Set up the process table and map each slot's kernel stack (with an unmapped
 * guard page below it) into the kernel page table. Boot hart, once. */
void
procinit(void)
{
  initlock(&pid_lock, "nextpid");
  initsleeplock(&oom_lock, "oom");
  sched_init();
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    p->kstack = KSTACK((int)(p - proc));
    for (int i = 0; i < KSTACK_PAGES; i++) {
      char *pa = kalloc();
      if (pa == 0)
        panic("procinit: out of memory for kernel stacks");
      kvmmap(kernel_pagetable, p->kstack + i * PGSIZE, (uint64)pa, PGSIZE, PTE_R | PTE_W);
    }
  }
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
struct proc *
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

/* Grow (n > 0) or shrink (n < 0) the current process's memory by n bytes.
 * Eager growth allocates zeroed frames now (when memory is short, once
 * page replacement has made room; so it fails when memory and swap are
 * nearly full, leaving room for faults (mem_admit), or when it asks for
 * more than memory holds); lazy growth only moves the break, and the pages
 * appear on first touch. A shrink below 0 changes nothing, as in xv6.
 * Returns 0, or -1 if the break would pass USER_TOP or memory runs out. */
int
growproc(int n, int lazy)
{
  struct aspace *as = myproc()->as;

  if (n > 0 && lazy)
    return as_grow(as, n, 1);
  if (n > 0) {
    uint64 pages = ((uint64)n + PGSIZE - 1) / PGSIZE;
    if (mem_admit(pages) != 0)
      return -1;
    if (as_grow(as, n, 0) == 0)
      return 0;
    /* memory is short: page replacement makes room, for the pages, their
     * leaf tables, and faults after */
    mem_reserve(pages + pages / (PXMASK + 1) + MEM_RESERVE);
    return as_grow(as, n, 0);
  }
  if (n < 0 && (uint64) - (long)n <= as->brk)
    return as_shrink(as, -(long)n);
  return 0;
}

/* The process, other than init and p, that holds the most pages (in memory
 * and in swap), with its counts; 0 if none holds any. Sets *dying if a
 * process killed already still holds memory. */
static struct proc *
largest(struct proc *p, uint64 *resident, uint64 *swapped, int *dying, int *pid, char *name)
{
  struct proc *best = 0;
  uint64 most = 0;
  *dying = 0;
  for (struct proc *q = proc; q < &proc[NPROC]; q++) {
    uint64 r, sw;
    acquire(&q->lock);
    if (q->as == 0 || q == initproc || q->state == UNUSED) {
      release(&q->lock);
      continue;
    }
    r = as_footprint(q->as, &sw);
    if (killed(q) && q != p)
      *dying = 1;
    else if (r + sw > most) {
      best = q;
      most = r + sw;
      *resident = r;
      *swapped = sw;
      *pid = q->pid;
      safestrcpy(name, q->name, sizeof(q->name));
    }
    release(&q->lock);
  }
  return best;
}

/* Memory and swap are both full and p's page fault cannot be served: kill
 * the process that holds the most pages (not init), saying which and why.
 * Returns 1 if p may try again (another process was killed, or one killed
 * before is still giving its memory back: p has waited a tick), 0 if p is
 * the one to die, or there is no swap (without swap, the process that
 * finds memory full dies, as always). */
int
oom_kill(struct proc *p)
{
  uint64 resident = 0, swapped = 0;
  int dying, pid = 0;
  char name[sizeof(p->name)];
  if (!swap_enabled())
    return 0;
  acquiresleep(&oom_lock); /* one choice at a time: two faults kill one victim */
  struct proc *victim = largest(p, &resident, &swapped, &dying, &pid, name);
  if (!dying && victim != 0) {
    printf("oom: memory and swap are full: killed pid %d (%s), the largest, with %lu pages in "
           "memory and %lu in swap\n",
           pid, name, resident, swapped);
    if (victim != p)
      kill(pid); /* p itself dies of its fault (usertrap) */
    dying = victim != p;
  }
  releasesleep(&oom_lock);
  if (!dying)
    return 0;
  clock_wait(1, 1);
  return !killed(p);
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

/* A copy-on-write image of p's address space for its child np, or 0 when
 * memory runs out. Fork allocates tables under locks, from the frames it
 * made sure of first; when other processes took those meanwhile, page
 * replacement makes room (np->lock released: np is USED, and nobody but
 * this process touches it) and it starts over, a few times at most.
 * Caller holds np->lock; it is held again on return. */
static struct aspace *
fork_space(struct proc *p, struct proc *np)
{
  uint64 shortcut = stack_shortcut ? PGROUNDDOWN(p->trapframe->sp) : -1UL;
  for (int tries = 1;; tries++) {
    struct aspace *as = as_create((uint64)np->trapframe);
    if (as && as_fork(p->as, as, shortcut, table_sharing) == 0)
      return as;
    release(&np->lock);
    if (as)
      as_destroy(as); /* it may sleep (files) */
    int again = mem_try_again(tries);
    acquire(&np->lock);
    if (!again)
      return 0;
  }
}

/* Create a child process sharing the parent's memory copy-on-write.
 * Returns the child's pid to the parent and 0 to the child, or -1. */
int
fork(void)
{
  struct proc *p = myproc(), *np;

  mem_reserve(MEM_RESERVE); /* fork allocates tables under locks */
  if ((np = allocproc()) == 0)
    return -1;
  struct aspace *as = fork_space(p, np);
  if (as == 0) {
    freeproc(np);
    release(&np->lock);
    return -1;
  }
  np->as = as;
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
        int pid = pp->pid, r = 0;
        if (addr != 0 && (r = copyout(p->as, addr, (char *)&pp->xstate, sizeof(pp->xstate))) < 0) {
          release(&pp->lock);
          release(&wait_lock);
          if (r == COPY_WAIT && as_fault_in(p->as, addr, sizeof(int), ACCESS_WRITE) == 0)
            return wait(addr); /* the page is usable now: look again */
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

/* Where a new process's first swtch lands (allocproc): with p->lock, which
 * the scheduler took, released, it returns to user mode as its parent left
 * it. */
static void
forkret(void)
{
  release(&myproc()->lock);
  usertrapret();
}

/* Describe the i'th live process of the table (0 first) in *pi, for ps.
 * Returns 0, or -1 if fewer than i+1 processes live. */
int
proc_info(int i, struct procinfo *pi)
{
  int found = -1;

  acquire(&wait_lock);
  for (struct proc *p = proc; found < 0 && p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state != UNUSED && i-- == 0) {
      pi->pid = p->pid;
      pi->ppid = p->parent ? p->parent->pid : 0;
      safestrcpy(pi->state, proc_state_name(p->state), sizeof(pi->state));
      safestrcpy(pi->name, p->name, sizeof(pi->name));
      found = 0;
    }
    release(&p->lock);
  }
  release(&wait_lock);
  return found;
}

extern char trampoline[], uservec[], userret[];

/* Return to user mode through userret in the trampoline: the end of every
 * trap from user mode (trap.c) and of a new process's first run. */
void
usertrapret(void)
{
  struct proc *p = myproc();

  intr_off();
  w_stvec(TRAMPOLINE + ((uint64)uservec - (uint64)trampoline));
  p->trapframe->kernel_satp = r_satp();
  p->trapframe->kernel_sp = p->kstack + KSTACK_PAGES * PGSIZE;
  p->trapframe->kernel_hartid = r_tp();

  uint64 x = r_sstatus();
  x &= ~SSTATUS_SPP;
  x |= SSTATUS_SPIE;
  w_sstatus(x);
  w_sepc(p->trapframe->epc);

  uint64 satp = as_satp(p->as);
  uint64 fn = TRAMPOLINE + ((uint64)userret - (uint64)trampoline);
  ((void (*)(uint64))fn)(satp);
  panic("usertrapret: returned");
}
