/* fdt.h: what calf learns from the flattened device tree at boot.
 * fdt.c fills one struct machine; nothing else in the kernel reads the blob.
 * fdt.c is also compiled on the host for the unit tests in test/. */
#ifndef CALF_FDT_H
#define CALF_FDT_H

#include "kernel/types.h"

#define FDT_MAX_MEM      8  /* memory ranges */
#define FDT_MAX_RESV     16 /* reserved ranges (memory reservation block + /reserved-memory) */
#define FDT_MAX_HARTS    16 /* cpu nodes */
#define FDT_MAX_VIRTIO   16 /* virtio-mmio slots */
#define FDT_MAX_BOOTARGS 256

struct fdt_range {
  uint64 base;
  uint64 size;
};

struct fdt_hart {
  uint64 hartid; /* "reg" of the cpu node */
  int usable;    /* status absent or "okay" and mmu-type present */
  int plic_ctx;  /* PLIC context of this hart's S-mode external interrupt, -1 if none */
};

struct fdt_dev {
  uint64 base;
  uint64 size;
  int irq; /* "interrupts" cell, -1 if none */
};

struct machine {
  struct fdt_range mem[FDT_MAX_MEM];
  int nmem;
  struct fdt_range resv[FDT_MAX_RESV]; /* includes the blob itself */
  int nresv;
  struct fdt_hart harts[FDT_MAX_HARTS];
  int nharts;
  uint64 timebase;     /* ticks of the time CSR per second */
  struct fdt_dev uart; /* ns16550a; size 0 if absent */
  uint64 uart_clock;   /* "clock-frequency", 0 if absent */
  struct fdt_dev plic; /* size 0 if absent */
  int plic_ndev;       /* "riscv,ndev" */
  struct fdt_dev virtio[FDT_MAX_VIRTIO];
  int nvirtio;
  struct fdt_dev test; /* sifive,test device (poweroff with a code); size 0 if absent */
  char bootargs[FDT_MAX_BOOTARGS];
  char stdout_path[64];
};

/* Parse the blob at fdt (at most maxlen bytes may be read; pass the blob's
 * own totalsize when unknown) into *m. Returns 0 on success, or a negative
 * FDT_E* code; fdt_strerror names it.
 * On success *m is consistent: every range and device lies below 2^56 (so
 * no base + size wraps), no two memory ranges overlap, no two devices'
 * register pages overlap each other or RAM, and when there is a PLIC every
 * hart's context and every UART/virtio interrupt lies inside its registers. */
int fdt_parse(const void *fdt, uint64 maxlen, struct machine *m);
/* What the kernel needs of a parsed machine: the kernel image [kstart, kend)
 * inside one memory range, and RAM and device pages below limit, the first
 * virtual address the kernel uses for anything but physical memory mapped at
 * its own address. Returns 0, FDT_E_HIGH or FDT_E_KERNEL. */
int fdt_fits(const struct machine *m, uint64 kstart, uint64 kend, uint64 limit);
const char *fdt_strerror(int err);
/* totalsize from a blob header, 0 if the magic is wrong. */
uint64 fdt_totalsize(const void *fdt);

#define FDT_E_MAGIC    -1  /* bad magic number */
#define FDT_E_VERSION  -2  /* version not supported */
#define FDT_E_SIZE     -3  /* totalsize too small or larger than the blob */
#define FDT_E_OFFSET   -4  /* a block offset/size lies outside the blob */
#define FDT_E_STRING   -5  /* an unterminated string (name, strings block, property) */
#define FDT_E_STRUCT   -6  /* malformed structure block (bad token, nesting) */
#define FDT_E_NOMEM    -7  /* no memory node */
#define FDT_E_NOCPU    -8  /* no usable cpu node */
#define FDT_E_TIMEBASE -9  /* no timebase-frequency */
#define FDT_E_PROP     -10 /* a property has the wrong length */
#define FDT_E_TOOMANY  -11 /* more entries than the fixed tables hold */
#define FDT_E_MEMRANGE -12 /* a memory range wraps or ends past 2^56 */
#define FDT_E_OVERLAP  -13 /* two memory ranges overlap */
#define FDT_E_RESV     -14 /* a reserved range wraps or ends past 2^56 */
#define FDT_E_DEVRANGE -15 /* a device's registers wrap or end past 2^56 */
#define FDT_E_DEVPAGE  -16 /* a device's register pages overlap RAM or another device */
#define FDT_E_NDEV     -17 /* riscv,ndev above the 1023 sources a PLIC can have */
#define FDT_E_PLICCTX  -18 /* a hart's PLIC context lies beyond the PLIC's registers */
#define FDT_E_IRQ      -19 /* a device's interrupt is not a source of the PLIC */
#define FDT_E_HIGH     -20 /* RAM or a device lies above what the kernel can map */
#define FDT_E_KERNEL   -21 /* the kernel image is not inside one memory range */

/* The lowest FDT_E_* code; the host tests walk them all. */
#define FDT_E_LAST FDT_E_KERNEL

extern struct machine machine; /* what the device tree told (machine.c) */

#endif
