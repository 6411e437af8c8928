/* sysarg.h: a system call's arguments (sysarg.c). */
#ifndef CALF_SYSARG_H
#define CALF_SYSARG_H

#include "kernel/types.h"

int argint(int n, int *ip);
int arglong(int n, uint64 *lp);
int argaddr(int n, uint64 *ap);
int argstr(int n, char *buf, int max);
int fetchaddr(uint64 addr, uint64 *ip);
int fetchstr(uint64 addr, char *buf, int max);
#endif
