/* frame.h: physical frames (kalloc.c), the lowest layer of memory.
 * Everything above (page tables, page decisions, address spaces) calls down
 * into it; it calls nothing above.
 */
/* Reference counts. The count of a frame is the number of PTEs, across all
 * page tables, that map it, plus the holds the kernel keeps on it (a kernel stack, a
 * trapframe, a pipe buffer, a root or level-1 page table, the zero frame,
 * the page cache's page, the swap cache's: one each). A leaf page table that several page tables share is counted
 * once: its PTEs count once, and its own count is the number of level-1
 * PTEs that point at it (pagetable.c). It is 0 exactly when the frame is
 * free or not managed.
 *
 * Ordering rules for the counts, the only place they are written:
 *  1. An increment is relaxed: whoever takes a reference already holds one
 *     (a PTE it copies, a kernel hold), so the frame cannot go away meanwhile.
 *  2. A decrement is a release operation: a release RMW, or a relaxed RMW
 *     after a release fence that covers it (one fence may serve a whole
 *     table of decrements). So this holder's reads and writes of the frame
 *     come before anyone who later sees the smaller count.
 *  3. Whoever acts on a count it read (frees the frame when it reached 0,
 *     reuses the frame in place when it reads 1) first performs an acquire:
 *     an acquire load, or an acquire fence after the RMW. With rule 2, every
 *     other holder's last access to the frame happens before the frame is
 *     freed or written by its last holder.
 * The acquirers: frame_unref and kfree (an acq-rel decrement), frame_unref_pte
 * (an acquire fence once the count reached 0) and the reuse test
 * (frame_is_last, an acquire load).
 */
#ifndef CALF_FRAME_H
#define CALF_FRAME_H

#include "kernel/types.h"
#include "kernel/riscv.h"

void frames_init(void);
void *kalloc(void);
void *kalloc_user(void);
void frames_keep(uint64 n);
void kfree(void *pa);
/* Let go of a frame (its last holder frees it); how many hold it now. */
void frame_unref(uint64 pa);
int frame_refcount(uint64 pa);
void frame_ref(uint64 pa);
int frame_is_last(uint64 pa);
int frame_managed(uint64 pa);
extern uint64 frame_base; /* frame pa is number (pa - frame_base) / PGSIZE */
uint64 frames_free(void);
uint64 frames_total(void);
uint64 frames_span(void);
void *frames_carve(uint64 size);

/* The one call from frames upwards, registered at boot: when no frame is
 * free, kalloc asks the page cache to drop the pages nobody maps (a hook
 * that returns how many it freed) and tries once more. */
void frames_set_reclaim(int (*reclaim)(void));
int frames_reclaim(void);

/* Operations on user-mapped or cached frames (a fault, a fork,
 * an unmap, the page cache adding or dropping a page) are bracketed by
 * frame_op_begin and frame_op_end, so that the auditor (memcheck) can tell a
 * moment when none is half done: frame_ops_quiet gives a token when none is
 * under way, frame_ops_since says whether one began after it. */
extern struct frame_ops {
  uint64 begun;
  uint64 ended; /* equal when no operation is under way */
} frame_ops;

static inline void
frame_op_begin(void)
{
  __atomic_fetch_add(&frame_ops.begun, 1, __ATOMIC_SEQ_CST);
}

static inline void
frame_op_end(void)
{
  __atomic_fetch_add(&frame_ops.ended, 1, __ATOMIC_SEQ_CST);
}

int frame_ops_quiet(uint64 *token);
int frame_ops_since(uint64 token);

/* A mark per frame for the auditor, which walks shared page tables once
 * each: frame_mark says whether a frame is marked for the first time. The
 * caller serializes all use (memcheck's lock). */
int frame_mark(uint64 pa);
void frame_marks_clear(void);

/* The count array itself, for the loops that cannot afford a call per page:
 * fork sharing a leaf table's frames (cow.c), a leaf table copied or
 * dropping them, and the test whether a leaf table is shared (pagetable.c).
 * frame_refs[(pa - frame_base) / PGSIZE] is frame pa's count.
 * Neither variable changes after boot, so such a loop takes the array once,
 * indexed by page number (frame_counts_by_pfn), and finds a PTE's count with
 * one shift and one add. */
extern uint32 *frame_refs;

void frame_release(uint64 pa, uint32 oldcount);

/* The count array as if it started at physical page 0: element pa >> 12 is
 * frame pa's count (only managed frames' elements may be touched). */
static inline uint32 *
frame_counts_by_pfn(void)
{
  return (uint32 *)((uint64)frame_refs - (frame_base >> PGSHIFT) * sizeof(uint32));
}

/* One more reference on the frame that valid PTE pte maps (so the frame is
 * managed and allocated, and no check is needed); bypfn is
 * frame_counts_by_pfn(). Rule 1. */
static inline void
frame_ref_pte(uint32 *bypfn, pte_t pte)
{
  __atomic_fetch_add(&bypfn[pte >> 10], 1, __ATOMIC_RELAXED);
}

/* Drop the reference that PTE pte, which is going away, held; the last one
 * returns the frame to the free list. The caller has issued a release fence
 * since its last use of the frame (rule 2); the acquire fence is rule 3. */
static inline void
frame_unref_pte(uint32 *bypfn, pte_t pte)
{
  uint32 old = __atomic_fetch_sub(&bypfn[pte >> 10], 1, __ATOMIC_RELAXED);
  if (old <= 1) {
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    frame_release(PTE2PA(pte), old);
  }
}

#endif
