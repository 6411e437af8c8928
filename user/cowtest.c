/* cowtest.c: tests of copy-on-write fork, zero-fill memory and vfork.
 *
 * One table of {function, "name"} rows, run by the shared runner (utest.c):
 * each test in a child of its own, so a crash is one FAILED line; once its
 * processes are gone free frames must be exactly as before and memcheck
 * must agree, so a leak fails the test by name. `cowtest` runs them all and
 * ends with "ALL COW TESTS PASSED" (status 0) or "SOME COW TESTS FAILED"
 * (status 1); `cowtest NAME` runs one. Sizes come from freeframes() and
 * memstat(), never from constants, so a test means the same with 128 MiB
 * or 3 GiB.
 *
 * Single-threaded; the processes of one test order their steps through
 * pipes (sig/waitsig), because vmquery of another process needs it blocked.
 * The user stack is one page: no large locals.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/utest.h"

#define CHUNK_PAGES (1L << 16) /* pages per sbrk call, so bytes fit its int */
#define PROBES      8          /* words written and checked per page */
#define MARK        0xA5       /* fill byte of pages a kernel write must not reach */
#define FAULTS_MODE "-faults"  /* argv[1] of the exec'd copy that reports faults */
#define FAULTS_BASE 100        /* its exit status is this plus its COW copies and reuses, */
#define FAULTS_MAX  50         /* ... at most this many: more are reported as this */

/* ---- reporting ---------------------------------------------------------- */

/* Wait for a child and fail unless it is pid (if pid > 0) and exited with
 * want. A child that exited 1 has already said why; its parent only passes
 * the failure on. Returns the child's pid. */
static int
expect_exit(int pid, int want, const char *who)
{
  int st = 0;
  int w = wait(&st);

  if (w < 0)
    fail("wait found no child");
  if (pid > 0)
    expect(w, pid, "wait returned another child");
  if (st != want && st == 1)
    exit(1);
  expect(st, want, who);
  return w;
}

/* memcheck agrees with every count, and shared tables are clean. */
static void
audit(void)
{
  struct memcheck mc;
  int r = memcheck(&mc);
  if (r == 1 && mc.bad_pa)
    fail("memcheck: frame 0x%lx has count %lu, want %lu", mc.bad_pa, mc.refs, mc.maps);
  if (r == 1 && mc.unclean)
    fail("memcheck: shared leaf table 0x%lx maps a private page writable", mc.unclean);
  if (r == 1)
    fail("memcheck: page 0x%lx is marked shared outside a shared file mapping", mc.stray);
  if (r != 0)
    fail("memcheck: no verdict");
}

/* ---- memory and patterns ------------------------------------------------ */

/* Shrink the heap by npages pages. */
static void
shrink(long npages)
{
  while (npages > 0) {
    long n = npages < CHUNK_PAGES ? npages : CHUNK_PAGES;
    if (sbrk(-n * PGSIZE) == SBRK_ERROR)
      fail("sbrk refused to shrink");
    npages -= n;
  }
}

/* Grow the heap by npages pages (lazily if lazy) in sbrk calls small enough
 * for its int argument. Returns the page-aligned start, or 0 with the heap
 * unchanged if memory ran out. */
static char *
grow(long npages, int lazy)
{
  char *start = sbrk(0);

  if ((uint64)start % PGSIZE)
    fail("heap end not page-aligned");
  for (long done = 0; done < npages;) {
    long n = npages - done < CHUNK_PAGES ? npages - done : CHUNK_PAGES;
    char *r = lazy ? sbrklazy(n * PGSIZE) : sbrk(n * PGSIZE);
    if (r == SBRK_ERROR) {
      shrink(done);
      return 0;
    }
    done += n;
  }
  return start;
}

/* grow(), failing the test if memory runs out. */
static char *
must_grow(long npages, int lazy)
{
  char *p = grow(npages, lazy);
  if (p == 0)
    failv("sbrk of pages failed", npages, 0);
  return p;
}

/* The word that probe k of page i holds under tag. */
static uint64
word(uint64 tag, long i, int k)
{
  return tag * 0x9E3779B97F4A7C15ULL + (uint64)i * PROBES + k + 1;
}

/* The address of probe k of page i of p. */
static volatile uint64 *
probe(char *p, long i, int k)
{
  return (volatile uint64 *)(p + i * PGSIZE + k * (PGSIZE / PROBES));
}

/* Write tag's pattern into the probes of npages pages at p. */
static void
fill(char *p, long npages, uint64 tag)
{
  for (long i = 0; i < npages; i++)
    for (int k = 0; k < PROBES; k++)
      *probe(p, i, k) = word(tag, i, k);
}

/* Fail with why unless every probe of npages pages at p holds tag's
 * pattern (tag 0: zero). */
static void
expect_pattern(char *p, long npages, uint64 tag, const char *why)
{
  for (long i = 0; i < npages; i++)
    for (int k = 0; k < PROBES; k++)
      if (*probe(p, i, k) != (tag ? word(tag, i, k) : 0))
        fail("%s: page %ld, word %d", why, i, k);
}

/* Fail with why unless every byte of the n bytes at p is c. */
static void
expect_bytes(char *p, long n, int c, const char *why)
{
  for (long i = 0; i < n; i++)
    if ((p[i] & 0xff) != (c & 0xff))
      fail("%s: byte 0x%lx is 0x%x, want 0x%x", why, i, p[i] & 0xff, c & 0xff);
}

/* What backs page va of process pid (0: the caller), running or not. */
static struct vmquery
query(int pid, void *va)
{
  struct vmquery q;
  if (vmquery(pid, (uint64)va, &q) < 0)
    fail("vmquery failed");
  return q;
}

/* How many processes at least map the frame behind q: those that share q's
 * leaf table, plus one for each other table that maps the frame (a
 * frame's count is the leaf tables that map it; kernel/mem/cow.c). */
static long
sharers(struct vmquery q)
{
  return q.tablerefs + q.refcount - 1;
}

/* Fail unless page va of pid is shared copy-on-write: COW set, W clear, at
 * least refs processes mapping it. */
static void
expect_cow(int pid, void *va, int refs)
{
  struct vmquery q = query(pid, va);
  expect_flags(q.flags, PTE_COW | PTE_W, PTE_COW, "page not copy-on-write");
  if (sharers(q) < refs)
    failv("copy-on-write page sharers (frame count + table count - 1)", sharers(q), refs);
}

/* Fail unless page va of pid is a private writable page: W set, COW clear,
 * one reference. */
static void
expect_private(int pid, void *va)
{
  struct vmquery q = query(pid, va);
  expect_flags(q.flags, PTE_COW | PTE_W, PTE_W, "page not private and writable");
  expect(q.refcount, 1, "private page refcount");
  expect(q.tablerefs, 1, "private page's table count");
}

/* In a parent right after fork, before it stores to page va: fail unless
 * fork shared the page copy-on-write. A test of what the processes see
 * then also proves that they saw it through shared frames (an eager fork
 * would pass it too). */
static void
expect_forked_cow(void *va)
{
  expect_cow(0, va, 1);
}

/* This process's counters. */
static struct memstat
mystat(void)
{
  struct memstat m;
  if (memstat(getpid(), &m) < 0)
    fail("memstat failed");
  return m;
}

/* COW faults on shared frames (copies and reuses; zero fills of fresh
 * memory do not count) that m's counters recorded. */
static long
shared_faults(struct memstat m)
{
  return m.cow_copies + m.cow_reuses;
}

/* ---- pipes -------------------------------------------------------------- */

/* Make a pipe into fd[0] (read end) and fd[1] (write end). */
static void
mkpipe(int *fd)
{
  if (pipe(fd) < 0)
    fail("pipe failed");
}

/* Send one byte down write end fd. */
static void
sig(int fd)
{
  if (write(fd, "s", 1) != 1)
    fail("pipe write failed");
}

/* Wait for one byte on read end fd. */
static void
waitsig(int fd)
{
  char c;
  if (read(fd, &c, 1) != 1)
    fail("pipe closed before the signal");
}

/* fork(), failing the test if it fails. */
static int
must_fork(void)
{
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  return pid;
}

/* Make pipes toc (parent to child) and, if top is not 0, top (child to
 * parent), then fork. Each side closes the ends it does not use, so that if
 * one side dies the other's waitsig fails instead of hanging. Returns as
 * fork. */
static int
fork_linked(int *toc, int *top)
{
  mkpipe(toc);
  if (top)
    mkpipe(top);
  int pid = must_fork();
  close(toc[pid == 0 ? 1 : 0]);
  if (top)
    close(top[pid == 0 ? 0 : 1]);
  return pid;
}

/* ---- fork under memory pressure ------------------------------------------ */

/* Fork rounds times while holding npages filled pages; each child reads
 * them all, and each round ends with the same free frames it started with.
 * With mit, each round that passes prints "<mit>: ok", the line MIT's
 * grade-lab-cow counts. */
static void
fork_holding(long npages, int rounds, const char *mit)
{
  char *p = must_grow(npages, 0);

  fill(p, npages, 1);
  for (int round = 0; round < rounds; round++) {
    long f0 = freeframes();
    int pid = must_fork();
    if (pid == 0) {
      long used = f0 - freeframes();
      if (used > npages / 64 + 32)
        failv("fork used frames (an eager copy?)", used, npages / 64 + 32);
      expect_pattern(p, npages, 1, "child misread page");
      exit(0);
    }
    expect_exit(pid, 0, "child");
    expect_pattern(p, npages, 1, "parent misread page after fork");
    expect(freeframes(), f0, "free frames after a fork round");
    if (mit)
      printf("%s: ok\n", mit);
  }
  shrink(npages);
}

/* A process holding more than half of free memory can fork: an eager copy
 * would not fit. */
static void
test_bigfork(void)
{
  fork_holding(freeframes() * 55 / 100, 3, 0);
}

/* A process using 60% of all RAM can fork. */
static void
test_fork60(void)
{
  struct memstat g;
  if (memstat(0, &g) < 0)
    fail("memstat failed");
  long n = g.frames_total * 60 / 100;
  if (n + 64 > freeframes())
    failv("too little free memory for the test", freeframes(), n + 64);
  fork_holding(n, 3, 0);
}

/* MIT's "simple", twice: a process holding two thirds of free memory forks
 * (an eager copy would not fit) and gets every frame back. */
static void
test_simple(void)
{
  fork_holding(freeframes() * 2 / 3, 2, "simple");
}

/* ---- three generations writing a quarter of memory ------------------------ */

/* One round of MIT's "three": over n shared pages a grandchild writes four
 * fifths, its parent half, the root all of them, each checking its own
 * writes; then the root's pages hold its data and every copy is freed. */
static void
three_round(long n, uint64 tag)
{
  char *p = must_grow(n, 0);

  fill(p, n, tag);
  int pid = must_fork();
  if (pid == 0) {
    int gpid = must_fork();
    long mine = gpid == 0 ? n * 4 / 5 : n / 2;
    uint64 t = tag + (gpid == 0 ? 2 : 1);
    fill(p, mine, t);
    expect_pattern(p, mine, t,
                   gpid == 0 ? "grandchild misread its writes" : "child misread its writes");
    if (gpid != 0)
      expect_exit(gpid, 0, "grandchild");
    exit(0);
  }
  expect_forked_cow(p);
  fill(p, n, tag + 3);
  expect_exit(pid, 0, "child");
  expect_pattern(p, n, tag + 3, "root misread its writes");
  shrink(n);
}

/* MIT's "three", three times: each round allocates more than half of the
 * memory it started with in copies, so a round that leaked would starve
 * the next; every round after the first (which may map a page of this
 * program for the first time) ends with the free frames it started with. */
static void
test_three(void)
{
  long n = freeframes() / 4, f = 0;
  for (int round = 0; round < 3; round++) {
    three_round(n, 60 + 4 * round);
    if (round > 0)
      expect(freeframes(), f, "free frames after a round");
    f = freeframes();
    printf("three: ok\n");
  }
}

/* Copies past free memory: a process holding two thirds of free memory
 * forks and the child writes every page. With a swap disk the copies do
 * not fit, so page replacement sends pages out (the parent's shared
 * frames, the child's copies, a hog's) while the fault path copies; the
 * child reads its writes and the parent its own bytes. Without one, the
 * process holds a third, and the copies fit. */
static void
test_swapwrites(void)
{
  struct memstat g;
  if (memstat(0, &g) < 0)
    fail("memstat failed");
  int swap = g.swap_total - g.swap_used > (uint64)freeframes();
  long n = freeframes() * (swap ? 2 : 1) / 3;
  char *p = must_grow(n, 0);
  fill(p, n, 11);
  int pid = must_fork();
  if (pid == 0) {
    expect_pattern(p, n, 11, "child misread page");
    fill(p, n, 12);
    expect_pattern(p, n, 12, "child misread its writes");
    exit(0);
  }
  expect_exit(pid, 0, "child");
  expect_pattern(p, n, 11, "parent misread page after the child wrote");
  shrink(n);
}

/* ---- isolation ---------------------------------------------------------- */

/* Pages for the isolation tests: many, but a small share of free memory. */
static long
some_pages(long most)
{
  long n = freeframes() / 8;
  return n < most ? n : most;
}

/* After fork both map the same frames, COW, read-only; a child's store
 * gives it its own frame; the parent's then reuses the old one; text is
 * shared as it is; the child's stack page was copied at fork, so its first
 * stores after fork (its first calls) take no COW fault. */
static void
test_flags(void)
{
  char *p = must_grow(1, 0);
  int toc[2], top[2];

  fill(p, 1, 2);
  struct vmquery before = query(0, p);
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    expect(shared_faults(mystat()), 0,
           "child's COW faults right after fork (stack page not copied?)");
    waitsig(toc[0]);
    expect_cow(0, p, 2);
    fill(p, 1, 3);
    expect_private(0, p);
    if (query(0, p).pa == before.pa)
      fail("child's written page kept the shared frame");
    sig(top[1]);
    waitsig(toc[0]);
    exit(0);
  }
  expect_cow(0, p, 2);
  expect_cow(pid, p, 2);
  expect(query(pid, p).pa, before.pa, "child's frame right after fork");
  struct vmquery t = query(0, (void *)(uint64)test_flags);
  expect_flags(t.flags, PTE_W | PTE_COW | PTE_X, PTE_X, "text page");
  expect(query(pid, (void *)(uint64)test_flags).pa, t.pa, "child's text frame");
  sig(toc[1]);
  waitsig(top[0]);
  expect_cow(0, p, 1);
  expect(query(0, p).refcount, 1, "parent's refcount after child's copy");
  fill(p, 1, 4);
  expect_private(0, p);
  expect(query(0, p).pa, before.pa, "parent's frame after reuse");
  sig(toc[1]);
  expect_exit(pid, 0, "child");
}

/* The child overwrites many pages; the parent still reads the originals. */
static void
test_childwrites(void)
{
  long n = some_pages(1024);
  char *p = must_grow(n, 0);
  int toc[2], top[2];

  fill(p, n, 5);
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    expect_pattern(p, n, 5, "child misread page before writing");
    fill(p, n, 6);
    expect_pattern(p, n, 6, "child misread its own write");
    sig(top[1]);
    waitsig(toc[0]);
    expect_pattern(p, n, 6, "child's page changed later");
    exit(0);
  }
  expect_forked_cow(p);
  waitsig(top[0]);
  expect_pattern(p, n, 5, "child's write reached the parent");
  sig(toc[1]);
  expect_exit(pid, 0, "child");
  expect_pattern(p, n, 5, "parent's page changed after child exit");
}

/* The parent overwrites many pages while a child holds them; the child still
 * reads the originals. */
static void
test_parentwrites(void)
{
  long n = some_pages(1024);
  char *p = must_grow(n, 0);
  int toc[2], top[2];

  fill(p, n, 7);
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    waitsig(toc[0]);
    expect_pattern(p, n, 7, "parent's write reached the child");
    sig(top[1]);
    exit(0);
  }
  expect_forked_cow(p);
  fill(p, n, 8);
  expect_pattern(p, n, 8, "parent misread its own write");
  sig(toc[1]);
  waitsig(top[0]);
  expect_exit(pid, 0, "child");
  expect_pattern(p, n, 8, "parent's page changed after child exit");
}

/* ---- three-level fork tree ---------------------------------------------- */

/* A grandchild: reads its ancestors' regions, writes its own and the root's. */
static void
tree_leaf(char *r0, char *r1, char *r2, long k, int id)
{
  expect_pattern(r0, k, 10, "grandchild misread the root's region");
  expect_pattern(r1, k, 20 + id / 2, "grandchild misread its parent's region");
  fill(r2, k, 30 + id);
  fill(r0, k, 40 + id);
  expect_pattern(r2, k, 30 + id, "grandchild misread its own region");
  expect_pattern(r0, k, 40 + id, "grandchild misread its write to the root's region");
  exit(0);
}

/* A child: writes its region, forks two grandchildren, checks that their
 * writes stayed theirs, then writes the root's region itself. */
static void
tree_mid(char *r0, char *r1, char *r2, long k, int i)
{
  expect_pattern(r0, k, 10, "child misread the root's region");
  fill(r1, k, 20 + i);
  for (int j = 0; j < 2; j++)
    if (must_fork() == 0)
      tree_leaf(r0, r1, r2, k, 2 * i + j);
  for (int j = 0; j < 2; j++)
    expect_exit(0, 0, "grandchild");
  expect_pattern(r0, k, 10, "a grandchild's write reached its parent");
  expect_pattern(r1, k, 20 + i, "a grandchild's write reached its parent's region");
  expect_pattern(r2, k, 0, "a grandchild's region reached its parent");
  fill(r0, k, 50 + i);
  expect_pattern(r0, k, 50 + i, "child misread its write to the root's region");
  exit(0);
}

/* Three generations writing and checking their own and their ancestors'
 * pages, siblings running at once. */
static void
test_tree(void)
{
  long k = some_pages(64);
  char *r0 = must_grow(3 * k, 0), *r1 = r0 + k * PGSIZE, *r2 = r1 + k * PGSIZE;

  fill(r0, k, 10);
  for (int i = 0; i < 2; i++)
    if (must_fork() == 0)
      tree_mid(r0, r1, r2, k, i);
  expect_forked_cow(r0);
  for (int i = 0; i < 2; i++)
    expect_exit(0, 0, "child");
  expect_pattern(r0, k, 10, "a descendant's write reached the root");
  expect_pattern(r1, 2 * k, 0, "a descendant's region reached the root");
}

/* ---- the kernel writing into copy-on-write pages ------------------------- */

/* read() from a pipe into dst. */
static void
kw_read(char *dst)
{
  int fd[2];
  mkpipe(fd);
  if (write(fd[1], "kernel wrote this", 18) != 18)
    fail("pipe write failed");
  expect(read(fd[0], dst, 18), 18, "read into a copy-on-write page");
  if (strcmp(dst, "kernel wrote this") != 0)
    fail("read() put the wrong bytes into a copy-on-write page");
  close(fd[0]);
  close(fd[1]);
}

/* fstat() of a file into dst. */
static void
kw_fstat(char *dst)
{
  struct stat *st = (struct stat *)dst;
  int fd = open("/README", O_RDONLY);
  if (fd < 0)
    fail("cannot open /README");
  expect(fstat(fd, st), 0, "fstat into a copy-on-write page");
  expect(st->type, T_FILE, "fstat type");
  if (st->size == 0)
    fail("fstat size 0 for /README");
  close(fd);
}

/* wait() for a child that exits 7, with the status at dst. */
static void
kw_wait(char *dst)
{
  int pid = must_fork();
  if (pid == 0)
    exit(7);
  expect(wait((int *)dst), pid, "wait with status in a copy-on-write page");
  expect(*(int *)dst, 7, "status from wait");
}

/* pipe() with its fds at dst; the pipe must work. */
static void
kw_pipe(char *dst)
{
  int *fd = (int *)dst;
  char c = 0;
  expect(pipe(fd), 0, "pipe with fds in a copy-on-write page");
  if (fd[0] < 0 || fd[1] < 0 || fd[0] == fd[1])
    failv("pipe fds", fd[0], fd[1]);
  expect(write(fd[1], "p", 1), 1, "write to the new pipe");
  expect(read(fd[0], &c, 1), 1, "read from the new pipe");
  expect(c, 'p', "byte through the new pipe");
  close(fd[0]);
  close(fd[1]);
}

/* Run kw (a system call storing at its argument) on a page shared
 * copy-on-write, then check it got a private frame of its own. */
static void
kw_on_cow(void (*kw)(char *), char *page)
{
  struct vmquery before = query(0, page);
  expect_cow(0, page, 2);
  kw(page + 64);
  expect_private(0, page);
  if (query(0, page).pa == before.pa)
    fail("kernel write kept the shared frame");
}

/* The kernel stores through kw into a COW page, first in the child (page a),
 * then in the parent (page b); each time the other process, still sharing
 * the page, must see it untouched. */
static void
kernel_writes(void (*kw)(char *))
{
  char *a = must_grow(2, 0), *b = a + PGSIZE;
  int toc[2], top[2];

  memset(a, MARK, 2 * PGSIZE);
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    kw_on_cow(kw, a);
    sig(top[1]);
    waitsig(toc[0]);
    expect_bytes(b, PGSIZE, MARK, "parent's kernel write reached the child");
    exit(0);
  }
  waitsig(top[0]);
  expect_bytes(a, PGSIZE, MARK, "child's kernel write reached the parent");
  kw_on_cow(kw, b);
  sig(toc[1]);
  expect_exit(pid, 0, "child");
}

/* read() from a pipe into a COW page. */
static void
test_kread(void)
{
  kernel_writes(kw_read);
}

/* fstat() into a COW page. */
static void
test_kfstat(void)
{
  kernel_writes(kw_fstat);
}

/* wait() with its status in a COW page. */
static void
test_kwait(void)
{
  kernel_writes(kw_wait);
}

/* pipe() with its fds in a COW page. */
static void
test_kpipe(void)
{
  kernel_writes(kw_pipe);
}

#define FILE_CHILDREN 4

static char filepage[PGSIZE]; /* a data page the children read() into */

/* MIT's "file": FILE_CHILDREN children, each sharing filepage with the
 * parent, read() a different int into it from a pipe while the others run;
 * each reads its own value into a private copy, and the parent's page
 * keeps what it held. */
static void
test_file(void)
{
  filepage[0] = 99;
  for (int i = 0; i < FILE_CHILDREN; i++) {
    int fd[2];
    mkpipe(fd);
    int pid = must_fork();
    if (pid == 0) {
      close(fd[1]);
      pause(1);
      expect_cow(0, filepage, 2);
      expect(read(fd[0], filepage, sizeof(i)), sizeof(i), "read() into a shared page");
      expect_private(0, filepage);
      pause(1);
      expect(*(int *)filepage, i, "value read() into the child's page");
      exit(0);
    }
    close(fd[0]);
    expect(write(fd[1], &i, sizeof(i)), sizeof(i), "write() to the child's pipe");
    close(fd[1]);
  }
  for (int i = 0; i < FILE_CHILDREN; i++)
    expect_exit(0, 0, "child");
  expect(filepage[0], 99, "parent's byte after the children's read()s");
  printf("file: ok\n");
}

/* ---- reuse by the last sharer ------------------------------------------- */

/* Write tag over npages COW pages of which this process holds the last
 * reference: no frame may be allocated, no copy made, each page reused. */
static void
expect_reuse(char *p, long npages, uint64 tag)
{
  struct vmquery q0 = query(0, p);
  expect_cow(0, p, 1);
  expect(q0.refcount, 1, "refcount of the last sharer's page");
  struct memstat m0 = mystat();
  long f0 = freeframes();
  fill(p, npages, tag);
  long f1 = freeframes();
  struct memstat m1 = mystat();
  expect(f0 - f1, 0, "frames allocated by the last sharer's writes");
  expect(m1.cow_reuses - m0.cow_reuses, npages, "cow_reuses by the last sharer");
  expect(m1.cow_copies - m0.cow_copies, 0, "cow_copies by the last sharer");
  expect_private(0, p);
  expect(query(0, p).pa, q0.pa, "frame after reuse");
}

/* Once the other sharers are gone, a write reuses the frame: first for the
 * parent after its child exited, then for a child after the parent copied. */
static void
test_reuse(void)
{
  long n = 16;
  char *p = must_grow(2 * n, 0), *q = p + n * PGSIZE;
  int toc[2];

  fill(p, 2 * n, 11);
  int pid = fork_linked(toc, 0);
  if (pid == 0) {
    waitsig(toc[0]);
    expect_reuse(q, n, 13);
    exit(0);
  }
  fill(q, n, 12);
  sig(toc[1]);
  expect_exit(pid, 0, "child");
  expect_pattern(q, n, 12, "parent's copy changed by the child");
  expect_reuse(p, n, 14);
}

/* ---- faults that must stay fatal ---------------------------------------- */

/* Fork shares program text as it is; a store to it kills the child (status
 * -1), a kernel write there fails cleanly; the parent and its text are
 * unharmed. */
static void
test_textwrite(void)
{
  volatile uint *text = (volatile uint *)(uint64)fill;
  uint first = *text;
  int pid = must_fork();
  if (pid == 0) {
    int fd[2];
    long n = sharers(query(0, (void *)text));
    if (n < 2)
      failv("text page sharers after fork (frame count + table count - 1)", n, 2);
    mkpipe(fd);
    write(fd[1], "x", 1);
    expect(read(fd[0], (char *)text, 1), -1, "read() into text");
    *text = 0;
    fail("store to text succeeded");
  }
  expect_exit(pid, -1, "child that stored to its text");
  expect(*text, first, "parent's text after the child's store");
  char *p = must_grow(1, 0);
  fill(p, 1, 15);
  expect_pattern(p, 1, 15, "parent misread after the child died");
}

/* Out of memory in COW faults kills the child, not the kernel; the parent's
 * data stay intact and free frames return to where they were. */
static void
test_oom(void)
{
  long n = freeframes() * 7 / 10;
  char *p = must_grow(n, 0);

  fill(p, n, 16);
  long f0 = freeframes();
  int pid = must_fork();
  if (pid == 0) {
    fill(p, n, 17);
    fail("child wrote 70%% of memory twice over");
  }
  expect_exit(pid, -1, "child that ran out of memory");
  expect_pattern(p, n, 16, "parent's data after the child's death");
  expect(freeframes(), f0, "free frames after the child's death");
  fill(p, n, 18);
  expect(freeframes(), f0, "free frames after the parent's own writes");
}

/* ---- reference-count races ---------------------------------------------- */

#define RACERS      8
#define RACE_ROUNDS 20

/* One racer: wait for the start, check the shared originals, write its own
 * tag over them, check it. */
static void
racer(char *p, long n, int *go, uint64 orig, uint64 tag)
{
  close(go[1]);
  waitsig(go[0]);
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < PROBES; k++)
      if (*probe(p, i, k) != word(orig, i, k))
        fail("racer misread an original page: page %ld, word %d", i, k);
    for (int k = 0; k < PROBES; k++)
      *probe(p, i, k) = word(tag, i, k);
  }
  expect_pattern(p, n, tag, "racer misread its own write");
  exit(0);
}

/* Several children on several harts write the same shared pages at once,
 * round after round (the parent too, every other round); then every page
 * is right and no frame is lost. */
static void
test_race(void)
{
  long n = some_pages(64);
  char *p = must_grow(n, 0);

  for (int round = 0; round < RACE_ROUNDS; round++) {
    uint64 orig = 100 + round * (RACERS + 2);
    int go[2];
    fill(p, n, orig);
    mkpipe(go);
    long f0 = freeframes();
    for (int i = 0; i < RACERS; i++)
      if (must_fork() == 0)
        racer(p, n, go, orig, orig + 1 + i);
    close(go[0]);
    expect_forked_cow(p);
    for (int i = 0; i < RACERS; i++)
      sig(go[1]);
    uint64 mine = round % 2 ? orig + RACERS + 1 : orig;
    if (mine != orig)
      fill(p, n, mine);
    for (int i = 0; i < RACERS; i++)
      expect_exit(0, 0, "racer");
    expect_pattern(p, n, mine, "parent's pages after the race");
    expect(freeframes(), f0, "free frames after a race round");
    close(go[1]);
  }
}

#define FORKFORK_ROUNDS   100
#define FORKFORK_CHILDREN 3

/* A forkfork child: after a moment fork twice (the four processes that
 * makes each write a page of their own, racing COW faults on the shared
 * frames) and exit, leaving the parent's grandchildren as orphans. */
static void
forkfork_child(char *p, long n)
{
  pause(2);
  fork();
  fork();
  fill(p + (getpid() % n) * PGSIZE, 1, 1000 + getpid());
  exit(0);
}

/* MIT's "forkfork": round after round, children and grandchildren fork and
 * exit at once (their counts going up and down together on several harts)
 * while the parent keeps its pages; they hold its data, and the runner's
 * exact count and memcheck, once the orphans are gone, catch a lost or
 * doubly freed frame. */
static void
test_forkfork(void)
{
  long n = 256;
  char *p = must_grow(n, 0);

  fill(p, n, 27);
  for (int round = 0; round < FORKFORK_ROUNDS; round++) {
    for (int i = 0; i < FORKFORK_CHILDREN; i++)
      if (must_fork() == 0)
        forkfork_child(p, n);
    expect_forked_cow(p);
    for (int i = 0; i < FORKFORK_CHILDREN; i++)
      expect_exit(0, 0, "child");
  }
  expect_pattern(p, n, 27, "parent's pages after the forks");
  printf("forkfork: ok\n");
}

#define FORKRACE_WORKERS 4
#define FORKRACE_ROUNDS  500
#define FORKRACE_TICKS   1000 /* 10 s: an eager-copy fork takes this long for far fewer rounds */

/* A forkrace worker: once all are ready, FORKRACE_ROUNDS times (or until
 * FORKRACE_TICKS have passed), fork a child that stores to one shared page
 * and exits. Every fork adds one to the count of each of the n shared
 * frames, every exit takes one off, while the other workers do the same to
 * the same counts on other harts. */
static void
forkrace_worker(char *p, long n, int *go, int id)
{
  close(go[1]);
  waitsig(go[0]);
  int t0 = uptime();
  for (int round = 0; round < FORKRACE_ROUNDS && uptime() - t0 < FORKRACE_TICKS; round++) {
    int pid = must_fork();
    if (pid == 0) {
      *probe(p, (id * FORKRACE_ROUNDS + round) % n, 0) = round;
      exit(0);
    }
    expect_exit(pid, 0, "forkrace child");
  }
  exit(0);
}

/* Workers on several harts fork and reap children at once, all sharing the
 * same frames: every count is updated by several harts at the same moment.
 * A count that lost an update shows in memcheck first (a wrong count, or a
 * frame freed while mapped), then in the free frames or the data. */
static void
test_forkrace(void)
{
  long n = some_pages(2048);
  char *p = must_grow(n, 0);
  int go[2];

  fill(p, n, 28);
  long f0 = freeframes(); /* the pipe is gone too at the end */
  mkpipe(go);
  for (int i = 0; i < FORKRACE_WORKERS; i++)
    if (must_fork() == 0)
      forkrace_worker(p, n, go, i);
  close(go[0]);
  for (int i = 0; i < FORKRACE_WORKERS; i++)
    sig(go[1]);
  close(go[1]);
  for (int i = 0; i < FORKRACE_WORKERS; i++)
    expect_exit(0, 0, "worker");
  audit();
  expect(freeframes(), f0, "free frames after the workers exited");
  expect_pattern(p, n, 28, "parent's pages after the forks");
}

/* ---- shrinking shared memory -------------------------------------------- */

/* The parent shrinks its heap while a child still uses the pages: the child
 * reads the right data and, now the last sharer, reuses every frame; the
 * parent's regrown heap reads as zeros. */
static void
test_shrink(void)
{
  long n = some_pages(512);
  char *p = must_grow(n, 0);
  int toc[2];

  fill(p, n, 19);
  int pid = fork_linked(toc, 0);
  if (pid == 0) {
    waitsig(toc[0]);
    expect_pattern(p, n, 19, "child misread after the parent shrank");
    expect_reuse(p, n, 20);
    exit(0);
  }
  shrink(n);
  expect((long)sbrk(0), (long)p, "heap end after shrinking");
  if (grow(n, 1) != p)
    fail("regrowing the heap moved it");
  expect_pattern(p, n, 0, "regrown heap not zero");
  sig(toc[1]);
  expect_exit(pid, 0, "child");
}

/* ---- shared page tables -------------------------------------------------- */

#define TABLE_PAGES 512 /* pages one leaf page table maps: 2 MiB */

/* Is fork sharing whole leaf tables (cowctl tables on)? The table tests
 * check the data in both modes, the table counts only when it is. */
static int
tables_on(void)
{
  return cowctl(COWCTL_TABLES, -1) == 1;
}

/* Grow the heap to the next 2 MiB boundary and then by ntables whole leaf
 * tables' worth of pages, lazily (no frames) if lazy; returns the first of
 * those pages. */
static char *
grow_aligned(int ntables, int lazy)
{
  uint64 span = TABLE_PAGES * PGSIZE, brk = (uint64)sbrk(0);
  if (brk % span)
    must_grow((span - brk % span) / PGSIZE, 1);
  char *p = must_grow(ntables * TABLE_PAGES, lazy);
  if ((uint64)p % span)
    fail("table-aligned heap is not aligned");
  return p;
}

/* grow_aligned's pages, filled with tag. */
static char *
grow_tables(int ntables, uint64 tag)
{
  char *p = grow_aligned(ntables, 0);
  fill(p, ntables * TABLE_PAGES, tag);
  return p;
}

/* Check pages [from, to) of a table-sized area p: each holds pattern tag. */
static void
expect_pages(char *p, long from, long to, uint64 tag, const char *why)
{
  for (long i = from; i < to; i++)
    for (int k = 0; k < PROBES; k++)
      if (*probe(p, i, k) != word(tag, i, k))
        failv(why, i, -1);
}

/* A child stores to one page of a 2 MiB area it shares with its parent and
 * a grandchild: it gets a table of its own (one copy), in which that page is
 * private and the other 511 still share their frames; all three read their
 * own data. */
static void
test_tablewrite(void)
{
  char *p = grow_tables(1, 30);
  int toc[2], top[2];
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    int gtoc[2], gtop[2];
    int g = fork_linked(gtoc, gtop);
    if (g == 0) {
      waitsig(gtoc[0]);
      expect_pages(p, 0, TABLE_PAGES, 30, "grandchild misread after the child's store");
      exit(0);
    }
    if (tables_on())
      expect(query(0, p).tablerefs, 3, "table count with parent, child and grandchild");
    struct memstat m0 = mystat();
    for (int k = 0; k < PROBES; k++)
      *probe(p, 0, k) = word(31, 0, k);
    struct memstat m1 = mystat();
    expect_private(0, p);
    long still = 0;
    for (long i = 1; i < TABLE_PAGES; i++)
      still += query(0, p + i * PGSIZE).flags & PTE_COW ? 1 : 0;
    expect(still, TABLE_PAGES - 1, "pages still copy-on-write after one store");
    if (tables_on()) {
      expect(m1.table_unshares - m0.table_unshares, 1, "tables copied by the child's store");
      struct vmquery q = query(0, p + PGSIZE);
      expect(q.tablerefs, 1, "the child's table after its store (its own copy)");
      expect(q.refcount, 2, "an untouched page's frame: the child's table and the shared one");
    }
    expect_cow(0, p + PGSIZE, 2);
    sig(gtoc[1]);
    expect_exit(g, 0, "grandchild");
    expect_pages(p, 0, 1, 31, "child misread its own store");
    expect_pages(p, 1, TABLE_PAGES, 30, "child misread an untouched page");
    audit();
    sig(top[1]);
    exit(0);
  }
  waitsig(top[0]);
  expect_pages(p, 0, TABLE_PAGES, 30, "parent misread after the child's store");
  expect_exit(pid, 0, "child");
  audit();
}

/* What tablemixed does to page i of its 2 MiB: store to it, read it (it
 * maps the zero frame, read-only) or leave it alone (no PTE). Whole runs of
 * stored pages and runs that mix all three cross the groups of 8 and 16
 * PTEs that fork takes at a time. */
enum { STORED, READ, UNTOUCHED };
static int
mixed_kind(long i)
{
  if (i < 128 || (i >= 256 && i < 320))
    return STORED;
  return (i * 7 + i / 16) % 3;
}

/* Fork over a 2 MiB area of stored, read-only and untouched pages: each
 * stored page becomes copy-on-write in parent and child, a read-only one
 * stays the zero frame, an untouched one stays unmapped; after the parent
 * stores to every page, the child still reads what was there at fork. */
static void
test_tablemixed(void)
{
  char *p = grow_aligned(1, 1);
  for (long i = 0; i < TABLE_PAGES; i++) {
    if (mixed_kind(i) == STORED)
      fill(p + i * PGSIZE, 1, 40 + i);
    else if (mixed_kind(i) == READ)
      expect_pattern(p + i * PGSIZE, 1, 0, "fresh page not zero");
  }
  long r = 0;
  while (mixed_kind(r) != READ)
    r++;
  uint64 zero = query(0, p + r * PGSIZE).pa; /* the zero frame */
  int toc[2], top[2];
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    waitsig(toc[0]);
    for (long i = 0; i < TABLE_PAGES; i++)
      expect_pattern(p + i * PGSIZE, 1, mixed_kind(i) == STORED ? 40 + i : 0,
                     "child misread a page after the parent's stores");
    audit();
    sig(top[1]);
    exit(0);
  }
  for (long i = 0; i < TABLE_PAGES; i++) {
    struct vmquery q = query(0, p + i * PGSIZE);
    if (mixed_kind(i) == STORED)
      expect_cow(0, p + i * PGSIZE, 2);
    else if (mixed_kind(i) == READ)
      expect(q.pa, zero, "a read-only page's frame after fork (the zero frame)");
    else
      expect(q.pa, 0, "an untouched page's frame after fork");
  }
  fill(p, TABLE_PAGES, 41);
  sig(toc[1]);
  waitsig(top[0]);
  expect_exit(pid, 0, "child");
  expect_pattern(p, TABLE_PAGES, 41, "parent misread its own stores");
  audit();
}

/* The parent exits while its children share its tables: they read its data;
 * once the first child is gone too, the second owns the table alone and
 * every store reuses its frame in place. */
static void
test_tableexit(void)
{
  int top[2], done[2];
  mkpipe(top);
  mkpipe(done); /* the second child, init's by then, reports through it */
  int mid = must_fork();
  if (mid == 0) {
    char *p = grow_tables(2, 32);
    int c1 = must_fork();
    if (c1 == 0) {
      expect_pages(p, 0, 2 * TABLE_PAGES, 32, "first child misread after the parent exited");
      exit(0);
    }
    int c2 = must_fork();
    if (c2 == 0) {
      waitsig(top[0]); /* the first child is gone: its pid's exit status came up */
      expect_pages(p, 0, 2 * TABLE_PAGES, 32, "second child misread after the others exited");
      if (tables_on())
        expect(query(0, p).tablerefs, 1, "table count once the others are gone");
      struct memstat m0 = mystat();
      fill(p, 2 * TABLE_PAGES, 33);
      struct memstat m1 = mystat();
      expect(m1.cow_copies - m0.cow_copies, 0, "copies by the last sharer");
      expect(m1.cow_reuses - m0.cow_reuses, 2 * TABLE_PAGES, "reuses by the last sharer");
      expect(m1.table_unshares - m0.table_unshares, 0, "tables copied by the last sharer");
      expect_pattern(p, 2 * TABLE_PAGES, 33, "last sharer misread its own stores");
      audit();
      sig(done[1]);
      exit(0);
    }
    expect_exit(c1, 0, "first child");
    exit(0); /* the second child becomes init's */
  }
  close(done[1]);
  expect_exit(mid, 0, "middle process");
  long f0 = freeframes();
  sig(top[1]);
  close(top[1]);
  char c;
  if (read(done[0], &c, 1) != 1)
    fail("the second child, the last sharer, failed (its message is above)");
  /* The orphan is init's to reap: wait for its frames to come back. */
  for (int i = 0; i < 500 && freeframes() < f0 + 2 * TABLE_PAGES; i++)
    pause(1);
  if (freeframes() < f0 + 2 * TABLE_PAGES)
    failv("frames back after the orphan exited", freeframes() - f0, 2 * TABLE_PAGES);
  audit();
}

/* sbrk shrinks through a table shared with a child: half of it (the table
 * is copied first, then cut), then the rest (the table dropped whole); the
 * child still reads everything, and the parent's regrown heap is zero. */
static void
test_tableshrink(void)
{
  char *p = grow_tables(1, 34);
  int toc[2];
  int pid = fork_linked(toc, 0);
  if (pid == 0) {
    waitsig(toc[0]);
    expect_pages(p, 0, TABLE_PAGES, 34, "child misread after the parent shrank");
    expect_reuse(p, TABLE_PAGES, 35);
    audit();
    exit(0);
  }
  shrink(TABLE_PAGES / 2);
  expect_pages(p, 0, TABLE_PAGES / 2, 34, "parent misread the half it kept");
  audit();
  shrink(TABLE_PAGES / 2);
  expect((long)sbrk(0), (long)p, "heap end after shrinking");
  if (grow(TABLE_PAGES, 1) != p)
    fail("regrowing the heap moved it");
  expect_pattern(p, TABLE_PAGES, 0, "regrown heap not zero");
  audit();
  sig(toc[1]);
  expect_exit(pid, 0, "child");
}

/* The kernel's stores into a shared table (read() from a pipe) copy the
 * table and the page for the writer only. */
static void
test_tablecopyout(void)
{
  char *p = grow_tables(1, 36);
  char *dst = p + 7 * PGSIZE + 100;
  int toc[2], top[2], fd[2];
  mkpipe(fd);
  int pid = fork_linked(toc, top);
  if (pid == 0) {
    struct memstat m0 = mystat();
    if (write(fd[1], "table", 5) != 5 || read(fd[0], dst, 5) != 5)
      fail("pipe round trip");
    struct memstat m1 = mystat();
    if (memcmp(dst, "table", 5) != 0)
      fail("read() into a shared table did not arrive");
    if (tables_on())
      expect(m1.table_unshares - m0.table_unshares, 1, "tables copied by read()");
    expect_private(0, dst);
    sig(top[1]);
    waitsig(toc[0]);
    exit(0);
  }
  waitsig(top[0]);
  expect_pages(p, 0, TABLE_PAGES, 36, "the child's read() reached the parent");
  expect_cow(0, p + 8 * PGSIZE, 2);
  audit();
  sig(toc[1]);
  expect_exit(pid, 0, "child");
}

/* Out of memory while copying a shared table for a store: the child is
 * killed, nothing leaks, and the table is intact for the parent. */
static void
test_tableoom(void)
{
  char *p = grow_tables(1, 37);
  long f0 = freeframes();
  struct memstat g0;
  if (memstat(0, &g0) < 0)
    fail("memstat failed");
  int pid = must_fork();
  if (pid == 0) {
    for (long n = CHUNK_PAGES; n > 0; n /= 2) /* take every free frame */
      while (grow(n, 0) != 0)
        ;
    *probe(p, 3, 0) = 0; /* no frame left for a copy of the table */
    fail("child stored into a shared table with no memory left");
  }
  expect_exit(pid, -1, "child that ran out of memory");
  expect_pages(p, 0, TABLE_PAGES, 37, "parent's data after the child's death");
  expect(freeframes(), f0, "free frames after the child's death");
  struct memstat g1;
  if (memstat(0, &g1) < 0)
    fail("memstat failed");
  expect(g1.table_unshares - g0.table_unshares, 0, "tables copied (none could be)");
  fill(p, TABLE_PAGES, 38);
  audit();
}

/* Several children on several harts store into the same shared tables at
 * once, round after round; every page is right and no frame is lost. */
static void
test_tablerace(void)
{
  char *p = grow_tables(2, 39);
  long n = 2 * TABLE_PAGES;
  for (int round = 0; round < 4; round++) {
    uint64 orig = 200 + round * (RACERS + 1);
    int go[2];
    fill(p, n, orig);
    mkpipe(go);
    long f0 = freeframes();
    for (int i = 0; i < RACERS; i++)
      if (must_fork() == 0)
        racer(p, n, go, orig, orig + 1 + i);
    close(go[0]);
    expect_forked_cow(p);
    for (int i = 0; i < RACERS; i++)
      sig(go[1]);
    for (int i = 0; i < RACERS; i++)
      expect_exit(0, 0, "racer");
    expect_pattern(p, n, orig, "parent's pages after the race");
    expect(freeframes(), f0, "free frames after a race round");
    close(go[1]);
    audit();
  }
}

/* ---- zero-fill ---------------------------------------------------------- */

/* Fresh lazy memory reads as zeros and costs no frame; the first write to a
 * page costs exactly one frame. */
static void
test_zeroread(void)
{
  long n = some_pages(2048);
  char *p = must_grow(n, 1);
  long f0 = freeframes();
  uint64 sum = 0;

  for (long i = 0; i < n * PGSIZE / 8; i++)
    sum |= ((volatile uint64 *)p)[i];
  expect(sum, 0, "fresh lazy memory not zero");
  long f1 = freeframes(); /* reading may add page-table pages, never data frames */
  if (f0 - f1 > n / 512 + 2)
    failv("frames used by reading lazy memory (page tables only)", f0 - f1, n / 512 + 2);
  expect(query(0, p).pa, query(0, p + (n - 1) * PGSIZE).pa, "lazy pages share the zero frame");
  expect_cow(0, p, 2);
  struct memstat m0 = mystat();
  for (long i = 0; i < n; i++)
    p[i * PGSIZE + i % PGSIZE] = 1;
  struct memstat m1 = mystat();
  expect(f1 - freeframes(), n, "frames used by first writes");
  expect(m1.zero_fills - m0.zero_fills, n, "zero_fills");
  expect(m1.cow_copies - m0.cow_copies, 0, "cow_copies by zero fills");
  for (long i = 0; i < n; i++) {
    p[i * PGSIZE + i % PGSIZE] = 0;
    expect_bytes(p + i * PGSIZE, PGSIZE, 0, "zero-filled page not zero");
  }
  expect(f1 - freeframes(), n, "frames used by later writes");
}

/* Memory another process filled and freed never shows its data: not through
 * sbrk, not through sbrklazy. */
static void
test_zeronodata(void)
{
  long n = some_pages(4096);

  for (int lazy = 0; lazy < 2; lazy++) {
    int pid = must_fork();
    if (pid == 0) {
      char *c = must_grow(n, lazy);
      memset(c, 0x5A, n * PGSIZE);
      exit(0);
    }
    expect_exit(pid, 0, "child");
    char *p = must_grow(n, 0), *q = must_grow(n, 1);
    expect_bytes(p, n * PGSIZE, 0, "sbrk memory not zero");
    expect_bytes(q, n * PGSIZE, 0, "sbrklazy memory not zero");
    for (long i = 0; i < n; i++)
      q[i * PGSIZE] = 0;
    expect_bytes(q, n * PGSIZE, 0, "zero-filled memory not zero");
    shrink(2 * n);
  }
}

/* sbrk of more than free memory returns SBRK_ERROR and leaves the heap as
 * it was; so does shrinking below zero. */
static void
test_sbrktoomuch(void)
{
  long f = freeframes();
  char *end = sbrk(0);
  long grown = 0;

  for (;;) {
    long left = f + 1 - grown;
    if (left <= 0)
      failv("sbrk gave more pages than were free", grown, f);
    long n = left < CHUNK_PAGES ? left : CHUNK_PAGES;
    long f1 = freeframes();
    char *r = sbrk(n * PGSIZE);
    if (r == SBRK_ERROR) {
      expect((long)sbrk(0), (long)(end + grown * PGSIZE), "heap end after a failed sbrk");
      if (f1 - freeframes() > n / 256 + 4)
        failv("frames kept by a failed sbrk", f1 - freeframes(), n / 256 + 4);
      break;
    }
    grown += n;
  }
  shrink(grown);
  expect((long)sbrk(-(long)(end + PGSIZE)), (long)end, "sbrk below zero (xv6: no change)");
  expect((long)sbrk(0), (long)end, "heap end after sbrk below zero");
}

#define OVER_PROCS  3
#define FITTED_BASE 50 /* the watcher exits with this plus the count */

/* Pipes of the over-commit test: everyone has sbrklazy'd (ready), start
 * touching (go), touched everything (done; EOF once every over-committer
 * has finished touching or died), let go of the memory (hold; EOF once
 * the watcher closes it). */
struct overpipes {
  int ready[2], go[2], done[2], hold[2];
};

/* An over-committing child: take n lazy pages, wait for the others, touch
 * them all, say so on done, hold them until hold ends, check them, exit 0. */
static void
overcommitter(long n, struct overpipes *o, int id)
{
  char c;

  close(o->ready[0]);
  close(o->go[1]);
  close(o->done[0]);
  close(o->hold[1]);
  char *p = must_grow(n, 1);
  sig(o->ready[1]);
  waitsig(o->go[0]);
  for (long i = 0; i < n; i++)
    *probe(p, i, 0) = word(id, i, 0);
  sig(o->done[1]);
  close(o->done[1]);
  expect(read(o->hold[0], &c, 1), 0, "hold pipe");
  for (long i = 0; i < n; i++)
    expect(*probe(p, i, 0), word(id, i, 0), "over-committed page");
  exit(0);
}

/* The watcher: count the over-committers that touched all their pages,
 * until done ends; then let them go and exit FITTED_BASE plus the count.
 * (Not the parent's job: it must reap the killed at once, since a zombie
 * keeps its memory until it is reaped.) */
static void
watcher(struct overpipes *o)
{
  int fitted = 0;
  char c;

  close(o->ready[0]);
  close(o->ready[1]);
  close(o->go[0]);
  close(o->go[1]);
  close(o->done[1]);
  close(o->hold[0]);
  while (read(o->done[0], &c, 1) == 1)
    fitted++;
  close(o->hold[1]);
  exit(FITTED_BASE + fitted);
}

/* Several processes each sbrklazy 60% of free memory and touch it all:
 * those that run out are killed cleanly, at most one fits and keeps its
 * data, the kernel lives, and nothing leaks (the runner checks). */
static void
test_overcommit(void)
{
  long n = freeframes() * 6 / 10;
  struct overpipes o = {0};
  int fitted = -1, killed = 0, ok = 0;

  mkpipe(o.ready);
  mkpipe(o.go);
  mkpipe(o.done);
  mkpipe(o.hold);
  for (int i = 0; i < OVER_PROCS; i++)
    if (must_fork() == 0)
      overcommitter(n, &o, 200 + i);
  int wpid = must_fork();
  if (wpid == 0)
    watcher(&o);
  close(o.ready[1]);
  close(o.go[0]);
  close(o.done[0]);
  close(o.done[1]);
  close(o.hold[0]);
  close(o.hold[1]);
  for (int i = 0; i < OVER_PROCS; i++)
    waitsig(o.ready[0]);
  for (int i = 0; i < OVER_PROCS; i++)
    sig(o.go[1]);
  for (int i = 0; i < OVER_PROCS + 1; i++) {
    int st = 0;
    int pid = wait(&st);
    if (pid < 0)
      fail("wait found no child");
    if (pid == wpid)
      fitted = st - FITTED_BASE;
    else if (st == -1)
      killed++;
    else if (st == 0)
      ok++;
    else
      failv("over-committing child's status", st, 0);
  }
  if (fitted < 0 || fitted > 1)
    failv("over-committers that fitted in memory", fitted, 1);
  expect(ok, fitted, "over-committers that exited 0");
  expect(killed, OVER_PROCS - fitted, "over-committers killed");
}

/* System calls read from fresh lazy memory (write() of it gives zeros, no
 * frame) and write into it (read() into it costs one frame per page). */
static void
test_zerosyscall(void)
{
  char *p = must_grow(4, 1), buf[300];
  int fd[2];

  mkpipe(fd);
  long f0 = freeframes();
  expect(write(fd[1], p + 100, sizeof(buf)), sizeof(buf), "write() from lazy memory");
  memset(buf, 1, sizeof(buf));
  expect(read(fd[0], buf, sizeof(buf)), sizeof(buf), "read() back");
  expect_bytes(buf, sizeof(buf), 0, "write() from lazy memory gave non-zero");
  expect(f0 - freeframes(), 0, "frames used by write() from lazy memory");

  char *at = p + 2 * PGSIZE - 100;
  struct memstat m0 = mystat();
  memset(buf, 'Z', sizeof(buf));
  expect(write(fd[1], buf, sizeof(buf)), sizeof(buf), "write() to the pipe");
  expect(read(fd[0], at, sizeof(buf)), sizeof(buf), "read() into lazy memory");
  struct memstat m1 = mystat();
  expect_bytes(at, sizeof(buf), 'Z', "read() into lazy memory");
  expect_bytes(p + PGSIZE, PGSIZE - 100, 0, "bytes before the read() not zero");
  expect_bytes(at + sizeof(buf), 2 * PGSIZE - 200, 0, "bytes after the read() not zero");
  expect(f0 - freeframes(), 2, "frames used by read() across two lazy pages");
  expect(m1.zero_fills - m0.zero_fills, 2, "zero_fills by read()");
  expect_cow(0, p, 2);
  expect(query(0, p).pa, query(0, p + 3 * PGSIZE).pa, "untouched lazy pages' frame");
}

/* ---- vfork -------------------------------------------------------------- */

static volatile int vfork_shared; /* written by vfork children */

/* A vfork child's stores land in the parent's memory. */
static void
test_vforkshare(void)
{
  vfork_shared = 1;
  int pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    vfork_shared = 42;
    exit(0);
  }
  expect(vfork_shared, 42, "global after the vfork child wrote it");
  expect_exit(pid, 0, "vfork child");
}

/* The parent does not run until its vfork child exits: the child sleeps a
 * few ticks before it sets the flag the parent checks at once. */
static void
test_vforkwait(void)
{
  vfork_shared = 0;
  int t0 = uptime();
  int pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    pause(5);
    vfork_shared = 1;
    exit(0);
  }
  expect(vfork_shared, 1, "flag set by the vfork child when vfork returned");
  if (uptime() - t0 < 5)
    failv("ticks the parent waited", uptime() - t0, 5);
  expect_exit(pid, 0, "vfork child");
}

/* Wait for child pid, which exec'd this program in FAULTS_MODE (itself, or
 * through a shell); fail unless its status came from that program. Returns
 * the COW faults the exec'd process took before exec. */
static int
expect_exec_status(int pid)
{
  int st = 0;
  expect(wait(&st), pid, "wait for the child that exec'd");
  if (st < FAULTS_BASE || st > FAULTS_BASE + FAULTS_MAX)
    failv("exec'd child's status (not from the exec'd program)", st, FAULTS_BASE);
  return st - FAULTS_BASE;
}

/* vfork then exec: the child runs the new program, and the parent gets its
 * address space back as it was (same heap end, same data), its store before
 * exec included; the heap then still grows. */
static void
test_vforkexec(void)
{
  char *argv[] = {"cowtest", FAULTS_MODE, 0};
  char *p = must_grow(4, 0), *end = sbrk(0);

  fill(p, 4, 21);
  vfork_shared = 0;
  int pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    vfork_shared = 7;
    exec(argv[0], argv);
    exit(3);
  }
  expect(vfork_shared, 7, "global written by the vfork child before exec");
  expect((long)sbrk(0), (long)end, "parent's heap end after vfork and exec");
  expect_pattern(p, 4, 21, "parent's pages after vfork and exec");
  expect_exec_status(pid);
  char *q = must_grow(1, 0);
  fill(q, 1, 22);
  expect_pattern(q, 1, 22, "page grown after vfork and exec");
}

/* Heap a vfork child grows is the parent's afterwards: when the child
 * exits, and when it execs. */
static void
test_vforksbrk(void)
{
  char *argv[] = {"cowtest", FAULTS_MODE, 0};

  for (int execs = 0; execs < 2; execs++) {
    char *end = sbrk(0);
    int pid = vfork();
    if (pid < 0)
      fail("vfork failed");
    if (pid == 0) {
      if (sbrk(PGSIZE) == SBRK_ERROR)
        exit(2);
      end[0] = 'v';
      if (execs)
        exec(argv[0], argv);
      exit(0);
    }
    expect((long)sbrk(0), (long)(end + PGSIZE), "heap end after the vfork child grew it");
    expect(end[0], 'v', "byte the vfork child stored in its new page");
    if (execs)
      expect_exec_status(pid);
    else
      expect_exit(pid, 0, "vfork child");
  }
}

/* ---- fork then exec ----------------------------------------------------- */

/* Exec this program in FAULTS_MODE from a frame of its own: the call
 * stores to the stack (return address, frame pointer), as a shell's child
 * does between fork and exec. */
static void exec_faults_mode(void) __attribute__((noinline));
static void
exec_faults_mode(void)
{
  char *argv[] = {"cowtest", FAULTS_MODE, 0};
  exec(argv[0], argv);
  exit(3);
}

/* Fail unless child pid, which exec'd FAULTS_MODE, took no COW fault
 * between fork and exec; who names it. */
static void
expect_no_faults(int pid, const char *who)
{
  int faults = expect_exec_status(pid);
  if (faults == FAULTS_MAX)
    fail("%s took %d or more COW faults between fork and exec (its exit status counts no "
         "further), want 0: fork copies the page at the stack pointer",
         who, FAULTS_MAX);
  if (faults != 0)
    fail("%s took %d COW faults between fork and exec, want 0: fork copies the page at the stack "
         "pointer",
         who, faults);
}

/* Fork then exec takes no COW fault, in the child or in the parent.
 * Method: the child execs this program in FAULTS_MODE, whose first act is
 * memstat(getpid()) into its fresh, private stack; it exits FAULTS_BASE
 * plus its COW copies and reuses. Per-process counters start at zero at
 * fork and survive exec, so that number covers exactly the child's path
 * from fork through exec; the exec'd program takes no fault before it
 * reads them (its stack is new and writable, it writes no global). The
 * parent only waits (into its stack) between two readings of its own
 * counters. */
static void
test_forkexec(void)
{
  char *p = must_grow(1, 0);

  fill(p, 1, 23);
  for (int i = 0; i < 3; i++) {
    struct memstat m0 = mystat();
    int pid = must_fork();
    if (pid == 0)
      exec_faults_mode();
    expect_forked_cow(p);
    expect_no_faults(pid, "fork+exec: the child");
    long faults = shared_faults(mystat()) - shared_faults(m0);
    if (faults != 0)
      fail("fork+exec: the parent took %ld COW faults after fork, want 0: fork copies the page at "
           "the stack pointer",
           faults);
  }
}

/* The shell's fork+exec takes no COW fault: sh -c runs this program in
 * FAULTS_MODE in a child of its own and exits with its status. */
static void
test_shellexec(void)
{
  char *argv[] = {"sh", "-c", "cowtest " FAULTS_MODE, 0};
  int pid = must_fork();
  if (pid == 0) {
    exec(argv[0], argv);
    exit(3);
  }
  expect_no_faults(pid, "sh -c: the shell's child");
}

/* FAULTS_MODE: exit with FAULTS_BASE plus this process's COW faults on
 * shared frames so far. */
static void
report_faults(void)
{
  struct memstat m;
  if (memstat(getpid(), &m) < 0)
    exit(2);
  exit(FAULTS_BASE + (shared_faults(m) < FAULTS_MAX ? shared_faults(m) : FAULTS_MAX));
}

/* ---- the table ------------------------------------------------------------ */

static const struct utest tests[] = {
    {test_bigfork, "bigfork"},
    {test_fork60, "fork60"},
    {test_simple, "simple"},
    {test_three, "three"},
    {test_swapwrites, "swapwrites"},
    {test_flags, "flags"},
    {test_childwrites, "childwrites"},
    {test_parentwrites, "parentwrites"},
    {test_tree, "tree"},
    {test_kread, "kread"},
    {test_kfstat, "kfstat"},
    {test_kwait, "kwait"},
    {test_kpipe, "kpipe"},
    {test_file, "file"},
    {test_reuse, "reuse"},
    {test_textwrite, "textwrite"},
    {test_oom, "oom"},
    {test_race, "race"},
    {test_forkfork, "forkfork"},
    {test_forkrace, "forkrace"},
    {test_shrink, "shrink"},
    {test_zeroread, "zeroread"},
    {test_zeronodata, "zeronodata"},
    {test_sbrktoomuch, "sbrktoomuch"},
    {test_overcommit, "overcommit"},
    {test_zerosyscall, "zerosyscall"},
    {test_vforkshare, "vforkshare"},
    {test_vforkwait, "vforkwait"},
    {test_vforkexec, "vforkexec"},
    {test_vforksbrk, "vforksbrk"},
    {test_forkexec, "forkexec"},
    {test_shellexec, "shellexec"},
    {test_tablewrite, "tablewrite"},
    {test_tablemixed, "tablemixed"},
    {test_tableexit, "tableexit"},
    {test_tableshrink, "tableshrink"},
    {test_tablecopyout, "tablecopyout"},
    {test_tableoom, "tableoom"},
    {test_tablerace, "tablerace"},
};

/* `cowtest` runs every test, `cowtest NAME` one; FAULTS_MODE is internal. */
int
main(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], FAULTS_MODE) == 0)
    report_faults();
  utest_main("cowtest", "COW", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
