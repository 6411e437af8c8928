/* bio.c: the buffer cache, NBUF copies of disk blocks kept in memory.
 *
 * Invariants: at most one buf holds a given (dev, blockno), so all users of a
 * block share one copy; a buf with refcnt > 0 is never recycled. The bufs form
 * a circular list through cache.lru, most recently released first, so
 * recycling takes the least recently used idle buf from the tail.
 *
 * Locks: cache.lock guards the identity fields (dev, blockno), refcnt and the
 * list links of every buf, and cache.waiting; b->lock (a sleep lock) guards
 * b->data and b->valid and is held by whoever bread() handed the buf to,
 * until brelse(). Lock order: b->lock is never acquired with cache.lock held.
 *
 * Running out. A buf is busy while refcnt > 0: between bread and brelse (a
 * caller waiting for b->lock counts), or pinned by the log between log_write
 * and the install at commit. When every buf is busy, bget sleeps until one
 * becomes idle. That wait always ends, because NBUF > LOGBLOCKS + LOGOPS:
 *   - the log pins at most LOGBLOCKS bufs (one per entry of its header);
 *   - only two kinds of code hold a buf while asking for another: block
 *     allocation and freeing inside an operation (bmap keeps the indirect
 *     block while balloc reads the bitmap and zeroes the new block;
 *     free_indirect keeps it while bfree reads the bitmap), and the commit
 *     (a logged block while it reads its log slot). None holds more than two,
 *     so each waits holding one. begin_op admits at most LOGOPS operations
 *     at once and the commit runs while none is admitted, so at most LOGOPS
 *     bufs are held by processes waiting here;
 *   - everyone else (readi, iload, iupdate, the log header) holds one buf at
 *     a time, asks for it holding none, and releases it without waiting for
 *     another buf.
 * So some buf is idle, or held by a process that will release it without
 * waiting here, and brelse then wakes the waiters: in particular a commit in
 * progress always finishes. This rules out deadlock, not starvation: the
 * wait is not fair, and a waiter may lose the idle buf to others more than
 * once. NBUF is the smallest size the argument allows, so that heavy load
 * (fsabuse's bufload) exercises the wait. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sleeplock.h"
#include "kernel/fs/buf.h"
#include "kernel/sched/sched.h"
#include "kernel/lib/printf.h"
#include "kernel/dev/virtio_disk.h"

_Static_assert(NBUF > LOGBLOCKS + LOGOPS, "the cache must outlast a full log (see the top)");

static struct {
  struct spinlock lock;
  struct buf buf[NBUF];
  struct buf lru; /* list head: lru.next is the most recently used */
  int waiting;    /* processes asleep in bget on &cache */
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

/* The least recently used idle buf, now named (dev, blockno) and not valid;
 * 0 if every buf is busy. => holds cache.lock */
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
  return 0;
}

/* The buf for (dev, blockno), locked, holding a reference for the caller;
 * b->valid says whether its data is already there. Sleeps while every buf
 * is busy (the header says why that ends). Needs a process context. */
static struct buf *
bget(uint dev, uint blockno)
{
  struct buf *b;

  acquire(&cache.lock);
  while ((b = lookup(dev, blockno)) == 0 && (b = recycle(dev, blockno)) == 0) {
    cache.waiting++;
    sleep(&cache, &cache.lock);
    cache.waiting--;
  }
  b->refcnt++;
  release(&cache.lock);
  acquiresleep(&b->lock);
  return b;
}

/* Drop one reference to b; if that leaves it idle, wake bget's waiters.
 * => holds cache.lock */
static void
unref(struct buf *b)
{
  KASSERT(b->refcnt > 0);
  b->refcnt--;
  if (b->refcnt == 0 && cache.waiting > 0)
    wakeup(&cache);
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
  unref(b);
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
  unref(b);
  release(&cache.lock);
}
