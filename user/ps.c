/* ps.c: list the processes, with their state and memory.
 *
 *   ps
 *
 * One line per live process (the procinfo system call): pid, parent, state,
 * name, and its memory as the page table shows it now: pages mapped (user
 * pages with a frame behind them), of those the frames it holds alone
 * (private) and the frames it shares copy-on-write (COW, more than one
 * reference: after fork, or the shared zero frame of a page only read),
 * then the faults it has taken (memstat's per-process counters): stores to
 * copy-on-write pages, and zero fills; then its pages in swap now (SWAPPED)
 * and the page-ins it has taken. Pages shared read-only (text after fork)
 * count as mapped, neither private nor COW. A zombie has no memory left
 * and shows dashes. The list may change while ps walks it.
 *
 * One process, no shared state, no locks. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "kernel/procinfo.h"
#include "user/user.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A process's pages, counted from its page table. */
struct pages {
  int mapped;
  int private;
  int cow;
  int swapped;
};

/* Append s and a blank to line at *at, in width columns: right-aligned if
 * width > 0, left-aligned in -width columns if width < 0. */
static void
field(char *line, int *at, const char *s, int width)
{
  int pad = (width < 0 ? -width : width) - (int)strlen(s);

  for (; width > 0 && pad > 0; pad--)
    line[(*at)++] = ' ';
  while (*s)
    line[(*at)++] = *s++;
  for (; pad > 0; pad--)
    line[(*at)++] = ' ';
  line[(*at)++] = ' ';
  line[*at] = 0;
}

/* v in decimal, in buf. Returns buf. */
static char *
decimal(char *buf, uint64 v)
{
  char r[24];
  int n = 0, i = 0;

  do {
    r[n++] = '0' + v % 10;
    v /= 10;
  } while (v);
  while (n > 0)
    buf[i++] = r[--n];
  buf[i] = 0;
  return buf;
}

/* Count pid's mapped, private and COW-shared pages into *pg. Returns 0, or
 * -1 if pid has no memory (a zombie) or went away. */
static int
count_pages(int pid, struct pages *pg)
{
  struct vmregion rg[32];
  struct vmquery q;
  int n = vmregions(pid, rg, NELEM(rg));

  if (n < 0)
    return -1;
  memset(pg, 0, sizeof(*pg));
  for (int i = 0; i < n && i < NELEM(rg); i++) {
    for (uint64 va = rg[i].start; va < rg[i].end; va += PGSIZE) {
      if (vmquery(pid, va, &q) < 0)
        return -1;
      if (q.slot)
        pg->swapped++;
      if (q.pa == 0)
        continue;
      pg->mapped++;
      if (q.refcount == 1)
        pg->private ++;
      else if (q.flags & PTE_COW)
        pg->cow++;
    }
  }
  return 0;
}

/* Print one process's line. */
static void
show(struct procinfo *pi)
{
  char line[160], num[24];
  int at = 0;
  struct pages pg;
  struct memstat m;
  int has_memory = count_pages(pi->pid, &pg) == 0 && memstat(pi->pid, &m) == 0;

  field(line, &at, decimal(num, pi->pid), 4);
  field(line, &at, decimal(num, pi->ppid), 5);
  field(line, &at, pi->state, -7);
  field(line, &at, pi->name, -10);
  field(line, &at, has_memory ? decimal(num, pg.mapped) : "-", 6);
  field(line, &at, has_memory ? decimal(num, pg.private) : "-", 7);
  field(line, &at, has_memory ? decimal(num, pg.cow) : "-", 6);
  field(line, &at, has_memory ? decimal(num, m.cow_faults) : "-", 9);
  field(line, &at, has_memory ? decimal(num, m.zero_fills) : "-", 10);
  field(line, &at, has_memory ? decimal(num, pg.swapped) : "-", 8);
  field(line, &at, has_memory ? decimal(num, m.pageins) : "-", 8);
  printf("%s\n", line);
}

/* ps: exits 0. */
int
main(int argc, char *argv[])
{
  struct procinfo pi;

  printf(" PID  PPID STATE   NAME       MAPPED PRIVATE    COW COWFAULTS ZEROFILLS  SWAPPED "
         "PAGEINS\n");
  for (int i = 0; procinfo(i, &pi) == 0; i++)
    show(&pi);
  exit(0);
}
