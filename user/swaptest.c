/* swaptest.c: memory larger than RAM (issue 26): pages go to swap and come
 * back with every byte, copy-on-write and shared tables intact.
 *
 *   swaptest [-q]     run every test (-q: leave out the slow ones)
 *   swaptest NAME     run one
 *
 * Needs a swap disk (make qemu's default; test/qemu.py's swap=). The fast
 * tests force page replacement with cowctl(COWCTL_RECLAIM); the slow ones
 * make real pressure: more memory touched than the machine has. Each test
 * runs in a child of its own (utest.c); afterwards every swapped page is
 * brought back, no slot may stay in use, no frame may be missing, and
 * memcheck (frames and slots) must agree. Prints "ALL SWAP TESTS PASSED"
 * (status 0) or "SOME SWAP TESTS FAILED". */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/utest.h"

#define MAP_FAILED ((char *)-1)
#define MIB        (1024 * 1024L)

/* The system-wide counters now. */
static struct memstat
global(void)
{
  struct memstat st;
  if (memstat(0, &st) < 0)
    fail("memstat");
  return st;
}

/* Fail unless there is a swap disk. */
static void
need_swap(void)
{
  if (global().swap_total == 0)
    fail("no swap disk: boot with one (make qemu does; SWAP=0 does not)");
}

/* What word i of page pg holds in pattern seed. */
static uint64
word(uint64 pg, int i, uint64 seed)
{
  return (pg * 0x9e3779b97f4a7c15UL) ^ (seed << 32) ^ (uint64)i;
}

/* Fill pages [first, first+n) of base with pattern seed: a few words each
 * (the first, the last and one in the middle), the rest left as it is. */
static void
fill(char *base, uint64 first, uint64 n, uint64 seed)
{
  for (uint64 pg = first; pg < first + n; pg++) {
    uint64 *w = (uint64 *)(base + pg * PGSIZE);
    w[0] = word(pg, 0, seed);
    w[255] = word(pg, 255, seed);
    w[511] = word(pg, 511, seed);
  }
}

/* Check pages [first, first+n) of base against pattern seed. */
static void
check(char *base, uint64 first, uint64 n, uint64 seed, const char *who)
{
  for (uint64 pg = first; pg < first + n; pg++) {
    uint64 *w = (uint64 *)(base + pg * PGSIZE);
    int idx[3] = {0, 255, 511};
    for (int k = 0; k < 3; k++)
      if (w[idx[k]] != word(pg, idx[k], seed))
        fail("%s: page %lu word %d holds 0x%lx, want 0x%lx", who, pg, idx[k], w[idx[k]],
             word(pg, idx[k], seed));
  }
}

/* Take pages off their frames now: as many as page replacement can. */
static void
reclaim_all(void)
{
  cowctl(COWCTL_RECLAIM, 1 << 30);
}

/* The swap slot of page va of process pid (0: the caller), 0 if resident. */
static uint64
slot_of(int pid, void *va)
{
  struct vmquery q;
  if (vmquery(pid, (uint64)va, &q) < 0)
    fail("vmquery");
  return q.slot;
}

/* 64 pages written, forced out, read back: each comes back from its slot
 * with its bytes, and the counters say so. */
static void
test_evict(void)
{
  need_swap();
  char *p = sbrk(64 * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrk");
  fill(p, 0, 64, 1);
  struct memstat before = global();
  reclaim_all();
  uint64 out = 0;
  for (int pg = 0; pg < 64; pg++)
    out += slot_of(0, p + pg * PGSIZE) != 0;
  if (out < 32)
    fail("only %lu of 64 pages went to swap", out);
  struct memstat mid = global();
  if (mid.swap_used < out)
    failv("swap slots in use", mid.swap_used, out);
  check(p, 0, 64, 1, "after swap-in");
  struct memstat after = global();
  if (after.pageins - before.pageins < out)
    failv("page-ins", after.pageins - before.pageins, out);
  if (slot_of(0, p) != 0)
    fail("page 0 still swapped after it was read");
  struct memstat mine;
  memstat(getpid(), &mine);
  if (mine.pageins < out || mine.pageouts < out)
    fail("this process counts %lu page-outs and %lu page-ins, want at least %lu", mine.pageouts,
         mine.pageins, out);
}

/* A page shared copy-on-write by parent and child goes to one slot; the
 * first to touch it brings it back, and the other finds the same frame
 * (the swap cache): nothing is copied that copy-on-write would not copy.
 * A store then copies, and the other still reads its bytes. */
static void
test_cow(void)
{
  need_swap();
  char *p = sbrk(4 * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrk");
  fill(p, 0, 4, 7);
  int go[2], back[2];
  pipe(go);
  pipe(back);
  int parent = getpid();
  int pid = fork();
  if (pid < 0)
    fail("fork");
  if (pid == 0) {
    char c;
    read(go[0], &c, 1); /* the parent has forced the page out */
    uint64 s = slot_of(0, p);
    if (s == 0 || slot_of(parent, p) != s)
      fail("parent and child name slots %lu and %lu, want one", slot_of(parent, p), s);
    check(p, 0, 1, 7, "child, after swap-in");
    struct vmquery mine, theirs;
    write(back[1], "r", 1);
    read(go[0], &c, 1); /* the parent has read it too */
    vmquery(0, (uint64)p, &mine);
    vmquery(parent, (uint64)p, &theirs);
    if (mine.pa == 0 || mine.pa != theirs.pa)
      fail("after both read it: frames 0x%lx and 0x%lx, want one", mine.pa, theirs.pa);
    *(uint64 *)p = 12345; /* copy-on-write: a copy of the child's own */
    vmquery(0, (uint64)p, &mine);
    if (mine.pa == theirs.pa)
      fail("a store to a shared page did not copy it");
    write(back[1], "w", 1);
    exit(0);
  }
  reclaim_all();
  if (slot_of(0, p) == 0)
    fail("the shared page did not go to swap");
  write(go[1], "g", 1);
  char c;
  read(back[0], &c, 1);
  check(p, 0, 4, 7, "parent, after the child's swap-in");
  write(go[1], "g", 1);
  read(back[0], &c, 1);
  check(p, 0, 4, 7, "parent, after the child's store");
  int st;
  wait(&st);
  if (st != 0)
    exit(1);
}

/* Create file name anew: `pages` pages of byte c. Returns it open for
 * reading and writing, at its end. */
static int
make_file(const char *name, int pages, char c)
{
  static char buf[PGSIZE];
  unlink(name);
  int fd = open(name, O_CREATE | O_RDWR);
  if (fd < 0)
    fail("create %s", name);
  memset(buf, c, sizeof(buf));
  for (int pg = 0; pg < pages; pg++)
    if (write(fd, buf, PGSIZE) != PGSIZE)
      fail("write %s", name);
  return fd;
}

/* How many of pages [first, first+n) of base are in swap now. */
static int
swapped(char *base, int first, int n)
{
  int out = 0;
  for (int pg = first; pg < first + n; pg++)
    out += slot_of(0, base + pg * PGSIZE) != 0;
  return out;
}

/* Read exactly n bytes from fd into dst. */
static void
read_all(int fd, char *dst, int n, const char *what)
{
  for (int got = 0, r; got < n; got += r)
    if ((r = read(fd, dst + got, n - got)) <= 0)
      fail("%s: read returned %d after %d of %d bytes", what, r, got, n);
}

/* The kernel's own reads and writes of user memory find pages in swap,
 * as the process's loads and stores do: write() takes its bytes from
 * pages that are out; read() stores into pages that are out and shared
 * copy-on-write with another process, which copies them (the other keeps
 * its bytes). Through a pipe to a child, and through a file. */
static void
test_syscalls(void)
{
  need_swap();
  int pages = 16, n = pages * PGSIZE;
  char *p = sbrk(2 * n); /* [0, pages): pattern 5; [pages, 2 pages): pattern 7 */
  if (p == SBRK_ERROR)
    fail("sbrk");
  fill(p, 0, pages, 5);
  fill(p, pages, pages, 7);
  int fds[2];
  if (pipe(fds) < 0)
    fail("pipe");
  int pid = fork();
  if (pid < 0)
    fail("fork");
  if (pid == 0) {
    close(fds[1]);
    reclaim_all();
    if (swapped(p, 0, pages) < pages / 2)
      fail("only %d of the child's %d pages went to swap", swapped(p, 0, pages), pages);
    read_all(fds[0], p, n, "child");
    /* its first pages now hold what the parent's last ones do */
    check(p - n, pages, pages, 7, "child, after read() into its swapped pages");
    check(p, pages, pages, 7, "child, its pages read() did not touch");
    exit(0);
  }
  close(fds[0]);
  reclaim_all();
  if (swapped(p, pages, pages) < pages / 2)
    fail("only %d of the parent's %d pages went to swap", swapped(p, pages, pages), pages);
  if (write(fds[1], p + n, n) != n)
    fail("write() from swapped pages into a pipe");
  close(fds[1]);
  int st;
  wait(&st);
  if (st != 0)
    exit(1);
  check(p, 0, pages, 5, "parent, after the child read() into its copy");

  const char *name = "swapsys";
  unlink(name);
  int fd = open(name, O_CREATE | O_RDWR);
  if (fd < 0)
    fail("create %s", name);
  reclaim_all();
  if (write(fd, p, n) != n)
    fail("write() from swapped pages into a file");
  close(fd);
  reclaim_all();
  if (swapped(p, pages, pages) < pages / 2)
    fail("only %d of %d pages went to swap again", swapped(p, pages, pages), pages);
  if ((fd = open(name, O_RDONLY)) < 0)
    fail("open %s", name);
  read_all(fd, p + n, n, "file");
  close(fd);
  unlink(name);
  check(p + n, 0, pages, 5, "parent, after read() from the file into swapped pages");
  check(p, 0, pages, 5, "parent, the pages it wrote from");
}

/* Pages in swap that the process gives up while it lives give up their
 * slots at once: a heap shrunk by sbrk, and a private file mapping's
 * written pages removed by munmap. */
static void
test_shrink(void)
{
  need_swap();
  int pages = 32;
  char *p = sbrk(pages * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrk");
  fill(p, 0, pages, 3);
  reclaim_all();
  int out = swapped(p, 0, pages);
  if (out < pages / 2)
    fail("only %d of %d heap pages went to swap", out, pages);
  uint64 mid = global().swap_used;
  if (sbrk(-pages * PGSIZE) == SBRK_ERROR)
    fail("sbrk shrink");
  uint64 after = global().swap_used;
  if (mid < after + out)
    fail("sbrk gave back %d swapped pages; slots in use went from %lu to %lu only", out, mid,
         after);

  const char *name = "swapshrink";
  int fd = make_file(name, pages, 0);
  char *m = mmap(0, pages * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED)
    fail("mmap");
  fill(m, 0, pages, 4); /* every page a private copy */
  reclaim_all();
  out = swapped(m, 0, pages);
  if (out < pages / 2)
    fail("only %d of %d private copies went to swap", out, pages);
  mid = global().swap_used;
  if (munmap(m, pages * PGSIZE) != 0)
    fail("munmap");
  after = global().swap_used;
  if (mid < after + out)
    fail("munmap dropped %d swapped pages; slots in use went from %lu to %lu only", out, mid,
         after);
  unlink(name);
}

/* Pages of files: a private mapping's written pages go to swap and come
 * back as written; its other pages, and a shared read-only mapping's, are
 * dropped and read again from the page cache; the file never changes. */
static void
test_files(void)
{
  need_swap();
  const char *name = "swapfile";
  int pages = 32;
  unlink(name);
  int fd = open(name, O_CREATE | O_RDWR);
  static char buf[PGSIZE];
  for (int pg = 0; pg < pages; pg++) {
    memset(buf, 'a' + pg % 26, sizeof(buf));
    if (write(fd, buf, PGSIZE) != PGSIZE)
      fail("write the file");
  }
  char *priv = mmap(0, pages * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  char *shr = mmap(0, pages * PGSIZE, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (priv == MAP_FAILED || shr == MAP_FAILED)
    fail("mmap");
  for (int pg = 0; pg < pages; pg++) {
    expect(shr[pg * PGSIZE], 'a' + pg % 26, "a shared page");
    if (pg % 2)
      priv[pg * PGSIZE + 1] = 'X'; /* half the private pages get copies */
    else
      expect(priv[pg * PGSIZE], 'a' + pg % 26, "a private page");
  }
  reclaim_all();
  for (int pg = 0; pg < pages; pg++) {
    expect(shr[pg * PGSIZE + 1], 'a' + pg % 26, "a shared page, again");
    expect(priv[pg * PGSIZE], 'a' + pg % 26, "a private page, again");
    expect(priv[pg * PGSIZE + 1], pg % 2 ? 'X' : 'a' + pg % 26, "a private page's store");
  }
  munmap(priv, pages * PGSIZE);
  munmap(shr, pages * PGSIZE);
  fd = open(name, O_RDONLY);
  for (int pg = 0; pg < pages; pg++) {
    read(fd, buf, PGSIZE);
    if (buf[1] != 'a' + pg % 26)
      fail("the file changed at page %d", pg);
  }
  close(fd);
  unlink(name);
}

/* The byte a page of the dirty test holds at offset 1 after the store of
 * round `round`. */
static char
dirty_byte(int pg, int round)
{
  return (round ? 'a' : 'A') + pg % 26;
}

/* Does file fd hold, at offset 1 of each of its first `pages` pages, the
 * bytes of round `round`? */
static void
check_file(int fd, int pages, int round, const char *when)
{
  static char buf[PGSIZE];
  for (int pg = 0; pg < pages; pg++) {
    if (read(fd, buf, PGSIZE) != PGSIZE)
      fail("%s: read page %d", when, pg);
    if (buf[1] != dirty_byte(pg, round) || buf[0] != '.')
      fail("%s: page %d of the file holds '%c%c', want '.%c'", when, pg, buf[0], buf[1],
           dirty_byte(pg, round));
  }
}

/* Pages of a shared writable mapping that hold stores: page replacement
 * writes them to the file (before any munmap) and then drops them; they
 * come back from the file with the stores, and stores made after that
 * reach the file at munmap. */
static void
test_dirty(void)
{
  need_swap();
  const char *name = "swapdirty";
  int pages = 48;
  int fd = make_file(name, pages, '.');
  char *shr = mmap(0, pages * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (shr == MAP_FAILED)
    fail("mmap");
  for (int pg = 0; pg < pages; pg++)
    shr[pg * PGSIZE + 1] = dirty_byte(pg, 0);
  struct memstat before = global();
  reclaim_all();
  int gone = 0;
  for (int pg = 0; pg < pages; pg++) {
    struct vmquery q;
    if (vmquery(0, (uint64)(shr + pg * PGSIZE), &q) < 0)
      fail("vmquery");
    gone += q.pa == 0;
  }
  if (gone < pages / 2)
    fail("only %d of %d dirty shared pages left their frames", gone, pages);
  uint64 written = global().file_writes - before.file_writes;
  if (written < (uint64)gone)
    fail("%d pages left their frames, but only %lu were written back", gone, written);
  fd = open(name, O_RDONLY);
  check_file(fd, pages, 0, "written back, still mapped");
  close(fd);
  for (int pg = 0; pg < pages; pg++) {
    expect(shr[pg * PGSIZE + 1], dirty_byte(pg, 0), "a page read back from the file");
    shr[pg * PGSIZE + 1] = dirty_byte(pg, 1);
  }
  reclaim_all();
  if (munmap(shr, pages * PGSIZE) < 0)
    fail("munmap");
  fd = open(name, O_RDONLY);
  check_file(fd, pages, 1, "after munmap");
  close(fd);
  unlink(name);
}

/* Megabytes of memory the machine has, and of swap. */
static void
sizes(long *ram, long *swap)
{
  struct memstat st = global();
  *ram = st.frames_total * PGSIZE / MIB;
  *swap = st.swap_total * PGSIZE / MIB;
}

/* The size: 300 MiB touched, more than memory holds, less than
 * memory and most of swap together. */
static long
big_size(void)
{
  long ram, swap;
  sizes(&ram, &swap);
  long mib = 300;
  if (mib > ram + swap * 3 / 4)
    mib = ram + swap * 3 / 4;
  if (mib <= ram)
    fail("memory %ld MiB and swap %ld MiB: no room to touch more than memory", ram, swap);
  return mib;
}

/* The big process forks: its child writes every 16th page and reads the
 * pages between as the parent left them; the parent's bytes stay. */
static void
fork_big(char *p, uint64 pages)
{
  int pid = fork();
  if (pid < 0)
    fail("fork of a process with %lu pages", pages);
  if (pid == 0) {
    for (uint64 pg = 0; pg < pages; pg += 16)
      fill(p, pg, 1, 7);
    for (uint64 pg = 0; pg + 8 < pages; pg += 16) {
      check(p, pg, 1, 7, "the child, a page it wrote");
      check(p, pg + 8, 1, 3, "the child, a page it did not write");
    }
    exit(0);
  }
  int st;
  if (wait(&st) != pid || st != 0)
    fail("the big process's child failed");
  for (uint64 pg = 0; pg < pages; pg += 8)
    check(p, pg, 1, 3, "the parent, after its child wrote");
}

/* One process touches more memory than the machine has and keeps every
 * byte, in both directions, and through a fork. */
static void
test_big(void)
{
  need_swap();
  long mib = big_size();
  uint64 pages = mib * MIB / PGSIZE;
  char *p = sbrklazy(mib * MIB);
  if (p == SBRK_ERROR)
    fail("sbrklazy %ld MiB", mib);
  fill(p, 0, pages, 3);
  check(p, 0, pages, 3, "forward");
  for (uint64 pg = pages; pg-- > 0;)
    check(p, pg, 1, 3, "backward");
  struct memstat mine;
  memstat(getpid(), &mine);
  if (mine.pageouts == 0 || mine.pageins == 0)
    fail("%ld MiB touched with no page-outs (%lu) or page-ins (%lu)", mib, mine.pageouts,
         mine.pageins);
  fork_big(p, pages);
  printf("swaptest big: %ld MiB kept, through a fork too: %lu page-outs, %lu page-ins\n", mib,
         mine.pageouts, mine.pageins);
}

/* A process with more than half of memory forks two children, which each
 * write half of it while the other half must still read the parent's
 * bytes; then the parent's must be intact. */
static void
test_forkbig(void)
{
  need_swap();
  long ram, swap;
  sizes(&ram, &swap);
  long mib = ram * 3 / 4;
  uint64 pages = mib * MIB / PGSIZE, half = pages / 2;
  char *p = sbrklazy(mib * MIB);
  if (p == SBRK_ERROR)
    fail("sbrklazy");
  fill(p, 0, pages, 5);
  int pids[2];
  for (int c = 0; c < 2; c++) {
    if ((pids[c] = fork()) < 0)
      fail("fork");
    if (pids[c] == 0) {
      uint64 mine = c == 0 ? 0 : half, other = c == 0 ? half : 0;
      fill(p, mine, half, 10 + c);
      check(p, other, half, 5, "a child, the half it did not write");
      check(p, mine, half, 10 + c, "a child, the half it wrote");
      exit(0);
    }
  }
  for (int c = 0; c < 2; c++) {
    int st;
    wait(&st);
    if (st != 0)
      exit(1);
  }
  check(p, 0, pages, 5, "the parent, after its children wrote");
}

/* Under pressure (a child holding most of memory, forced out), exec still
 * runs programs. */
static void
test_exec(void)
{
  need_swap();
  long ram, swap;
  sizes(&ram, &swap);
  int ready[2];
  pipe(ready);
  int hog = fork();
  if (hog == 0) {
    long mib = ram * 9 / 10;
    char *p = sbrklazy(mib * MIB);
    if (p == SBRK_ERROR)
      fail("sbrklazy");
    fill(p, 0, mib * MIB / PGSIZE, 9);
    write(ready[1], "r", 1);
    for (;;)
      pause(100);
  }
  char c;
  read(ready[0], &c, 1);
  for (int i = 0; i < 10; i++) {
    int pid = fork();
    if (pid == 0) {
      char *argv[] = {"echo", "under pressure", 0};
      exec("echo", argv);
      fail("exec echo under pressure");
    }
    int st;
    wait(&st);
    if (st != 0)
      fail("echo under pressure exited %d", st);
  }
  kill(hog);
  wait(0);
}

/* More memory touched than memory and swap hold: the largest process is
 * killed (the console says which and why); the rest lives on. */
static void
test_oom(void)
{
  need_swap();
  long ram, swap;
  sizes(&ram, &swap);
  int pid = fork();
  if (pid == 0) {
    long mib = ram + swap + 64;
    char *p = sbrklazy(mib * MIB);
    if (p == SBRK_ERROR)
      fail("sbrklazy");
    fill(p, 0, mib * MIB / PGSIZE, 2);
    exit(0); /* it must not get here */
  }
  int st;
  wait(&st);
  if (st != -1)
    fail("a process touching more than memory and swap exited %d, want -1 (killed)", st);
  char *q = sbrk(16 * PGSIZE); /* memory is usable again */
  if (q == SBRK_ERROR)
    fail("sbrk after the kill");
  fill(q, 0, 16, 4);
  check(q, 0, 16, 4, "after the kill");
}

/* Pages eager sbrk hands out one at a time until it fails, as a program
 * counting free memory does (MIT's usertests does so twice). Gives them
 * back before returning. */
static long
sbrk_until_full(void)
{
  char *start = sbrk(0);
  long n = 0;
  for (char *p; (p = sbrk(PGSIZE)) != SBRK_ERROR; n++)
    *(long *)p = n; /* written: it goes to swap, not back to the zero page */
  if (sbrk(-(long)(sbrk(0) - start)) == SBRK_ERROR)
    fail("sbrk giving %ld pages back", n);
  return n;
}

/* Eager sbrk fills memory and swap: the sbrk that finds both full fails
 * (no process dies), after pages beyond memory went to swap, and twice in
 * a row it hands out nearly the same number of pages (none leaked). */
static void
test_full(void)
{
  need_swap();
  struct memstat st = global();
  long room = st.frames_free + (st.swap_total - st.swap_used);
  long first = sbrk_until_full(), second = sbrk_until_full();
  if (first < room * 9 / 10 || first <= (long)st.frames_free)
    fail("eager sbrk got %ld pages; %lu frames and %lu slots were free", first, st.frames_free,
         st.swap_total - st.swap_used);
  if (second < first - 64)
    fail("eager sbrk got %ld pages, then only %ld", first, second);
  printf("swaptest full: eager sbrk got %ld pages, then %ld (%lu frames and %lu slots free)\n",
         first, second, st.frames_free, st.swap_total - st.swap_used);
}

static const struct utest tests[] = {
    /* forced by cowctl(COWCTL_RECLAIM) */
    {test_evict, "evict"},
    {test_cow, "cow"},
    {test_syscalls, "syscalls"},
    {test_shrink, "shrink"},
    {test_files, "files"},
    {test_dirty, "dirty"},
    /* real pressure: more memory touched than the machine has */
    {test_big, "big", UTEST_SLOW},
    {test_forkbig, "forkbig", UTEST_SLOW},
    {test_exec, "exec", UTEST_SLOW},
    {test_oom, "oom", UTEST_SLOW},
    {test_full, "full", UTEST_SLOW},
};

int
main(int argc, char **argv)
{
  utest_main("swaptest", "SWAP", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
