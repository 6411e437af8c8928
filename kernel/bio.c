/* bio.c: the buffer cache, NBUF copies of disk blocks kept in memory.
 *
 * Invariants: at most one buf holds a given (dev, blockno), so all users of a
 * block share one copy; a buf with refcnt > 0 is never recycled. The bufs form
 * a circular list through cache.lru, most recently released first, so
 * recycling takes the least recently used idle buf from the tail.
 *
 * Locks: cache.lock guards the identity fields (dev, blockno), refcnt and the
 * list links of every buf; b->lock (a sleep lock) guards b->data and b->valid
 * and is held by whoever bread() handed the buf to, until brelse(). */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/buf.h"
#include "kernel/printf.h"
#include "kernel/virtio_disk.h"

static struct {
  struct spinlock lock;
  struct buf buf[NBUF];
  struct buf lru; /* list head: lru.next is the most recently used */
} cache;

/* Unlink b from the LRU list. => holds cache.lock */
static void
lru_remove(struct buf *b)
{
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

/* Put b at the most-recently-used end of the list. => holds cache.lock */
static void
lru_push_front(struct buf *b)
{
  b->next = cache.lru.next;
  b->prev = &cache.lru;
  cache.lru.next->prev = b;
  cache.lru.next = b;
}

/* Set up the empty cache. Call once before any other function here. */
void
binit(void)
{
  initlock(&cache.lock, "bcache");
  cache.lru.next = &cache.lru;
  cache.lru.prev = &cache.lru;
  for (struct buf *b = cache.buf; b < cache.buf + NBUF; b++) {
    initsleeplock(&b->lock, "buffer");
    lru_push_front(b);
  }
}

/* The buf holding (dev, blockno), or 0 if none does. An idle buf that is not
 * valid holds no block, whatever its blockno says. => holds cache.lock */
static struct buf *
lookup(uint dev, uint blockno)
{
  for (struct buf *b = cache.lru.next; b != &cache.lru; b = b->next)
    if (b->dev == dev && b->blockno == blockno && (b->refcnt > 0 || b->valid))
      return b;
  return 0;
}

/* The least recently used idle buf, now named (dev, blockno) and not valid.
 * => holds cache.lock; panics if every buf is in use (the callers' NBUF
 *    budget is broken) */
static struct buf *
recycle(uint dev, uint blockno)
{
  for (struct buf *b = cache.lru.prev; b != &cache.lru; b = b->prev) {
    if (b->refcnt == 0) {
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      return b;
    }
  }
  panic("bget: no buffers");
}

/* The buf for (dev, blockno), locked, holding a reference for the caller;
 * b->valid says whether its data is already there. */
static struct buf *
bget(uint dev, uint blockno)
{
  acquire(&cache.lock);
  struct buf *b = lookup(dev, blockno);
  if (b == 0)
    b = recycle(dev, blockno);
  b->refcnt++;
  release(&cache.lock);
  acquiresleep(&b->lock);
  return b;
}

/* A locked buf holding the current contents of block blockno of dev.
 * The caller must brelse() it. */
struct buf *
bread(uint dev, uint blockno)
{
  struct buf *b = bget(dev, blockno);

  if (!b->valid) {
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

/* Write b->data to b's block on disk. => holds b->lock */
void
bwrite(struct buf *b)
{
  if (!holdingsleep(&b->lock))
    panic("bwrite: buf not locked");
  virtio_disk_rw(b, 1);
}

/* Unlock b and drop the caller's reference; an idle buf becomes the most
 * recently used. => holds b->lock */
void
brelse(struct buf *b)
{
  if (!holdingsleep(&b->lock))
    panic("brelse: buf not locked");
  releasesleep(&b->lock);

  acquire(&cache.lock);
  KASSERT(b->refcnt > 0);
  b->refcnt--;
  if (b->refcnt == 0) {
    lru_remove(b);
    lru_push_front(b);
  }
  release(&cache.lock);
}

/* Keep b cached (not recycled) until the matching bunpin(). */
void
bpin(struct buf *b)
{
  acquire(&cache.lock);
  b->refcnt++;
  release(&cache.lock);
}

/* Drop a hold taken by bpin(). */
void
bunpin(struct buf *b)
{
  acquire(&cache.lock);
  KASSERT(b->refcnt > 0);
  b->refcnt--;
  release(&cache.lock);
}
