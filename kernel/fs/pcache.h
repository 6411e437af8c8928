/* pcache.h: the page cache (pcache.c): file pages in frames, read once for
 * every mapping of them. Part of the file layer; address spaces reach it
 * through the pager it installs (mem/pager.h), and their faults on
 * file-backed regions come here that way. get's errors are the pager's. */
#ifndef CALF_PCACHE_H
#define CALF_PCACHE_H

#include "kernel/types.h"
#include "kernel/mem/pager.h"

struct inode;
struct memstat;

extern int pcache_slow_miss; /* cowctl COWCTL_SLOWMISS: tests only */

void pcache_init(void);
int pcache_get(struct inode *ip, uint64 idx, uint64 *pa);
void pcache_writeback(struct inode *ip, uint64 idx, uint64 pa);
void pcache_written(struct inode *ip, uint off, uint n);
void pcache_counts(struct memstat *st);
uint64 pcache_idle(void);
void pcache_audit(void (*note)(void *arg, uint64 pa), void *arg);

#endif
