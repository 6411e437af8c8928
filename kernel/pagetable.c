/* pagetable.c: Sv39 page tables, the layer above frames (frame.h) and below
 * everything that decides what a page should hold (cow.c, aspace.c). It
 * walks, maps, unmaps and frees tables; it never looks at a process or an
 * address space, and calls only the frame layer.
 *
 * The kernel page table maps devices and RAM at their physical addresses
 * (text R-X, rodata R--, everything else RW-; the guard page under each
 * hart's boot stack and under each process's kernel stack stays unmapped) and
 * the trampoline at TRAMPOLINE. It is built once and never changes after boot
 * except for process kernel stacks, mapped by procinit before other harts run.
 *
 * A user page table belongs to one address space, whose lock the caller
 * holds while it changes the table (aspace.h). Every table page is a frame
 * with one kernel hold (count 1); every leaf PTE holds one reference on the
 * frame it maps, except the trampoline's and the trapframe's, which the
 * address space clears with pt_clear before it destroys the table.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/fdt.h"
#include "kernel/frame.h"
#include "kernel/pagetable.h"
#include "kernel/printf.h"
#include "kernel/string.h"

pagetable_t kernel_pagetable;

extern char kernel_start[], etext[], erodata[], end[], trampoline[];
extern char hart_stacks[NCPU][HART_STACK_PAGES + 1][PGSIZE];

#define MEGAPAGE (1UL << PXSHIFT(1))

/* A zeroed frame for a page-table page, or 0. */
static pagetable_t
ptalloc(void)
{
  pagetable_t pt = kalloc();
  if (pt)
    memset(pt, 0, PGSIZE);
  return pt;
}

/* The PTE for va in pt, allocating missing page-table pages if alloc.
 * Returns 0 if a page is missing (and !alloc or out of memory), or if va lies
 * in a superpage (only the kernel's RAM mapping uses them). */
pte_t *
walk(pagetable_t pt, uint64 va, int alloc)
{
  if (va >= MAXVA)
    panic("walk: va beyond MAXVA");
  for (int level = 2; level > 0; level--) {
    pte_t *pte = &pt[PX(level, va)];
    if (*pte & PTE_V) {
      if (*pte & (PTE_R | PTE_W | PTE_X))
        return 0;
      pt = (pagetable_t)PTE2PA(*pte);
    } else {
      if (!alloc || (pt = ptalloc()) == 0)
        return 0;
      *pte = PA2PTE(pt) | PTE_V;
    }
  }
  return &pt[PX(0, va)];
}

/* Map [va, va+size) to [pa, ...) with 4 KiB pages. va and size need not be
 * aligned. Returns 0, or -1 if a page-table page could not be allocated
 * (mappings made so far stay; the caller undoes them). */
int
mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm)
{
  if (size == 0)
    panic("mappages: size 0");
  uint64 a = PGROUNDDOWN(va), last = PGROUNDDOWN(va + size - 1);
  for (;; a += PGSIZE, pa += PGSIZE) {
    pte_t *pte = walk(pt, a, 1);
    if (pte == 0)
      return -1;
    if (*pte & PTE_V)
      panic("mappages: remap");
    *pte = PA2PTE(pa) | perm | PTE_V;
    if (a == last)
      return 0;
  }
}

/* Map a kernel range at boot, using 2 MiB leaves where both addresses are
 * aligned for them. Out of memory here is fatal. */
void
kvmmap(pagetable_t kpt, uint64 va, uint64 pa, uint64 sz, int perm)
{
  uint64 stop = va + sz;
  while (va < stop) {
    if (va % MEGAPAGE == 0 && pa % MEGAPAGE == 0 && stop - va >= MEGAPAGE) {
      pte_t *l1 = &kpt[PX(2, va)];
      if (!(*l1 & PTE_V)) {
        pagetable_t t = ptalloc();
        if (t == 0)
          panic("kvmmap: out of memory");
        *l1 = PA2PTE(t) | PTE_V;
      }
      pte_t *pte = &((pagetable_t)PTE2PA(*l1))[PX(1, va)];
      if (*pte & PTE_V)
        panic("kvmmap: remap");
      *pte = PA2PTE(pa) | perm | PTE_V;
      va += MEGAPAGE;
      pa += MEGAPAGE;
    } else {
      if (mappages(kpt, va, PGSIZE, pa, perm) != 0)
        panic("kvmmap: out of memory");
      va += PGSIZE;
      pa += PGSIZE;
    }
  }
}

/* Map [lo, hi) of RAM read-write, leaving out every reserved range. */
static void
kvmmap_ram(uint64 lo, uint64 hi)
{
  for (int i = 0; i < machine.nresv && lo < hi; i++) {
    uint64 rlo = PGROUNDDOWN(machine.resv[i].base);
    uint64 rhi = PGROUNDUP(machine.resv[i].base + machine.resv[i].size);
    if (rhi <= lo || rlo >= hi)
      continue;
    if (rlo > lo)
      kvmmap_ram(lo, rlo);
    lo = rhi;
  }
  if (lo < hi)
    kvmmap(kernel_pagetable, lo, lo, hi - lo, PTE_R | PTE_W);
}

static void
kvmmap_dev(struct fdt_dev *d)
{
  if (d->size)
    kvmmap(kernel_pagetable, PGROUNDDOWN(d->base), PGROUNDDOWN(d->base),
           PGROUNDUP(d->base + d->size) - PGROUNDDOWN(d->base), PTE_R | PTE_W);
}

/* Build the kernel page table from the device tree. Boot hart, once. */
void
kvminit(void)
{
  kernel_pagetable = ptalloc();
  if (kernel_pagetable == 0)
    panic("kvminit: out of memory");

  kvmmap_dev(&machine.uart);
  kvmmap_dev(&machine.plic);
  kvmmap_dev(&machine.test);
  for (int i = 0; i < machine.nvirtio; i++)
    kvmmap_dev(&machine.virtio[i]);

  uint64 ks = (uint64)kernel_start, ke = PGROUNDUP((uint64)end);
  kvmmap(kernel_pagetable, ks, ks, (uint64)etext - ks, PTE_R | PTE_X);
  kvmmap(kernel_pagetable, (uint64)etext, (uint64)etext, (uint64)erodata - (uint64)etext, PTE_R);
  kvmmap(kernel_pagetable, (uint64)erodata, (uint64)erodata, ke - (uint64)erodata, PTE_R | PTE_W);
  for (int i = 0; i < NCPU; i++)
    *walk(kernel_pagetable, (uint64)hart_stacks[i][0], 0) = 0;

  for (int i = 0; i < machine.nmem; i++) {
    uint64 lo = PGROUNDUP(machine.mem[i].base);
    uint64 hi = PGROUNDDOWN(machine.mem[i].base + machine.mem[i].size);
    if (lo <= ks && ks < hi) {
      kvmmap_ram(lo, ks);
      lo = ke;
    }
    kvmmap_ram(lo, hi);
  }

  kvmmap(kernel_pagetable, TRAMPOLINE, (uint64)trampoline, PGSIZE, PTE_R | PTE_X);
}

/* Turn on paging with the kernel page table on this hart. */
void
kvminithart(void)
{
  sfence_vma();
  w_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma();
}

/* An empty page table, or 0. */
pagetable_t
pt_create(void)
{
  return ptalloc();
}

/* Physical address behind user page va, or 0 if it is not mapped for user
 * access. Resolves nothing: for the kernel's own reads of pages it knows are
 * private (exec loading a fresh image). */
uint64
walkaddr(pagetable_t pt, uint64 va)
{
  if (va >= MAXVA)
    return 0;
  pte_t *pte = walk(pt, va, 0);
  if (pte == 0 || (*pte & (PTE_V | PTE_U)) != (PTE_V | PTE_U))
    return 0;
  return PTE2PA(*pte);
}

/* Remove the PTE of page va without touching its frame's count: for the
 * trampoline and the trapframe, which the table maps but does not hold. */
void
pt_clear(pagetable_t pt, uint64 va)
{
  pte_t *pte = walk(pt, va, 0);
  if (pte)
    *pte = 0;
}

/* Drop the reference each PTE of leaf table pt holds, then free the table.
 * This loop runs once per resident page of every exit and exec, so it uses
 * the count array directly: one release fence for the table, then relaxed
 * decrements (frame.h, rule 2). */
static void
freeleaf(pagetable_t pt)
{
  uint32 *bypfn = frame_counts_by_pfn();

  __atomic_thread_fence(__ATOMIC_RELEASE);
#pragma GCC unroll 4
  for (int i = 0; i < 512; i++)
    if (pt[i] & PTE_V)
      frame_unref_pte(bypfn, pt[i]);
  kfree(pt);
}

/* Drop one reference on every frame mapped below table pt (a table at
 * `level` >= 1), then free the table pages themselves. */
static void
freelevel(pagetable_t pt, int level)
{
  for (int i = 0; i < 512; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V))
      continue;
    if (level > 1)
      freelevel((pagetable_t)PTE2PA(pte), level - 1);
    else
      freeleaf((pagetable_t)PTE2PA(pte));
  }
  kfree(pt);
}

/* Free the page-table pages under table pt (at `level` >= 1, mapping from
 * base) whose whole span lies in [lo, hi), where nothing is mapped any more,
 * so that an unmap gives back its page tables too. Tables that also cover
 * addresses outside stay. */
static void
prune(pagetable_t pt, int level, uint64 base, uint64 lo, uint64 hi)
{
  uint64 span = 1UL << PXSHIFT(level);
  for (uint64 i = lo > base ? (lo - base) / span : 0; i < 512 && base + i * span < hi; i++) {
    uint64 va = base + i * span;
    if (!(pt[i] & PTE_V))
      continue;
    pagetable_t child = (pagetable_t)PTE2PA(pt[i]);
    if (va >= lo && va + span <= hi) {
      if (level == 1)
        freeleaf(child);
      else
        freelevel(child, level - 1);
      pt[i] = 0;
    } else if (level > 1) {
      prune(child, level - 1, va, lo, hi);
    }
  }
}

/* Remove every mapping of user pages in [lo, hi) (page-aligned), dropping
 * the reference each held, and free the table pages left empty. Missing
 * tables are skipped whole (lazy memory may be mostly unmapped). The caller
 * flushes the TLB. */
void
pt_unmap(pagetable_t pt, uint64 lo, uint64 hi)
{
  if (lo % PGSIZE || hi % PGSIZE || hi > MAXVA)
    panic("pt_unmap: bad range");
  for (uint64 a = lo; a < hi;) {
    if (!(pt[PX(2, a)] & PTE_V)) {
      a = (a | ((1UL << PXSHIFT(2)) - 1)) + 1;
      continue;
    }
    if (!(((pagetable_t)PTE2PA(pt[PX(2, a)]))[PX(1, a)] & PTE_V)) {
      a = (a | ((1UL << PXSHIFT(1)) - 1)) + 1;
      continue;
    }
    pte_t *pte = walk(pt, a, 0);
    if (*pte & PTE_V) {
      if (PTE_FLAGS(*pte) == PTE_V)
        panic("pt_unmap: not a leaf");
      frame_unref(PTE2PA(*pte));
      *pte = 0;
    }
    a += PGSIZE;
  }
  prune(pt, 2, 0, lo, hi);
}

/* The first page-aligned address in [va, hi) that lies in a leaf table pt
 * has, or hi: missing tables are skipped whole. */
uint64
pt_next_table(pagetable_t pt, uint64 va, uint64 hi)
{
  while (va < hi) {
    if (!(pt[PX(2, va)] & PTE_V))
      va = (va | ((1UL << PXSHIFT(2)) - 1)) + 1;
    else if (!(((pagetable_t)PTE2PA(pt[PX(2, va)]))[PX(1, va)] & PTE_V))
      va = (va | ((1UL << PXSHIFT(1)) - 1)) + 1;
    else
      return va;
  }
  return hi;
}

/* Free a page table and drop the reference every leaf PTE in it holds. The
 * caller has cleared the PTEs that hold none (pt_clear). */
void
pt_destroy(pagetable_t pt)
{
  freelevel(pt, 2);
}
