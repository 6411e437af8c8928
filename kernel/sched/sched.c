/* sched.c: the process table as the scheduler sees it: each hart's
 * scheduler, sleep and wakeup, kill, and the lookups the console and the
 * process lifecycle (proc/proc.c) share. A process's birth, memory and death
 * are the lifecycle's; this file only runs, parks and wakes it.
 *
 * Locks, in the order they may be taken: wait_lock, then a p->lock, then any
 * other lock. wait_lock guards every p->parent (so that kill_tree walks a
 * stable tree, and exit's wakeup of a parent cannot be lost); p->lock guards
 * the fields struct proc lists under it.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/hart.h"
#include "kernel/sched/sched.h"

struct proc proc[NPROC];
struct proc *initproc;
struct spinlock wait_lock;

/* Make the table ready: every slot UNUSED, with its lock. Boot hart, once. */
void
sched_init(void)
{
  initlock(&wait_lock, "wait_lock");
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    initlock(&p->lock, "proc");
    p->state = UNUSED;
  }
}

/* A state's name as ps and the console's ^P print it. */
const char *
proc_state_name(enum procstate s)
{
  static const char *names[] = {
      [UNUSED] = "unused",   [USED] = "used",   [SLEEPING] = "sleep",
      [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie",
  };
  return names[s];
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
  printf("\n");
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state == UNUSED)
      continue;
    printf("%d %s %s", p->pid, proc_state_name(p->state), p->name);
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
