/* vm.c: Sv39 page tables, for the kernel and for user processes.
 *
 * The kernel page table maps devices and RAM at their physical addresses
 * (text R-X, rodata R--, everything else RW-; the guard page under each
 * hart's boot stack and under each process's kernel stack stays unmapped) and
 * the trampoline at TRAMPOLINE. It is built once and never changes after boot
 * except for process kernel stacks, mapped by procinit before other harts run.
 *
 * A user page table is private to its process: only the process itself (or,
 * while the parent is suspended in vfork, its vfork child) changes it, so it
 * needs no lock. Every page below p->sz is mapped, either to a frame of its
 * own or, copy-on-write, to a shared one (see cow.c).
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/fdt.h"
#include "kernel/defs.h"
#include "kernel/frame.h"

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

/* Physical address behind user page va, or 0 if it is not mapped for user
 * access. Does not resolve copy-on-write: for reads only. */
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

/* An empty user page table, or 0. */
pagetable_t
uvmcreate(void)
{
  return ptalloc();
}

/* Grow a process from oldsz to newsz bytes with zeroed frames of its own,
 * mapped R, U and xperm. Returns newsz, or 0 (with nothing added) when memory
 * runs out. */
uint64
uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm)
{
  if (newsz < oldsz)
    return oldsz;
  for (uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE) {
    char *mem = kalloc();
    if (mem == 0) {
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
    if (mappages(pt, a, PGSIZE, (uint64)mem, PTE_R | PTE_U | xperm) != 0) {
      kfree(mem);
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

static void prune(pagetable_t pt, int level, uint64 base, uint64 lo, uint64 hi);

/* Shrink a process from oldsz to newsz bytes, dropping the frames of the
 * pages in between. Returns the new size. */
uint64
uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz)
{
  if (newsz >= oldsz)
    return oldsz;
  if (PGROUNDUP(newsz) < PGROUNDUP(oldsz)) {
    uint64 npages = (PGROUNDUP(oldsz) - PGROUNDUP(newsz)) / PGSIZE;
    uvmunmap(pt, PGROUNDUP(newsz), npages, 1);
    prune(pt, 2, 0, PGROUNDUP(newsz), PGROUNDUP(oldsz));
  }
  return newsz;
}

/* Remove npages mappings from page-aligned va; drop a reference on each
 * frame if do_free. Pages that are not mapped are skipped, whole missing
 * page-table pages at a time (lazy memory may be mostly unmapped). */
void
uvmunmap(pagetable_t pt, uint64 va, uint64 npages, int do_free)
{
  if (va % PGSIZE)
    panic("uvmunmap: va not aligned");
  uint64 end = va + npages * PGSIZE;
  for (uint64 a = va; a < end;) {
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
        panic("uvmunmap: not a leaf");
      if (do_free)
        kfree((void *)PTE2PA(*pte));
      *pte = 0;
    }
    a += PGSIZE;
  }
}

/* Drop the reference each PTE of leaf table pt holds, then free the table.
 * This loop runs once per resident page of every exit and exec. */
static void
freeleaf(pagetable_t pt)
{
  uint32 *refs = frame_refs;
  uint64 basepfn = frame_base >> PGSHIFT;

  __atomic_thread_fence(__ATOMIC_RELEASE);
#pragma GCC unroll 4
  for (int i = 0; i < 512; i++)
    if (pt[i] & PTE_V)
      frame_unref_pte(refs, basepfn, pt[i]);
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
 * so that a shrink gives back its page tables too. Tables that also cover
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

/* Free a user page table and drop a reference on every frame it maps. The
 * caller has unmapped the trampoline and trapframe first. */
void
uvmfree(pagetable_t pt)
{
  freelevel(pt, 2);
}

/* Give child table new (a table at `level` >= 1 covering addresses from
 * base) the user pages of old below sz; leaf tables go to fork_table
 * (cow.c). Walks each table once rather than each address from the root.
 * Returns 0, or -1 when memory runs out (what was copied stays mapped in
 * new, for the caller to free). */
static int
copylevel(pagetable_t old, pagetable_t new, int level, uint64 base, uint64 sz, uint64 eager_va)
{
  uint64 span = 1UL << PXSHIFT(level);
  for (int i = 0; i < 512 && base + i * span < sz; i++) {
    uint64 va = base + i * span;
    if (!(old[i] & PTE_V))
      continue;
    if (!(new[i] & PTE_V)) {
      pagetable_t t = ptalloc();
      if (t == 0)
        return -1;
      new[i] = PA2PTE(t) | PTE_V;
    }
    pagetable_t o = (pagetable_t)PTE2PA(old[i]), n = (pagetable_t)PTE2PA(new[i]);
    int r = level == 1 ? fork_table(o, n, va, sz, eager_va)
                       : copylevel(o, n, level - 1, va, sz, eager_va);
    if (r != 0)
      return -1;
  }
  return 0;
}

/* Give a child page table the parent's user memory below sz: shared
 * copy-on-write, except the page at eager_va (the page of the parent's stack
 * pointer, or -1 for none), which the child gets a private copy of. Changes
 * the parent's PTEs and flushes this hart's TLB, where the parent runs.
 * Returns 0, or -1 when memory runs out (the caller frees new). */
int
uvmcopy(pagetable_t old, pagetable_t new, uint64 sz, uint64 eager_va)
{
  int r = copylevel(old, new, 2, 0, sz, eager_va);
  sfence_vma();
  return r;
}

/* Mark a page inaccessible to user mode (the stack guard page). */
void
uvmclear(pagetable_t pt, uint64 va)
{
  pte_t *pte = walk(pt, va, 0);
  if (pte == 0)
    panic("uvmclear: not mapped");
  *pte &= ~PTE_U;
}

/* Move len bytes between kernel buffer k and user address uva: to the user
 * for FAULT_WRITE, from the user for FAULT_READ. Each page is resolved by
 * vm_fault exactly as a user access would be (copy-on-write, zero-fill).
 * Returns 0, or -1 on a bad address or when no frame is left for a copy. */
static int
copy_user(pagetable_t pt, char *k, uint64 uva, uint64 len, int access)
{
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(uva), pa0;
    if (vm_fault(pt, va0, access, &pa0) != 0)
      return -1;
    uint64 n = PGSIZE - (uva - va0);
    if (n > len)
      n = len;
    char *u = (char *)(pa0 + (uva - va0));
    if (access == FAULT_WRITE)
      memmove(u, k, n);
    else
      memmove(k, u, n);
    len -= n;
    k += n;
    uva = va0 + PGSIZE;
  }
  return 0;
}

/* Copy len bytes from kernel src to user dstva. Returns 0 or -1. */
int
copyout(pagetable_t pt, uint64 dstva, char *src, uint64 len)
{
  return copy_user(pt, src, dstva, len, FAULT_WRITE);
}

/* Copy len bytes from user srcva to kernel dst. Returns 0 or -1. */
int
copyin(pagetable_t pt, char *dst, uint64 srcva, uint64 len)
{
  return copy_user(pt, dst, srcva, len, FAULT_READ);
}

/* Copy a NUL-terminated string of at most max bytes (NUL included) from user
 * srcva to dst. Returns 0, or -1 on a bad address or a string too long. */
int
copyinstr(pagetable_t pt, char *dst, uint64 srcva, uint64 max)
{
  while (max > 0) {
    uint64 va0 = PGROUNDDOWN(srcva), pa0;
    if (vm_fault(pt, va0, FAULT_READ, &pa0) != 0)
      return -1;
    uint64 n = PGSIZE - (srcva - va0);
    if (n > max)
      n = max;
    char *p = (char *)(pa0 + (srcva - va0));
    for (uint64 i = 0; i < n; i++) {
      dst[i] = p[i];
      if (p[i] == 0)
        return 0;
    }
    max -= n;
    dst += n;
    srcva = va0 + PGSIZE;
  }
  return -1;
}
