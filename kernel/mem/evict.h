/* evict.h: page replacement (evict.c): taking pages off their frames when
 * memory runs short, to swap or back to the page cache. Called by the fault
 * path and by processes before they allocate under locks; it calls the
 * address spaces, the swap cache and the frames below it. */
#ifndef CALF_EVICT_H
#define CALF_EVICT_H

/* The policies (cowctl COWCTL_EVICT sets evict_policy). */
#define EVICT_CLOCK 0 /* second chance over the accessed bit */
#define EVICT_FIFO  1 /* every page in the order the hand meets it */

/* How many frames a fault that found memory full asks page replacement
 * for: enough that the next faults find some. */
#define RECLAIM_BATCH 32

/* How many free frames fork and exec make sure of before they start
 * (mem_reserve): they allocate page tables and pages under locks. */
#define MEM_RESERVE 64

extern int evict_policy;

void evict_init(void);
int mem_reclaim(int want);
int mem_reserve(int n);

#endif
