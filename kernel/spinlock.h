/* spinlock.h: for programs written for xv6, which include "kernel/spinlock.h";
 * the kernel itself includes kernel/lib/spinlock.h. */
#include "kernel/lib/spinlock.h"
