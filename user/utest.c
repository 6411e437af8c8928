/* utest.c: the runner every table-driven test program shares (utest.h).
 *
 * Each test runs in a child of its own, so a crash or a kill fails that test
 * only. The leak rule, the same for every program: after each test the
 * runner waits until no process is left but those that were alive when the
 * program started (the test's orphans included: init reaps them), so the
 * next test never starts while this one's processes still hold or free
 * frames; then the free-frame count must be exactly what it was before the
 * test (less what processes outside it took by faults meanwhile), and
 * memcheck must find every reference count right. A test whose
 * processes do not go away by themselves within 20 s fails, and the runner
 * kills them.
 *
 * One process, no threads: nothing here needs a lock. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "kernel/procinfo.h"
#include "user/user.h"
#include "user/utest.h"

#include <stdarg.h>

#define SETTLE_TICKS 2000 /* 20 s: an orphan may still be touching all of memory */

const char *utest_name;

static int baseline[NPROC]; /* pids alive when the program started */
static int nbaseline;

/* ---- failing ------------------------------------------------------------ */

/* Print fmt's line (one write, so lines of concurrent processes do not
 * interleave) and exit 1. */
void
utest_fail(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vfprintf(1, fmt, ap);
  va_end(ap);
  exit(1);
}

/* Write v into buf (at least 44 bytes) as hex, and, if that reads
 * differently, in decimal after it: "0x1f (31)", "0xffffffffffffffff (-1)". */
static char *
value(char *buf, long v)
{
  static const char digits[] = "0123456789abcdef";
  char tmp[24];
  int n = 0, i = 0;
  uint64 u = v;
  uint64 a = v < 0 ? -u : u;

  buf[n++] = '0';
  buf[n++] = 'x';
  do
    tmp[i++] = digits[u % 16];
  while ((u /= 16) != 0);
  while (i > 0)
    buf[n++] = tmp[--i];
  if (v < 0 || v > 9) {
    buf[n++] = ' ';
    buf[n++] = '(';
    if (v < 0)
      buf[n++] = '-';
    do
      tmp[i++] = '0' + a % 10;
    while ((a /= 10) != 0);
    while (i > 0)
      buf[n++] = tmp[--i];
    buf[n++] = ')';
  }
  buf[n] = 0;
  return buf;
}

void
failv(const char *what, long got, long want)
{
  char g[48], w[48];
  utest_fail("test %s: FAILED (%s: got %s, want %s)\n", utest_name, what, value(g, got),
             value(w, want));
}

void
expect(long got, long want, const char *what)
{
  if (got != want)
    failv(what, got, want);
}

void
expect_flags(uint64 got, uint64 mask, uint64 want, const char *what)
{
  char g[PTEFLAGS_LEN], w[PTEFLAGS_LEN];

  if ((got & mask) == want)
    return;
  utest_fail("test %s: FAILED (%s: flags %s, want %s)\n", utest_name, what, pteflags(got, g),
             pteflags((got & ~mask) | want, w));
}

/* ---- processes ------------------------------------------------------------ */

/* 1 if pid was alive when the program started. */
static int
in_baseline(int pid)
{
  for (int i = 0; i < nbaseline; i++)
    if (baseline[i] == pid)
      return 1;
  return 0;
}

/* Put the pids of the live processes not in the baseline into pids (room
 * for NPROC); returns how many. */
static int
strays(int *pids)
{
  struct procinfo pi;
  int n = 0;

  for (int i = 0; n < NPROC && procinfo(i, &pi) == 0; i++)
    if (!in_baseline(pi.pid))
      pids[n++] = pi.pid;
  return n;
}

/* Wait up to ticks for every stray process to be gone; kill those that are
 * left and wait for them too. Returns how many had to be killed. */
static int
settle(int ticks)
{
  int pids[NPROC], n;

  for (int t = 0; (n = strays(pids)) > 0 && t < ticks; t++)
    sleep(1);
  for (int i = 0; i < n; i++)
    kill(pids[i]);
  for (int t = 0; strays(pids) > 0 && t < SETTLE_TICKS; t++)
    sleep(1);
  return n;
}

/* ---- running ------------------------------------------------------------ */

extern char end[]; /* the end of the program's image (user.ld) */

/* Bring every page of this program's image back into memory: page
 * replacement may have dropped text pages (they stay in the file), and one
 * coming back in the middle of a test would count as a frame the test
 * took. Reading maps an untouched bss page to the zero frame: no frame. */
static void
touch_image(void)
{
  for (uint64 va = 0; va < (uint64)end; va += PGSIZE)
    (void)*(volatile char *)va;
}

/* Frames that processes outside the tests (alive when the program
 * started, this one aside: init, the shell, a hog) have taken by faults so
 * far. Once page replacement dropped their pages, init reaping a test's
 * orphans faults its text back; those frames are not the test's. */
static long
outside_faults(void)
{
  long n = 0;
  struct memstat m;
  for (int i = 0; i < nbaseline; i++)
    if (baseline[i] != getpid() && memstat(baseline[i], &m) == 0)
      n += m.file_maps + m.pageins + m.zero_fills + m.cow_copies;
  return n;
}

/* Run t in a child; it passes if the child exits 0, its processes go away,
 * free frames come back exactly and memcheck agrees with every count. If
 * page replacement ran meanwhile, it took pages of other processes too:
 * every swapped page is brought back first, then no swap slot may be in
 * use and no frame missing (the file pages it took from others stay in the
 * page cache, idle, and count as free: there may be more). The runner's
 * own image is brought back before each test (touch_image), and frames
 * that processes outside the test took by faults meanwhile are not missing
 * (outside_faults).
 * Prints the test's line (none for a child that exited 1: it printed its
 * own FAILED line); returns 1 if it passed. */
static int
run_one(const struct utest *t)
{
  struct memcheck mc;
  int st = 0;

  utest_name = t->name;
  struct memstat ms;
  memstat(0, &ms);
  if (ms.swap_used) { /* pages in swap: start from everything in memory */
    cowctl(COWCTL_SWAPIN, 0);
    memstat(0, &ms);
  }
  if (ms.swap_total)
    touch_image();
  uint64 pageouts = ms.pageouts;
  long outside = outside_faults(), before = freeframes();
  int pid = fork();
  if (pid == 0) {
    t->fn();
    exit(0);
  }
  if (pid < 0 || wait(&st) != pid) {
    printf("test %s: FAILED (fork or wait)\n", t->name);
    return 0;
  }
  int killed = settle(st == 0 ? SETTLE_TICKS : 0);
  long after = freeframes(), taken = outside_faults() - outside;
  memstat(0, &ms);
  int swapped = ms.pageouts != pageouts;
  if (swapped) { /* page replacement took pages of the processes still here, too */
    cowctl(COWCTL_SWAPIN, 0);
    after = freeframes();
    memstat(0, &ms);
  }
  if (st == 1)
    return 0;
  if (st != 0) {
    if (st == -1)
      printf("test %s: FAILED (killed)\n", t->name);
    else
      printf("test %s: FAILED (exit status %d)\n", t->name, st);
  } else if (killed)
    printf("test %s: FAILED (%d processes still running after 20 s, killed)\n", t->name, killed);
  else if (after + taken < before)
    printf("test %s: FAILED (leaked %ld frames)\n", t->name, before - after - taken);
  else if (after > before && !swapped)
    printf("test %s: FAILED (%ld more free frames after the test than before)\n", t->name,
           after - before);
  else if (swapped && ms.swap_used != 0)
    printf("test %s: FAILED (leaked %lu swap slots)\n", t->name, ms.swap_used);
  else if (memcheck(&mc) != 0)
    printf("test %s: FAILED (memcheck: frame 0x%lx has count %lu, want %lu)\n", t->name, mc.bad_pa,
           mc.refs, mc.maps);
  else {
    printf("test %s: OK\n", t->name);
    return 1;
  }
  return 0;
}

/* The index of the test called name in t, or -1. */
static int
find(const struct utest *t, int n, const char *name)
{
  for (int i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0)
      return i;
  return -1;
}

/* Say that prog has no test called name, list those it has, exit 1. */
static void
no_such_test(const char *prog, const struct utest *t, int n, const char *name)
{
  printf("%s: no test named %s; tests:", prog, name);
  for (int i = 0; i < n; i++)
    printf(" %s", t[i].name);
  printf("\n");
  exit(1);
}

/* 1 if test i of t runs: named on the command line, or, with no names, not
 * slow under -q. */
static int
chosen(const struct utest *t, int i, int quick, char **names, int nnames)
{
  if (nnames == 0)
    return !quick || !t[i].slow;
  for (int k = 0; k < nnames; k++)
    if (strcmp(names[k], t[i].name) == 0)
      return 1;
  return 0;
}

/* Record the processes alive now (this one, its ancestors, whatever else
 * runs): the runner never waits for them. */
static void
take_baseline(void)
{
  struct procinfo pi;

  nbaseline = 0;
  for (int i = 0; nbaseline < NPROC && procinfo(i, &pi) == 0; i++)
    baseline[nbaseline++] = pi.pid;
}

/* Does name start with one of the n prefixes? (-x: tests left out.) */
static int
prefixed(const char *name, char **prefixes, int n)
{
  for (int i = 0; i < n; i++) {
    int k = 0;
    while (prefixes[i][k] && prefixes[i][k] == name[k])
      k++;
    if (prefixes[i][k] == 0)
      return 1;
  }
  return 0;
}

void
utest_main(const char *prog, const char *suite, const struct utest *t, int n, int argc, char **argv)
{
  char *failed = malloc(n), *names[MAXARG], *left_out[MAXARG];
  int quick = 0, loops = 1, nnames = 0, nleft = 0, nfailed = 0;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0)
      quick = 1;
    else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      loops = atoi(argv[++i]);
    else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc && nleft < MAXARG)
      left_out[nleft++] = argv[++i];
    else if (argv[i][0] == '-') {
      fprintf(2, "usage: %s [-q] [-c N] [-x PREFIX] [NAME ...]\n", prog);
      exit(1);
    } else if (find(t, n, argv[i]) < 0)
      no_such_test(prog, t, n, argv[i]);
    else if (nnames < MAXARG)
      names[nnames++] = argv[i];
  }
  memset(failed, 0, n);
  take_baseline();
  for (int l = 0; l < loops; l++) {
    if (loops > 1)
      printf("%s: round %d of %d\n", prog, l + 1, loops);
    for (int i = 0; i < n; i++)
      if (chosen(t, i, quick, names, nnames) && !prefixed(t[i].name, left_out, nleft) &&
          !run_one(&t[i]) && !failed[i]) {
        failed[i] = 1;
        nfailed++;
      }
  }
  int memory_bad = check_memory(prog);
  const char *space = suite[0] ? " " : "";
  if (nfailed == 0 && !memory_bad) {
    printf("ALL %s%sTESTS PASSED\n", suite, space);
    exit(0);
  }
  printf("SOME %s%sTESTS FAILED:", suite, space);
  for (int i = 0; i < n; i++)
    if (failed[i])
      printf(" %s", t[i].name);
  printf(memory_bad ? " memcheck\n" : "\n");
  exit(1);
}
