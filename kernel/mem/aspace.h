/* aspace.h: address spaces (aspace.c, fault.c, uaccess.c, memcheck.c), the
 * layer between processes and pages. An address space is a page table, a short sorted list of regions
 * that say what each range of user addresses is, the program break, and its
 * memory counters. A process points at one; a vfork child borrows its
 * parent's. Every call takes the address space it works on; nothing here asks
 * which process is running.
 *
 * Layers, calls going down only:
 *   processes (proc.c, exec.c, sys*.c)
 *     -> address spaces (aspace.c: regions, sbrk, fork, mmap; fault.c: the
 *        fault path; uaccess.c: copyin/copyout; memcheck.c: the auditor)
 *     -> page decisions (cow.c: zero-fill, reuse, copy, fork's sharing)
 *     -> page tables (pagetable.c) -> frames (kalloc.c)
 */
#ifndef CALF_ASPACE_H
#define CALF_ASPACE_H

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/memstat.h"

/* User memory lies below USER_TOP; the trapframe and trampoline above. */
#define USER_TOP TRAPFRAME

struct inode;

/* A range of user addresses and what it holds. Regions of one address space
 * are sorted by start and never overlap; an address in no region is bad. A
 * page in a region has a PTE only once it has been touched or loaded. A
 * file-backed region (ip set: mmap, exec's text and data) gets its pages
 * from the page cache on first touch; of the others, bss and heap pages are
 * zero-filled on first touch and the rest are populated when made. */
struct region {
  uint64 start;     /* page-aligned */
  uint64 end;       /* page-aligned, > start */
  int prot;         /* PTE_R | PTE_W | PTE_X of its pages; 0 for the guard */
  int kind;         /* REGION_* (memstat.h) */
  int shared;       /* file-backed: stores reach the file (MAP_SHARED) */
  struct inode *ip; /* file-backed: the file, which the region holds a reference on */
  uint64 off;       /* file-backed: the file offset of start, page-aligned */
};

#define NREGION 16

/* lock guards every field below it and the page table's user PTEs: whoever
 * changes a PTE, a region or brk holds it, and so does whoever reads another
 * process's (vmquery, vmregions, memcheck). The one exception: page
 * replacement changes PTEs of a leaf table several spaces share holding one
 * sharer's lock only, by its own protocol (evict.c). Taken after p->lock and pipe or
 * console locks, before the frame allocator's; nothing that sleeps is done
 * while holding it. */
struct aspace {
  struct spinlock lock;
  int inuse;      /* slot of the aspace pool taken */
  pagetable_t pt; /* root page table */
  struct region regions[NREGION];
  int nregions;
  uint64 brk;            /* program break: sbrk(0) */
  uint64 top;            /* the highest end any region ever had: pt maps nothing at or
                            above it but the trampoline and the trapframe */
  int noload;            /* >0: kernel copies may not read file pages (owner only: as_loads) */
  int pinned;            /* page replacement leaves it alone (exec builds it: as_unpin) */
  struct rset *rset;     /* a limit on resident heap pages, or 0 (evict.c: rset_admit) */
  struct memstat counts; /* events in this address space (no frame fields) */
};

/* What an access to user memory tries to do (vm_fault, the kernel's
 * copies). */
enum access { ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC };

/* What a fault comes to (vm_fault, fault.c and cow.c): FAULT_OK, the access
 * not allowed, or allowed but out of memory, saying for what (fault_why). */
#define FAULT_OK          0
#define FAULT_BAD         (-1) /* the access is not allowed */
#define FAULT_NOMEM_ZERO  (-2) /* no frame for a page of zeros */
#define FAULT_NOMEM_COPY  (-3) /* no frame for a copy-on-write copy */
#define FAULT_NOMEM_TABLE (-4) /* no frame for a page table */
#define FAULT_NOMEM_FILE  (-5) /* no frame for a page of a file */
#define FAULT_NOMEM_SWAP  (-6) /* no frame for a page coming back from swap */
/* Inside the fault path only (cow.c to fault.c): the PTE changed under the
 * fault (page replacement took the page from a shared leaf table): look
 * again. */
#define FAULT_AGAIN 1
/* The page must be read (from a file, or from swap) but the caller holds a
 * spinlock and may not wait: the kernel's copies return COPY_WAIT for it. */
#define FAULT_WAIT 4

static inline int
fault_nomem(int r)
{
  return r <= FAULT_NOMEM_ZERO;
}

void aspace_init(void);
struct aspace *as_create(uint64 trapframe);
void as_destroy(struct aspace *as);
void as_set_trapframe(struct aspace *as, uint64 trapframe);
void as_unpin(struct aspace *as);
uint64 as_footprint(struct aspace *as, uint64 *swapped);
uint64 as_satp(struct aspace *as);

int as_add_region(struct aspace *as, uint64 start, uint64 end, int prot, int kind);
int as_populate(struct aspace *as, uint64 start, uint64 end);
int as_prot(struct aspace *as, uint64 va);
uint64 as_frame(struct aspace *as, uint64 va);
int as_start_break(struct aspace *as, uint64 brk);
int as_grow_stack(struct aspace *as, uint64 va, enum access access, uint64 sp);
int as_grow(struct aspace *as, uint64 n, int lazy);
int as_shrink(struct aspace *as, uint64 n);
int as_fork(struct aspace *parent, struct aspace *child, uint64 shortcut_va, int share_tables);
int as_add_file_region(struct aspace *as, uint64 start, uint64 end, int prot, int kind,
                       struct inode *ip, uint64 off, int shared);
uint64 as_mmap(struct aspace *as, uint64 addr, uint64 len, int prot, int shared, struct inode *ip,
               uint64 off);
int as_munmap(struct aspace *as, uint64 addr, uint64 len);
int as_prefault(struct aspace *as, uint64 va, uint64 len);
int as_fault_in(struct aspace *as, uint64 va, uint64 len, enum access access);
int swap_in_all(void);
void as_loads(struct aspace *as, int allowed);

int vm_fault(struct aspace *as, uint64 va, enum access access);
const char *fault_why(int r);
/* What copyout, copyin and copyinstr return when a page must be read, or
 * memory made, first and the caller holds a spinlock: release it,
 * as_fault_in the buffer for the copy's access, and try again. */
#define COPY_WAIT (-2)
int copyout(struct aspace *as, uint64 dstva, char *src, uint64 len);
int copyin(struct aspace *as, char *dst, uint64 srcva, uint64 len);
int copyinstr(struct aspace *as, char *dst, uint64 srcva, uint64 max);

void as_query(struct aspace *as, uint64 va, struct vmquery *q);
int as_regions(struct aspace *as, struct vmregion *out, int max);
void as_counts(struct aspace *as, struct memstat *st);
void as_add_counts(struct aspace *as, struct aspace *from);
int memcheck(struct memcheck *mc);
void memcheck_init(void);

#endif
