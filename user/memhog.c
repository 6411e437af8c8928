/* memhog.c: hold memory, to make pressure for other programs.
 *
 *   memhog MIB [SECONDS]
 *
 * Touches MIB MiB (one store a page), says so, then touches them again
 * every second, so that page replacement keeps meeting them, until
 * SECONDS have passed (default: for ever; kill it). Exits 1 if a page
 * came back wrong. With a swap disk, `memhog 100 & usertests -q` runs
 * usertests with swapping active. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "user/user.h"

int
main(int argc, char **argv)
{
  if (argc < 2 || atoi(argv[1]) <= 0) {
    fprintf(2, "usage: memhog MIB [SECONDS]\n");
    exit(1);
  }
  long pages = atoi(argv[1]) * 256L, seconds = argc > 2 ? atoi(argv[2]) : -1;
  char *p = sbrklazy(pages * PGSIZE);
  if (p == SBRK_ERROR) {
    fprintf(2, "memhog: sbrklazy failed\n");
    exit(1);
  }
  for (long i = 0; i < pages; i++)
    *(long *)(p + i * PGSIZE) = i;
  printf("memhog: holding %s MiB\n", argv[1]);
  for (long s = 0; seconds < 0 || s < seconds; s++) {
    pause(100);
    for (long i = 0; i < pages; i += 16)
      if (*(long *)(p + i * PGSIZE) != i) {
        fprintf(2, "memhog: page %ld came back wrong\n", i);
        exit(1);
      }
  }
  exit(0);
}
