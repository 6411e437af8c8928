/* vmmap.c: show a process's address space, in ranges or page by page.
 *
 *   vmmap [-p] [PID]
 *
 * Asks vmquery about every page from 0 to the process's size (text, data,
 * bss, the guard page, the stack, then the heap) and then about the
 * trapframe and the trampoline. For each it shows the frame number (pa >> 12,
 * hex), the frame's reference count, the permissions rwxu and COW for a
 * copy-on-write page. By default consecutive pages with equal flags make one
 * line ("one frame" when they all map the same frame, as lazy pages map the
 * zero frame); -p prints every page. A page without u is kernel-only: the
 * guard page under the stack, the trapframe, the trampoline.
 *
 * Another process is shown only while it is blocked or waiting to run
 * (vmquery refuses a running one): `vmmap 2`, say, shows the shell, which
 * sleeps in wait() until vmmap is done.
 *
 * One process, no shared state, no locks.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "user/user.h"

/* One output line, built in place and printed with a single write. */
struct line {
  char buf[160];
  int n;
};

/* Append s, then spaces up to width columns. */
static void
put(struct line *l, const char *s, int width)
{
  int start = l->n;
  for (; *s && l->n < sizeof(l->buf) - 1; s++)
    l->buf[l->n++] = *s;
  while (l->n - start < width && l->n < sizeof(l->buf) - 1)
    l->buf[l->n++] = ' ';
  l->buf[l->n] = 0;
}

/* Append v in base (10 or 16, the latter with 0x), padded to width. */
static void
putnum(struct line *l, uint64 v, int base, int width)
{
  char s[24], r[24];
  int n = 0, i = 0;

  do {
    r[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (base == 16) {
    s[i++] = '0';
    s[i++] = 'x';
  }
  while (n > 0)
    s[i++] = r[--n];
  s[i] = 0;
  put(l, s, width);
}

/* Append flags as "rwxu" with '-' for a missing permission, and COW. */
static void
putperm(struct line *l, uint64 flags)
{
  char s[10] = "----     ";
  if (flags & PTE_R)
    s[0] = 'r';
  if (flags & PTE_W)
    s[1] = 'w';
  if (flags & PTE_X)
    s[2] = 'x';
  if (flags & PTE_U)
    s[3] = 'u';
  if (flags & PTE_COW)
    memmove(s + 5, "COW", 3);
  put(l, flags & PTE_V ? s : "unmapped ", 10);
}

/* Print l without trailing spaces. */
static void
emit(struct line *l)
{
  while (l->n > 0 && l->buf[l->n - 1] == ' ')
    l->buf[--l->n] = 0;
  printf("%s\n", l->buf);
}

/* A run of consecutive pages with equal flags. */
struct range {
  uint64 start, end; /* [start, end) */
  uint64 flags;
  uint64 first_pa; /* frame of the first page */
  int one_frame;   /* every page maps first_pa */
  uint64 minref, maxref;
};

/* Print range r as one line; note is appended (may be ""). */
static void
print_range(struct range *r, const char *note)
{
  struct line l = {.n = 0};

  putnum(&l, r->start, 16, 20);
  putnum(&l, r->end, 16, 20);
  putnum(&l, (r->end - r->start) / PGSIZE, 10, 8);
  putperm(&l, r->flags);
  struct line refs = {.n = 0};
  putnum(&refs, r->minref, 10, 0);
  if (r->maxref != r->minref) {
    put(&refs, "-", 0);
    putnum(&refs, r->maxref, 10, 0);
  }
  put(&l, refs.buf, 8);
  putnum(&l, r->first_pa >> 12, 16, 10);
  if (r->one_frame && r->end - r->start > PGSIZE)
    put(&l, "one frame ", 0);
  put(&l, note, 0);
  emit(&l);
}

/* Print one page q as one line; note is appended (may be ""). */
static void
print_page(struct vmquery *q, const char *note)
{
  struct line l = {.n = 0};

  putnum(&l, q->va, 16, 20);
  putnum(&l, q->pa >> 12, 16, 10);
  putnum(&l, q->refcount, 10, 7);
  putperm(&l, q->flags);
  put(&l, note, 0);
  emit(&l);
}

/* vmquery for page va of pid (0: this process), retried a while if pid is
 * running. Returns 0, or -1 if pid is gone or never blocks. */
static int
query(int pid, uint64 va, struct vmquery *q)
{
  for (int tries = 0; vmquery(pid, va, q) < 0; tries++) {
    if (pid == 0 || tries == 20)
      return -1;
    pause(1);
  }
  return 0;
}

/* Note for a page with these flags: user pages need none. */
static const char *
note_for(uint64 flags, uint64 va)
{
  if (va == TRAPFRAME)
    return "trapframe";
  if (va == TRAMPOLINE)
    return "trampoline";
  if ((flags & PTE_V) && !(flags & PTE_U))
    return "guard";
  return "";
}

/* Show pages [0, sz) of pid, then its trapframe and trampoline. Returns 0, or
 * 1 if vmquery refused. */
static int
show(int pid, uint64 sz, int per_page)
{
  struct vmquery q;
  struct range r = {.end = 0};
  uint64 extra[] = {TRAPFRAME, TRAMPOLINE};

  if (per_page)
    printf("va                  frame     refs   perm\n");
  else
    printf("start               end                 pages   perm      refs    first frame\n");
  for (uint64 va = 0; va < sz; va += PGSIZE) {
    if (query(pid, va, &q) < 0)
      return 1;
    if (per_page) {
      print_page(&q, note_for(q.flags, va));
      continue;
    }
    if (r.end == va && va != 0 && q.flags == r.flags) {
      r.end += PGSIZE;
      r.one_frame = r.one_frame && q.pa == r.first_pa;
      r.minref = q.refcount < r.minref ? q.refcount : r.minref;
      r.maxref = q.refcount > r.maxref ? q.refcount : r.maxref;
      continue;
    }
    if (va != 0)
      print_range(&r, note_for(r.flags, r.start));
    r = (struct range){va, va + PGSIZE, q.flags, q.pa, 1, q.refcount, q.refcount};
  }
  if (!per_page && sz > 0)
    print_range(&r, note_for(r.flags, r.start));
  for (int i = 0; i < 2; i++) {
    if (query(pid, extra[i], &q) < 0)
      return 1;
    if (per_page) {
      print_page(&q, note_for(q.flags, extra[i]));
    } else {
      r = (struct range){extra[i], extra[i] + PGSIZE, q.flags, q.pa, 1, q.refcount, q.refcount};
      print_range(&r, note_for(q.flags, extra[i]));
    }
  }
  return 0;
}

/* vmmap [-p] [pid]: print the map; status 0, or 1 on bad usage or pid. */
int
main(int argc, char **argv)
{
  int per_page = 0, pid = 0, i = 1;
  struct memstat m;

  if (i < argc && strcmp(argv[i], "-p") == 0) {
    per_page = 1;
    i++;
  }
  if (i < argc) {
    if (argv[i][0] < '0' || argv[i][0] > '9' || (pid = atoi(argv[i])) <= 0)
      i = argc + 1;
    i++;
  }
  if (i != argc) {
    fprintf(2, "usage: vmmap [-p] [pid]\n");
    exit(1);
  }
  if (memstat(pid ? pid : getpid(), &m) < 0) {
    fprintf(2, "vmmap: no process %d\n", pid);
    exit(1);
  }
  printf("pid %d: %lu bytes\n", pid ? pid : getpid(), m.sz);
  if (show(pid, m.sz, per_page) != 0) {
    fprintf(2, "vmmap: pid %d keeps running; it must be blocked (e.g. vmmap 2, the shell)\n", pid);
    exit(1);
  }
  exit(0);
}
