/* cow.c: copy-on-write and zero-fill, the one place that decides them.
 *
 * After fork, parent and child map the same frames. A page that was writable
 * loses PTE_W and gains PTE_COW in both page tables; a page that was never
 * writable (text, rodata) is shared as it is, and a store to it stays fatal.
 * Fresh memory (grown by sbrklazy, the tail of an ELF's bss) has no PTE
 * until it is touched (fresh_fault): a read maps the zero frame, read-only
 * with PTE_COW, so reading costs no frame; a write gets a zeroed frame.
 *
 * A store to a PTE_COW page faults, from user mode (usertrap) or from the
 * kernel (copyout): both end in vm_fault(), and cow_fault() decides:
 *
 *     frame is the zero frame      -> zero_fill: a new zeroed frame
 *     this PTE holds the last ref  -> cow_reuse: set W, clear COW, no copy
 *     others still map the frame   -> cow_copy:  new frame, copy 4 KiB,
 *                                     drop one reference on the old frame
 *
 *   before (Fig. 10.7)                  after process 1 writes C (Fig. 10.8)
 *   P1: A B C ---> frames a b c (ref 2)  P1: A B C' --> a b c'  (c' ref 1)
 *   P2: A B C ---> frames a b c          P2: A B C  --> a b c   (c  ref 1)
 *
 * Invariant (kalloc.c): a frame's count equals the number of PTEs, across all
 * page tables, that map it, plus the holds the kernel keeps. The zero frame
 * carries one permanent kernel hold, so it is never reused, only replaced.
 *
 * TLB: a fault changes one PTE of the current process's page table. The
 * process runs on this hart only, so flushing this hart's entry for va is
 * enough; any other hart that runs the process later flushes its whole TLB
 * on the way to user mode (trampoline.S). The flush comes before the old
 * frame's reference is dropped, so no stale entry can reach a reused frame.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/frame.h"

static uint64 zeroframe;
struct memcounts memcounts_global;

/* Count one event globally and in the current process, if any. */
#define COUNT(field)                                                                               \
  do {                                                                                             \
    __atomic_fetch_add(&memcounts_global.field, 1, __ATOMIC_RELAXED);                              \
    struct proc *p_ = myproc();                                                                    \
    if (p_)                                                                                        \
      p_->mc.field++;                                                                              \
  } while (0)

/* Allocate the zero frame. Boot hart, once, after frames_init. */
void
cowinit(void)
{
  zeroframe = (uint64)kalloc();
  if (zeroframe == 0)
    panic("cowinit: out of memory");
  memset((void *)zeroframe, 0, PGSIZE);
}

/* The shared, never-written frame of zeros. */
uint64
zero_frame(void)
{
  return zeroframe;
}

/* Replace the zero frame at *pte with a fresh zeroed frame of its own. */
static int
zero_fill(pte_t *pte, uint64 va)
{
  void *mem = kalloc();
  if (mem == 0)
    return FAULT_NOMEM;
  memset(mem, 0, PGSIZE);
  *pte = PA2PTE(mem) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  sfence_vma_va(va);
  kfree((void *)zeroframe);
  COUNT(zero_fills);
  return 0;
}

#if COW
/* The faulting process holds the only reference: make the page writable. */
static int
cow_reuse(pte_t *pte, uint64 va)
{
  *pte = (*pte | PTE_W) & ~PTE_COW;
  sfence_vma_va(va);
  COUNT(cow_reuses);
  return 0;
}

/* Others still map the frame: give this process a private copy. */
static int
cow_copy(pte_t *pte, uint64 va)
{
  uint64 old = PTE2PA(*pte);
  void *mem = kalloc();
  if (mem == 0)
    return FAULT_NOMEM;
  memmove(mem, (void *)old, PGSIZE);
  *pte = PA2PTE(mem) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  sfence_vma_va(va);
  kfree((void *)old);
  COUNT(cow_copies);
  return 0;
}

#endif

/* A store hit COW page va whose PTE is *pte: zero-fill, reuse, or copy. */
static int
cow_fault(pte_t *pte, uint64 va)
{
  uint64 pa = PTE2PA(*pte);

  COUNT(cow_faults);
  if (pa == zeroframe)
    return zero_fill(pte, va);
#if COW
  if (frame_refcount(pa) == 1)
    return cow_reuse(pte, va);
  return cow_copy(pte, va);
#else
  return FAULT_BAD;
#endif
}

/* User page va of pt has no PTE. If it lies below the current process's
 * end (memory grown by sbrklazy, or the bss of its program), it is fresh
 * memory: a read maps the zero frame copy-on-write, a write a zeroed frame
 * of its own. Otherwise the access is bad. */
static int
fresh_fault(pagetable_t pt, uint64 va, int access)
{
  struct proc *p = myproc();
  if (p == 0 || pt != p->pagetable || va >= p->sz)
    return FAULT_BAD;

  uint64 pa = zeroframe;
  int perm = PTE_R | PTE_U | PTE_COW;
  if (access == FAULT_WRITE) {
    if ((pa = (uint64)kalloc()) == 0)
      return FAULT_NOMEM;
    memset((void *)pa, 0, PGSIZE);
    perm = PTE_R | PTE_W | PTE_U;
  } else {
    frame_ref(pa);
  }
  if (mappages(pt, va, PGSIZE, pa, perm) != 0) {
    kfree((void *)pa);
    return FAULT_NOMEM;
  }
  sfence_vma_va(va);
  if (access == FAULT_WRITE)
    COUNT(zero_fills);
  return 0;
}

/* Make user page va of pt usable for access (FAULT_READ or FAULT_WRITE),
 * resolving copy-on-write and zero-fill, and store its frame in *pa if pa is
 * not 0. The one path for user faults (usertrap) and the kernel's own
 * accesses (copyin, copyout, copyinstr). Returns 0, FAULT_BAD if the access
 * is not allowed, or FAULT_NOMEM if no frame was left for a copy. */
int
vm_fault(pagetable_t pt, uint64 va, int access, uint64 *pa)
{
  if (va >= MAXVA)
    return FAULT_BAD;
  va = PGROUNDDOWN(va);
  pte_t *pte = walk(pt, va, 0);
  if (pte == 0 || !(*pte & PTE_V)) {
    int r = fresh_fault(pt, va, access);
    if (r != 0)
      return r;
    pte = walk(pt, va, 0);
  }
  if ((*pte & (PTE_V | PTE_U | PTE_R)) != (PTE_V | PTE_U | PTE_R))
    return FAULT_BAD;
  if (access == FAULT_WRITE && !(*pte & PTE_W)) {
    if (!(*pte & PTE_COW))
      return FAULT_BAD;
    int r = cow_fault(pte, va);
    if (r != 0)
      return r;
  }
  if (pa)
    *pa = PTE2PA(*pte);
  return 0;
}

/* Give the child's PTE *child the parent's page *parent at fork: a private
 * copy of the frame. Returns 0, or -1 when memory runs out. */
static int
fork_copy(pte_t *parent, pte_t *child)
{
  void *mem = kalloc();
  if (mem == 0)
    return -1;
  memmove(mem, (void *)PTE2PA(*parent), PGSIZE);
  uint64 flags = PTE_FLAGS(*parent);
  if (flags & PTE_COW)
    flags = (flags | PTE_W) & ~PTE_COW;
  *child = PA2PTE(mem) | flags;
  return 0;
}

/* Give the child's PTE *child the parent's page *parent at fork. A
 * writable page becomes read-only + PTE_COW in both and its frame gains a
 * reference; a read-only page is shared as it is. eager asks for a private
 * copy of a writable page instead (the page of the stack pointer). Pages of
 * the zero frame are always shared. Returns 0, or -1 when memory runs out. */
static int
fork_page(pte_t *parent, pte_t *child, int eager)
{
  uint64 pa = PTE2PA(*parent);

  if (pa == zeroframe) {
    frame_ref(pa);
    *child = *parent;
    return 0;
  }
#if COW
  if (eager && (*parent & (PTE_W | PTE_COW)))
    return fork_copy(parent, child);
  if (*parent & PTE_W)
    *parent = (*parent & ~PTE_W) | PTE_COW;
  frame_ref(pa);
  *child = *parent;
  return 0;
#else
  (void)eager;
  return fork_copy(parent, child);
#endif
}

/* Give child leaf table new the pages of parent leaf table old that lie
 * below sz; base is the address old's first entry maps, eager_va the page
 * the child gets a private copy of. This loop runs once per resident page
 * of every fork, so the common case (a frame of the process's own) is
 * inline; the zero frame, the eager page and the eager-copy kernel go
 * through fork_page. Returns 0, or -1 when memory runs out. */
int
fork_table(pagetable_t old, pagetable_t new, uint64 base, uint64 sz, uint64 eager_va)
{
  uint64 n = (sz - base + PGSIZE - 1) / PGSIZE, shared = 0;
  uint64 eager = (eager_va - base) / PGSIZE; /* >= 512 when not in this table */
  int r = 0;
#if COW
  pte_t zeropte = PA2PTE(zeroframe);
  uint32 *refs = frame_refs;
  uint64 basepfn = frame_base >> PGSHIFT;
#endif

  if (n > 512)
    n = 512;
  for (uint64 i = 0; i < n; i++) {
    pte_t pte = old[i];
    if (!(pte & PTE_V))
      continue;
#if COW
    if (i != eager && (pte & ~0x3FFUL) != zeropte) {
      if (pte & PTE_W) {
        pte = (pte & ~PTE_W) | PTE_COW;
        old[i] = pte;
      }
      frame_ref_pte(refs, basepfn, pte);
      new[i] = pte;
      shared++;
      continue;
    }
#endif
    if ((r = fork_page(&old[i], &new[i], i == eager)) != 0)
      break;
  }
  __atomic_fetch_add(&memcounts_global.shared, shared, __ATOMIC_RELAXED);
  myproc()->mc.shared += shared;
  return r;
}
