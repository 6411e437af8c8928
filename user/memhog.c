/* memhog.c: hold memory, to make pressure for other programs.
 *
 *   memhog MIB
 *
 * Touches MIB MiB (one store a page), then leaves a child holding them
 * (fork shares them: nothing is copied) and exits 0, so that a script can
 * go on: `memhog 80; usertests -q -x oom` runs usertests with 80 MiB of
 * memory taken, and, with a swap disk, swapping active. The child checks
 * its pages every 10 seconds (page replacement takes them and gives them
 * back: they must come back right) and lives until killed, or until it
 * finds a page wrong, which it says. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "user/user.h"

int
main(int argc, char **argv)
{
  long pages = argc == 2 ? atoi(argv[1]) * 256L : 0;
  if (pages <= 0) {
    fprintf(2, "usage: memhog MIB\n");
    exit(1);
  }
  char *p = sbrklazy(pages * PGSIZE);
  if (p == SBRK_ERROR) {
    fprintf(2, "memhog: sbrklazy failed\n");
    exit(1);
  }
  for (long i = 0; i < pages; i++)
    *(long *)(p + i * PGSIZE) = i;
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "memhog: fork failed\n");
    exit(1);
  }
  if (pid > 0) {
    printf("memhog: pid %d holds %s MiB\n", pid, argv[1]);
    exit(0);
  }
  for (;;) {
    pause(1000);
    for (long i = 0; i < pages; i++)
      if (*(long *)(p + i * PGSIZE) != i) {
        printf("memhog: page %ld came back wrong\n", i);
        exit(1);
      }
  }
}
