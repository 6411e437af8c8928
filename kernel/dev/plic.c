/* plic.c: the platform-level interrupt controller at machine.plic, in the
 * standard SiFive register layout. It routes the UART's and the virtio
 * slots' interrupts to each hart's S-mode context (cpus[i].plic_ctx).
 * Priorities are set once at boot; each hart then touches only its own
 * context's registers, so no lock is needed. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/sched/sched.h"
#include "kernel/platform/fdt.h"
#include "kernel/dev/plic.h"
#include "kernel/lib/printf.h"

#define PLIC_PRIORITY(irq)    (4 * (irq))
#define PLIC_ENABLE(ctx, irq) (0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define PLIC_THRESHOLD(ctx)   (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)       (0x200004 + 0x1000 * (ctx))

/* Address of the 32-bit PLIC register at offset off. */
static volatile uint32 *
plic_reg(uint64 off)
{
  return (volatile uint32 *)(machine.plic.base + off);
}

/* Is irq a source number this PLIC has? (0 means "none".) */
static int
plic_valid_irq(int irq)
{
  int ndev = machine.plic_ndev > 0 ? machine.plic_ndev : 1023;

  return irq > 0 && irq <= ndev;
}

/* Call fn(irq) for each valid interrupt of a device the kernel drives:
 * the UART and every virtio slot. */
static void
plic_each_irq(void (*fn)(int irq))
{
  int i;

  if (machine.uart.size != 0 && plic_valid_irq(machine.uart.irq))
    fn(machine.uart.irq);
  for (i = 0; i < machine.nvirtio; i++)
    if (plic_valid_irq(machine.virtio[i].irq))
      fn(machine.virtio[i].irq);
}

/* Give irq priority 1, above the threshold 0 every hart uses. */
static void
plic_set_priority(int irq)
{
  *plic_reg(PLIC_PRIORITY(irq)) = 1;
}

/* Route irq to this hart's context. Caller has interrupts off. */
static void
plic_enable_here(int irq)
{
  int ctx = cpus[cpuid()].plic_ctx;

  *plic_reg(PLIC_ENABLE(ctx, irq)) |= 1U << (irq % 32);
}

/* Once, on the boot hart: make the devices' interrupts eligible. */
void
plicinit(void)
{
  if (machine.plic.size == 0) {
    printf("plic: none in the device tree; no device interrupts\n");
    return;
  }
  plic_each_irq(plic_set_priority);
}

/* On each hart, interrupts off: take the devices' interrupts in this hart's
 * S-mode context and accept every priority above 0. */
void
plicinithart(void)
{
  int ctx = cpus[cpuid()].plic_ctx;

  if (machine.plic.size == 0)
    return;
  if (ctx < 0) {
    printf("plic: hart %lu has no S-mode context; no device interrupts here\n",
           cpus[cpuid()].hartid);
    return;
  }
  plic_each_irq(plic_enable_here);
  *plic_reg(PLIC_THRESHOLD(ctx)) = 0;
}

/* Claim the highest-priority pending interrupt for this hart; returns its
 * irq, or 0 if none is pending (or this hart has no PLIC context). */
int
plic_claim(void)
{
  int ctx = cpus[cpuid()].plic_ctx;

  if (machine.plic.size == 0 || ctx < 0)
    return 0;
  return *plic_reg(PLIC_CLAIM(ctx));
}

/* Tell the PLIC this hart has finished with irq (from plic_claim). */
void
plic_complete(int irq)
{
  int ctx = cpus[cpuid()].plic_ctx;

  if (machine.plic.size == 0 || ctx < 0 || irq == 0)
    return;
  *plic_reg(PLIC_CLAIM(ctx)) = irq;
}
