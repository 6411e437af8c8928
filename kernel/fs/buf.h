/* buf.h: one cached disk block. */
#ifndef CALF_BUF_H
#define CALF_BUF_H

#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/sched/sleeplock.h"

struct buf {
  int valid; /* data holds the block's contents */
  int disk;  /* owned by the disk driver while a request is in flight */
  uint dev;
  uint blockno;
  struct sleeplock lock; /* guards data and valid */
  uint refcnt;           /* guarded by the cache lock in bio.c */
  struct buf *prev;      /* LRU list, guarded by the cache lock */
  struct buf *next;
  uchar data[BSIZE];
};

/* The buffer cache (bio.c). */
void binit(void);
struct buf *bread(uint dev, uint blockno);
void bwrite(struct buf *b);
void brelse(struct buf *b);
void bpin(struct buf *b);
void bunpin(struct buf *b);

#endif
