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

/* One more tick: wake every sleeper on &ticks. */
void
clock_tick(void)
{
  acquire(&tickslock);
  ticks++;
  wakeup(&ticks);
  release(&tickslock);
}
