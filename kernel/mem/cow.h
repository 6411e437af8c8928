/* cow.h: the decisions of copy-on-write (cow.c): zero-fill, reuse, copy,
 * and fork's sharing of one leaf table's pages or of the table itself.
 * Called by the address-space layer only, with the address space's lock
 * held. */
#ifndef CALF_COW_H
#define CALF_COW_H

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "kernel/mem/aspace.h"

extern struct memstat memstat_global; /* system-wide event counters */

void cowinit(void);
uint64 zero_frame(void);
/* One call per decision of the fault path (fault.c): each takes the page
 * table and the page, makes the leaf table its own first (leaf_own), and
 * returns FAULT_OK or why not (aspace.h). */
int page_fresh(pagetable_t pt, uint64 va, enum access access, pte_t **ptep, struct memstat *mc);
int cow_fault(pagetable_t pt, uint64 va, pte_t found, pte_t **ptep, struct memstat *mc);
int shared_fault(pagetable_t pt, uint64 va, pte_t **ptep, struct memstat *mc);
int page_back(pagetable_t pt, uint64 va, pte_t s, uint64 pa, struct memstat *mc);
int page_file(pagetable_t pt, uint64 va, uint64 pa, int prot, int shared, int write, int cow,
              struct memstat *mc);
/* What fork_leaf may assume and do (its flags). */
#define LEAF_SHARE   1 /* give the child the leaf table itself */
#define LEAF_PRIVATE 2 /* the space maps no shared file: no PTE is PTE_SHARED */
int fork_leaf(pte_t *pl1, pte_t *cl1, uint64 base, uint64 end, uint64 shortcut_va, int flags,
              struct memstat *mc);
pte_t *leaf_own(pagetable_t pt, uint64 va, struct memstat *mc);

#endif
