/* fs.c: the file system above the block cache and the log.
 *
 * Owns the superblock check, the free-block bitmap, the inode table, block
 * mapping, inode contents, directories and path lookup.
 *
 * The disk is never trusted. fsinit refuses a superblock whose regions do not
 * fit; bmap and balloc only ever produce blocks inside the data area; an
 * on-disk inode with a bad type, size, link count or number is loaded as
 * "broken" (valid == INODE_BROKEN): it looks empty, every operation on it
 * fails with -1, and it is never written back or freed.
 *
 * Locks:
 *   itable.lock (spinlock) guards dev, inum and ref of every table entry; it is
 *     never held across a sleep.
 *   ip->lock (sleeplock) guards valid and the copy of the disk inode.
 * Order: begin_op, then inode locks (a parent directory before its child),
 * then buffer locks.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/fs/file.h"
#include "kernel/fs/buf.h"
#include "kernel/sched/sched.h"
#include "kernel/mem/uaccess.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/lib/printf.h"
#include "kernel/stat.h"
#include "kernel/lib/string.h"
#include "kernel/dev/virtio_disk.h"

/* Values of ip->valid. */
#define INODE_UNREAD 0  /* fields not loaded from disk yet */
#define INODE_OK     1  /* fields hold a sane copy of the disk inode */
#define INODE_BROKEN -1 /* disk inode rejected; fields zeroed, all use fails */

/* The superblock of the one mounted disk; written once by fsinit. */
static struct superblock sb;

static struct {
  struct spinlock lock;
  struct inode inode[NINODE];
} itable;

/* ---------------------------------------------------------------- superblock */

/* Blocks needed to hold n items of which per fit in one block. */
static uint64
blocks_for(uint64 n, uint64 per)
{
  return (n + per - 1) / per;
}

/* First data block; valid once fsinit has accepted sb. */
static uint
data_start(void)
{
  return sb.size - sb.nblocks;
}

/* Returns 0 if s describes a disk of disk_blocks blocks laid out as
 * [boot | super | log | inodes | bitmap | data] with no overlap, else prints
 * why not and returns -1. */
static int
sb_check(struct superblock *s, uint64 disk_blocks)
{
  uint64 inode_end = (uint64)s->inodestart + blocks_for(s->ninodes, IPB);
  uint64 bmap_end = (uint64)s->bmapstart + blocks_for(s->size, BPB);
  const char *why = 0;

  if (s->magic != FSMAGIC)
    why = "bad magic";
  else if (s->size == 0 || s->size > disk_blocks)
    why = "size larger than the disk";
  else if (s->nblocks == 0 || s->nblocks >= s->size)
    why = "bad data block count";
  else if (s->ninodes <= ROOTINO)
    why = "too few inodes";
  else if (s->nlog < LOGBLOCKS + 1)
    why = "log smaller than header + LOGBLOCKS";
  else if (s->logstart < 2)
    why = "log overlaps boot or superblock";
  else if ((uint64)s->logstart + s->nlog > s->inodestart)
    why = "log overlaps inodes";
  else if (inode_end > s->bmapstart)
    why = "inodes overlap bitmap";
  else if (bmap_end > (uint64)s->size - s->nblocks)
    why = "bitmap overlaps data";
  if (why == 0)
    return 0;
  printf("fs: corrupt superblock: %s (magic %x size %u nblocks %u ninodes %u nlog %u "
         "logstart %u inodestart %u bmapstart %u; disk %lu blocks)\n",
         why, s->magic, s->size, s->nblocks, s->ninodes, s->nlog, s->logstart, s->inodestart,
         s->bmapstart, (uint64)disk_blocks);
  return -1;
}

/* Reads and checks dev's superblock, then recovers the log.
 * Returns 0 if the file system may be mounted, -1 if it is corrupt. */
int
fsinit(int dev)
{
  struct buf *bp;
  struct superblock s;

  if (virtio_disk_blocks() < 2) {
    printf("fs: no disk, or too small to hold a superblock\n");
    return -1;
  }
  bp = bread(dev, 1);
  memmove(&s, bp->data, sizeof(s));
  brelse(bp);
  if (sb_check(&s, virtio_disk_blocks()) < 0)
    return -1;
  sb = s;
  initlog(dev, &sb);
  return 0;
}

/* ------------------------------------------------------------------- blocks */

/* Is b a block of the data area? */
static int
in_data(uint b)
{
  return b >= data_start() && b < sb.size;
}

/* Fills block b with zeroes, through the log. Caller is in a transaction. */
static void
bzero(int dev, uint b)
{
  struct buf *bp = bread(dev, b);

  memset(bp->data, 0, BSIZE);
  log_write(bp);
  brelse(bp);
}

/* Marks a free data block used and zeroes it. Caller is in a transaction.
 * Returns its number, or 0 if the data area is full. */
static uint
balloc(uint dev)
{
  for (uint base = 0; base < sb.size; base += BPB) {
    struct buf *bp = bread(dev, BBLOCK(base, sb));
    for (uint bit = 0; bit < BPB && base + bit < sb.size; bit++) {
      uint b = base + bit;
      uchar mask = 1 << (bit % 8);
      if (!in_data(b) || (bp->data[bit / 8] & mask))
        continue;
      bp->data[bit / 8] |= mask;
      log_write(bp);
      brelse(bp);
      bzero(dev, b);
      return b;
    }
    brelse(bp);
  }
  printf("fs: out of data blocks\n");
  return 0;
}

/* Marks data block b free. Caller is in a transaction. A block outside the
 * data area or already free means a corrupt inode: it is reported, not freed. */
static void
bfree(int dev, uint b)
{
  struct buf *bp;
  uchar mask = 1 << (b % 8);

  if (!in_data(b)) {
    printf("fs: not freeing block %u outside the data area\n", b);
    return;
  }
  bp = bread(dev, BBLOCK(b, sb));
  if (bp->data[(b % BPB) / 8] & mask) {
    bp->data[(b % BPB) / 8] &= ~mask;
    log_write(bp);
  } else {
    printf("fs: block %u freed twice\n", b);
  }
  brelse(bp);
}

/* ------------------------------------------------------------------- inodes */

/* Initialises the inode table. */
void
iinit(void)
{
  initlock(&itable.lock, "itable");
  for (int i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

/* Finds or claims the table entry for (dev, inum) and takes a reference.
 * Does not lock it or read it. Returns 0 if every entry is in use. */
static struct inode *
iget(uint dev, uint inum)
{
  struct inode *ip, *empty = 0;

  acquire(&itable.lock);
  for (ip = itable.inode; ip < &itable.inode[NINODE]; ip++) {
    if (ip->ref > 0 && ip->dev == dev && ip->inum == inum) {
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if (empty == 0 && ip->ref == 0)
      empty = ip;
  }
  if (empty != 0) {
    empty->dev = dev;
    empty->inum = inum;
    empty->ref = 1;
    empty->valid = INODE_UNREAD;
  }
  release(&itable.lock);
  return empty;
}

/* Takes one more reference to ip; returns ip. */
struct inode *
idup(struct inode *ip)
{
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

/* Sets ip's in-memory copy to an empty inode of the given type.
 * Caller holds ip->lock. */
static void
iclear(struct inode *ip, short type)
{
  ip->type = type;
  ip->major = 0;
  ip->minor = 0;
  ip->nlink = 0;
  ip->size = 0;
  memset(ip->addrs, 0, sizeof(ip->addrs));
}

/* Claims a free on-disk inode on dev and gives it type. Caller is in a
 * transaction. Returns it referenced and unlocked, already valid, with nlink 0;
 * returns 0 if no inode is free on disk or in the table. */
struct inode *
ialloc(uint dev, short type)
{
  for (uint inum = ROOTINO + 1; inum < sb.ninodes; inum++) {
    struct buf *bp = bread(dev, IBLOCK(inum, sb));
    struct dinode *dip = (struct dinode *)bp->data + inum % IPB;
    struct inode *ip;
    if (dip->type != 0) {
      brelse(bp);
      continue;
    }
    if ((ip = iget(dev, inum)) == 0) {
      brelse(bp);
      return 0;
    }
    memset(dip, 0, sizeof(*dip));
    dip->type = type;
    log_write(bp);
    brelse(bp);
    acquiresleep(&ip->lock);
    iclear(ip, type);
    ip->valid = INODE_OK;
    releasesleep(&ip->lock);
    return ip;
  }
  printf("fs: out of inodes\n");
  return 0;
}

/* Writes ip's in-memory copy to disk. Caller holds ip->lock and is in a
 * transaction. A broken inode is never written. */
void
iupdate(struct inode *ip)
{
  struct buf *bp;
  struct dinode *dip;

  if (ip->valid != INODE_OK)
    return;
  bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  dip = (struct dinode *)bp->data + ip->inum % IPB;
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(bp);
  brelse(bp);
}

/* Is d an inode the kernel can safely use? Block numbers are checked later,
 * by bmap, when they are used. */
static int
dinode_sane(struct dinode *d)
{
  if (d->type != T_DIR && d->type != T_FILE && d->type != T_DEVICE)
    return 0;
  return d->size <= MAXFILE * BSIZE && d->nlink >= 0;
}

/* Loads ip from disk, marking it INODE_OK or INODE_BROKEN.
 * Caller holds ip->lock. */
static void
iload(struct inode *ip)
{
  struct buf *bp;
  struct dinode *dip;

  iclear(ip, 0);
  ip->valid = INODE_BROKEN;
  if (ip->inum < ROOTINO || ip->inum >= sb.ninodes) {
    printf("fs: inode number %u out of range\n", ip->inum);
    return;
  }
  bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  dip = (struct dinode *)bp->data + ip->inum % IPB;
  if (dinode_sane(dip)) {
    ip->type = dip->type;
    ip->major = dip->major;
    ip->minor = dip->minor;
    ip->nlink = dip->nlink;
    ip->size = dip->size;
    memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
    ip->valid = INODE_OK;
  } else if (dip->type == 0) {
    printf("fs: inode %u is free; a directory entry still names it\n", ip->inum);
  } else {
    printf("fs: inode %u is corrupt (type %d size %u nlink %d)\n", ip->inum, dip->type, dip->size,
           dip->nlink);
  }
  brelse(bp);
}

/* Locks ip, reading it from disk if needed. The lock is held on return
 * either way; returns 0 if ip is usable, -1 if its disk inode is corrupt. */
int
ilock(struct inode *ip)
{
  if (ip == 0 || ip->ref < 1)
    panic("ilock: unreferenced inode");
  acquiresleep(&ip->lock);
  if (ip->valid == INODE_UNREAD)
    iload(ip);
  return ip->valid == INODE_OK ? 0 : -1;
}

/* Unlocks ip, which the caller holds locked and referenced. */
void
iunlock(struct inode *ip)
{
  if (ip == 0 || !holdingsleep(&ip->lock) || ip->ref < 1)
    panic("iunlock: inode not held");
  releasesleep(&ip->lock);
}

/* Drops a reference to ip. Dropping the last reference to a valid inode
 * with no links frees it and its blocks, so a caller that may drop the last
 * reference must be in a transaction. ip must not be locked by the caller. */
void
iput(struct inode *ip)
{
  acquire(&itable.lock);
  if (ip->ref == 1 && ip->valid == INODE_OK && ip->nlink == 0) {
    /* No other reference exists, so nobody else holds or waits for the lock:
     * acquiring it cannot sleep. */
    acquiresleep(&ip->lock);
    release(&itable.lock);
    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = INODE_UNREAD;
    releasesleep(&ip->lock);
    acquire(&itable.lock);
  }
  ip->ref--;
  release(&itable.lock);
}

/* Drops a reference to ip if it is not the last one, and says so (1); a
 * reference that may be the last is left for iput in a transaction (0).
 * Lets a caller with many references to drop skip the transaction when no
 * inode can be freed. */
int
iput_if_shared(struct inode *ip)
{
  acquire(&itable.lock);
  int shared = ip->ref > 1;
  if (shared)
    ip->ref--;
  release(&itable.lock);
  return shared;
}

/* iunlock, then iput. */
void
iunlockput(struct inode *ip)
{
  iunlock(ip);
  iput(ip);
}

/* ------------------------------------------------------------ block mapping */

/* Returns the block in *slot, allocating one there if it is 0 and alloc is
 * set. Returns 0 if the slot is empty and not filled, if allocation fails, or
 * if the slot names a block outside the data area. Sets *filled when it
 * changed *slot. Caller is in a transaction if alloc is set. */
static uint
slot_block(uint dev, uint *slot, int alloc, int *filled)
{
  *filled = 0;
  if (*slot == 0) {
    if (!alloc || (*slot = balloc(dev)) == 0)
      return 0;
    *filled = 1;
    return *slot;
  }
  return in_data(*slot) ? *slot : 0;
}

/* Returns the disk block holding block bn of ip's content, allocating it
 * (and the indirect block) if alloc is set. Returns 0 if bn is beyond
 * MAXFILE, the block is missing and alloc is clear, the disk is full, or a
 * block number on disk is outside the data area. Caller holds ip->lock. */
static uint
bmap(struct inode *ip, uint bn, int alloc)
{
  uint ind, addr;
  int filled;
  struct buf *bp;

  if (bn < NDIRECT)
    return slot_block(ip->dev, &ip->addrs[bn], alloc, &filled);
  bn -= NDIRECT;
  if (bn >= NINDIRECT)
    return 0;
  if ((ind = slot_block(ip->dev, &ip->addrs[NDIRECT], alloc, &filled)) == 0)
    return 0;
  bp = bread(ip->dev, ind);
  addr = slot_block(ip->dev, (uint *)bp->data + bn, alloc, &filled);
  if (filled)
    log_write(bp);
  brelse(bp);
  return addr;
}

/* Frees every block of the indirect block ind, then ind itself.
 * Caller is in a transaction. */
static void
free_indirect(uint dev, uint ind)
{
  struct buf *bp;
  uint *a;

  if (!in_data(ind)) {
    printf("fs: not reading indirect block %u outside the data area\n", ind);
    return;
  }
  bp = bread(dev, ind);
  a = (uint *)bp->data;
  for (uint i = 0; i < NINDIRECT; i++)
    if (a[i] != 0)
      bfree(dev, a[i]);
  brelse(bp);
  bfree(dev, ind);
}

/* Told whenever a file loses its content (itrunc): the page cache, one
 * layer up in the file system, which reads files through this one and so
 * cannot be called from here; it installs the hook at boot. */
static void (*truncated_hook)(struct inode *ip);

void
fs_set_truncate_hook(void (*hook)(struct inode *ip))
{
  truncated_hook = hook;
}

/* Frees all of ip's content and sets its size to 0, at O_TRUNC and when a
 * file is freed; the page cache hears of it (truncated_hook) before the
 * freed blocks can be reused. Caller holds ip->lock and is in a
 * transaction. A broken inode is left alone. */
void
itrunc(struct inode *ip)
{
  if (ip->valid != INODE_OK)
    return;
  for (int i = 0; i < NDIRECT; i++) {
    if (ip->addrs[i] != 0)
      bfree(ip->dev, ip->addrs[i]);
    ip->addrs[i] = 0;
  }
  if (ip->addrs[NDIRECT] != 0)
    free_indirect(ip->dev, ip->addrs[NDIRECT]);
  ip->addrs[NDIRECT] = 0;
  ip->size = 0;
  iupdate(ip);
  if (truncated_hook)
    truncated_hook(ip);
}

/* ----------------------------------------------------------------- contents */

/* Copies ip's metadata to st. Caller holds ip->lock. */
void
stati(struct inode *ip, struct stat *st)
{
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

/* Reads up to n bytes from offset off of ip into dst (a user address if
 * user_dst). Caller holds ip->lock. A killed caller copying to user memory
 * stops at the next block. Returns the bytes read (0 at or past the end), or
 * -1 if ip is broken or nothing could be read because of a bad block or
 * destination, or a kill. */
int
readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  uint done = 0;

  if (ip->valid != INODE_OK)
    return -1;
  if (off > ip->size || off + n < off)
    return 0;
  if (n > ip->size - off)
    n = ip->size - off;
  while (done < n && !(user_dst && killed(myproc()))) {
    uint addr = bmap(ip, off / BSIZE, 0);
    uint m = BSIZE - off % BSIZE;
    struct buf *bp;
    int bad;
    if (addr == 0)
      break;
    if (m > n - done)
      m = n - done;
    bp = bread(ip->dev, addr);
    bad = either_copyout(user_dst, dst, bp->data + off % BSIZE, m) < 0;
    brelse(bp);
    if (bad)
      break;
    done += m;
    off += m;
    dst += m;
  }
  return done == n || done > 0 ? (int)done : -1;
}

/* Writes n bytes from src (a user address if user_src) at offset off of ip,
 * growing it if needed. Caller holds ip->lock and is in a transaction whose
 * size covers the blocks written. Fails (-1) if ip is broken, off is past
 * the end, or the write would pass MAXFILE*BSIZE. A killed caller copying
 * from user memory stops at the next block. Returns the bytes written, or -1
 * if a bad block, full disk, bad source or kill stopped it at once. */
int
writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
  uint done = 0;

  if (ip->valid != INODE_OK)
    return -1;
  if (off > ip->size || off + n < off || (uint64)off + n > MAXFILE * BSIZE)
    return -1;
  while (done < n && !(user_src && killed(myproc()))) {
    uint addr = bmap(ip, off / BSIZE, 1);
    uint m = BSIZE - off % BSIZE;
    struct buf *bp;
    int bad;
    if (addr == 0)
      break;
    if (m > n - done)
      m = n - done;
    bp = bread(ip->dev, addr);
    /* A failed copy may have changed part of the buffer: log it anyway so
     * the cache and the disk agree. */
    bad = either_copyin(bp->data + off % BSIZE, user_src, src, m) < 0;
    log_write(bp);
    brelse(bp);
    if (bad)
      break;
    done += m;
    off += m;
    src += m;
  }
  if (off > ip->size)
    ip->size = off;
  /* bmap may have filled addrs even if nothing was written. */
  iupdate(ip);
  return done == n || done > 0 ? (int)done : -1;
}

/* -------------------------------------------------------------- directories */

/* Compares two directory entry names (at most DIRSIZ bytes); 0 if equal. */
int
namecmp(const char *s, const char *t)
{
  return strncmp(s, t, DIRSIZ);
}

/* Has directory dp (locked) been removed? A removed directory keeps its
 * inode and blocks until its last reference goes, but has no entries, not
 * even "." and "..": lookups in it find nothing and nothing can be added to
 * it (as in Unix). */
static int
dir_removed(struct inode *dp)
{
  return dp->nlink == 0;
}

/* Looks for name in directory dp, which the caller holds locked.
 * Returns 1 if found, with *ipp the entry's inode, referenced and unlocked,
 * and *poff (if poff is not 0) the entry's offset; 0 if dp has no such entry;
 * -1 if the answer is unknown: dp is not a usable directory, it could not be
 * read, or the inode table has no slot for the entry's inode. */
int
dirlookup(struct inode *dp, char *name, uint *poff, struct inode **ipp)
{
  struct dirent de;

  *ipp = 0;
  if (dp->valid != INODE_OK || dp->type != T_DIR)
    return -1;
  if (dir_removed(dp))
    return 0;
  for (uint off = 0; off + sizeof(de) <= dp->size; off += sizeof(de)) {
    if (readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      return -1;
    if (de.inum == 0 || namecmp(name, de.name) != 0)
      continue;
    if (poff)
      *poff = off;
    *ipp = iget(dp->dev, de.inum);
    return *ipp != 0 ? 1 : -1;
  }
  return 0;
}

/* Adds the entry (name, inum) to directory dp, which the caller holds locked,
 * inside a transaction. Returns 0, or -1 if dp has been removed, name exists
 * (or cannot be shown not to), or the write fails. */
int
dirlink(struct inode *dp, char *name, uint inum)
{
  struct dirent de;
  struct inode *ip;
  uint off;
  int found;

  if ((found = dirlookup(dp, name, 0, &ip)) != 0) {
    if (found > 0)
      iput(ip);
    return -1;
  }
  if (dir_removed(dp))
    return -1;
  for (off = 0; off + sizeof(de) <= dp->size; off += sizeof(de)) {
    if (readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      return -1;
    if (de.inum == 0)
      break;
  }
  memset(&de, 0, sizeof(de));
  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  return writei(dp, 0, (uint64)&de, off, sizeof(de)) == sizeof(de) ? 0 : -1;
}

/* -------------------------------------------------------------------- paths */

/* Copies the first element of path into name (cut to DIRSIZ bytes, NUL
 * terminated if shorter) and returns the rest of path with leading slashes
 * removed; returns 0 if path holds no element.
 *   skip_elem("//a//bb/", n) = "bb/", n = "a";  skip_elem("///", n) = 0 */
static char *
skip_elem(char *path, char *name)
{
  char *start;
  int len;

  while (*path == '/')
    path++;
  if (*path == '\0')
    return 0;
  start = path;
  while (*path != '/' && *path != '\0')
    path++;
  len = path - start;
  if (len >= DIRSIZ) {
    memmove(name, start, DIRSIZ);
  } else {
    memmove(name, start, len);
    name[len] = '\0';
  }
  while (*path == '/')
    path++;
  return path;
}

/* Walks path from the root or the current directory. If parent is set,
 * stops one element early, copies the last element into name, and returns
 * the parent. Returns a referenced, unlocked inode, or 0 on failure.
 * Caller is in a transaction (it may drop the last reference to an inode). */
static struct inode *
walk_path(char *path, int parent, char *name)
{
  struct inode *ip, *next;

  if (*path == '/')
    ip = iget(ROOTDEV, ROOTINO);
  else
    ip = idup(myproc()->cwd);
  if (ip == 0)
    return 0;
  while ((path = skip_elem(path, name)) != 0) {
    if (ilock(ip) < 0 || ip->type != T_DIR) {
      iunlockput(ip);
      return 0;
    }
    if (parent && *path == '\0') {
      iunlock(ip);
      return ip;
    }
    if (dirlookup(ip, name, 0, &next) <= 0) {
      iunlockput(ip);
      return 0;
    }
    iunlockput(ip);
    ip = next;
  }
  if (parent) {
    iput(ip);
    return 0;
  }
  return ip;
}

/* Returns the inode path names, referenced and unlocked, or 0. */
struct inode *
namei(char *path)
{
  char name[DIRSIZ];

  return walk_path(path, 0, name);
}

/* Returns the directory holding path's last element, referenced and
 * unlocked, and copies that element into name (DIRSIZ bytes); 0 if path has
 * no last element or the walk fails. */
struct inode *
nameiparent(char *path, char *name)
{
  return walk_path(path, 1, name);
}
