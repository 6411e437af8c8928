/* memstat.h: what the memstat, vmquery, vmregions and memcheck system calls
 * report. Shared by the kernel and user programs (memstat, vmmap, cowdemo,
 * memcheck, tests). The kernel keeps its counters in struct memstat itself,
 * one system-wide and one per address space; the frame and size fields are
 * filled in when a program asks. */
#ifndef CALF_MEMSTAT_H
#define CALF_MEMSTAT_H

#include "kernel/types.h"

struct memstat {
  uint64 frames_free;    /* free frames now (system-wide in both forms) */
  uint64 frames_total;   /* frames the allocator manages */
  uint64 cow_faults;     /* store faults on copy-on-write pages */
  uint64 cow_copies;     /* ... resolved by copying the frame */
  uint64 cow_reuses;     /* ... resolved by reusing the last reference */
  uint64 zero_fills;     /* ... on the zero frame, resolved by a fresh zeroed frame */
  uint64 shared;         /* pages shared (not copied) by fork */
  uint64 sz;             /* the process's break in bytes (0 for the global form) */
  uint64 file_maps;      /* file pages mapped by faults (mmap, exec) */
  uint64 pcache_hits;    /* page-cache lookups that found the page (global) */
  uint64 pcache_misses;  /* ... that read it from the file (global) */
  uint64 pcache_dropped; /* pages the cache gave back (global) */
  uint64 pcache_pages;   /* pages in the cache now (global) */
  uint64 tables_shared;  /* leaf page tables shared (not copied) by fork */
  uint64 table_unshares; /* ... copied later, because a PTE in one had to change */
  uint64 pageouts;       /* pages page replacement took off their frames */
  uint64 pageins;        /* swapped pages brought back by faults */
  uint64 swap_total;     /* swap slots on the swap disk, 0 without one (global) */
  uint64 swap_used;      /* ... holding a page now (global) */
  uint64 swap_cached;    /* frames in the swap cache now (global) */
  uint64 swap_reads;     /* pages read from the swap disk (global) */
  uint64 swap_writes;    /* pages written to it (global) */
  uint64 file_writes;    /* shared file pages page replacement wrote back to their files (global) */
};

/* Flags in vmquery.flags: the PTE's low bits (PTE_V, PTE_R, PTE_W, PTE_X,
 * PTE_U, PTE_COW from riscv.h). */
struct vmquery {
  uint64 va;        /* page-aligned virtual address asked about */
  uint64 pa;        /* frame behind it, 0 if not mapped */
  uint64 refcount;  /* that frame's reference count: the leaf tables that map it */
  uint64 flags;     /* PTE flags; 0 if not mapped */
  uint64 table;     /* the leaf page table holding the PTE, 0 if none */
  uint64 tablerefs; /* its count: the page tables (processes) that share it */
  uint64 slot;      /* the swap slot holding the page if it is swapped out, else 0 */
  uint64 slotrefs;  /* that slot's count: the swapped PTEs that name it, +1 if cached */
};

/* cowctl's knobs: how fork shares memory (kernel/proc/proc.c), and one for
 * tests. */
#define COWCTL_SHORTCUT 0 /* the stack-page shortcut: the child's own copy of the stack page */
#define COWCTL_TABLES   1 /* share whole leaf page tables, not just their pages */
/* For tests only: a page-cache miss waits two ticks between reading its page
 * and entering it, so that a racing write() lands in between. */
#define COWCTL_SLOWMISS 2
/* Page replacement's policy: EVICT_CLOCK or EVICT_FIFO. */
#define COWCTL_EVICT 3
#define EVICT_CLOCK  0 /* second chance over the accessed bit */
#define EVICT_FIFO   1 /* every page in turn, the bit ignored */
/* Take pages off their frames now until this many are free (or none is
 * left to take): for tests and demos, which cannot wait for real pressure.
 * cowctl returns the frames freed. */
#define COWCTL_RECLAIM 4
/* Bring every swapped page back into memory (what swapoff does): for tests
 * that compare free frames before and after. cowctl returns the pages
 * brought back, or -1 if memory ran out. */
#define COWCTL_SWAPIN 5
/* Limit the caller's heap pages in memory to `on` (0: no limit), replacing
 * by the policy (COWCTL_EVICT) when one more comes in: to watch the
 * policies on a reference string (refstring). At most 500; needs swap.
 * cowctl returns 0 or -1. */
#define COWCTL_RSSLIMIT 6

/* Kinds of region (struct vmregion.kind); see kernel/mem/aspace.h. */
#define REGION_TEXT  1 /* program text and read-only data, from the ELF */
#define REGION_DATA  2 /* writable program data, from the ELF */
#define REGION_BSS   3 /* zero-filled program data, on first touch */
#define REGION_HEAP  4 /* grown by sbrk (eager) or sbrklazy (on first touch) */
#define REGION_STACK 5 /* the user stack */
#define REGION_GUARD 6 /* the page under the stack: any access is fatal */
#define REGION_MMAP  7 /* a file mapped by mmap */

/* One region of an address space, as vmregions reports it. */
struct vmregion {
  uint64 start;  /* first address */
  uint64 end;    /* one past the last; both page-aligned */
  uint64 prot;   /* PTE_R, PTE_W, PTE_X of its pages */
  uint64 kind;   /* REGION_* */
  uint64 shared; /* 1 if stores reach the file (MAP_SHARED) */
  uint64 inum;   /* the file's inode number, 0 if not file-backed */
  uint64 off;    /* the file offset of start */
};

/* What memcheck found: the reference count of every frame that user PTEs map
 * must equal the number of leaf tables that map it (plus the zero frame's
 * permanent hold), a leaf table's the number of page tables that share it,
 * any other user page-table page's 1; and a shared leaf table may map no
 * private page writable (kernel/mem/cow.c). */
struct memcheck {
  uint64 spaces;    /* address spaces walked */
  uint64 tables;    /* page-table pages checked */
  uint64 frames;    /* distinct frames checked */
  uint64 bad_pa;    /* 0, or the first frame (or table page) whose count is wrong */
  uint64 refs;      /* ... its reference count */
  uint64 maps;      /* ... the count the walk expected */
  uint64 unclean;   /* 0, or the first shared leaf table that maps a private page writable */
  uint64 stray;     /* 0, or the first page marked PTE_SHARED outside a shared file mapping */
  uint64 slots;     /* swap slots in use checked */
  uint64 bad_slot;  /* 0, or the first slot whose count is wrong */
  uint64 slot_refs; /* ... its count */
  uint64 slot_maps; /* ... the count the walk expected */
};

#endif
