/* riscv.h: RISC-V supervisor-mode registers and Sv39 page-table formats.
 * User programs include it too (for PGSIZE and friends), so everything here is
 * a macro or a static inline function. */
#ifndef CALF_RISCV_H
#define CALF_RISCV_H

#ifndef __ASSEMBLER__

#include "kernel/types.h"

#define CSR_READ(name)                                                                             \
  ({                                                                                               \
    uint64 v_;                                                                                     \
    asm volatile("csrr %0, " #name : "=r"(v_));                                                    \
    v_;                                                                                            \
  })
#define CSR_WRITE(name, v) asm volatile("csrw " #name ", %0" : : "r"((uint64)(v)))
#define CSR_SET(name, v)   asm volatile("csrs " #name ", %0" : : "r"((uint64)(v)))
#define CSR_CLEAR(name, v) asm volatile("csrc " #name ", %0" : : "r"((uint64)(v)))

/* sstatus */
#define SSTATUS_SPP  (1L << 8)  /* previous mode: 1 = supervisor, 0 = user */
#define SSTATUS_SPIE (1L << 5)  /* supervisor interrupts enabled before the trap */
#define SSTATUS_SIE  (1L << 1)  /* supervisor interrupts enabled */
#define SSTATUS_SUM  (1L << 18) /* supervisor may touch user pages (calf never sets it) */

/* sie / sip */
#define SIE_SSIE (1L << 1) /* software (IPI) */
#define SIE_STIE (1L << 5) /* timer */
#define SIE_SEIE (1L << 9) /* external (PLIC) */

/* scause */
#define SCAUSE_INTR          (1UL << 63)
#define IRQ_S_SOFT           1
#define IRQ_S_TIMER          5
#define IRQ_S_EXT            9
#define EXC_INST_MISALIGNED  0
#define EXC_INST_ACCESS      1
#define EXC_ILLEGAL          2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_MISALIGNED  4
#define EXC_LOAD_ACCESS      5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U          8
#define EXC_INST_PAGE        12
#define EXC_LOAD_PAGE        13
#define EXC_STORE_PAGE       15

static inline uint64
r_sstatus(void)
{
  return CSR_READ(sstatus);
}
static inline void
w_sstatus(uint64 x)
{
  CSR_WRITE(sstatus, x);
}
static inline uint64
r_sip(void)
{
  return CSR_READ(sip);
}
static inline void
w_sip(uint64 x)
{
  CSR_WRITE(sip, x);
}
static inline uint64
r_sie(void)
{
  return CSR_READ(sie);
}
static inline void
w_sie(uint64 x)
{
  CSR_WRITE(sie, x);
}
static inline uint64
r_sepc(void)
{
  return CSR_READ(sepc);
}
static inline void
w_sepc(uint64 x)
{
  CSR_WRITE(sepc, x);
}
static inline uint64
r_stvec(void)
{
  return CSR_READ(stvec);
}
static inline void
w_stvec(uint64 x)
{
  CSR_WRITE(stvec, x);
}
static inline uint64
r_satp(void)
{
  return CSR_READ(satp);
}
static inline void
w_satp(uint64 x)
{
  CSR_WRITE(satp, x);
}
static inline uint64
r_scause(void)
{
  return CSR_READ(scause);
}
static inline uint64
r_stval(void)
{
  return CSR_READ(stval);
}
static inline uint64
r_time(void)
{
  return CSR_READ(time);
}
static inline uint64
r_tp(void)
{
  uint64 x;
  asm volatile("mv %0, tp" : "=r"(x));
  return x;
}
static inline void
w_tp(uint64 x)
{
  asm volatile("mv tp, %0" : : "r"(x));
}
static inline uint64
r_sp(void)
{
  uint64 x;
  asm volatile("mv %0, sp" : "=r"(x));
  return x;
}
static inline uint64
r_ra(void)
{
  uint64 x;
  asm volatile("mv %0, ra" : "=r"(x));
  return x;
}

static inline void
intr_on(void)
{
  CSR_SET(sstatus, SSTATUS_SIE);
}
static inline void
intr_off(void)
{
  CSR_CLEAR(sstatus, SSTATUS_SIE);
}
static inline int
intr_get(void)
{
  return (r_sstatus() & SSTATUS_SIE) != 0;
}
/* Turn interrupts off and say whether they were on, in one instruction.
 * Like intr_restore, a compiler barrier: no memory access moves across. */
static inline int
intr_save_off(void)
{
  uint64 x;
  asm volatile("csrrci %0, sstatus, %1" : "=r"(x) : "i"(SSTATUS_SIE) : "memory");
  return (x & SSTATUS_SIE) != 0;
}
/* Turn interrupts back on if on says so (intr_save_off's answer). */
static inline void
intr_restore(int on)
{
  if (on)
    asm volatile("csrsi sstatus, %0" : : "i"(SSTATUS_SIE) : "memory");
}

/* Flush this hart's whole TLB. */
static inline void
sfence_vma(void)
{
  asm volatile("sfence.vma zero, zero" ::: "memory");
}
/* Flush this hart's TLB entries for one virtual address, every address space. */
static inline void
sfence_vma_va(uint64 va)
{
  asm volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}
static inline void
wfi(void)
{
  asm volatile("wfi");
}

typedef uint64 pte_t;
typedef uint64 *pagetable_t; /* 512 PTEs */

#endif /* __ASSEMBLER__ */

#define SATP_SV39            (8L << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)(pagetable)) >> 12))

#define PGSIZE         4096
#define PGSHIFT        12
#define PGROUNDUP(sz)  (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

#define PTE_V (1L << 0) /* valid */
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4) /* user may access */
#define PTE_G (1L << 5)
#define PTE_A (1L << 6)
#define PTE_D (1L << 7)
/* Software bits (RSW, 8-9). PTE_COW marks a page that is writable in spirit
 * but mapped read-only because its frame is shared; see kernel/mem/cow.c. */
#define PTE_COW (1L << 8)
/* PTE_SHARED marks a page of a shared file mapping (MAP_SHARED): fork
 * shares it as it is, writable, never copy-on-write. No other page carries
 * it, so fork of a space with no shared mapping need not test for it
 * (kernel/mem/cow.c); memcheck checks this. */
#define PTE_SHARED (1L << 9)
/* PTE_CLEAN, on a non-leaf PTE that points at a leaf table, says that the
 * table maps no page writable except shared-file pages, so that fork may
 * share the table itself (kernel/mem/cow.c); any change to the table clears it
 * (walk, kernel/mem/pagetable.c). */
#define PTE_CLEAN (1L << 8)

#define PA2PTE(pa)     ((((uint64)pa) >> 12) << 10)
#define PTE2PA(pte)    (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte)&0x3FF)

/* Sv39: three levels of 9-bit indexes above the 12-bit page offset. */
#define PXMASK         0x1FF
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va)  ((((uint64)(va)) >> PXSHIFT(level)) & PXMASK)

/* One beyond the highest user-usable virtual address. Sv39 allows 2^39, but
 * staying below 2^38 avoids sign-extending addresses with the top bit set. */
#ifdef __ASSEMBLER__
#define MAXVA (1 << (9 + 9 + 9 + 12 - 1))
#else
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))
#endif

#endif
