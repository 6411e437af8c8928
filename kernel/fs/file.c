/* file.c: the system-wide table of open files and the device switch.
 *
 * An open file is a pipe end, an inode, or a device inode. ftable.lock
 * guards every entry's ref; the other fields are set while the caller holds
 * the only reference (filealloc) and are read-only afterwards, except off,
 * which is guarded by the inode's lock.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs.h"
#include "kernel/fs/file.h"
#include "kernel/sched/sched.h"
#include "kernel/dev/console.h"
#include "kernel/mem/aspace.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/fs/pcache.h"
#include "kernel/fs/pipe.h"
#include "kernel/lib/printf.h"
#include "kernel/stat.h"

/* Read/write functions per major device number: the console is the only
 * device. */
static const struct devsw devsw[NDEV] = {[CONSOLE] = {consoleread, consolewrite}};

static struct {
  struct spinlock lock;
  struct file file[NFILE];
} ftable;

/* Bytes one transaction of filewrite may write: an operation may log
 * MAXOPBLOCKS blocks; keep one for the inode, one for an indirect block and
 * two for bitmap blocks, and count each data block twice in case it is not
 * block-aligned at either end. */
#define WRITE_CHUNK (((MAXOPBLOCKS - 1 - 1 - 2) / 2) * BSIZE)

/* Initialises the file table. */
void
fileinit(void)
{
  initlock(&ftable.lock, "ftable");
}

/* Returns an unused file with ref 1 and type FD_NONE, or 0 if all are used. */
struct file *
filealloc(void)
{
  struct file *f;

  acquire(&ftable.lock);
  for (f = ftable.file; f < &ftable.file[NFILE]; f++) {
    if (f->ref == 0) {
      f->ref = 1;
      f->type = FD_NONE;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

/* A new pipe and a file for each of its ends: *rf reads, *wf writes.
 * Returns 0, or -1 (with nothing allocated) if memory or files run out. */
int
file_pipe(struct file **rf, struct file **wf)
{
  struct pipe *pi = 0;

  *rf = filealloc();
  *wf = filealloc();
  if (*rf == 0 || *wf == 0 || (pi = pipe_create()) == 0) {
    if (*rf)
      fileclose(*rf);
    if (*wf)
      fileclose(*wf);
    *rf = *wf = 0;
    return -1;
  }
  (*rf)->type = FD_PIPE;
  (*rf)->readable = 1;
  (*rf)->writable = 0;
  (*rf)->pipe = pi;
  (*wf)->type = FD_PIPE;
  (*wf)->readable = 0;
  (*wf)->writable = 1;
  (*wf)->pipe = pi;
  return 0;
}

/* Takes one more reference to f; returns f. */
struct file *
filedup(struct file *f)
{
  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("filedup: file not open");
  f->ref++;
  release(&ftable.lock);
  return f;
}

/* Drops a reference to f; the last one closes the pipe end or releases the
 * inode (inside a transaction, since that may free it). */
void
fileclose(struct file *f)
{
  struct file copy;

  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("fileclose: file not open");
  if (--f->ref > 0) {
    release(&ftable.lock);
    return;
  }
  copy = *f;
  f->type = FD_NONE;
  release(&ftable.lock);

  if (copy.type == FD_PIPE) {
    pipeclose(copy.pipe, copy.writable);
  } else if (copy.type == FD_INODE || copy.type == FD_DEVICE) {
    if (copy.type == FD_INODE && copy.writable)
      __atomic_fetch_sub(&copy.ip->writers, 1, __ATOMIC_RELAXED);
    begin_op();
    iput(copy.ip);
    end_op();
  }
}

/* Copies f's metadata to the struct stat at user address addr.
 * Returns 0, or -1 if f is not an inode, is broken, or addr is bad. */
int
filestat(struct file *f, uint64 addr)
{
  struct stat st;
  int ok;

  if (f->type != FD_INODE && f->type != FD_DEVICE)
    return -1;
  ok = ilock(f->ip) == 0;
  stati(f->ip, &st);
  iunlock(f->ip);
  if (!ok || copyout(myproc()->as, addr, (char *)&st, sizeof(st)) < 0)
    return -1;
  return 0;
}

/* Returns the device switch entry for major, or 0 if there is none. */
static const struct devsw *
device(short major)
{
  if (major < 0 || major >= NDEV)
    return 0;
  return &devsw[major];
}

/* fileread once the buffer is prefaulted: the copies below run under locks
 * (the pipe's, the inode's) and read no file page (as_loads). */
static int
read_locked(struct file *f, uint64 addr, int n)
{
  const struct devsw *d;
  int r;

  switch (f->type) {
  case FD_PIPE: return piperead(f->pipe, addr, n);
  case FD_DEVICE:
    if ((d = device(f->major)) == 0 || d->read == 0)
      return -1;
    return d->read(1, addr, n);
  case FD_INODE:
    if (ilock(f->ip) < 0) {
      iunlock(f->ip);
      return -1;
    }
    if ((r = readi(f->ip, 1, addr, f->off, n)) > 0)
      f->off += r;
    iunlock(f->ip);
    return r;
  default: panic("fileread: bad file type");
  }
}

/* Writes n bytes at user address addr to inode file f at its offset, one
 * bounded transaction at a time. Returns the bytes written, or -1 if none. */
static int
inode_write(struct file *f, uint64 addr, int n)
{
  int done = 0;

  while (done < n) {
    int chunk = n - done > WRITE_CHUNK ? WRITE_CHUNK : n - done;
    int r = -1;
    begin_op();
    if (ilock(f->ip) == 0 && (r = writei(f->ip, 1, addr + done, f->off, chunk)) > 0) {
      pcache_written(f->ip, f->off, r);
      f->off += r;
    }
    iunlock(f->ip);
    end_op();
    if (r > 0)
      done += r;
    if (r != chunk)
      break;
  }
  return done > 0 || n == 0 ? done : -1;
}

/* filewrite once the buffer is prefaulted: the copies below run under locks
 * (the pipe's, the inode's) and read no file page (as_loads). */
static int
write_locked(struct file *f, uint64 addr, int n)
{
  const struct devsw *d;

  switch (f->type) {
  case FD_PIPE: return pipewrite(f->pipe, addr, n);
  case FD_DEVICE:
    if ((d = device(f->major)) == 0 || d->write == 0)
      return -1;
    return d->write(1, addr, n);
  case FD_INODE: return inode_write(f, addr, n);
  default: panic("filewrite: bad file type");
  }
}

/* Run io (read_locked or write_locked) on user buffer [addr, addr+n): the
 * file pages of the buffer are read in first, with no lock held, and no
 * file page is read while io holds its locks (as_loads). */
static int
with_buffer(struct file *f, uint64 addr, int n, int (*io)(struct file *, uint64, int))
{
  struct aspace *as = myproc()->as;
  as_prefault(as, addr, n);
  as_loads(as, 0);
  int r = io(f, addr, n);
  as_loads(as, 1);
  return r;
}

/* Reads up to n bytes from f into user address addr. Returns the bytes
 * read, or -1. */
int
fileread(struct file *f, uint64 addr, int n)
{
  return f->readable ? with_buffer(f, addr, n, read_locked) : -1;
}

/* Writes n bytes from user address addr to f. Returns the bytes written,
 * or -1. */
int
filewrite(struct file *f, uint64 addr, int n)
{
  return f->writable ? with_buffer(f, addr, n, write_locked) : -1;
}
