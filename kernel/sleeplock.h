/* sleeplock.h: a lock held across disk I/O; waiters sleep instead of spinning. */
#ifndef CALF_SLEEPLOCK_H
#define CALF_SLEEPLOCK_H

struct sleeplock {
  uint locked; /* held? guarded by lk */
  struct spinlock lk;
  char *name;
  int pid; /* holder */
};

#endif
