/* clock.h: time in ticks, 1/TICK_HZ second each (clock.c). */
#ifndef CALF_CLOCK_H
#define CALF_CLOCK_H

#include "kernel/types.h"
#include "kernel/lib/spinlock.h"

#define TICK_HZ 100

extern uint ticks;
extern struct spinlock tickslock;

void clock_init(void);
void clock_tick(void);
int clock_wait(uint n, int killable);

#endif
