/* bigprog.c: a program with 240 KiB of read-only data in its text segment,
 * for watching demand-paged exec.
 *
 *   bigprog          touch one page of the data; print how many of the
 *                    program's text pages are mapped
 *   bigprog check    the same, silently; exit 0 only if fewer than a tenth
 *                    of the text pages are mapped (demand paging works)
 *   bigprog hold     touch one page (TOUCHED), then wait for a byte (or EOF)
 *                    on stdin: meanwhile another process can look at its
 *                    frames
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define BLOB (240 * 1024)

/* Initialised, so it lies in the file (the text segment), not in bss. */
static const char blob[BLOB] = {1};

/* The address of the page bigprog touches (tests look it up). */
#define TOUCHED ((uint64)(blob + BLOB / 2) & ~(PGSIZE - 1))

/* Pages of the text regions, and how many of them are mapped. */
static void
count_text(int *pages, int *mapped)
{
  struct vmregion r[32];
  struct vmquery q;
  int n = vmregions(0, r, 32);
  *pages = *mapped = 0;
  for (int i = 0; i < n && i < 32; i++) {
    if (r[i].kind != REGION_TEXT)
      continue;
    for (uint64 va = r[i].start; va < r[i].end; va += PGSIZE) {
      (*pages)++;
      if (vmquery(0, va, &q) == 0 && (q.flags & PTE_V))
        (*mapped)++;
    }
  }
}

int
main(int argc, char **argv)
{
  volatile const char *p = (const char *)TOUCHED;
  int sum = *p; /* the one page of blob this program reads */
  int pages, mapped;

  if (argc > 1 && strcmp(argv[1], "hold") == 0) {
    char c;
    read(0, &c, 1);
    exit(sum);
  }
  count_text(&pages, &mapped);
  if (argc > 1 && strcmp(argv[1], "check") == 0)
    exit(pages >= BLOB / PGSIZE && mapped * 10 < pages ? 0 : 1);
  printf("bigprog: %d text pages, %d mapped\n", pages, mapped);
  exit(sum);
}
