/* cow.c: what a fault or a fork does to one page or one leaf page table:
 * zero-fill, copy-on-write, file pages, and the pages fork gives the child.
 * One layer above page tables (pagetable.c) and frames (kalloc.c), one
 * below address spaces (aspace.c), which find the region, check the
 * access, hold the address space's lock and then call in here. Nothing here
 * looks at a process or at regions.
 */
/* After fork, parent and child map the same frames. A page that was writable
 * loses PTE_W and gains PTE_COW in both page tables; a page that was never
 * writable (text, rodata) is shared as it is, and a store to it stays fatal.
 * Fresh memory (a bss or heap page never touched) has no PTE until it is
 * touched (page_fresh): a read maps the zero frame, read-only with PTE_COW,
 * so reading costs no frame; a write gets a zeroed frame.
 *
 * A store to a PTE_COW page faults, from user mode (usertrap, through
 * vm_fault) or from the kernel (copyout, through copy_user): both reach
 * resolve in fault.c, which calls cow_fault once, and cow_fault decides:
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
 * Invariant (frame.h): a frame's count equals the number of leaf PTEs that
 * map it, a shared leaf table's PTEs counted once (see below), plus the
 * holds the kernel keeps. The zero frame carries one permanent kernel hold,
 * so it is never reused, only replaced. memcheck (memcheck.c) checks this on a
 * live system. The reuse test is an acquire (frame_is_last, frame.h rule
 * 3): the other sharers' last reads of the frame come before this process
 * writes it in place.
 *
 * Shared page tables (On-Demand-Fork, EuroSys 2021). Sharing pages makes
 * fork cost a few instructions per resident page; sharing the leaf tables
 * that map them (512 PTEs, 2 MiB each) makes it cost a few per table. With
 * table sharing on (cowctl, on by default), fork points the child's level-1
 * PTEs at the parent's leaf tables and adds one to each table's count (the
 * number of level-1 PTEs that point at it); no frame count changes.
 *
 *   parent root -> L1 ---+                      frames: count = leaf tables
 *                        +--> leaf T (count 2) --> a b c   (count 1 each)
 *   child  root -> L1 ---+
 *
 *   after the child stores to c: unshare T, then the page decision
 *   parent root -> L1 ----> leaf T  (count 1) --> a b c    (a, b count 2;
 *   child  root -> L1 ----> leaf T' (count 1) --> a b c'    c count 1)
 *
 * The RISC-V wrinkle: a non-leaf PTE carries no permissions, so a table
 * cannot be write-protected from above (x86 can, with W at every level).
 * Hence the rule: a shared leaf table maps no private page writable. The
 * first time fork shares a table it makes its writable private pages
 * copy-on-write in place (write_protect: one store per such PTE) and marks
 * the parent's level-1 PTE PTE_CLEAN; a table still marked is shared again
 * for the cost of one count. Pages of shared file mappings (PTE_SHARED)
 * stay writable: every sharer may write them. Any change to a PTE goes
 * through pt_own, which demands a private table and clears the mark
 * (pagetable.c); memcheck checks the rule.
 *
 * A table is never changed while shared (page replacement aside: it takes
 * pages out of shared tables in place, evict.c): whoever changes a PTE in
 * it (a store fault from user mode or from copyout, a zero-fill, a file
 * page mapped, a swapped page brought back, sbrk, munmap) first unshares it (leaf_own, pagetable.c's
 * pt_own; each function here that changes a fault's PTE calls it first): a
 * new table, a copy of the 512 PTEs, one more count on each
 * frame they map, the old table's count down by one, this space's level-1
 * PTE switched and its TLB flushed. Then the page decision runs as above,
 * on a table that is this process's own. Out of memory there kills the
 * process and leaves the shared table as it was. exit and exec drop one
 * count per table; only a table's last holder drops its frames' counts.
 *
 * Not shared: the table holding the trapframe (each space maps its own) and
 * the one holding the stack-page shortcut (the child's copy of the stack
 * page must sit in a table of its own); those, and every table when table
 * sharing is off, are filled page by page (fork_table) as the textbook
 * draws it. A small program has all its pages in that one first table, so
 * for it nothing changes.
 *
 * TLB: a fault changes one PTE of the faulting address space, which runs on
 * this hart only (a vfork parent sleeps while its child borrows the space),
 * so flushing this hart's entry for va is enough (page replacement, which
 * changes other spaces' PTEs, flushes every hart's: evict.c); any other hart that runs
 * the space later flushes its whole TLB on the way to user mode
 * (trampoline.S). The flush comes before the old frame's reference is
 * dropped, so no stale entry can reach a reused frame. Unsharing a table
 * changes a level-1 PTE, which a fence for one address does not cover (it
 * orders leaf PTEs only), so unsharing flushes this hart's whole TLB.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/cow.h"
#include "kernel/mem/frame.h"
#include "kernel/memstat.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/swap.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"

struct memstat memstat_global;

/* Count one event globally and in the address space's counters mc (which
 * its lock guards). */
#define COUNT(mc, field)                                                                           \
  do {                                                                                             \
    __atomic_fetch_add(&memstat_global.field, 1, __ATOMIC_RELAXED);                                \
    (mc)->field++;                                                                                 \
  } while (0)

static uint64 zeroframe;

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
zero_fill(pte_t *pte, uint64 va, struct memstat *mc)
{
  void *mem = kalloc_user();
  if (mem == 0)
    return FAULT_NOMEM_ZERO;
  memset(mem, 0, PGSIZE);
  *pte = PA2PTE(mem) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  sfence_vma_va(va);
  frame_unref(zeroframe);
  COUNT(mc, zero_fills);
  return 0;
}

/* The faulting process holds the only reference: make the page writable. */
static int
cow_reuse(pte_t *pte, uint64 va, struct memstat *mc)
{
  *pte = (*pte | PTE_W) & ~PTE_COW;
  sfence_vma_va(va);
  COUNT(mc, cow_reuses);
  return 0;
}

/* Others still map the frame: give this process a private copy. */
static int
cow_copy(pte_t *pte, uint64 va, struct memstat *mc)
{
  uint64 old = PTE2PA(*pte);
  void *mem = kalloc_user();
  if (mem == 0)
    return FAULT_NOMEM_COPY;
  memmove(mem, (void *)old, PGSIZE);
  *pte = PA2PTE(mem) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  sfence_vma_va(va);
  frame_unref(old);
  COUNT(mc, cow_copies);
  return 0;
}

/* The copy-on-write fault: a store hit page va of pt, whose PTE, found is
 * its value as the fault found it, is valid, user, readable and not
 * writable. Decide: zero-fill, reuse or copy; count the event in mc; the
 * PTE, writable now, goes to *ptep. Returns FAULT_OK, FAULT_BAD if the
 * page is not copy-on-write (read-only for good: no table is copied for a
 * doomed store), or a FAULT_NOMEM_ result. */
int
cow_fault(pagetable_t pt, uint64 va, pte_t found, pte_t **ptep, struct memstat *mc)
{
  if (!(found & PTE_COW))
    return FAULT_BAD;
  pte_t *pte = leaf_own(pt, va, mc); /* the table may move */
  if (pte == 0)
    return FAULT_NOMEM_TABLE;
  if (*pte != found)
    return FAULT_AGAIN; /* page replacement took it from the shared table meanwhile */
  *ptep = pte;
  uint64 pa = PTE2PA(*pte);
  COUNT(mc, cow_faults);
  if (pa == zeroframe)
    return zero_fill(pte, va, mc);
  if (frame_is_last(pa))
    return cow_reuse(pte, va, mc);
  return cow_copy(pte, va, mc);
}

/* A store hit page va of pt, a page of a shared file mapping that its
 * region lets it write, mapped read-only so far: let it write (the frame is
 * the page cache's; nothing is copied). The PTE goes to *ptep. Returns
 * FAULT_OK or FAULT_NOMEM_TABLE. */
int
shared_fault(pagetable_t pt, uint64 va, pte_t **ptep, struct memstat *mc)
{
  pte_t *pte = leaf_own(pt, va, mc);
  if (pte == 0)
    return FAULT_NOMEM_TABLE;
  if (!(*pte & PTE_V))
    return FAULT_AGAIN; /* page replacement took it from the shared table meanwhile */
  *pte |= PTE_W;
  sfence_vma_va(va);
  *ptep = pte;
  return FAULT_OK;
}

/* Map frame pa, a page of a file that the caller holds a reference on, at
 * page va of pt, which has no PTE: for a shared mapping (shared) with
 * PTE_SHARED, writable if write; for a private one read-only, and
 * copy-on-write if cow. The caller's reference becomes the PTE's. Counts a
 * file map in mc. Returns FAULT_OK, or FAULT_NOMEM_TABLE (the reference
 * stays the caller's). */
int
page_file(pagetable_t pt, uint64 va, uint64 pa, int prot, int shared, int write, int cow,
          struct memstat *mc)
{
  pte_t *pte = leaf_own(pt, va, mc);
  if (pte == 0)
    return FAULT_NOMEM_TABLE;
  if (*pte != 0)
    panic("page_file: page mapped already");
  int perm = (prot & (PTE_R | PTE_X)) | PTE_U;
  if (shared) {
    perm |= PTE_SHARED | (write ? PTE_W : 0);
  } else if (cow) {
    perm |= PTE_COW;
  }
  *pte = PA2PTE(pa) | perm | PTE_V;
  sfence_vma_va(va);
  COUNT(mc, file_maps);
  return FAULT_OK;
}

/* Page va of pt, which has no PTE, is fresh memory (in a zero-filled
 * region, never touched), and access touches it: map zeros. The PTE goes
 * to *ptep. Returns FAULT_OK or a FAULT_NOMEM_ result. */
int
page_fresh(pagetable_t pt, uint64 va, enum access access, pte_t **ptep, struct memstat *mc)
{
  pte_t *pte = leaf_own(pt, va, mc);
  if (pte == 0)
    return FAULT_NOMEM_TABLE;
  if (*pte != 0)
    panic("page_fresh: page mapped already");
  if (access != ACCESS_WRITE) {
    frame_ref(zeroframe);
    *pte = PA2PTE(zeroframe) | PTE_R | PTE_U | PTE_COW | PTE_V;
    sfence_vma_va(va);
    *ptep = pte;
    return FAULT_OK;
  }
  void *mem = kalloc_user();
  if (mem == 0)
    return FAULT_NOMEM_ZERO;
  memset(mem, 0, PGSIZE);
  *pte = PA2PTE(mem) | PTE_R | PTE_W | PTE_U | PTE_V;
  sfence_vma_va(va);
  COUNT(mc, zero_fills);
  *ptep = pte;
  return FAULT_OK;
}

/* Page va of pt, whose PTE is swapped PTE s, comes back in frame pa (from
 * swap_in, with a reference that becomes the PTE's): read-only, and
 * copy-on-write if it was writable, so that a store decides as any other
 * (cow_fault: reuse if nobody else holds the frame, else copy). The PTE's
 * count on the slot is dropped. Returns FAULT_OK, FAULT_AGAIN if the PTE
 * is no longer s (the reference stays the caller's then), or
 * FAULT_NOMEM_TABLE. */
int
page_back(pagetable_t pt, uint64 va, pte_t s, uint64 pa, struct memstat *mc)
{
  pte_t *pte = leaf_own(pt, va, mc);
  if (pte == 0)
    return FAULT_NOMEM_TABLE;
  if (*pte != s)
    return FAULT_AGAIN;
  *pte = swap_pte_back(pa, s);
  sfence_vma_va(va);
  slot_unref(pte_slot(s));
  COUNT(mc, pageins);
  return FAULT_OK;
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

/* Give the child's PTE *child a private copy of the parent's page *parent
 * at fork (the stack page of the shortcut), except for what is shared as it
 * is: the zero frame, a shared file page and a read-only page. Returns 0,
 * or -1 when memory runs out. */
static int
fork_private(pte_t *parent, pte_t *child)
{
  if (pte_swapped(*parent)) { /* it comes back copy-on-write (swap.h) */
    slot_ref(pte_slot(*parent));
    *child = *parent;
    return 0;
  }
  uint64 pa = PTE2PA(*parent);
  if (pa != zeroframe && !(*parent & PTE_SHARED) && (*parent & (PTE_W | PTE_COW)))
    return fork_copy(parent, child);
  frame_ref(pa);
  *child = *parent;
  return 0;
}

/* Share page i of parent leaf table old, whose PTE is pte, with child leaf
 * table new, if it is mapped: a writable private page becomes
 * copy-on-write in both, and the frame gains a reference (the zero frame's
 * too: its PTEs are read-only already); a swapped page's slot gains a
 * count (it is never writable: swap.h). writable_private says the caller
 * knows pte to be valid, writable and private. Returns 1 if the page was
 * mapped, else 0. */
static inline int
share_page(pagetable_t old, pagetable_t new, uint64 i, pte_t pte, int writable_private,
           uint32 *bypfn)
{
  if (!writable_private && !(pte & PTE_V)) {
    if (pte == 0)
      return 0;
    slot_ref(pte_slot(pte));
    new[i] = pte;
    return 1;
  }
  if (writable_private || (pte & (PTE_W | PTE_SHARED)) == PTE_W) { /* shared files stay writable */
    pte ^= PTE_W | PTE_COW;
    old[i] = pte;
  }
  frame_ref_pte(bypfn, pte);
  new[i] = pte;
  return 1;
}

/* Share pages [from, to) of parent leaf table old with child leaf table new
 * (share_page). This runs once per resident page of a fork that does not
 * share the table, so it is written for speed, like write_protect: when no
 * PTE can be PTE_SHARED (private_only) and one AND of eight PTEs shows them
 * all writable, they are shared without a test each, and when one OR shows
 * them all empty, they are skipped. Returns the pages shared. */
static uint64
share_pages(pagetable_t old, pagetable_t new, uint64 from, uint64 to, int private_only,
            uint32 *bypfn)
{
  uint64 shared = 0, i = from;
  for (; private_only && i + 8 <= to; i += 8) {
    pte_t v[8], all = ~0UL, any = 0;
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
      all &= v[k] = old[i + k];
      any |= v[k];
    }
    if (any == 0) /* eight empty PTEs: the stack's room to grow, a sparse heap */
      continue;
    if (all & PTE_W) {
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++)
        shared += share_page(old, new, i + k, v[k], 1, bypfn);
    } else {
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++)
        shared += share_page(old, new, i + k, v[k], 0, bypfn);
    }
  }
  for (; i < to; i++)
    shared += share_page(old, new, i, old[i], 0, bypfn);
  return shared;
}

/* How many PTEs of a leaf table whose first entry maps base map pages below
 * end: the ones that may be valid when nothing is mapped from end up. */
static uint64
ptes_below(uint64 base, uint64 end)
{
  uint64 n = (end - base + PGSIZE - 1) / PGSIZE;
  return n < 512 ? n : 512;
}

/* Give child leaf table new the pages of parent leaf table old among its
 * first n PTEs, page by page; base is the address old's first entry maps,
 * shortcut_va the page the child gets a private copy of (the stack-page
 * shortcut), private_only says no PTE is PTE_SHARED, and mc holds the
 * parent's counters. Returns 0, or -1 when memory runs out. */
static int
fork_table(pagetable_t old, pagetable_t new, uint64 base, uint64 n, uint64 shortcut_va,
           int private_only, struct memstat *mc)
{
  uint64 shared = 0;
  uint64 shortcut = (shortcut_va - base) / PGSIZE; /* >= 512 when not in this table */
  int r = 0;

  uint32 *bypfn = frame_counts_by_pfn();
  uint64 cut = shortcut < n ? shortcut : n;
  shared = share_pages(old, new, 0, cut, private_only, bypfn);
  if (cut < n && old[cut] != 0)
    r = fork_private(&old[cut], &new[cut]);
  if (cut < n)
    shared += share_pages(old, new, cut + 1, n, private_only, bypfn);
  __atomic_fetch_add(&memstat_global.shared, shared, __ATOMIC_RELAXED);
  mc->shared += shared;
  return r;
}

/* Make every private writable page of leaf table t copy-on-write, in place:
 * one store per such PTE; only its first n PTEs may be valid. This runs
 * once per resident page of a fork that shares a table for the first time,
 * so it is written for speed. When no PTE can be PTE_SHARED (private_only),
 * it takes the PTEs sixteen at a time for as long as one AND of the sixteen
 * shows them all writable (the usual case: a heap written since the last
 * fork); each then costs a load, an AND, an XOR and a store, with no
 * branch. From the first group that is not all writable on, each PTE is
 * judged on its own. */
static void
write_protect(pagetable_t t, uint64 n, int private_only)
{
  pte_t *p = t, *groups_end = t + (n & ~15UL);
  for (; private_only && p < groups_end; p += 16) {
    pte_t v[16], all = ~0UL;
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
      all &= v[i] = p[i];
    if (!(all & PTE_W))
      break;
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
      p[i] = v[i] ^ (PTE_W | PTE_COW);
  }
#pragma GCC unroll 8
  for (; p < t + n; p++)
    if ((*p & (PTE_W | PTE_SHARED)) == PTE_W)
      *p ^= PTE_W | PTE_COW;
}

/* Share the leaf table the parent's level-1 PTE *pl1 points at (its first
 * entry maps base; nothing is mapped from end up) with the child, whose
 * level-1 PTE *cl1 is empty. A table not marked PTE_CLEAN is
 * write-protected first and marked; a clean one costs one count. */
static void
fork_share(pte_t *pl1, pte_t *cl1, uint64 base, uint64 end, int private_only, struct memstat *mc)
{
  if (!(*pl1 & PTE_CLEAN)) {
    write_protect((pagetable_t)PTE2PA(*pl1), ptes_below(base, end), private_only);
    *pl1 |= PTE_CLEAN;
  }
  pt_share_leaf(pl1, cl1);
  COUNT(mc, tables_shared);
}

/* Give the child the user pages below end of the parent's leaf table, at
 * parent level-1 PTE *pl1 (mapping from base), at the child's level-1 PTE
 * *cl1: the table itself, shared, if flags has LEAF_SHARE (the table holds
 * no page the child must not share: the shortcut page, the trapframe);
 * else a table of the child's own, filled page by page (fork_table).
 * LEAF_PRIVATE says no PTE is PTE_SHARED. Returns 0, or -1 when memory runs
 * out (what was given stays in the child, for the caller to destroy). */
int
fork_leaf(pte_t *pl1, pte_t *cl1, uint64 base, uint64 end, uint64 shortcut_va, int flags,
          struct memstat *mc)
{
  if ((flags & LEAF_SHARE) && !(*cl1 & PTE_V)) {
    fork_share(pl1, cl1, base, end, flags & LEAF_PRIVATE, mc);
    return 0;
  }
  if (!(*cl1 & PTE_V)) {
    pagetable_t t = pt_create();
    if (t == 0)
      return -1;
    *cl1 = PA2PTE(t) | PTE_V;
  }
  return fork_table((pagetable_t)PTE2PA(*pl1), (pagetable_t)PTE2PA(*cl1), base,
                    ptes_below(base, end), shortcut_va, flags & LEAF_PRIVATE, mc);
}

/* The PTE of page va in pt, about to change: in a leaf table of pt's own
 * (pt_own, pagetable.c), a copy of a shared one counted in mc. Returns 0
 * when memory runs out. */
pte_t *
leaf_own(pagetable_t pt, uint64 va, struct memstat *mc)
{
  int copied = 0;
  pte_t *pte = pt_own(pt, va, &copied);
  if (copied)
    COUNT(mc, table_unshares);
  return pte;
}
