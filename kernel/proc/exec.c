/* exec.c: replace a process's image with an ELF64 program from the file
 * system. Every field of the file is checked before it is trusted; on any
 * failure the old image is untouched and exec returns -1. When memory ran
 * short under it (other processes took the frames it made sure of), page
 * replacement makes room and exec starts over, a few times at most.
 *
 * Demand paging: exec reads only the ELF header and the program headers. The
 * whole pages of each segment's file bytes become a file-backed private
 * region over the page cache (pcache.c says what a fault gets from it). A
 * page comes in at its first touch, a small region whole at its first fault
 * (fault.c, FAULT_AROUND). The last, partial page of a segment's file
 * bytes is loaded now into a frame of its own, so that what follows the
 * segment in the file reads as zeros; bss stays zero-filled on first touch.
 * A segment whose file offset is not page-aligned is loaded whole now, as
 * before demand paging. While a program runs from a file, the file cannot be
 * opened for writing, and a file open for writing (or mapped shared and
 * writable) cannot be exec'd: "text file busy" (file.h, text_maps and
 * writers).
 *
 * The first process is made here too (userinit): its first run mounts the
 * root file system and execs /init. */
/* Text pages are the cache's frames, shared by every process running the
 * program; data pages too, until a store copies one (copy-on-write). */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/lib/spinlock.h"
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/mem/evict.h"
#include "kernel/elf.h"
#include "kernel/proc/exec.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/memstat.h"
#include "kernel/lib/printf.h"
#include "kernel/platform/power.h"
#include "kernel/lib/string.h"

#define MAXPHNUM 64 /* program headers we are willing to read */

/* Why building the new image failed: the program (or argv) is bad, or
 * memory ran short. */
#define EXEC_BAD   (-1)
#define EXEC_NOMEM (-2)

/* Is the ELF header one this kernel can run? */
static int
elf_header_ok(struct elfhdr *eh, uint64 filesize)
{
  if (eh->magic != ELF_MAGIC || eh->elf[0] != ELFCLASS64 || eh->elf[1] != ELFDATA2LSB)
    return 0;
  if (eh->machine != EM_RISCV || eh->type != ET_EXEC)
    return 0;
  if (eh->phentsize != sizeof(struct proghdr) || eh->phnum == 0 || eh->phnum > MAXPHNUM)
    return 0;
  return eh->phoff <= filesize && eh->phnum * sizeof(struct proghdr) <= filesize - eh->phoff;
}

/* Is loadable segment ph sane, page-aligned, inside the file and above the
 * previous segments (which end at end)? Where it may lie in the address
 * space is the regions' business (as_add_region). */
static int
segment_ok(struct proghdr *ph, uint64 end, uint64 filesize)
{
  if (ph->memsz < ph->filesz || ph->vaddr % PGSIZE != 0 || ph->vaddr < end)
    return 0;
  if (ph->vaddr + ph->memsz < ph->vaddr || ph->vaddr + ph->memsz > USER_TOP)
    return 0;
  return ph->off <= filesize && ph->filesz <= filesize - ph->off;
}

/* Read n bytes at offset off of ip into the pages of as from page-aligned
 * va, which have frames of their own (nobody else sees as yet, so the
 * frames stay put while readi sleeps). Returns 0 or -1. */
static int
loadseg(struct aspace *as, uint64 va, struct inode *ip, uint off, uint n)
{
  for (uint i = 0; i < n; i += PGSIZE) {
    uint64 pa = as_frame(as, va + i);
    if (pa == 0)
      panic("loadseg: page not mapped");
    uint m = n - i < PGSIZE ? n - i : PGSIZE;
    if (readi(ip, 0, pa, off + i, m) != m)
      return -1;
  }
  return 0;
}

/* The protection of segment ph's pages. */
static int
segment_prot(struct proghdr *ph)
{
  int prot = PTE_R;
  if (ph->flags & ELF_PROG_FLAG_EXEC)
    prot |= PTE_X;
  if (ph->flags & ELF_PROG_FLAG_WRITE)
    prot |= PTE_W;
  return prot;
}

/* Make [start, end) of a segment a region of kind with prot whose frames
 * are its own, loaded now with the file's bytes [off, off+n) at start (the
 * rest zero). Returns 0, EXEC_BAD or EXEC_NOMEM. */
static int
load_region(struct aspace *as, uint64 start, uint64 end, int prot, int kind, struct inode *ip,
            uint off, uint n)
{
  if (end <= start)
    return 0;
  if (as_add_region(as, start, end, prot, kind) != 0)
    return EXEC_BAD;
  if (as_populate(as, start, end) != 0)
    return EXEC_NOMEM;
  return n ? loadseg(as, start, ip, off, n) : 0;
}

/* Make the regions of one segment. Pages wholly of file bytes are paged in
 * on demand from the page cache when the file offset allows it; the rest of
 * the file bytes are loaded now; a writable segment's bss is zero-filled on
 * first touch, a read-only one's now. Returns 0, EXEC_BAD or EXEC_NOMEM. */
static int
map_segment(struct aspace *as, struct proghdr *ph, struct inode *ip)
{
  int prot = segment_prot(ph);
  int kind = (prot & PTE_W) ? REGION_DATA : REGION_TEXT;
  uint64 start = ph->vaddr, fend = ph->vaddr + ph->filesz, end = PGROUNDUP(ph->vaddr + ph->memsz);
  uint64 paged = ph->off % PGSIZE == 0 ? PGROUNDDOWN(fend) : start; /* demand-paged part */
  uint64 loaded = (prot & PTE_W) ? PGROUNDUP(fend) : end;           /* loaded-now part ends */

  if (paged > start && as_add_file_region(as, start, paged, prot, kind, ip, ph->off, 0) != 0)
    return EXEC_BAD;
  int r = load_region(as, paged, loaded, prot, kind, ip, ph->off + (paged - start), fend - paged);
  if (r != 0)
    return r;
  if (end > loaded && as_add_region(as, loaded, end, prot, REGION_BSS) != 0)
    return EXEC_BAD;
  return 0;
}

/* Build the user stack above the program, which ends at end: a guard of
 * 1 + STACKGROW pages (the stack grows down into it: as_grow_stack),
 * USERSTACK pages, argv strings and the argv array; the break starts above
 * the stack. Sets *spp to the new sp; returns 0, EXEC_BAD or EXEC_NOMEM. */
static int
build_stack(struct aspace *as, uint64 end, char **argv, int *argcp, uint64 *spp)
{
  uint64 guard = PGROUNDUP(end), base = guard + (1 + STACKGROW) * PGSIZE;
  uint64 top = base + USERSTACK * PGSIZE;
  uint64 ustack[MAXARG + 1];

  if (top < guard || top > USER_TOP)
    return EXEC_BAD;
  if (as_add_region(as, guard, base, 0, REGION_GUARD) != 0 ||
      as_add_region(as, base, top, PTE_R | PTE_W, REGION_STACK) != 0)
    return EXEC_BAD;
  if (as_populate(as, base, top) != 0)
    return EXEC_NOMEM;
  if (as_start_break(as, top) != 0)
    return EXEC_BAD;

  uint64 sp = top;
  int argc;
  for (argc = 0; argv[argc]; argc++) {
    if (argc >= MAXARG)
      return EXEC_BAD;
    sp -= strlen(argv[argc]) + 1;
    sp -= sp % 16;
    if (sp < base || copyout(as, sp, argv[argc], strlen(argv[argc]) + 1) < 0)
      return EXEC_BAD;
    ustack[argc] = sp;
  }
  ustack[argc] = 0;
  sp -= (argc + 1) * sizeof(uint64);
  sp -= sp % 16;
  if (sp < base || copyout(as, sp, (char *)ustack, (argc + 1) * sizeof(uint64)) < 0)
    return EXEC_BAD;
  *argcp = argc;
  *spp = sp;
  return 0;
}

/* exec, once: returns argc, EXEC_BAD or EXEC_NOMEM. */
static int
exec_once(char *path, char **argv)
{
  struct proc *p = myproc();
  struct elfhdr eh;
  struct proghdr ph;
  struct inode *ip;
  struct aspace *as = 0;
  uint64 end = 0, sp;
  int argc, r, why = EXEC_BAD;

  begin_op();
  if ((ip = namei(path)) == 0) {
    end_op();
    return EXEC_BAD;
  }
  ilock(ip);
  if (readi(ip, 0, (uint64)&eh, 0, sizeof(eh)) != sizeof(eh) || !elf_header_ok(&eh, ip->size))
    goto bad;
  if (__atomic_load_n(&ip->writers, __ATOMIC_RELAXED) > 0)
    goto bad; /* text file busy: it may change while it runs */
  if ((as = as_create((uint64)p->trapframe)) == 0) {
    why = EXEC_NOMEM;
    goto bad;
  }
  for (int i = 0; i < eh.phnum; i++) {
    uint off = eh.phoff + i * sizeof(ph);
    if (readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      goto bad;
    if (ph.type != ELF_PROG_LOAD)
      continue;
    if (!segment_ok(&ph, end, ip->size))
      goto bad;
    if (ph.memsz == 0)
      continue;
    if ((r = map_segment(as, &ph, ip)) != 0) {
      why = r;
      goto bad;
    }
    end = ph.vaddr + ph.memsz;
  }
  iunlockput(ip);
  end_op();
  ip = 0;

  if (end == 0 || !(as_prot(as, eh.entry) & PTE_X))
    goto bad;
  if ((r = build_stack(as, end, argv, &argc, &sp)) != 0) {
    why = r;
    goto bad;
  }

  char *last = path, *s;
  for (s = path; *s; s++)
    if (*s == '/')
      last = s + 1;
  safestrcpy(p->name, last, sizeof(p->name));

  vfork_release(p); /* a vfork child gives the parent's space back */
  acquire(&p->lock);
  struct aspace *old = p->as;
  if (old)
    as_add_counts(as, old); /* counters run from fork, across exec */
  p->as = as;
  release(&p->lock);
  as_unpin(as);
  p->trapframe->epc = eh.entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = sp;
  if (old)
    as_destroy(old);
  return argc;

bad:
  if (ip) {
    iunlockput(ip);
    end_op();
  }
  if (as)
    as_destroy(as); /* outside the transaction: it may put the file */
  return why;
}

/* Run program path with arguments argv (a 0-terminated array of kernel
 * strings). Returns argc (it lands in a0 for main) or -1. */
int
exec(char *path, char **argv)
{
  for (int tries = 1;; tries++) {
    mem_reserve(MEM_RESERVE); /* the new image's first pages and tables */
    int r = exec_once(path, argv);
    if (r != EXEC_NOMEM)
      return r;
    if (!mem_try_again(tries))
      return -1;
  }
}

/* The first process's first run (userinit): mount the root file system,
 * which needs a process context to sleep on the disk, and exec /init. */
static void
init_start(void)
{
  struct proc *p = myproc();

  release(&p->lock);
  if (fsinit(ROOTDEV) != 0) {
    printf("calf: cannot mount the root file system\n");
    poweroff(1);
  }
  p->cwd = namei("/");
  char *argv[] = {"init", 0};
  if (p->cwd == 0 || exec("/init", argv) < 0) {
    printf("calf: cannot run /init\n");
    poweroff(1);
  }
  usertrapret();
}

/* Create the first process, init: its first run is init_start's. */
void
userinit(void)
{
  struct proc *p = allocproc();
  if (p == 0)
    panic("userinit: no process slot");
  initproc = p;
  p->context.ra = (uint64)init_start;
  safestrcpy(p->name, "init", sizeof(p->name));
  p->state = RUNNABLE;
  release(&p->lock);
}
