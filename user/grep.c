/* grep.c: print the lines of files (or the standard input) that match a
 * pattern. Patterns: c matches itself, '.' any character, x* any run of x
 * (x being c or '.'), '^' at the start anchors to the line's start, '$' at
 * the end anchors to its end. */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define BUFSZ 1024

static char buf[BUFSZ];

/* Does the single-character pattern p (a character or '.') match c? */
static int
char_matches(char p, char c)
{
  return c != 0 && (p == '.' || p == c);
}

/* Does pattern re match a prefix of text? re has no leading '^'. */
static int
match_at(const char *re, const char *text)
{
  while (*re) {
    if (re[1] == '*') {
      /* Try the shortest run of re[0] first, then longer ones. */
      const char *t = text;

      for (;;) {
        if (match_at(re + 2, t))
          return 1;
        if (!char_matches(re[0], *t))
          return 0;
        t++;
      }
    }
    if (re[0] == '$' && re[1] == 0)
      return *text == 0;
    if (!char_matches(re[0], *text))
      return 0;
    re++;
    text++;
  }
  return 1;
}

/* Does re match anywhere in text? */
static int
matches(const char *re, const char *text)
{
  if (re[0] == '^')
    return match_at(re + 1, text);
  do {
    if (match_at(re, text))
      return 1;
  } while (*text++);
  return 0;
}

/* Print the lines read from fd that match re. A line longer than the
 * buffer is split and matched in pieces. */
static void
grep(const char *re, int fd)
{
  int used = 0, n;

  while ((n = read(fd, buf + used, BUFSZ - 1 - used)) > 0) {
    char *line = buf, *nl;

    used += n;
    buf[used] = 0;
    while ((nl = strchr(line, '\n')) != 0) {
      *nl = 0;
      if (matches(re, line)) {
        *nl = '\n';
        write(1, line, nl + 1 - line);
      }
      line = nl + 1;
    }
    used -= line - buf;
    if (used == BUFSZ - 1) {
      if (matches(re, buf))
        printf("%s\n", buf);
      used = 0;
    }
    memmove(buf, line, used);
  }
  buf[used] = 0;
  if (used > 0 && matches(re, buf))
    printf("%s\n", buf);
}

/* grep pattern [file...]: exits 0, or 1 on bad usage or a file that cannot be opened. */
int
main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(2, "usage: grep pattern [file ...]\n");
    exit(1);
  }
  if (argc == 2) {
    grep(argv[1], 0);
    exit(0);
  }
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);

    if (fd < 0) {
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      exit(1);
    }
    grep(argv[1], fd);
    close(fd);
  }
  exit(0);
}
