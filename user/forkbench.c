/* forkbench.c: the measurements behind `make bench` (test/bench.py).
 *
 *   forkbench fork     fork + child exit + wait, parent holding 0..64 MiB;
 *                      at 16 and 64 MiB also first forks (every page
 *                      stored to since the last fork)
 *   forkbench exec     fork + exec benchnop + wait from a 0, 32, 64 MiB parent
 *   forkbench faults   one copying, one reusing and one zero-fill fault, and
 *                      a store that must copy a shared page table first
 *   forkbench curve    fork + exit + wait, parent holding 1..256 MiB
 *   forkbench frames   frames a fork of a 64 MiB process consumes
 *   forkbench shell    COW faults of a shell running one command
 *   forkbench bigexec  fork + exec + wait of a 240 KiB program that touches
 *                      one page: paged in (bigprog) and copied (bigcopy)
 *   forkbench shells   frames used by 8 shells waiting at their prompts
 *
 * Each measurement prints one line "bench: NAME key=value ..." that
 * test/bench.py parses. Costs are raw sums over `ops` operations: `instret`
 * (the hart's retired-instruction counter, read in user mode, so it includes
 * the kernel's work on this hart; exact under QEMU -icount) and `time` (the
 * time CSR in timebase ticks). One thread of control: no locks. */
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define MIB         (1024 * 1024)
#define PAGE        4096
#define FORK_REPS   10
#define EXEC_REPS   10
#define FAULT_PAGES 4096 /* 16 MiB: pages faulted per fault measurement */
#define TABLE_PAGES 512  /* pages one leaf page table maps */

static void fail(const char *msg) __attribute__((noreturn));
static uint64 store_pages(char *p, int n) __attribute__((noinline));
static uint64 store_stride(char *p, int n, int stride) __attribute__((noinline));

/* A reading of the instruction and time counters. */
struct stamp {
  uint64 instret;
  uint64 time;
};

/* Read both counters now. */
static struct stamp
now(void)
{
  struct stamp s;

  asm volatile("rdinstret %0" : "=r"(s.instret));
  asm volatile("rdtime %0" : "=r"(s.time));
  return s;
}

/* Print the cost of ops operations that ran between a and b under name. */
static void
report(const char *name, int ops, struct stamp a, struct stamp b)
{
  printf("bench: %s ops=%d instret=%lu time=%lu\n", name, ops, b.instret - a.instret,
         b.time - a.time);
}

/* Write prefix followed by n in decimal into buf (16 bytes). */
static void
numname(char *buf, const char *prefix, int n)
{
  char digits[12];
  int k = 0;
  strcpy(buf, prefix);
  do
    digits[k++] = '0' + n % 10;
  while ((n /= 10) > 0);
  int len = strlen(buf);
  while (k > 0)
    buf[len++] = digits[--k];
  buf[len] = 0;
}

/* Die with msg: a benchmark that cannot run has no figure to print. */
static void
fail(const char *msg)
{
  fprintf(2, "forkbench: %s\n", msg);
  exit(1);
}

/* Grow the heap by mib MiB, eagerly, and store to every new page.
 * Exits if memory runs out. */
static void
grow(int mib)
{
  if (mib == 0)
    return;
  char *p = sbrk(mib * MIB);
  if (p == SBRK_ERROR)
    fail("sbrk failed");
  for (int i = 0; i < mib * MIB; i += PAGE)
    p[i] = 1;
}

/* Fork a child that exits at once and wait for it. Returns the
 * instructions the parent spent in fork() itself. */
static uint64
fork_exit_wait(void)
{
  struct stamp a = now();
  int pid = fork();
  struct stamp b = now();

  if (pid < 0)
    fail("fork failed");
  if (pid == 0)
    exit(0);
  wait(0);
  return b.instret - a.instret;
}

/* First forks of a process holding mib MiB of touched heap from base:
 * before each fork (not measured) a store to every page, as a running
 * program makes between forks, so that fork finds its pages (and page
 * tables) writable, as at a process's first fork. */
static void
bench_first_forks(char *base, int mib)
{
  uint64 total = 0, in_fork = 0, ticks = 0;
  for (int r = 0; r < FORK_REPS; r++) {
    store_pages(base, mib * (MIB / PAGE));
    struct stamp a = now();
    in_fork += fork_exit_wait();
    struct stamp b = now();
    total += b.instret - a.instret;
    ticks += b.time - a.time;
  }
  printf("bench: fork-%d-first ops=%d instret=%lu time=%lu\n", mib, FORK_REPS, total, ticks);
  printf("bench: fork-%d-first-fork ops=%d instret=%lu\n", mib, FORK_REPS, in_fork);
}

/* fork + exit + wait with 0, 1, 4, 16 and 64 MiB of touched heap, and the
 * part of it spent in fork() itself. One unmeasured fork first, so every
 * measured one finds the same page states (the fork of a process that
 * forked before and has stored nothing since); then, at 16 and 64 MiB,
 * first forks. */
static void
bench_fork(void)
{
  static const int sizes[] = {0, 1, 4, 16, 64};
  int have = 0;
  char *base = sbrk(0);

  for (int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    char name[16] = "fork-";
    grow(sizes[i] - have);
    have = sizes[i];
    fork_exit_wait();
    uint64 in_fork = 0;
    struct stamp a = now();
    for (int r = 0; r < FORK_REPS; r++)
      in_fork += fork_exit_wait();
    struct stamp b = now();
    name[5] = '0' + have / 10;
    name[6] = '0' + have % 10;
    report(name, FORK_REPS, a, b);
    printf("bench: %s-fork ops=%d instret=%lu\n", name, FORK_REPS, in_fork);
    if (have >= 16)
      bench_first_forks(base, have);
  }
}

#define CURVE_REPS 3

/* fork + exit + wait with 1, 2, 4, ... 256 MiB of touched heap (repeated
 * forks, as in bench_fork), for the plot. A size whose fork fails (an
 * eager copy that does not fit) ends the curve with "failed=1". */
static void
bench_curve(void)
{
  int have = 0;
  for (int mib = 1; mib <= 256; mib *= 2) {
    grow(mib - have);
    have = mib;
    int pid = fork();
    if (pid == 0)
      exit(0);
    if (pid < 0) {
      printf("bench: curve-%d failed=1\n", mib);
      return;
    }
    wait(0);
    struct stamp a = now();
    for (int r = 0; r < CURVE_REPS; r++)
      fork_exit_wait();
    struct stamp b = now();
    char name[16];
    numname(name, "curve-", mib);
    report(name, CURVE_REPS, a, b);
  }
}

/* Fork a child that execs benchnop, and wait for it. */
static void
fork_exec_wait(void)
{
  char *argv[] = {"benchnop", 0};
  int pid = fork();

  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    exec("benchnop", argv);
    fail("exec benchnop failed");
  }
  wait(0);
}

/* fork + exec of a tiny program + wait from a parent with 0, 32 and 64 MiB
 * of touched heap. One unmeasured run first fills the block cache. */
static void
bench_exec(void)
{
  static const int sizes[] = {0, 32, 64};
  int have = 0;
  fork_exec_wait();
  for (int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    char name[16];
    grow(sizes[i] - have);
    have = sizes[i];
    fork_exec_wait();
    struct stamp a = now();
    for (int r = 0; r < EXEC_REPS; r++)
      fork_exec_wait();
    struct stamp b = now();
    numname(name, "exec-", have);
    report(name, EXEC_REPS, a, b);
  }
}

/* Fork a child that execs prog, and wait for it. */
static void
fork_exec_prog(char *prog)
{
  char *argv[] = {prog, 0};
  int pid = fork();

  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(1); /* bigprog prints a line */
    exec(prog, argv);
    fail("exec failed");
  }
  wait(0);
}

/* fork + exec + wait of bigprog (240 KiB of text, of which it touches one
 * page), paged in on demand, and of bigcopy (the same program linked so
 * that exec must copy its segment). One unmeasured run of each first fills
 * the caches. */
static void
bench_bigexec(void)
{
  char *progs[] = {"bigprog", "bigcopy"}, *names[] = {"bigexec-paged", "bigexec-copy"};
  for (int i = 0; i < 2; i++) {
    fork_exec_prog(progs[i]);
    struct stamp a = now();
    for (int r = 0; r < EXEC_REPS; r++)
      fork_exec_prog(progs[i]);
    struct stamp b = now();
    report(names[i], EXEC_REPS, a, b);
  }
}

#define NSHELLS 8

/* Frames used by NSHELLS shells waiting at their prompts (stdin a pipe,
 * stdout one nobody reads): their text is the page cache's, shared. */
static void
bench_shells(void)
{
  int in[NSHELLS], out[2], pids[NSHELLS];
  char *argv[] = {"sh", 0};

  if (pipe(out) < 0)
    fail("pipe failed");
  int before = freeframes();
  for (int i = 0; i < NSHELLS; i++) {
    int p[2];
    if (pipe(p) < 0 || (pids[i] = fork()) < 0)
      fail("pipe or fork failed");
    if (pids[i] == 0) {
      close(0);
      dup(p[0]);
      close(1);
      dup(out[1]);
      close(p[0]);
      close(p[1]);
      exec("sh", argv);
      fail("exec sh failed");
    }
    close(p[0]);
    in[i] = p[1];
  }
  pause(20); /* until every shell waits for input */
  int during = freeframes();
  for (int i = 0; i < NSHELLS; i++)
    close(in[i]);
  for (int i = 0; i < NSHELLS; i++)
    wait(0);
  printf("bench: shells-8 before=%d during=%d\n", before, during);
}

/* Store one byte to each of n pages from p; returns the instructions the
 * loop took. Not inlined, so every call runs the same code. */
static uint64
store_pages(char *p, int n)
{
  struct stamp a = now();
  for (int i = 0; i < n; i++)
    p[i * PAGE] = 2;
  struct stamp b = now();
  return b.instret - a.instret;
}

/* Store one byte to each of n pages from p, stride pages apart; returns
 * the instructions the loop took. */
static uint64
store_stride(char *p, int n, int stride)
{
  struct stamp a = now();
  for (int i = 0; i < n; i++)
    p[i * stride * PAGE] = 2;
  struct stamp b = now();
  return b.instret - a.instret;
}

/* Print the cost of the faults one pass of stores over n pages from p,
 * stride pages apart, took, given that a second pass (no faults) costs the
 * loop overhead. skip of the pages were written before (no fault). */
static void
report_faults(const char *name, char *p, int n, int stride, int skip)
{
  uint64 faulting = store_stride(p, n, stride);
  uint64 plain = store_stride(p, n, stride);

  printf("bench: %s ops=%d instret=%lu loop=%lu skip=%d\n", name, n, faulting, plain, skip);
}

/* Fork a child that holds its memory, blocked reading a pipe, until
 * release_blocked. Returns the pipe's write end. If free is not 0, stores
 * there the free frames just before the fork (after the pipe is made). */
static int
fork_blocked(int *free)
{
  int fds[2];
  char c;
  if (pipe(fds) < 0)
    fail("pipe failed");
  if (free)
    *free = freeframes();
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(fds[1]);
    read(fds[0], &c, 1);
    exit(0);
  }
  close(fds[0]);
  return fds[1];
}

/* Let the child of fork_blocked exit, and reap it. */
static void
release_blocked(int wfd)
{
  write(wfd, "x", 1);
  close(wfd);
  wait(0);
}

/* Faults: zero-fill (lazy heap), copy (frame shared with a live child) and
 * reuse (the child has exited: the parent holds the last reference). */
static void
bench_faults(void)
{
  char *lazy = sbrklazy(FAULT_PAGES * PAGE);
  if (lazy == SBRK_ERROR)
    fail("sbrklazy failed");
  report_faults("fault-zero", lazy, FAULT_PAGES, 1, 0);

  char *heap = sbrk(FAULT_PAGES * PAGE);
  if (heap == SBRK_ERROR)
    fail("sbrk failed");
  store_pages(heap, FAULT_PAGES);

  /* The first store into each 2 MiB (one leaf page table's span) that lies
   * wholly in the heap: with table sharing, it copies the table first. */
  uint64 span = TABLE_PAGES * PAGE, first = ((uint64)heap + span - 1) / span * span;
  int tables = ((uint64)heap + FAULT_PAGES * PAGE - first) / span;
  int wfd = fork_blocked(0);
  report_faults("fault-unshare", (char *)first, tables, TABLE_PAGES, 0);
  report_faults("fault-copy", heap, FAULT_PAGES, 1, tables);
  release_blocked(wfd);

  fork_exit_wait();
  report_faults("fault-reuse", heap, FAULT_PAGES, 1, 0);
}

/* Free frames before forking a 64 MiB process and in the parent while the
 * child is blocked on a pipe (so it still holds its memory). */
static void
bench_frames(void)
{
  int before;
  grow(64);
  int wfd = fork_blocked(&before);
  int during = freeframes();
  release_blocked(wfd);
  int after = freeframes();
  printf("bench: frames-64 before=%d during=%d after=%d\n", before, during, after);
}

/* Run sh with stdin reading input (a NUL-terminated string, maybe empty)
 * and argv; its stdout and stderr go to a pipe that is read to the end and
 * thrown away. Returns once sh and everything it started have finished. */
static void
run_sh(char **argv, const char *input)
{
  int in[2], out[2];
  char buf[64];

  if (pipe(in) < 0 || pipe(out) < 0)
    fail("pipe failed");
  write(in[1], input, strlen(input));
  close(in[1]);
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(0);
    dup(in[0]);
    close(1);
    dup(out[1]);
    close(2);
    dup(out[1]);
    close(in[0]);
    close(out[0]);
    close(out[1]);
    exec("sh", argv);
    fail("exec sh failed");
  }
  close(in[0]);
  close(out[1]);
  while (read(out[0], buf, sizeof(buf)) > 0)
    ;
  close(out[0]);
  wait(0);
}

/* Print the global fault counters' change across run_sh(argv, input). */
static void
count_sh(const char *name, char **argv, const char *input)
{
  struct memstat a, b;

  memstat(0, &a);
  run_sh(argv, input);
  memstat(0, &b);
  printf("bench: %s copies=%lu reuses=%lu zero=%lu faults=%lu\n", name, b.cow_copies - a.cow_copies,
         b.cow_reuses - a.cow_reuses, b.zero_fills - a.zero_fills, b.cow_faults - a.cow_faults);
}

/* COW faults of a shell running `echo hi`, with fork's stack-page shortcut
 * on and off: sh -c "echo hi" against sh -c "" (no fork), and an interactive
 * sh reading "echo hi" from stdin against one reading nothing. The
 * differences are the faults the command's fork + exec cost. */
static void
bench_shell(void)
{
  char *cmd_echo[] = {"sh", "-c", "echo hi", 0};
  char *cmd_none[] = {"sh", "-c", "", 0};
  char *interactive[] = {"sh", 0};
  int old = cowctl(COWCTL_SHORTCUT, 1);

  run_sh(cmd_echo, "");
  for (int on = 1; on >= 0; on--) {
    cowctl(COWCTL_SHORTCUT, on);
    count_sh(on ? "shc-on-echo" : "shc-off-echo", cmd_echo, "");
    count_sh(on ? "shc-on-none" : "shc-off-none", cmd_none, "");
    count_sh(on ? "shi-on-echo" : "shi-off-echo", interactive, "echo hi\n");
    count_sh(on ? "shi-on-none" : "shi-off-none", interactive, "");
  }
  cowctl(COWCTL_SHORTCUT, old);
}

static const struct {
  const char *name;
  void (*fn)(void);
} benches[] = {
    {"fork", bench_fork},     {"exec", bench_exec},   {"faults", bench_faults},
    {"frames", bench_frames}, {"shell", bench_shell}, {"bigexec", bench_bigexec},
    {"shells", bench_shells}, {"curve", bench_curve},
};

/* Run the benchmark named by argv[1]; exits 1 for an unknown name. */
int
main(int argc, char **argv)
{
  for (int i = 0; argc == 2 && i < sizeof(benches) / sizeof(benches[0]); i++) {
    if (strcmp(argv[1], benches[i].name) == 0) {
      benches[i].fn();
      exit(0);
    }
  }
  fail("usage: forkbench fork|exec|faults|frames|shell|bigexec|shells|curve");
}
