/* grind.c: random system calls from several processes at once, to shake out
 * races, wrong results and leaked frames.
 *
 *   grind [-t SECONDS] [-s SEED] [-p WORKERS] [-o OP]
 *
 * Each worker owns a directory gwN and, until the deadline, runs operations
 * picked at random from ops[] (fork/wait, pipes, files, links, directories,
 * sbrk and sbrklazy, copy-on-write sharing, exec, kill, dup, fstat), checking
 * every result; -o OP runs only the operation named OP. A worker that sees a
 * wrong result prints why and exits 1; it reaps each child it makes before
 * its next operation, so it never leaves an orphan behind. At the end every
 * worker empties and removes its directory, and the parent checks that the
 * free frame count is exactly what it was before the workers started;
 * unless page replacement ran meanwhile (it moves other processes' pages,
 * a hog's under pressure), when memcheck's counts judge instead. Prints
 * `grind: ok (N operations)` and exits 0, or `grind: FAILED ...` and exits 1.
 * The seed (default: the uptime) is printed; -s SEED repeats a run's choices,
 * though not its interleaving.
 *
 * The user stack is one page, so big buffers live in bss. Only workers touch
 * them: the parent writes no global after it has counted free frames, since
 * a first store to a lazy bss page takes a frame and would look like a leak.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/riscv.h"
#include "user/user.h"

#define MAXWORKERS 8
#define NFILES     4    /* files f0..f3 (and links l0..l3) per worker */
#define BUFSZ      6000 /* largest file or pipe transfer, plus one */
#define MAXSBRK    64   /* pages of one eager sbrk */
#define MAXLAZY    256  /* pages of one sbrklazy */
#define MAXCOW     32   /* pages shared with a child by op_cow */
#define MSG        64   /* bytes of one message down a pipe */
#define MAXOPS     16   /* room in a report; at least NOPS */
#define KILLWAIT   1000 /* ticks op_kill's child waits for its kill */

/* One worker's state. Each worker is its own process, so this needs no lock;
 * the parent never touches it. */
static struct {
  int id;
  uint64 rng;      /* xorshift state, never 0 */
  const char *op;  /* name of the running operation, for messages */
  int len[NFILES]; /* bytes in file fK, -1 if it does not exist */
  int key[NFILES]; /* pattern key of file fK's contents */
} w;

static char wbuf[BUFSZ], rbuf[BUFSZ];

/* What a worker sends the parent when it finishes cleanly. */
struct report {
  int counts[MAXOPS]; /* operations run, indexed like ops[] */
};

/* Report a wrong result of the running operation and exit 1. Children of a
 * worker call it too; the worker then sees their exit status 1. */
static void
fail(const char *what, long got, long want)
{
  printf("grind: worker %d, op %s: %s (got %ld, want %ld)\n", w.id, w.op, what, got, want);
  exit(1);
}

/* The next pseudo-random number of this worker. */
static uint64
rnd(void)
{
  w.rng ^= w.rng << 13;
  w.rng ^= w.rng >> 7;
  w.rng ^= w.rng << 17;
  return w.rng;
}

/* A pseudo-random number in [0, n); n > 0. */
static int
pick(int n)
{
  return rnd() % n;
}

/* Report that byte i of n bytes the running operation checked is wrong
 * (what says which bytes), and exit 1. */
static void
fail_at(const char *what, int i, int n)
{
  printf("grind: worker %d, op %s: %s: byte %d of %d is wrong\n", w.id, w.op, what, i, n);
  exit(1);
}

/* Byte i of the pattern with key key: differs between keys and offsets. */
static char
pat(int key, int i)
{
  return (key * 131 + i * 7 + (i >> 8) * 13) & 0xff;
}

/* Fill buf[0..n) with pattern key, starting at pattern offset off. */
static void
fill(char *buf, int n, int key, int off)
{
  for (int i = 0; i < n; i++)
    buf[i] = pat(key, off + i);
}

/* Fail with what unless buf[0..n) holds pattern key from offset off. */
static void
check(const char *what, const char *buf, int n, int key, int off)
{
  for (int i = 0; i < n; i++)
    if (buf[i] != pat(key, off + i))
      fail_at(what, i, n);
}

/* Fail with what unless buf[0..n) is all zero. */
static void
check_zero(const char *what, const char *buf, int n)
{
  for (int i = 0; i < n; i++)
    if (buf[i] != 0)
      fail_at(what, i, n);
}

/* Wait for the worker's only child pid; fail unless it exited with status. */
static void
reap(int pid, int status)
{
  int st = -12345;
  int got = wait(&st);

  if (got != pid)
    fail("wait returned the wrong pid", got, pid);
  if (st != status)
    fail("child's exit status", st, status);
}

/* Write buf[0..n) to fd in random-sized pieces; fail on a short write. */
static void
write_all(int fd, const char *buf, int n)
{
  while (n > 0) {
    int k = 1 + pick(n < 1500 ? n : 1500);
    int r = write(fd, buf, k);
    if (r != k)
      fail("write", r, k);
    buf += k;
    n -= k;
  }
}

/* Read fd to end of file into buf (room for max bytes), in random-sized
 * pieces. Returns the bytes read; fails on a read error. */
static int
read_all(int fd, char *buf, int max)
{
  int n = 0;

  while (n < max) {
    int k = 1 + pick(max - n < 1500 ? max - n : 1500);
    int r = read(fd, buf + n, k);
    if (r < 0)
      fail("read", r, k);
    if (r == 0)
      break;
    n += r;
  }
  return n;
}

/* Read exactly n bytes from fd into buf, in as many reads as it takes;
 * fails with what on an error or early end of file. */
static void
read_exact(const char *what, int fd, char *buf, int n)
{
  while (n > 0) {
    int r = read(fd, buf, n);
    if (r <= 0)
      fail(what, r, n);
    buf += r;
    n -= r;
  }
}

/* Make a pipe in fds; fail if none can be had. */
static void
must_pipe(int *fds)
{
  if (pipe(fds) < 0)
    fail("pipe", -1, 0);
}

/* "fK" or "lK" for file number k. */
static char *
fname(char *buf, char c, int k)
{
  buf[0] = c;
  buf[1] = '0' + k;
  buf[2] = 0;
  return buf;
}

/* Fail unless the file at path holds len bytes of pattern key. */
static void
check_file(const char *path, int len, int key)
{
  struct stat st;
  int fd = open(path, O_RDONLY);

  if (fd < 0)
    fail("open for reading", fd, 0);
  if (fstat(fd, &st) < 0 || st.type != T_FILE || st.size != len)
    fail("fstat size", st.size, len);
  int n = read_all(fd, rbuf, BUFSZ);
  close(fd);
  if (n != len)
    fail("bytes read back from file", n, len);
  check("file contents", rbuf, len, key, 0);
}

/* --- the operations ----------------------------------------------------------- */

/* fork a child that exits at once with a random status; wait sees it. */
static void
op_fork(void)
{
  int code = pick(100);
  int pid = fork();

  if (pid < 0)
    return;
  if (pid == 0)
    exit(code);
  reap(pid, code);
}

/* A child writes a random message down a pipe; the worker reads it all. */
static void
op_pipe(void)
{
  int fds[2], len = 1 + pick(BUFSZ - 1), key = pick(1 << 16);

  must_pipe(fds);
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    fill(wbuf, len, key, 0);
    write_all(fds[1], wbuf, len);
    exit(0);
  }
  close(fds[1]);
  int n = read_all(fds[0], rbuf, BUFSZ);
  close(fds[0]);
  if (n != len)
    fail("bytes through pipe", n, len);
  check("pipe data", rbuf, len, key, 0);
  reap(pid, 0);
}

/* (Re)write file fK with a random pattern and read it back. */
static void
op_write(void)
{
  char name[3];
  int k = pick(NFILES), len = pick(BUFSZ), key = pick(1 << 16);
  int fd = open(fname(name, 'f', k), O_CREATE | O_TRUNC | O_WRONLY);

  if (fd < 0)
    fail("create", fd, 0);
  fill(wbuf, len, key, 0);
  write_all(fd, wbuf, len);
  close(fd);
  w.len[k] = len;
  w.key[k] = key;
  check_file(name, len, key);
}

/* Check that fK holds what was last written, or is absent. */
static void
op_read(void)
{
  char name[3];
  int k = pick(NFILES);

  if (w.len[k] < 0) {
    int fd = open(fname(name, 'f', k), O_RDONLY);
    if (fd >= 0)
      fail("open of a removed file", fd, -1);
    return;
  }
  check_file(fname(name, 'f', k), w.len[k], w.key[k]);
}

/* Remove fK; unlink must succeed exactly when it exists. */
static void
op_unlink(void)
{
  char name[3];
  int k = pick(NFILES);
  int r = unlink(fname(name, 'f', k));

  if (r != (w.len[k] < 0 ? -1 : 0))
    fail("unlink", r, w.len[k] < 0 ? -1 : 0);
  w.len[k] = -1;
  if (open(name, O_RDONLY) >= 0)
    fail("open after unlink", 0, -1);
}

/* Link lK to fK, read through the link, watch nlink, remove the link. */
static void
op_link(void)
{
  char f[3], l[3];
  struct stat st;
  int k = pick(NFILES);

  fname(f, 'f', k);
  fname(l, 'l', k);
  if (w.len[k] < 0) {
    if (link(f, l) != -1)
      fail("link to a missing file", 0, -1);
    return;
  }
  if (link(f, l) != 0)
    fail("link", -1, 0);
  if (link(f, l) != -1)
    fail("link over an existing name", 0, -1);
  check_file(l, w.len[k], w.key[k]);
  int fd = open(f, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) < 0 || st.nlink != 2)
    fail("nlink with link", st.nlink, 2);
  if (unlink(l) != 0)
    fail("unlink of link", -1, 0);
  if (fstat(fd, &st) < 0 || st.nlink != 1)
    fail("nlink after unlink", st.nlink, 1);
  close(fd);
}

/* Make subdirectory d, write a file from inside it, come back, clean up. */
static void
op_dir(void)
{
  struct stat st;
  int len = pick(600), key = pick(1 << 16);

  if (mkdir("d") != 0)
    fail("mkdir", -1, 0);
  if (mkdir("d") != -1)
    fail("mkdir of an existing name", 0, -1);
  if (chdir("d") != 0)
    fail("chdir into d", -1, 0);
  int fd = open("x", O_CREATE | O_WRONLY);
  if (fd < 0)
    fail("create d/x", fd, 0);
  fill(wbuf, len, key, 0);
  write_all(fd, wbuf, len);
  close(fd);
  if (chdir("..") != 0)
    fail("chdir ..", -1, 0);
  fd = open(".", O_RDONLY);
  if (fd < 0 || fstat(fd, &st) < 0 || st.type != T_DIR)
    fail("fstat of .", st.type, T_DIR);
  close(fd);
  check_file("d/x", len, key);
  if (unlink("d") != -1)
    fail("unlink of a non-empty directory", 0, -1);
  if (unlink("d/x") != 0 || unlink("d") != 0)
    fail("unlink d/x and d", -1, 0);
}

/* Two descriptors for one file share its offset; close them both. */
static void
op_dup(void)
{
  struct stat st;
  int a = pick(BUFSZ / 2), b = pick(BUFSZ / 2), key = pick(1 << 16);
  int fd = open("dupf", O_CREATE | O_TRUNC | O_RDWR);

  if (fd < 0)
    fail("create dupf", fd, 0);
  int fd2 = dup(fd);
  if (fd2 < 0)
    fail("dup", fd2, 0);
  fill(wbuf, a + b, key, 0);
  write_all(fd, wbuf, a);
  write_all(fd2, wbuf + a, b);
  close(fd);
  if (fstat(fd2, &st) < 0 || st.size != a + b)
    fail("size written through two fds", st.size, a + b);
  if (close(fd2) != 0 || close(fd2) != -1)
    fail("close twice", 0, -1);
  if (fstat(fd2, &st) != -1 || dup(fd2) != -1)
    fail("fstat or dup of a closed fd", 0, -1);
  check_file("dupf", a + b, key);
  if (unlink("dupf") != 0)
    fail("unlink dupf", -1, 0);
}

/* Grow the heap eagerly, use it, shrink it; the kernel then refuses to
 * read from the pages that are gone. */
static void
op_sbrk(void)
{
  int n = 1 + pick(MAXSBRK), key = pick(1 << 16);
  char *p = sbrk(n * PGSIZE);

  if (p == SBRK_ERROR)
    return;
  for (int i = 0; i < n; i++)
    fill(p + i * PGSIZE, PGSIZE, key, i * PGSIZE);
  check("heap contents", p, n * PGSIZE, key, 0);
  char *top = sbrk(-n * PGSIZE);
  if (top != p + n * PGSIZE)
    fail("sbrk shrink returned", (long)top, (long)(p + n * PGSIZE));
  if (sbrk(0) != p)
    fail("break after shrink", (long)sbrk(0), (long)p);
  int fds[2];
  must_pipe(fds);
  int r = write(fds[1], (char *)PGROUNDUP((uint64)p), 8);
  close(fds[0]);
  close(fds[1]);
  if (r != -1)
    fail("write from a freed heap page", r, -1);
}

/* Grow the heap lazily: untouched pages read as zero, touched ones keep
 * what user stores and kernel writes (read into it) put there. */
static void
op_lazy(void)
{
  int n = 1 + pick(MAXLAZY), key = pick(1 << 16);
  char *p = sbrklazy(n * PGSIZE);

  if (p == SBRK_ERROR)
    return;
  for (int i = 0; i < n; i += 3)
    fill(p + i * PGSIZE + 100, 100, key, i);
  int j = pick(n), fds[2];
  must_pipe(fds);
  fill(wbuf, MSG, key + 1, 0);
  write_all(fds[1], wbuf, MSG);
  read_exact("read into a lazy page", fds[0], p + j * PGSIZE + 1000, MSG);
  close(fds[0]);
  close(fds[1]);
  for (int i = 0; i < n; i++) {
    char *pg = p + i * PGSIZE;
    if (i % 3 == 0)
      check("lazy page contents", pg + 100, 100, key, i);
    else
      check_zero("untouched lazy page", pg + 100, 100);
    check_zero("lazy page outside the writes", pg, 100);
  }
  check("kernel write into lazy page", p + j * PGSIZE + 1000, MSG, key + 1, 0);
  if (sbrk(-n * PGSIZE) != p + n * PGSIZE || sbrk(0) != p)
    fail("sbrk shrink after sbrklazy", (long)sbrk(0), (long)p);
}

/* Expected contents of shared page i of op_cow, as seen by the worker
 * (parent_wrote) or the child before it writes. */
static void
cow_expect(char *pg, int i, int key, int key2, int parent_wrote)
{
  if (parent_wrote && i % 4 < 2)
    check("page the worker rewrote", pg, PGSIZE, key2, i * PGSIZE);
  else if (i % 2 == 0)
    check("page shared at fork", pg, PGSIZE, key, i * PGSIZE);
  else
    check_zero("zero page shared at fork", pg, PGSIZE);
}

/* Child side of op_cow: after the go message, see the pages as they were at
 * fork; the kernel then writes into one (read), and the child rewrites all. */
static void
cow_child(char *p, int n, int key, int key2, int fd)
{
  char go[MSG];
  int j = pick(n);

  read_exact("go message", fd, go, MSG);
  for (int i = 0; i < n; i++)
    cow_expect(p + i * PGSIZE, i, key, key2, 0);
  read_exact("read into a shared page", fd, p + j * PGSIZE, MSG);
  check("kernel write into shared page", p + j * PGSIZE, MSG, key + 2, 0);
  for (int i = 0; i < n; i++)
    fill(p + i * PGSIZE, PGSIZE, key + 3, i);
  for (int i = 0; i < n; i++)
    check("child's own copy", p + i * PGSIZE, PGSIZE, key + 3, i);
  exit(0);
}

/* Share heap pages (written ones and never-touched zero pages) with a child;
 * stores on either side and kernel writes stay private to their side. */
static void
op_cow(void)
{
  int n = 1 + pick(MAXCOW), key = pick(1 << 16), key2 = key + 5, fds[2];
  char *p = pick(2) ? sbrk(n * PGSIZE) : sbrklazy(n * PGSIZE);

  if (p == SBRK_ERROR)
    return;
  for (int i = 0; i < n; i += 2)
    fill(p + i * PGSIZE, PGSIZE, key, i * PGSIZE);
  must_pipe(fds);
  int pid = fork();
  if (pid == 0) {
    close(fds[1]);
    cow_child(p, n, key, key2, fds[0]);
  }
  close(fds[0]);
  if (pid > 0) {
    for (int i = 0; i < n; i++)
      if (i % 4 < 2)
        fill(p + i * PGSIZE, PGSIZE, key2, i * PGSIZE);
    fill(wbuf, MSG, 0, 0);
    fill(wbuf + MSG, MSG, key + 2, 0);
    write_all(fds[1], wbuf, 2 * MSG);
  }
  close(fds[1]);
  if (pid > 0)
    reap(pid, 0);
  for (int i = 0; i < n; i++)
    cow_expect(p + i * PGSIZE, i, key, key2, pid > 0);
  if (sbrk(-n * PGSIZE) != p + n * PGSIZE)
    fail("sbrk shrink after op_cow", (long)sbrk(0), (long)p);
}

/* A child execs /echo with its output on a pipe; the words come back. */
static void
op_exec(void)
{
  char word[12], want[24];
  int fds[2], v = pick(1000000);

  word[0] = 'w';
  for (int i = 6; i >= 1; i--, v /= 10)
    word[i] = '0' + v % 10;
  word[7] = 0;
  strcpy(want, "grind ");
  strcpy(want + 6, word);
  strcpy(want + 13, "\n");
  must_pipe(fds);
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    char *argv[] = {"echo", "grind", word, 0};
    close(1);
    dup(fds[1]);
    close(fds[0]);
    close(fds[1]);
    exec("/echo", argv);
    fail("exec /echo", -1, 0);
  }
  close(fds[1]);
  int n = read_all(fds[0], rbuf, BUFSZ);
  close(fds[0]);
  if (n != strlen(want) || memcmp(rbuf, want, n) != 0)
    fail("echo's output length", n, strlen(want));
  reap(pid, 0);
}

/* Child side of op_kill: sleep (how 1) or block on read end fd (how 2), then
 * spin in user mode; a kill ends it with -1 at any of these. A kill that never
 * lands ends it after KILLWAIT ticks with status 2, for the worker to report. */
static void
kill_child(int how, int fd)
{
  volatile int spin = 0;
  int until = uptime() + KILLWAIT;

  if (how == 1)
    pause(KILLWAIT);
  else if (how == 2)
    read(fd, rbuf, 1);
  while (uptime() < until)
    for (int i = 0; i < 100000; i++)
      spin++;
  exit(2);
}

/* Kill a child that spins, sleeps, or blocks on a pipe; it dies with -1. */
static void
op_kill(void)
{
  int fds[2], how = pick(3);

  must_pipe(fds);
  int pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    close(fds[1]);
    kill_child(how, fds[0]);
  }
  close(fds[0]);
  if (pick(2))
    pause(pick(3));
  int r = kill(pid);
  close(fds[1]);
  if (r != 0)
    fail("kill of own child", r, 0);
  reap(pid, -1);
}

/* fstat tells a directory, a file and the console apart; bad fds fail. */
static void
op_fstat(void)
{
  struct stat st;
  int fd = open(".", O_RDONLY);

  if (fd < 0 || fstat(fd, &st) != 0 || st.type != T_DIR)
    fail("fstat of .", st.type, T_DIR);
  close(fd);
  if (fstat(1, &st) != 0 || st.type != T_DEVICE)
    fail("fstat of stdout", st.type, T_DEVICE);
  if (fstat(-1, &st) != -1 || fstat(NOFILE, &st) != -1)
    fail("fstat of a bad fd", 0, -1);
}

static const struct {
  void (*fn)(void);
  char *name;
} ops[] = {
    {op_fork, "fork"},     {op_pipe, "pipe"},     {op_write, "write"}, {op_read, "read"},
    {op_unlink, "unlink"}, {op_link, "link"},     {op_dir, "dir"},     {op_dup, "dup"},
    {op_sbrk, "sbrk"},     {op_lazy, "sbrklazy"}, {op_cow, "cow"},     {op_exec, "exec"},
    {op_kill, "kill"},     {op_fstat, "fstat"},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))
_Static_assert(NOPS <= MAXOPS, "struct report has no room for every operation");

/* --- workers ------------------------------------------------------------------ */

/* Write worker id's directory name into buf. */
static char *
dirname(char *buf, int id)
{
  buf[0] = 'g';
  buf[1] = 'w';
  buf[2] = '0' + id;
  buf[3] = 0;
  return buf;
}

/* Remove every name a worker may create in the current directory. */
static void
remove_all(void)
{
  char name[3];

  for (int k = 0; k < NFILES; k++) {
    unlink(fname(name, 'f', k));
    unlink(fname(name, 'l', k));
  }
  unlink("dupf");
  unlink("d/x");
  unlink("d");
}

/* Make and enter a fresh private directory, clearing one left by an
 * earlier, interrupted run. */
static void
enter_dir(void)
{
  char dir[4];

  dirname(dir, w.id);
  if (chdir(dir) == 0) {
    remove_all();
    chdir("/");
    unlink(dir);
  }
  if (mkdir(dir) != 0 || chdir(dir) != 0)
    fail("mkdir and chdir to own directory", -1, 0);
}

/* Worker id: run random operations (only ops[only] if only >= 0) until
 * uptime reaches deadline, then clean up and send the operation counts down
 * fd. Exits 0, or 1 on a wrong result. */
static void
worker(int id, uint64 seed, int deadline, int only, int fd)
{
  struct report rep;

  w.id = id;
  w.rng = (seed + 1) * 0x9E3779B97F4A7C15ULL + id * 0xBF58476D1CE4E5B9ULL;
  if (w.rng == 0)
    w.rng = 1;
  w.op = "setup";
  memset(&rep, 0, sizeof(rep));
  for (int k = 0; k < NFILES; k++)
    w.len[k] = -1;
  enter_dir();
  while (uptime() < deadline) {
    int i = only >= 0 ? only : pick(NOPS);
    w.op = ops[i].name;
    ops[i].fn();
    rep.counts[i]++;
  }
  w.op = "cleanup";
  remove_all();
  char dir[4];
  if (chdir("/") != 0 || unlink(dirname(dir, id)) != 0)
    fail("remove own directory (not empty?)", -1, 0);
  if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
    fail("report", -1, sizeof(rep));
  exit(0);
}

/* --- the parent --------------------------------------------------------------- */

/* Print usage and exit 1. */
static void
usage(void)
{
  fprintf(2, "usage: grind [-t seconds] [-s seed] [-p workers (1-%d)] [-o op]\n", MAXWORKERS);
  exit(1);
}

/* Read the workers' reports from fd until end of file, printing the sum per
 * operation. Returns the total count, and sets *nreports. */
static int
collect(int fd, int *nreports)
{
  struct report rep;
  int sums[NOPS], total = 0;

  memset(sums, 0, sizeof(sums));
  *nreports = 0;
  while (read(fd, &rep, sizeof(rep)) == sizeof(rep)) {
    (*nreports)++;
    for (int i = 0; i < NOPS; i++)
      sums[i] += rep.counts[i];
  }
  printf("grind: ops:");
  for (int i = 0; i < NOPS; i++) {
    printf(" %s %d", ops[i].name, sums[i]);
    total += sums[i];
  }
  printf("\n");
  return total;
}

/* Start n workers (running only ops[only] if only >= 0), wait for them
 * all, check reports, directories and free frames. Returns the number of
 * operations run, or -1 after printing the FAILED verdict. */
static int
run(int n, uint64 seed, int secs, int only)
{
  int before = freeframes(), fds[2], bad = 0, nreports;
  uint64 moved = pages_moved();
  int deadline = uptime() + secs * 100;

  if (pipe(fds) < 0) {
    printf("grind: FAILED: no pipe\n");
    return -1;
  }
  for (int id = 0; id < n; id++) {
    int pid = fork();
    if (pid < 0) {
      printf("grind: FAILED: fork of worker %d\n", id);
      bad = 1;
      break;
    }
    if (pid == 0) {
      close(fds[0]);
      worker(id, seed, deadline, only, fds[1]);
    }
  }
  close(fds[1]);
  int total = collect(fds[0], &nreports);
  close(fds[0]);
  for (int st; wait(&st) >= 0;)
    if (st != 0)
      bad = 1;
  if (bad || nreports != n) {
    printf("grind: FAILED: %d of %d workers finished cleanly (seed %lu)\n", nreports, n, seed);
    return -1;
  }
  for (int id = 0; id < n; id++) {
    char dir[4];
    int fd = open(dirname(dir, id), O_RDONLY);
    if (fd >= 0) {
      close(fd);
      printf("grind: FAILED: directory %s left behind\n", dir);
      return -1;
    }
  }
  int after = freeframes();
  if (pages_moved() != moved) {
    if (check_memory("grind") != 0)
      return -1;
  } else if (after != before) {
    printf("grind: FAILED: %d free frames before, %d after: %d leaked (seed %lu)\n", before, after,
           before - after, seed);
    return -1;
  }
  return total;
}

/* The index in ops[] of the operation called name; usage() if none is. */
static int
op_index(const char *name)
{
  for (int i = 0; i < NOPS; i++)
    if (strcmp(ops[i].name, name) == 0)
      return i;
  usage();
  return -1;
}

/* Parse the options (see the top of the file), run, print the verdict. */
int
main(int argc, char *argv[])
{
  int secs = 10, n = 4, only = -1;
  uint64 seed = uptime();

  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc || argv[i][0] != '-')
      usage();
    if (strcmp(argv[i], "-t") == 0)
      secs = atoi(argv[++i]);
    else if (strcmp(argv[i], "-s") == 0)
      seed = atoi(argv[++i]);
    else if (strcmp(argv[i], "-p") == 0)
      n = atoi(argv[++i]);
    else if (strcmp(argv[i], "-o") == 0)
      only = op_index(argv[++i]);
    else
      usage();
  }
  if (secs <= 0 || n < 1 || n > MAXWORKERS)
    usage();
  printf("grind: %d workers for %d s, seed %lu\n", n, secs, seed);
  int total = run(n, seed, secs, only);
  if (total < 0)
    exit(1);
  printf("grind: ok (%d operations)\n", total);
  exit(0);
}
