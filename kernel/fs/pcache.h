/* pcache.h: the page cache (pcache.c): file pages in frames, read once for
 * every mapping of them. Above the file system (it reads and writes files), below
 * address spaces (their faults on file-backed regions come here). */
#ifndef CALF_PCACHE_H
#define CALF_PCACHE_H

#include "kernel/types.h"

struct inode;
struct memstat;

#define PCACHE_BEYOND (-1) /* the page lies past the end of the file */
#define PCACHE_NOMEM  (-2) /* no frame for it */

void pcache_init(void);
int pcache_get(struct inode *ip, uint idx, uint64 *pa);
void pcache_writeback(struct inode *ip, uint idx, uint64 pa);
void pcache_written(struct inode *ip, uint off, uint n);
void pcache_truncate(struct inode *ip);
void pcache_counts(struct memstat *st);
uint64 pcache_idle(void);
void pcache_audit(void (*note)(void *arg, uint64 pa), void *arg);

#endif
