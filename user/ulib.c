/* ulib.c: the user library's entry point, system call wrappers written in C,
 * and the string, memory and file helpers every program links with.
 * Nothing here is shared between threads of control, so there are no locks. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "kernel/riscv.h"
#include "user/user.h"

/* The program's own entry function, defined in every program. (Declared with
 * its name in parentheses so the build's program detector skips this file.) */
int(main)(int, char **);

/* The raw sbrk system call (usys.S): grow the heap by n bytes, mapping the
 * pages now (lazy == 0) or on first touch (lazy == 1). */
char *__sys_sbrk(int n, int lazy);

#define WORD     sizeof(uint64)
#define WORDMASK (WORD - 1)

/* ELF entry point. exec leaves argc in a0 and argv in a1; a program that
 * returns from its entry function exits with the value it returned. */
void
start(int argc, char **argv)
{
  exit(main(argc, argv));
}

/* Grow (n > 0) or shrink (n < 0) the heap, mapping new pages at once.
 * Returns the old end of the heap, or SBRK_ERROR. */
char *
sbrk(int n)
{
  return __sys_sbrk(n, 0);
}

/* Like sbrk, but the kernel maps new pages only when they are first touched. */
char *
sbrklazy(int n)
{
  return __sys_sbrk(n, 1);
}

/* Pages page replacement has moved so far, out and in, system-wide. While
 * it runs, other processes' pages come and go (a hog's, under pressure),
 * so free frames say nothing about a leak, and memcheck's counts alone
 * judge. */
uint64
pages_moved(void)
{
  struct memstat m;
  memstat(0, &m);
  return m.pageouts + m.pageins;
}

/* Audit every user frame's reference count (the memcheck system call) and
 * print one line: "memcheck: ok ..." or a FAIL line naming the first wrong
 * frame, prefixed by "who: " unless who is 0 (the memcheck program).
 * Returns 0 if the counts agree, 1 if not. */
int
check_memory(const char *who)
{
  struct memcheck mc;
  int r = memcheck(&mc);
  const char *sep = who ? ": " : "";
  if (who == 0)
    who = "";
  if (r == 0) {
    printf("%s%smemcheck: ok: %lu address spaces, %lu page-table pages, %lu frames", who, sep,
           mc.spaces, mc.tables, mc.frames);
    if (mc.slots)
      printf(", %lu swap slots", mc.slots);
    printf("\n");
    return 0;
  }
  if (r == 1 && mc.bad_slot)
    printf("%s%smemcheck: FAIL swap slot %lu has count %lu, want %lu\n", who, sep, mc.bad_slot,
           mc.slot_refs, mc.slot_maps);
  else if (r == 1 && mc.bad_pa)
    printf("%s%smemcheck: FAIL frame 0x%lx has count %lu, want %lu\n", who, sep, mc.bad_pa, mc.refs,
           mc.maps);
  else if (r == 1 && mc.unclean)
    printf("%s%smemcheck: FAIL leaf table 0x%lx is shared but maps a private page writable\n", who,
           sep, mc.unclean);
  else if (r == 1)
    printf("%s%smemcheck: FAIL page 0x%lx is marked shared outside a shared file mapping\n", who,
           sep, mc.stray);
  else
    printf("%s%smemcheck: FAIL no verdict (memory kept changing, or a bad pointer)\n", who, sep);
  return 1;
}

/* Write PTE flags into buf (PTEFLAGS_LEN bytes) as vmmap shows them: r, w,
 * x, u or '-' for each, then " COW" for a copy-on-write page. Returns buf. */
char *
pteflags(uint64 flags, char *buf)
{
  static const uint64 bit[4] = {PTE_R, PTE_W, PTE_X, PTE_U};
  static const char name[4] = "rwxu";

  for (int i = 0; i < 4; i++)
    buf[i] = flags & bit[i] ? name[i] : '-';
  strcpy(buf + 4, flags & PTE_COW ? " COW" : "");
  return buf;
}

/* Copy the NUL-terminated string t into s; returns s. */
char *
strcpy(char *s, const char *t)
{
  char *d = s;

  while ((*d++ = *t++) != 0)
    ;
  return s;
}

/* Compare two strings as unsigned bytes: <0, 0 or >0. */
int
strcmp(const char *p, const char *q)
{
  while (*p && *p == *q) {
    p++;
    q++;
  }
  return (uchar)*p - (uchar)*q;
}

/* Length of s, not counting the NUL. */
uint
strlen(const char *s)
{
  const char *e = s;

  while (*e)
    e++;
  return e - s;
}

/* First occurrence of c in s, or 0 if none (the NUL itself is not matched). */
char *
strchr(const char *s, char c)
{
  for (; *s; s++)
    if (*s == c)
      return (char *)s;
  return 0;
}

/* Fill n bytes at dst with the byte c; returns dst. Aligned runs are written
 * a 64-bit word at a time. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uint64 word = (uchar)c * 0x0101010101010101UL;

  while (n > 0 && ((uint64)d & WORDMASK)) {
    *d++ = c;
    n--;
  }
  for (; n >= WORD; n -= WORD, d += WORD)
    *(uint64 *)d = word;
  while (n-- > 0)
    *d++ = c;
  return dst;
}

/* Copy n bytes forward, word at a time once d and s are aligned (the caller
 * guarantees they share an alignment). */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static void
copy_up(uchar *d, const uchar *s, uint n)
{
  while (n > 0 && ((uint64)d & WORDMASK)) {
    *d++ = *s++;
    n--;
  }
  for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
    *(uint64 *)d = *(const uint64 *)s;
  while (n-- > 0)
    *d++ = *s++;
}

/* Copy n bytes backward from the ends d+n and s+n, word at a time once
 * aligned (the caller guarantees d and s share an alignment). */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static void
copy_down(uchar *d, const uchar *s, uint n)
{
  d += n;
  s += n;
  while (n > 0 && ((uint64)d & WORDMASK)) {
    *--d = *--s;
    n--;
  }
  for (; n >= WORD; n -= WORD) {
    d -= WORD;
    s -= WORD;
    *(uint64 *)d = *(const uint64 *)s;
  }
  while (n-- > 0)
    *--d = *--s;
}

/* Copy n bytes one at a time, forward or backward. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static void
copy_bytes(uchar *d, const uchar *s, uint n, int backward)
{
  if (backward) {
    while (n-- > 0)
      d[n] = s[n];
  } else {
    for (uint i = 0; i < n; i++)
      d[i] = s[i];
  }
}

/* Copy n bytes from vsrc to vdst; the regions may overlap. Returns vdst.
 * A negative n copies nothing. */
void *
memmove(void *vdst, const void *vsrc, int n)
{
  uchar *d = vdst;
  const uchar *s = vsrc;
  int backward = d > s && d < s + n;

  if (n <= 0 || d == s)
    return vdst;
  if ((((uint64)d ^ (uint64)s) & WORDMASK) != 0)
    copy_bytes(d, s, n, backward);
  else if (backward)
    copy_down(d, s, n);
  else
    copy_up(d, s, n);
  return vdst;
}

/* Copy n bytes; kept for compilers that emit calls to it. Overlap is allowed. */
void *
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

/* Compare n bytes as unsigned values: <0, 0 or >0. */
int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;

  for (; n > 0; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

/* Read a line from fd 0 into buf: at most max-1 bytes, stopping after a
 * newline or carriage return, which is kept. Always NUL-terminates (max > 0).
 * At end of input buf holds what was read, possibly "". */
char *
gets(char *buf, int max)
{
  int i = 0;
  char c;

  while (i + 1 < max) {
    if (read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  if (max > 0)
    buf[i] = 0;
  return buf;
}

/* Fill st with what fstat reports for the file at path. Returns 0, or -1 if
 * it cannot be opened. */
int
stat(const char *path, struct stat *st)
{
  int fd = open(path, O_RDONLY);
  int r;

  if (fd < 0)
    return -1;
  r = fstat(fd, st);
  close(fd);
  return r;
}

/* The directory path names its last element in: path up to its last '/'
 * ("/" for "/x", "." for "x"), into buf of n bytes (cut short if need be). */
static char *
parent_dir(const char *path, char *buf, int n)
{
  int end = -1;

  for (int i = 0; path[i]; i++)
    if (path[i] == '/')
      end = i;
  if (end < 0)
    return strcpy(buf, ".");
  if (end == 0)
    end = 1;
  if (end > n - 1)
    end = n - 1;
  memmove(buf, path, end);
  buf[end] = 0;
  return buf;
}

/* Why open(path, mode) (or with PATH_MKDIR, mkdir(path)) failed, judged
 * afterwards from what stat sees: the file exists (mkdir: "exists"; a
 * directory opened to write: "is a directory"), or the directory it would be
 * in is missing or no directory, or the directory is there and the file is
 * not ("no such file"; to create: "cannot be created", a full disk or inode
 * table). The phrase lives in a static buffer until the next call. */
const char *
path_error(const char *path, int mode)
{
  static char why[64];
  char dir[32];
  struct stat st;
  int creating = mode == PATH_MKDIR || (mode & O_CREATE);

  if (stat(path, &st) == 0) {
    if (mode == PATH_MKDIR)
      return "exists";
    if (st.type == T_DIR && (mode & (O_WRONLY | O_RDWR)))
      return "is a directory";
    return "cannot be opened";
  }
  parent_dir(path, dir, sizeof(dir));
  if (stat(dir, &st) < 0) {
    strcpy(why, "no such directory ");
  } else if (st.type != T_DIR) {
    strcpy(why, "not a directory: ");
  } else {
    return creating ? "cannot be created (is the disk full?)" : "no such file or directory";
  }
  memmove(why + strlen(why), dir, strlen(dir) + 1);
  return why;
}

/* Decimal value of the leading digits of s, after an optional '-'.
 * Stops at the first non-digit; "" and "x" give 0. */
int
atoi(const char *s)
{
  int neg = 0, v = 0;

  if (*s == '-') {
    neg = 1;
    s++;
  }
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}
