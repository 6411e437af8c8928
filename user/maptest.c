/* maptest.c: tests of file-backed memory: mmap and munmap over the page
 * cache, and demand-paged exec.
 *
 *   maptest          run every test
 *   maptest NAME     run one
 *
 * Each test runs in a child of its own (utest.c), so a crash is one FAILED
 * line; once its processes are gone free frames (idle page-cache pages count
 * as free) must be exactly as before, and memcheck must find every
 * reference count right.
 * Prints "ALL MAP TESTS PASSED" (status 0) or "SOME MAP TESTS FAILED".
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/utest.h"

#define MAP_FAILED ((char *)-1)

static char buf[PGSIZE];

/* Make file name hold npages pages (the last one may be partial: bytes
 * bytes in all), byte i of page p being 'a' + p. */
static void
makefile(const char *name, int bytes)
{
  unlink(name);
  int fd = open(name, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0)
    failv("create", fd, 0);
  for (int off = 0; off < bytes; off += PGSIZE) {
    int n = bytes - off < PGSIZE ? bytes - off : PGSIZE;
    memset(buf, 'a' + off / PGSIZE, n);
    expect(write(fd, buf, n), n, "write the file");
  }
  close(fd);
}

/* Byte off of file name. */
static int
file_byte(const char *name, int off)
{
  int fd = open(name, O_RDONLY);
  if (fd < 0)
    failv("open to read back", fd, 0);
  for (int pos = 0, n; (n = read(fd, buf, sizeof(buf))) > 0; pos += n) {
    if (off < pos + n) {
      close(fd);
      return buf[off - pos];
    }
  }
  failv("file too short", 0, off);
}

/* mmap name (opened with omode) for len bytes; fails the test on error. */
static char *
map(const char *name, int omode, int len, int prot, int flags)
{
  int fd = open(name, omode);
  if (fd < 0)
    failv("open", fd, 0);
  char *p = mmap(0, len, prot, flags, fd, 0);
  close(fd); /* the mapping keeps the file */
  if (p == MAP_FAILED)
    failv("mmap", -1, 0);
  return p;
}

/* Run fn in a child; return its exit status (-1 if it was killed). */
static int
status_of(void (*fn)(char *), char *arg)
{
  int pid = fork();
  if (pid < 0)
    failv("fork", pid, 0);
  if (pid == 0) {
    fn(arg);
    exit(0);
  }
  int st;
  expect(wait(&st), pid, "wait");
  return st;
}

static void
touch(char *p)
{
  *(volatile char *)p;
}

/* --- tests --------------------------------------------------------------- */

/* A private mapping reads the file; its stores stay in the process. */
static void
test_private(void)
{
  makefile("mt.f", 2 * PGSIZE);
  char *p = map("mt.f", O_RDONLY, 2 * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  char *q = map("mt.f", O_RDONLY, 2 * PGSIZE, PROT_READ, MAP_PRIVATE);
  expect(p[0], 'a', "first byte");
  expect(p[PGSIZE + 7], 'b', "second page");
  p[0] = 'X';
  expect(p[0], 'X', "own store");
  expect(q[0], 'a', "another private mapping's view");
  expect(munmap(p, 2 * PGSIZE), 0, "munmap");
  expect(munmap(q, 2 * PGSIZE), 0, "munmap");
  expect(file_byte("mt.f", 0), 'a', "file after a private store");
  unlink("mt.f");
}

/* A shared mapping's stores reach the file by munmap; two shared mappings
 * see each other's stores at once (one frame). */
static void
test_shared(void)
{
  makefile("mt.f", 2 * PGSIZE);
  char *p = map("mt.f", O_RDWR, 2 * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  char *q = map("mt.f", O_RDWR, 2 * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  p[PGSIZE + 1] = 'S';
  expect(q[PGSIZE + 1], 'S', "the other shared mapping's view");
  struct vmquery a, b;
  vmquery(0, (uint64)p + PGSIZE, &a);
  vmquery(0, (uint64)q + PGSIZE, &b);
  expect(a.pa, b.pa, "frames of two shared mappings of a page");
  expect(munmap(p, 2 * PGSIZE), 0, "munmap");
  expect(file_byte("mt.f", PGSIZE + 1), 'S', "file after munmap");
  q[2] = 'T';
  expect(munmap(q, 2 * PGSIZE), 0, "munmap");
  expect(file_byte("mt.f", 2), 'T', "file after the second munmap");
  unlink("mt.f");
}

static void
store_and_exit(char *p)
{
  p[0] = 'E';
  exit(0); /* no munmap: exit writes it back */
}

/* exit writes a shared mapping back too. */
static void
test_exitwrite(void)
{
  makefile("mt.f", PGSIZE);
  char *p = map("mt.f", O_RDWR, PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  expect(munmap(p, PGSIZE), 0, "munmap");
  int pid = fork();
  if (pid == 0) {
    store_and_exit(map("mt.f", O_RDWR, PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED));
  }
  expect(wait(0), pid, "wait");
  expect(file_byte("mt.f", 0), 'E', "file after the child's exit");
  unlink("mt.f");
}

/* munmap of the middle page leaves the pages around it; touching the hole
 * kills. */
static void
test_partial(void)
{
  makefile("mt.f", 3 * PGSIZE);
  char *p = map("mt.f", O_RDONLY, 3 * PGSIZE, PROT_READ, MAP_PRIVATE);
  struct vmregion r[32];
  int n0 = vmregions(0, r, 32);
  expect(munmap(p + PGSIZE, PGSIZE), 0, "munmap of the middle page");
  expect(vmregions(0, r, 32), n0 + 1, "regions after the split");
  expect(p[0], 'a', "page before the hole");
  expect(p[2 * PGSIZE], 'c', "page after the hole");
  expect(status_of(touch, p + PGSIZE), -1, "status after touching the hole");
  expect(munmap(p, 3 * PGSIZE), 0, "munmap over the hole");
  expect(status_of(touch, p), -1, "status after touching an unmapped page");
  unlink("mt.f");
}

/* fork: a shared mapping stays shared and writable, also when the parent
 * has stored to every page of it (32 pages: whole groups of the PTEs fork
 * takes at a time); a private one becomes copy-on-write in both. */
static void
test_fork(void)
{
  int n = 32;
  makefile("mt.f", n * PGSIZE);
  char *s = map("mt.f", O_RDWR, n * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  char *v = map("mt.f", O_RDWR, PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  for (int i = 0; i < n; i++)
    s[i * PGSIZE + 2] = 'P';
  v[0] = 'p'; /* a private copy before the fork */
  int pid = fork();
  if (pid == 0) {
    for (int i = 0; i < n; i++)
      s[i * PGSIZE + 1] = 'C';
    v[1] = 'c';
    exit(v[0] == 'p' ? 0 : 2);
  }
  for (int i = 0; i < n; i++) {
    struct vmquery q;
    expect(vmquery(0, (uint64)s + i * PGSIZE, &q), 0, "vmquery");
    expect(q.flags & (PTE_W | PTE_COW), PTE_W, "a shared page's W and COW bits after fork");
  }
  int st;
  expect(wait(&st), pid, "wait");
  expect(st, 0, "the child's view of the private page");
  for (int i = 0; i < n; i++)
    expect(s[i * PGSIZE + 1], 'C', "the child's shared store, seen by the parent");
  expect(v[1], 'a', "the child's private store, not seen by the parent");
  expect(munmap(s, n * PGSIZE), 0, "munmap");
  expect(munmap(v, PGSIZE), 0, "munmap");
  expect(file_byte("mt.f", 1), 'C', "file");
  expect(file_byte("mt.f", (n - 1) * PGSIZE + 1), 'C', "file, last page");
  unlink("mt.f");
}

static void
store_shared_over_private(char *unused)
{
  char *s = map("mt.f", O_RDWR, PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  char *v = map("mt.f", O_RDWR, PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  touch(v); /* the private mapping maps the cache's frame too */
  s[0] = 'D';
  exit(0);
}

/* A store through a shared mapping while a private mapping still maps the
 * same cache frame: exit writes the page back, and once nobody maps it the
 * page is idle (counts as free) again; run() checks that. It used to stay
 * marked dirty for good, a frame nobody could reclaim (sysfuzz, seed 1). */
static void
test_dirtyprivate(void)
{
  makefile("mt.f", PGSIZE);
  expect(status_of(store_shared_over_private, 0), 0, "status");
  expect(file_byte("mt.f", 0), 'D', "file after the exit");
  unlink("mt.f");
}

/* read() and write() of a file whose buffer is a mapping of that same file,
 * partly past its end: they return (bytes or -1) and the process lives; a
 * kernel copy under the inode's lock never waits for that lock again
 * (sysfuzz, seed 1, hung here). */
static void
test_samefile(void)
{
  makefile("mt.f", 10);
  int fd = open("mt.f", O_RDWR);
  char *p = mmap(0, 2 * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    failv("mmap", -1, 0);
  expect(write(fd, p + PGSIZE, 1), -1, "write from a page past the end");
  expect(write(fd, p, 5), 5, "write from the mapped page");
  expect(read(fd, p + PGSIZE, 1), -1, "read into a page past the end");
  expect(read(fd, p + 100, 5), 5, "read into the mapped page");
  expect(munmap(p, 2 * PGSIZE), 0, "munmap");
  close(fd);
  unlink("mt.f");
}

/* Past the end of the file: the rest of the last page reads zero; a page
 * wholly past the end kills whoever touches it. Stores past the end never
 * reach the file. */
static void
test_eof(void)
{
  makefile("mt.f", PGSIZE + PGSIZE / 2);
  char *p = map("mt.f", O_RDWR, 3 * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  expect(p[PGSIZE + PGSIZE / 2 - 1], 'b', "last byte of the file");
  expect(p[PGSIZE + PGSIZE / 2], 0, "first byte past the end");
  p[PGSIZE + PGSIZE / 2 + 1] = 'Z';
  expect(status_of(touch, p + 2 * PGSIZE), -1, "status after touching a page past the end");
  expect(munmap(p, 3 * PGSIZE), 0, "munmap");
  struct stat st;
  int fd = open("mt.f", O_RDONLY);
  fstat(fd, &st);
  close(fd);
  expect(st.size, PGSIZE + PGSIZE / 2, "file size after stores past the end");
  unlink("mt.f");
}

/* What a descriptor allows, and bad arguments: -1 and nothing changes. */
static void
test_badargs(void)
{
  makefile("mt.f", PGSIZE);
  int ro = open("mt.f", O_RDONLY), wo = open("mt.f", O_WRONLY), rw = open("mt.f", O_RDWR);
  int dir = open(".", O_RDONLY);
  struct vmregion r[32];
  int n0 = vmregions(0, r, 32);
  expect((long)mmap(0, PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), -1,
         "shared writable mapping of a read-only descriptor");
  expect((long)mmap(0, PGSIZE, PROT_READ, MAP_SHARED, wo, 0), -1,
         "mapping a write-only descriptor");
  expect((long)mmap(0, PGSIZE, PROT_READ, MAP_PRIVATE, rw, 100), -1, "unaligned offset");
  expect((long)mmap(0, 0, PROT_READ, MAP_PRIVATE, rw, 0), -1, "zero length");
  expect((long)mmap(0, PGSIZE, PROT_READ, MAP_PRIVATE, 99, 0), -1, "bad descriptor");
  expect((long)mmap(0, PGSIZE, PROT_READ, MAP_PRIVATE, dir, 0), -1, "a directory");
  expect((long)mmap(0, PGSIZE, PROT_READ, 0, rw, 0), -1, "neither shared nor private");
  expect((long)mmap(0, TRAPFRAME, PROT_READ, MAP_PRIVATE, rw, 0), -1, "longer than memory");
  expect((long)mmap((void *)0x1000, PGSIZE, PROT_READ, MAP_PRIVATE, rw, 0), -1,
         "an address over the program");
  expect((long)mmap((void *)0x12345, PGSIZE, PROT_READ, MAP_PRIVATE, rw, 0), -1,
         "an unaligned address");
  expect(vmregions(0, r, 32), n0, "regions after the refusals");
  char *want = (char *)0x1000000000UL;
  char *p = mmap(want, PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  expect((long)p, (long)want, "mapping at a free address of the caller's choice");
  expect(p[0], 'a', "its first byte");
  expect(munmap(p + 1, PGSIZE), -1, "munmap at an unaligned address");
  expect(munmap((char *)0x1000, PGSIZE), -1, "munmap of program text");
  expect(munmap(p, PGSIZE), 0, "munmap");
  close(ro);
  close(wo);
  close(rw);
  close(dir);
  unlink("mt.f");
}

/* write() through a descriptor is seen by a mapping of the same page, even
 * one already touched. */
static void
test_coherent(void)
{
  makefile("mt.f", PGSIZE);
  char *p = map("mt.f", O_RDWR, PGSIZE, PROT_READ, MAP_SHARED);
  expect(p[5], 'a', "before the write");
  int fd = open("mt.f", O_RDWR);
  expect(write(fd, "hello", 5), 5, "write");
  close(fd);
  expect(p[0], 'h', "mapped byte after write()");
  expect(p[5], 'a', "mapped byte past what write() wrote");
  expect(munmap(p, PGSIZE), 0, "munmap");
  unlink("mt.f");
}

/* Use up every free frame, then touch page 0 of the two-page mapping p,
 * whose page 1 (and so its page tables) is already in: the fault needs one
 * frame for the file page and finds none. */
static void
exhaust_then_touch(char *p)
{
  char *spare = sbrklazy(512 * PGSIZE); /* pages that each cost one frame */
  spare[0] = 1;
  touch(p + PGSIZE);
  while (sbrk(PGSIZE) != SBRK_ERROR)
    ;
  for (int i = 1; i < 512 && freeframes() > 0; i++)
    spare[i * PGSIZE] = 1;
  touch(p); /* no frame for the page: the kernel kills this process */
}

/* Out of memory in a file-page fault kills that process only, and leaks
 * nothing (run() counts free frames). */
static void
test_oom(void)
{
  makefile("mt.f", 2 * PGSIZE);
  char *p = map("mt.f", O_RDONLY, 2 * PGSIZE, PROT_READ, MAP_PRIVATE);
  expect(status_of(exhaust_then_touch, p), -1, "status of the process out of memory");
  expect(p[0], 'a', "the page, afterwards");
  expect(munmap(p, 2 * PGSIZE), 0, "munmap");
  unlink("mt.f");
}

/* exec pages a program in: bigprog touches one page of its 240 KiB and
 * checks that few of its text pages are mapped. */
static void
test_execlazy(void)
{
  int pid = fork();
  if (pid == 0) {
    char *argv[] = {"bigprog", "check", 0};
    exec("bigprog", argv);
    exit(77);
  }
  int st;
  expect(wait(&st), pid, "wait");
  expect(st, 0, "bigprog check (1: too many text pages mapped)");
}

/* Start bigprog hold with its stdin the read end of a pipe; returns its pid,
 * the pipe's write end in *wfd. */
static int
start_holder(int *wfd)
{
  int fds[2];
  expect(pipe(fds), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    close(0);
    dup(fds[0]);
    close(fds[0]);
    close(fds[1]);
    close(1); /* quiet */
    open("console", O_RDWR);
    char *argv[] = {"bigprog", "hold", 0};
    exec("bigprog", argv);
    exit(77);
  }
  close(fds[0]);
  *wfd = fds[1];
  return pid;
}

/* What backs pid's first text page, once pid runs bigprog (whose text is
 * more than 60 pages) and has touched it. */
static struct vmquery
text_page(int pid)
{
  struct vmquery q;
  struct vmregion r[32];
  for (int tries = 0; tries < 200; tries++) {
    int n = vmregions(pid, r, 32);
    if (n > 0 && r[0].kind == REGION_TEXT && r[0].end - r[0].start > 60 * PGSIZE &&
        vmquery(pid, 0, &q) == 0 && (q.flags & PTE_X))
      return q;
    pause(1);
  }
  failv("the program's text never appeared", pid, 0);
  return q;
}

/* Two processes running one program share its text frames; while they do,
 * the program file cannot be opened for writing. */
static void
test_sharetext(void)
{
  int w1, w2;
  int p1 = start_holder(&w1), p2 = start_holder(&w2);
  text_page(p1);
  struct vmquery b = text_page(p2), a = text_page(p1); /* a: now that both map it */
  expect(a.pa, b.pa, "text frames of two runs of one program");
  if (a.refcount < 3)
    failv("its count (two PTEs and the page cache)", a.refcount, 3);
  expect(open("bigprog", O_WRONLY), -1, "opening a running program for writing");
  close(w1);
  close(w2);
  expect(wait(0) > 0, 1, "wait");
  expect(wait(0) > 0, 1, "wait");
  int fd = open("bigprog", O_RDWR);
  if (fd < 0)
    failv("opening the program for writing once it stopped", fd, 0);
  close(fd);
}

static void
exec_bigprog(char *unused)
{
  char *argv[] = {"bigprog", "check", 0};
  exec("bigprog", argv);
  exit(77); /* exec refused */
}

/* A file open for writing, or mapped shared and writable, cannot be exec'd
 * (it could change under the program); once that ends, it can. Nothing here
 * ever writes to bigprog. */
static void
test_execbusy(void)
{
  int fd = open("bigprog", O_RDWR);
  if (fd < 0)
    failv("open bigprog for writing", fd, 0);
  expect(status_of(exec_bigprog, 0), 77, "exec of a file open for writing");
  char *p = mmap(0, PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    failv("mmap of bigprog", -1, 0);
  close(fd);
  expect(status_of(exec_bigprog, 0), 77, "exec of a file mapped shared and writable");
  expect(munmap(p, PGSIZE), 0, "munmap");
  expect(status_of(exec_bigprog, 0), 0, "exec once nothing may write the file");
}

static const struct utest tests[] = {
    {test_private, "private"},
    {test_shared, "shared"},
    {test_exitwrite, "exitwrite"},
    {test_partial, "partial"},
    {test_fork, "fork"},
    {test_eof, "eof"},
    {test_badargs, "badargs"},
    {test_coherent, "coherent"},
    {test_oom, "oom"},
    {test_execlazy, "execlazy"},
    {test_sharetext, "sharetext"},
    {test_execbusy, "execbusy"},
    {test_dirtyprivate, "dirtyprivate"},
    {test_samefile, "samefile"},
};

int
main(int argc, char **argv)
{
  utest_main("maptest", "MAP", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
