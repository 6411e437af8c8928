/* exec.c: replace a process's image with an ELF64 program from the file
 * system. Every field of the file is checked before it is trusted; on any
 * failure the old image is untouched and exec returns -1. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/elf.h"
#include "kernel/fs.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/defs.h"

#define MAXPHNUM 64 /* program headers we are willing to read */

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

/* Is loadable segment ph sane, page-aligned, inside the file, above the
 * previous segments (which end at sz) and below the trapframe? */
static int
segment_ok(struct proghdr *ph, uint64 sz, uint64 filesize)
{
  if (ph->memsz < ph->filesz || ph->vaddr % PGSIZE != 0 || ph->vaddr < sz)
    return 0;
  if (ph->vaddr + ph->memsz < ph->vaddr || ph->vaddr + ph->memsz > TRAPFRAME)
    return 0;
  return ph->off <= filesize && ph->filesz <= filesize - ph->off;
}

/* Read n bytes at offset off of ip into user pages from page-aligned va,
 * which are mapped to frames of their own. Returns 0 or -1. */
static int
loadseg(pagetable_t pt, uint64 va, struct inode *ip, uint off, uint n)
{
  for (uint i = 0; i < n; i += PGSIZE) {
    uint64 pa = walkaddr(pt, va + i);
    if (pa == 0)
      panic("loadseg: page not mapped");
    uint m = n - i < PGSIZE ? n - i : PGSIZE;
    if (readi(ip, 0, pa, off + i, m) != m)
      return -1;
  }
  return 0;
}

/* Map and load one segment. The part of a writable segment past the file's
 * bytes (bss) is left unmapped: it is zero-filled on first touch
 * (vm_fault); a read-only one gets zeroed frames now. Returns the new size,
 * or 0. */
static uint64
map_segment(pagetable_t pt, struct proghdr *ph, struct inode *ip)
{
  int perm = 0;
  if (ph->flags & ELF_PROG_FLAG_EXEC)
    perm |= PTE_X;
  if (ph->flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;

  uint64 filend = ph->vaddr + ph->filesz, end = ph->vaddr + ph->memsz;
  uint64 sz = ph->vaddr;
  if (filend > ph->vaddr) {
    if ((sz = uvmalloc(pt, sz, filend, perm)) == 0)
      return 0;
    if (loadseg(pt, ph->vaddr, ip, ph->off, ph->filesz) < 0)
      return 0;
  }
  if (end > PGROUNDUP(sz) && !(perm & PTE_W) && uvmalloc(pt, sz, end, perm) == 0)
    return 0;
  return end;
}

/* Build the user stack: a guard page, USERSTACK pages, argv strings and
 * the argv array. Returns the new sp, or 0 on failure. */
static uint64
build_stack(pagetable_t pt, uint64 *szp, char **argv, int *argcp, uint64 *stackbase)
{
  uint64 sz = PGROUNDUP(*szp), ustack[MAXARG + 1];
  if (uvmalloc(pt, sz, sz + (USERSTACK + 1) * PGSIZE, PTE_W) == 0)
    return 0;
  uvmclear(pt, sz);
  *szp = sz + (USERSTACK + 1) * PGSIZE;
  *stackbase = sz + PGSIZE;
  uint64 sp = *szp;

  int argc;
  for (argc = 0; argv[argc]; argc++) {
    if (argc >= MAXARG)
      return 0;
    sp -= strlen(argv[argc]) + 1;
    sp -= sp % 16;
    if (sp < *stackbase || copyout(pt, sp, argv[argc], strlen(argv[argc]) + 1) < 0)
      return 0;
    ustack[argc] = sp;
  }
  ustack[argc] = 0;
  sp -= (argc + 1) * sizeof(uint64);
  sp -= sp % 16;
  if (sp < *stackbase || copyout(pt, sp, (char *)ustack, (argc + 1) * sizeof(uint64)) < 0)
    return 0;
  *argcp = argc;
  return sp;
}

/* Run program path with arguments argv (a 0-terminated array of kernel
 * strings). Returns argc (it lands in a0 for main) or -1. */
int
exec(char *path, char **argv)
{
  struct proc *p = myproc();
  struct elfhdr eh;
  struct proghdr ph;
  struct inode *ip;
  pagetable_t pt = 0;
  uint64 sz = 0, sp, stackbase;
  int argc;

  begin_op();
  if ((ip = namei(path)) == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (readi(ip, 0, (uint64)&eh, 0, sizeof(eh)) != sizeof(eh) || !elf_header_ok(&eh, ip->size))
    goto bad;
  if ((pt = proc_pagetable(p)) == 0)
    goto bad;
  for (int i = 0; i < eh.phnum; i++) {
    uint off = eh.phoff + i * sizeof(ph);
    if (readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      goto bad;
    if (ph.type != ELF_PROG_LOAD)
      continue;
    if (!segment_ok(&ph, sz, ip->size))
      goto bad;
    if (ph.memsz == 0)
      continue;
    if ((sz = map_segment(pt, &ph, ip)) == 0)
      goto bad;
  }
  iunlockput(ip);
  end_op();
  ip = 0;

  if (sz == 0 || eh.entry >= sz || (sp = build_stack(pt, &sz, argv, &argc, &stackbase)) == 0)
    goto bad;

  char *last = path, *s;
  for (s = path; *s; s++)
    if (*s == '/')
      last = s + 1;
  safestrcpy(p->name, last, sizeof(p->name));

  pagetable_t old = p->pagetable;
  vfork_release(p, old); /* before p->sz changes: the parent gets it back */
  p->pagetable = pt;
  p->sz = sz;
  p->stackbase = stackbase;
  p->trapframe->epc = eh.entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = sp;
  proc_freepagetable(old);
  return argc;

bad:
  if (pt)
    proc_freepagetable(pt);
  if (ip) {
    iunlockput(ip);
    end_op();
  }
  return -1;
}
