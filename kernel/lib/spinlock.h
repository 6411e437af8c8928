/* spinlock.h: a mutual-exclusion lock that spins with interrupts off. */
#ifndef CALF_SPINLOCK_H
#define CALF_SPINLOCK_H

#include "kernel/types.h"

struct spinlock {
  uint locked;     /* 0 free, 1 held */
  char *name;      /* for panics */
  struct cpu *cpu; /* holder, for panics and holding() */
};

void initlock(struct spinlock *lk, char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
void push_off(void);
void pop_off(void);

#endif
