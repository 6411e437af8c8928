/* frame.h: the reference-count array of kalloc.c, for the loops that cannot
 * afford a function call per page: fork sharing a page table's worth of
 * frames (cow.c) and a process's exit dropping them (vm.c). The rule for the
 * counts is written in kalloc.c. Such a loop loads frame_refs and
 * frame_base once (they never change after boot) and passes them in. */
#ifndef CALF_FRAME_H
#define CALF_FRAME_H

extern uint32 *frame_refs; /* indexed by (pa - frame_base) / PGSIZE */
extern uint64 frame_base;

void frame_release(uint64 pa, uint32 oldcount);

/* One more reference on the frame that valid PTE pte maps (so the frame is
 * managed and allocated, and no check is needed). basepfn = frame_base/PGSIZE. */
static inline void
frame_ref_pte(uint32 *refs, uint64 basepfn, pte_t pte)
{
  __atomic_fetch_add(&refs[(pte >> 10) - basepfn], 1, __ATOMIC_RELAXED);
}

/* Drop the reference that PTE pte, which is going away, held; the last
 * reference returns the frame to the free list. The caller has issued a
 * release fence since its last use of the frame (one fence can serve a whole
 * table), so that another hart that frees the frame sees those uses done. */
static inline void
frame_unref_pte(uint32 *refs, uint64 basepfn, pte_t pte)
{
  uint32 old = __atomic_fetch_sub(&refs[(pte >> 10) - basepfn], 1, __ATOMIC_RELAXED);
  if (old <= 1) {
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* others' last uses come before reuse */
    frame_release(PTE2PA(pte), old);
  }
}

#endif
