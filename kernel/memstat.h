/* memstat.h: what the memstat and vmquery system calls report. Shared by the
 * kernel and user programs (memstat, vmmap, cowdemo, tests). */
#ifndef CALF_MEMSTAT_H
#define CALF_MEMSTAT_H

struct memstat {
  uint64 frames_free;  /* free frames now (system-wide in both forms) */
  uint64 frames_total; /* frames the allocator manages */
  uint64 cow_faults;   /* store faults on copy-on-write pages */
  uint64 cow_copies;   /* ... resolved by copying the frame */
  uint64 cow_reuses;   /* ... resolved by reusing the last reference */
  uint64 zero_fills;   /* ... on the zero frame, resolved by a fresh zeroed frame */
  uint64 shared;       /* pages shared (not copied) by fork */
  uint64 sz;           /* the process's size in bytes (0 for the global form) */
};

/* Flags in vmquery.flags: the PTE's low bits (PTE_V, PTE_R, PTE_W, PTE_X,
 * PTE_U, PTE_COW from riscv.h). */
struct vmquery {
  uint64 va;       /* page-aligned virtual address asked about */
  uint64 pa;       /* frame behind it, 0 if not mapped */
  uint64 refcount; /* that frame's reference count */
  uint64 flags;    /* PTE flags; 0 if not mapped */
};

#endif
