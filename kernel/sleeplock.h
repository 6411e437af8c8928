/* sleeplock.h: for programs written for xv6, which include "kernel/sleeplock.h";
 * the kernel itself includes kernel/sched/sleeplock.h. */
#include "kernel/sched/sleeplock.h"
