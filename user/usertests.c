/* usertests.c: calf's regression suite for the system-call interface.
 *
 * One table of {function, "name"} rows at the bottom, run by the shared
 * runner (utest.c): each test in a child of its own, its orphans waited for,
 * then free frames must be exactly as before and memcheck must agree. A test
 * fails through fail() (utest.h), from any of its processes; returning means
 * it passed. Rows marked UTEST_SLOW are left out by -q.
 *
 *   usertests            run every test
 *   usertests -q         the quick set (everything not marked slow)
 *   usertests -c N       loop N times (combines with -q and names)
 *   usertests NAME ...   run the named tests only
 *
 * One process, no threads: nothing here needs a lock. The user stack is a
 * single page, so every buffer bigger than a few words is a global. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "kernel/elf.h"
#include "kernel/memstat.h"
#include "kernel/procinfo.h"
#include "user/user.h"
#include "user/utest.h"

/* Exit status of a child whose exec returned. */
#define EXEC_FAILED 99

/* Frames a shrink may keep: page-table pages stay until the process exits. */
#define PT_SLACK 8

static char buf[8 * BSIZE];     /* scratch for file and pipe data */
static char wbuf[4 * BSIZE];    /* what writers send */
static char outbuf[8192];       /* output captured from a child */
static char bigarg[5000];       /* long exec arguments */
static char cowbuf[3 * PGSIZE]; /* shared copy-on-write by fork */
static int shared_flag;         /* written by a vfork child */
static char bss_zero[2 * PGSIZE];

/* ---- helpers ------------------------------------------------------------ */

/* The lowest free descriptor (what the next open would return), or -1. */
static int
nextfd(void)
{
  int fd = dup(0);
  if (fd >= 0)
    close(fd);
  return fd;
}

/* Fork a child that runs f(arg) and exits 0 if f returns. Returns the
 * child's wait status; fails the test if fork or wait goes wrong. */
static int
child_status(void (*f)(uint64), uint64 arg)
{
  int st = 12345;
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    f(arg);
    exit(0);
  }
  if (wait(&st) != pid)
    fail("wait did not return the child");
  return st;
}

/* Run f(arg) in a child that the kernel must kill (status -1); what names
 * the case in the failure message. */
static void
expect_killed(void (*f)(uint64), uint64 arg, char *what)
{
  int st = child_status(f, arg);
  if (st != -1)
    fail("%s at 0x%lx: child exited %d, expected to be killed", what, arg, st);
}

/* Create (or truncate) name and write n bytes of data. Returns 0 or -1. */
static int
writefile(char *name, char *data, int n)
{
  int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
  if (fd < 0)
    return -1;
  int w = write(fd, data, n);
  close(fd);
  return w == n ? 0 : -1;
}

/* Read up to max bytes of name into dst. Returns the count, or -1. */
static int
readfile(char *name, char *dst, int max)
{
  int fd = open(name, O_RDONLY), n, tot = 0;
  if (fd < 0)
    return -1;
  while (tot < max && (n = read(fd, dst + tot, max - tot)) > 0)
    tot += n;
  close(fd);
  return tot;
}

/* Read everything from fd into dst (at most max bytes; the rest is
 * drained). Returns the count kept. */
static int
drain(int fd, char *dst, int max)
{
  int n, tot = 0;
  char c;
  while (tot < max && (n = read(fd, dst + tot, max - tot)) > 0)
    tot += n;
  while (read(fd, &c, 1) > 0)
    ;
  return tot;
}

/* Run path with argv in a child whose stdout goes to outbuf. Stores the
 * output length in *outlen; returns the child's status (EXEC_FAILED if exec
 * returned). */
static int
capture(char *path, char **argv, int *outlen)
{
  int p[2], st = 12345;
  if (pipe(p) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    exec(path, argv);
    exit(EXEC_FAILED);
  }
  close(p[1]);
  *outlen = drain(p[0], outbuf, sizeof(outbuf) - 1);
  outbuf[*outlen] = 0;
  close(p[0]);
  if (wait(&st) != pid)
    fail("wait did not return the exec child");
  return st;
}

/* Next value of a small pseudo-random sequence. */
static uint
rnd(uint *seed)
{
  *seed = *seed * 1103515245 + 12345;
  return (*seed >> 16) & 0x7fff;
}

/* Grow the heap eagerly until sbrk fails. Returns the bytes added. */
static uint64
eat_memory(void)
{
  uint64 eaten = 0;
  for (int chunk = 4 << 20; chunk >= PGSIZE; chunk /= 16) {
    while (sbrk(chunk) != SBRK_ERROR)
      eaten += chunk;
  }
  while (sbrk(PGSIZE) != SBRK_ERROR)
    eaten += PGSIZE;
  return eaten;
}

/* Shrink the heap by n bytes, in steps sbrk's int argument can hold.
 * Returns 0, or -1 if a step failed. */
static int
give_back(uint64 n)
{
  while (n > 0) {
    int step = n > (1 << 30) ? (1 << 30) : (int)n;
    if (sbrk(-step) == SBRK_ERROR)
      return -1;
    n -= step;
  }
  return 0;
}

/* 1 if fork shares pages copy-on-write (the kernel was built with COW),
 * judged by the global count of pages fork shared. */
static int
cow_enabled(void)
{
  struct memstat before, after;
  memstat(0, &before);
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid > 0)
    wait(0);
  memstat(0, &after);
  return after.shared > before.shared;
}

/* Load one byte from address a (the compiler may not drop it). */
static void
load(uint64 a)
{
  volatile char *p = (volatile char *)a;
  (void)*p;
}

/* Store one byte at address a. */
static void
store(uint64 a)
{
  volatile char *p = (volatile char *)a;
  /* Address 0 is deliberate: the tests store to text at 0 to be killed. */
  // cppcheck-suppress nullPointer
  *p = 1;
}

/* Jump to address a. */
static void
jump(uint64 a)
{
  ((void (*)(void))a)();
}

/* The address of the guard page: the lowest page of the guard region under
 * the stack (the pages above it are room the stack may grow into). */
static uint64
guard_page(void)
{
  struct vmregion r[32];
  int n = vmregions(0, r, 32);
  for (int i = 0; i < n && i < 32; i++)
    if (r[i].kind == REGION_GUARD)
      return r[i].start;
  fail("no guard region");
}

/* The page right under the stack's lowest page: room the stack may grow
 * into (a store there grows it), but a load below sp kills. */
static uint64
under_stack(void)
{
  volatile int here = 0;
  return PGROUNDDOWN((uint64)&here) - PGSIZE;
}

/* ---- processes ------------------------------------------------------------ */

/* Statuses and pids come back from wait; wait(0) works; no children: -1. */
static void
forkwait(void)
{
  int pids[8], st, seen = 0;
  for (int i = 0; i < 8; i++) {
    pids[i] = fork();
    if (pids[i] < 0)
      fail("fork failed");
    if (pids[i] == 0)
      exit(40 + i);
  }
  for (int n = 0; n < 7; n++) {
    st = -12345;
    int pid = wait(&st), i;
    for (i = 0; i < 8 && pids[i] != pid; i++)
      ;
    if (i == 8 || (seen & (1 << i)))
      fail("wait returned unexpected pid %d", pid);
    if (st != 40 + i)
      fail("child %d exited %d, wait saw %d", i, 40 + i, st);
    seen |= 1 << i;
  }
  int pid = wait(0);
  if (pid <= 0 || pid == getpid())
    fail("wait(0) returned %d", pid);
  if (wait(0) != -1 || wait(&st) != -1)
    fail("wait with no children did not return -1");
}

/* Exit statuses round-trip through wait unchanged. */
static void
exitstatus(void)
{
  static int vals[] = {0, 1, 255, -1, 256, 12345, -77, 0x7fffffff, -0x7fffffff - 1};
  for (int i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
    int pid = fork(), st = 0x5555;
    if (pid < 0)
      fail("fork failed");
    if (pid == 0)
      exit(vals[i]);
    if (wait(&st) != pid || st != vals[i])
      fail("exit(%d) came back as %d", vals[i], st);
  }
}

/* A child with no children of its own gets -1 from wait at once. */
static void
nochildren(void)
{
  int st = 7;
  if (wait(0) != -1 || wait(&st) != -1 || st != 7)
    fail("wait without children did not return -1 untouched");
}

/* fork returns the child's pid to the parent and 0 to the child. */
static void
getpidtest(void)
{
  int p[2], cpid = 0;
  if (pipe(p) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    int me = getpid();
    write(p[1], &me, sizeof(me));
    exit(0);
  }
  if (read(p[0], &cpid, sizeof(cpid)) != sizeof(cpid) || cpid != pid)
    fail("fork returned %d but the child's getpid is %d", pid, cpid);
  if (pid == getpid())
    fail("child has the parent's pid");
  close(p[0]);
  close(p[1]);
  wait(0);
}

/* Many rounds of fork, exit and wait. */
static void
exitwait(void)
{
  for (int i = 0; i < 100; i++) {
    int pid = fork(), st = -5;
    if (pid < 0)
      fail("fork failed");
    if (pid == 0)
      exit(i);
    if (wait(&st) != pid || st != i)
      fail("round %d: wrong pid or status %d", i, st);
  }
}

/* A grandchild that outlives its parent goes to init; waiting for the
 * child does not hang, and the grandchild is not ours to wait for. */
static void
reparent(void)
{
  for (int i = 0; i < 20; i++) {
    int pid = fork(), st = -5;
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      int q[2];
      char c;
      if (pipe(q) < 0)
        exit(2);
      int g = fork();
      if (g < 0)
        exit(3);
      if (g == 0) {
        close(q[1]);
        read(q[0], &c, 1); /* returns 0 once the child has exited */
        exit(0);
      }
      exit(0);
    }
    if (wait(&st) != pid || st != 0)
      fail("child failed (status %d)", st);
  }
  if (wait(0) != -1)
    fail("parent could wait for a grandchild");
}

/* Orphans created in a hurry are all reaped by init. */
static void
orphans(void)
{
  for (int i = 0; i < 60; i++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      fork();
      fork();
      exit(0);
    }
    if (wait(0) != pid)
      fail("wait did not return the child");
  }
}

/* Several processes fork and wait at the same time. */
static void
forkfork(void)
{
  for (int i = 0; i < 3; i++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      for (int j = 0; j < 40; j++) {
        int c = fork(), st = -5;
        if (c < 0)
          exit(2);
        if (c == 0)
          exit(j);
        if (wait(&st) != c || st != j)
          exit(3);
      }
      exit(0);
    }
  }
  for (int i = 0; i < 3; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("a forking child failed (status %d)", st);
  }
}

/* Fork until the process table is full; then all children exit cleanly. */
static void
forkfull(void)
{
  int p[2], n = 0, pid = -1;
  char c;
  if (pipe(p) < 0)
    fail("pipe failed");
  while (n < 2 * NPROC && (pid = fork()) > 0)
    n++;
  if (pid == 0) {
    close(p[1]);
    read(p[0], &c, 1);
    exit(0);
  }
  close(p[0]);
  close(p[1]);
  if (n >= NPROC)
    fail("fork never failed (%d children)", n);
  if (n < NPROC - 8)
    fail("fork failed after only %d children", n);
  for (int i = 0; i < n; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("child %d did not exit cleanly (status %d)", i, st);
  }
  if (wait(0) != -1)
    fail("a child too many");
  pid = fork();
  if (pid < 0)
    fail("fork fails after the table emptied");
  if (pid == 0)
    exit(0);
  wait(0);
}

/* Spin forever (a killed child's body). */
static void
spin(uint64 fd)
{
  if (fd)
    write(fd, "x", 1);
  for (;;)
    ;
}

/* Children spinning in user mode cannot keep the parent from running and
 * killing them: kill plus wait returns with status -1. */
static void
preempt(void)
{
  int p[2], pids[3];
  char c;
  if (pipe(p) < 0)
    fail("pipe failed");
  for (int i = 0; i < 3; i++) {
    pids[i] = fork();
    if (pids[i] < 0)
      fail("fork failed");
    if (pids[i] == 0)
      spin(p[1]);
  }
  for (int i = 0; i < 3; i++)
    if (read(p[0], &c, 1) != 1)
      fail("spinning child did not report");
  for (int i = 0; i < 3; i++)
    if (kill(pids[i]) != 0)
      fail("kill(%d) failed", pids[i]);
  for (int i = 0; i < 3; i++) {
    int st = 0;
    if (wait(&st) < 0 || st != -1)
      fail("killed child exited %d, expected -1", st);
  }
  close(p[0]);
  close(p[1]);
}

/* Is process pid gone or a zombie? */
static int
dead(int pid)
{
  struct procinfo pi;
  for (int i = 0; procinfo(i, &pi) == 0; i++)
    if (pi.pid == pid)
      return strcmp(pi.state, "zombie") == 0;
  return 1;
}

/* A kill that lands while its target is on its way to sleep, past its last
 * look at the killed flag, is not lost: the child, about to wait on an
 * empty pipe, dies anyway. Many rounds, the child reaching read() a little
 * later in each, so that some kills may land in that window (a race: the
 * test catches a lost kill only when one lands there); a child still alive
 * 30 ticks after its kill fails the test (and is woken through the pipe,
 * so the test ends). */
static void
killrace(void)
{
  for (int round = 0; round < 300; round++) {
    int p[2], ready[2], st = 0;
    char c = 'x';
    if (pipe(p) < 0 || pipe(ready) < 0)
      fail("pipe failed");
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      write(ready[1], &c, 1);
      for (volatile int i = 0; i < round % 60 * 25; i++) /* a different moment each round */
        ;
      read(p[0], &c, 1);
      exit(0);
    }
    if (read(ready[0], &c, 1) != 1 || kill(pid) != 0)
      fail("round %d: the child did not report, or kill failed", round);
    int t = 0;
    while (!dead(pid) && t++ < 30)
      sleep(1);
    if (!dead(pid)) {
      write(p[1], &c, 1);
      wait(0);
      fail("round %d: the kill was lost: the child slept on in read()", round);
    }
    if (wait(&st) != pid || st != -1)
      fail("round %d: the killed child exited %d, want -1", round, st);
    close(p[0]);
    close(p[1]);
    close(ready[0]);
    close(ready[1]);
  }
}

/* Sleeping children (in a pipe read, in sleep, in wait) die when killed. */
static void
killsleep(void)
{
  int p[2], ready[2], pids[3], gpid = 0;
  char c;
  if (pipe(p) < 0 || pipe(ready) < 0)
    fail("pipe failed");
  for (int i = 0; i < 3; i++) {
    pids[i] = fork();
    if (pids[i] < 0)
      fail("fork failed");
    if (pids[i] == 0) {
      if (i == 2) {
        int g = fork();
        if (g == 0)
          spin(0);
        write(ready[1], &g, sizeof(g));
        wait(0);
        exit(0);
      }
      write(ready[1], &i, sizeof(i));
      if (i == 0)
        read(p[0], &c, 1);
      else
        sleep(1000000);
      exit(0);
    }
  }
  for (int i = 0; i < 3; i++) {
    int v;
    if (read(ready[0], &v, sizeof(v)) != sizeof(v))
      fail("child did not report");
    if (v > 2)
      gpid = v;
  }
  for (int i = 0; i < 3; i++)
    kill(pids[i]);
  for (int i = 0; i < 3; i++) {
    int st = 0;
    if (wait(&st) < 0 || st != -1)
      fail("killed sleeper exited %d, expected -1", st);
  }
  if (gpid <= 0 || kill(gpid) != 0)
    fail("could not kill the spinning grandchild");
  close(p[0]);
  close(p[1]);
  close(ready[0]);
  close(ready[1]);
}

/* kill of a pid that does not exist fails; a process may kill itself. */
static void
killbad(void)
{
  if (kill(-1) != -1 || kill(0) != -1 || kill(1000000) != -1)
    fail("kill of a missing pid did not fail");
  int pid = fork(), st = 0;
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    kill(getpid());
    for (;;)
      getpid();
  }
  if (wait(&st) != pid || st != -1)
    fail("self-killed child exited %d", st);
}

/* vfork: the child runs in the parent's memory until it exits or execs. */
static void
vforktest(void)
{
  int st = 0, p[2], n;
  shared_flag = 0;
  int pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    shared_flag = 1;
    exit(7);
  }
  if (shared_flag != 1)
    fail("child's store not seen by the parent");
  if (wait(&st) != pid || st != 7)
    fail("vfork child status %d", st);
  if (pipe(p) < 0)
    fail("pipe failed");
  char *argv[] = {"echo", "vfork", "ok", 0};
  pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    close(1);
    dup(p[1]);
    exec("echo", argv);
    exit(EXEC_FAILED);
  }
  close(p[1]);
  n = drain(p[0], outbuf, sizeof(outbuf) - 1);
  outbuf[n] = 0;
  close(p[0]);
  if (wait(&st) != pid || st != 0)
    fail("vfork+exec child status %d", st);
  if (strcmp(outbuf, "vfork ok\n") != 0)
    fail("vfork+exec output '%s'", outbuf);
}

/* Faults at address 0 (a vfork child's body). */
static void
vfork_fault(void)
{
  store(0);
}

/* vfork children that grow memory, die by a fault, or fail to exec all
 * hand the address space back; repeated vforks leak nothing. */
static void
vforkmore(void)
{
  char *a = sbrk(0);
  int st = 0, n = 600 * PGSIZE;
  int pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    char *b = sbrk(n);
    if (b != SBRK_ERROR)
      b[n - 1] = 'g';
    exit(b == a ? 0 : 2);
  }
  if (wait(&st) != pid || st != 0)
    fail("growing vfork child failed (status %d)", st);
  if (sbrk(0) != a + n || a[n - 1] != 'g')
    fail("child's growth not handed back to the parent");
  sbrk(-n);
  pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0)
    vfork_fault();
  if (wait(&st) != pid || st != -1)
    fail("faulting vfork child exited %d", st);
  char *argv[] = {"no-such", 0};
  pid = vfork();
  if (pid < 0)
    fail("vfork failed");
  if (pid == 0) {
    exec("no-such", argv);
    exit(EXEC_FAILED);
  }
  if (wait(&st) != pid || st != EXEC_FAILED)
    fail("vfork child whose exec failed exited %d", st);
  for (int i = 0; i < 50; i++) {
    pid = vfork();
    if (pid < 0)
      fail("vfork %d failed", i);
    if (pid == 0)
      exit(i);
    if (wait(&st) != pid || st != i)
      fail("vfork round %d: status %d", i, st);
  }
}

/* sleep and uptime behave (no timing assertions). */
static void
sleeptest(void)
{
  int t0 = uptime();
  if (sleep(1) != 0 || sleep(0) != 0 || sleep(-5) != 0)
    fail("sleep failed");
  if (uptime() < t0)
    fail("uptime went backwards");
}

/* A system call number that does not exist returns -1. */
static void
badsyscall(void)
{
  register uint64 a0 asm("a0") = 1;
  register uint64 a7 asm("a7") = 9999;
  asm volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  if (a0 != (uint64)-1)
    fail("syscall 9999 returned %ld", (long)a0);
  a0 = 1;
  a7 = (uint64)-1;
  asm volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  if (a0 != (uint64)-1)
    fail("syscall -1 returned %ld", (long)a0);
}

/* ---- pipes --------------------------------------------------------------- */

/* Data goes through; EOF when writers are gone; -1 when readers are gone. */
static void
pipebasic(void)
{
  int p[2], st;
  char b[8];
  if (pipe(p) < 0 || p[0] < 3 || p[1] < 3 || p[0] == p[1])
    fail("pipe failed or gave bad fds");
  if (write(p[1], "hello", 5) != 5 || read(p[0], b, 5) != 5 || memcmp(b, "hello", 5) != 0)
    fail("data did not go through");
  close(p[1]);
  if (read(p[0], b, 1) != 0)
    fail("read with writers gone did not return 0");
  close(p[0]);
  if (pipe(p) < 0)
    fail("pipe failed");
  close(p[0]);
  if (write(p[1], "x", 1) != -1)
    fail("write with readers gone did not return -1");
  close(p[1]);
  if (pipe(p) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(p[0]);
    write(p[1], "ab", 2);
    exit(0);
  }
  close(p[1]);
  if (drain(p[0], b, sizeof(b)) != 2 || memcmp(b, "ab", 2) != 0)
    fail("reader did not see the writer's data then EOF");
  close(p[0]);
  wait(&st);
}

/* A writer blocked on a full pipe is woken when the reader closes. */
static void
pipereaderclose(void)
{
  int p[2], st = 0;
  char c;
  if (pipe(p) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(p[0]);
    memset(wbuf, 'w', sizeof(wbuf));
    int n = write(p[1], wbuf, sizeof(wbuf));
    exit(n == sizeof(wbuf) ? 1 : 0);
  }
  close(p[1]);
  if (read(p[0], &c, 1) != 1)
    fail("no data from the writer");
  close(p[0]);
  if (wait(&st) != pid || st != 0)
    fail("blocked writer not told the reader left (status %d)", st);
}

/* nw writers each send n bytes; one reader checks every writer's bytes
 * arrive complete and in order, whatever the interleaving. */
static void
pipe_transfer(int nw, int n)
{
  int p[2];
  uint next[4] = {0}, total = 0;
  if (pipe(p) < 0)
    fail("pipe failed");
  for (int w = 0; w < nw; w++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      close(p[0]);
      uint seed = w + 1;
      for (int sent = 0; sent < n;) {
        int chunk = 1 + rnd(&seed) % sizeof(wbuf);
        if (chunk > n - sent)
          chunk = n - sent;
        for (int i = 0; i < chunk; i++)
          wbuf[i] = (w << 6) | ((sent + i) & 63);
        if (write(p[1], wbuf, chunk) != chunk)
          exit(2);
        sent += chunk;
      }
      exit(0);
    }
  }
  close(p[1]);
  int got;
  while ((got = read(p[0], buf, sizeof(buf))) > 0) {
    for (int i = 0; i < got; i++) {
      int w = (uchar)buf[i] >> 6;
      if (w >= nw || ((uchar)buf[i] & 63) != (next[w] & 63))
        fail("byte %u: 0x%x out of order", total + i, (uchar)buf[i]);
      next[w]++;
    }
    total += got;
  }
  close(p[0]);
  if (total != nw * n)
    fail("received %u bytes, sent %d", total, nw * n);
  for (int w = 0; w < nw; w++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("writer failed (status %d)", st);
  }
}

/* Four writers, 24 KB in all. */
static void
pipewriters(void)
{
  pipe_transfer(4, 6000);
}

/* 100 KB from one writer, then 100 KB from four. */
static void
pipebig(void)
{
  pipe_transfer(1, 100 * 1024);
  pipe_transfer(4, 25 * 1024);
}

/* Three writers and three readers on one pipe: every byte read once. */
static void
pipemany(void)
{
  int p[2], r[2];
  uint count = 0, sum = 0, want = 0;
  if (pipe(p) < 0 || pipe(r) < 0)
    fail("pipe failed");
  for (int i = 0; i < 6; i++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0 && i < 3) {
      close(p[0]);
      for (int j = 0; j < 3000; j++) {
        char c = (j * 7 + i) & 0xff;
        if (write(p[1], &c, 1) != 1)
          exit(2);
      }
      exit(0);
    }
    if (pid == 0) {
      uint res[2] = {0, 0};
      int n;
      close(p[1]);
      while ((n = read(p[0], buf, 100)) > 0) {
        res[0] += n;
        for (int k = 0; k < n; k++)
          res[1] += (uchar)buf[k];
      }
      write(r[1], res, sizeof(res));
      exit(0);
    }
  }
  close(p[0]);
  close(p[1]);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3000; j++)
      want += (j * 7 + i) & 0xff;
    uint res[2];
    if (read(r[0], res, sizeof(res)) != sizeof(res))
      fail("reader did not report");
    count += res[0];
    sum += res[1];
  }
  if (count != 9000 || sum != want)
    fail("readers got %u bytes summing to %u, want 9000 and %u", count, sum, want);
  for (int i = 0; i < 6; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("a pipe child failed (status %d)", st);
  }
  close(r[0]);
  close(r[1]);
}

/* Pipes come and go without leaking; running out of fds fails cleanly. */
static void
pipefds(void)
{
  int p[2], fds[NOFILE], n = 0;
  for (int i = 0; i < 100; i++) {
    if (pipe(p) < 0)
      fail("pipe %d failed", i);
    write(p[1], "z", 1);
    close(p[0]);
    close(p[1]);
  }
  int first = nextfd();
  while (n + 2 <= NOFILE && pipe(p) == 0) {
    fds[n++] = p[0];
    fds[n++] = p[1];
  }
  if (n != ((NOFILE - first) & ~1))
    fail("only %d pipe fds before failure", n);
  int fd = open("README", O_RDONLY);
  if ((NOFILE - first) % 2 == 1 && fd < 0)
    fail("a failed pipe() leaked its descriptor");
  if (fd >= 0)
    close(fd);
  for (int i = 0; i < n; i++)
    close(fds[i]);
  if (nextfd() != first)
    fail("descriptors not all closed");
}

/* ---- files ---------------------------------------------------------------- */

/* Create, write in pieces, read back, fstat, unlink. */
static void
createwrite(void)
{
  struct stat st;
  unlink("cw");
  int fd = open("cw", O_CREATE | O_RDWR);
  if (fd < 0)
    fail("create failed");
  if (write(fd, "abc", 3) != 3 || write(fd, "defgh", 5) != 5 || write(fd, "", 0) != 0)
    fail("write failed");
  if (fstat(fd, &st) < 0 || st.type != T_FILE || st.size != 8 || st.nlink != 1)
    fail("fstat: type %d size %d nlink %d", st.type, (int)st.size, st.nlink);
  close(fd);
  if (readfile("cw", buf, 100) != 8 || memcmp(buf, "abcdefgh", 8) != 0)
    fail("read back wrong");
  if (unlink("cw") != 0 || open("cw", O_RDONLY) != -1)
    fail("unlink did not remove the file");
}

/* Writing without O_TRUNC overwrites in place; O_TRUNC empties. */
static void
overwrite(void)
{
  struct stat st;
  if (writefile("ow", "abcdef", 6) < 0)
    fail("create failed");
  int fd = open("ow", O_WRONLY);
  if (fd < 0 || write(fd, "XY", 2) != 2)
    fail("overwrite failed");
  close(fd);
  if (readfile("ow", buf, 100) != 6 || memcmp(buf, "XYcdef", 6) != 0)
    fail("content after overwrite wrong");
  fd = open("ow", O_RDWR | O_TRUNC);
  if (fd < 0 || fstat(fd, &st) < 0 || st.size != 0)
    fail("O_TRUNC did not empty the file");
  if (read(fd, buf, 10) != 0)
    fail("read of truncated file not 0");
  write(fd, "q", 1);
  close(fd);
  if (readfile("ow", buf, 100) != 1 || buf[0] != 'q')
    fail("content after truncate wrong");
  unlink("ow");
}

/* Truncating a file others have open: their reads see the new size. */
static void
truncopen(void)
{
  if (writefile("tro", "abcd", 4) < 0)
    fail("create failed");
  int fd2 = open("tro", O_RDONLY);
  if (read(fd2, buf, 2) != 2)
    fail("read failed");
  int fd1 = open("tro", O_WRONLY | O_TRUNC);
  int fd3 = open("tro", O_RDONLY);
  if (fd1 < 0 || fd3 < 0)
    fail("open failed");
  if (read(fd3, buf, 10) != 0 || read(fd2, buf, 10) != 0)
    fail("read after truncate did not return 0");
  if (write(fd1, "abcdef", 6) != 6)
    fail("write after truncate failed");
  if (read(fd3, buf, 10) != 6 || read(fd2, buf, 10) != 4 || memcmp(buf, "cdef", 4) != 0)
    fail("reads after rewrite wrong");
  close(fd1);
  close(fd2);
  close(fd3);
  unlink("tro");
}

/* Open modes are enforced; directories open read-only only. */
static void
openmodes(void)
{
  if (open("no-such-file", O_RDONLY) != -1)
    fail("opened a missing file");
  if (writefile("om", "x", 1) < 0)
    fail("create failed");
  int fd = open("om", O_RDONLY);
  if (fd < 0 || write(fd, "y", 1) != -1)
    fail("write to a read-only fd did not fail");
  close(fd);
  fd = open("om", O_WRONLY);
  if (fd < 0 || read(fd, buf, 1) != -1)
    fail("read from a write-only fd did not fail");
  close(fd);
  if (open("/", O_WRONLY) != -1 || open("/", O_RDWR) != -1 || open("/", O_CREATE | O_RDWR) != -1)
    fail("opened a directory for writing");
  fd = open("/", O_RDONLY);
  if (fd < 0)
    fail("could not open / read-only");
  if (write(fd, "x", 1) != -1)
    fail("wrote to a directory");
  close(fd);
  unlink("om");
}

/* An unlinked file lives on through open descriptors; the name is gone. */
static void
unlinkopen(void)
{
  struct stat st;
  unlink("ulo");
  int fd = open("ulo", O_CREATE | O_RDWR);
  if (fd < 0 || write(fd, "hello world", 11) != 11)
    fail("create failed");
  int fd2 = open("ulo", O_RDONLY);
  if (fd2 < 0)
    fail("second open failed");
  if (unlink("ulo") != 0 || open("ulo", O_RDONLY) != -1)
    fail("name still there after unlink");
  if (read(fd2, buf, 100) != 11 || memcmp(buf, "hello world", 11) != 0)
    fail("data not readable after unlink");
  if (fstat(fd2, &st) < 0 || st.nlink != 0)
    fail("nlink %d after unlink", st.nlink);
  if (write(fd, "!", 1) != 1 || read(fd2, buf, 10) != 1 || buf[0] != '!')
    fail("unlinked file not writable");
  close(fd);
  close(fd2);
  fd = open("ulo", O_CREATE | O_RDWR);
  if (fd < 0 || fstat(fd, &st) < 0 || st.size != 0)
    fail("new file of the same name not empty");
  close(fd);
  unlink("ulo");
}

/* Hard links share the inode; link errors are reported. */
static void
linktest(void)
{
  struct stat a, b;
  unlink("lk1");
  unlink("lk2");
  if (writefile("lk1", "link me", 7) < 0)
    fail("create failed");
  if (link("lk1", "lk2") != 0)
    fail("link failed");
  if (stat("lk1", &a) < 0 || stat("lk2", &b) < 0 || a.ino != b.ino || a.nlink != 2)
    fail("link does not share the inode");
  if (unlink("lk1") != 0 || readfile("lk2", buf, 100) != 7 || memcmp(buf, "link me", 7) != 0)
    fail("data lost after unlinking the first name");
  if (stat("lk2", &b) < 0 || b.nlink != 1)
    fail("nlink %d after unlink", b.nlink);
  if (link("lk2", "lk2") != -1 || link("lk2", "README") != -1)
    fail("link onto an existing name succeeded");
  if (link("no-such", "lk3") != -1 || link("lk2", "no-dir/lk3") != -1)
    fail("link with a missing source or directory succeeded");
  if (link("/", "lkdir") != -1 || link(".", "lkdir") != -1)
    fail("link of a directory succeeded");
  if (unlink("lk2") != 0 || unlink("lk2") != -1)
    fail("unlink twice did not fail the second time");
}

/* Rename by link and unlink, into a subdirectory and back. */
static void
renametest(void)
{
  if (writefile("rn1", "moved", 5) < 0 || mkdir("rndir") < 0)
    fail("setup failed");
  if (link("rn1", "rndir/rn2") != 0 || unlink("rn1") != 0)
    fail("rename failed");
  if (open("rn1", O_RDONLY) != -1)
    fail("old name still there");
  if (readfile("rndir/rn2", buf, 100) != 5 || memcmp(buf, "moved", 5) != 0)
    fail("data lost in rename");
  if (link("rndir/rn2", "rn1") != 0 || unlink("rndir/rn2") != 0)
    fail("rename back failed");
  if (unlink("rndir") != 0 || unlink("rn1") != 0)
    fail("cleanup failed");
}

/* Names of exactly DIRSIZ bytes work as directories and files; paths up to
 * MAXPATH-1 bytes resolve, longer ones fail. */
static void
longnames(void)
{
  char *d = "abcdefghijklmn"; /* DIRSIZ bytes */
  char *f = "abcdefghijklmn/n1234567890123";
  char path[MAXPATH + 80];
  if (strlen(d) != DIRSIZ)
    fail("test is wrong");
  if (mkdir(d) != 0)
    fail("mkdir of a %d-byte name failed", DIRSIZ);
  if (writefile(f, "14", 2) < 0)
    fail("create of a %d-byte name failed", DIRSIZ);
  if (chdir(d) != 0 || readfile("n1234567890123", buf, 10) != 2 || chdir("..") != 0)
    fail("could not reach the file by its long name");
  if (unlink(f) != 0 || unlink(d) != 0)
    fail("cleanup failed");
  char *p = path;
  *p++ = '/';
  for (int i = 0; i < 60; i++) {
    *p++ = '.';
    *p++ = '/';
  }
  strcpy(p, "README");
  if (strlen(path) != MAXPATH - 1)
    fail("test is wrong");
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    fail("path of %d bytes did not resolve", MAXPATH - 1);
  close(fd);
  memset(path, 'a', sizeof(path) - 1);
  path[sizeof(path) - 1] = 0;
  if (open(path, O_RDONLY) != -1 || open(path, O_CREATE | O_RDWR) != -1)
    fail("path longer than MAXPATH accepted");
}

/* A directory path eight levels deep: create, walk, climb, remove. */
static void
deeppath(void)
{
  char path[MAXPATH];
  int len = 0, depth = 8;
  for (int i = 0; i < depth; i++) {
    strcpy(path + len, "deeppathdir0");
    path[len + 11] = '0' + i;
    len += 12;
    if (mkdir(path) != 0)
      fail("mkdir %s failed", path);
    path[len++] = '/';
    path[len] = 0;
  }
  strcpy(path + len, "leaf");
  if (writefile(path, "deep", 4) < 0)
    fail("create at the bottom failed");
  for (int i = 0; i < depth; i++) {
    char name[16];
    strcpy(name, "deeppathdir0");
    name[11] = '0' + i;
    if (chdir(name) != 0)
      fail("chdir %s failed", name);
  }
  if (readfile("leaf", buf, 10) != 4 || unlink("leaf") != 0)
    fail("leaf not found from inside");
  for (int i = depth - 1; i >= 0; i--) {
    char name[16];
    strcpy(name, "deeppathdir0");
    name[11] = '0' + i;
    if (chdir("..") != 0 || unlink(name) != 0)
      fail("climbing out and removing %s failed", name);
  }
  if (open("deeppathdir0", O_RDONLY) != -1)
    fail("top directory still there");
}

/* open until the descriptor table is full; close; open again. */
static void
fdexhaust(void)
{
  int fds[NOFILE], n = 0, fd, first = nextfd();
  while ((fd = open("README", O_RDONLY)) >= 0) {
    if (n == NOFILE)
      fail("more than NOFILE descriptors");
    if (fd != first + n)
      fail("open returned fd %d, expected %d", fd, first + n);
    fds[n++] = fd;
  }
  if (n != NOFILE - first)
    fail("only %d opens before failure", n);
  if (dup(0) != -1)
    fail("dup succeeded with a full table");
  for (int i = 0; i < n; i++)
    close(fds[i]);
  if (close(fds[0]) != -1 || close(-1) != -1 || close(NOFILE) != -1)
    fail("close of a closed or bad fd did not fail");
  fd = open("README", O_RDONLY);
  if (fd != first)
    fail("open after closing returned %d", fd);
  close(fd);
}

/* dup'd and inherited descriptors share one offset. */
static void
dupoffset(void)
{
  int fd = open("dupf", O_CREATE | O_TRUNC | O_RDWR);
  int fd2 = dup(fd);
  if (fd < 0 || fd2 < 0)
    fail("open or dup failed");
  write(fd, "ab", 2);
  write(fd2, "cd", 2);
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    write(fd, "ef", 2);
    exit(0);
  }
  wait(0);
  write(fd2, "gh", 2);
  close(fd);
  close(fd2);
  if (readfile("dupf", buf, 100) != 8 || memcmp(buf, "abcdefgh", 8) != 0)
    fail("writes through shared offsets wrong");
  unlink("dupf");
}

/* Sixty files in one directory, written, read back, removed. */
static void
manyfiles(void)
{
  char name[16];
  if (mkdir("mfdir") != 0)
    fail("mkdir failed");
  strcpy(name, "mfdir/f00");
  for (int i = 0; i < 60; i++) {
    name[7] = '0' + i / 10;
    name[8] = '0' + i % 10;
    if (writefile(name, name, 9) < 0)
      fail("create %s failed", name);
  }
  for (int i = 0; i < 60; i++) {
    name[7] = '0' + i / 10;
    name[8] = '0' + i % 10;
    if (readfile(name, buf, 100) != 9 || memcmp(buf, name, 9) != 0)
      fail("%s has wrong content", name);
  }
  if (unlink("mfdir") != -1)
    fail("removed a non-empty directory");
  for (int i = 0; i < 60; i++) {
    name[7] = '0' + i / 10;
    name[8] = '0' + i % 10;
    if (unlink(name) != 0)
      fail("unlink %s failed", name);
  }
  if (unlink("mfdir") != 0)
    fail("could not remove the emptied directory");
}

/* Write nblocks blocks of a pattern to name, read them back, remove it.
 * With full set, also check that one block more does not fit. */
static void
blockfile(char *name, int nblocks, int full)
{
  int fd = open(name, O_CREATE | O_TRUNC | O_RDWR);
  if (fd < 0)
    fail("create failed");
  for (int i = 0; i < nblocks; i++) {
    memset(buf, i & 0xff, BSIZE);
    ((int *)buf)[0] = i;
    if (write(fd, buf, BSIZE) != BSIZE)
      fail("write of block %d failed", i);
  }
  if (full && write(fd, buf, BSIZE) == BSIZE)
    fail("wrote a block beyond MAXFILE");
  close(fd);
  fd = open(name, O_RDONLY);
  for (int i = 0; i < nblocks; i++) {
    if (read(fd, buf, BSIZE) != BSIZE)
      fail("read of block %d failed", i);
    if (((int *)buf)[0] != i || (uchar)buf[BSIZE - 1] != (i & 0xff))
      fail("block %d has wrong content", i);
  }
  if (read(fd, buf, BSIZE) != 0)
    fail("data beyond the end");
  close(fd);
  if (unlink(name) != 0)
    fail("unlink failed");
}

/* A file that needs the indirect block. */
static void
midfile(void)
{
  blockfile("midf", NDIRECT + 20, 0);
}

/* A file of MAXFILE blocks; one more fails. */
static void
bigfile(void)
{
  blockfile("bigf", MAXFILE, 1);
}

/* Parent and child append through one shared descriptor. */
static void
sharedfd(void)
{
  int fd = open("shf", O_CREATE | O_TRUNC | O_RDWR), np = 0, nc = 0;
  if (fd < 0)
    fail("create failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  char *b = pid == 0 ? "cccccccccc" : "pppppppppp";
  for (int i = 0; i < 100; i++)
    if (write(fd, b, 10) != 10)
      fail("write failed");
  if (pid == 0)
    exit(0);
  wait(0);
  close(fd);
  int n = readfile("shf", buf, sizeof(buf));
  for (int i = 0; i < n; i++) {
    np += buf[i] == 'p';
    nc += buf[i] == 'c';
  }
  if (n != 2000 || np != 1000 || nc != 1000)
    fail("file has %d bytes, %d p and %d c", n, np, nc);
  unlink("shf");
}

/* Three processes write their own files at once. */
static void
concfiles(void)
{
  char name[4] = "cf0";
  for (int i = 0; i < 3; i++) {
    name[2] = '0' + i;
    unlink(name);
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      int fd = open(name, O_CREATE | O_RDWR);
      memset(wbuf, 'a' + i, 500);
      for (int j = 0; j < 12; j++)
        if (fd < 0 || write(fd, wbuf, 500) != 500)
          exit(2);
      exit(0);
    }
  }
  for (int i = 0; i < 3; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("writer failed (status %d)", st);
  }
  for (int i = 0; i < 3; i++) {
    name[2] = '0' + i;
    int n = readfile(name, buf, sizeof(buf));
    if (n != 6000)
      fail("%s has %d bytes", name, n);
    for (int j = 0; j < n; j++)
      if (buf[j] != 'a' + i)
        fail("%s byte %d is wrong", name, j);
    unlink(name);
  }
}

/* Three processes create and delete their own files at once. */
static void
createdelete(void)
{
  char name[8] = "cd00";
  for (int i = 0; i < 3; i++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      name[2] = 'a' + i;
      for (int j = 0; j < 20; j++) {
        name[3] = 'a' + j;
        if (writefile(name, name, 4) < 0)
          exit(2);
        if (j > 0 && j % 2 == 0) {
          name[3] = 'a' + j / 2;
          if (unlink(name) != 0)
            exit(3);
        }
      }
      exit(0);
    }
  }
  for (int i = 0; i < 3; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("child failed (status %d)", st);
  }
  for (int i = 0; i < 3; i++) {
    name[2] = 'a' + i;
    for (int j = 0; j < 20; j++) {
      name[3] = 'a' + j;
      int gone = j >= 1 && j <= 9;
      if ((readfile(name, buf, 10) >= 0) == gone)
        fail("%s %s", name, gone ? "should be gone" : "is missing");
      unlink(name);
    }
  }
}

/* Two processes link, unlink and create a few names at random. */
static void
linkunlink(void)
{
  char name[4] = "lu0", other[4] = "lu0";
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  uint seed = pid ? 1 : 97;
  for (int i = 0; i < 150; i++) {
    name[2] = '0' + rnd(&seed) % 5;
    other[2] = '0' + rnd(&seed) % 5;
    switch (rnd(&seed) % 3) {
    case 0: close(open(name, O_CREATE | O_RDWR)); break;
    case 1: link(other, name); break;
    default: unlink(name);
    }
  }
  if (pid == 0)
    exit(0);
  wait(0);
  for (int i = 0; i < 5; i++) {
    name[2] = '0' + i;
    unlink(name);
    if (open(name, O_RDONLY) != -1)
      fail("%s survived its unlink", name);
  }
}

/* Name "xxNNN" for number i in name (at least 6 bytes). */
static void
numname(char *name, char *prefix, int i)
{
  name[0] = prefix[0];
  name[1] = prefix[1];
  name[2] = '0' + i / 100;
  name[3] = '0' + i / 10 % 10;
  name[4] = '0' + i % 10;
  name[5] = 0;
}

/* More open files than the system's file table holds: opens fail with -1
 * and everything comes back. Each child holds six descriptors already
 * (0, 1, 2 and three pipe ends), leaving NOFILE-6 to open. */
static void
nfile(void)
{
  int rep[2], go[2], total = 0, per = NOFILE - 6, nkids = NFILE / per + 2;
  char c;
  if (pipe(rep) < 0 || pipe(go) < 0)
    fail("pipe failed");
  for (int i = 0; i < nkids; i++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      int n = 0;
      close(go[1]);
      while (open("README", O_RDONLY) >= 0)
        n++;
      write(rep[1], &n, sizeof(n));
      read(go[0], &c, 1);
      exit(0);
    }
  }
  for (int i = 0; i < nkids; i++) {
    int n;
    if (read(rep[0], &n, sizeof(n)) != sizeof(n))
      fail("child did not report");
    total += n;
  }
  close(go[1]);
  for (int i = 0; i < nkids; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("child failed (status %d)", st);
  }
  if (total > NFILE || total == nkids * per)
    fail("children opened %d files, the table holds %d", total, NFILE);
  int fd = open("README", O_RDONLY);
  if (fd < 0)
    fail("open fails after the files were closed");
  close(fd);
  close(go[0]);
  close(rep[0]);
  close(rep[1]);
}

/* More distinct files open than the kernel has in-memory inodes: opens
 * fail with -1, no panic, and all works afterwards. */
static void
inodefull(void)
{
  int nf = NINODE + 10, per = NOFILE - 6, rep[2], go[2], total = 0;
  int nkids = (nf + per - 1) / per;
  char name[8], c;
  for (int i = 0; i < nf; i++) {
    numname(name, "in", i);
    if (writefile(name, name, 5) < 0)
      fail("create %s failed", name);
  }
  if (pipe(rep) < 0 || pipe(go) < 0)
    fail("pipe failed");
  for (int k = 0; k < nkids; k++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      int n = 0;
      close(go[1]);
      for (int i = k * per; i < nf && i < (k + 1) * per; i++) {
        numname(name, "in", i);
        n += open(name, O_RDONLY) >= 0;
      }
      write(rep[1], &n, sizeof(n));
      read(go[0], &c, 1);
      exit(0);
    }
  }
  for (int k = 0; k < nkids; k++) {
    int n;
    if (read(rep[0], &n, sizeof(n)) != sizeof(n))
      fail("child did not report");
    total += n;
  }
  close(go[1]);
  while (wait(0) > 0)
    ;
  close(go[0]);
  close(rep[0]);
  close(rep[1]);
  if (total >= nf)
    fail("%d distinct files open at once with NINODE %d", total, NINODE);
  for (int i = 0; i < nf; i++) {
    numname(name, "in", i);
    if (readfile(name, buf, 10) != 5 || unlink(name) != 0)
      fail("%s unusable afterwards", name);
  }
}

/* Create files until the disk runs out of inodes: create fails with -1;
 * after unlinking, creating works again. */
static void
diskinodes(void)
{
  char name[8];
  int n = 0;
  for (; n < 1000; n++) {
    numname(name, "di", n);
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0)
      break;
    close(fd);
  }
  if (n == 1000)
    fail("created 1000 files on a disk with few inodes");
  if (mkdir("dinodir") != -1)
    fail("mkdir succeeded with no inodes left");
  for (int i = 0; i < n; i++) {
    numname(name, "di", i);
    if (unlink(name) != 0)
      fail("unlink %s failed", name);
  }
  if (writefile("di000", "x", 1) < 0 || unlink("di000") != 0)
    fail("cannot create after freeing inodes");
}

/* Fill the disk with data: a write fails instead of the kernel dying;
 * after unlinking, the blocks come back. */
static void
diskfull(void)
{
  char name[8];
  int nfiles = 0, full = 0;
  memset(buf, 'd', BSIZE);
  while (!full && nfiles < 20) {
    numname(name, "df", nfiles++);
    int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
    if (fd < 0)
      break;
    for (int b = 0; b < MAXFILE; b++) {
      if (write(fd, buf, BSIZE) != BSIZE) {
        full = 1;
        break;
      }
    }
    close(fd);
  }
  if (!full)
    fail("%d files of MAXFILE blocks fit on a %d-block disk", nfiles, FSSIZE);
  for (int i = 0; i < nfiles; i++) {
    numname(name, "df", i);
    unlink(name);
  }
  blockfile("dfafter", 40, 0);
}

/* Device nodes without a driver: reads and writes fail cleanly. */
static void
devbad(void)
{
  unlink("devbad");
  if (mknod("devbad", NDEV + 5, 0) == 0) {
    int fd = open("devbad", O_RDWR);
    if (fd >= 0 && (read(fd, buf, 1) != -1 || write(fd, "x", 1) != -1))
      fail("i/o on an out-of-range major did not fail");
    if (fd >= 0)
      close(fd);
    unlink("devbad");
  }
  if (mknod("devbad", -1, 0) == 0)
    unlink("devbad");
  if (mknod("devbad", NDEV - 1, 0) != 0)
    fail("mknod failed");
  int fd = open("devbad", O_RDWR);
  if (fd >= 0 && (read(fd, buf, 1) != -1 || write(fd, "x", 1) != -1))
    fail("i/o on a device with no driver did not fail");
  if (fd >= 0)
    close(fd);
  if (unlink("devbad") != 0)
    fail("unlink failed");
}

/* ---- directories ------------------------------------------------------------ */

/* mkdir, duplicate mkdir, non-empty unlink fails, empty unlink works. */
static void
mkdirtest(void)
{
  struct stat st;
  if (mkdir("mkd") != 0 || mkdir("mkd") != -1)
    fail("mkdir, or refusing a second mkdir, failed");
  if (stat("mkd", &st) < 0 || st.type != T_DIR)
    fail("not a directory");
  if (writefile("mkd/f", "x", 1) < 0)
    fail("create inside failed");
  if (unlink("mkd") != -1)
    fail("unlink of a non-empty directory succeeded");
  if (unlink("mkd/f") != 0 || unlink("mkd") != 0)
    fail("unlink of the emptied directory failed");
  if (chdir("mkd") != -1 || mkdir("mkd/x") != -1 || mkdir("no-such/x") != -1 || mkdir("") != -1)
    fail("used a missing directory");
}

/* "." and ".." resolve; neither can be unlinked. */
static void
dotdot(void)
{
  struct stat root, d, x;
  if (mkdir("dd") != 0 || stat("/", &root) < 0 || stat("dd", &d) < 0)
    fail("setup failed");
  if (stat("dd/..", &x) < 0 || x.ino != root.ino)
    fail("dd/.. is not /");
  if (stat("dd/.", &x) < 0 || x.ino != d.ino || stat("/..", &x) < 0 || x.ino != root.ino)
    fail(". resolves wrongly");
  if (stat("dd/../dd/./../dd", &x) < 0 || x.ino != d.ino)
    fail("mixed path resolves wrongly");
  if (chdir("dd") != 0 || stat(".", &x) < 0 || x.ino != d.ino)
    fail("chdir dd failed");
  if (writefile("../ddf", "up", 2) < 0)
    fail("create through .. failed");
  if (unlink(".") != -1 || unlink("..") != -1)
    fail("unlinked . or .. from inside");
  if (chdir("..") != 0 || stat(".", &x) < 0 || x.ino != root.ino)
    fail("chdir .. did not return to /");
  if (unlink("dd/.") != -1 || unlink("dd/..") != -1 || mkdir("dd/.") != -1)
    fail("unlinked or made dd/. or dd/..");
  if (readfile("ddf", buf, 10) != 2 || unlink("ddf") != 0 || unlink("dd") != 0)
    fail("cleanup failed");
}

/* chdir into missing things and files fails; relative paths follow cwd. */
static void
chdirtest(void)
{
  if (chdir("no-such") != -1 || chdir("README") != -1)
    fail("chdir to a missing directory or a file succeeded");
  if (mkdir("cdd") != 0 || chdir("cdd") != 0)
    fail("mkdir or chdir failed");
  if (writefile("x", "in", 2) < 0 || chdir("/") != 0)
    fail("create in the new cwd failed");
  if (readfile("cdd/x", buf, 10) != 2)
    fail("file not where cwd was");
  if (unlink("cdd/x") != 0 || unlink("cdd") != 0)
    fail("cleanup failed");
}

/* A file is not a directory: paths through it fail. */
static void
dirfile(void)
{
  if (writefile("dfile", "f", 1) < 0)
    fail("create failed");
  if (mkdir("dfile/x") != -1 || open("dfile/x", O_CREATE | O_RDWR) != -1)
    fail("created something inside a file");
  if (open("dfile/x", O_RDONLY) != -1 || unlink("dfile/x") != -1 || chdir("dfile") != -1)
    fail("used a file as a directory");
  if (link("README", "dfile/x") != -1)
    fail("linked into a file");
  int fd = open("dfile", O_CREATE | O_RDWR);
  if (fd < 0)
    fail("O_CREATE of an existing file failed");
  close(fd);
  unlink("dfile");
}

/* Removing a directory from outside after working in it. */
static void
rmdot(void)
{
  if (mkdir("dots") != 0 || chdir("dots") != 0)
    fail("setup failed");
  if (unlink(".") != -1 || unlink("..") != -1)
    fail("unlinked . or ..");
  if (chdir("/") != 0 || unlink("dots/.") != -1 || unlink("dots/..") != -1)
    fail("unlinked dots/. or dots/..");
  if (unlink("dots") != 0)
    fail("could not remove dots");
}

/* More nested directories than in-memory inodes, entered and left. */
static void
iref(void)
{
  int n = NINODE + 5;
  for (int i = 0; i < n; i++) {
    if (mkdir("irefd") != 0 || chdir("irefd") != 0)
      fail("level %d: mkdir or chdir failed", i);
    if (writefile("f", "", 0) < 0 || unlink("f") != 0)
      fail("level %d: file failed", i);
  }
  for (int i = 0; i < n; i++)
    if (chdir("..") != 0 || unlink("irefd") != 0)
      fail("level %d: climbing out failed", n - i);
}

/* Names in a directory file, skipping free slots; returns how many match
 * prefix, failing if any name repeats. */
static int
listdir(char *dir, char *prefix)
{
  static char seen[64];
  struct dirent de;
  int fd = open(dir, O_RDONLY), n = 0, plen = strlen(prefix);
  if (fd < 0)
    fail("open %s failed", dir);
  memset(seen, 0, sizeof(seen));
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0 || memcmp(de.name, prefix, plen) != 0)
      continue;
    int k = atoi(de.name + plen);
    if (k < 0 || k >= sizeof(seen) || seen[k])
      fail("entry %s repeated or out of range", de.name);
    seen[k] = 1;
    n++;
  }
  close(fd);
  return n;
}

/* Three processes create and delete the same names in one directory at
 * once; afterwards every name appears at most once and all can go. */
static void
concreate(void)
{
  char name[16] = "ccdir/c00";
  if (mkdir("ccdir") != 0)
    fail("mkdir failed");
  for (int id = 0; id < 3; id++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 40; i++) {
          name[7] = '0' + i / 10;
          name[8] = '0' + i % 10;
          if ((i + id + r) % 3 == 0)
            unlink(name);
          else {
            int fd = open(name, O_CREATE | O_RDWR);
            if (fd < 0)
              exit(2);
            write(fd, "c", 1);
            close(fd);
          }
        }
      }
      exit(0);
    }
  }
  for (int i = 0; i < 3; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("child failed (status %d)", st);
  }
  listdir("ccdir", "c");
  for (int i = 0; i < 40; i++) {
    name[7] = '0' + i / 10;
    name[8] = '0' + i % 10;
    unlink(name);
  }
  if (listdir("ccdir", "c") != 0)
    fail("entries left after unlinking all");
  if (unlink("ccdir") != 0)
    fail("directory not removable");
}

/* ---- sbrk ---------------------------------------------------------------- */

/* Grow a byte at a time and a page at a time; shrink; sbrk(0) tracks. */
static void
sbrkbasic(void)
{
  char *a = sbrk(0), *b;
  for (int i = 0; i < 300; i++) {
    b = sbrk(1);
    if (b != a)
      fail("sbrk(1) returned %p, expected %p", b, a);
    *b = i;
    a = b + 1;
  }
  if (sbrk(0) != a)
    fail("sbrk(0) wrong");
  b = sbrk(10 * PGSIZE);
  if (b != a)
    fail("sbrk(10 pages) returned the wrong address");
  for (int i = 0; i < 10 * PGSIZE; i++)
    b[i] = i * 3;
  for (int i = 0; i < 10 * PGSIZE; i++)
    if (b[i] != (char)(i * 3))
      fail("grown memory lost a write at %d", i);
  if (sbrk(-10 * PGSIZE) != b + 10 * PGSIZE || sbrk(0) != b)
    fail("shrinking returned the wrong address");
  if (sbrk(-300) != b || sbrk(0) != b - 300)
    fail("small shrink wrong");
}

/* Eager growth takes frames; shrinking gives them back; freed pages are gone. */
static void
sbrkshrink(void)
{
  int f0 = freeframes();
  char *a = sbrk(256 * PGSIZE);
  if (a == SBRK_ERROR)
    fail("sbrk of 256 pages failed");
  int f1 = freeframes();
  if (f0 - f1 < 256)
    fail("256 pages took only %d frames", f0 - f1);
  memset(a, 1, 256 * PGSIZE);
  sbrk(-256 * PGSIZE);
  int f2 = freeframes();
  if (f0 - f2 > PT_SLACK)
    fail("shrinking kept %d frames", f0 - f2);
  expect_killed(load, (uint64)a + 10 * PGSIZE, "reading shrunk memory");
}

/* Impossible growth fails with SBRK_ERROR and changes nothing. */
static void
sbrkhuge(void)
{
  char *a = sbrk(0);
  struct memstat ms;
  memstat(0, &ms);
  /* With a swap disk, page replacement makes room for an eager sbrk: only
   * more than memory holds at once must fail. */
  uint64 f = freeframes(), over = ms.swap_total ? ms.frames_total : f;
  uint64 sizes[] = {1 << 30, 0x7fffffff, (over + 64) * PGSIZE};
  /* Each size that is more than free memory (and fits sbrk's int) fails. */
  for (int i = 0; i < 3; i++)
    if (sizes[i] > f * PGSIZE && sizes[i] <= 0x7fffffff && sbrk((int)sizes[i]) != SBRK_ERROR)
      fail("sbrk of %d bytes, more than free memory, succeeded", (int)sizes[i]);
  if (sbrk(0) != a)
    fail("failed sbrk moved the break");
  if (freeframes() < f - PT_SLACK)
    fail("failed sbrk kept %d frames", (int)(f - freeframes()));
  char *b = sbrklazy(1 << 30);
  if (b != SBRK_ERROR && (b != a || sbrklazy(-(1 << 30)) == SBRK_ERROR))
    fail("lazy sbrk of 1 GiB returned a bad address or would not shrink");
  if (sbrk(0) != a)
    fail("break moved");
  b = sbrk(PGSIZE);
  if (b != a)
    fail("process cannot grow after failed sbrk");
  b[0] = b[PGSIZE - 1] = 1;
}

/* Eager growth 1 MiB past free memory. With a swap disk that has room, it
 * succeeds (page replacement sends other pages out: under memhog, the
 * hog's) and every new page keeps what is written; without one it fails
 * and the break stays. */
static void
sbrkpastfree(void)
{
  struct memstat ms;
  memstat(0, &ms);
  long past = 256, f = freeframes(), n = f + past;
  long room = (long)(ms.swap_total - ms.swap_used), total = (long)ms.frames_total;
  char *a = sbrk(0);
  if (ms.swap_total == 0) {
    if (sbrk(n * PGSIZE) != SBRK_ERROR || sbrk(0) != a)
      fail("sbrk of %ld pages, %ld free, succeeded without swap", n, f);
    return;
  }
  if (room < 4 * past || n + 4 * past > total)
    return; /* too little swap, or too little memory in use, to say */
  char *p = sbrk(n * PGSIZE);
  if (p != a)
    fail("sbrk of %ld pages (%ld free, %ld swap slots free) failed", n, f, room);
  for (long i = 0; i < n; i++)
    *(long *)(p + i * PGSIZE) = i;
  for (long i = 0; i < n; i++)
    if (*(long *)(p + i * PGSIZE) != i)
      fail("page %ld of %ld holds %ld", i, n, *(long *)(p + i * PGSIZE));
  if (sbrk(-n * PGSIZE) != p + n * PGSIZE || sbrk(0) != a)
    fail("giving the pages back");
}

/* Shrinking by more than the size fails. */
static void
sbrkneg(void)
{
  char *a = sbrk(0);
  int sz = (int)(uint64)a;
  /* xv6's rule: a shrink below 0 changes nothing and returns the old end. */
  if (sbrk(-(sz + PGSIZE)) != a || sbrk(-(sz + 1)) != a)
    fail("shrinking below 0 did not return the old end");
  if (sbrk(-0x7fffffff - 1) != a)
    fail("sbrk(INT_MIN) did not return the old end");
  if (sbrk(0) != a)
    fail("break moved");
}

/* Shrink to nothing (or into the text): the process dies or the call fails,
 * the kernel lives. */
static void
shrink_all(uint64 keep)
{
  uint64 sz = (uint64)sbrk(0);
  sbrk(-(int)(sz - keep));
}

/* sbrk that removes text and stack: killed or refused, never a panic. */
static void
sbrkbugs(void)
{
  uint64 keeps[] = {0, 3500, 2 * PGSIZE};
  for (int i = 0; i < 3; i++) {
    int st = child_status(shrink_all, keeps[i]);
    if (st != -1 && st != 0)
      fail("shrinking to %d: status %d", (int)keeps[i], st);
  }
}

/* Lazy growth costs no frames until touched, reads as zero, and works as a
 * system-call buffer and across fork. */
static void
sbrklazy_test(void)
{
  int npages = 1024, st = -5;
  int f0 = freeframes();
  char *a = sbrklazy(npages * PGSIZE);
  if (a == SBRK_ERROR)
    fail("sbrklazy failed");
  if (f0 - freeframes() > 8)
    fail("lazy growth took %d frames", f0 - freeframes());
  for (int i = 0; i < npages; i += 7)
    if (a[i * PGSIZE + (i % PGSIZE)] != 0)
      fail("lazy page %d not zero", i);
  a[5 * PGSIZE] = 7;
  if (a[5 * PGSIZE] != 7)
    fail("write to a lazy page lost");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    if (a[5 * PGSIZE] != 7 || a[9 * PGSIZE] != 0)
      exit(2);
    a[9 * PGSIZE] = 1;
    a[10 * PGSIZE] = 1;
    exit(0);
  }
  if (wait(&st) != pid || st != 0)
    fail("child saw wrong lazy memory (status %d)", st);
  if (a[9 * PGSIZE] != 0 || a[10 * PGSIZE] != 0)
    fail("child's write to lazy memory visible in the parent");
  int fd = open("README", O_RDONLY);
  if (fd < 0 || read(fd, a + 100 * PGSIZE - 10, 100) != 100)
    fail("read into untouched lazy pages failed");
  close(fd);
  fd = open("lazyf", O_CREATE | O_TRUNC | O_RDWR);
  if (fd < 0 || write(fd, a + 200 * PGSIZE, 100) != 100)
    fail("write from untouched lazy page failed");
  close(fd);
  if (readfile("lazyf", buf, 200) != 100 || buf[0] != 0 || buf[99] != 0)
    fail("lazy page did not write zeros");
  unlink("lazyf");
  int *p = (int *)(a + 300 * PGSIZE);
  if (pipe(p) != 0)
    fail("pipe into a lazy page failed");
  close(p[0]);
  close(p[1]);
  if (sbrklazy(-npages * PGSIZE) == SBRK_ERROR)
    fail("shrink failed");
  if (f0 - freeframes() > PT_SLACK)
    fail("shrinking lazy memory kept %d frames", f0 - freeframes());
}

/* sbrk'd memory as system-call buffers. */
static void
sbrkarg(void)
{
  char *a = sbrk(PGSIZE);
  if (a == SBRK_ERROR)
    fail("sbrk failed");
  int fd = open("sbrkf", O_CREATE | O_RDWR | O_TRUNC);
  memset(a, 'z', PGSIZE);
  if (fd < 0 || write(fd, a, PGSIZE) != PGSIZE)
    fail("write from sbrk'd memory failed");
  close(fd);
  unlink("sbrkf");
  if (pipe((int *)a) != 0)
    fail("pipe into sbrk'd memory failed");
  close(((int *)a)[0]);
  close(((int *)a)[1]);
}

/* ---- exec ------------------------------------------------------------------ */

/* echo runs with its arguments and its output is right. */
static void
execok(void)
{
  char *argv[] = {"echo", "hello", "world", 0};
  int n, st = capture("echo", argv, &n);
  if (st != 0 || strcmp(outbuf, "hello world\n") != 0)
    fail("echo exited %d with output '%s'", st, outbuf);
}

/* exec of missing paths and directories returns -1 to the caller. */
static void
execfail(void)
{
  char *argv[] = {"echo", 0};
  if (exec("/no-such-program", argv) != -1 || exec("", argv) != -1)
    fail("exec of a missing file did not return -1");
  if (exec("/", argv) != -1 || exec(".", argv) != -1)
    fail("exec of a directory did not return -1");
  if (exec("README", argv) != -1)
    fail("exec of a text file did not return -1");
}

/* More than MAXARG arguments fail; MAXARG-1 work. */
static void
execmaxarg(void)
{
  char *argv[MAXARG + 3];
  int n;
  argv[0] = "echo";
  for (int i = 1; i < MAXARG + 2; i++)
    argv[i] = "a";
  argv[MAXARG + 2] = 0;
  if (exec("echo", argv) != -1)
    fail("exec with %d arguments did not fail", MAXARG + 2);
  argv[MAXARG + 1] = 0;
  if (exec("echo", argv) != -1)
    fail("exec with %d arguments did not fail", MAXARG + 1);
  argv[MAXARG - 1] = 0;
  int st = capture("echo", argv, &n);
  if (st != 0 || n != 2 * (MAXARG - 2))
    fail("exec with %d arguments: status %d, %d bytes out", MAXARG - 1, st, n);
}

/* Arguments too big for the stack page fail cleanly; ones that fit work. */
static void
execbigargs(void)
{
  char *argv[MAXARG + 1];
  int n, st;
  memset(bigarg, 'b', sizeof(bigarg) - 1);
  bigarg[sizeof(bigarg) - 1] = 0;
  argv[0] = "echo";
  argv[1] = bigarg + sizeof(bigarg) - 1 - 3000;
  argv[2] = 0;
  st = capture("echo", argv, &n);
  if (st != 0 || n != 3001)
    fail("one 3000-byte argument: status %d, %d bytes out", st, n);
  argv[2] = argv[3] = argv[1];
  argv[4] = 0;
  if ((st = capture("echo", argv, &n)) != EXEC_FAILED)
    fail("three 3000-byte arguments did not fail (status %d)", st);
  argv[1] = bigarg;
  argv[2] = 0;
  if ((st = capture("echo", argv, &n)) != EXEC_FAILED)
    fail("a %d-byte argument did not fail (status %d)", (int)sizeof(bigarg), st);
  argv[1] = bigarg + sizeof(bigarg) - 1 - (PGSIZE - 1);
  st = capture("echo", argv, &n);
  if (st != EXEC_FAILED && st != 0)
    fail("a page-sized argument: status %d", st);
  for (int i = 1; i < MAXARG - 1; i++)
    argv[i] = bigarg + sizeof(bigarg) - 1 - 1000;
  argv[MAXARG - 1] = 0;
  if ((st = capture("echo", argv, &n)) != EXEC_FAILED)
    fail("%d 1000-byte arguments did not fail (status %d)", MAXARG - 2, st);
}

/* Ways to damage a copy of echo; each must make exec fail. */
enum {
  BAD_GARBAGE,
  BAD_TRUNCATED,
  BAD_MAGIC,
  BAD_MACHINE,
  BAD_CLASS,
  BAD_PHOFF,
  BAD_PHNUM,
  BAD_MEMSZ,
  BAD_VADDR_WRAP,
  BAD_VADDR_TOP,
  BAD_OFF,
  BAD_ALIGN,
  BAD_FILESZ,
  BAD_ENTRY,
  BAD_CUT,
  BAD_EMPTY,
  BAD_NOLOAD,
  BAD_BIGMEM,
  NBAD
};

static char *bad_names[NBAD] = {"garbage",
                                "truncated header",
                                "bad magic",
                                "bad machine",
                                "32-bit class",
                                "phoff beyond file",
                                "phnum 0xffff",
                                "memsz < filesz",
                                "vaddr wraps",
                                "vaddr at TRAPFRAME",
                                "segment offset beyond file",
                                "unaligned vaddr",
                                "huge filesz",
                                "entry outside the image",
                                "file cut after 1 block",
                                "empty file",
                                "no loadable segment",
                                "1 GiB segment"};

/* The first loadable program header in the ELF image at hdr, or 0. */
static struct proghdr *
first_load(char *hdr)
{
  struct elfhdr *eh = (struct elfhdr *)hdr;
  for (int i = 0; i < eh->phnum; i++) {
    struct proghdr *ph = (struct proghdr *)(hdr + eh->phoff + i * sizeof(struct proghdr));
    if ((char *)(ph + 1) > hdr + BSIZE)
      return 0;
    if (ph->type == ELF_PROG_LOAD)
      return ph;
  }
  return 0;
}

/* Apply damage kind to the first block of an ELF file. Returns how many
 * bytes of the file to keep (-1: all). */
static int
damage(char *hdr, int kind)
{
  struct elfhdr *eh = (struct elfhdr *)hdr;
  struct proghdr *ph = first_load(hdr);
  switch (kind) {
  case BAD_TRUNCATED: return 30;
  case BAD_MAGIC: eh->magic ^= 0x100; break;
  case BAD_MACHINE: eh->machine = 62; break;
  case BAD_CLASS: eh->elf[0] = 1; break;
  case BAD_PHOFF: eh->phoff = 0x1000000; break;
  case BAD_PHNUM: eh->phnum = 0xffff; break;
  case BAD_MEMSZ:
    ph->memsz = ph->filesz > 0 ? ph->filesz - 1 : 0;
    ph->filesz = ph->memsz + 1;
    break;
  case BAD_VADDR_WRAP: ph->vaddr = 0xfffffffffffff000UL; break;
  case BAD_VADDR_TOP: ph->vaddr = TRAPFRAME; break;
  case BAD_OFF: ph->off = 0x10000000; break;
  case BAD_ALIGN: ph->vaddr += 0x10; break;
  case BAD_FILESZ: ph->filesz = ph->memsz = 0xffffffffff0UL; break;
  case BAD_ENTRY: eh->entry = 0x7fffffff0UL; break;
  case BAD_CUT: return BSIZE;
  case BAD_EMPTY: return 0;
  case BAD_BIGMEM: ph->memsz = 1UL << 30; break;
  case BAD_NOLOAD:
    for (int i = 0; i < eh->phnum; i++)
      ((struct proghdr *)(hdr + eh->phoff + i * sizeof(struct proghdr)))->type = 0;
    break;
  }
  return -1;
}

/* Write a damaged copy of echo to name. */
static void
make_bad_elf(char *name, int kind)
{
  int in = open("echo", O_RDONLY), out = open(name, O_CREATE | O_TRUNC | O_WRONLY), n;
  if (in < 0 || out < 0)
    fail("cannot copy echo");
  if (kind == BAD_GARBAGE) {
    uint seed = 5;
    for (int i = 0; i < 2000; i++)
      buf[i] = rnd(&seed);
    write(out, buf, 2000);
  } else {
    if (read(in, buf, BSIZE) != BSIZE || first_load(buf) == 0)
      fail("echo is not an ELF file we understand");
    int keep = kind < 0 ? -1 : damage(buf, kind);
    write(out, buf, keep >= 0 && keep < BSIZE ? keep : BSIZE);
    while (keep < 0 && (n = read(in, buf, BSIZE)) > 0)
      write(out, buf, n);
  }
  close(in);
  close(out);
}

/* Malformed ELF files: exec returns -1 and the caller goes on. An intact
 * copy runs, which shows the copying is right. */
static void
execbadelf(void)
{
  char *argv[] = {"badelf", "intact", 0};
  int n, st;
  make_bad_elf("badelf", -1);
  if ((st = capture("badelf", argv, &n)) != 0 || strcmp(outbuf, "intact\n") != 0)
    fail("intact copy of echo did not run (status %d)", st);
  for (int kind = 0; kind < NBAD; kind++) {
    make_bad_elf("badelf", kind);
    if ((st = capture("badelf", argv, &n)) != EXEC_FAILED)
      fail("%s: exec did not fail (status %d)", bad_names[kind], st);
  }
  make_bad_elf("badelf", BAD_MACHINE);
  if (exec("badelf", argv) != -1)
    fail("exec of a bad machine type returned");
  unlink("badelf");
}

/* ---- bad pointers ------------------------------------------------------------ */

static uint64 bads[16]; /* addresses no system call may use */
static int nbad;

/* Fill bads: kernel memory, the top of the address space, the page just
 * above the heap, the stack's guard page. */
static void
collect_bad(void)
{
  uint64 fixed[] = {0x80000000UL, 0x80200000UL, 0x80200000UL + 0x3000, MAXVA - 1, MAXVA,
                    TRAPFRAME,    TRAMPOLINE,   0xffffffffffffffffUL,  1UL << 50};
  nbad = 0;
  for (int i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
    bads[nbad++] = fixed[i];
  bads[nbad++] = PGROUNDUP((uint64)sbrk(0));
  bads[nbad++] = PGROUNDUP((uint64)sbrk(0)) + 7 * PGSIZE + 8;
  bads[nbad++] = guard_page();
  bads[nbad++] = guard_page() + PGSIZE - 8;
}

/* copyin: write() from a bad buffer (to a file, the console, a pipe) fails
 * with -1 and writes nothing; the process lives. (MIT's grade-lab-cow looks
 * for this test, copyout and copyinstr1 by name, in this order.) */
static void
copyin(void)
{
  struct stat st;
  collect_bad();
  int fdw = open("bpf", O_CREATE | O_TRUNC | O_RDWR), p[2];
  if (fdw < 0 || pipe(p) < 0)
    fail("setup failed");
  for (int i = 0; i < nbad; i++) {
    char *a = (char *)bads[i];
    if (write(fdw, a, 10) != -1 || write(1, a, 10) != -1 || write(p[1], a, 10) != -1)
      fail("write from %p did not fail", a);
    if (write(fdw, a, 8192) != -1 || write(p[1], a, 8192) != -1)
      fail("write of 8192 bytes from %p did not fail", a);
  }
  if (write(fdw, (char *)MAXVA - 1, 100) != -1)
    fail("write from a buffer across MAXVA did not fail");
  if (write(fdw, buf, -1) > 0)
    fail("write of -1 bytes wrote");
  if (fstat(fdw, &st) < 0 || st.size != 0)
    fail("failed writes wrote %d bytes", (int)st.size);
  close(fdw);
  close(p[0]);
  close(p[1]);
  unlink("bpf");
}

/* copyout: read(), pipe() and fstat() into a bad buffer (kernel memory,
 * beyond the heap, read-only text) fail with -1, change nothing and leak no
 * descriptor; the process lives. */
static void
copyout(void)
{
  char text[16];
  collect_bad();
  int first = nextfd();
  int fdr = open("README", O_RDONLY), p[2];
  if (fdr < 0 || pipe(p) < 0)
    fail("setup failed");
  for (int i = 0; i < nbad; i++) {
    char *a = (char *)bads[i];
    if (read(fdr, a, 10) != -1 || read(fdr, a, 1) != -1 || read(fdr, a, 8192) != -1)
      fail("read into %p did not fail", a);
    if (pipe((int *)a) != -1 || fstat(fdr, (struct stat *)a) != -1)
      fail("pipe or fstat into %p did not fail", a);
    if (nextfd() != first + 3)
      fail("pipe into %p leaked descriptors", a);
  }
  write(p[1], "abc", 3);
  if (read(p[0], (char *)bads[0], 3) != -1)
    fail("pipe read into kernel memory did not fail");
  if (read(fdr, (char *)MAXVA - 1, 100) != -1)
    fail("read into a buffer across MAXVA did not fail");
  memcpy(text, (char *)copyout, sizeof(text));
  if (read(fdr, (char *)copyout, sizeof(text)) != -1 || memcmp(text, (char *)copyout, 16) != 0)
    fail("read into read-only text did not fail");
  if (pipe((int *)copyout) != -1 || fstat(fdr, (struct stat *)copyout) != -1)
    fail("pipe or fstat into text did not fail");
  char *end = sbrk(0);
  int n = read(fdr, end - 10, 100);
  if (n != -1 && (n < 0 || n > 10))
    fail("read across the heap end returned %d", n);
  if (read(fdr, buf, -1) > 0 || read(fdr, buf, 0) != 0)
    fail("negative or zero lengths misbehave");
  close(fdr);
  close(p[0]);
  close(p[1]);
}

/* copyinstr1: every path-taking call with a bad path pointer returns -1. */
static void
copyinstr1(void)
{
  char *argv[] = {"echo", 0};
  collect_bad();
  for (int i = 0; i < nbad; i++) {
    char *a = (char *)bads[i];
    if (open(a, O_RDONLY) != -1 || open(a, O_CREATE | O_RDWR) != -1)
      fail("open(%p) did not fail", a);
    if (exec(a, argv) != -1)
      fail("exec(%p) did not fail", a);
    if (link(a, "bpl") != -1 || link("README", a) != -1)
      fail("link with %p did not fail", a);
    if (unlink(a) != -1 || mkdir(a) != -1 || chdir(a) != -1 || mknod(a, 1, 1) != -1)
      fail("unlink, mkdir, chdir or mknod of %p did not fail", a);
  }
  char *end = sbrk(0);
  if (PGROUNDUP((uint64)end) - (uint64)end < 3)
    end = sbrk(8) + 8;
  char *e = (char *)PGROUNDUP((uint64)end) - 3;
  memset(e, 'a', 3);
  if (open(e, O_RDONLY) != -1 || mkdir(e) != -1 || unlink(e) != -1 || exec(e, argv) != -1)
    fail("path running off the heap did not fail");
  if (open("bpl", O_RDONLY) != -1)
    fail("a bad call created bpl");
}

/* wait, exec's argv, memstat and vmquery with bad pointers return -1. */
static void
badptrmisc(void)
{
  struct vmquery q;
  collect_bad();
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0)
    exit(0);
  for (int i = 0; i < nbad; i++)
    if (wait((int *)bads[i]) != -1)
      fail("wait(%p) did not fail", (char *)bads[i]);
  if (wait((int *)badptrmisc) != -1)
    fail("wait into text did not fail");
  int w = wait(0);
  if (w != pid && w != -1)
    fail("wait(0) returned %d", w);
  if (wait(0) != -1)
    fail("stray child");
  for (int i = 0; i < nbad; i++) {
    char *argv[] = {"echo", (char *)bads[i], 0};
    if (exec("echo", (char **)bads[i]) != -1 || exec("echo", argv) != -1)
      fail("exec with argv or argv[1] at %p did not fail", (char *)bads[i]);
    if (memstat(0, (struct memstat *)bads[i]) != -1 ||
        memstat(getpid(), (struct memstat *)bads[i]) != -1 ||
        vmquery(0, 0, (struct vmquery *)bads[i]) != -1)
      fail("memstat or vmquery into %p did not fail", (char *)bads[i]);
    int r = vmquery(0, bads[i], &q);
    if (r != 0 && r != -1)
      fail("vmquery of va %p returned %d", (char *)bads[i], r);
  }
  if (memstat(0, (struct memstat *)badptrmisc) != -1)
    fail("memstat into text did not fail");
  char *end = sbrk(PGSIZE) + PGSIZE;
  char **av = (char **)(PGROUNDDOWN((uint64)end) - 3 * sizeof(char *));
  av[0] = av[1] = av[2] = "echo";
  if (exec("echo", av) != -1)
    fail("exec with an argv running off the heap did not fail");
}

/* ---- memory protection (the child must be killed) ------------------------------ */

/* User loads and stores to kernel memory, the trampoline, the trapframe and
 * beyond MAXVA kill the process. */
static void
kernmem(void)
{
  uint64 addrs[] = {0x80000000UL,
                    0x80200000UL,
                    0x80200000UL + 0x5000,
                    0x80000000UL + (64 << 20),
                    TRAMPOLINE,
                    TRAPFRAME,
                    MAXVA - 1,
                    MAXVA,
                    1UL << 40,
                    0xffffffffffffffffUL};
  for (int i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
    expect_killed(load, addrs[i], "load");
    expect_killed(store, addrs[i], "store");
  }
  expect_killed(jump, TRAMPOLINE, "jump to trampoline");
  expect_killed(jump, 0x80200000UL, "jump to the kernel");
}

/* Loads and stores to the stack guard page and above the heap kill. */
static void
guardpage(void)
{
  uint64 g = guard_page(), h = PGROUNDUP((uint64)sbrk(0));
  expect_killed(load, g, "load from guard page");
  expect_killed(load, g + PGSIZE - 1, "load from guard page");
  expect_killed(store, g + PGSIZE - 8, "store to guard page");
  expect_killed(load, under_stack(), "load below the stack pointer");
  expect_killed(load, h, "load above the heap");
  expect_killed(store, h + 5 * PGSIZE, "store above the heap");
}

/* Recurse with a big frame until the stack runs into the guard page. */
static int
recurse(int n)
{
  volatile char pad[512];
  pad[0] = n;
  if (n == 0)
    return pad[0];
  return recurse(n - 1) + pad[0];
}

/* Overflow the stack: recurse deeper than it can grow. */
static void
overflow(uint64 depth)
{
  recurse((int)depth);
}

/* Running off the stack, past all the room it may grow into, kills the
 * process. */
static void
stackoverflow(void)
{
  expect_killed(overflow, 2 * (USERSTACK + STACKGROW) * PGSIZE / 512, "stack overflow");
}

/* Text is read-only; data is not executable. */
static void
textwrite(void)
{
  static uint ret_insn[4] = {0x00008067}; /* ret */
  expect_killed(store, (uint64)textwrite, "store into text");
  expect_killed(store, 0, "store to address 0");
  expect_killed(jump, (uint64)ret_insn, "execute data");
  expect_killed(jump, (uint64)buf, "execute bss");
}

/* vmquery reports the permissions of text, data, and the guard page. */
static void
vmflags(void)
{
  struct vmquery q;
  expect(vmquery(0, (uint64)vmflags, &q), 0, "vmquery of text");
  expect_flags(q.flags, PTE_V | PTE_X | PTE_W | PTE_U, PTE_V | PTE_X | PTE_U, "text");
  buf[0] = 1;
  expect(vmquery(0, (uint64)buf, &q), 0, "vmquery of data");
  expect_flags(q.flags, PTE_W | PTE_X | PTE_U, PTE_W | PTE_U, "data");
  expect(vmquery(0, guard_page(), &q), 0, "vmquery of the guard page");
  expect_flags(q.flags, PTE_U, 0, "guard page");
  expect(vmquery(0, TRAMPOLINE, &q), 0, "vmquery of the trampoline");
  expect_flags(q.flags, PTE_U, 0, "trampoline");
}

/* memstat answers for the system and for a process. */
static void
memstattest(void)
{
  struct memstat m;
  if (memstat(0, &m) != 0 || m.frames_total < m.frames_free || m.frames_free == 0)
    fail("global memstat wrong");
  int f = freeframes();
  if (m.frames_free > f + 4 || m.frames_free + 4 < f)
    fail("memstat says %d free, freeframes %d", (int)m.frames_free, f);
  if (memstat(getpid(), &m) != 0 || m.sz != (uint64)sbrk(0))
    fail("process memstat size %d, sbrk(0) %d", (int)m.sz, (int)(uint64)sbrk(0));
  if (memstat(1000000, &m) != -1)
    fail("memstat of a missing pid succeeded");
}

/* bss starts zeroed. */
static void
bsstest(void)
{
  for (int i = 0; i < sizeof(bss_zero); i++)
    if (bss_zero[i])
      fail("bss byte %d not zero", i);
}

/* malloc and free many blocks; contents survive; a big block works. */
static void
malloctest(void)
{
  char *blocks[64];
  for (int i = 0; i < 64; i++) {
    blocks[i] = malloc(16 + i * 97);
    if (blocks[i] == 0)
      fail("malloc failed");
    memset(blocks[i], i, 16 + i * 97);
  }
  for (int i = 0; i < 64; i += 2)
    free(blocks[i]);
  for (int i = 1; i < 64; i += 2)
    for (int j = 0; j < 16 + i * 97; j++)
      if (blocks[i][j] != i)
        fail("block %d corrupted", i);
  char *big = malloc(1 << 20);
  if (big == 0)
    fail("malloc of 1 MiB failed");
  memset(big, 1, 1 << 20);
  free(big);
}

/* ---- copy-on-write ---------------------------------------------------------- */

/* Fill cowbuf with byte c. */
static void
cowfill(char c)
{
  memset(cowbuf, c, sizeof(cowbuf));
}

/* 1 if cowbuf[from..to) all equal c. */
static int
cowis(int from, int to, char c)
{
  for (int i = from; i < to; i++)
    if (cowbuf[i] != c)
      return 0;
  return 1;
}

/* The child writes; the parent's copy is unchanged. */
static void
cowchild(void)
{
  int st = -5;
  cowfill('p');
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    cowfill('c');
    exit(cowis(0, sizeof(cowbuf), 'c') ? 0 : 2);
  }
  if (wait(&st) != pid || st != 0)
    fail("child's writes failed (status %d)", st);
  if (!cowis(0, sizeof(cowbuf), 'p'))
    fail("child's writes visible in the parent");
}

/* The parent writes after fork; the child still sees the old values. */
static void
cowparent(void)
{
  int p[2], st = -5;
  char c;
  cowfill('o');
  if (pipe(p) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    read(p[0], &c, 1);
    exit(cowis(0, sizeof(cowbuf), 'o') ? 0 : 2);
  }
  cowfill('n');
  write(p[1], "g", 1);
  if (wait(&st) != pid || st != 0)
    fail("parent's writes visible in the child (status %d)", st);
  if (!cowis(0, sizeof(cowbuf), 'n'))
    fail("parent's writes lost");
  close(p[0]);
  close(p[1]);
}

/* The kernel writes into a shared page (pipe read and file read in the
 * child): the child gets the data, the parent keeps its copy. */
static void
cowpipe(void)
{
  int p[2], st = -5, len = PGSIZE + 100;
  cowfill('A');
  if (pipe(p) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    close(p[1]);
    int got = 0, n;
    while (got < len && (n = read(p[0], cowbuf + 100 + got, len - got)) > 0)
      got += n;
    if (got != len || !cowis(0, 100, 'A') || !cowis(100, 100 + len, 'B'))
      exit(2);
    int fd = open("README", O_RDONLY);
    if (fd < 0 || read(fd, cowbuf + 2 * PGSIZE + 50, 10) != 10)
      exit(3);
    exit(0);
  }
  close(p[0]);
  memset(wbuf, 'B', len);
  if (write(p[1], wbuf, len) != len)
    fail("pipe write failed");
  close(p[1]);
  if (wait(&st) != pid || st != 0)
    fail("child's kernel-written buffer wrong (status %d)", st);
  if (!cowis(0, sizeof(cowbuf), 'A'))
    fail("kernel write in the child changed the parent's memory");
}

/* Three children write the same shared pages at once. */
static void
cowmany(void)
{
  cowfill('m');
  for (int i = 0; i < 3; i++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      for (int r = 0; r < 20; r++) {
        cowfill('0' + i);
        if (!cowis(0, sizeof(cowbuf), '0' + i))
          exit(2);
      }
      exit(0);
    }
  }
  for (int i = 0; i < 3; i++) {
    int st = -5;
    if (wait(&st) < 0 || st != 0)
      fail("a child saw another's writes (status %d)", st);
  }
  if (!cowis(0, sizeof(cowbuf), 'm'))
    fail("children's writes visible in the parent");
}

/* ---- out of memory ---------------------------------------------------------- */

/* Write one byte in every page of [a, a+n). */
static void
touch_pages(char *a, uint64 n, char v)
{
  for (uint64 i = 0; i < n; i += PGSIZE)
    a[i] = v;
}

/* Nearly out of memory: fork fails or succeeds (with copy-on-write it must
 * succeed once a few hundred pages are free); a child that writes more than
 * is free is killed; the parent's memory is intact. */
static void
oomfork(void)
{
  int cow = cow_enabled();
  char *a = sbrk(0);
  uint64 eaten = eat_memory();
  if (eaten < (1 << 20))
    fail("could only take %d bytes", (int)eaten);
  /* COW fork still needs the child's page tables: a page per 512 pages. */
  int forked = 0, most = 256 + eaten / PGSIZE / 256;
  for (int k = 0; k <= most; k = k ? 2 * k : 1) {
    if (sbrk(-k * PGSIZE) == SBRK_ERROR)
      fail("shrink failed");
    eaten -= k * PGSIZE;
    int pid = fork();
    if (pid < 0)
      continue;
    forked++;
    if (pid == 0) {
      touch_pages(a, eaten, 1);
      exit(0);
    }
    int st = 0;
    if (wait(&st) != pid || (st != -1 && st != 0))
      fail("child exited %d", st);
    for (uint64 i = 0; i < eaten; i += 97 * PGSIZE)
      if (a[i] != 0)
        fail("child's writes reached the parent's memory");
  }
  if (forked == 0 && cow)
    fail("fork never succeeded, even with %d more pages free", most);
}

/* Out of memory: sbrk fails; giving memory back lets it succeed again. */
static void
oomsbrk(void)
{
  char *a = sbrk(0);
  uint64 eaten = eat_memory();
  if (sbrk(PGSIZE) != SBRK_ERROR || sbrk(1 << 20) != SBRK_ERROR)
    fail("sbrk succeeded with memory exhausted");
  if (sbrk(0) != a + eaten)
    fail("failed sbrk moved the break");
  if (give_back(eaten) != 0 || sbrk(0) != a)
    fail("giving memory back failed");
  if (sbrk(PGSIZE) == SBRK_ERROR)
    fail("sbrk fails after memory came back");
}

/* Out of memory: pipe and fork fail cleanly; the kernel writing into a
 * copy-on-write or lazy page it cannot back fails the call with -1. */
static void
oomsyscalls(void)
{
  int p[2], go[2], st = -5;
  char c;
  cowfill('k');
  if (pipe(go) < 0)
    fail("pipe failed");
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    read(go[0], &c, 1);
    exit(0);
  }
  char *lazy = sbrklazy(4 * PGSIZE);
  int cow = cow_enabled();
  int fd = open("README", O_RDONLY), first = nextfd();
  uint64 eaten = eat_memory();
  int strict = freeframes() == 0;
  if (pipe(p) == 0) {
    if (strict)
      fail("pipe succeeded with no free frames");
    close(p[0]);
    close(p[1]);
  }
  if (nextfd() != first)
    fail("failed pipe leaked a descriptor");
  int c2 = fork();
  if (c2 == 0)
    exit(0);
  if (c2 > 0) {
    if (strict)
      fail("fork succeeded with no free frames");
    wait(0);
  }
  /* Only a copy-on-write kernel shares cowbuf with the child. */
  int r = read(fd, cowbuf + PGSIZE + 8, 10);
  if (strict && cow && r != -1)
    fail("read into a shared page with no free frames returned %d", r);
  if (r == -1 && !cowis(0, sizeof(cowbuf), 'k'))
    fail("failed read changed the buffer");
  r = read(fd, lazy + PGSIZE, 10);
  if (strict && r != -1)
    fail("read into a lazy page with no free frames returned %d", r);
  give_back(eaten);
  if (read(fd, cowbuf + PGSIZE + 8, 10) != 10 || read(fd, lazy + PGSIZE, 10) != 10)
    fail("reads fail after memory came back");
  close(fd);
  write(go[1], "g", 1);
  if (wait(&st) != pid || st != 0)
    fail("sharing child failed (status %d)", st);
  close(go[0]);
  close(go[1]);
  if (!strict)
    printf("%s: note: %d frames left after eating memory\n", utest_name, freeframes());
}

/* Out of memory, leaving k pages: exec fails (status EXEC_FAILED) or runs
 * echo (status 0). echo writes into a pipe whose read end stays open, so its
 * write succeeds (echo exits 1 if it cannot write). */
static void
exec_short(uint64 k)
{
  char *argv[] = {"echo", "oom", 0};
  int p[2];
  if (pipe(p) < 0)
    exit(3);
  eat_memory();
  sbrk(-(int)k * PGSIZE);
  close(1);
  dup(p[1]);
  close(p[1]);
  exec("echo", argv);
  exit(EXEC_FAILED);
}

/* exec with memory exhausted fails cleanly; with some memory it may work. */
static void
oomexec(void)
{
  int ks[] = {0, 1, 3, 6, 10, 20, 40};
  for (int i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
    int st = child_status(exec_short, ks[i]);
    if (st != EXEC_FAILED && (st != 0 || ks[i] == 0))
      fail("exec with %d pages free: status %d", ks[i], st);
  }
}

/* A process holding all memory forks; the child writes every page and is
 * killed for want of memory; then the parent writes its own pages. Needs
 * copy-on-write fork (without it such a fork cannot succeed). */
static void
oomboth(void)
{
  if (!cow_enabled())
    return;
  char *a = sbrk(0);
  uint64 eaten = eat_memory();
  int pid = -1;
  for (int k = 32; pid < 0 && k <= 4096; k *= 2) {
    sbrk(-k * PGSIZE);
    eaten -= k * PGSIZE;
    pid = fork();
  }
  if (pid < 0)
    fail("fork never succeeded");
  if (pid == 0) {
    touch_pages(a, eaten, 'c');
    exit(0);
  }
  int st = 0;
  if (wait(&st) != pid || st != -1)
    fail("child writing all memory exited %d, expected to be killed", st);
  touch_pages(a, eaten, 'p');
  for (uint64 i = 0; i < eaten; i += PGSIZE)
    if (a[i] != 'p')
      fail("parent's page %d wrong", (int)(i / PGSIZE));
}

/* Take all memory, fork, and have parent and child write every shared page
 * at once. Exits 10 if the child was killed and this process survived, 11
 * if both survived, 2 if fork never worked (or is killed itself). */
static void
oomrace_body(uint64 unused)
{
  char *a = sbrk(0);
  uint64 eaten = eat_memory();
  int pid = -1;
  for (int k = 32; pid < 0 && k <= 4096; k *= 2) {
    sbrk(-k * PGSIZE);
    eaten -= k * PGSIZE;
    pid = fork();
  }
  if (pid < 0)
    exit(2);
  touch_pages(a, eaten, pid ? 'p' : 'c');
  if (pid == 0)
    exit(0);
  int st = 0;
  wait(&st);
  exit(st == -1 ? 10 : 11);
}

/* Racing writers run memory out: one or both are killed (by whichever
 * fault finds no frame first), the kernel lives, every frame comes back.
 * Needs copy-on-write fork. */
static void
oomrace(void)
{
  if (!cow_enabled())
    return;
  int st = child_status(oomrace_body, 0);
  if (st != -1 && st != 10)
    fail("status %d: both survived or fork failed", st);
}

/* ---- the table -------------------------------------------------------------- */

static const struct utest tests[] = {
    {forkwait, "forkwait"},
    {exitstatus, "exitstatus"},
    {nochildren, "nochildren"},
    {getpidtest, "getpid"},
    {exitwait, "exitwait"},
    {reparent, "reparent"},
    {orphans, "orphans"},
    {forkfork, "forkfork"},
    {forkfull, "forkfull"},
    {preempt, "preempt"},
    {killsleep, "killsleep"},
    {killrace, "killrace"},
    {killbad, "killbad"},
    {vforktest, "vfork"},
    {vforkmore, "vforkmore"},
    {sleeptest, "sleep"},
    {badsyscall, "badsyscall"},
    {pipebasic, "pipebasic"},
    {pipereaderclose, "pipereaderclose"},
    {pipewriters, "pipewriters"},
    {pipebig, "pipebig", UTEST_SLOW},
    {pipemany, "pipemany"},
    {pipefds, "pipefds"},
    {createwrite, "createwrite"},
    {overwrite, "overwrite"},
    {truncopen, "truncopen"},
    {openmodes, "openmodes"},
    {unlinkopen, "unlinkopen"},
    {linktest, "link"},
    {renametest, "rename"},
    {longnames, "longnames"},
    {deeppath, "deeppath"},
    {fdexhaust, "fdexhaust"},
    {dupoffset, "dupoffset"},
    {manyfiles, "manyfiles"},
    {midfile, "midfile"},
    {bigfile, "bigfile", UTEST_SLOW},
    {sharedfd, "sharedfd"},
    {concfiles, "concfiles"},
    {createdelete, "createdelete"},
    {linkunlink, "linkunlink"},
    {nfile, "nfile"},
    {inodefull, "inodefull"},
    {diskinodes, "diskinodes"},
    {diskfull, "diskfull", UTEST_SLOW},
    {devbad, "devbad"},
    {mkdirtest, "mkdir"},
    {dotdot, "dotdot"},
    {chdirtest, "chdir"},
    {dirfile, "dirfile"},
    {rmdot, "rmdot"},
    {iref, "iref"},
    {concreate, "concreate"},
    {sbrkbasic, "sbrkbasic"},
    {sbrkshrink, "sbrkshrink"},
    {sbrkhuge, "sbrkhuge"},
    {sbrkpastfree, "sbrkpastfree"},
    {sbrkneg, "sbrkneg"},
    {sbrkbugs, "sbrkbugs"},
    {sbrklazy_test, "sbrklazy"},
    {sbrkarg, "sbrkarg"},
    {execok, "execok"},
    {execfail, "execfail"},
    {execmaxarg, "execmaxarg"},
    {execbigargs, "execbigargs"},
    {execbadelf, "execbadelf"},
    {copyin, "copyin"},
    {copyout, "copyout"},
    {copyinstr1, "copyinstr1"},
    {badptrmisc, "badptrmisc"},
    {kernmem, "kernmem"},
    {guardpage, "guardpage"},
    {stackoverflow, "stackoverflow"},
    {textwrite, "textwrite"},
    {vmflags, "vmflags"},
    {memstattest, "memstat"},
    {bsstest, "bss"},
    {malloctest, "malloc"},
    {cowchild, "cowchild"},
    {cowparent, "cowparent"},
    {cowpipe, "cowpipe"},
    {cowmany, "cowmany"},
    {oomsbrk, "oomsbrk"},
    {oomsyscalls, "oomsyscalls"},
    {oomfork, "oomfork"},
    {oomexec, "oomexec"},
    {oomboth, "oomboth"},
    {oomrace, "oomrace", UTEST_SLOW},
};

/* usertests [-q] [-c N] [NAME ...]: run the tests (-q: all but the slow
 * ones), N times over. */
int
main(int argc, char *argv[])
{
  utest_main("usertests", "", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
