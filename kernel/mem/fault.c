/* fault.c: the fault path of an address space: what a user page fault or a
 * kernel access to user memory (uaccess.c) makes of a page. The region
 * says whether the access is allowed; the page decision is cow.c's; a page
 * of a file comes from the pager (pager.h), and a swapped page from the
 * swap cache (swap.h), each read with the address space's lock released.
 * When memory is full, page replacement (evict.h) makes room and the fault
 * tries again. Every function here takes the address space it works on.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/aspace_impl.h"
#include "kernel/mem/cow.h"
#include "kernel/mem/frame.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/pager.h"
#include "kernel/mem/swap.h"
#include "kernel/mem/evict.h"

/* resolve's answers when a page must be read first: of a file, or from
 * swap. */
#define FAULT_LOAD 2
#define FAULT_SWAP 3

/* A page to be read before a fault can finish: of a file-backed region, or
 * a swapped one. */
struct load {
  struct inode *ip;
  uint64 idx;    /* page index in the file */
  pte_t swapped; /* FAULT_SWAP: the swapped PTE */
};

/* Does region r (0: none) allow access? */
static int
region_allows(struct region *r, enum access access)
{
  return r != 0 && (r->prot & PTE_R) && (access != ACCESS_WRITE || (r->prot & PTE_W)) &&
         (access != ACCESS_EXEC || (r->prot & PTE_X));
}

/* Make user page va usable for access, resolving zero-fill and
 * copy-on-write, and return its PTE in *ptep. Returns FAULT_OK, FAULT_BAD,
 * a FAULT_NOMEM_ result, FAULT_AGAIN, or FAULT_LOAD or FAULT_SWAP with *ld
 * naming the page to read first (which needs the lock released). Caller
 * holds the lock. Each decision is one call into cow.c.
 *
 * Every user PTE lies in a region whose protection allows what the PTE
 * allows (PTE_W or PTE_COW only in a writable region): regions and PTEs
 * are cut together. So a page that has a PTE is judged by the PTE alone,
 * and the region list is searched only for a page that has none (and for a
 * store to a shared file page, which its region must allow). */
static int
resolve(struct aspace *as, uint64 va, enum access access, pte_t **ptep, struct load *ld)
{
  va = PGROUNDDOWN(va);
  if (va >= USER_TOP)
    return FAULT_BAD;
  pte_t *pte = walk(as->pt, va);
  if (pte && pte_swapped(*pte)) {
    if (!region_allows(region_at(as, va), access))
      return FAULT_BAD;
    ld->swapped = *pte;
    return FAULT_SWAP;
  }
  if (pte == 0 || !(*pte & PTE_V)) {
    struct region *r = region_at(as, va);
    if (!region_allows(r, access))
      return FAULT_BAD;
    if (r->ip) {
      ld->ip = r->ip;
      ld->idx = (r->off + (va - r->start)) / PGSIZE;
      return FAULT_LOAD;
    }
    if (!region_zero_fills(r->kind))
      return FAULT_BAD;
    int err = page_fresh(as->pt, va, access, &pte, &as->counts);
    if (err != FAULT_OK)
      return err;
  }
  if ((*pte & (PTE_V | PTE_U | PTE_R)) != (PTE_V | PTE_U | PTE_R) ||
      (access == ACCESS_EXEC && !(*pte & PTE_X)))
    return FAULT_BAD;
  if (access == ACCESS_WRITE && !(*pte & PTE_W)) {
    if (*pte & PTE_SHARED)
      return region_allows(region_at(as, va), ACCESS_WRITE)
                 ? shared_fault(as->pt, va, ptep, &as->counts)
                 : FAULT_BAD;
    return cow_fault(as->pt, va, *pte, ptep, &as->counts);
  }
  *ptep = pte;
  return FAULT_OK;
}

/* Map frame pa, page ld of a file, at va for access, unless the fault was
 * resolved meanwhile. The reference on pa is the caller's; it becomes the
 * PTE's or is dropped. Caller holds the lock. */
static int
map_loaded(struct aspace *as, uint64 va, enum access access, uint64 pa)
{
  pte_t *pte = walk(as->pt, va);
  struct region *r = region_at(as, va);
  if ((pte && *pte != 0) || r == 0 || r->ip == 0) {
    frame_unref(pa); /* resolved meanwhile */
    return FAULT_OK;
  }
  int err = page_file(as->pt, va, pa, r->prot, r->shared, access == ACCESS_WRITE,
                      (r->prot & PTE_W) != 0, &as->counts);
  if (err != FAULT_OK)
    frame_unref(pa);
  return err;
}

/* A program region (exec's text or data) at most this long comes in whole
 * at its first fault ("fault-around"): a small program then holds the same
 * frames all its life, as it did before demand paging (programs that count
 * free memory at start and at end, like xv6's usertests, see no change),
 * while a large program still pays only for the pages it touches. */
#define FAULT_AROUND (32 * PGSIZE)

/* Read page ld of a file with the lock released and map it at va. Returns
 * 0 or a fault error. Caller holds the lock; it is held again on return. */
static int
load_page(struct aspace *as, uint64 va, enum access access, struct load *ld)
{
  release(&as->lock); /* the operation stays open: see the top of the file */
  uint64 pa = 0;
  int wait = !intr_get();
  int err = !wait && as->noload == 0 ? as_pager->get(ld->ip, ld->idx, &pa) : PAGER_BEYOND;
  acquire(&as->lock);
  if (wait)
    return FAULT_WAIT;
  if (err != 0)
    return err == PAGER_NOMEM ? FAULT_NOMEM_FILE : FAULT_BAD;
  return map_loaded(as, va, access, pa);
}

/* Map every page of the small program region holding va that has no PTE
 * yet (FAULT_AROUND). Failures are left for the pages' own faults. Caller
 * holds the lock. */
static void
fault_around(struct aspace *as, uint64 va)
{
  struct region *r = region_at(as, va);
  if (r == 0 || !region_is_program(r) || r->end - r->start > FAULT_AROUND)
    return;
  uint64 start = r->start, end = r->end;
  for (uint64 a = start; a < end; a += PGSIZE) {
    pte_t *pte = walk(as->pt, a);
    r = region_at(as, a);
    if ((pte && *pte != 0) || r == 0 || r->ip == 0)
      continue;
    struct load ld = {r->ip, (r->off + (a - r->start)) / PGSIZE};
    if (load_page(as, a, ACCESS_READ, &ld) != 0)
      return;
  }
}

/* Bring swapped page va back (ld->swapped is its PTE): from the swap
 * cache, or read from the disk with the lock released, which only a caller
 * holding no other spinlock may wait for (interrupts on). Returns 0 (the
 * caller resolves again) or a fault error. Caller holds the lock; it is
 * held again on return. */
static int
swap_page(struct aspace *as, uint64 va, struct load *ld)
{
  uint64 slot = pte_slot(ld->swapped), pa = 0;
  slot_ref(slot); /* the slot stays while the lock is released */
  release(&as->lock);
  int r = !intr_get() ? FAULT_WAIT : swap_in(slot, &pa) == 0 ? FAULT_OK : FAULT_NOMEM_SWAP;
  acquire(&as->lock);
  if (r == FAULT_OK) {
    pte_t *pte = walk(as->pt, va);
    r = pte && *pte == ld->swapped ? page_back(as->pt, va, ld->swapped, pa, &as->counts)
                                   : FAULT_AGAIN;
    if (r != FAULT_OK)
      frame_unref(pa); /* changed meanwhile (resolve again), or no table */
  }
  slot_unref(slot);
  return r == FAULT_AGAIN ? 0 : r;
}

/* resolve, reading file pages and swapped pages as needed: the lock is
 * released while they are read, which only a caller holding no other
 * spinlock may wait for (interrupts on). Returns as resolve does, never
 * FAULT_LOAD, FAULT_SWAP or FAULT_AGAIN; the lock is held again on
 * return. */
int
fault_locked(struct aspace *as, uint64 va, enum access access, pte_t **ptep)
{
  for (;;) {
    struct load ld = {0, 0, 0};
    int r = resolve(as, va, access, ptep, &ld);
    if (r == FAULT_AGAIN)
      continue;
    if (r == FAULT_SWAP) {
      if ((r = swap_page(as, PGROUNDDOWN(va), &ld)) != 0)
        return r;
      continue;
    }
    if (r != FAULT_LOAD)
      return r;
    if ((r = load_page(as, PGROUNDDOWN(va), access, &ld)) != 0)
      return r;
    fault_around(as, va);
  }
}

/* Is page va of as a heap page in a frame of its own? (What a limit on
 * the resident heap counts: rset_admit.) Caller holds the lock. */
static int
heap_resident(struct aspace *as, uint64 va)
{
  struct region *r = region_at(as, va);
  pte_t *pte = walk(as->pt, va);
  return r && r->kind == REGION_HEAP && pte && (*pte & PTE_V) && PTE2PA(*pte) != zero_frame();
}

/* fault_locked in a space that limits its resident heap: if the fault
 * brought a heap page in, the policy may send another out (rset_admit).
 * Caller holds the lock and an open operation; both are over on return. */
static int
fault_limited(struct aspace *as, uint64 va, enum access access)
{
  pte_t *pte;
  uint64 out = 0;
  va = PGROUNDDOWN(va);
  int was = heap_resident(as, va);
  int r = fault_locked(as, va, access, &pte);
  if (r == FAULT_OK && !was && heap_resident(as, va))
    out = rset_admit(as, va);
  release(&as->lock);
  if (out)
    frame_unref(out); /* the victim's PTE held it; the swap cache holds it now */
  frame_op_end();
  if (out)
    swap_writeout(out);
  return r;
}

/* A user-mode page fault at va. When memory runs out, page replacement
 * frees some (mem_reclaim, and mem_write_back, which this caller may do:
 * it holds no lock) and the fault tries again. If as limits its resident
 * heap (evict.c) and the fault brought a heap page in, the policy may
 * send another out. Returns FAULT_OK if the access may now go ahead,
 * FAULT_BAD, or a FAULT_NOMEM_ result: memory (and swap) is full. */
int
vm_fault(struct aspace *as, uint64 va, enum access access)
{
  for (;;) {
    pte_t *pte;
    int r;
    as_op_begin(as);
    if (as->rset) {
      r = fault_limited(as, va, access);
    } else {
      r = fault_locked(as, va, access, &pte);
      as_op_end(as);
    }
    if (!fault_nomem(r) || mem_reclaim(RECLAIM_BATCH) + mem_write_back() == 0)
      return r;
  }
}

/* What a fault result means, for the message that kills a process. */
const char *
fault_why(int r)
{
  switch (r) {
  case FAULT_OK: return "no fault";
  case FAULT_BAD: return "the access is not allowed";
  case FAULT_NOMEM_ZERO: return "out of memory for a page of zeros";
  case FAULT_NOMEM_COPY: return "out of memory for a copy-on-write copy";
  case FAULT_NOMEM_TABLE: return "out of memory for a page table";
  case FAULT_NOMEM_FILE: return "out of memory for a page of a file";
  case FAULT_NOMEM_SWAP: return "out of memory for a page coming back from swap";
  case FAULT_WAIT: return "the page must be read, under a lock";
  }
  return "unknown fault result";
}
