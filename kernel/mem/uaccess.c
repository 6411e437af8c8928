/* uaccess.c: the kernel's copies to and from user memory: copyin, copyout
 * and copyinstr, each page resolved exactly as a user access would be
 * (fault.c), so that a store honours copy-on-write; as_prefault and
 * as_loads, for copies made under locks that a file read may not wait
 * under, and as_fault_in, for a copy that could not finish under a
 * spinlock (COPY_WAIT); and either_copyin and
 * either_copyout, for the console and the file system, which serve user and
 * kernel buffers alike. These two are the one place memory code asks which
 * process runs: the rest of mem/ is handed the address space it works on. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/aspace_impl.h"
#include "kernel/sched/sched.h"
#include "kernel/lib/string.h"
#include "kernel/mem/pagetable.h"
#include "kernel/mem/uaccess.h"
#include "kernel/mem/swap.h"
#include "kernel/mem/evict.h"

/* Is uva, in no region, room the running program's stack may grow into
 * (as_grow_stack): a buffer in its stack frame, below what it has touched?
 * Only at or above sp, for a store too: a buffer the program hands to a
 * system call lies in a frame it has made, and a pointer below sp is a
 * bad one. If so, the stack grows. */
static int
grows_stack(struct aspace *as, uint64 uva)
{
  struct proc *p = myproc();
  return p && p->as == as && as_grow_stack(as, uva, ACCESS_READ, p->trapframe->sp) == 0;
}

/* Move bytes between kernel buffer k and user address uva, a page at a
 * time, each page resolved exactly as a user access would be: len bytes to
 * the user (ACCESS_WRITE) or from the user (ACCESS_READ); with string set, a
 * read stops after the first NUL. When memory is full, page replacement
 * makes room, unless the caller holds a spinlock. Returns 0 (for a string:
 * a NUL was copied), -1 on a bad address, when no frame is left for a
 * copy, or for a string with no NUL in its first len bytes, or COPY_WAIT
 * (aspace.h) when a page must be read, or memory made, and the caller
 * holds a spinlock. */
static int
copy_user(struct aspace *as, char *k, uint64 uva, uint64 len, enum access access, int string)
{
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(uva), n = PGSIZE - (uva - va0);
    pte_t *pte;
    int done = 0;
    if (n > len)
      n = len;
    as_op_begin(as);
    int r = fault_locked(as, va0, access, &pte);
    if (r != 0) {
      as_op_end(as);
      if (fault_nomem(r) && !intr_get())
        return COPY_WAIT; /* the caller makes room, its spinlock released */
      if (fault_nomem(r) && mem_reclaim(RECLAIM_BATCH) > 0)
        continue; /* page replacement made room: try the page again */
      if (r == FAULT_BAD && grows_stack(as, uva))
        continue; /* a buffer in stack the program has not touched yet */
      return r == FAULT_WAIT ? COPY_WAIT : -1;
    }
    char *u = (char *)(PTE2PA(*pte) + (uva - va0));
    if (access == ACCESS_WRITE)
      memmove(u, k, n);
    else if (!string)
      memmove(k, u, n);
    else
      for (uint64 i = 0; i < n && !done; i++)
        done = (k[i] = u[i]) == 0;
    as_op_end(as);
    if (done)
      return 0;
    len -= n;
    k += n;
    uva = va0 + PGSIZE;
  }
  return string ? -1 : 0;
}

/* Copy len bytes from kernel src to user dstva. Returns 0 or -1. */
int
copyout(struct aspace *as, uint64 dstva, char *src, uint64 len)
{
  return copy_user(as, src, dstva, len, ACCESS_WRITE, 0);
}

/* Copy len bytes from user srcva to kernel dst. Returns 0 or -1. */
int
copyin(struct aspace *as, char *dst, uint64 srcva, uint64 len)
{
  return copy_user(as, dst, srcva, len, ACCESS_READ, 0);
}

/* Copy a NUL-terminated string of at most max bytes (NUL included) from user
 * srcva to dst. Returns 0, or -1 on a bad address or a string too long. */
int
copyinstr(struct aspace *as, char *dst, uint64 srcva, uint64 max)
{
  return copy_user(as, dst, srcva, max, ACCESS_READ, 1);
}

/* Forbid (allowed 0) or allow again (1) reading file pages for kernel
 * copies into as: a copy made while holding an inode's lock (read() and
 * write() of a file) must not wait for another file's lock, or for the
 * same one. Such a caller prefaults its buffer first; a page still missing
 * makes the copy fail. Called by as's owner only. */
void
as_loads(struct aspace *as, int allowed)
{
  as->noload += allowed ? -1 : 1;
}

/* Read in and map now the file pages of [va, va+len) that are not mapped
 * yet, and the swapped pages, so that a kernel copy into or out of them
 * later needs no I/O (and can run while holding locks: a pipe's, an
 * inode's). Pages of other kinds are left to the copy. The caller holds no spinlock. Returns 0, or -1 at
 * a page that cannot be read (the copy will fail there too). */
int
as_prefault(struct aspace *as, uint64 va, uint64 len)
{
  uint64 end = va + len;
  if (len == 0 || end < va)
    return 0;
  for (uint64 a = PGROUNDDOWN(va); a < end && a < USER_TOP; a += PGSIZE) {
    as_op_begin(as);
    struct region *r = region_at(as, a);
    pte_t *pte = r ? walk(as->pt, a) : 0;
    int need = (r && r->ip && (pte == 0 || !(*pte & PTE_V))) || (pte && pte_swapped(*pte));
    int err = need ? fault_locked(as, a, ACCESS_READ, &pte) : 0;
    if (r == 0 && a + PGSIZE < end) { /* skip to the next region */
      uint64 next = end;
      for (int i = 0; i < as->nregions; i++)
        if (as->regions[i].start > a && as->regions[i].start < next)
          next = as->regions[i].start;
      a = PGROUNDDOWN(next) - PGSIZE;
    }
    as_op_end(as);
    if (err != 0)
      return -1;
  }
  return 0;
}

/* Make the pages of [va, va+len) usable for access now, as the user's own
 * access would (vm_fault): read in from a file or from swap, and for a
 * store, zero-filled or copied; page replacement makes room when memory
 * is full. For a kernel copy that returned COPY_WAIT: its caller, its
 * spinlock released, calls this and copies again. The caller holds no
 * spinlock. Returns 0, or -1 at a page that cannot be had (the copy fails
 * there too). */
int
as_fault_in(struct aspace *as, uint64 va, uint64 len, enum access access)
{
  uint64 end = va + len;
  if (len == 0 || end < va)
    return 0;
  for (uint64 a = PGROUNDDOWN(va); a < end; a += PGSIZE)
    if (vm_fault(as, a, access) != 0)
      return -1;
  return 0;
}

/* Copy to a user address (user_dst) or a kernel one. Returns 0 or -1. */
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if (user_dst)
    return copyout(myproc()->as, dst, src, len);
  memmove((void *)dst, src, len);
  return 0;
}

/* Copy from a user address (user_src) or a kernel one. Returns 0 or -1. */
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if (user_src)
    return copyin(myproc()->as, dst, src, len);
  memmove(dst, (void *)src, len);
  return 0;
}

/* Bring every swapped page of every address space back into memory (for
 * tests, which compare free frames before and after, and for demos: what
 * swapoff does). Sleeps; the caller holds no spinlock. Returns the pages
 * brought back, or -1 if memory ran out first. */
int
swap_in_all(void)
{
  int n = 0;
  for (struct aspace *as = as_pool; as < &as_pool[NASPACE]; as++) {
    as_op_begin(as);
    for (uint64 va = 0; as->inuse && va < as->top; va += PGSIZE) {
      if ((va = pt_next_table(as->pt, va, as->top)) >= as->top)
        break;
      pte_t *pte = walk(as->pt, va);
      if (pte == 0 || !pte_swapped(*pte))
        continue;
      int r = fault_locked(as, va, ACCESS_READ, &pte);
      if (fault_nomem(r)) {
        as_op_end(as);
        if (mem_reclaim(RECLAIM_BATCH) == 0)
          return -1;
        as_op_begin(as);
        va -= PGSIZE; /* the same page again */
        continue;
      }
      n += r == FAULT_OK;
    }
    as_op_end(as);
  }
  return n;
}
