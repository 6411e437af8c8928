/* wc.c: count lines, words and bytes of files (or the standard input). */
#include "kernel/types.h"
#include "user/user.h"

static char buf[512];

/* Print the line, word and byte counts of fd, labelled name. Exits with
 * status 1 on a read error. */
static void
count(int fd, const char *name)
{
  int lines = 0, words = 0, bytes = 0, in_word = 0, n;

  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    bytes += n;
    for (int i = 0; i < n; i++) {
      if (buf[i] == '\n')
        lines++;
      if (strchr(" \r\t\n\v", buf[i])) {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "wc: read error\n");
    exit(1);
  }
  printf("%d %d %d %s\n", lines, words, bytes, name);
}

/* wc [file...]: exits 0, or 1 if a file cannot be opened or read. */
int
main(int argc, char *argv[])
{
  if (argc < 2) {
    count(0, "");
    exit(0);
  }
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], 0);

    if (fd < 0) {
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      exit(1);
    }
    count(fd, argv[i]);
    close(fd);
  }
  exit(0);
}
