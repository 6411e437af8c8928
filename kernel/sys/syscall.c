/* syscall.c: system call dispatch and argument fetching.
 * Arguments arrive in a0-a5 of the trapframe, the number in a7; the result
 * goes back in a0. Every user pointer goes through copyin/copyinstr, so a bad
 * one makes the call fail with -1. */
#include "kernel/types.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/sys/sysarg.h"
#include "kernel/syscall.h"

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

extern uint64 sys_fork(void), sys_exit(void), sys_wait(void), sys_pipe(void), sys_read(void),
    sys_kill(void), sys_exec(void), sys_fstat(void), sys_chdir(void), sys_dup(void),
    sys_getpid(void), sys_sbrk(void), sys_pause(void), sys_uptime(void), sys_open(void),
    sys_write(void), sys_mknod(void), sys_unlink(void), sys_link(void), sys_mkdir(void),
    sys_close(void), sys_freeframes(void), sys_vfork(void), sys_memstat(void), sys_vmquery(void),
    sys_bootargs(void), sys_poweroff(void), sys_cowctl(void), sys_vmregions(void),
    sys_memcheck(void), sys_mmap(void), sys_munmap(void), sys_setfg(void), sys_procinfo(void);

static uint64 (*syscalls[])(void) = {
    [SYS_fork] = sys_fork,           [SYS_exit] = sys_exit,
    [SYS_wait] = sys_wait,           [SYS_pipe] = sys_pipe,
    [SYS_read] = sys_read,           [SYS_kill] = sys_kill,
    [SYS_exec] = sys_exec,           [SYS_fstat] = sys_fstat,
    [SYS_chdir] = sys_chdir,         [SYS_dup] = sys_dup,
    [SYS_getpid] = sys_getpid,       [SYS_sbrk] = sys_sbrk,
    [SYS_pause] = sys_pause,         [SYS_uptime] = sys_uptime,
    [SYS_open] = sys_open,           [SYS_write] = sys_write,
    [SYS_mknod] = sys_mknod,         [SYS_unlink] = sys_unlink,
    [SYS_link] = sys_link,           [SYS_mkdir] = sys_mkdir,
    [SYS_close] = sys_close,         [SYS_freeframes] = sys_freeframes,
    [SYS_vfork] = sys_vfork,         [SYS_memstat] = sys_memstat,
    [SYS_vmquery] = sys_vmquery,     [SYS_bootargs] = sys_bootargs,
    [SYS_poweroff] = sys_poweroff,   [SYS_cowctl] = sys_cowctl,
    [SYS_vmregions] = sys_vmregions, [SYS_memcheck] = sys_memcheck,
    [SYS_mmap] = sys_mmap,           [SYS_munmap] = sys_munmap,
    [SYS_setfg] = sys_setfg,         [SYS_procinfo] = sys_procinfo,
};

/* Run the system call the current process asked for. */
void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if (num > 0 && num < NELEM(syscalls) && syscalls[num]) {
    p->trapframe->a0 = syscalls[num]();
  } else {
    printf("pid %d %s: unknown system call %ld\n", p->pid, p->name, (long)num);
    p->trapframe->a0 = -1;
  }
}
