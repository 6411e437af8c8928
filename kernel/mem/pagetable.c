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
 * holds while it changes the table (aspace.h). Every PTE in it holds the
 * frame it maps (frame_unref lets go of it), except the trampoline's and the
 * trapframe's, which hold none: the address space clears them with pt_clear
 * before it destroys the table. A swapped PTE (swap.h: not valid, not 0)
 * holds a count on its swap slot instead, and every loop here that drops or
 * copies PTEs drops or takes that count as it does a frame's.
 */
/* Shared leaf tables. A user table's root and level-1 tables are its own
 * (count 1). A leaf table (512 PTEs, 2 MiB of addresses) may be shared by
 * several address spaces after fork (cow.c): its count is the number of
 * level-1 PTEs that point at it, and every PTE in it holds one reference on
 * the frame it maps, however many spaces share the table.
 *
 * A shared leaf table is never changed in place, but by page replacement
 * (evict.c), which may turn a valid PTE into a swapped one, or 0, once for
 * all the sharers, and clear accessed bits; a copy made meanwhile (unshare)
 * reads each PTE once, and takes a frame's or a slot's count as it finds
 * it. Whoever else is about to change a PTE gets it from pt_own (walk only
 * reads), which first replaces a shared table by a private copy (unshare)
 * and clears PTE_CLEAN from the level-1 PTE above it, since the change may
 * make a page writable. Dropping a whole table (pt_unmap, pt_destroy) drops
 * one count on it; the last holder drops the counts of the frames it maps.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/platform/fdt.h"
#include "kernel/mem/frame.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/swap.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"

pagetable_t kernel_pagetable;

extern char kernel_start[], etext[], erodata[], end[], trampoline[];
extern char hart_stacks[NCPU][HART_STACK_PAGES + 1][PGSIZE];

/* A zeroed frame for a page-table page, or 0. */
static pagetable_t
ptalloc(void)
{
  pagetable_t pt = kalloc();
  if (pt)
    memset(pt, 0, PGSIZE);
  return pt;
}

/* The PTE for va in pt, to read, or 0 if a table on the way is missing or
 * va lies in a superpage (only the kernel's RAM mapping uses them). A
 * caller about to change the PTE asks pt_own instead. */
pte_t *
walk(pagetable_t pt, uint64 va)
{
  if (va >= MAXVA)
    panic("walk: va beyond MAXVA");
  for (int level = 2; level > 0; level--) {
    pte_t pte = pt[PX(level, va)];
    if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W | PTE_X)))
      return 0;
    pt = (pagetable_t)PTE2PA(pte);
  }
  return &pt[PX(0, va)];
}

/* The table non-leaf PTE *pte points at, allocated (and *pte set) if
 * missing; 0 if memory ran out or *pte is a leaf (a superpage). */
static pagetable_t
table_below_alloc(pte_t *pte)
{
  if (!(*pte & PTE_V)) {
    pagetable_t t = ptalloc();
    if (t == 0)
      return 0;
    *pte = PA2PTE(t) | PTE_V;
  } else if (*pte & (PTE_R | PTE_W | PTE_X)) {
    return 0;
  }
  return (pagetable_t)PTE2PA(*pte);
}

/* Does pt alone hold the leaf table that level-1 PTE l1 points at? A yes
 * stays true (only a holder can share it further) and, as an acquire
 * (frame.h rule 3), comes after every former sharer's last use of it. */
static inline int
leaf_private(pte_t l1)
{
  return __atomic_load_n(&frame_counts_by_pfn()[l1 >> 10], __ATOMIC_ACQUIRE) == 1;
}

static int unshare(pte_t *l1);

/* The leaf table that level-1 PTE *l1 points at, if any, is about to
 * change: replace it by a copy of its own if other page tables share it
 * (*copied, if not 0, is set to 1) and clear its PTE_CLEAN mark. Returns 0,
 * or -1 if memory ran out (nothing changed). */
static int
leaf_table_own(pte_t *l1, int *copied)
{
  if (!(*l1 & PTE_V) || (*l1 & (PTE_R | PTE_W | PTE_X)))
    return 0;
  if (!leaf_private(*l1)) {
    if (unshare(l1) != 0)
      return -1;
    if (copied)
      *copied = 1;
  }
  *l1 &= ~PTE_CLEAN;
  return 0;
}

/* The PTE for va in pt, for the caller to change: missing tables are
 * allocated, and *copied (if not 0) is set to 1 if a leaf table had to be
 * copied first (the top of the file says when). Returns 0 if memory ran out
 * (nothing shared was changed) or va lies in a superpage. */
pte_t *
pt_own(pagetable_t pt, uint64 va, int *copied)
{
  if (va >= MAXVA)
    panic("pt_own: va beyond MAXVA");
  pagetable_t l1t = table_below_alloc(&pt[PX(2, va)]);
  if (l1t == 0)
    return 0;
  pte_t *l1 = &l1t[PX(1, va)];
  if (leaf_table_own(l1, copied) != 0)
    return 0;
  pagetable_t leaf = table_below_alloc(l1);
  if (leaf == 0)
    return 0;
  return &leaf[PX(0, va)];
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
    pte_t *pte = pt_own(pt, a, 0);
    if (pte == 0)
      return -1;
    if (*pte)
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
    if (va % LEAF_SPAN == 0 && pa % LEAF_SPAN == 0 && stop - va >= LEAF_SPAN) {
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
      va += LEAF_SPAN;
      pa += LEAF_SPAN;
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
    *walk(kernel_pagetable, (uint64)hart_stacks[i][0]) = 0;

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
  pte_t *pte = walk(pt, va);
  if (pte == 0 || (*pte & (PTE_V | PTE_U)) != (PTE_V | PTE_U))
    return 0;
  return PTE2PA(*pte);
}

/* Remove the PTE of page va without touching its frame's count: for the
 * trampoline and the trapframe, which the table maps but does not hold. */
void
pt_clear(pagetable_t pt, uint64 va)
{
  pte_t *pte = walk(pt, va);
  if (pte)
    *pte = 0;
}

/* Is any of the eight PTEs from p in use (valid, or swapped)? Tables freed
 * at exit are mostly empty (the upper levels below the highest region end,
 * a sparse leaf table), so their loops skip eight empty entries at a
 * time. */
static inline int
any_used(pte_t *p)
{
  return (p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7]) != 0;
}

/* Drop the reference each PTE of leaf table pt holds and free the table,
 * whose last count (old) the caller has just dropped. The PTE loop runs
 * once per resident page of every exit and exec, so it uses the count
 * array directly: one release fence for the table, then relaxed decrements
 * (frame.h, rule 2). Out of line, so that leaf_put's usual case, one count
 * of a shared table, saves no registers for this loop. */
static __attribute__((noinline)) void
leaf_free(pagetable_t pt, uint32 old)
{
  uint32 *bypfn = frame_counts_by_pfn();

  __atomic_thread_fence(__ATOMIC_RELEASE);
  for (int i = 0; i < 512; i += 8) {
    if (!(pt[i] & PTE_V) && !any_used(&pt[i])) /* a full table skips the test */
      continue;
#pragma GCC unroll 8
    for (int k = i; k < i + 8; k++)
      if (pt[k] & PTE_V)
        frame_unref_pte(bypfn, pt[k]);
      else if (pt[k])
        slot_unref(pte_slot(pt[k]));
  }
  frame_release((uint64)pt, old);
}

/* Drop one count on leaf table pt; the last holder frees it (leaf_free).
 * The decrement is acquire-release: every other sharer's last use of the
 * table and its frames comes before the last holder's. */
static void
leaf_put(pagetable_t pt)
{
  uint32 old =
      __atomic_fetch_sub(&frame_counts_by_pfn()[(uint64)pt >> PGSHIFT], 1, __ATOMIC_ACQ_REL);
  if (old <= 1)
    leaf_free(pt, old);
}

/* Let go of every leaf table below table pt (a table at `level` >= 1 whose
 * first entry maps base: leaf_put), then free pt and the level-1 tables
 * below it. No table maps a user page at or above top, so only the entries
 * below top are looked at, and the one on the way to the trampoline; a leaf
 * table wholly above top holds nothing (the caller cleared the trampoline
 * and the trapframe) and is freed as it is. */
static void
freelevel(pagetable_t pt, int level, uint64 base, uint64 top)
{
  uint64 span = 1UL << PXSHIFT(level);
  uint64 n = top <= base ? 0 : (top - base - 1) / span + 1; /* entries below top */
  uint64 t = (TRAMPOLINE - base) / span;                    /* the trampoline's */
  if (n > 512)
    n = 512;
  for (uint64 i = 0; i < 512; i++) {
    if (i >= n && i != t) {
      if (i > t)
        break;
      i = t - 1;
      continue;
    }
    if (i % 8 == 0 && i + 8 <= n && !any_used(&pt[i])) {
      i += 7;
      continue;
    }
    pte_t pte = pt[i];
    if (!(pte & PTE_V))
      continue;
    uint64 va = base + i * span;
    if (level > 1)
      freelevel((pagetable_t)PTE2PA(pte), level - 1, va, top);
    else if (va >= top)
      kfree((void *)PTE2PA(pte));
    else
      leaf_put((pagetable_t)PTE2PA(pte));
  }
  kfree(pt);
}

/* The level-1 PTE that points at (or would point at) va's leaf table, or 0
 * if va's level-1 table is missing. */
static pte_t *
leaf_entry(pagetable_t pt, uint64 va)
{
  pte_t l2 = pt[PX(2, va)];
  if (!(l2 & PTE_V))
    return 0;
  return &((pagetable_t)PTE2PA(l2))[PX(1, va)];
}

/* Is [lo, hi) the whole span of the table at `level` that starts at base? */
static int
covers(uint64 lo, uint64 hi, uint64 base, int level)
{
  return lo <= base && base + (1UL << PXSHIFT(level + 1)) <= hi;
}

/* Point level-1 PTE l1, whose leaf table other page tables share, at a
 * copy of its own (one more reference on every frame the table maps) and
 * drop one count on the shared one. Flushes this hart's TLB, which may
 * cache the old level-1 PTE. Returns 0, or -1 if memory ran out (nothing
 * changed). */
static int
unshare(pte_t *l1)
{
  pagetable_t old = (pagetable_t)PTE2PA(*l1);
  pagetable_t new = kalloc();
  if (new == 0)
    return -1;
  uint32 *bypfn = frame_counts_by_pfn();
  for (int i = 0; i < 512; i++) {
    pte_t pte = old[i];
    if (pte & PTE_V)
      frame_ref_pte(bypfn, pte);
    else if (pte)
      slot_ref(pte_slot(pte));
    new[i] = pte;
  }
  *l1 = PA2PTE(new) | (*l1 & PTE_CLEAN) | PTE_V;
  sfence_vma();
  leaf_put(old);
  return 0;
}

/* Make va's leaf table pt's own if other page tables share it (as pt_own,
 * without changing a PTE). Returns 0, or -1 if memory ran out. */
static int
pt_unshare(pagetable_t pt, uint64 va)
{
  pte_t *l1 = leaf_entry(pt, va);
  if (l1 == 0 || !(*l1 & PTE_V) || leaf_private(*l1))
    return 0;
  return unshare(l1);
}

/* Share leaf table l1 points at with the page table whose level-1 PTE is
 * *to (empty): one more count on the table. */
void
pt_share_leaf(pte_t *l1, pte_t *to)
{
  frame_ref_pte(frame_counts_by_pfn(), *l1);
  *to = *l1;
}

/* Make va's leaf table private if [lo, hi) covers only part of it. */
static int
unshare_edge(pagetable_t pt, uint64 lo, uint64 hi, uint64 va)
{
  return covers(lo, hi, va & ~(LEAF_SPAN - 1), 0) ? 0 : pt_unshare(pt, va);
}

/* Remove every mapping of user pages in [lo, hi) (page-aligned), dropping
 * the reference each held, and free the table pages left empty. A leaf
 * table wholly inside the range is dropped whole (one count, if shared);
 * one only partly inside is made private first. Missing tables are skipped
 * whole (lazy memory may be mostly unmapped). The caller flushes the TLB.
 * Returns 0, or -1 if memory ran out making an edge table private (then no
 * mapping has been removed). */
int
pt_unmap(pagetable_t pt, uint64 lo, uint64 hi)
{
  if (lo % PGSIZE || hi % PGSIZE || hi > MAXVA || lo > hi)
    panic("pt_unmap: bad range");
  if (lo == hi)
    return 0;
  if (unshare_edge(pt, lo, hi, lo) < 0 || unshare_edge(pt, lo, hi, hi - 1) < 0)
    return -1;
  for (uint64 a = pt_next_table(pt, lo, hi); a < hi; a = pt_next_table(pt, a, hi)) {
    uint64 base = a & ~(LEAF_SPAN - 1), next = base + LEAF_SPAN;
    pte_t *l1 = leaf_entry(pt, a);
    if (covers(lo, hi, base, 0)) {
      leaf_put((pagetable_t)PTE2PA(*l1));
      *l1 = 0;
    } else {
      pagetable_t leaf = (pagetable_t)PTE2PA(*l1);
      if (!leaf_private(*l1))
        panic("pt_unmap: a leaf table partly unmapped is shared");
      for (; a < hi && a < next; a += PGSIZE) {
        pte_t *pte = &leaf[PX(0, a)];
        if (*pte & PTE_V) {
          if (PTE_FLAGS(*pte) == PTE_V)
            panic("pt_unmap: not a leaf");
          frame_unref(PTE2PA(*pte));
        } else if (*pte) {
          slot_unref(pte_slot(*pte));
        }
        *pte = 0;
      }
    }
    a = next;
  }
  for (uint64 a = lo & ~((1UL << PXSHIFT(2)) - 1); a < hi; a += 1UL << PXSHIFT(2)) {
    pte_t *l2 = &pt[PX(2, a)];
    if ((*l2 & PTE_V) && covers(lo, hi, a, 1)) {
      kfree((void *)PTE2PA(*l2)); /* every leaf entry in it was just cleared */
      *l2 = 0;
    }
  }
  return 0;
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

/* Free a page table and drop the reference every leaf PTE in it holds. No
 * table of it maps a user page at or above top; the caller has cleared the
 * PTEs that hold no reference (pt_clear: the trampoline, the trapframe). */
void
pt_destroy(pagetable_t pt, uint64 top)
{
  freelevel(pt, 2, 0, top);
}
