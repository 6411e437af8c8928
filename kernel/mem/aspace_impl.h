/* aspace_impl.h: what the files of the address-space layer share, and no
 * file outside mem/ includes: aspace.c (spaces, regions, the break, fork,
 * file mappings), fault.c (the fault path), uaccess.c (the kernel's copies)
 * and memcheck.c (the auditor). */
#ifndef CALF_ASPACE_IMPL_H
#define CALF_ASPACE_IMPL_H

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/frame.h"

/* Two address spaces per process: exec builds the new one before it drops
 * the old. memcheck walks them all. */
#define NASPACE (2 * NPROC)
extern struct aspace as_pool[NASPACE];

struct pager;
extern const struct pager *as_pager;

/* Take as's lock and open an operation on the frame counts (frame.h), for
 * whatever may change as: memcheck believes a walk only if no operation was
 * under way or began while it walked. */
static inline void
as_op_begin(struct aspace *as)
{
  acquire(&as->lock);
  frame_op_begin();
}

/* Close the operation and release as's lock. */
static inline void
as_op_end(struct aspace *as)
{
  frame_op_end();
  release(&as->lock);
}

/* Regions (aspace.c). Caller holds as->lock. */
struct region *region_at(struct aspace *as, uint64 va);
int region_zero_fills(int kind);
int region_is_program(struct region *r);

/* The fault path (fault.c), for the kernel's copies. */
int fault_locked(struct aspace *as, uint64 va, enum access access, pte_t **ptep);

#endif
