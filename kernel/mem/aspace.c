/* aspace.c: address spaces: the page table, the regions, the break and the
 * counters of a user program, and every way in to them (aspace.h says who
 * calls what and which lock guards what).
 *
 * Regions say what an address is. A fault, or a kernel access through
 * copyin/copyout/copyinstr, at an address in no region, or with an access
 * its region does not allow, is bad: the process is killed or the system call
 * fails. Inside a region the page decides (cow.c): fresh pages of a
 * zero-filled kind (bss, heap) are filled on first touch (page_fresh), a
 * store to a read-only page goes to page_write.
 *
 *   USER_TOP (TRAPFRAME)  trapframe, trampoline (not regions: kernel-only)
 *   ...                   heap, grown by sbrk up to USER_TOP
 *   stack top             stack (USERSTACK pages), guard page below it
 *   ...                   bss, data, text: one region per part of each ELF
 *   0                     segment; gaps between segments are in no region
 *
 * Address spaces come from a fixed pool (two per process: exec builds the
 * new one before it drops the old) so that memcheck can walk them all. A
 * vfork child runs in its parent's address space, with the TRAPFRAME PTE
 * switched to its own trapframe until it execs or exits; the parent sleeps
 * meanwhile, so one address space never runs on two harts at once.
 *
 * memcheck needs a moment when no address space is half-changed: as_lock and
 * as_unlock begin and end an operation on the counts (frame.h), and memcheck
 * believes a walk only if no operation was under way or began while it
 * walked. A fault that reads a file page keeps its operation open while the
 * lock is released for the read, since the reference it got from the page
 * cache is in its hands and in no PTE yet.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/cow.h"
#include "kernel/mem/frame.h"
#include "kernel/memstat.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/pager.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"

#define NASPACE (2 * NPROC)

static struct aspace pool[NASPACE];

extern char trampoline[];

static struct spinlock audit_lock;

/* The file layer's side of file-backed regions; set once at boot, before
 * the first file region is made. */
static const struct pager *pager;

void
as_set_pager(const struct pager *pg)
{
  pager = pg;
}

void
aspace_init(void)
{
  for (int i = 0; i < NASPACE; i++)
    initlock(&pool[i].lock, "aspace");
  initlock(&audit_lock, "memcheck");
}

/* Inodes whose references regions let go of under an address space's lock,
 * to be put once it is released (iput may sleep). */
struct putlist {
  struct inode *ip[NREGION + 1];
  int n;
};

static void region_let_go(struct region *r, struct putlist *pl);
static void put_all(struct putlist *pl);
static void writeback(struct aspace *as, uint64 lo, uint64 hi);

/* Take as's lock for an operation that may change it. */
static void
as_lock(struct aspace *as)
{
  acquire(&as->lock);
  frame_op_begin();
}

static void
as_unlock(struct aspace *as)
{
  frame_op_end();
  release(&as->lock);
}

/* A new address space with no regions, mapping the trampoline and the
 * trapframe page at physical address trapframe. Returns 0 when the pool or
 * memory runs out. */
struct aspace *
as_create(uint64 trapframe)
{
  struct aspace *as;
  for (as = pool; as < &pool[NASPACE]; as++) {
    if (__atomic_load_n(&as->inuse, __ATOMIC_RELAXED))
      continue; /* a peek; the decision is made under the lock */
    acquire(&as->lock);
    if (!as->inuse)
      break;
    release(&as->lock);
  }
  if (as == &pool[NASPACE])
    return 0;
  pagetable_t pt = pt_create();
  if (pt == 0 || mappages(pt, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) != 0 ||
      mappages(pt, TRAPFRAME, PGSIZE, trapframe, PTE_R | PTE_W) != 0) {
    if (pt) {
      pt_clear(pt, TRAMPOLINE);
      pt_destroy(pt, 0);
    }
    release(&as->lock);
    return 0;
  }
  as->inuse = 1;
  as->pt = pt;
  as->nregions = 0;
  as->brk = 0;
  as->top = 0;
  as->noload = 0;
  memset(&as->counts, 0, sizeof(as->counts));
  release(&as->lock);
  return as;
}

/* Drop every frame and page-table page of as, write back what shared file
 * mappings changed, let go of the files, and return as to the pool. The
 * caller holds no spinlock. */
void
as_destroy(struct aspace *as)
{
  struct putlist pl = {.n = 0};

  writeback(as, 0, USER_TOP);
  as_lock(as);
  for (int i = 0; i < as->nregions; i++)
    region_let_go(&as->regions[i], &pl);
  pt_clear(as->pt, TRAMPOLINE);
  pt_clear(as->pt, TRAPFRAME);
  pt_destroy(as->pt, as->top);
  as->pt = 0;
  as->nregions = 0;
  as->brk = 0;
  as->inuse = 0;
  as_unlock(as);
  put_all(&pl);
}

/* Map the trapframe page at physical address trapframe at TRAPFRAME instead
 * of the one mapped now (a vfork child borrowing its parent's space, and
 * giving it back). Every hart flushes its TLB on the way to user mode. */
void
as_set_trapframe(struct aspace *as, uint64 trapframe)
{
  as_lock(as);
  pte_t *pte = walk(as->pt, TRAPFRAME, 0);
  if (pte == 0)
    panic("as_set_trapframe: no trapframe mapping");
  *pte = PA2PTE(trapframe) | PTE_R | PTE_W | PTE_V;
  as_unlock(as);
}

/* The satp value that selects as's page table. */
uint64
as_satp(struct aspace *as)
{
  return MAKE_SATP(as->pt);
}

/* --- regions ------------------------------------------------------------- */

/* The region holding va, or 0. Caller holds as->lock. */
static struct region *
region_at(struct aspace *as, uint64 va)
{
  for (int i = 0; i < as->nregions; i++)
    if (va >= as->regions[i].start && va < as->regions[i].end)
      return &as->regions[i];
  return 0;
}

/* The lowest region that starts at or above va, or 0. Caller holds the
 * lock. */
static struct region *
region_at_or_above(struct aspace *as, uint64 va)
{
  for (int i = 0; i < as->nregions; i++)
    if (as->regions[i].start >= va)
      return &as->regions[i];
  return 0;
}

/* May a page of this kind lack a PTE, and be zero-filled on first touch?
 * Text, data and stack are loaded or allocated when they are made. */
static int
region_zero_fills(int kind)
{
  return kind == REGION_BSS || kind == REGION_HEAP;
}

/* Is r a running program's own file-backed text or data (made by exec)? */
static int
region_is_program(struct region *r)
{
  return r->ip && (r->kind == REGION_TEXT || r->kind == REGION_DATA);
}

/* Can stores through r reach its file (a shared writable mapping)? */
static int
region_writes_file(struct region *r)
{
  return r->ip && r->shared && (r->prot & PTE_W);
}

/* Does as map a file shared? Only then may a PTE of as be PTE_SHARED: a
 * PTE lies in a region that allows what it allows, and page_file (cow.c)
 * marks the pages of shared regions alone. Caller holds the lock. */
static int
maps_shared_file(struct aspace *as)
{
  for (int i = 0; i < as->nregions; i++)
    if (as->regions[i].shared)
      return 1;
  return 0;
}

/* r is new in an address space (made, split off or copied by fork): take
 * its reference on its file, and count a program mapping (file.h,
 * text_maps). */
static void
region_hold(struct region *r)
{
  if (r->ip)
    pager->hold(r->ip, region_is_program(r), region_writes_file(r));
}

/* r is going away: its file reference goes on pl. */
static void
region_let_go(struct region *r, struct putlist *pl)
{
  if (r->ip == 0)
    return;
  pager->unhold(r->ip, region_is_program(r), region_writes_file(r));
  pl->ip[pl->n++] = r->ip;
}

/* Put the references pl collected (the pager may sleep). The caller holds
 * no spinlock. */
static void
put_all(struct putlist *pl)
{
  if (pl->n > 0)
    pager->put(pl->ip, pl->n);
  pl->n = 0;
}

/* Put r into as's sorted list. Returns 0, or -1 if it is malformed, overlaps
 * a region, reaches past USER_TOP, or the list is full. Caller holds the
 * lock. */
static int
region_insert(struct aspace *as, struct region r)
{
  if (r.start % PGSIZE || r.end % PGSIZE || r.start >= r.end || r.end > USER_TOP)
    return -1;
  if (as->nregions == NREGION)
    return -1;
  int i = 0;
  while (i < as->nregions && as->regions[i].end <= r.start)
    i++;
  if (i < as->nregions && as->regions[i].start < r.end)
    return -1;
  for (int j = as->nregions; j > i; j--)
    as->regions[j] = as->regions[j - 1];
  as->regions[i] = r;
  as->nregions++;
  if (r.end > as->top)
    as->top = r.end;
  return 0;
}

static void
region_remove(struct aspace *as, int i)
{
  for (int j = i; j < as->nregions - 1; j++)
    as->regions[j] = as->regions[j + 1];
  as->nregions--;
}

/* Can regions_cut take [lo, hi) out: is there a slot for a region it would
 * split? Caller holds the lock. */
static int
regions_cut_fits(struct aspace *as, uint64 lo, uint64 hi)
{
  for (int i = 0; i < as->nregions; i++) {
    struct region *r = &as->regions[i];
    if (r->start < lo && r->end > hi && as->nregions == NREGION)
      return 0;
  }
  return 1;
}

/* Take [lo, hi) out of every region (dropping, trimming or splitting them);
 * the file references of dropped regions go on pl. Returns 0, or -1 (and
 * changes nothing) if a split needs a slot there is not (regions_cut_fits).
 * Caller holds the lock. */
static int
regions_cut(struct aspace *as, uint64 lo, uint64 hi, struct putlist *pl)
{
  if (!regions_cut_fits(as, lo, hi))
    return -1;
  for (int i = 0; i < as->nregions;) {
    struct region *r = &as->regions[i];
    if (r->end <= lo || r->start >= hi) {
      i++;
    } else if (r->start >= lo && r->end <= hi) {
      region_let_go(r, pl);
      region_remove(as, i);
    } else if (r->start < lo && r->end > hi) {
      struct region upper = *r;
      upper.start = hi;
      upper.off += hi - r->start;
      region_hold(&upper);
      r->end = lo;
      region_insert(as, upper);
      i += 2;
    } else if (r->start < lo) {
      r->end = lo;
      i++;
    } else {
      r->off += hi - r->start;
      r->start = hi;
      i++;
    }
  }
  return 0;
}

/* Add the region [start, end) of kind with prot (PTE_R/W/X bits); its pages
 * have no PTEs yet. Returns 0, or -1 if it is malformed, overlaps another,
 * passes USER_TOP or the list is full. */
int
as_add_region(struct aspace *as, uint64 start, uint64 end, int prot, int kind)
{
  struct region r = {.start = start, .end = end, .prot = prot, .kind = kind};
  as_lock(as);
  int ret = region_insert(as, r);
  as_unlock(as);
  return ret;
}

/* Unmap [lo, hi), whose leaf tables are as's own already (pagetable.c: so
 * no memory is needed). Caller holds the lock. */
static void
unmap_own(struct aspace *as, uint64 lo, uint64 hi)
{
  if (pt_unmap(as->pt, lo, hi) != 0)
    panic("unmap_own: a leaf table was shared");
}

/* Give every page of [start, end), which lies in one region, a zeroed frame
 * of its own now, with the region's protection. Returns 0, or -1 (with
 * nothing added) when memory runs out. Caller holds the lock. */
static int
populate(struct aspace *as, uint64 start, uint64 end)
{
  struct region *r = region_at(as, start);
  if (r == 0 || end > r->end)
    panic("populate: range not in one region");
  for (uint64 a = start; a < end; a += PGSIZE) {
    pte_t *pte = leaf_own(as->pt, a, &as->counts);
    char *mem = pte ? kalloc() : 0;
    if (mem == 0) {
      unmap_own(as, start, a);
      return -1;
    }
    if (*pte & PTE_V)
      panic("populate: page mapped already");
    memset(mem, 0, PGSIZE);
    *pte = PA2PTE(mem) | r->prot | PTE_U | PTE_V;
  }
  return 0;
}

/* Populate [start, end) of one region now (program text and data, the
 * stack). Returns 0 or -1 when memory runs out. */
int
as_populate(struct aspace *as, uint64 start, uint64 end)
{
  as_lock(as);
  int r = populate(as, start, end);
  as_unlock(as);
  return r;
}

/* The protection of the region holding va, or 0 if none does. */
int
as_prot(struct aspace *as, uint64 va)
{
  as_lock(as);
  struct region *r = region_at(as, va);
  int prot = r ? r->prot : 0;
  as_unlock(as);
  return prot;
}

/* The frame behind populated page va, or 0. For exec, loading a new image
 * that nobody else can see yet. */
uint64
as_frame(struct aspace *as, uint64 va)
{
  as_lock(as);
  uint64 pa = walkaddr(as->pt, va);
  as_unlock(as);
  return pa;
}

/* --- the break ----------------------------------------------------------- */

/* Set the first break of a new image: brk, page-aligned, above every
 * region. Returns 0 or -1. */
int
as_start_break(struct aspace *as, uint64 brk)
{
  as_lock(as);
  int ok = brk % PGSIZE == 0 && brk <= USER_TOP &&
           (as->nregions == 0 || as->regions[as->nregions - 1].end <= brk);
  if (ok)
    as->brk = brk;
  as_unlock(as);
  return ok ? 0 : -1;
}

/* Move the break up by n bytes: the heap region grows to cover it, with
 * zeroed frames now, or (lazy) on first touch. Returns 0, or -1 (nothing
 * changed) if the break would pass USER_TOP or run into another region, or
 * memory runs out. */
int
as_grow(struct aspace *as, uint64 n, int lazy)
{
  as_lock(as);
  uint64 old = as->brk, new = old + n;
  uint64 lo = PGROUNDUP(old), hi = PGROUNDUP(new);
  int ret = -1;
  if (new < old || new > USER_TOP)
    goto out;
  if (hi > lo) {
    struct region *heap = lo > 0 ? region_at(as, lo - 1) : 0;
    struct region *next = region_at_or_above(as, lo);
    if (next && next->start < hi)
      goto out; /* the heap would run into a mapping */
    if (heap && heap->kind == REGION_HEAP) {
      heap->end = hi;
      if (hi > as->top)
        as->top = hi;
    } else if (region_insert(as, (struct region){lo, hi, PTE_R | PTE_W, REGION_HEAP}) != 0) {
      goto out;
    }
    if (!lazy && populate(as, lo, hi) != 0) {
      struct putlist none = {.n = 0};
      regions_cut(as, lo, hi, &none); /* the heap holds no file */
      goto out;
    }
  }
  as->brk = new;
  ret = 0;
out:
  as_unlock(as);
  return ret;
}

/* Move the break down by n <= brk bytes: whatever lies above the new break's
 * page goes, regions and frames, whatever kind it was (xv6 programs may
 * shrink into their data and text). Returns 0, or -1 (nothing changed) if
 * memory ran out for a copy of a page table shared with another process.
 * The caller holds no spinlock. */
int
as_shrink(struct aspace *as, uint64 n)
{
  struct putlist pl = {.n = 0};
  if (n > as->brk)
    panic("as_shrink: below zero");
  uint64 lo = PGROUNDUP(as->brk - n), hi = PGROUNDUP(as->brk);
  writeback(as, lo, hi);
  as_lock(as);
  if (hi > lo) {
    if (!regions_cut_fits(as, lo, hi))
      panic("as_shrink: a region straddles the break");
    if (pt_unmap(as->pt, lo, hi) != 0) {
      as_unlock(as);
      return -1;
    }
    sfence_vma();
    regions_cut(as, lo, hi, &pl);
  }
  as->brk -= n;
  as_unlock(as);
  put_all(&pl);
  return 0;
}

/* --- fork ---------------------------------------------------------------- */

/* How fork treats one process's pages (proc.c chooses, cowctl switches). */
struct forkhow {
  uint64 shortcut_va; /* the page the child gets a private copy of, or -1 */
  int share_tables;   /* share whole leaf tables where it may */
  int private_only;   /* LEAF_PRIVATE if no region maps a file shared, else 0 */
  struct memstat *mc; /* the parent's counters */
};

/* What fork_leaf (cow.c) may do with the leaf table that maps [va, va +
 * LEAF_SPAN), and assume of it. It may share the table as it is unless the
 * table holds the trapframe (each space maps its own) or the shortcut page
 * (the child's copy must be in a table of the child's own). */
static int
leaf_flags(uint64 va, struct forkhow *how)
{
  int share = how->share_tables && va + LEAF_SPAN <= USER_TOP &&
              (how->shortcut_va < va || how->shortcut_va >= va + LEAF_SPAN);
  return (share ? LEAF_SHARE : 0) | how->private_only;
}

/* Give child table new (a table at `level` >= 1 covering addresses from
 * base) the user pages of old below end; leaf tables go to fork_leaf
 * (cow.c). Walks each table once rather than each address from the root.
 * Returns 0, or -1 when memory runs out (what was shared stays mapped in
 * new, for the caller to destroy). */
static int
fork_level(pagetable_t old, pagetable_t new, int level, uint64 base, uint64 end,
           struct forkhow *how)
{
  uint64 span = 1UL << PXSHIFT(level);
  for (int i = 0; i < 512 && base + i * span < end; i++) {
    uint64 va = base + i * span;
    if (!(old[i] & PTE_V))
      continue;
    if (level == 1) {
      if (fork_leaf(&old[i], &new[i], va, end, how->shortcut_va, leaf_flags(va, how), how->mc) != 0)
        return -1;
      continue;
    }
    if (!(new[i] & PTE_V)) {
      pagetable_t t = pt_create();
      if (t == 0)
        return -1;
      new[i] = PA2PTE(t) | PTE_V;
    }
    if (fork_level((pagetable_t)PTE2PA(old[i]), (pagetable_t)PTE2PA(new[i]), level - 1, va, end,
                   how) != 0)
      return -1;
  }
  return 0;
}

/* Make empty address space child an image of parent: the same regions and
 * break, and the pages as fork_leaf (cow.c) gives them; the page at
 * shortcut_va (the stack-page shortcut; -1 for none) is the child's own
 * copy, and with share_tables whole leaf tables may be shared. May change
 * the parent's PTEs, so it flushes this hart's TLB, where the parent runs.
 * Returns 0, or -1 when memory runs out (the caller destroys child). */
int
as_fork(struct aspace *parent, struct aspace *child, uint64 shortcut_va, int share_tables)
{
  struct forkhow how = {shortcut_va, share_tables, 0, &parent->counts};
  as_lock(parent);
  how.private_only = maps_shared_file(parent) ? 0 : LEAF_PRIVATE;
  as_lock(child);
  child->nregions = parent->nregions;
  for (int i = 0; i < parent->nregions; i++) {
    child->regions[i] = parent->regions[i];
    region_hold(&child->regions[i]);
  }
  child->brk = parent->brk;
  child->top = parent->top;
  uint64 end = parent->nregions ? parent->regions[parent->nregions - 1].end : 0;
  int r = fork_level(parent->pt, child->pt, 2, 0, end, &how);
  sfence_vma();
  as_unlock(child);
  as_unlock(parent);
  return r;
}

/* --- faults and the kernel's accesses ------------------------------------ */

/* A page of a file-backed region to be read before a fault can finish. */
struct load {
  struct inode *ip;
  uint idx; /* page index in the file */
};

/* Make user page va usable for access, resolving zero-fill and
 * copy-on-write, and return its PTE in *ptep. Returns 0, FAULT_BAD,
 * FAULT_NOMEM, or FAULT_LOAD with *ld naming the file page to read first
 * (which needs the lock released). Caller holds the lock.
 *
 * Every user PTE lies in a region whose protection allows what the PTE
 * allows (PTE_W or PTE_COW only in a writable region): regions and PTEs
 * are cut together. So a page that has a PTE is judged by the PTE alone,
 * and the region list is searched only for a page that has none (and for a
 * store to a shared file page, which its region must allow). */
static int
resolve(struct aspace *as, uint64 va, int access, pte_t **ptep, struct load *ld)
{
  va = PGROUNDDOWN(va);
  if (va >= USER_TOP)
    return FAULT_BAD;
  pte_t *pte = walk(as->pt, va, 0);
  if (pte == 0 || !(*pte & PTE_V)) {
    struct region *r = region_at(as, va);
    if (r == 0 || !(r->prot & PTE_R) || (access == FAULT_WRITE && !(r->prot & PTE_W)) ||
        (access == FAULT_EXEC && !(r->prot & PTE_X)))
      return FAULT_BAD;
    if (r->ip) {
      ld->ip = r->ip;
      ld->idx = (r->off + (va - r->start)) / PGSIZE;
      return FAULT_LOAD;
    }
    if (!region_zero_fills(r->kind))
      return FAULT_BAD;
    if ((pte = leaf_own(as->pt, va, &as->counts)) == 0)
      return FAULT_NOMEM;
    int err = page_fresh(pte, va, access, &as->counts);
    if (err != 0)
      return err;
  }
  if ((*pte & (PTE_V | PTE_U | PTE_R)) != (PTE_V | PTE_U | PTE_R) ||
      (access == FAULT_EXEC && !(*pte & PTE_X)))
    return FAULT_BAD;
  if (access == FAULT_WRITE && !(*pte & PTE_W)) {
    if (*pte & PTE_SHARED) {
      struct region *r = region_at(as, va);
      if (r == 0 || !(r->prot & PTE_W))
        return FAULT_BAD;
      if ((pte = leaf_own(as->pt, va, &as->counts)) == 0) /* the table may move */
        return FAULT_NOMEM;
      page_share_write(pte, va);
      *ptep = pte;
      return 0;
    }
    if (!(*pte & PTE_COW))
      return FAULT_BAD; /* read-only for good: no table copy for a doomed store */
    if ((pte = leaf_own(as->pt, va, &as->counts)) == 0) /* the table may move */
      return FAULT_NOMEM;
    int err = page_write(pte, va, &as->counts);
    if (err != 0)
      return err;
  }
  *ptep = pte;
  return 0;
}

/* Map frame pa, page ld of a file, at va for access, unless the fault was
 * resolved meanwhile. The reference on pa is the caller's; it becomes the
 * PTE's or is dropped. Caller holds the lock. */
static int
map_loaded(struct aspace *as, uint64 va, int access, uint64 pa)
{
  pte_t *pte = walk(as->pt, va, 0);
  struct region *r = region_at(as, va);
  if ((pte && (*pte & PTE_V)) || r == 0 || r->ip == 0) {
    frame_unref(pa);
    return 0;
  }
  if ((pte = leaf_own(as->pt, va, &as->counts)) == 0) {
    frame_unref(pa);
    return FAULT_NOMEM;
  }
  page_file(pte, va, pa, r->prot, r->shared, access == FAULT_WRITE, (r->prot & PTE_W) != 0,
            &as->counts);
  return 0;
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
load_page(struct aspace *as, uint64 va, int access, struct load *ld)
{
  release(&as->lock); /* the operation stays open: see the top of the file */
  uint64 pa = 0;
  int err = intr_get() && as->noload == 0 ? pager->get(ld->ip, ld->idx, &pa) : PAGER_BEYOND;
  acquire(&as->lock);
  if (err != 0)
    return err == PAGER_NOMEM ? FAULT_NOMEM : FAULT_BAD;
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
    pte_t *pte = walk(as->pt, a, 0);
    r = region_at(as, a);
    if ((pte && (*pte & PTE_V)) || r == 0 || r->ip == 0)
      continue;
    struct load ld = {r->ip, (r->off + (a - r->start)) / PGSIZE};
    if (load_page(as, a, FAULT_READ, &ld) != 0)
      return;
  }
}

/* resolve, reading file pages as needed: the lock is released while the
 * page cache reads the file, which only a caller holding no other spinlock
 * may wait for (interrupts on). Returns as resolve does, never FAULT_LOAD;
 * the lock is held again on return. */
static int
fault_locked(struct aspace *as, uint64 va, int access, pte_t **ptep)
{
  for (;;) {
    struct load ld = {0, 0};
    int r = resolve(as, va, access, ptep, &ld);
    if (r != FAULT_LOAD)
      return r;
    if ((r = load_page(as, PGROUNDDOWN(va), access, &ld)) != 0)
      return r;
    fault_around(as, va);
  }
}

/* A user-mode page fault at va (FAULT_READ or FAULT_WRITE). Returns 0 if
 * the access may now go ahead, FAULT_BAD or FAULT_NOMEM. */
int
vm_fault(struct aspace *as, uint64 va, int access)
{
  pte_t *pte;
  as_lock(as);
  int r = fault_locked(as, va, access, &pte);
  as_unlock(as);
  return r;
}

/* Move bytes between kernel buffer k and user address uva, a page at a
 * time, each page resolved exactly as a user access would be: len bytes to
 * the user (FAULT_WRITE) or from the user (FAULT_READ); with string set, a
 * read stops after the first NUL. Returns 0 (for a string: a NUL was
 * copied), or -1 on a bad address, when no frame is left for a copy, or for
 * a string with no NUL in its first len bytes. */
static int
copy_user(struct aspace *as, char *k, uint64 uva, uint64 len, int access, int string)
{
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(uva), n = PGSIZE - (uva - va0);
    pte_t *pte;
    int done = 0;
    if (n > len)
      n = len;
    as_lock(as);
    if (fault_locked(as, va0, access, &pte) != 0) {
      as_unlock(as);
      return -1;
    }
    char *u = (char *)(PTE2PA(*pte) + (uva - va0));
    if (access == FAULT_WRITE)
      memmove(u, k, n);
    else if (!string)
      memmove(k, u, n);
    else
      for (uint64 i = 0; i < n && !done; i++)
        done = (k[i] = u[i]) == 0;
    as_unlock(as);
    if (done)
      return 0;
    len -= n;
    k += n;
    uva = va0 + PGSIZE;
  }
  return string ? -1 : 0;
}

/* Copy len bytes from kernel src to user dstva. Returns 0 or -1. */
int
copyout(struct aspace *as, uint64 dstva, char *src, uint64 len)
{
  return copy_user(as, src, dstva, len, FAULT_WRITE, 0);
}

/* Copy len bytes from user srcva to kernel dst. Returns 0 or -1. */
int
copyin(struct aspace *as, char *dst, uint64 srcva, uint64 len)
{
  return copy_user(as, dst, srcva, len, FAULT_READ, 0);
}

/* Copy a NUL-terminated string of at most max bytes (NUL included) from user
 * srcva to dst. Returns 0, or -1 on a bad address or a string too long. */
int
copyinstr(struct aspace *as, char *dst, uint64 srcva, uint64 max)
{
  return copy_user(as, dst, srcva, max, FAULT_READ, 1);
}

/* --- file mappings ------------------------------------------------------- */

/* Write back to their files the shared file pages in [lo, hi) that as maps
 * writable: those it may have stored to (a page becomes writable only at
 * a store). The caller holds no spinlock; only as's owner changes as, so
 * the PTEs looked at stay put while the lock is released for the I/O. */
static void
writeback(struct aspace *as, uint64 lo, uint64 hi)
{
  as_lock(as);
  int any = maps_shared_file(as);
  as_unlock(as);
  for (int i = 0; any; i++) {
    as_lock(as);
    if (i >= as->nregions) {
      as_unlock(as);
      return;
    }
    struct region r = as->regions[i];
    as_unlock(as);
    if (!r.shared || r.ip == 0 || r.end <= lo || r.start >= hi)
      continue;
    uint64 end = r.end < hi ? r.end : hi;
    for (uint64 va = r.start > lo ? r.start : lo; va < end; va += PGSIZE) {
      as_lock(as);
      va = pt_next_table(as->pt, va, end); /* lazily touched mappings are sparse */
      pte_t *pte = va < end ? walk(as->pt, va, 0) : 0;
      uint64 pa = pte && (*pte & (PTE_V | PTE_W)) == (PTE_V | PTE_W) ? PTE2PA(*pte) : 0;
      as_unlock(as);
      if (pa)
        pager->writeback(r.ip, (r.off + (va - r.start)) / PGSIZE, pa);
    }
  }
}

/* Add a file-backed region [start, end) of kind with prot, mapping ip from
 * offset off (page-aligned), shared or private. It takes its own reference
 * on ip. Returns 0 or -1 (malformed, overlapping, or no slot). */
int
as_add_file_region(struct aspace *as, uint64 start, uint64 end, int prot, int kind,
                   struct inode *ip, uint64 off, int shared)
{
  struct region r = {start, end, prot, kind, shared, ip, off};
  as_lock(as);
  int ret = off % PGSIZE ? -1 : region_insert(as, r);
  if (ret == 0)
    region_hold(region_at(as, start));
  as_unlock(as);
  return ret;
}

/* The lowest address of a free range of len bytes (page-aligned) at or
 * above the heap's room, searching down from USER_TOP so that the heap keeps
 * room to grow, or 0. Caller holds the lock. */
static uint64
free_range(struct aspace *as, uint64 len)
{
  uint64 top = USER_TOP;
  for (int i = as->nregions - 1; i >= -1; i--) {
    uint64 floor = i >= 0 ? as->regions[i].end : PGSIZE;
    if (top >= floor && top - floor >= len)
      return top - len;
    if (i >= 0)
      top = as->regions[i].start;
  }
  return 0;
}

/* mmap: map len bytes of file ip from offset off, at addr if it is not 0
 * (page-aligned, and free), else where the kernel picks. Returns the
 * address, or -1 if the range is bad, taken, or the region list is full. */
uint64
as_mmap(struct aspace *as, uint64 addr, uint64 len, int prot, int shared, struct inode *ip,
        uint64 off)
{
  len = PGROUNDUP(len);
  if (len == 0 || len > USER_TOP || addr % PGSIZE || off % PGSIZE)
    return -1;
  as_lock(as);
  if (addr == 0)
    addr = free_range(as, len);
  struct region r = {addr, addr + len, prot, REGION_MMAP, shared, ip, off};
  int ok = addr != 0 && addr + len > addr && region_insert(as, r) == 0;
  if (ok)
    region_hold(region_at(as, addr));
  as_unlock(as);
  return ok ? addr : -1;
}

/* munmap: remove [addr, addr+len) (page-aligned addr), which may cover parts
 * of mapped files and gaps but nothing else; stores to shared pages reach
 * their files first. Returns 0, or -1 (nothing changed) if the range is bad
 * or covers another kind of region. */
int
as_munmap(struct aspace *as, uint64 addr, uint64 len)
{
  struct putlist pl = {.n = 0};
  uint64 end = addr + PGROUNDUP(len);
  if (len == 0 || addr % PGSIZE || end <= addr || end > USER_TOP)
    return -1;
  as_lock(as);
  for (int i = 0; i < as->nregions; i++) {
    struct region *r = &as->regions[i];
    if (r->start < end && r->end > addr && r->kind != REGION_MMAP) {
      as_unlock(as);
      return -1;
    }
  }
  as_unlock(as);
  writeback(as, addr, end);
  as_lock(as);
  int ret = regions_cut_fits(as, addr, end) ? pt_unmap(as->pt, addr, end) : -1;
  if (ret == 0) {
    sfence_vma();
    regions_cut(as, addr, end, &pl);
  }
  as_unlock(as);
  put_all(&pl);
  return ret;
}

/* Forbid (allowed 0) or allow again (1) reading file pages for kernel
 * copies into as: a copy made while holding an inode's lock (read() and
 * write() of a file) must not wait for another file's lock, or for the
 * same one. Such a caller prefaults its buffer first; a page still missing
 * makes the copy fail. Called by as's owner only. */
void
as_loads(struct aspace *as, int allowed)
{
  as->noload += allowed ? -1 : 1;
}

/* Read in and map now the file pages of [va, va+len) that are not mapped
 * yet, so that a kernel copy into or out of them later needs no I/O (and
 * can run while holding locks: a pipe's, an inode's). Pages of other kinds
 * are left to the copy. The caller holds no spinlock. Returns 0, or -1 at
 * a page that cannot be read (the copy will fail there too). */
int
as_prefault(struct aspace *as, uint64 va, uint64 len)
{
  uint64 end = va + len;
  if (len == 0 || end < va)
    return 0;
  for (uint64 a = PGROUNDDOWN(va); a < end && a < USER_TOP; a += PGSIZE) {
    as_lock(as);
    struct region *r = region_at(as, a);
    pte_t *pte = r && r->ip ? walk(as->pt, a, 0) : 0;
    int need = r && r->ip && (pte == 0 || !(*pte & PTE_V));
    int err = need ? fault_locked(as, a, FAULT_READ, &pte) : 0;
    if (r == 0 && a + PGSIZE < end) { /* skip to the next region */
      uint64 next = end;
      for (int i = 0; i < as->nregions; i++)
        if (as->regions[i].start > a && as->regions[i].start < next)
          next = as->regions[i].start;
      a = PGROUNDDOWN(next) - PGSIZE;
    }
    as_unlock(as);
    if (err != 0)
      return -1;
  }
  return 0;
}

/* --- watching ------------------------------------------------------------ */

/* Fill *q for page va of as: the frame, its count and the PTE's flags. */
void
as_query(struct aspace *as, uint64 va, struct vmquery *q)
{
  memset(q, 0, sizeof(*q));
  q->va = PGROUNDDOWN(va);
  if (q->va >= MAXVA)
    return;
  as_lock(as);
  pte_t *pte = walk(as->pt, q->va, 0);
  if (pte && (*pte & PTE_V)) {
    q->pa = PTE2PA(*pte);
    q->flags = PTE_FLAGS(*pte);
    q->refcount = frame_managed(q->pa) ? frame_refcount(q->pa) : 0;
  }
  if (pte) {
    q->table = PGROUNDDOWN((uint64)pte);
    q->tablerefs = frame_refcount(q->table);
  }
  as_unlock(as);
}

/* Copy up to max of as's regions to out, in address order. Returns how many
 * regions as has (which may be more than max). */
int
as_regions(struct aspace *as, struct vmregion *out, int max)
{
  as_lock(as);
  int n = as->nregions;
  for (int i = 0; i < n && i < max; i++) {
    out[i].start = as->regions[i].start;
    out[i].end = as->regions[i].end;
    out[i].prot = as->regions[i].prot;
    out[i].kind = as->regions[i].kind;
    out[i].shared = as->regions[i].shared;
    out[i].inum = as->regions[i].ip ? pager->inum(as->regions[i].ip) : 0;
    out[i].off = as->regions[i].off;
  }
  as_unlock(as);
  return n;
}

/* as's event counters and break, in *st (frame fields left 0). */
void
as_counts(struct aspace *as, struct memstat *st)
{
  as_lock(as);
  *st = as->counts;
  st->sz = as->brk;
  as_unlock(as);
}

/* Add from's event counters to as's: exec moves a process's counters to
 * its new space, so they run from fork across exec. Neither space is in
 * use by another process (caller: exec, before the switch). */
void
as_add_counts(struct aspace *as, struct aspace *from)
{
  _Static_assert(sizeof(struct memstat) % sizeof(uint64) == 0, "memstat: uint64 fields only");
  uint64 *to = (uint64 *)&as->counts, *add = (uint64 *)&from->counts;
  as_lock(from);
  for (int i = 0; i < sizeof(struct memstat) / sizeof(uint64); i++)
    to[i] += add[i];
  as_unlock(from);
}

/* --- the invariant auditor ----------------------------------------------- */

/* memcheck (audit_lock: one at a time) counts, per frame, the user PTEs that
 * map it (a shared leaf table's once) and, per leaf table, the level-1 PTEs
 * that point at it, a chunk of frames at a time (the tally must fit in the
 * kernel), and compares the counts. */
#define AUDIT_CHUNK 16384
#define AUDIT_TRIES 100000

static uint16 tally[AUDIT_CHUNK]; /* audit_lock guards it */

struct audit {
  uint64 lo, hi;     /* frame indices [lo, hi) tallied in this pass */
  uint64 zeromaps;   /* PTEs mapping the zero frame */
  struct aspace *as; /* the address space being walked */
  struct memcheck *mc;
};

/* Note frame pa with count refs where maps were expected, if it is the
 * first wrong one. */
static void
audit_bad(struct audit *a, uint64 pa, uint64 refs, uint64 maps)
{
  if (a->mc->bad_pa == 0) {
    a->mc->bad_pa = pa;
    a->mc->refs = refs;
    a->mc->maps = maps;
  }
}

/* The tally slot of frame pa, or -1 if another pass's chunk holds it. A
 * pa the allocator does not manage is noted wrong (and gets -1). */
static long
audit_slot(struct audit *a, uint64 pa)
{
  if (!frame_managed(pa)) {
    audit_bad(a, pa, 0, 1);
    return -1;
  }
  uint64 f = (pa - frame_base) / PGSIZE;
  return f >= a->lo && f < a->hi ? (long)(f - a->lo) : -1;
}

/* One more reference expected on frame pa (a user page, or a leaf table
 * that one more level-1 PTE points at), tallied if this pass's chunk holds
 * it. */
static void
audit_expect(struct audit *a, uint64 pa)
{
  long i = audit_slot(a, pa);
  if (i >= 0 && tally[i] < 0xffff)
    tally[i]++;
}

/* Is table page pa (a root or level-1 table, never shared) at count 1?
 * Checked once, on the pass whose chunk holds it. */
static void
audit_table(struct audit *a, uint64 pa)
{
  if (audit_slot(a, pa) < 0)
    return;
  a->mc->tables++;
  if (frame_refcount(pa) != 1)
    audit_bad(a, pa, frame_refcount(pa), 1);
}

/* Note leaf table pa as breaking the rule of shared tables (cow.c), if it
 * is the first. */
static void
audit_unclean(struct audit *a, uint64 pa)
{
  if (a->mc->unclean == 0)
    a->mc->unclean = pa;
}

/* Note page va, marked PTE_SHARED, as lying outside every shared file
 * mapping of the space walked, if it is the first. */
static void
audit_stray(struct audit *a, uint64 va)
{
  struct region *r = region_at(a->as, va);
  if ((r == 0 || !r->shared) && a->mc->stray == 0)
    a->mc->stray = va;
}

/* Tally the leaf table that level-1 PTE l1 points at (expected count: the
 * level-1 PTEs that point at it) and, the first time it is seen in this
 * pass, its PTEs, mapping from base. A table that is shared must be marked
 * PTE_CLEAN, and a table so marked may map no private page writable. Only
 * pages of shared file mappings may be PTE_SHARED (fork relies on it). */
static void
audit_leaf(struct audit *a, pte_t l1, uint64 base)
{
  pagetable_t t = (pagetable_t)PTE2PA(l1);
  audit_expect(a, (uint64)t);
  if (!frame_managed((uint64)t))
    return;
  if (!(l1 & PTE_CLEAN) && frame_refcount((uint64)t) > 1)
    audit_unclean(a, (uint64)t);
  if (!frame_mark((uint64)t))
    return;
  if (a->lo == 0)
    a->mc->tables++;
  for (int i = 0; i < 512 && base + i * PGSIZE < USER_TOP; i++) {
    pte_t pte = t[i];
    if (!(pte & PTE_V))
      continue;
    if ((l1 & PTE_CLEAN) && (pte & (PTE_W | PTE_SHARED)) == PTE_W)
      audit_unclean(a, (uint64)t);
    if (pte & PTE_SHARED)
      audit_stray(a, base + i * PGSIZE);
    if (PTE2PA(pte) == zero_frame())
      a->zeromaps++;
    else
      audit_expect(a, PTE2PA(pte));
  }
}

/* Tally what lies below root or level-1 table pt (at level 2 or 1, mapping
 * from base). */
static void
audit_walk(struct audit *a, pagetable_t pt, int level, uint64 base)
{
  uint64 span = 1UL << PXSHIFT(level);
  for (int i = 0; i < 512 && base + i * span < USER_TOP; i++) {
    pte_t pte = pt[i];
    if (!(pte & PTE_V))
      continue;
    if (level == 1) {
      audit_leaf(a, pte, base + i * span);
    } else {
      audit_table(a, PTE2PA(pte));
      audit_walk(a, (pagetable_t)PTE2PA(pte), level - 1, base + i * span);
    }
  }
}

/* The page cache holds frame pa: one more expected reference. */
static void
audit_cached(void *arg, uint64 pa)
{
  audit_expect(arg, pa);
}

/* Tally and compare frames [lo, hi) once; the verdict counts only if no
 * operation on the counts was under way or began meanwhile. Returns 1 if it
 * counts. Caller holds audit_lock. */
static int
audit_once(struct audit *a)
{
  uint64 token;
  if (!frame_ops_quiet(&token))
    return 0;
  struct memcheck saved = *a->mc;
  memset(tally, 0, sizeof(tally));
  frame_marks_clear();
  a->zeromaps = 0;
  for (struct aspace *as = pool; as < &pool[NASPACE]; as++) {
    acquire(&as->lock);
    if (as->inuse) {
      if (a->lo == 0)
        a->mc->spaces++;
      a->as = as;
      audit_table(a, (uint64)as->pt);
      audit_walk(a, as->pt, 2, 0);
    }
    release(&as->lock);
  }
  pager->audit(audit_cached, a);
  for (uint64 i = 0; i < a->hi - a->lo; i++) {
    if (tally[i] == 0)
      continue;
    uint64 pa = frame_base + (a->lo + i) * PGSIZE;
    a->mc->frames++;
    if (frame_refcount(pa) != tally[i])
      audit_bad(a, pa, frame_refcount(pa), tally[i]);
  }
  if (a->lo == 0 && zero_frame() && frame_refcount(zero_frame()) != a->zeromaps + 1)
    audit_bad(a, zero_frame(), frame_refcount(zero_frame()), a->zeromaps + 1);
  if (frame_ops_since(token)) {
    *a->mc = saved;
    return 0;
  }
  return 1;
}

/* One consistent pass over frames [lo, hi) of every address space. Between
 * tries it waits with interrupts on and audit_lock released, so that an
 * operation under way (perhaps asleep, reading a file page) can finish, on
 * this hart if need be. Returns 0, or -1 if address spaces kept changing. */
static int
audit_pass(struct audit *a)
{
  for (int tries = 0; tries < AUDIT_TRIES; tries++) {
    acquire(&audit_lock);
    int done = audit_once(a);
    release(&audit_lock);
    if (done)
      return 0;
    for (volatile int spin = 0; spin < 10000; spin++)
      ;
  }
  return -1;
}

/* Check on the live system that every user frame's count equals the leaf
 * PTEs that map it, a shared leaf table's PTEs counted once (the zero frame:
 * plus its permanent hold); that every leaf table's count equals the
 * level-1 PTEs that point at it, and every other user page-table page's is
 * 1; that shared leaf tables map no private page writable; and that only
 * pages of shared file mappings are PTE_SHARED. Fills *mc. Returns 0 if
 * all is well, 1 if not (mc->bad_pa names the first wrong count,
 * mc->unclean the first wrong table, mc->stray the first wrong page), -1
 * if address spaces never stood still long enough to look. */
int
memcheck(struct memcheck *mc)
{
  memset(mc, 0, sizeof(*mc));
  struct audit a = {.mc = mc};
  int r = 0;
  for (a.lo = 0; r == 0 && frame_managed(frame_base + a.lo * PGSIZE); a.lo += AUDIT_CHUNK) {
    a.hi = a.lo + AUDIT_CHUNK;
    r = audit_pass(&a);
  }
  if (r != 0)
    return -1;
  return mc->bad_pa != 0 || mc->unclean != 0 || mc->stray != 0;
}
