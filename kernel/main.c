/* main.c: bringing the machine up.
 *
 * The boot hart (whichever one OpenSBI entered) reads the device tree,
 * initialises every subsystem, starts the other harts the tree lists as
 * usable through SBI HSM, prints the banner, and lets all harts schedule.
 * machine (machine.c) is written once here, before any other hart runs, and
 * read-only afterwards. Every layer below is brought up from here, bottom
 * first; nothing calls back into this file.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/fs/file.h"
#include "kernel/fs/buf.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/exec.h"
#include "kernel/mem/aspace.h"
#include "kernel/dev/console.h"
#include "kernel/mem/cow.h"
#include "kernel/mem/evict.h"
#include "kernel/mem/swap.h"
#include "kernel/platform/fdt.h"
#include "kernel/mem/frame.h"
#include "kernel/fs/inode.h"
#include "kernel/mem/pagetable.h"
#include "kernel/fs/pcache.h"
#include "kernel/dev/plic.h"
#include "kernel/platform/power.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/sbi.h"
#include "kernel/sys/trap.h"
#include "kernel/dev/virtio_disk.h"

extern char _secondary_entry[];
extern char kernel_start[], end[]; /* the kernel image, from kernel.ld */
static volatile int go;            /* set when secondary harts may start scheduling */

/* RAM and devices are mapped at their physical addresses, so they must lie
 * below the lowest kernel stack and the guard page under it. */
#define PHYS_LIMIT (KSTACK(NPROC - 1) - PGSIZE)

/* The device tree is unusable: say why through the firmware's console (ours
 * needs the tree to be found) and stop. */
static void
bad_tree(int err)
{
  const char *parts[] = {"calf: bad device tree: ", fdt_strerror(err), "\n"};
  for (int i = 0; i < 3; i++)
    for (const char *s = parts[i]; *s; s++)
      sbi_console_putchar(*s);
  sbi_shutdown();
}

/* The PLIC context of the hart with this SBI id, -1 if none. */
static int
plic_ctx_of(uint64 hartid)
{
  for (int i = 0; i < machine.nharts; i++)
    if (machine.harts[i].hartid == hartid)
      return machine.harts[i].plic_ctx;
  return -1;
}

extern uint64 late_mailbox[LATE_HART_SLOTS];

/* hart_start said hart hartid is already running: it entered _entry on its
 * own and waits in _late_hart (entry.S). Tell it its cpus[] index. Returns
 * 1 if it can be told, 0 if its id has no mailbox. */
static int
adopt_late_hart(uint64 hartid, int index)
{
  if (hartid >= LATE_HART_SLOTS)
    return 0;
  printf("calf: hart %lu entered on its own; adopting it\n", hartid);
  __atomic_store_n(&late_mailbox[hartid], (uint64)index + 1, __ATOMIC_RELEASE);
  return 1;
}

/* How long a started hart may take to report, in seconds: QEMU on a busy
 * host can be slow to run a new hart's first instructions. */
#define HART_REPORT_SECONDS 10

/* Start every other usable hart; wait up to HART_REPORT_SECONDS for each to
 * report. A hart that is late keeps its cpus[] slot: it will use it when it
 * comes. */
static void
start_harts(uint64 boot_hartid)
{
  for (int i = 0; i < machine.nharts; i++) {
    struct fdt_hart *h = &machine.harts[i];
    if (!h->usable || h->hartid == boot_hartid)
      continue;
    if (ncpu == NCPU) {
      printf("calf: hart %lu not started: kernel built for %d harts\n", h->hartid, NCPU);
      continue;
    }
    struct cpu *c = &cpus[ncpu];
    c->hartid = h->hartid;
    c->plic_ctx = h->plic_ctx;
    long err = sbi_hart_start(h->hartid, (uint64)_secondary_entry, ncpu);
    if (err == SBI_ERR_ALREADY_AVAILABLE && adopt_late_hart(h->hartid, ncpu))
      err = 0;
    if (err) {
      printf("calf: hart %lu did not start (SBI error %ld)\n", h->hartid, err);
      continue;
    }
    uint64 deadline = r_time() + HART_REPORT_SECONDS * machine.timebase;
    while (!__atomic_load_n(&c->started, __ATOMIC_ACQUIRE) && r_time() < deadline)
      ;
    if (!c->started) /* it may still come: its slot stays its own */
      printf("calf: hart %lu started but has not reported in %d s\n", h->hartid,
             HART_REPORT_SECONDS);
    ncpu++;
  }
}

static void
banner(uint64 boot_hartid)
{
  uint64 lo = ~0UL, hi = 0, total = 0;
  for (int i = 0; i < machine.nmem; i++) {
    uint64 b = machine.mem[i].base, e = b + machine.mem[i].size;
    lo = b < lo ? b : lo;
    hi = e > hi ? e : hi;
    total += machine.mem[i].size;
  }
  int usable = 0;
  for (int i = 0; i < machine.nharts; i++)
    usable += machine.harts[i].usable;

  printf("\ncalf: a copy-on-write kernel for RISC-V\n");
  printf("calf: ram 0x%016lx-0x%016lx (%lu MiB), %lu free frames\n", lo, hi, total >> 20,
         frames_free());
  printf("calf: harts started: %d of %d (boot hart %lu)\n", ncpu, usable, boot_hartid);
  printf("calf: timebase %lu Hz, uart 0x%lx irq %d, plic 0x%lx\n", machine.timebase,
         machine.uart.base, machine.uart.irq, machine.plic.base);
  printf("calf: virtio-mmio slots: %d, disk: %s, swap: ", machine.nvirtio,
         virtio_disk_present() ? "yes" : "none");
  if (swap_enabled())
    printf("%lu MiB\n", swap_slots() * PGSIZE >> 20);
  else
    printf("none\n");
  printf("calf: bootargs \"%s\"\n", machine.bootargs);
}

/* The boot hart, from entry.S, paging off, on stack slot 0. */
void
boot_main(uint64 hartid, void *dtb)
{
  int err = fdt_parse(dtb, fdt_totalsize(dtb), &machine);
  if (err == 0)
    err = fdt_fits(&machine, (uint64)kernel_start, (uint64)end, PHYS_LIMIT);
  if (err)
    bad_tree(err);
  cpus[0].hartid = hartid;
  cpus[0].plic_ctx = plic_ctx_of(hartid);
  ncpu = 1;

  printfinit();
  consoleinit();
  frames_init();
  kvminit();
  kvminithart();
  cowinit();
  aspace_init();
  memcheck_init();
  evict_init();
  pcache_init();
  procinit();
  trapinit();
  trapinithart();
  plicinit();
  plicinithart();
  binit();
  iinit();
  fileinit();
  int disk = virtio_disk_init();
  if (disk == 0)
    userinit();

  start_harts(hartid);
  cpus[0].started = 1;
  banner(hartid);
  if (disk != 0) {
    printf("calf: no disk, so no file system and nothing to run\n");
    if (machine.bootargs[0])
      poweroff(1);
  }
  __sync_synchronize();
  go = 1;
  scheduler();
}

/* Other harts, from entry.S with tp = their cpus[] index. */
void
secondary_main(void)
{
  kvminithart();
  trapinithart();
  plicinithart();
  __atomic_store_n(&mycpu()->started, 1, __ATOMIC_RELEASE);
  while (!go)
    ;
  scheduler();
}
