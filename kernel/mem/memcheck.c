/* memcheck.c: the invariant auditor. memcheck() checks, on the live system,
 * the invariant frame.h states: a frame's count equals the PTEs that map it
 * (a shared leaf table's once) plus kernel holds (the page cache's, through
 * the pager); a leaf table's count equals the level-1 PTEs that point at it;
 * a shared table is marked PTE_CLEAN and maps nothing private writable; only
 * pages of shared file mappings are PTE_SHARED; and a swap slot's count
 * equals the swapped PTEs that name it (a shared leaf table's once) plus
 * the swap cache's hold, so that no slot leaks. It walks every address
 * space of the pool, each under its lock.
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
#include "kernel/lib/string.h"

static struct spinlock audit_lock;

void
memcheck_init(void)
{
  initlock(&audit_lock, "memcheck");
}

/* memcheck (audit_lock: one at a time) counts, per frame, the user PTEs that
 * map it (a shared leaf table's once) and, per leaf table, the level-1 PTEs
 * that point at it, a chunk of frames at a time (the tally must fit in the
 * kernel), and compares the counts. */
#define AUDIT_CHUNK 16384
#define AUDIT_TRIES 100000

static uint16 tally[AUDIT_CHUNK]; /* audit_lock guards it */

struct audit {
  int slots;         /* this pass tallies swap slots, not frames */
  uint64 lo, hi;     /* frame (or slot) indices [lo, hi) tallied in this pass */
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

/* One more count expected on swap slot s, tallied if this pass's chunk
 * holds it. */
static void
audit_expect_slot(struct audit *a, uint64 s)
{
  if (s >= a->lo && s < a->hi && tally[s - a->lo] < 0xffff)
    tally[s - a->lo]++;
}

/* Is table page pa (a root or level-1 table, never shared) at count 1?
 * Checked once, on the pass whose chunk holds it. */
static void
audit_table(struct audit *a, uint64 pa)
{
  if (a->slots || audit_slot(a, pa) < 0)
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
  if (!a->slots)
    audit_expect(a, (uint64)t);
  if (!frame_managed((uint64)t))
    return;
  if (!(l1 & PTE_CLEAN) && frame_refcount((uint64)t) > 1)
    audit_unclean(a, (uint64)t);
  if (!frame_mark((uint64)t))
    return;
  if (a->lo == 0 && !a->slots)
    a->mc->tables++;
  for (int i = 0; i < 512 && base + i * PGSIZE < USER_TOP; i++) {
    pte_t pte = t[i];
    if (a->slots) {
      if (pte_swapped(pte))
        audit_expect_slot(a, pte_slot(pte));
      continue;
    }
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

/* The page cache or the swap cache holds frame pa: one more expected
 * reference. */
static void
audit_cached(void *arg, uint64 pa)
{
  struct audit *a = arg;
  if (!a->slots)
    audit_expect(a, pa);
}

/* The swap cache holds a count on slot s. */
static void
audit_cached_slot(void *arg, uint64 s)
{
  struct audit *a = arg;
  if (a->slots)
    audit_expect_slot(a, s);
}

/* Compare the counts of slots [lo, hi) with the tally: every slot, so
 * that one with a count and nothing naming it (a leak) is found too. */
static void
audit_compare_slots(struct audit *a)
{
  for (uint64 s = a->lo; s < a->hi && s <= swap_slots(); s++) {
    if (s == 0)
      continue; /* the signature's page */
    uint64 refs = slot_refcount(s), want = tally[s - a->lo];
    if (refs)
      a->mc->slots++;
    if (refs != want && a->mc->bad_slot == 0) {
      a->mc->bad_slot = s;
      a->mc->slot_refs = refs;
      a->mc->slot_maps = want;
    }
  }
}

/* Compare the counts of frames [lo, hi) that anything maps or holds with
 * the tally. */
static void
audit_compare_frames(struct audit *a)
{
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
  for (struct aspace *as = as_pool; as < &as_pool[NASPACE]; as++) {
    acquire(&as->lock);
    if (as->inuse) {
      if (a->lo == 0 && !a->slots)
        a->mc->spaces++;
      a->as = as;
      audit_table(a, (uint64)as->pt);
      audit_walk(a, as->pt, 2, 0);
    }
    release(&as->lock);
  }
  as_pager->audit(audit_cached, a);
  swap_audit(audit_cached, audit_cached_slot, a);
  if (a->slots)
    audit_compare_slots(a);
  else
    audit_compare_frames(a);
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
  a.slots = 1;
  for (a.lo = 0; r == 0 && swap_enabled() && a.lo <= swap_slots(); a.lo += AUDIT_CHUNK) {
    a.hi = a.lo + AUDIT_CHUNK;
    r = audit_pass(&a);
  }
  if (r != 0)
    return -1;
  return mc->bad_pa != 0 || mc->unclean != 0 || mc->stray != 0 || mc->bad_slot != 0;
}
