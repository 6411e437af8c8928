/* pcachetest.c: the page cache under a hostile user: a file's pages in
 * memory always agree with the file (issue 23).
 *
 *   pcachetest [-q]     run every test (-q: not many, which needs a big disk)
 *   pcachetest NAME     run one
 *
 * Each test runs in a child of its own (utest.c); once its processes are
 * gone, free frames (idle cached pages count as free) must be as before and
 * memcheck must agree. Every test removes the files it made. Prints "ALL
 * PCACHE TESTS PASSED" (status 0) or "SOME PCACHE TESTS FAILED". */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/utest.h"

#define MAP_FAILED ((char *)-1)

static char buf[PGSIZE];

/* Make file name hold bytes bytes of c. */
static void
makefile(const char *name, int bytes, char c)
{
  unlink(name);
  int fd = open(name, O_CREATE | O_WRONLY);
  if (fd < 0)
    failv("create", fd, 0);
  memset(buf, c, sizeof(buf));
  for (int off = 0; off < bytes; off += PGSIZE) {
    int n = bytes - off < PGSIZE ? bytes - off : PGSIZE;
    expect(write(fd, buf, n), n, "write the file");
  }
  close(fd);
}

/* The inode number of name. */
static int
inum(const char *name)
{
  struct stat st;
  if (stat(name, &st) < 0)
    failv("stat", -1, 0);
  return st.ino;
}

/* mmap len bytes of name from offset off, read-only and private; 0 if
 * mmap refuses. */
static char *
map_at(const char *name, long len, long off)
{
  int fd = open(name, O_RDONLY);
  if (fd < 0)
    failv("open", fd, 0);
  char *p = mmap(0, len, PROT_READ, MAP_PRIVATE, fd, off);
  close(fd);
  return p == MAP_FAILED ? 0 : p;
}

/* Read every page of [p, p+len): they come into the cache. */
static void
touch_all(char *p, int len)
{
  for (int off = 0; off < len; off += PGSIZE)
    (void)*(volatile char *)(p + off);
}

/* Exit status of a child that reads the byte at p (-1: it was killed). */
static int
status_of_read(char *p)
{
  int pid = fork();
  if (pid < 0)
    failv("fork", pid, 0);
  if (pid == 0) {
    (void)*(volatile char *)p;
    exit(0);
  }
  int st;
  expect(wait(&st), pid, "wait");
  return st;
}

/* A file of bytes bytes of c, mapped for 3 pages: byte 0 is c, the rest
 * of the last page of the file reads zero, and a page wholly past the end
 * kills whoever reads it, whatever a file that had the same inode number,
 * or the same file before a truncation, left in the cache. */
static void
expect_fresh(const char *name, int bytes, char c, const char *what)
{
  char *p = map_at(name, 3 * PGSIZE, 0);
  if (p == 0)
    failv("mmap", -1, 0);
  expect(p[0], c, what);
  for (int i = bytes; i < PGSIZE; i++)
    if (p[i] != 0)
      failv(what, p[i], 0);
  expect(status_of_read(p + PGSIZE), -1, "status after reading a page past the end");
  expect(status_of_read(p + 2 * PGSIZE), -1, "status after reading a page past the end");
  expect(munmap(p, 3 * PGSIZE), 0, "munmap");
}

/* A deleted file's pages are not a new file's, though the new file has
 * the old one's inode number. */
static void
test_reuse(void)
{
  makefile("pc.a", 3 * PGSIZE, 'A');
  int old = inum("pc.a");
  char *p = map_at("pc.a", 3 * PGSIZE, 0);
  if (p == 0)
    failv("mmap", -1, 0);
  touch_all(p, 3 * PGSIZE);
  expect(munmap(p, 3 * PGSIZE), 0, "munmap");
  expect(unlink("pc.a"), 0, "unlink");
  makefile("pc.b", 10, 'B');
  expect(inum("pc.b"), old, "the new file's inode number (the test needs the old one's)");
  expect_fresh("pc.b", 10, 'B', "the new file's page past what was written");
  unlink("pc.b");
}

/* After O_TRUNC, the file's old pages are gone from the cache. */
static void
test_trunc(void)
{
  makefile("pc.t", 3 * PGSIZE, 'C');
  char *p = map_at("pc.t", 3 * PGSIZE, 0);
  if (p == 0)
    failv("mmap", -1, 0);
  touch_all(p, 3 * PGSIZE);
  expect(munmap(p, 3 * PGSIZE), 0, "munmap");
  int fd = open("pc.t", O_WRONLY | O_TRUNC);
  if (fd < 0)
    failv("open with O_TRUNC", fd, 0);
  memset(buf, 'D', 10);
  expect(write(fd, buf, 10), 10, "write after truncating");
  close(fd);
  expect_fresh("pc.t", 10, 'D', "the truncated file's page past what was written");
  unlink("pc.t");
}

/* Copy file from to file to. */
static void
copyfile(const char *from, const char *to)
{
  int in = open(from, O_RDONLY), out = open(to, O_CREATE | O_WRONLY | O_TRUNC), n;
  if (in < 0 || out < 0)
    failv("open to copy", in < 0 ? in : out, 0);
  while ((n = read(in, buf, sizeof(buf))) > 0)
    expect(write(out, buf, n), n, "copy");
  close(in);
  close(out);
}

/* Send line down pipe to and expect it back from pipe from (a cat runs in
 * between). */
static void
echo_through(int to, int from, const char *line)
{
  int n = strlen(line);
  expect(write(to, line, n), n, "write to the program");
  for (int got = 0; got < n;) {
    int r = read(from, buf + got, n - got);
    if (r <= 0)
      failv("read back from the program", r, n);
    got += r;
  }
  if (memcmp(buf, line, n) != 0)
    fail("the program sent back something else");
}

/* A running program's file cannot be truncated, in any open mode (text
 * busy), and the program runs on unharmed. */
static void
test_trunctext(void)
{
  copyfile("cat", "pc.cat");
  int in[2], out[2];
  if (pipe(in) < 0 || pipe(out) < 0)
    failv("pipe", -1, 0);
  int pid = fork();
  if (pid < 0)
    failv("fork", pid, 0);
  if (pid == 0) {
    close(0);
    dup(in[0]);
    close(1);
    dup(out[1]);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    char *argv[] = {"pc.cat", 0};
    exec("pc.cat", argv);
    exit(77);
  }
  close(in[0]);
  close(out[1]);
  echo_through(in[1], out[0], "running\n"); /* it runs from pc.cat now */
  expect(open("pc.cat", O_RDONLY | O_TRUNC), -1, "open(O_RDONLY|O_TRUNC) of a running program");
  expect(open("pc.cat", O_WRONLY | O_TRUNC), -1, "open(O_WRONLY|O_TRUNC) of a running program");
  expect(open("pc.cat", O_RDWR), -1, "open(O_RDWR) of a running program");
  echo_through(in[1], out[0], "still running\n");
  close(in[1]);
  int st;
  expect(wait(&st), pid, "wait");
  expect(st, 0, "the program's exit status");
  close(out[0]);
  int fd = open("pc.cat", O_RDONLY | O_TRUNC);
  if (fd < 0)
    failv("open(O_RDONLY|O_TRUNC) once the program is gone", fd, 0);
  close(fd);
  unlink("pc.cat");
}

/* An offset whose page index does not fit 32 bits is not page 0 of the
 * file: mmap refuses it, or the page lies past the end and kills. */
static void
test_bigoff(void)
{
  makefile("pc.o", PGSIZE, 'O');
  long offs[] = {1L << 44, (1L << 44) + PGSIZE, 1L << 50};
  for (int i = 0; i < (int)(sizeof(offs) / sizeof(offs[0])); i++) {
    char *p = map_at("pc.o", PGSIZE, offs[i]);
    if (p == 0)
      continue;
    expect(status_of_read(p), -1, "status after reading a page far past the end");
    expect(munmap(p, PGSIZE), 0, "munmap");
  }
  unlink("pc.o");
}

/* One round of write() racing a fault that brings the same page into the
 * cache; the fault's miss, slowed by cowctl COWCTL_SLOWMISS, waits two
 * ticks between reading the page and entering it, and the write comes in
 * the middle. After both, a mapping shows what the file holds. */
static void
race_round(int round)
{
  makefile("pc.r", PGSIZE, 'a');
  int pid = fork();
  if (pid < 0)
    failv("fork", pid, 0);
  if (pid == 0) {
    char *p = map_at("pc.r", PGSIZE, 0);
    if (p == 0)
      failv("mmap", -1, 0);
    touch_all(p, PGSIZE);
    exit(0);
  }
  pause(1); /* the child is in its miss now */
  int fd = open("pc.r", O_WRONLY);
  memset(buf, 'b', PGSIZE);
  expect(write(fd, buf, PGSIZE), PGSIZE, "write");
  close(fd);
  expect(wait(0), pid, "wait");
  char *p = map_at("pc.r", PGSIZE, 0);
  if (p == 0)
    failv("mmap", -1, 0);
  if (p[0] != 'b' || p[PGSIZE - 1] != 'b')
    fail("round %d: the mapping shows '%c', the file holds 'b'", round, p[0]);
  expect(munmap(p, PGSIZE), 0, "munmap");
}

#define RACE_ROUNDS 20

/* write() racing a cache miss of the same page loses nothing: the miss
 * reads and enters its page with the inode locked, and the write updates
 * the page it then finds. Slowed down, so that the write lands in the
 * miss each time. */
static void
test_race(void)
{
  int old = cowctl(COWCTL_SLOWMISS, 1);
  if (old < 0)
    failv("cowctl(COWCTL_SLOWMISS)", old, 0);
  for (int round = 0; round < RACE_ROUNDS; round++)
    race_round(round);
  cowctl(COWCTL_SLOWMISS, old);
  unlink("pc.r");
}

#define MANY_FILES 18 /* of 64 pages: 1152 pages, more than a fixed table of 1024 */
#define MANY_PAGES 64
#define MANY_HALF  10 /* files the child maps; the parent maps the rest */

/* Map files lo..hi-1 shared and read every page; returns the first
 * mapping. */
static char *
map_many(int lo, int hi, char **maps)
{
  char name[8] = "pc.m00";
  for (int i = lo; i < hi; i++) {
    name[4] = '0' + i / 10;
    name[5] = '0' + i % 10;
    int fd = open(name, O_RDWR);
    maps[i] = mmap(0, MANY_PAGES * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (maps[i] == MAP_FAILED)
      failv("mmap", -1, i);
    touch_all(maps[i], MANY_PAGES * PGSIZE);
  }
  return maps[lo];
}

/* More pages of files in use at once than a page cache of 1024 entries
 * held, the last ones mapped shared: every shared mapping of a page still
 * gets the one cached frame, so a store through one mapping shows in
 * another. Needs a disk of some 5000 blocks (make FSSIZE=20000): a slow
 * test, left out by -q; make test runs it on a big image. */
static void
test_many(void)
{
  static char *maps[MANY_FILES];
  char name[8] = "pc.m00";
  for (int i = 0; i < MANY_FILES; i++) {
    name[4] = '0' + i / 10;
    name[5] = '0' + i % 10;
    makefile(name, MANY_PAGES * PGSIZE, 'a' + i);
  }
  int ready[2], done[2];
  if (pipe(ready) < 0 || pipe(done) < 0)
    failv("pipe", -1, 0);
  int pid = fork();
  if (pid == 0) { /* holds its files' pages in use */
    map_many(0, MANY_HALF, maps);
    write(ready[1], "r", 1);
    read(done[0], buf, 1);
    exit(0);
  }
  expect(read(ready[0], buf, 1), 1, "the child's half in use");
  map_many(MANY_HALF, MANY_FILES, maps);
  int fd = open("pc.m17", O_RDWR);
  char *twin = mmap(0, MANY_PAGES * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (twin == MAP_FAILED)
    failv("mmap again", -1, 0);
  char *last = maps[MANY_FILES - 1];
  for (int pg = 0; pg < MANY_PAGES; pg++) {
    struct vmquery q1, q2;
    twin[pg * PGSIZE] = 'Z';
    vmquery(0, (uint64)(last + pg * PGSIZE), &q1);
    vmquery(0, (uint64)(twin + pg * PGSIZE), &q2);
    if (q1.pa != q2.pa)
      fail("page %d: two shared mappings of one page on frames 0x%lx and 0x%lx", pg, q1.pa, q2.pa);
    expect(last[pg * PGSIZE], 'Z', "a store through one shared mapping, read through the other");
  }
  write(done[1], "d", 1);
  expect(wait(0), pid, "wait");
  munmap(twin, MANY_PAGES * PGSIZE);
  for (int i = MANY_HALF; i < MANY_FILES; i++)
    munmap(maps[i], MANY_PAGES * PGSIZE);
  for (int i = 0; i < MANY_FILES; i++) {
    name[4] = '0' + i / 10;
    name[5] = '0' + i % 10;
    unlink(name);
  }
}

static const struct utest tests[] = {
    {test_reuse, "reuse"},   {test_trunc, "trunc"}, {test_trunctext, "trunctext"},
    {test_bigoff, "bigoff"}, {test_race, "race"},   {test_many, "many", UTEST_SLOW},
};

int
main(int argc, char **argv)
{
  utest_main("pcachetest", "PCACHE", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
