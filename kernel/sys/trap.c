/* trap.c: traps from user mode and from the kernel, device interrupts and
 * the timer.
 *
 * Timer: each hart asks for an interrupt every 1/TICK_HZ second, through the
 * stimecmp CSR when the hart has Sstc and through SBI TIME otherwise; the
 * interval comes from the device tree's timebase-frequency. Hart 0's
 * interrupt advances the tick count (clock.c).
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/platform/fdt.h"
#include "kernel/dev/plic.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/sbi.h"
#include "kernel/sys/syscall.h"
#include "kernel/sched/clock.h"
#include "kernel/sys/trap.h"
#include "kernel/dev/console.h"
#include "kernel/dev/virtio_disk.h"

#define CSR_STIMECMP 0x14D

static uint64 tick_interval;
/* Harts without Sstc: set during the probe in trapinithart. Sstc is a
 * property of the platform, so one flag serves every hart. */
static volatile int no_sstc;
static volatile int probing_sstc;

extern void kernelvec(void);

void
trapinit(void)
{
  clock_init();
  tick_interval = machine.timebase / TICK_HZ;
  if (tick_interval == 0)
    tick_interval = 1;
}

/* Ask for the next timer interrupt on this hart. */
static void
timer_arm(void)
{
  uint64 when = r_time() + tick_interval;
  if (no_sstc)
    sbi_set_timer(when);
  else
    asm volatile("csrw %0, %1" : : "i"(CSR_STIMECMP), "r"(when));
}

/* Install the kernel trap vector, find out whether stimecmp exists (reading
 * it traps as an illegal instruction if not; kerneltrap skips it), enable
 * timer, software and external interrupts, and arm the timer. */
void
trapinithart(void)
{
  w_stvec((uint64)kernelvec);
  probing_sstc = 1;
  uint64 v;
  asm volatile("csrr %0, %1" : "=r"(v) : "i"(CSR_STIMECMP));
  (void)v;
  probing_sstc = 0;
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);
  CSR_WRITE(scounteren, 7); /* user mode may read cycle, time and instret */
  timer_arm();
}

/* A timer interrupt: a tick on hart 0; re-arm. */
static void
clockintr(void)
{
  mycpu()->timer_irqs++;
  if (cpuid() == 0)
    clock_tick();
  timer_arm();
}

/* Handle an interrupt, if scause is one. Returns 2 for the timer, 1 for
 * another device or an IPI, 0 if scause is not an interrupt we know. */
static int
devintr(uint64 scause)
{
  if (!(scause & SCAUSE_INTR))
    return 0;
  switch (scause & ~SCAUSE_INTR) {
  case IRQ_S_EXT: {
    int irq = plic_claim();
    if (irq == machine.uart.irq)
      consoleintr();
    else if (irq > 0 && virtio_disk_intr(irq))
      ;
    else if (irq > 0)
      printf("trap: unexpected interrupt irq %d\n", irq);
    if (irq > 0)
      plic_complete(irq);
    return 1;
  }
  case IRQ_S_TIMER: clockintr(); return 2;
  case IRQ_S_SOFT:
    w_sip(r_sip() & ~SIE_SSIE);
    if (panicked) {
      intr_off();
      for (;;)
        wfi();
    }
    return 1;
  }
  return 0;
}

static const char *
cause_name(uint64 scause)
{
  switch (scause) {
  case EXC_INST_MISALIGNED: return "instruction address misaligned";
  case EXC_INST_ACCESS: return "instruction access fault";
  case EXC_ILLEGAL: return "illegal instruction";
  case EXC_BREAKPOINT: return "breakpoint";
  case EXC_LOAD_MISALIGNED: return "load address misaligned";
  case EXC_LOAD_ACCESS: return "load access fault";
  case EXC_STORE_MISALIGNED: return "store address misaligned";
  case EXC_STORE_ACCESS: return "store access fault";
  case EXC_INST_PAGE: return "instruction page fault";
  case EXC_LOAD_PAGE: return "load page fault";
  case EXC_STORE_PAGE: return "store page fault";
  }
  return "unknown exception";
}

/* A user fault vm_fault could not resolve (why: its result): one line,
 * then the process dies. The pc is the trapframe's: sepc may hold a kernel
 * pc by now, if an interrupt came while vm_fault ran. */
static void
user_fault(struct proc *p, uint64 scause, uint64 stval, int why)
{
  printf("pid %d %s: killed: %s at va 0x%lx (pc 0x%lx)%s%s\n", p->pid, p->name, cause_name(scause),
         stval, p->trapframe->epc, why == FAULT_BAD ? "" : ": ",
         why == FAULT_BAD ? "" : fault_why(why));
  setkilled(p);
}

/* Trap from user mode, entered from uservec in trampoline.S. */
void
usertrap(void)
{
  struct proc *p = myproc();
  uint64 scause = r_scause();
  int which = 0;

  if (r_sstatus() & SSTATUS_SPP)
    panic("usertrap: not from user mode");
  w_stvec((uint64)kernelvec);
  p->trapframe->epc = r_sepc();

  if (scause == EXC_ECALL_U) {
    if (killed(p))
      exit(-1);
    p->trapframe->epc += 4;
    intr_on();
    syscall();
  } else if (scause == EXC_STORE_PAGE || scause == EXC_LOAD_PAGE || scause == EXC_INST_PAGE) {
    uint64 va = r_stval();
    enum access access = scause == EXC_STORE_PAGE  ? ACCESS_WRITE
                         : scause == EXC_LOAD_PAGE ? ACCESS_READ
                                                   : ACCESS_EXEC;
    intr_on(); /* a file page may have to be read from disk */
    int r = vm_fault(p->as, va, access);
    if (r == FAULT_BAD && as_grow_stack(p->as, va, access, p->trapframe->sp) == 0)
      r = vm_fault(p->as, va, access);
    while (fault_nomem(r) && oom_kill(p)) /* another process died to make room */
      r = vm_fault(p->as, va, access);
    if (r != 0)
      user_fault(p, scause, va, r);
  } else if ((which = devintr(scause)) == 0) {
    user_fault(p, scause, r_stval(), FAULT_BAD);
  }

  if (killed(p))
    exit(-1);
  if (which == 2)
    yield();
  usertrapret();
}

/* Trap while in the kernel, through kernelvec. */
void
kerneltrap(void)
{
  uint64 sepc = r_sepc(), sstatus = r_sstatus(), scause = r_scause();

  if (!(sstatus & SSTATUS_SPP))
    panic("kerneltrap: not from supervisor mode");
  if (intr_get())
    panic("kerneltrap: interrupts enabled");

  if (scause == EXC_ILLEGAL && probing_sstc) {
    no_sstc = 1;
    w_sepc(sepc + 4);
    return;
  }
  int which = devintr(scause);
  if (which == 0) {
    printf("scause 0x%lx (%s) sepc 0x%lx stval 0x%lx\n", scause, cause_name(scause), sepc,
           r_stval());
    panic("kerneltrap: unexpected trap in the kernel");
  }
  if (which == 2 && myproc() != 0)
    yield();
  w_sepc(sepc);
  w_sstatus(sstatus);
}
