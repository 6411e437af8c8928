/* trap.h: traps, interrupts and the tick count (trap.c). */
#ifndef CALF_TRAP_H
#define CALF_TRAP_H

#include "kernel/types.h"
#include "kernel/lib/spinlock.h"

extern uint ticks;
extern struct spinlock tickslock;
void trapinit(void);
void trapinithart(void);
void usertrapret(void) __attribute__((noreturn));
#endif
