/* memhog.c: hold memory, to make pressure for other programs.
 *
 *   memhog MIB [-a]
 *
 * Touches MIB MiB (one store a page), then leaves a child holding them
 * (fork shares them: nothing is copied) and exits 0, so that a script can
 * go on: `memhog 80; usertests -q -x oom` runs usertests with 80 MiB of
 * memory taken, and, with a swap disk, swapping active. The child then
 * sleeps for good, so that it never takes a page back while tests count
 * free frames; with -a (active) it checks its pages all the time instead
 * (page replacement takes them and gives them back: they must come back
 * right), so that a hog larger than free memory keeps page replacement
 * busy. It lives until killed, or until it finds a page wrong, which it
 * says. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "user/user.h"

int
main(int argc, char **argv)
{
  long pages = argc >= 2 ? atoi(argv[1]) * 256L : 0;
  int active = argc == 3 && strcmp(argv[2], "-a") == 0;
  if (pages <= 0 || argc > 3 || (argc == 3 && !active)) {
    fprintf(2, "usage: memhog MIB [-a]\n");
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
  if (!active) { /* a read that never returns: nothing wakes it */
    int fds[2];
    char c;
    if (pipe(fds) == 0)
      read(fds[0], &c, 1);
    exit(1);
  }
  for (;;) {
    for (long i = 0; i < pages; i++)
      if (*(long *)(p + i * PGSIZE) != i) {
        printf("memhog: page %ld came back wrong\n", i);
        exit(1);
      }
  }
}
