/* frame.h: the reference-count array of kalloc.c, for the one loop that
 * cannot afford a function call per page: fork sharing a page table's worth
 * of frames (cow.c). The rule for the counts is written in kalloc.c. */
#ifndef CALF_FRAME_H
#define CALF_FRAME_H

extern uint32 *frame_refs; /* indexed by (pa - frame_base) / PGSIZE */
extern uint64 frame_base;

/* One more reference on frame pa, which a valid PTE maps already (so it is
 * managed and allocated, and no check is needed). */
static inline void
frame_ref_mapped(uint64 pa)
{
  __atomic_fetch_add(&frame_refs[(pa - frame_base) >> PGSHIFT], 1, __ATOMIC_RELAXED);
}

#endif
