/* log.c: a redo log that makes each group of file-system operations atomic
 * with respect to crashes.
 *
 * File-system code brackets every operation with begin_op()/end_op() and
 * calls log_write(b) instead of bwrite(b). log_write only records the block
 * number and pins the buf, so the new contents stay in the cache. When the
 * last outstanding operation ends, the whole group is committed:
 *   1. copy every recorded block into its slot in the on-disk log;
 *   2. write the header with n and the block numbers  <- the commit point;
 *   3. copy every block to its home location;
 *   4. write the header with n = 0.
 * A crash before 2 loses the group; a crash after 2 is repaired at boot by
 * initlog(), which replays the logged blocks (step 3) and clears the header.
 *
 * On disk (same layout as xv6): block sb->logstart holds struct logheader,
 * blocks logstart+1 .. logstart+LOGBLOCKS hold the logged copies.
 *
 * Locks: log.lock guards outstanding, committing and lh. While committing is
 * set no operation runs, so commit() reads lh without the lock. Lock order:
 * log.lock before the buffer-cache lock (log_write calls bpin). */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs.h"
#include "kernel/fs/buf.h"
#include "kernel/sched/sched.h"
#include "kernel/fs/log.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"

/* The header block, as on disk and in memory. Invariant: 0 <= n <= LOGBLOCKS,
 * block[0..n) distinct. */
struct logheader {
  int n;
  int block[LOGBLOCKS];
};
_Static_assert(sizeof(struct logheader) <= BSIZE, "log header must fit one block");
_Static_assert(LOGBLOCKS / MAXOPBLOCKS == LOGOPS, "begin_op admits LOGOPS operations");

static struct {
  struct spinlock lock;
  int dev;
  uint start;      /* header block; logged copies follow it */
  uint homestart;  /* lowest block a log entry may name (first block after the log) */
  uint fssize;     /* blocks in the file system; entries must lie below */
  int outstanding; /* operations between begin_op and end_op */
  int committing;  /* commit() running; no operation may begin */
  struct logheader lh;
} log;

/* Read the on-disk header into *h (unchecked). */
static void
read_head(struct logheader *h)
{
  struct buf *b = bread(log.dev, log.start);
  memmove(h, b->data, sizeof(*h));
  brelse(b);
}

/* Write log.lh to the header block. With n > 0 this commits the group. */
static void
write_head(void)
{
  struct buf *b = bread(log.dev, log.start);
  memset(b->data, 0, BSIZE);
  memmove(b->data, &log.lh, sizeof(log.lh));
  bwrite(b);
  brelse(b);
}

/* Is *h a header initlog may replay: a sane count, and every block inside
 * the file system and outside its boot, super and log blocks? */
static int
head_is_sane(struct logheader *h)
{
  if (h->n < 0 || h->n > LOGBLOCKS)
    return 0;
  for (int i = 0; i < h->n; i++)
    if ((uint)h->block[i] < log.homestart || (uint)h->block[i] >= log.fssize)
      return 0;
  return 1;
}

/* Copy the logged blocks of log.lh from the log to their home locations. */
static void
replay_from_log(void)
{
  for (int i = 0; i < log.lh.n; i++) {
    struct buf *from = bread(log.dev, log.start + 1 + i);
    struct buf *to = bread(log.dev, log.lh.block[i]);
    memmove(to->data, from->data, BSIZE);
    bwrite(to);
    brelse(to);
    brelse(from);
  }
}

/* Finish a transaction a crash interrupted, if the header records one, and
 * leave the header empty. A header that fails head_is_sane is not replayed. */
static void
recover(void)
{
  read_head(&log.lh);
  if (log.lh.n == 0)
    return;
  if (!head_is_sane(&log.lh)) {
    printf("log: header is corrupt (n %d); not replaying it\n", log.lh.n);
  } else {
    printf("log: replaying %d blocks of a committed transaction\n", log.lh.n);
    replay_from_log();
  }
  log.lh.n = 0;
  write_head();
}

/* Set up the log of device dev from its superblock and recover it.
 * => sb has been checked by the caller (fsinit): its size fits the disk.
 *    panics if the log area it describes is unusable. */
void
initlog(int dev, struct superblock *sb)
{
  if (sb->logstart < 2 || sb->nlog < LOGBLOCKS + 1 || (uint64)sb->logstart + sb->nlog > sb->size)
    panic("initlog: superblock describes an unusable log");

  initlock(&log.lock, "log");
  log.dev = dev;
  log.start = sb->logstart;
  log.homestart = sb->logstart + sb->nlog;
  log.fssize = sb->size;
  recover();
}

/* Wait until the log has room for one more operation's writes, then join the
 * current group. Every file-system operation that writes calls this first.
 * At most LOGOPS operations are admitted at once (bio.c counts on it). */
void
begin_op(void)
{
  acquire(&log.lock);
  while (log.committing || log.lh.n + (log.outstanding + 1) * MAXOPBLOCKS > LOGBLOCKS)
    sleep(&log, &log.lock);
  log.outstanding++;
  release(&log.lock);
}

/* Copy each recorded block from the cache into its log slot. */
static void
copy_to_log(void)
{
  for (int i = 0; i < log.lh.n; i++) {
    struct buf *from = bread(log.dev, log.lh.block[i]);
    struct buf *to = bread(log.dev, log.start + 1 + i);
    memmove(to->data, from->data, BSIZE);
    bwrite(to);
    brelse(to);
    brelse(from);
  }
}

/* Write each recorded block from the cache (where log_write pinned it) to its
 * home location, and drop the pins. */
static void
install_from_cache(void)
{
  for (int i = 0; i < log.lh.n; i++) {
    struct buf *b = bread(log.dev, log.lh.block[i]);
    bwrite(b);
    bunpin(b);
    brelse(b);
  }
}

/* Make the current group durable and install it.
 * => committing is set; no operation is outstanding */
static void
commit(void)
{
  if (log.lh.n == 0)
    return;
  copy_to_log();
  write_head();
  install_from_cache();
  log.lh.n = 0;
  write_head();
}

/* Leave the current group; the last operation to leave commits it. */
void
end_op(void)
{
  int do_commit = 0;

  acquire(&log.lock);
  if (log.committing || log.outstanding < 1)
    panic("end_op: no operation in progress");
  log.outstanding--;
  if (log.outstanding == 0) {
    log.committing = 1;
    do_commit = 1;
  } else {
    /* This operation's unused reservation may let a waiter in. */
    wakeup(&log);
  }
  release(&log.lock);

  if (do_commit) {
    commit();
    acquire(&log.lock);
    log.committing = 0;
    wakeup(&log);
    release(&log.lock);
  }
}

/* Record that b (modified, locked by the caller) belongs to the current group,
 * and keep it cached until the commit. A block already recorded is absorbed.
 * => inside begin_op/end_op; panics if the group outgrows the log. */
void
log_write(struct buf *b)
{
  int i;

  acquire(&log.lock);
  if (log.outstanding < 1)
    panic("log_write: outside an operation");
  for (i = 0; i < log.lh.n; i++)
    if ((uint)log.lh.block[i] == b->blockno)
      break;
  if (i == log.lh.n) {
    if (log.lh.n >= LOGBLOCKS)
      panic("log_write: transaction too big");
    log.lh.block[log.lh.n++] = b->blockno;
    bpin(b);
  }
  release(&log.lock);
}
