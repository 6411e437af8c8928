/* pcache.c: the page cache: pages of files held in frames, found by
 * (device, inode number, page index). A fault on a page of a file-backed
 * region (exec's demand-paged text and data, mmap) gets its page from here
 * (pcache_get), read from the file on a miss.
 *
 * The cache keeps one entry per frame of RAM (carved at boot), so it has
 * room for every page memory can hold: it never runs out of entries, and
 * every mapping of a page, shared or private, gets the one cached frame. A
 * page nobody maps goes away when memory runs short (kalloc calls
 * pcache_reclaim before it gives up).
 *
 * Coherence: a file's pages in the cache always agree with the file.
 *   - A miss reads the page and enters it in the cache with the inode
 *     locked, and write() updates the cached pages it touched
 *     (pcache_written) with the inode locked too: a write either comes
 *     before the read, which sees it, or after the page is in, which it
 *     updates. Only those bytes are copied, so stores through a shared
 *     mapping not yet written back stay.
 *   - A page wholly past the end of its file is never handed out, cached or
 *     not (the fault kills the reader); the part of the last page past the
 *     end reads as zeros (written and truncated pages are zeroed there).
 *   - When a file loses its content (itrunc: O_TRUNC, or the file is freed)
 *     the file system calls pcache_truncate before the blocks can be reused:
 *     pages nobody maps go, so a new file that reuses the inode number finds
 *     none of the old file's pages. A running program's file cannot be
 *     truncated at all (text busy, sys_open).
 *   - A shared mapping that may have stored writes its pages back to the
 *     file before it lets go (aspace.c, writeback, at munmap, exit and a
 *     shrinking sbrk).
 *     When memory runs short, page replacement writes such pages back
 *     sooner (the write queue, below), so that it can drop them.
 *
 * Sharing the cache's frames. Every process that maps a page of a file maps
 * the same frame: the cache holds one reference on it (a kernel hold,
 * frame.h), and every PTE that maps it one more, so a page nobody maps has
 * count 1.
 *
 * The write queue. Page replacement (mem/evict.c) cannot write a file
 * itself: it may run inside a write() that holds the file's lock and an
 * open transaction. So it makes a dirty shared page read-only and queues
 * its write here (queue_write); once every TLB has lost the old PTE, the
 * entries become ready (writes_ready), and a process at a point where it
 * holds no lock writes them (write_queued: after a fault that reclaimed,
 * and in writeback, which waits for every entry queued before it).
 * The page is then clean, and page replacement drops it like any other.
 *
 * Locking: pc.lock (a spinlock) guards the entries, the hash chains, the
 * write queue and the counters. It is never held across I/O or while
 * calling kalloc. A page enters the cache only with its inode's lock held
 * (a sleeplock, taken before pc.lock). One process writes the queue at a
 * time (wq.writer, a sleeplock taken with no other lock held, before the
 * log and the inode's lock), so entries are written in order.
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
#include "kernel/sched/sched.h"
#include "kernel/sched/sleeplock.h"
#include "kernel/sched/clock.h"
#include "kernel/lib/string.h"

#define NBUCKETS 251

/* cowctl's COWCTL_SLOWMISS, for pcachetest: a miss waits between reading
 * its page and entering it. */
int pcache_slow_miss;

/* The entry of one frame. In use (inum != 0) while the frame holds a page
 * of a file; then it is on the hash chain of its page. */
struct cpage {
  uint dev;
  uint inum;          /* 0: the frame holds no page of the cache */
  uint64 idx;         /* page index in the file */
  struct cpage *next; /* hash chain */
};

static struct {
  struct spinlock lock;
  struct cpage *entry; /* one per frame (frames_span of them) */
  struct cpage *bucket[NBUCKETS];
  uint64 pages; /* entries in use */
  uint64 hits, misses, dropped;
} pc;

/* The write queue: a ring of pages to write back, each entry holding a
 * reference on its frame and its inode. Of the n entries from head, the
 * first `ready` may be written; the rest wait for their batch's TLB
 * flush. `queued` and `written` count entries ever added and written. */
#define NQUEUED 64

static struct {
  struct sleeplock writer;
  struct {
    struct inode *ip;
    uint64 idx, pa;
  } e[NQUEUED];
  int head, n, ready;
  uint64 queued, written;
} wq;

static struct cpage **
chain(uint dev, uint inum, uint64 idx)
{
  return &pc.bucket[(dev * 31 + inum * 131 + idx) % NBUCKETS];
}

/* The frame an entry describes, and the entry of a frame. */
static uint64
frame_of(struct cpage *c)
{
  return frame_base + (uint64)(c - pc.entry) * PGSIZE;
}

static struct cpage *
entry_of(uint64 pa)
{
  return &pc.entry[(pa - frame_base) / PGSIZE];
}

/* The entry for the page, or 0. Caller holds pc.lock. */
static struct cpage *
lookup(uint dev, uint inum, uint64 idx)
{
  for (struct cpage *c = *chain(dev, inum, idx); c; c = c->next)
    if (c->dev == dev && c->inum == inum && c->idx == idx)
      return c;
  return 0;
}

/* Enter frame pa, which the cache now holds a reference on, as page idx of
 * ip. Caller holds pc.lock and ip's lock; the page is not in the cache. */
static void
enter(struct inode *ip, uint64 idx, uint64 pa)
{
  struct cpage *c = entry_of(pa);
  c->dev = ip->dev;
  c->inum = ip->inum;
  c->idx = idx;
  c->next = *chain(c->dev, c->inum, idx);
  *chain(c->dev, c->inum, idx) = c;
  pc.pages++;
}

/* Take c off its chain and drop the cache's reference. Caller holds
 * pc.lock. */
static void
drop(struct cpage *c)
{
  struct cpage **pp = chain(c->dev, c->inum, c->idx);
  while (*pp != c)
    pp = &(*pp)->next;
  *pp = c->next;
  c->inum = 0;
  pc.pages--;
  pc.dropped++;
  frame_unref(frame_of(c));
}

/* Can c go? Nobody maps it (so whoever stored to it wrote it back). */
static int
droppable(struct cpage *c)
{
  return frame_refcount(frame_of(c)) == 1;
}

/* Does page idx lie wholly past the end of ip? ip's lock need not be held:
 * a size read while it changes gives the answer of just before or just
 * after the change. */
static int
past_end(struct inode *ip, uint64 idx)
{
  return idx >= ((uint64)__atomic_load_n(&ip->size, __ATOMIC_RELAXED) + PGSIZE - 1) / PGSIZE;
}

/* pcache_get's miss: read page idx of ip into a new frame and enter it,
 * with ip locked throughout, so that no write() falls between the read and
 * the entry (see the top of the file). */
static int
miss(struct inode *ip, uint64 idx, uint64 *pa)
{
  char *mem = kalloc();
  if (mem == 0)
    return PAGER_NOMEM;
  if (ilock(ip) != 0 || past_end(ip, idx)) {
    iunlock(ip);
    kfree(mem);
    return PAGER_BEYOND;
  }
  acquire(&pc.lock);
  struct cpage *c = lookup(ip->dev, ip->inum, idx); /* came in meanwhile */
  if (c) {
    *pa = frame_of(c);
    frame_ref(*pa);
    pc.hits++;
  }
  release(&pc.lock);
  if (c == 0) {
    uint off = idx * PGSIZE, n = ip->size - off < PGSIZE ? ip->size - off : PGSIZE;
    memset(mem, 0, PGSIZE);
    if (readi(ip, 0, (uint64)mem, off, n) != n) {
      iunlock(ip);
      kfree(mem);
      return PAGER_BEYOND;
    }
    if (pcache_slow_miss)
      clock_wait(2, 0); /* a write() now waits for the lock, and then finds the page */
    acquire(&pc.lock);
    enter(ip, idx, (uint64)mem);
    frame_ref((uint64)mem); /* the caller's, beside the cache's */
    pc.misses++;
    release(&pc.lock);
    *pa = (uint64)mem;
    mem = 0;
  }
  iunlock(ip);
  if (mem)
    kfree(mem);
  return 0;
}

/* A new reference on the frame holding page idx of file ip, read from the
 * file on a miss, in *pa. ip is referenced, not locked; the caller holds no
 * spinlock (a miss reads the file). Returns 0, PAGER_BEYOND if the page
 * lies wholly past the end of the file, or PAGER_NOMEM. */
int
pcache_get(struct inode *ip, uint64 idx, uint64 *pa)
{
  if (past_end(ip, idx))
    return PAGER_BEYOND;
  acquire(&pc.lock);
  struct cpage *c = lookup(ip->dev, ip->inum, idx);
  if (c) {
    *pa = frame_of(c);
    frame_ref(*pa);
    pc.hits++;
  }
  release(&pc.lock);
  return c ? 0 : miss(ip, idx, pa);
}

/* Call fn(c, arg) on every entry in use; fn may drop c. Caller holds
 * pc.lock. */
static void
each_page(void (*fn)(struct cpage *c, void *arg), void *arg)
{
  for (int b = 0; b < NBUCKETS; b++) {
    for (struct cpage *c = pc.bucket[b], *next; c; c = next) {
      next = c->next;
      fn(c, arg);
    }
  }
}

/* Write page idx of ip, whose frame is pa, back to the file: the part
 * below the file's size (a mapping never makes a file longer), in one
 * transaction. The caller holds no spinlock. */
void
pcache_writeback(struct inode *ip, uint64 idx, uint64 pa)
{
  begin_op();
  if (ilock(ip) == 0 && !past_end(ip, idx)) {
    uint off = idx * PGSIZE, n = ip->size - off < PGSIZE ? ip->size - off : PGSIZE;
    writei(ip, 0, pa, off, n);
  }
  iunlock(ip);
  end_op();
}

/* The pager's queue_write (pager.h). Only the reclaimer queues, so room
 * found here is still there after the references are taken. */
static int
pager_queue_write(struct inode *ip, uint64 idx, uint64 pa)
{
  acquire(&pc.lock);
  int full = wq.n == NQUEUED;
  release(&pc.lock);
  if (full)
    return -1;
  idup(ip);
  frame_ref(pa);
  acquire(&pc.lock);
  int i = (wq.head + wq.n++) % NQUEUED;
  wq.e[i].ip = ip;
  wq.e[i].idx = idx;
  wq.e[i].pa = pa;
  wq.queued++;
  release(&pc.lock);
  return 0;
}

/* The pager's writes_ready: every entry queued so far may be written. */
static void
pager_writes_ready(void)
{
  acquire(&pc.lock);
  wq.ready = wq.n;
  wakeup(&wq);
  release(&pc.lock);
}

static void pager_put(struct inode **ips, int n);

/* The pager's write_queued: write the ready entries queued before the
 * call, or with wait all of them, ready or not, in order; then drop the
 * entries' references. The entry stays in the ring while its page is
 * written, so memcheck finds the frame's reference. */
static void
pager_write_queued(int wait)
{
  acquiresleep(&wq.writer);
  acquire(&pc.lock);
  uint64 upto = wq.queued;
  while (wq.written < upto && (wq.ready > 0 || wait)) {
    if (wq.ready == 0) {
      sleep(&wq, &pc.lock); /* the reclaimer is between its queueing and its TLB flush */
      continue;
    }
    struct inode *ip = wq.e[wq.head].ip;
    uint64 idx = wq.e[wq.head].idx, pa = wq.e[wq.head].pa;
    release(&pc.lock);
    pcache_writeback(ip, idx, pa);
    frame_op_begin();
    acquire(&pc.lock);
    wq.head = (wq.head + 1) % NQUEUED;
    wq.n--;
    wq.ready--;
    wq.written++;
    release(&pc.lock);
    frame_unref(pa);
    frame_op_end();
    pager_put(&ip, 1);
    acquire(&pc.lock);
  }
  release(&pc.lock);
  releasesleep(&wq.writer);
}

/* Zero the part of the cached page pa, page idx of ip, that lies past the
 * end of the file. */
static void
zero_past_end(struct inode *ip, uint64 idx, uint64 pa)
{
  uint64 base = idx * PGSIZE;
  if (ip->size < base + PGSIZE) {
    uint64 keep = ip->size > base ? ip->size - base : 0;
    memset((char *)pa + keep, 0, PGSIZE - keep);
  }
}

/* write() just changed bytes [off, off+n) of ip, which the caller holds
 * locked: bring the cached pages they touched up to date, zeroing what lies
 * past the end of the file in the last page. */
void
pcache_written(struct inode *ip, uint off, uint n)
{
  frame_op_begin(); /* it holds a reference on each page while it reads */
  for (uint64 idx = off / PGSIZE; n > 0 && idx <= (off + n - 1) / PGSIZE; idx++) {
    acquire(&pc.lock);
    struct cpage *c = lookup(ip->dev, ip->inum, idx);
    uint64 pa = 0;
    if (c) {
      pa = frame_of(c);
      frame_ref(pa); /* keep it while reading into it: reclaim may drop c */
    }
    release(&pc.lock);
    if (pa == 0)
      continue;
    uint64 base = idx * PGSIZE;
    uint lo = base > off ? base : off, hi = base + PGSIZE < off + n ? base + PGSIZE : off + n;
    readi(ip, 0, pa + lo - base, lo, hi - lo);
    zero_past_end(ip, idx, pa);
    frame_unref(pa);
  }
  frame_op_end();
}

/* A page of the file being truncated (arg): past the new end, it goes if
 * nobody maps it, else what lies past the end reads as zeros. */
static void
truncate_page(struct cpage *c, void *arg)
{
  struct inode *ip = arg;
  if (c->dev != ip->dev || c->inum != ip->inum)
    return;
  if (past_end(ip, c->idx) && droppable(c))
    drop(c);
  else
    zero_past_end(ip, c->idx, frame_of(c));
}

/* ip, locked by the caller, was truncated to its current size (itrunc,
 * through fs_set_truncate_hook: at O_TRUNC, and when the file is freed,
 * when nothing maps it any more): its pages wholly past the end that
 * nobody maps go; of a page still mapped, what lies past the end reads as
 * zeros. */
static void
pcache_truncate(struct inode *ip)
{
  frame_op_begin();
  acquire(&pc.lock);
  each_page(truncate_page, ip);
  release(&pc.lock);
  frame_op_end();
}

static void
reclaim_page(struct cpage *c, void *n)
{
  if (droppable(c)) {
    drop(c);
    (*(int *)n)++;
  }
}

/* Drop every page nobody maps. Returns how many went. */
static int
pcache_reclaim(void)
{
  int n = 0;
  frame_op_begin();
  acquire(&pc.lock);
  each_page(reclaim_page, &n);
  release(&pc.lock);
  frame_op_end();
  return n;
}

static void
count_idle(struct cpage *c, void *n)
{
  *(uint64 *)n += droppable(c);
}

/* Pages the cache holds that nobody maps: as good as free, since kalloc
 * reclaims them before it fails. */
uint64
pcache_idle(void)
{
  uint64 n = 0;
  acquire(&pc.lock);
  each_page(count_idle, &n);
  release(&pc.lock);
  return n;
}

/* An auditor's note function and its argument (pcache_audit). */
struct note {
  void (*fn)(void *arg, uint64 pa);
  void *arg;
};

static void
note_page(struct cpage *c, void *note)
{
  struct note *n = note;
  n->fn(n->arg, frame_of(c));
}

/* Call note(arg, pa) for every reference the cache and its write queue
 * hold on a frame (memcheck). */
void
pcache_audit(void (*note)(void *arg, uint64 pa), void *arg)
{
  struct note n = {note, arg};
  acquire(&pc.lock);
  each_page(note_page, &n);
  for (int i = 0; i < wq.n; i++)
    note(arg, wq.e[(wq.head + i) % NQUEUED].pa);
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
  st->pcache_pages = pc.pages;
  st->file_writes = wq.written;
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

/* Is frame pa, which the caller holds (a PTE maps it), a page of the
 * cache? An entry changes only for a frame nobody else holds, so the
 * answer stays true while the caller holds it. */
static int
pager_cached(uint64 pa)
{
  return __atomic_load_n(&entry_of(pa)->inum, __ATOMIC_RELAXED) != 0;
}

static const struct pager pcache_pager = {
    .hold = pager_hold,
    .unhold = pager_unhold,
    .put = pager_put,
    .get = pcache_get,
    .writeback = pcache_writeback,
    .queue_write = pager_queue_write,
    .writes_ready = pager_writes_ready,
    .write_queued = pager_write_queued,
    .cached = pager_cached,
    .inum = pager_inum,
    .audit = pcache_audit,
};

/* Set up the cache, an entry per frame; install it as the address spaces'
 * pager, the frame allocator's last resort and the file system's listener
 * for truncation. Boot hart, once, after frames_init. */
void
pcache_init(void)
{
  initlock(&pc.lock, "pcache");
  initsleeplock(&wq.writer, "pcache writer");
  pc.entry = frames_carve(frames_span() * sizeof(struct cpage));
  frames_set_reclaim(pcache_reclaim);
  fs_set_truncate_hook(pcache_truncate);
  as_set_pager(&pcache_pager);
}
