/* sysproc.c: system calls about processes, time and memory. */
#include "kernel/types.h"
#include "kernel/lib/spinlock.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/dev/console.h"
#include "kernel/mem/cow.h"
#include "kernel/fs/file.h"
#include "kernel/platform/fdt.h"
#include "kernel/mem/frame.h"
#include "kernel/memstat.h"
#include "kernel/fs/pcache.h"
#include "kernel/mem/evict.h"
#include "kernel/mem/swap.h"
#include "kernel/platform/power.h"
#include "kernel/procinfo.h"
#include "kernel/lib/string.h"
#include "kernel/sys/sysarg.h"
#include "kernel/sched/clock.h"

uint64
sys_exit(void)
{
  int n;
  argint(0, &n);
  exit(n);
}

uint64
sys_getpid(void)
{
  return myproc()->pid;
}

uint64
sys_fork(void)
{
  return fork();
}

uint64
sys_vfork(void)
{
  return vfork();
}

uint64
sys_wait(void)
{
  uint64 p;
  argaddr(0, &p);
  as_prefault(myproc()->as, p, sizeof(int)); /* wait copies out under locks */
  return wait(p);
}

/* sbrk(n, lazy): grow or shrink by n bytes; growth is lazy (zero-fill on
 * demand) when lazy is 1. Returns the old break, or -1. */
uint64
sys_sbrk(void)
{
  int n, lazy;
  argint(0, &n);
  argint(1, &lazy);
  uint64 addr = myproc()->as->brk;
  if (growproc(n, lazy == 1) < 0)
    return -1;
  return addr;
}

/* pause(n) (sleep in older xv6): wait n ticks; -1 if killed meanwhile. */
uint64
sys_pause(void)
{
  int n;
  argint(0, &n);
  if (n < 0)
    n = 0;
  return clock_wait(n, 1);
}

uint64
sys_kill(void)
{
  int pid;
  argint(0, &pid);
  return kill(pid);
}

/* Ticks since boot. */
uint64
sys_uptime(void)
{
  acquire(&tickslock);
  uint xticks = ticks;
  release(&tickslock);
  return xticks;
}

/* freeframes(): frames free now, counting the page cache's pages that
 * nobody maps as free (kalloc takes them back before it fails). */
uint64
sys_freeframes(void)
{
  return frames_free() + pcache_idle();
}

/* Lock and return the live process pid (0: the caller) that has an address
 * space, or 0. Holding p->lock keeps p->as from being destroyed. */
static struct proc *
lock_proc_with_memory(int pid)
{
  struct proc *p = pid == 0 ? myproc() : proc_lookup(pid);
  if (p == 0)
    return 0;
  acquire(&p->lock);
  if ((pid != 0 && p->pid != pid) || p->as == 0) {
    release(&p->lock);
    return 0;
  }
  return p;
}

/* memstat(pid, struct memstat *st): counters of process pid, or the global
 * ones for pid 0. Returns 0, or -1 for no such process or a bad pointer. */
uint64
sys_memstat(void)
{
  int pid;
  uint64 addr;
  struct memstat st = memstat_global;

  argint(0, &pid);
  argaddr(1, &addr);
  if (pid != 0) {
    struct proc *p = lock_proc_with_memory(pid);
    if (p == 0)
      return -1;
    as_counts(p->as, &st);
    release(&p->lock);
  }
  if (pid == 0) {
    pcache_counts(&st);
    swap_counts(&st);
  }
  st.frames_free = frames_free() + pcache_idle(); /* as freeframes() counts them */
  st.frames_total = frames_total();
  return copyout(myproc()->as, addr, (char *)&st, sizeof(st));
}

/* vmquery(pid, va, struct vmquery *q): what backs page va of process pid
 * (0 = the caller), running or not: the address space's lock keeps its
 * page table still while it is read. Returns 0, or -1 for no such process
 * (or one without memory: a zombie) or a bad pointer. */
uint64
sys_vmquery(void)
{
  int pid;
  uint64 va, addr;
  struct vmquery q;

  argint(0, &pid);
  arglong(1, &va);
  argaddr(2, &addr);
  struct proc *p = lock_proc_with_memory(pid);
  if (p == 0)
    return -1;
  as_query(p->as, va, &q);
  release(&p->lock);
  return copyout(myproc()->as, addr, (char *)&q, sizeof(q));
}

/* vmregions(pid, struct vmregion *buf, max): copy up to max regions of
 * process pid (0 = the caller) to buf. Returns how many regions it has, or
 * -1 for no such process or a bad pointer. */
uint64
sys_vmregions(void)
{
  int pid, max;
  uint64 addr;
  struct vmregion r[NREGION];

  argint(0, &pid);
  argaddr(1, &addr);
  argint(2, &max);
  struct proc *p = lock_proc_with_memory(pid);
  if (p == 0)
    return -1;
  int n = as_regions(p->as, r, NREGION);
  release(&p->lock);
  if (max < 0)
    return -1;
  if (max > n)
    max = n;
  if (copyout(myproc()->as, addr, (char *)r, max * sizeof(r[0])) < 0)
    return -1;
  return n;
}

/* memcheck(struct memcheck *mc): audit every user frame's reference count
 * (aspace.c). Returns 0 if all agree, 1 if one is wrong (mc names it), -1
 * if memory never stood still or the pointer is bad. */
uint64
sys_memcheck(void)
{
  uint64 addr;
  struct memcheck mc;

  argaddr(0, &addr);
  int r = memcheck(&mc);
  if (copyout(myproc()->as, addr, (char *)&mc, sizeof(mc)) < 0)
    return -1;
  return r;
}

/* bootargs(buf, n): copy the device tree's /chosen bootargs, NUL-terminated
 * and truncated to n bytes. Returns its full length, or -1. */
uint64
sys_bootargs(void)
{
  uint64 addr;
  int n;
  argaddr(0, &addr);
  argint(1, &n);
  int len = strlen(machine.bootargs);
  if (n <= 0)
    return -1;
  int m = len + 1 < n ? len + 1 : n;
  char tmp[FDT_MAX_BOOTARGS];
  memmove(tmp, machine.bootargs, m);
  tmp[m - 1] = 0;
  if (copyout(myproc()->as, addr, tmp, m) < 0)
    return -1;
  return len;
}

/* cowctl(knob, on): switch one of fork's ways of sharing (COWCTL_SHORTCUT,
 * COWCTL_TABLES in memstat.h), a test knob, or page replacement's policy
 * (COWCTL_EVICT) to 1 or 0, for measuring and showing them; any other
 * value only asks. Returns the previous setting, or -1 for an unknown
 * knob. Two are actions: COWCTL_RECLAIM takes pages off their frames
 * until `on` frames have been freed (returns how many were), COWCTL_SWAPIN
 * brings every swapped page back (returns how many, or -1). */
uint64
sys_cowctl(void)
{
  int knob, on;
  argint(0, &knob);
  argint(1, &on);
  if (knob == COWCTL_RECLAIM)
    return on > 0 ? mem_reclaim(on) + mem_write_back() : 0;
  if (knob == COWCTL_SWAPIN)
    return swap_in_all();
  if (knob == COWCTL_RSSLIMIT)
    return rset_limit(myproc()->as, on);
  int *setting = knob == COWCTL_SHORTCUT   ? &stack_shortcut
                 : knob == COWCTL_TABLES   ? &table_sharing
                 : knob == COWCTL_SLOWMISS ? &pcache_slow_miss
                 : knob == COWCTL_EVICT    ? &evict_policy
                                           : 0;
  if (setting == 0)
    return -1;
  int old = *setting;
  if (on == 0 || on == 1)
    *setting = on;
  return old;
}

/* poweroff(status): turn the machine off; QEMU exits with status (0 or not).
 * Only init may do it. Returns -1 to anyone else. */
uint64
sys_poweroff(void)
{
  int status;
  argint(0, &status);
  if (myproc()->pid != 1)
    return -1;
  poweroff(status);
}

/* setfg(fd, pid): name the console's foreground (console.c): pid > 0,
 * that process and its descendants (cooked input, ^C kills them); pid 0, the
 * caller reads raw bytes and edits its own lines. fd must be open on the
 * console, so a shell learns from -1 that its input is not a terminal.
 * Returns 0, or -1 for a bad fd or pid. */
uint64
sys_setfg(void)
{
  int fd, pid;
  struct file *f;

  argint(0, &fd);
  argint(1, &pid);
  if (fd < 0 || fd >= NOFILE || pid < 0)
    return -1;
  f = myproc()->ofile[fd];
  if (f == 0 || f->type != FD_DEVICE || f->major != CONSOLE)
    return -1;
  console_foreground(pid);
  return 0;
}

/* procinfo(i, struct procinfo *pi): describe the i'th live process (0
 * first) for ps; the list may change between calls. Returns 0, or -1 past
 * the last process or for a bad pointer. */
uint64
sys_procinfo(void)
{
  int i;
  uint64 addr;
  struct procinfo pi;

  argint(0, &i);
  argaddr(1, &addr);
  if (i < 0 || proc_info(i, &pi) < 0)
    return -1;
  return copyout(myproc()->as, addr, (char *)&pi, sizeof(pi));
}
