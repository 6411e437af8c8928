/* pcache.c: the page cache: pages of files held in frames, found by
 * (device, inode number, page index). A fault on a page of a file-backed
 * region (exec's demand-paged text and data, mmap) gets its page from here
 * (pcache_get), read from the file on a miss.
 *
 * The cache owns a frame for each page it holds. A page nobody maps goes
 * away when memory runs short (kalloc calls pcache_reclaim before it gives
 * up), and when its file is truncated (pcache_truncate).
 *
 * Locking: pc.lock (a spinlock) guards the table, the hash chains, every
 * entry's fields and the counters. It is never held across I/O or while
 * calling kalloc; loading a page reads the file with pc.lock released and
 * inserts afterwards, keeping whichever copy got in first.
 */
/* Sharing the cache's frames. Every process that maps a page of a file maps
 * the same frame: the cache holds one reference on it (a kernel hold,
 * frame.h), and every PTE that maps it one more, so a page nobody maps has
 * count 1. Nothing is lost when it goes: stores reach a page only through a
 * shared writable mapping, and a mapping that may have stored writes the
 * page back to the file before it lets go (aspace.c, writeback, at munmap
 * and exit). Deleting a file needs no call: every byte below a file's size
 * was written since its inode was allocated, and each write() refreshed the
 * cached page it touched, zeroing what lies past the end.
 *
 * Coherence with write(): file.c calls pcache_written after each write to a
 * file, which copies the written bytes into the cached pages they touched
 * (only those bytes, so stores through a shared mapping not yet written
 * back stay).
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs/file.h"
#include "kernel/mem/frame.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/memstat.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/pager.h"
#include "kernel/fs/pcache.h"
#include "kernel/lib/string.h"

#define NCPAGE   1024 /* pages the cache can name at once */
#define NBUCKETS 251

struct cpage {
  uint dev;
  uint inum;
  uint idx;           /* page index in the file */
  uint64 pa;          /* the frame, 0 if the entry is free */
  struct cpage *next; /* hash chain */
};

static struct {
  struct spinlock lock;
  struct cpage page[NCPAGE];
  struct cpage *bucket[NBUCKETS];
  int hand; /* where the next search for a free or reclaimable entry starts */
  uint64 hits, misses, dropped;
} pc;

static int pcache_reclaim(void);

static struct cpage **
chain(uint dev, uint inum, uint idx)
{
  return &pc.bucket[(dev * 31 + inum * 131 + idx) % NBUCKETS];
}

/* The entry for the page, or 0. Caller holds pc.lock. */
static struct cpage *
lookup(uint dev, uint inum, uint idx)
{
  for (struct cpage *c = *chain(dev, inum, idx); c; c = c->next)
    if (c->dev == dev && c->inum == inum && c->idx == idx)
      return c;
  return 0;
}

/* Take c off its chain, drop the cache's reference, free the entry. Caller
 * holds pc.lock. */
static void
drop(struct cpage *c)
{
  struct cpage **pp = chain(c->dev, c->inum, c->idx);
  while (*pp != c)
    pp = &(*pp)->next;
  *pp = c->next;
  frame_unref(c->pa);
  c->pa = 0;
  pc.dropped++;
}

/* Can c go? Nobody maps it (so whoever stored to it wrote it back). */
static int
droppable(struct cpage *c)
{
  return c->pa && frame_refcount(c->pa) == 1;
}

/* A free entry, dropping a droppable page if there is none. Caller holds
 * pc.lock. Returns 0 if every entry holds a page still in use. */
static struct cpage *
free_entry(void)
{
  for (int pass = 0; pass < 2; pass++) {
    for (int n = 0; n < NCPAGE; n++) {
      struct cpage *c = &pc.page[pc.hand];
      pc.hand = (pc.hand + 1) % NCPAGE;
      if (c->pa && pass == 1 && droppable(c))
        drop(c);
      if (c->pa == 0)
        return c;
    }
  }
  return 0;
}

/* Read page idx of ip into frame mem: the file's bytes, zeros past its
 * end. ip is referenced, not locked. Returns 0, or PAGER_BEYOND if the
 * page lies wholly past the end of the file. */
static int
read_page(struct inode *ip, uint idx, char *mem)
{
  memset(mem, 0, PGSIZE);
  uint off = idx * PGSIZE;
  if (ilock(ip) != 0 || off >= ip->size || (uint64)idx * PGSIZE >= (1UL << 32)) {
    iunlock(ip);
    return PAGER_BEYOND;
  }
  uint n = ip->size - off < PGSIZE ? ip->size - off : PGSIZE;
  int r = readi(ip, 0, (uint64)mem, off, n);
  iunlock(ip);
  return r == n ? 0 : PAGER_BEYOND;
}

/* Enter frame pa as page idx of ip, if an entry is free or can be freed.
 * Returns the entry, or 0 (pa stays the caller's). Caller holds pc.lock. */
static struct cpage *
enter(struct inode *ip, uint idx, uint64 pa)
{
  struct cpage *c = free_entry();
  if (c == 0)
    return 0;
  c->dev = ip->dev;
  c->inum = ip->inum;
  c->idx = idx;
  c->pa = pa;
  c->next = *chain(c->dev, c->inum, idx);
  *chain(c->dev, c->inum, idx) = c;
  return c;
}

/* A new reference on the frame holding page idx of file ip, read from the
 * file on a miss, in *pa. ip is referenced, not locked; the caller holds no
 * spinlock (a miss reads the file). Returns 0, PAGER_BEYOND if the page
 * lies wholly past the end of the file, or PAGER_NOMEM. */
int
pcache_get(struct inode *ip, uint idx, uint64 *pa)
{
  acquire(&pc.lock);
  struct cpage *c = lookup(ip->dev, ip->inum, idx);
  if (c) {
    frame_ref(c->pa);
    pc.hits++;
    *pa = c->pa;
    release(&pc.lock);
    return 0;
  }
  pc.misses++;
  release(&pc.lock);

  char *mem = kalloc();
  if (mem == 0)
    return PAGER_NOMEM;
  if (read_page(ip, idx, mem) != 0) {
    kfree(mem);
    return PAGER_BEYOND;
  }
  acquire(&pc.lock);
  if ((c = lookup(ip->dev, ip->inum, idx)) != 0) { /* loaded meanwhile */
    frame_ref(c->pa);
    *pa = c->pa;
    release(&pc.lock);
    kfree(mem);
    return 0;
  }
  *pa = (uint64)mem;
  if (enter(ip, idx, (uint64)mem)) /* else: the caller's private page */
    frame_ref((uint64)mem);
  release(&pc.lock);
  return 0;
}

/* Write page idx of ip, whose frame is pa, back to the file: the part
 * below the file's size (a mapping never makes a file longer), in one
 * transaction. The caller holds no spinlock. */
void
pcache_writeback(struct inode *ip, uint idx, uint64 pa)
{
  begin_op();
  if (ilock(ip) == 0 && (uint64)idx * PGSIZE < ip->size) {
    uint off = idx * PGSIZE, n = ip->size - off < PGSIZE ? ip->size - off : PGSIZE;
    writei(ip, 0, pa, off, n);
  }
  iunlock(ip);
  end_op();
}

/* write() just changed bytes [off, off+n) of ip, which the caller holds
 * locked: bring the cached pages they touched up to date (zeroing what lies
 * past the end of the file in the last page), or drop them. */
void
pcache_written(struct inode *ip, uint off, uint n)
{
  frame_op_begin(); /* it holds a reference on each page while it reads */
  for (uint idx = off / PGSIZE; n > 0 && idx <= (off + n - 1) / PGSIZE; idx++) {
    acquire(&pc.lock);
    struct cpage *c = lookup(ip->dev, ip->inum, idx);
    uint64 pa = 0;
    if (c) {
      pa = c->pa;
      frame_ref(pa); /* keep it while reading into it */
    }
    release(&pc.lock);
    if (pa == 0)
      continue;
    uint base = idx * PGSIZE;
    uint lo = base > off ? base : off, hi = base + PGSIZE < off + n ? base + PGSIZE : off + n;
    readi(ip, 0, pa + lo - base, lo, hi - lo);
    if (ip->size < base + PGSIZE) {
      uint keep = ip->size > base ? ip->size - base : 0;
      memset((char *)pa + keep, 0, PGSIZE - keep);
    }
    frame_unref(pa);
  }
  frame_op_end();
}

/* ip, locked by the caller, was truncated to its current size: pages wholly
 * past it that nobody maps go; the part past the end of a page still mapped
 * reads as zeros. */
void
pcache_truncate(struct inode *ip)
{
  frame_op_begin();
  acquire(&pc.lock);
  for (struct cpage *c = pc.page; c < &pc.page[NCPAGE]; c++) {
    if (c->pa == 0 || c->dev != ip->dev || c->inum != ip->inum)
      continue;
    uint64 lo = (uint64)c->idx * PGSIZE;
    if (lo >= ip->size && droppable(c)) {
      drop(c);
    } else if (lo + PGSIZE > ip->size) {
      uint keep = lo >= ip->size ? 0 : ip->size - lo;
      memset((char *)c->pa + keep, 0, PGSIZE - keep);
    }
  }
  release(&pc.lock);
  frame_op_end();
}

/* Drop every clean page nobody maps. Returns how many went. */
static int
pcache_reclaim(void)
{
  int n = 0;
  frame_op_begin();
  acquire(&pc.lock);
  for (struct cpage *c = pc.page; c < &pc.page[NCPAGE]; c++) {
    if (droppable(c)) {
      drop(c);
      n++;
    }
  }
  release(&pc.lock);
  frame_op_end();
  return n;
}

/* Pages the cache holds that nobody maps and that are clean: as good as
 * free, since kalloc reclaims them before it fails. */
uint64
pcache_idle(void)
{
  uint64 n = 0;
  acquire(&pc.lock);
  for (struct cpage *c = pc.page; c < &pc.page[NCPAGE]; c++)
    n += droppable(c);
  release(&pc.lock);
  return n;
}

/* Call note(arg, pa) for every frame the cache holds (memcheck). */
void
pcache_audit(void (*note)(void *arg, uint64 pa), void *arg)
{
  acquire(&pc.lock);
  for (struct cpage *c = pc.page; c < &pc.page[NCPAGE]; c++)
    if (c->pa)
      note(arg, c->pa);
  release(&pc.lock);
}

/* The cache's counters into st. */
void
pcache_counts(struct memstat *st)
{
  acquire(&pc.lock);
  st->pcache_hits = pc.hits;
  st->pcache_misses = pc.misses;
  st->pcache_dropped = pc.dropped;
  uint64 n = 0;
  for (struct cpage *c = pc.page; c < &pc.page[NCPAGE]; c++)
    n += c->pa != 0;
  st->pcache_pages = n;
  release(&pc.lock);
}

/* --- the pager: what address spaces get of a file (mem/pager.h) ---------- */

static void
pager_hold(struct inode *ip, int program, int writes)
{
  idup(ip);
  if (program)
    __atomic_fetch_add(&ip->text_maps, 1, __ATOMIC_RELAXED);
  if (writes)
    __atomic_fetch_add(&ip->writers, 1, __ATOMIC_RELAXED);
}

static void
pager_unhold(struct inode *ip, int program, int writes)
{
  if (program)
    __atomic_fetch_sub(&ip->text_maps, 1, __ATOMIC_RELAXED);
  if (writes)
    __atomic_fetch_sub(&ip->writers, 1, __ATOMIC_RELAXED);
}

/* Drop the references, in a transaction only if one may be its file's last
 * (freeing a deleted file writes the disk). */
static void
pager_put(struct inode **ips, int n)
{
  int last = 0;
  for (int i = 0; i < n; i++)
    if (!iput_if_shared(ips[i]))
      ips[last++] = ips[i];
  if (last > 0) {
    begin_op();
    for (int i = 0; i < last; i++)
      iput(ips[i]);
    end_op();
  }
}

static uint
pager_inum(struct inode *ip)
{
  return ip->inum;
}

static const struct pager pcache_pager = {
    .hold = pager_hold,
    .unhold = pager_unhold,
    .put = pager_put,
    .get = pcache_get,
    .writeback = pcache_writeback,
    .inum = pager_inum,
    .audit = pcache_audit,
};

/* Set up the cache; install it as the address spaces' pager and as the
 * frame allocator's last resort. Boot hart, once. */
void
pcache_init(void)
{
  initlock(&pc.lock, "pcache");
  frames_set_reclaim(pcache_reclaim);
  as_set_pager(&pcache_pager);
}
