/* grep.c: print the lines of files (or the standard input) that match a
 * pattern. Patterns: c matches itself, '.' any character, x* any run of x
 * (x being c or '.'), '^' at the start anchors to the line's start, '$' at
 * the end anchors to its end.
 *
 *   grep [-c] [-v] [-i] [-n] pattern [file ...]
 *
 * -c prints only the count of selected lines (per file, "file:N" for more
 * than one), -v selects the lines that do not match, -i ignores case, -n
 * puts each line's number before it. One process, no locks. */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define BUFSZ 1024

static char buf[BUFSZ];
static char folded[BUFSZ]; /* a line in lower case, for -i */

/* The options, and where grep is in the current file. */
struct grep {
  int count, invert, nocase, number; /* -c -v -i -n */
  const char *re;                    /* lower case if nocase */
  int lineno;                        /* lines read from this file */
  int selected;                      /* lines selected in this file */
};

/* c in lower case. */
static char
lower(char c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Copy s to dst in lower case (dst holds at least BUFSZ bytes). */
static void
fold(char *dst, const char *s)
{
  int i = 0;

  for (; i < BUFSZ - 1 && s[i]; i++)
    dst[i] = lower(s[i]);
  dst[i] = 0;
}

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

/* Take one line (NUL-terminated, no newline): count it and, if it is
 * selected and only counts are not wanted, print it. */
static void
take_line(struct grep *g, const char *line)
{
  g->lineno++;
  if (g->nocase)
    fold(folded, line);
  if (matches(g->re, g->nocase ? folded : line) == g->invert)
    return;
  g->selected++;
  if (g->count)
    return;
  if (g->number)
    printf("%d:%s\n", g->lineno, line);
  else
    printf("%s\n", line);
}

/* Select lines read from fd (see take_line). A line longer than the buffer
 * is split and matched in pieces. */
static void
grep(struct grep *g, int fd)
{
  int used = 0, n;

  g->lineno = g->selected = 0;
  while ((n = read(fd, buf + used, BUFSZ - 1 - used)) > 0) {
    char *line = buf, *nl;

    used += n;
    buf[used] = 0;
    while ((nl = strchr(line, '\n')) != 0) {
      *nl = 0;
      take_line(g, line);
      line = nl + 1;
    }
    used -= line - buf;
    if (used == BUFSZ - 1) {
      take_line(g, buf);
      used = 0;
    }
    memmove(buf, line, used);
  }
  buf[used] = 0;
  if (used > 0)
    take_line(g, buf);
}

/* Parse the options in argv into g. Returns the index of the pattern, or
 * -1 for an unknown option or a missing pattern. */
static int
parse_options(struct grep *g, int argc, char *argv[])
{
  static char re[BUFSZ];
  int i = 1;

  memset(g, 0, sizeof(*g));
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    for (char *o = argv[i] + 1; *o; o++) {
      if (*o == 'c')
        g->count = 1;
      else if (*o == 'v')
        g->invert = 1;
      else if (*o == 'i')
        g->nocase = 1;
      else if (*o == 'n')
        g->number = 1;
      else
        return -1;
    }
  }
  if (i >= argc)
    return -1;
  g->re = argv[i];
  if (g->nocase) {
    fold(re, argv[i]);
    g->re = re;
  }
  return i;
}

/* grep [-cvin] pattern [file...]: exits 0, or 1 on bad usage or a file
 * that cannot be opened. */
int
main(int argc, char *argv[])
{
  struct grep g;
  int first = parse_options(&g, argc, argv) + 1;

  if (first == 0) {
    fprintf(2, "usage: grep [-c] [-v] [-i] [-n] pattern [file ...]\n");
    exit(1);
  }
  if (first == argc) {
    grep(&g, 0);
    if (g.count)
      printf("%d\n", g.selected);
    exit(0);
  }
  for (int i = first; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);

    if (fd < 0) {
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      exit(1);
    }
    grep(&g, fd);
    close(fd);
    if (g.count && argc - first > 1)
      printf("%s:%d\n", argv[i], g.selected);
    else if (g.count)
      printf("%d\n", g.selected);
  }
  exit(0);
}
