/* sysarg.c: a system call's arguments: they arrive in a0-a5 of the
 * trapframe. Every user pointer goes through copyin/copyinstr, so a bad one
 * makes the call fail with -1. */
#include "kernel/types.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/sys/sysarg.h"

/* Read a uint64 at user address addr into *ip. Returns 0 or -1. */
int
fetchaddr(uint64 addr, uint64 *ip)
{
  return copyin(myproc()->as, (char *)ip, addr, sizeof(*ip));
}

/* Copy the string at user address addr into buf (max bytes with the NUL).
 * Returns its length, or -1. */
int
fetchstr(uint64 addr, char *buf, int max)
{
  if (copyinstr(myproc()->as, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}

static uint64
argraw(int n)
{
  struct trapframe *tf = myproc()->trapframe;
  switch (n) {
  case 0: return tf->a0;
  case 1: return tf->a1;
  case 2: return tf->a2;
  case 3: return tf->a3;
  case 4: return tf->a4;
  case 5: return tf->a5;
  }
  panic("argraw: no such argument");
}

/* The n'th argument as an int. Always succeeds (returns 0). */
int
argint(int n, int *ip)
{
  *ip = argraw(n);
  return 0;
}

/* The n'th argument as a 64-bit value. Always succeeds (returns 0). */
int
arglong(int n, uint64 *lp)
{
  *lp = argraw(n);
  return 0;
}

/* The n'th argument as a user address; checked when it is used. Returns 0. */
int
argaddr(int n, uint64 *ap)
{
  *ap = argraw(n);
  return 0;
}

/* The n'th argument as a string copied into buf. Returns its length or -1. */
int
argstr(int n, char *buf, int max)
{
  uint64 addr;
  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}
