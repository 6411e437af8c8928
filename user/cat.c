/* cat.c: copy files (or the standard input) to the standard output. */
#include "kernel/types.h"
#include "user/user.h"

static char buf[512];

/* Copy everything readable from fd to fd 1. Exits with status 1 on a read
 * or write error. */
static void
copy_out(int fd)
{
  int n;

  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    if (write(1, buf, n) != n) {
      fprintf(2, "cat: write error\n");
      exit(1);
    }
  }
  if (n < 0) {
    fprintf(2, "cat: read error\n");
    exit(1);
  }
}

/* cat [file...]: exits 0, or 1 if a file cannot be opened or copied. */
int
main(int argc, char *argv[])
{
  if (argc < 2) {
    copy_out(0);
    exit(0);
  }
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], 0);

    if (fd < 0) {
      fprintf(2, "cat: cannot open %s\n", argv[i]);
      exit(1);
    }
    copy_out(fd);
    close(fd);
  }
  exit(0);
}
