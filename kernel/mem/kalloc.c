/* kalloc.c: physical frames.
 *
 * The allocator owns every 4 KiB frame of RAM that the device tree lists and
 * that is not the kernel image, the device tree, a reserved range, or the
 * arrays the allocator keeps about frames. Free frames come from two places:
 * a list of frames that have been freed (`recycled`), and the ranges never
 * handed out since boot (`fresh`), taken in order; so boot touches no free
 * frame at all.
 *
 * A reserve: while page replacement can make room (there is a swap disk),
 * the last `kept` free frames go only to the kernel's own allocations
 * (kalloc), never to a user page (kalloc_user), whose fault makes room
 * instead; so a pipe, a process, a page table, or a copy made under a
 * spinlock finds a frame although some process keeps memory full.
 *
 * Locking: `lock` guards recycled, fresh and nfree; `kept` is set at boot
 * and read atomically.
 */
/* Reference counts. They are not under the lock: they change with atomic
 * operations only, following the ordering rules in frame.h, so fork can
 * share thousands of frames without taking a global lock per page. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/platform/fdt.h"
#include "kernel/mem/frame.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"

extern char kernel_start[], end[];

struct run {
  struct run *next;
};

#define MAXFRESH (FDT_MAX_MEM * (FDT_MAX_RESV + 2))

static struct {
  struct spinlock lock;
  struct run *recycled;
  struct fdt_range fresh[MAXFRESH]; /* untouched ranges, page-aligned */
  int nfresh;
  uint64 nfree;
  uint64 kept; /* the reserve: free frames only kalloc may take */
} fmem;

/* The counts (frame.h says what a count is and how it may change): kalloc
 * sets one to 1, frame_ref adds one, frame_unref drops one and frees the frame
 * when it reaches 0, kfree drops the only one. */
uint32 *frame_refs;
uint64 frame_base;
static uint64 ram_frames, total;

/* One bit per frame for an auditor to mark the frames it has seen (frame.h:
 * frame_mark); the auditor's own lock guards them. */
static uint64 *frame_marks;

/* Is pa a page-aligned address inside the RAM the allocator manages? */
int
frame_managed(uint64 pa)
{
  return pa % PGSIZE == 0 && pa >= frame_base && (pa - frame_base) / PGSIZE < ram_frames;
}

/* Index of managed frame pa; panics on an address the allocator does not own. */
static uint64
frame_index(uint64 pa)
{
  if (!frame_managed(pa))
    panic("frame_index: address not a managed frame");
  return (pa - frame_base) / PGSIZE;
}

/* Remove [base, base+size) from the fresh ranges, splitting one if needed. */
static void
carve(uint64 base, uint64 size)
{
  uint64 lo = PGROUNDDOWN(base), hi = PGROUNDUP(base + size);

  for (int i = 0; i < fmem.nfresh; i++) {
    struct fdt_range *r = &fmem.fresh[i];
    uint64 rlo = r->base, rhi = r->base + r->size;
    if (hi <= rlo || lo >= rhi)
      continue;
    if (lo > rlo && hi < rhi) {
      if (fmem.nfresh == MAXFRESH)
        panic("carve: too many free ranges");
      fmem.fresh[fmem.nfresh].base = hi;
      fmem.fresh[fmem.nfresh].size = rhi - hi;
      fmem.nfresh++;
      r->size = lo - rlo;
    } else if (lo > rlo) {
      r->size = lo - rlo;
    } else if (hi < rhi) {
      r->base = hi;
      r->size = rhi - hi;
    } else {
      r->size = 0;
    }
  }
}

/* A zeroed array of size bytes in the first fresh range large enough for
 * it, never to be handed out. Caller holds fmem.lock, or runs before the
 * other harts. */
static void *
carve_array(uint64 size)
{
  uint64 need = PGROUNDUP(size);
  int i;
  for (i = 0; i < fmem.nfresh && fmem.fresh[i].size < need; i++)
    ;
  if (i == fmem.nfresh)
    panic("frames_init: no room for the arrays about frames");
  void *a = (void *)fmem.fresh[i].base;
  carve(fmem.fresh[i].base, need);
  memset(a, 0, need);
  return a;
}

/* Build the free ranges and the arrays about frames from the device tree.
 * Called once, on the boot hart, before paging is on. */
void
frames_init(void)
{
  uint64 lo = ~0UL, hi = 0;

  initlock(&fmem.lock, "frames");
  for (int i = 0; i < machine.nmem; i++) {
    struct fdt_range *m = &machine.mem[i];
    uint64 b = PGROUNDUP(m->base), e = PGROUNDDOWN(m->base + m->size);
    if (e <= b)
      continue;
    fmem.fresh[fmem.nfresh].base = b;
    fmem.fresh[fmem.nfresh].size = e - b;
    fmem.nfresh++;
    lo = b < lo ? b : lo;
    hi = e > hi ? e : hi;
  }
  if (hi == 0)
    panic("frames_init: no usable RAM in the device tree");
  frame_base = lo;
  ram_frames = (hi - lo) / PGSIZE;

  carve((uint64)kernel_start, (uint64)end - (uint64)kernel_start);
  for (int i = 0; i < machine.nresv; i++)
    carve(machine.resv[i].base, machine.resv[i].size);

  frame_refs = carve_array(ram_frames * sizeof(uint32));
  frame_marks = carve_array((ram_frames + 63) / 64 * sizeof(uint64));
  for (int i = 0; i < fmem.nfresh; i++)
    fmem.nfree += fmem.fresh[i].size / PGSIZE;
  total = fmem.nfree;
}

static int (*reclaim_hook)(void);

/* Register the function kalloc calls when no frame is free (frame.h). */
void
frames_set_reclaim(int (*reclaim)(void))
{
  reclaim_hook = reclaim;
}

/* Ask the page cache to drop the pages nobody maps (page replacement,
 * having taken PTEs off file pages). Returns the frames freed. */
int
frames_reclaim(void)
{
  return reclaim_hook ? reclaim_hook() : 0;
}

/* Take a free frame off the lists, unless no more than `leave` are free;
 * or return 0. */
static uint64
take_frame(uint64 leave)
{
  uint64 pa = 0;

  acquire(&fmem.lock);
  if (fmem.nfree <= leave) {
    release(&fmem.lock);
    return 0;
  }
  if (fmem.recycled) {
    pa = (uint64)fmem.recycled;
    fmem.recycled = fmem.recycled->next;
  } else {
    for (int i = 0; i < fmem.nfresh; i++) {
      if (fmem.fresh[i].size == 0)
        continue;
      pa = fmem.fresh[i].base;
      fmem.fresh[i].base += PGSIZE;
      fmem.fresh[i].size -= PGSIZE;
      break;
    }
  }
  if (pa)
    fmem.nfree--;
  release(&fmem.lock);
  return pa;
}

/* Put frame pa on the free list. */
static void
give_frame(uint64 pa)
{
  struct run *r = (struct run *)pa;
  acquire(&fmem.lock);
  r->next = fmem.recycled;
  fmem.recycled = r;
  fmem.nfree++;
  release(&fmem.lock);
}

/* A frame taken with at most `leave` others free (take_frame), the
 * caller its one holder. When none is, the page cache gives back what
 * nobody maps first. Returns 0 when memory is exhausted. */
static void *
alloc_leaving(uint64 leave)
{
  uint64 pa = take_frame(leave);
  if (pa == 0 && reclaim_hook && reclaim_hook() > 0)
    pa = take_frame(leave);
  if (pa && __atomic_exchange_n(&frame_refs[frame_index(pa)], 1, __ATOMIC_RELAXED) != 0)
    panic("kalloc: a free frame had references");
  return (void *)pa;
}

/* Allocate one frame for the kernel's use, its caller its one holder,
 * contents undefined; the reserve is the kernel's to take. Returns 0 when
 * memory is exhausted. */
void *
kalloc(void)
{
  return alloc_leaving(0);
}

/* Allocate one frame for a user page, as kalloc, but never one of the
 * reserve: returns 0 while no more than the reserve is free, for the
 * fault to make room (page replacement) and try again. */
void *
kalloc_user(void)
{
  return alloc_leaving(__atomic_load_n(&fmem.kept, __ATOMIC_RELAXED));
}

/* Keep the last n free frames from user pages (0: none); page replacement
 * sets it once it has a swap disk to make room with. */
void
frames_keep(uint64 n)
{
  __atomic_store_n(&fmem.kept, n, __ATOMIC_RELAXED);
}

/* Take one more reference on frame pa (which must be allocated). */
void
frame_ref(uint64 pa)
{
  if (__atomic_fetch_add(&frame_refs[frame_index(pa)], 1, __ATOMIC_RELAXED) == 0)
    panic("frame_ref: frame is free");
}

/* Drop one reference on frame pa; the last one returns it to the free list.
 * Rules 2 and 3 of frame.h: a release decrement, an acquire before freeing. */
void
frame_unref(uint64 pa)
{
  uint32 old = __atomic_fetch_sub(&frame_refs[frame_index(pa)], 1, __ATOMIC_ACQ_REL);
  if (old <= 1)
    frame_release(pa, old);
}

/* Free frame pa, of which the caller holds the only reference (a page-table
 * page, a pipe buffer, a trapframe). A frame someone else still holds is a
 * kernel bug. */
void
kfree(void *pa)
{
  uint32 old = __atomic_fetch_sub(&frame_refs[frame_index((uint64)pa)], 1, __ATOMIC_ACQ_REL);
  if (old != 1)
    panic(old == 0 ? "kfree: frame already free" : "kfree: frame still has other references");
  frame_release((uint64)pa, old);
}

/* The count of frame pa has just dropped from oldcount: 1 means that was the
 * last reference, so the frame goes back on the free list; 0 means it was
 * already free, a kernel bug. */
void
frame_release(uint64 pa, uint32 oldcount)
{
  if (oldcount == 0)
    panic("frame_release: frame already free");
  give_frame(pa);
}

/* Current reference count of frame pa (a snapshot: others may change it). */
int
frame_refcount(uint64 pa)
{
  return __atomic_load_n(&frame_refs[frame_index(pa)], __ATOMIC_RELAXED);
}

/* Does the caller, holding a reference to frame pa, hold the only one? A yes
 * stays true (nobody can take a reference without holding one) and, by the
 * acquire (rule 3 of frame.h), every former holder's last access to the frame
 * happened before the caller's next one: the caller may write it in place. */
int
frame_is_last(uint64 pa)
{
  return __atomic_load_n(&frame_refs[frame_index(pa)], __ATOMIC_ACQUIRE) == 1;
}

/* Free frames right now. */
uint64
frames_free(void)
{
  return __atomic_load_n(&fmem.nfree, __ATOMIC_RELAXED);
}

/* Frames the allocator manages in all. */
uint64
frames_total(void)
{
  return total;
}

/* How many frames the allocator's arrays span: frame pa has index
 * (pa - frame_base) / PGSIZE, below this. */
uint64
frames_span(void)
{
  return ram_frames;
}

/* A zeroed table of size bytes, taken for good from frames never handed
 * out: for a subsystem that keeps something per frame (the page cache).
 * Boot hart, once per table, before the other harts run. */
void *
frames_carve(uint64 size)
{
  acquire(&fmem.lock);
  void *a = carve_array(size);
  uint64 pages = PGROUNDUP(size) / PGSIZE;
  fmem.nfree -= pages;
  total -= pages;
  release(&fmem.lock);
  return a;
}

/* Mark managed frame pa; returns 1 if it was not marked yet. */
int
frame_mark(uint64 pa)
{
  uint64 i = frame_index(pa), bit = 1UL << (i % 64);
  int first = !(frame_marks[i / 64] & bit);
  frame_marks[i / 64] |= bit;
  return first;
}

/* Clear every frame's mark. */
void
frame_marks_clear(void)
{
  memset(frame_marks, 0, (ram_frames + 63) / 64 * sizeof(uint64));
}

/* Operations on the counts, begun and ended (frame.h). */
struct frame_ops frame_ops;

/* If no operation is under way, store a token for frame_ops_since and
 * return 1; else return 0. */
int
frame_ops_quiet(uint64 *token)
{
  uint64 begun = __atomic_load_n(&frame_ops.begun, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&frame_ops.ended, __ATOMIC_SEQ_CST) != begun)
    return 0;
  *token = begun;
  return 1;
}

/* Has an operation begun since frame_ops_quiet gave token? */
int
frame_ops_since(uint64 token)
{
  return __atomic_load_n(&frame_ops.begun, __ATOMIC_SEQ_CST) != token;
}
