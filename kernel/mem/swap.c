/* swap.c: swap slots and the swap cache, one layer above frames (kalloc.c)
 * and below page tables (pagetable.c), which keep slot counts as they keep
 * frame counts. The disk is the driver's (struct swapdev); calf boots
 * without one, and then no slot is ever handed out.
 *
 * A slot is one page of the swap disk. Its count (swap.h) is the number
 * of swapped PTEs that name it, a shared leaf table's once, plus one while
 * the swap cache holds a frame for it. A slot is free when its count is 0.
 *
 * The swap cache links a slot and the frame that holds its page, both
 * ways, while the frame is in memory: page replacement (evict.c) puts an
 * anonymous frame in the cache when it takes the first PTE off it
 * (swap_out), and a fault on a swapped PTE finds the frame there if it is
 * still in memory (swap_in), so that the processes sharing a page after
 * fork share one frame again, as copy-on-write had them, and nothing is
 * read twice. The cache holds one reference on its frame and one count on
 * its slot. Two rules keep it simple:
 *   - A frame in the cache is never mapped writable (a swapped PTE comes
 *     back read-only, and cow_fault copies a frame the cache also holds),
 *     so once written to its slot, or read from it, it stays clean.
 *   - An entry lives only while some swapped PTE names its slot: when the
 *     last one goes (slot_unref), the entry goes, and with it the cache's
 *     reference on the frame (drop_orphan). A frame nobody maps any more
 *     is written to its slot and freed by swap_writeout.
 *
 *   PTE (swapped, slot s) --> slot s <==cache==> frame f <-- PTE (valid)
 *
 * Locking: sw.lock, a spinlock, guards the links (sw.link, sw.cache_of),
 * the cursor and the statistics; it is taken after an address space's lock
 * and before the frame allocator's, and never held across I/O (an entry
 * being read or written is marked BUSY instead). Slot counts change with
 * atomic operations, under the rules frame.h gives for frame counts.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/mem/frame.h"
#include "kernel/mem/swap.h"
#include "kernel/memstat.h"
#include "kernel/lib/printf.h"

/* sw.link[slot]: the cached frame's index + 1 (0: none), and two marks. */
#define LINK_FRAME 0x3fffffffU
#define LINK_BUSY  (1U << 30) /* being read or written: wait, or leave it */
#define LINK_CLEAN (1U << 31) /* the slot holds what the frame holds */

static struct {
  struct spinlock lock;
  const struct swapdev *dev; /* 0: no swap */
  uint64 nslots;             /* slots on the disk, slot 0 (the signature) included */
  uint32 *refs;              /* per slot: its count (atomic) */
  uint32 *link;              /* per slot: its cached frame, and marks */
  uint32 *cache_of;          /* per frame: the slot + 1 it is cached for, or 0 */
  uint64 cursor;             /* where the search for a free slot starts */
  uint64 used;               /* slots with a count (atomic) */
  uint64 cached;             /* frames in the cache */
  uint64 pageins, pageouts;  /* pages read from and written to the disk */
} sw;

/* Use dev, of `pages` pages, as the swap disk. Boot hart, once, before
 * the other harts run (the tables are carved from fresh frames). Returns
 * 0, or -1 (after a message) if the disk is too small. */
int
swap_set_device(const struct swapdev *dev, uint64 pages)
{
  if (pages < 2) {
    printf("swap: a disk of %lu pages has no room for a slot\n", pages);
    return -1;
  }
  if (pages > LINK_FRAME)
    pages = LINK_FRAME;
  initlock(&sw.lock, "swap");
  sw.refs = frames_carve(pages * sizeof(uint32));
  sw.link = frames_carve(pages * sizeof(uint32));
  sw.cache_of = frames_carve(frames_span() * sizeof(uint32));
  sw.refs[0] = 1; /* the signature's page */
  sw.nslots = pages;
  sw.cursor = 1;
  sw.dev = dev;
  frames_keep(SWAP_KEPT_FRAMES); /* user pages can be made room for now */
  return 0;
}

/* Is there a swap disk? */
int
swap_enabled(void)
{
  return sw.dev != 0;
}

/* Slots that can hold pages (the signature's is not one). */
uint64
swap_slots(void)
{
  return sw.dev ? sw.nslots - 1 : 0;
}

/* Slots free now (a snapshot): how many more pages swap can take. */
uint64
swap_room(void)
{
  uint64 used = __atomic_load_n(&sw.used, __ATOMIC_RELAXED);
  return swap_slots() > used ? swap_slots() - used : 0;
}

/* Slot slot's count now (a snapshot). */
int
slot_refcount(uint64 slot)
{
  return __atomic_load_n(&sw.refs[slot], __ATOMIC_RELAXED);
}

static uint64
frame_no(uint64 pa)
{
  return (pa - frame_base) / PGSIZE;
}

static uint64
frame_pa(uint32 link)
{
  return frame_base + (uint64)((link & LINK_FRAME) - 1) * PGSIZE;
}

/* A free slot, its count still 0, or 0 if the disk is full. Caller holds
 * sw.lock. A full disk is known from the count of slots in use, without a
 * search: page replacement asks once for every page it meets. */
static uint64
slot_alloc(void)
{
  if (__atomic_load_n(&sw.used, __ATOMIC_RELAXED) >= sw.nslots - 1)
    return 0;
  for (uint64 n = 1; n < sw.nslots; n++) {
    uint64 s = sw.cursor;
    sw.cursor = sw.cursor + 1 < sw.nslots ? sw.cursor + 1 : 1;
    if (__atomic_load_n(&sw.refs[s], __ATOMIC_RELAXED) == 0 && sw.link[s] == 0)
      return s;
  }
  return 0;
}

/* One more count on slot (the caller holds one: a swapped PTE it copies). */
void
slot_ref(uint64 slot)
{
  if (slot == 0 || slot >= sw.nslots)
    panic("slot_ref: not a slot");
  if (__atomic_fetch_add(&sw.refs[slot], 1, __ATOMIC_RELAXED) == 0)
    panic("slot_ref: slot is free");
}

/* Forget the cache entry of slot, whose frame is pa: the caller drops the
 * cache's reference on pa once sw.lock is released. Caller holds sw.lock. */
static void
entry_remove(uint64 slot, uint64 pa)
{
  sw.cache_of[frame_no(pa)] = 0;
  sw.link[slot] = 0;
  sw.cached--;
  if (__atomic_fetch_sub(&sw.refs[slot], 1, __ATOMIC_ACQ_REL) == 1)
    __atomic_fetch_sub(&sw.used, 1, __ATOMIC_RELAXED);
}

/* Slot's count has dropped to 1: if that is the cache's, no PTE names the
 * slot any more, so the entry goes, and the cache's reference on the frame
 * (the frame stays if a PTE maps it). An entry being read or written is
 * left to the I/O's end, which looks again. */
static void
drop_orphan(uint64 slot)
{
  acquire(&sw.lock);
  uint32 l = sw.link[slot];
  uint64 pa = 0;
  if ((l & LINK_FRAME) && !(l & LINK_BUSY) &&
      __atomic_load_n(&sw.refs[slot], __ATOMIC_ACQUIRE) == 1) {
    pa = frame_pa(l);
    entry_remove(slot, pa);
  }
  release(&sw.lock);
  if (pa)
    frame_unref(pa);
}

/* Drop one count on slot (a swapped PTE going away, or replaced by a
 * valid one). */
void
slot_unref(uint64 slot)
{
  if (slot == 0 || slot >= sw.nslots)
    panic("slot_unref: not a slot");
  uint32 old = __atomic_fetch_sub(&sw.refs[slot], 1, __ATOMIC_ACQ_REL);
  if (old == 0)
    panic("slot_unref: slot is free");
  if (old == 1)
    __atomic_fetch_sub(&sw.used, 1, __ATOMIC_RELAXED);
  else if (old == 2 && __atomic_load_n(&sw.link[slot], __ATOMIC_RELAXED) != 0)
    drop_orphan(slot);
}

/* Page replacement takes valid PTE v, of an anonymous page, off its frame:
 * put the frame in the cache (with a slot of its own, unless it has one),
 * and give the PTE's replacement, which names the slot and holds a count
 * on it, in *swapped. The frame's reference that v held stays the
 * caller's, to drop once no hart can reach the frame through v. Returns
 * 0, or -1 if there is no swap disk or it is full. Caller holds the
 * address space's lock. */
int
swap_out(pte_t v, pte_t *swapped)
{
  if (sw.dev == 0)
    return -1;
  uint64 pa = PTE2PA(v), f = frame_no(pa), slot;
  acquire(&sw.lock);
  if (sw.cache_of[f]) {
    slot = sw.cache_of[f] - 1;
  } else {
    if ((slot = slot_alloc()) == 0) {
      release(&sw.lock);
      return -1;
    }
    sw.cache_of[f] = slot + 1;
    sw.link[slot] = f + 1;
    sw.cached++;
    __atomic_store_n(&sw.refs[slot], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sw.used, 1, __ATOMIC_RELAXED);
    frame_ref(pa);
  }
  __atomic_fetch_add(&sw.refs[slot], 1, __ATOMIC_RELAXED);
  release(&sw.lock);
  *swapped = swap_pte(slot, v);
  return 0;
}

/* The frame holding slot's page, with a reference for the caller: the
 * cache's frame if it has one, else a new frame read from the disk and
 * entered in the cache. The caller holds a count on slot (it keeps the
 * slot from going meanwhile) and no spinlock: a read sleeps. Returns 0,
 * or -1 if no frame is free (nothing changed). */
int
swap_in(uint64 slot, uint64 *pa)
{
  acquire(&sw.lock);
  for (;;) {
    uint32 l = sw.link[slot];
    if (l & LINK_FRAME) { /* in memory: one frame for every sharer */
      *pa = frame_pa(l);
      frame_ref(*pa);
      release(&sw.lock);
      return 0;
    }
    if (!(l & LINK_BUSY))
      break;
    sleep(&sw.link[slot], &sw.lock); /* another fault is reading it */
  }
  sw.link[slot] = LINK_BUSY;
  release(&sw.lock);

  void *mem = kalloc_user();
  if (mem)
    sw.dev->rw(slot, mem, 0);
  acquire(&sw.lock);
  if (mem) {
    uint64 f = frame_no((uint64)mem);
    sw.link[slot] = (f + 1) | LINK_CLEAN;
    sw.cache_of[f] = slot + 1;
    sw.cached++;
    sw.pageins++;
    __atomic_fetch_add(&sw.refs[slot], 1, __ATOMIC_RELAXED);
    frame_ref((uint64)mem); /* the cache's; kalloc's is the caller's */
  } else {
    sw.link[slot] = 0;
  }
  wakeup(&sw.link[slot]);
  release(&sw.lock);
  *pa = (uint64)mem;
  return mem ? 0 : -1;
}

/* Frame pa may be held by the cache alone now: if so, write it to its
 * slot (unless the slot holds it already) and free it. Sleeps; the caller
 * holds no spinlock. Returns 1 if the frame was freed. */
int
swap_writeout(uint64 pa)
{
  if (sw.dev == 0)
    return 0;
  acquire(&sw.lock);
  uint32 s1 = sw.cache_of[frame_no(pa)];
  uint64 slot = s1 - 1;
  if (s1 == 0 || (sw.link[slot] & LINK_BUSY) || frame_refcount(pa) != 1) {
    release(&sw.lock);
    return 0;
  }
  if (!(sw.link[slot] & LINK_CLEAN)) {
    sw.link[slot] |= LINK_BUSY;
    release(&sw.lock);
    sw.dev->rw(slot, (void *)pa, 1);
    acquire(&sw.lock);
    sw.link[slot] = (sw.link[slot] & ~LINK_BUSY) | LINK_CLEAN;
    sw.pageouts++;
  }
  /* A fault may have mapped the frame meanwhile; it stays then, unless no
   * PTE names the slot any more (drop_orphan left it to us). The change is
   * one operation on the counts (frame.h), for memcheck. */
  frame_op_begin();
  int freed = frame_refcount(pa) == 1;
  if (freed || __atomic_load_n(&sw.refs[slot], __ATOMIC_ACQUIRE) == 1)
    entry_remove(slot, pa);
  else
    pa = 0;
  release(&sw.lock);
  if (pa)
    frame_unref(pa);
  frame_op_end();
  return freed;
}

/* Free every frame that only the cache holds (swap_writeout). Sleeps.
 * Returns how many were freed. */
int
swap_trim(void)
{
  int freed = 0;
  if (sw.dev == 0)
    return 0;
  for (uint64 s = 1; s < sw.nslots && __atomic_load_n(&sw.cached, __ATOMIC_RELAXED) > 0; s++) {
    uint32 l = __atomic_load_n(&sw.link[s], __ATOMIC_RELAXED);
    if ((l & LINK_FRAME) && !(l & LINK_BUSY) && frame_refcount(frame_pa(l)) == 1)
      freed += swap_writeout(frame_pa(l));
  }
  return freed;
}

/* For memcheck: call frame(arg, pa) for each frame the cache holds and
 * slot(arg, s) for each count the cache holds on a slot. */
void
swap_audit(void (*frame)(void *arg, uint64 pa), void (*slot)(void *arg, uint64 slot), void *arg)
{
  if (sw.dev == 0)
    return;
  acquire(&sw.lock);
  for (uint64 s = 1; s < sw.nslots; s++) {
    if (sw.link[s] & LINK_FRAME) {
      frame(arg, frame_pa(sw.link[s]));
      slot(arg, s);
    }
  }
  release(&sw.lock);
}

/* The swap fields of *st (system-wide). */
void
swap_counts(struct memstat *st)
{
  st->swap_total = swap_slots();
  st->swap_used = __atomic_load_n(&sw.used, __ATOMIC_RELAXED);
  st->swap_cached = __atomic_load_n(&sw.cached, __ATOMIC_RELAXED);
  st->swap_reads = __atomic_load_n(&sw.pageins, __ATOMIC_RELAXED);
  st->swap_writes = __atomic_load_n(&sw.pageouts, __ATOMIC_RELAXED);
}
