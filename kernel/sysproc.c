/* sysproc.c: system calls about processes, time and memory. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/fdt.h"
#include "kernel/memstat.h"
#include "kernel/defs.h"

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
  uint64 addr = myproc()->sz;
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
  acquire(&tickslock);
  uint ticks0 = ticks;
  while (ticks - ticks0 < (uint)n) {
    if (killed(myproc())) {
      release(&tickslock);
      return -1;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
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

uint64
sys_freeframes(void)
{
  return frames_free();
}

/* memstat(pid, struct memstat *st): counters of process pid, or the global
 * ones for pid 0. Returns 0, or -1 for no such process or a bad pointer. */
uint64
sys_memstat(void)
{
  int pid;
  uint64 addr;
  struct memstat st;

  argint(0, &pid);
  argaddr(1, &addr);
  memset(&st, 0, sizeof(st));
  struct memcounts mc = memcounts_global;
  if (pid != 0) {
    struct proc *p = proc_lookup(pid);
    if (p == 0)
      return -1;
    mc = p->mc;
    st.sz = p->sz;
  }
  st.frames_free = frames_free();
  st.frames_total = frames_total();
  st.cow_faults = mc.cow_faults;
  st.cow_copies = mc.cow_copies;
  st.cow_reuses = mc.cow_reuses;
  st.zero_fills = mc.zero_fills;
  st.shared = mc.shared;
  return copyout(myproc()->pagetable, addr, (char *)&st, sizeof(st));
}

/* Fill *q for page va of process p, whose page table must not change
 * meanwhile. */
static void
vmquery_of(struct proc *p, uint64 va, struct vmquery *q)
{
  memset(q, 0, sizeof(*q));
  q->va = PGROUNDDOWN(va);
  if (q->va >= MAXVA)
    return;
  pte_t *pte = walk(p->pagetable, q->va, 0);
  if (pte == 0 || !(*pte & PTE_V))
    return;
  q->pa = PTE2PA(*pte);
  q->flags = PTE_FLAGS(*pte);
  q->refcount = frame_managed(q->pa) ? frame_refcount(q->pa) : 0;
}

/* vmquery(pid, va, struct vmquery *q): what backs page va of process pid
 * (0 = the caller). Another process is examined only while it is not running
 * (its p->lock held), so its page table cannot change underneath. Returns 0,
 * or -1 for no such process, one that is running, or a bad pointer. */
uint64
sys_vmquery(void)
{
  int pid;
  uint64 va, addr;
  struct vmquery q;
  struct proc *me = myproc();

  argint(0, &pid);
  arglong(1, &va);
  argaddr(2, &addr);
  if (pid == 0 || pid == me->pid) {
    vmquery_of(me, va, &q);
  } else {
    struct proc *p = proc_lookup(pid);
    if (p == 0)
      return -1;
    acquire(&p->lock);
    int ok = p->pid == pid && (p->state == SLEEPING || p->state == RUNNABLE);
    if (ok)
      vmquery_of(p, va, &q);
    release(&p->lock);
    if (!ok)
      return -1;
  }
  return copyout(me->pagetable, addr, (char *)&q, sizeof(q));
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
  if (copyout(myproc()->pagetable, addr, tmp, m) < 0)
    return -1;
  return len;
}

/* cowctl(on): switch fork's stack-page shortcut on (1) or off (0), for
 * measuring it; any other value only asks. Returns the previous setting. */
uint64
sys_cowctl(void)
{
  int on;
  argint(0, &on);
  int old = fork_copies_stack;
  if (on == 0 || on == 1)
    fork_copies_stack = on;
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
