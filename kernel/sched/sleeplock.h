/* sleeplock.h: a lock held across disk I/O; waiters sleep instead of spinning. */
#ifndef CALF_SLEEPLOCK_H
#define CALF_SLEEPLOCK_H

#include "kernel/types.h"
#include "kernel/lib/spinlock.h"

struct sleeplock {
  uint locked; /* held? guarded by lk */
  struct spinlock lk;
  char *name;
  int pid; /* holder */
};

void initsleeplock(struct sleeplock *lk, char *name);
void acquiresleep(struct sleeplock *lk);
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);

#endif
