/* clock.c: the tick count. Hart 0's timer interrupt (trap.c) advances ticks
 * TICK_HZ times a second and wakes whoever sleeps on &ticks (pause, uptime).
 * tickslock guards ticks. */
#include "kernel/types.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/clock.h"

struct spinlock tickslock;
uint ticks;

void
clock_init(void)
{
  initlock(&tickslock, "time");
}

/* Sleep n ticks. A killable wait ends early, returning -1, once the caller
 * is killed; otherwise returns 0. */
int
clock_wait(uint n, int killable)
{
  acquire(&tickslock);
  uint ticks0 = ticks;
  while (ticks - ticks0 < n) {
    if (killable && killed(myproc())) {
      release(&tickslock);
      return -1;
    }
    if (killable)
      sleep_killable(&ticks, &tickslock);
    else
      sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
}

/* One more tick: wake every sleeper on &ticks. */
void
clock_tick(void)
{
  acquire(&tickslock);
  ticks++;
  wakeup(&ticks);
  release(&tickslock);
}
