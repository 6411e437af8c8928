/* spinlock.h: a mutual-exclusion lock that spins with interrupts off. */
#ifndef CALF_SPINLOCK_H
#define CALF_SPINLOCK_H

struct spinlock {
  uint locked;     /* 0 free, 1 held */
  char *name;      /* for panics */
  struct cpu *cpu; /* holder, for panics and holding() */
};

#endif
