/* evict.h: page replacement (evict.c): taking pages off their frames when
 * memory runs short, to swap or back to the page cache. Called by the fault
 * path and by processes before they allocate under locks; it calls the
 * address spaces, the swap cache and the frames below it. */
#ifndef CALF_EVICT_H
#define CALF_EVICT_H

#include "kernel/memstat.h" /* the policies, EVICT_CLOCK and EVICT_FIFO */

/* How many frames a fault that found memory full asks page replacement
 * for: enough that the next faults find some. */
#define RECLAIM_BATCH 32

/* How many free frames fork and exec make sure of before they start
 * (mem_reserve): they allocate page tables and pages under locks. Eager
 * growth leaves as much room in memory and swap for faults (mem_admit). */
#define MEM_RESERVE 64

/* How many times fork and exec start over when memory ran short under
 * them anyway (other processes took those frames) and page replacement
 * made room again. */
#define MEM_TRIES 4

extern int evict_policy;

/* The most heap pages a limit on one process's resident set may name
 * (cowctl COWCTL_RSSLIMIT): what one page of bookkeeping holds. */
#define RSET_MAX 500

struct aspace;
void evict_init(void);
int rset_limit(struct aspace *as, int n);
uint64 rset_admit(struct aspace *as, uint64 va);
int mem_reclaim(int want);
int mem_write_back(void);
int mem_reserve(int n);
int mem_admit(uint64 pages);
int mem_try_again(int tries);

#endif
