/* aspace.c: address spaces: the page table, the regions, the break and the
 * counters of a user program; making, forking and destroying them; file
 * mappings (aspace.h says who calls what and which lock guards what). The
 * fault path is fault.c's, the kernel's copies uaccess.c's, the auditor
 * memcheck.c's; aspace_impl.h is what the four share.
 *
 * Regions say what an address is. A fault, or a kernel access through
 * copyin/copyout/copyinstr, at an address in no region, or with an access
 * its region does not allow, is bad: the process is killed or the system call
 * fails. Inside a region the page decides (cow.c): fresh pages of a
 * zero-filled kind (bss, heap) are filled on first touch (page_fresh), a
 * store to a read-only page goes to cow_fault (fault.c calls them).
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
 * memcheck needs a moment when no address space is half-changed: as_op_begin
 * and as_op_end take the lock and begin and end an operation on the counts
 * (frame.h), and memcheck
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
#include "kernel/mem/aspace_impl.h"
#include "kernel/mem/cow.h"
#include "kernel/mem/frame.h"
#include "kernel/memstat.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/pager.h"
#include "kernel/mem/swap.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"

struct aspace as_pool[NASPACE];

extern char trampoline[];

/* The file layer's side of file-backed regions; set once at boot, before
 * the first file region is made. */
const struct pager *as_pager;

void
as_set_pager(const struct pager *pg)
{
  as_pager = pg;
}

void
aspace_init(void)
{
  for (int i = 0; i < NASPACE; i++)
    initlock(&as_pool[i].lock, "aspace");
}

/* Inodes whose references regions let go of under an address space's lock,
 * to be put once it is released (iput may sleep). */
struct putlist {
  struct inode *ip[NREGION + 1];
  int n;
};

static inline void region_let_go(struct region *r, struct putlist *pl);
static void put_all(struct putlist *pl);
static void writeback(struct aspace *as, uint64 lo, uint64 hi);

/* A new address space with no regions, mapping the trampoline and the
 * trapframe page at physical address trapframe. Returns 0 when the as_pool or
 * memory runs out. */
struct aspace *
as_create(uint64 trapframe)
{
  struct aspace *as;
  for (as = as_pool; as < &as_pool[NASPACE]; as++) {
    if (__atomic_load_n(&as->inuse, __ATOMIC_RELAXED))
      continue; /* a peek; the decision is made under the lock */
    acquire(&as->lock);
    if (!as->inuse)
      break;
    release(&as->lock);
  }
  if (as == &as_pool[NASPACE])
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
  as->pinned = 1; /* until its maker is done with it: as_fork, or exec's as_unpin */
  as->rset = 0;
  memset(&as->counts, 0, sizeof(as->counts));
  release(&as->lock);
  return as;
}

/* Drop every frame and page-table page of as, write back what shared file
 * mappings changed, let go of the files, and return as to the as_pool. The
 * caller holds no spinlock. */
void
as_destroy(struct aspace *as)
{
  struct putlist pl = {.n = 0};

  writeback(as, 0, USER_TOP);
  as_op_begin(as);
  for (int i = 0; i < as->nregions; i++)
    region_let_go(&as->regions[i], &pl);
  pt_clear(as->pt, TRAMPOLINE);
  pt_clear(as->pt, TRAPFRAME);
  pt_destroy(as->pt, as->top);
  if (as->rset)
    kfree(as->rset); /* a page of its own (evict.c) */
  as->rset = 0;
  as->pt = 0;
  as->nregions = 0;
  as->brk = 0;
  as->inuse = 0;
  as_op_end(as);
  put_all(&pl);
}

/* Map the trapframe page at physical address trapframe at TRAPFRAME instead
 * of the one mapped now (a vfork child borrowing its parent's space, and
 * giving it back). Every hart flushes its TLB on the way to user mode. */
void
as_set_trapframe(struct aspace *as, uint64 trapframe)
{
  as_op_begin(as);
  pte_t *pte = walk(as->pt, TRAPFRAME);
  if (pte == 0)
    panic("as_set_trapframe: no trapframe mapping");
  *pte = PA2PTE(trapframe) | PTE_R | PTE_W | PTE_V;
  as_op_end(as);
}

/* as is complete (exec has loaded it): page replacement may take its
 * pages from now on. Before, exec may hold a frame of it (as_frame) that
 * must stay put. */
void
as_unpin(struct aspace *as)
{
  as_op_begin(as);
  as->pinned = 0;
  as_op_end(as);
}

/* The satp value that selects as's page table. */
uint64
as_satp(struct aspace *as)
{
  return MAKE_SATP(as->pt);
}

/* --- regions ------------------------------------------------------------- */

/* The region holding va, or 0. Caller holds as->lock. */
struct region *
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
int
region_zero_fills(int kind)
{
  return kind == REGION_BSS || kind == REGION_HEAP;
}

/* Is r a running program's own file-backed text or data (made by exec)? */
int
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
 * text_maps). Inline: fork and exit pass every region through it and the
 * next, and most regions map no file. */
static inline void
region_hold(struct region *r)
{
  if (r->ip)
    as_pager->hold(r->ip, region_is_program(r), region_writes_file(r));
}

/* r is going away: its file reference goes on pl. */
static inline void
region_let_go(struct region *r, struct putlist *pl)
{
  if (r->ip == 0)
    return;
  as_pager->unhold(r->ip, region_is_program(r), region_writes_file(r));
  pl->ip[pl->n++] = r->ip;
}

/* Put the references pl collected (the pager may sleep). The caller holds
 * no spinlock. */
static void
put_all(struct putlist *pl)
{
  if (pl->n > 0)
    as_pager->put(pl->ip, pl->n);
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
  as_op_begin(as);
  int ret = region_insert(as, r);
  as_op_end(as);
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
    char *mem = pte ? kalloc_user() : 0;
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
  as_op_begin(as);
  int r = populate(as, start, end);
  as_op_end(as);
  return r;
}

/* The protection of the region holding va, or 0 if none does. */
int
as_prot(struct aspace *as, uint64 va)
{
  as_op_begin(as);
  struct region *r = region_at(as, va);
  int prot = r ? r->prot : 0;
  as_op_end(as);
  return prot;
}

/* The frame behind populated page va, or 0. For exec, loading a new image
 * that nobody else can see yet. */
uint64
as_frame(struct aspace *as, uint64 va)
{
  as_op_begin(as);
  uint64 pa = walkaddr(as->pt, va);
  as_op_end(as);
  return pa;
}

/* --- stack growth -------------------------------------------------------- */

/* An access to va, which no region allows, may be the stack outgrowing its
 * region: it is if va lies in the guard region right below the stack, but
 * not in the guard's lowest page, and the access is a store, or at or
 * above the user's stack pointer sp. (A compiler may store into a new
 * frame before it moves sp down over it, but nothing reads below sp: a
 * read there, like usertests' stacktest, still kills.) Then the stack
 * grows down to va's page, with zeroed frames, and the guard shrinks.
 * Returns 0 if the stack grew, -1 if not (or memory ran out). */
int
as_grow_stack(struct aspace *as, uint64 va, enum access access, uint64 sp)
{
  int ret = -1;
  uint64 page = PGROUNDDOWN(va);
  as_op_begin(as);
  struct region *g = region_at(as, va), *s = region_at(as, g ? g->end : 0);
  if (g && s && g->kind == REGION_GUARD && s->kind == REGION_STACK &&
      (access == ACCESS_WRITE || va >= sp) && page >= g->start + PGSIZE) {
    uint64 old = s->start;
    g->end = s->start = page;
    if ((ret = populate(as, page, old)) != 0)
      g->end = s->start = old;
  }
  as_op_end(as);
  return ret;
}

/* --- the break ----------------------------------------------------------- */

/* Set the first break of a new image: brk, page-aligned, above every
 * region. Returns 0 or -1. */
int
as_start_break(struct aspace *as, uint64 brk)
{
  as_op_begin(as);
  int ok = brk % PGSIZE == 0 && brk <= USER_TOP &&
           (as->nregions == 0 || as->regions[as->nregions - 1].end <= brk);
  if (ok)
    as->brk = brk;
  as_op_end(as);
  return ok ? 0 : -1;
}

/* Move the break up by n bytes: the heap region grows to cover it, with
 * zeroed frames now, or (lazy) on first touch. Returns 0, or -1 (nothing
 * changed) if the break would pass USER_TOP or run into another region, or
 * memory runs out. */
int
as_grow(struct aspace *as, uint64 n, int lazy)
{
  as_op_begin(as);
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
  as_op_end(as);
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
  as_op_begin(as);
  if (hi > lo) {
    if (!regions_cut_fits(as, lo, hi))
      panic("as_shrink: a region straddles the break");
    if (pt_unmap(as->pt, lo, hi) != 0) {
      as_op_end(as);
      return -1;
    }
    sfence_vma();
    regions_cut(as, lo, hi, &pl);
  }
  as->brk -= n;
  as_op_end(as);
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
  as_op_begin(parent);
  how.private_only = maps_shared_file(parent) ? 0 : LEAF_PRIVATE;
  as_op_begin(child);
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
  child->pinned = 0;
  as_op_end(child);
  as_op_end(parent);
  return r;
}

/* --- file mappings ------------------------------------------------------- */

/* Write back to their files the shared file pages in [lo, hi) that as maps
 * writable: those it may have stored to (a page becomes writable only at
 * a store); first, the pages page replacement made read-only to write
 * them back, so that they too are in their files on return. The caller
 * holds no lock (the writes take files' locks); only as's owner changes
 * as, so the PTEs looked at stay put while the lock is released for the
 * I/O. */
static void
writeback(struct aspace *as, uint64 lo, uint64 hi)
{
  as_op_begin(as);
  int any = maps_shared_file(as);
  as_op_end(as);
  if (any)
    as_pager->write_queued(1); /* pages page replacement is writing back */
  for (int i = 0; any; i++) {
    as_op_begin(as);
    if (i >= as->nregions) {
      as_op_end(as);
      return;
    }
    struct region r = as->regions[i];
    as_op_end(as);
    if (!r.shared || r.ip == 0 || r.end <= lo || r.start >= hi)
      continue;
    uint64 end = r.end < hi ? r.end : hi;
    for (uint64 va = r.start > lo ? r.start : lo; va < end; va += PGSIZE) {
      as_op_begin(as);
      va = pt_next_table(as->pt, va, end); /* lazily touched mappings are sparse */
      pte_t *pte = va < end ? walk(as->pt, va) : 0;
      uint64 pa = pte && (*pte & (PTE_V | PTE_W)) == (PTE_V | PTE_W) ? PTE2PA(*pte) : 0;
      as_op_end(as);
      if (pa)
        as_pager->writeback(r.ip, (r.off + (va - r.start)) / PGSIZE, pa);
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
  as_op_begin(as);
  int ret = off % PGSIZE ? -1 : region_insert(as, r);
  if (ret == 0)
    region_hold(region_at(as, start));
  as_op_end(as);
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
  as_op_begin(as);
  if (addr == 0)
    addr = free_range(as, len);
  struct region r = {addr, addr + len, prot, REGION_MMAP, shared, ip, off};
  int ok = addr != 0 && addr + len > addr && region_insert(as, r) == 0;
  if (ok)
    region_hold(region_at(as, addr));
  as_op_end(as);
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
  as_op_begin(as);
  for (int i = 0; i < as->nregions; i++) {
    struct region *r = &as->regions[i];
    if (r->start < end && r->end > addr && r->kind != REGION_MMAP) {
      as_op_end(as);
      return -1;
    }
  }
  as_op_end(as);
  writeback(as, addr, end);
  as_op_begin(as);
  int ret = regions_cut_fits(as, addr, end) ? pt_unmap(as->pt, addr, end) : -1;
  if (ret == 0) {
    sfence_vma();
    regions_cut(as, addr, end, &pl);
  }
  as_op_end(as);
  put_all(&pl);
  return ret;
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
  as_op_begin(as);
  pte_t *pte = walk(as->pt, q->va);
  if (pte && (*pte & PTE_V)) {
    q->pa = PTE2PA(*pte);
    q->flags = PTE_FLAGS(*pte);
    q->refcount = frame_managed(q->pa) ? frame_refcount(q->pa) : 0;
  } else if (pte && pte_swapped(*pte)) {
    q->flags = PTE_FLAGS(*pte);
    q->slot = pte_slot(*pte);
    q->slotrefs = slot_refcount(q->slot);
  }
  if (pte) {
    q->table = PGROUNDDOWN((uint64)pte);
    q->tablerefs = frame_refcount(q->table);
  }
  as_op_end(as);
}

/* How many pages of as are in memory (PTEs of its own frames; the zero
 * frame's do not count) and, in *swapped, how many are in swap: what the
 * out-of-memory killer weighs. */
uint64
as_footprint(struct aspace *as, uint64 *swapped)
{
  uint64 resident = 0, out = 0;
  as_op_begin(as);
  for (uint64 va = pt_next_table(as->pt, 0, as->top); va < as->top;
       va = pt_next_table(as->pt, va, as->top)) {
    pte_t *pte = walk(as->pt, va);
    if (pte && (*pte & PTE_V) && PTE2PA(*pte) != zero_frame())
      resident++;
    else if (pte && pte_swapped(*pte))
      out++;
    va += PGSIZE;
  }
  as_op_end(as);
  *swapped = out;
  return resident;
}

/* Copy up to max of as's regions to out, in address order. Returns how many
 * regions as has (which may be more than max). */
int
as_regions(struct aspace *as, struct vmregion *out, int max)
{
  as_op_begin(as);
  int n = as->nregions;
  for (int i = 0; i < n && i < max; i++) {
    out[i].start = as->regions[i].start;
    out[i].end = as->regions[i].end;
    out[i].prot = as->regions[i].prot;
    out[i].kind = as->regions[i].kind;
    out[i].shared = as->regions[i].shared;
    out[i].inum = as->regions[i].ip ? as_pager->inum(as->regions[i].ip) : 0;
    out[i].off = as->regions[i].off;
  }
  as_op_end(as);
  return n;
}

/* as's event counters and break, in *st (frame fields left 0). */
void
as_counts(struct aspace *as, struct memstat *st)
{
  as_op_begin(as);
  *st = as->counts;
  st->sz = as->brk;
  as_op_end(as);
}

/* Add from's event counters to as's: exec moves a process's counters to
 * its new space, so they run from fork across exec. Neither space is in
 * use by another process (caller: exec, before the switch). */
void
as_add_counts(struct aspace *as, struct aspace *from)
{
  _Static_assert(sizeof(struct memstat) % sizeof(uint64) == 0, "memstat: uint64 fields only");
  uint64 *to = (uint64 *)&as->counts, *add = (uint64 *)&from->counts;
  as_op_begin(from);
  for (int i = 0; i < sizeof(struct memstat) / sizeof(uint64); i++)
    to[i] += add[i];
  as_op_end(from);
}
