/* pagetable.h: Sv39 page tables (pagetable.c): the kernel map, and walking,
 * mapping, unmapping, sharing and freeing user tables. Knows frames, nothing
 * above. */
#ifndef CALF_PAGETABLE_H
#define CALF_PAGETABLE_H

#include "kernel/types.h"
#include "kernel/riscv.h"

extern pagetable_t kernel_pagetable;

/* The addresses one leaf table maps: 512 pages, 2 MiB; also the size of a
 * megapage, a level-1 leaf (the kernel map uses them). */
#define LEAF_SPAN (1UL << PXSHIFT(1))

void kvminit(void);
void kvminithart(void);
void kvmmap(pagetable_t kpt, uint64 va, uint64 pa, uint64 sz, int perm);

pagetable_t pt_create(void);
pte_t *walk(pagetable_t pt, uint64 va);
uint64 walkaddr(pagetable_t pt, uint64 va);
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm);
void pt_clear(pagetable_t pt, uint64 va);
int pt_unmap(pagetable_t pt, uint64 lo, uint64 hi);
pte_t *pt_own(pagetable_t pt, uint64 va, int *copied);
void pt_share_leaf(pte_t *l1, pte_t *to);
void pt_destroy(pagetable_t pt, uint64 top);
uint64 pt_next_table(pagetable_t pt, uint64 va, uint64 hi);

#endif
