/* memstat.c: print memory counters.
 *
 *   memstat        free memory and the system-wide copy-on-write counters
 *   memstat PID    the same counters for one process, and its size
 *
 * One process, no shared state, no locks.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define LABEL 22 /* width of the label column */
#define VALUE 10 /* width of the number column */

/* Print label padded to LABEL columns, then v right-aligned in VALUE columns,
 * then note (may be ""), as one line. */
static void
row(const char *label, uint64 v, const char *note)
{
  char line[LABEL + 24], num[24];
  int n = 0;

  do {
    num[n++] = '0' + v % 10;
    v /= 10;
  } while (v);
  int at = strlen(label) < LABEL ? strlen(label) : LABEL;
  memmove(line, label, at);
  while (at < LABEL + VALUE - n)
    line[at++] = ' ';
  while (n > 0)
    line[at++] = num[--n];
  line[at] = 0;
  printf("%s%s\n", line, note);
}

/* The counters both forms share. */
static void
counters(struct memstat *m)
{
  row("cow faults", m->cow_faults, "  stores to copy-on-write pages");
  row("  copies", m->cow_copies, "  frame copied for the writer");
  row("  reuses", m->cow_reuses, "  last sharer kept the frame");
  row("  zero fills", m->zero_fills, "  fresh frame for a lazy page");
  row("pages shared by fork", m->shared, "  one by one, in tables fork copied");
  row("tables shared by fork", m->tables_shared, "  whole leaf page tables (2 MiB each)");
  row("  unshared", m->table_unshares, "  copied later, when a PTE had to change");
  row("file pages mapped", m->file_maps, "  faults that mapped a page-cache page");
  row("page-outs", m->pageouts, "  pages page replacement took off their frames");
  row("page-ins", m->pageins, "  swapped pages brought back by faults");
}

/* Print the global counters and free memory. Returns 0, or 1 on error. */
static int
global(void)
{
  struct memstat m;

  if (memstat(0, &m) < 0) {
    fprintf(2, "memstat: memstat failed\n");
    return 1;
  }
  row("frames free", m.frames_free, "");
  row("frames total", m.frames_total, "");
  row("MiB free", m.frames_free * PGSIZE / (1024 * 1024), "");
  row("MiB total", m.frames_total * PGSIZE / (1024 * 1024), "");
  counters(&m);
  row("page cache pages", m.pcache_pages, "  file pages in frames (idle ones count as free)");
  row("  hits", m.pcache_hits, "  lookups that found the page");
  row("  misses", m.pcache_misses, "  ... that read it from the file");
  row("  dropped", m.pcache_dropped, "  pages given back (memory short, file truncated)");
  row("  written back", m.file_writes, "  shared pages written to their files to make room");
  row("swap slots", m.swap_total, m.swap_total ? "  pages the swap disk holds" : "  no swap disk");
  row("  in use", m.swap_used, "  slots holding a page");
  row("  cached", m.swap_cached, "  swapped pages still in a frame too");
  row("  reads", m.swap_reads, "  pages read from the swap disk");
  row("  writes", m.swap_writes, "  pages written to it");
  return 0;
}

/* Print process pid's counters and size. Returns 0, or 1 on error. */
static int
one(int pid)
{
  struct memstat m;

  if (memstat(pid, &m) < 0) {
    fprintf(2, "memstat: no process %d\n", pid);
    return 1;
  }
  printf("pid %d\n", pid);
  row("size (bytes)", m.sz, "");
  row("size (pages)", PGROUNDUP(m.sz) / PGSIZE, "");
  counters(&m);
  row("frames free (system)", m.frames_free, "");
  return 0;
}

/* memstat [pid]: print the counters; status 0, or 1 on a bad pid or usage. */
int
main(int argc, char **argv)
{
  if (argc == 1)
    return global();
  if (argc == 2 && argv[1][0] >= '0' && argv[1][0] <= '9')
    return one(atoi(argv[1]));
  fprintf(2, "usage: memstat [pid]\n");
  return 1;
}
