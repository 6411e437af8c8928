/* pipe.c: pipes, a bounded byte ring shared by a read end and a write end.
 *
 * Each pipe lives in its own kernel page and is freed when both ends are
 * closed. pi->lock guards every field. Readers wait on &pi->nwrite (for data
 * to arrive), writers on &pi->nread (for room); copies to and from user
 * memory happen under pi->lock and do not sleep.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/frame.h"
#include "kernel/fs/pipe.h"

#define PIPESIZE 512

struct pipe {
  struct spinlock lock;
  char data[PIPESIZE];
  uint nread;    /* bytes ever read; nread <= nwrite <= nread + PIPESIZE */
  uint nwrite;   /* bytes ever written; byte i lives at data[i % PIPESIZE] */
  int readopen;  /* the read end is open */
  int writeopen; /* the write end is open */
};

_Static_assert(sizeof(struct pipe) <= PGSIZE, "struct pipe must fit in a page");

/* A new pipe, both ends open, or 0 if memory runs out. The file layer
 * makes its two ends (file_pipe). */
struct pipe *
pipe_create(void)
{
  struct pipe *pi = (struct pipe *)kalloc();

  if (pi == 0)
    return 0;
  initlock(&pi->lock, "pipe");
  pi->nread = 0;
  pi->nwrite = 0;
  pi->readopen = 1;
  pi->writeopen = 1;
  return pi;
}

/* Closes one end of pi (the write end if writable), waking the other side;
 * frees pi when both ends are closed. */
void
pipeclose(struct pipe *pi, int writable)
{
  acquire(&pi->lock);
  if (writable) {
    pi->writeopen = 0;
    wakeup(&pi->nwrite);
  } else {
    pi->readopen = 0;
    wakeup(&pi->nread);
  }
  if (pi->readopen || pi->writeopen) {
    release(&pi->lock);
    return;
  }
  release(&pi->lock);
  kfree(pi);
}

/* Length of the contiguous run of the ring starting at counter pos, capped
 * at limit bytes. */
static uint
ring_run(uint pos, uint limit)
{
  uint run = PIPESIZE - pos % PIPESIZE;

  return run < limit ? run : limit;
}

/* Writes n bytes from user address addr into pi, sleeping while it is full.
 * Stops early at a bad user address, when the read end is closed, or when
 * the caller is killed. Returns the bytes written, or -1 if it stopped
 * before writing any. */
/* A copy under pi->lock found a page of [addr, addr+n) it cannot have
 * under a spinlock (in swap, or no frame free for it): make the page
 * usable for access with the lock released (as_fault_in). Returns 0 to
 * try the copy again, -1 if the page cannot be had. */
static int
refault(struct pipe *pi, struct proc *p, uint64 addr, int n, enum access access)
{
  release(&pi->lock);
  int r = as_fault_in(p->as, addr, n, access);
  acquire(&pi->lock);
  return r;
}

int
pipewrite(struct pipe *pi, uint64 addr, int n)
{
  struct proc *p = myproc();
  int done = 0;

  acquire(&pi->lock);
  while (done < n && pi->readopen && !killed(p)) {
    uint run;
    if (pi->nwrite == pi->nread + PIPESIZE) {
      wakeup(&pi->nwrite);
      sleep_killable(&pi->nread, &pi->lock);
      continue;
    }
    run = ring_run(pi->nwrite, pi->nread + PIPESIZE - pi->nwrite);
    if (run > (uint)(n - done))
      run = n - done;
    int r = copyin(p->as, &pi->data[pi->nwrite % PIPESIZE], addr + done, run);
    if (r == COPY_WAIT && refault(pi, p, addr + done, run, ACCESS_READ) == 0)
      continue;
    if (r < 0)
      break;
    pi->nwrite += run;
    done += run;
  }
  wakeup(&pi->nwrite);
  release(&pi->lock);
  return done > 0 || n == 0 ? done : -1;
}

/* Reads up to n bytes from pi into user address addr, sleeping while it is
 * empty and the write end is open. Returns the bytes read (0 at end of
 * file), or -1 if killed while waiting or if nothing could be copied out. */
int
piperead(struct pipe *pi, uint64 addr, int n)
{
  struct proc *p = myproc();
  int done = 0, failed = 0;

  acquire(&pi->lock);
  while (pi->nread == pi->nwrite && pi->writeopen) {
    if (killed(p)) {
      release(&pi->lock);
      return -1;
    }
    sleep_killable(&pi->nwrite, &pi->lock);
  }
  while (done < n && pi->nread != pi->nwrite) {
    uint run = ring_run(pi->nread, pi->nwrite - pi->nread);
    if (run > (uint)(n - done))
      run = n - done;
    int r = copyout(p->as, addr + done, &pi->data[pi->nread % PIPESIZE], run);
    if (r == COPY_WAIT && refault(pi, p, addr + done, run, ACCESS_WRITE) == 0)
      continue;
    if (r < 0) {
      failed = 1;
      break;
    }
    pi->nread += run;
    done += run;
  }
  wakeup(&pi->nread);
  release(&pi->lock);
  return failed && done == 0 ? -1 : done;
}
