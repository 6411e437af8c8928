/* sleeplock.c: locks that may be held across disk I/O and other long waits.
 * A waiter sleeps on the lock itself instead of spinning. lk->lk (a spinlock)
 * guards locked and pid; the holder is recorded by pid for holdingsleep(). */
#include "kernel/types.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sleeplock.h"
#include "kernel/sched/sched.h"

/* Pid of the running process, or 0 on a hart with no process (boot, scheduler). */
static int
current_pid(void)
{
  struct proc *p = myproc();
  return p ? p->pid : 0;
}

/* Make lk a free sleep lock; name is kept for panics. */
void
initsleeplock(struct sleeplock *lk, char *name)
{
  initlock(&lk->lk, "sleeplock");
  lk->name = name;
  lk->locked = 0;
  lk->pid = 0;
}

/* Take lk, sleeping while another process holds it.
 * => requires a process context; must not hold a spinlock. */
void
acquiresleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  while (lk->locked)
    sleep(lk, &lk->lk);
  lk->locked = 1;
  lk->pid = current_pid();
  release(&lk->lk);
}

/* Give up lk and wake everyone waiting for it.
 * => the caller holds lk. */
void
releasesleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  lk->locked = 0;
  lk->pid = 0;
  wakeup(lk);
  release(&lk->lk);
}

/* Does the calling process hold lk? */
int
holdingsleep(struct sleeplock *lk)
{
  int held;

  acquire(&lk->lk);
  held = lk->locked && lk->pid == current_pid();
  release(&lk->lk);
  return held;
}
