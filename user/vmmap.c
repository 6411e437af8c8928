/* vmmap.c: show a process's address space, in ranges or page by page.
 *
 *   vmmap [-p] [PID]
 *
 * Asks vmregions for the process's regions (text, data, bss, the stack
 * guard, the stack, the heap), then vmquery about every page of each region
 * and about the trapframe and the trampoline. For each page it shows the
 * frame number (pa >> 12, hex), the frame's reference count (the leaf page
 * tables that map it), how many processes share the page's leaf table
 * (after fork, until one of them changes a PTE in it: kernel/mem/cow.c), the
 * permissions rwxu and COW for a copy-on-write page, and the region's name.
 * By default consecutive pages of one region with equal flags and table
 * sharers make one line ("one
 * frame" when they all map the same frame, as lazy pages read map the zero
 * frame); -p prints every page. Addresses in no region are not shown: any
 * access there is fatal. The guard page has no frame at all.
 *
 * Any live process can be shown, running or not: the kernel reads its page
 * table under its address space's lock. `vmmap 2`, say, shows the shell.
 *
 * One process, no shared state, no locks.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

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

/* Append flags as "rwxu" with '-' for a missing permission, and COW;
 * "swapped" for a page in swap, "unmapped" for one not there at all. */
static void
putperm(struct line *l, uint64 flags)
{
  char s[PTEFLAGS_LEN];
  put(l, flags & PTE_V ? pteflags(flags, s) : flags ? "swapped" : "unmapped", 10);
}

/* Append "swapped (slot N) " for a page in swap (slot: its slot). */
static void
putslot(struct line *l, uint64 slot)
{
  if (slot == 0)
    return;
  put(l, "swapped (slot ", 0);
  putnum(l, slot, 10, 0);
  put(l, ") ", 0);
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
  uint64 first_pa;   /* frame of the first page */
  uint64 first_slot; /* its swap slot, if it is swapped */
  int one_frame;     /* every page maps first_pa */
  uint64 minref, maxref;
  uint64 tablerefs; /* processes sharing the leaf tables of the range */
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
  putnum(&l, r->tablerefs, 10, 6);
  putnum(&l, r->first_pa >> 12, 16, 10);
  if (r->one_frame && r->end - r->start > PGSIZE && r->first_pa)
    put(&l, "one frame ", 0);
  putslot(&l, r->first_slot);
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
  putnum(&l, q->tablerefs, 10, 6);
  putperm(&l, q->flags);
  putslot(&l, q->slot);
  put(&l, note, 0);
  emit(&l);
}

static const char *kind_names[] = {
    [REGION_TEXT] = "text", [REGION_DATA] = "data",   [REGION_BSS] = "bss",
    [REGION_HEAP] = "heap", [REGION_STACK] = "stack", [REGION_GUARD] = "guard",
    [REGION_MMAP] = "mmap",
};

/* The name of region kind k. */
static const char *
kind_name(uint64 k)
{
  return k < NELEM(kind_names) && kind_names[k] ? kind_names[k] : "?";
}

/* The note for region r, built in l: its kind, and for a file-backed region
 * the file (inode number), the offset and whether stores reach the file. */
static const char *
region_note(struct vmregion *r, struct line *l)
{
  l->n = 0;
  l->buf[0] = 0;
  put(l, kind_name(r->kind), 0);
  if (r->inum) {
    put(l, " file #", 0);
    putnum(l, r->inum, 10, 0);
    put(l, " +", 0);
    putnum(l, r->off, 16, 0);
    put(l, r->shared ? " shared" : " private", 0);
  }
  return l->buf;
}

/* Show the pages [start, end) of pid, grouped unless per_page, each line
 * ending with note. Returns 0, or 1 if vmquery refused. */
static int
show_pages(int pid, uint64 start, uint64 end, const char *note, int per_page)
{
  struct vmquery q;
  struct range r = {.end = 0};

  for (uint64 va = start; va < end; va += PGSIZE) {
    if (vmquery(pid, va, &q) < 0)
      return 1;
    if (per_page) {
      print_page(&q, note);
      continue;
    }
    if (va != start && q.flags == r.flags && q.tablerefs == r.tablerefs) {
      r.end += PGSIZE;
      r.one_frame = r.one_frame && q.pa == r.first_pa;
      r.minref = q.refcount < r.minref ? q.refcount : r.minref;
      r.maxref = q.refcount > r.maxref ? q.refcount : r.maxref;
      continue;
    }
    if (va != start)
      print_range(&r, note);
    r = (struct range){va, va + PGSIZE, q.flags,    q.pa,       q.slot,
                       1,  q.refcount,  q.refcount, q.tablerefs};
  }
  if (!per_page && end > start)
    print_range(&r, note);
  return 0;
}

/* Show every region of pid, then its trapframe and trampoline. Returns 0, or
 * 1 if the process went away. */
static int
show(int pid, int per_page)
{
  struct vmregion rg[32];
  int n = vmregions(pid, rg, NELEM(rg));

  if (n < 0)
    return 1;
  if (per_page)
    printf("va                  frame     refs table perm\n");
  else
    printf("start               end                 pages   perm      refs    table first frame\n");
  for (int i = 0; i < n && i < NELEM(rg); i++) {
    struct line note;
    if (show_pages(pid, rg[i].start, rg[i].end, region_note(&rg[i], &note), per_page) != 0)
      return 1;
  }
  if (show_pages(pid, TRAPFRAME, TRAPFRAME + PGSIZE, "trapframe", per_page) != 0 ||
      show_pages(pid, TRAMPOLINE, TRAMPOLINE + PGSIZE, "trampoline", per_page) != 0)
    return 1;
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
  printf("pid %d: break 0x%lx\n", pid ? pid : getpid(), m.sz);
  if (show(pid, per_page) != 0) {
    fprintf(2, "vmmap: pid %d went away\n", pid);
    exit(1);
  }
  exit(0);
}
