/* fsabuse.c: the file system, the buffer cache and the console under a
 * hostile user (issue 17, problems 1-4, and its list of abuses).
 *
 * One table of {function, "name"} rows at the bottom, run by the shared
 * runner (utest.c): each test in a child of its own, its orphans waited for,
 * then free frames must be exactly as before and memcheck must agree. A test
 * fails through fail() (utest.h); returning means it passed. Every test
 * removes what it created, so that test/fscheck finds the image clean after a
 * run (test/run_tests.py checks that). Ends with "ALL FSABUSE TESTS PASSED".
 *
 *   fsabuse            run every test
 *   fsabuse NAME ...   run the named tests only
 *
 * One process, no threads: nothing here needs a lock. The user stack is a
 * single page, so every buffer bigger than a few words is a global. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "user/utest.h"

/* Ticks a killed process may take to be reaped; it must stop within one
 * block or page of work, so this is generous even on a loaded machine. */
#define KILL_TICKS 200

static char buf[8 * BSIZE];  /* scratch for file data */
static char wbuf[8 * BSIZE]; /* what writers send */

/* ---- helpers ------------------------------------------------------------ */

/* name = prefix followed by i in three digits (prefix of two bytes). */
static void
numname(char *name, char *prefix, int i)
{
  name[0] = prefix[0];
  name[1] = prefix[1];
  name[2] = '0' + i / 100 % 10;
  name[3] = '0' + i / 10 % 10;
  name[4] = '0' + i % 10;
  name[5] = 0;
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
  int fd = open(name, O_RDONLY);
  if (fd < 0)
    return -1;
  int n = read(fd, dst, max);
  close(fd);
  return n;
}

/* Inode number of path, or -1 if stat fails. */
static int
inum(char *path)
{
  struct stat st;
  return stat(path, &st) < 0 ? -1 : (int)st.ino;
}

/* Entries of directory dir named name, or -1 if dir cannot be read. */
static int
entries_named(char *dir, char *name)
{
  struct dirent de;
  int fd = open(dir, O_RDONLY), n = 0;
  if (fd < 0)
    return -1;
  while (read(fd, &de, sizeof(de)) == sizeof(de))
    n += de.inum != 0 && strcmp(de.name, name) == 0;
  close(fd);
  return n;
}

/* Wait for every child; returns how many exited with a status other than 0. */
static int
reap_all(void)
{
  int st, bad = 0;
  while (wait(&st) > 0)
    bad += st != 0;
  return bad;
}

/* ---- problem 1: the buffer cache under load ------------------------------- */

/* Readers each with a file of their own, plus writers keeping the log full;
 * NPROC leaves room for init, sh, this program, the test and the writers. */
#define BL_READERS (NPROC - 4 - BL_WRITERS)
#define BL_WRITERS 3
#define BL_ROUNDS  40
#define BL_RSIZE   (6 * BSIZE)

/* open(name, mode), retried while it fails: the processes of bufload have
 * more files open than the inode table holds. */
static int
bl_open(char *name, int mode)
{
  int fd;
  while ((fd = open(name, mode)) < 0)
    sleep(1);
  return fd;
}

/* Reader i: read its file BL_ROUNDS times and check every byte. */
static void
bl_reader(int i)
{
  char name[8];
  numname(name, "br", i);
  for (int r = 0; r < BL_ROUNDS; r++) {
    int fd = bl_open(name, O_RDONLY);
    int n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n != BL_RSIZE)
      fail("reader %d: read returned %d", i, n);
    for (int k = 0; k < BL_RSIZE; k++)
      if (buf[k] != (char)('a' + i % 26))
        fail("reader %d: wrong byte at %d", i, k);
  }
  exit(0);
}

/* Writer i: rewrite its file BL_ROUNDS times with sizeof(wbuf) bytes. */
static void
bl_writer(int i)
{
  char name[8];
  numname(name, "bw", i);
  for (int r = 0; r < BL_ROUNDS; r++) {
    int fd = bl_open(name, O_CREATE | O_TRUNC | O_WRONLY);
    int n = write(fd, wbuf, sizeof(wbuf));
    close(fd);
    if (n != sizeof(wbuf))
      fail("writer %d: write returned %d", i, n);
  }
  exit(0);
}

/* Problem 1: many readers missing the cache while writers keep the log's
 * blocks pinned run out of buffers; they must wait, never panic. (With a
 * cache no bigger than the log this panicked at once on 1 hart.) */
static void
bufload(void)
{
  char name[8];
  int started = 0;

  memset(wbuf, 'w', sizeof(wbuf));
  for (int i = 0; i < BL_READERS; i++) {
    numname(name, "br", i);
    memset(buf, 'a' + i % 26, BL_RSIZE);
    if (writefile(name, buf, BL_RSIZE) < 0)
      fail("create %s failed", name);
  }
  for (int i = 0; i < BL_WRITERS + BL_READERS; i++) {
    int pid = fork();
    if (pid == 0) {
      if (i < BL_WRITERS)
        bl_writer(i);
      bl_reader(i - BL_WRITERS);
    }
    started += pid > 0;
  }
  int bad = reap_all();
  if (started < BL_WRITERS + BL_READERS / 2)
    fail("only %d of %d processes started", started, BL_WRITERS + BL_READERS);
  if (bad)
    fail("%d of %d processes failed", bad, started);
  for (int i = 0; i < BL_READERS; i++) {
    numname(name, "br", i);
    unlink(name);
  }
  for (int i = 0; i < BL_WRITERS; i++) {
    numname(name, "bw", i);
    unlink(name);
  }
}

/* ---- problem 2: the in-memory inode table full ---------------------------- */

#define HOLD_FILES (NINODE + 10) /* more files than the table holds */
#define HOLD_EACH  10 /* opened per holder: NOFILE less 0-2, 2 pipe ends and the test's own */

/* In a child: open holder files [first, first+HOLD_EACH), report how many
 * opened through rep, then wait for go to close. */
static void
hold_inodes(int first, int rep, int go)
{
  char name[8], c;
  int n = 0;
  for (int i = first; i < first + HOLD_EACH && i < HOLD_FILES; i++) {
    numname(name, "ho", i);
    n += open(name, O_RDONLY) >= 0;
  }
  write(rep, &n, sizeof(n));
  read(go, &c, 1);
  exit(0);
}

/* Fill the in-memory inode table with holder children. Returns the write
 * end of the pipe whose closing releases them (the caller then reaps them),
 * or fails the test if the table never filled. */
static int
fill_itable(void)
{
  char name[8];
  int rep[2], go[2];

  for (int i = 0; i < HOLD_FILES; i++) {
    numname(name, "ho", i);
    if (writefile(name, name, 5) < 0)
      fail("create %s failed", name);
  }
  if (pipe(rep) < 0 || pipe(go) < 0)
    fail("pipe failed");
  for (int first = 0; first < HOLD_FILES; first += HOLD_EACH) {
    int pid = fork(), n;
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      close(rep[0]);
      close(go[1]);
      hold_inodes(first, rep[1], go[0]);
    }
    if (read(rep[0], &n, sizeof(n)) != sizeof(n))
      fail("holder did not report");
    if (n < HOLD_EACH) {
      close(rep[0]);
      close(rep[1]);
      close(go[0]);
      return go[1];
    }
  }
  fail("%d files open at once with NINODE %d", HOLD_FILES, NINODE);
}

/* Release the holders of fill_itable and remove their files. */
static void
release_itable(int go)
{
  char name[8];
  close(go);
  reap_all();
  for (int i = 0; i < HOLD_FILES; i++) {
    numname(name, "ho", i);
    unlink(name);
  }
}

/* Problem 2: with the inode table full, a lookup that cannot load the inode
 * it found is an error, not "no such name": link and create must not add a
 * second entry under a name that exists, and every call that looks a name up
 * fails with -1. */
static void
dupname(void)
{
  struct stat st;
  char *argv[] = {"dn_b", 0};

  if (mkdir("dn") != 0 || chdir("dn") != 0)
    fail("mkdir dn failed");
  if (writefile("dn_a", "aaaa", 4) < 0 || writefile("dn_b", "bbbb", 4) < 0)
    fail("create failed");
  int fa = open("dn_a", O_RDONLY); /* dn_a stays in the table */
  if (fa < 0)
    fail("open dn_a failed");
  int go = fill_itable();
  int rlink = link("dn_a", "dn_b");
  int rcreate = open("dn_b", O_CREATE | O_RDWR);
  int rmkdir = mkdir("dn_b"), rmknod = mknod("dn_b", 9, 0);
  int runlink = unlink("dn_b"), rchdir = chdir("dn_b"), ropen = open("dn_b", O_RDONLY);
  int rexec = exec("dn_b", argv);
  int rstat = stat("/dn/dn_b", &st);
  release_itable(go);
  if (rlink != -1)
    fail("link onto an existing name returned %d with the inode table full", rlink);
  if (entries_named(".", "dn_b") != 1)
    fail("%d entries named dn_b", entries_named(".", "dn_b"));
  if (rcreate >= 0 || rmkdir != -1 || rmknod != -1 || runlink != -1 || rchdir != -1 || ropen >= 0 ||
      rexec != -1 || rstat != -1)
    fail("a lookup succeeded with the inode table full (%d %d %d %d %d %d %d %d)", rcreate, rmkdir,
         rmknod, runlink, rchdir, ropen, rexec, rstat);
  if (fstat(fa, &st) < 0 || st.nlink != 1 || readfile("dn_b", buf, 8) != 4 ||
      memcmp(buf, "bbbb", 4) != 0)
    fail("dn_a or dn_b changed");
  close(fa);
  if (unlink("dn_a") != 0 || unlink("dn_b") != 0 || chdir("..") != 0 || unlink("dn") != 0)
    fail("cleanup failed");
}

/* ---- problem 3: removed directories --------------------------------------- */

/* Nothing can be created in the current directory, which has been removed;
 * fails the test otherwise. */
static void
expect_dead_cwd(void)
{
  int fd;
  if ((fd = open("f", O_CREATE | O_RDWR)) >= 0)
    fail("created a file in a removed directory");
  if (mkdir("g") == 0 || mknod("n", 9, 0) == 0 || link("/README", "l") == 0)
    fail("created a name in a removed directory");
  if (chdir("..") == 0 || open(".", O_RDONLY) >= 0)
    fail("found an entry in a removed directory");
}

/* Problem 3: a process may remove its own (empty) current directory, as in
 * Unix; after that nothing can be created in it, and its inode is freed
 * when the process leaves it (the next mkdir gets the same inode back). */
static void
rmcwd(void)
{
  int ino = -1;
  for (int i = 0; i < 20; i++) {
    if (mkdir("rc") != 0 || chdir("rc") != 0)
      fail("mkdir rc failed");
    if (ino != -1 && inum("/rc") != ino)
      fail("round %d: removed directory's inode %d was not freed", i, ino);
    ino = inum("/rc");
    if (unlink("/rc") != 0)
      fail("unlink of the empty current directory failed");
    expect_dead_cwd();
    if (chdir("/") != 0)
      fail("chdir / failed");
  }
  if (mkdir("rc") != 0 || chdir("rc") != 0 || writefile("f", "x", 1) < 0)
    fail("mkdir rc failed");
  if (unlink("/rc") != -1)
    fail("removed a current directory that is not empty");
  if (unlink("f") != 0 || chdir("/") != 0 || unlink("rc") != 0)
    fail("cleanup failed");
}

/* A directory removed while open: fstat says no links, nothing can be made
 * in it by a path through it, and closing it frees it. */
static void
rmopendir(void)
{
  struct stat st;
  if (mkdir("od") != 0)
    fail("mkdir od failed");
  int ino = inum("od"), fd = open("od", O_RDONLY);
  if (fd < 0 || unlink("od") != 0)
    fail("open or unlink of od failed");
  if (fstat(fd, &st) < 0 || st.nlink != 0 || st.type != T_DIR)
    fail("removed directory has nlink %d", st.nlink);
  if (writefile("od/x", "x", 1) == 0)
    fail("created a file under a removed name");
  close(fd);
  if (mkdir("od") != 0 || inum("od") != ino || unlink("od") != 0)
    fail("removed directory's inode %d was not freed", ino);
}

/* ---- problem 4: killing a process in a long write ------------------------- */

/* Fork a child that writes n bytes from buffer b to fd in one call; kill it
 * after a few ticks and fail the test unless it is reaped within KILL_TICKS. */
static void
kill_writer(int fd, char *b, int n)
{
  int st = 0;
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  if (pid == 0) {
    write(fd, b, n);
    exit(0);
  }
  sleep(5);
  kill(pid);
  int t0 = uptime();
  if (wait(&st) != pid)
    fail("wait failed");
  if (uptime() - t0 > KILL_TICKS)
    fail("killed writer took %d ticks to stop", uptime() - t0);
}

/* Problem 4, pipe: a 64 MiB write from lazily grown memory to a pipe nobody
 * reads stops when the writer is killed. */
static void
killpipe(void)
{
  int p[2];
  char *b = sbrklazy(64 << 20);
  if (b == SBRK_ERROR || pipe(p) < 0)
    fail("sbrklazy or pipe failed");
  kill_writer(p[1], b, 64 << 20);
  close(p[0]);
  close(p[1]);
}

/* Problem 4, file: a 64 MiB write to a file stops when the writer is killed
 * (or at the largest file size); either way the file can be removed. */
static void
killfile(void)
{
  char *b = sbrklazy(64 << 20);
  int fd = open("kf", O_CREATE | O_TRUNC | O_WRONLY);
  if (b == SBRK_ERROR || fd < 0)
    fail("sbrklazy or create failed");
  kill_writer(fd, b, 64 << 20);
  close(fd);
  if (unlink("kf") != 0)
    fail("unlink failed");
}

/* Problem 4, console: a 4 MiB write of spaces to the console stops when the
 * writer is killed (the UART takes it far slower than KILL_TICKS allow). */
static void
killcons(void)
{
  int n = 4 << 20;
  char *b = sbrk(n);
  if (b == SBRK_ERROR)
    fail("sbrk failed");
  memset(b, ' ', n);
  kill_writer(1, b, n);
  printf("\n");
}

/* ---- the abuse list --------------------------------------------------------- */

/* Names of DIRSIZ bytes are kept whole; one byte more is cut to DIRSIZ, so
 * it names the same file. */
static void
dirsize(void)
{
  char *n14 = "fsabuse_name14", *n15 = "fsabuse_name14X";
  if (strlen(n14) != DIRSIZ || strlen(n15) != DIRSIZ + 1)
    fail("test is wrong");
  if (writefile(n14, "14", 2) < 0 || entries_named(".", n14) != 1)
    fail("create of a %d-byte name failed", DIRSIZ);
  if (inum(n15) != inum(n14) || writefile(n15, "15", 2) < 0 || readfile(n14, buf, 8) != 2 ||
      buf[1] != '5')
    fail("a %d-byte name is not the same file", DIRSIZ + 1);
  if (mkdir(n15) != -1 || link(n14, n15) != -1)
    fail("made a second entry under a cut name");
  if (unlink(n15) != 0 || inum(n14) != -1)
    fail("unlink by the long name failed");
}

#define DEPTH 100

#define UP 38 /* ".." elements in one path: 3 * UP + 8 < MAXPATH */

/* DEPTH nested directories, made and removed one level at a time; from the
 * bottom, one path of UP ".." elements climbs UP levels. */
static void
deepdirs(void)
{
  char path[MAXPATH];
  for (int i = 0; i < DEPTH; i++)
    if (mkdir("d") != 0 || chdir("d") != 0)
      fail("mkdir at depth %d failed", i);
  if (writefile("leaf", "deep", 4) < 0)
    fail("create at the bottom failed");
  for (int i = 0; i < UP; i++)
    strcpy(path + 3 * i, "../");
  strcpy(path + 3 * UP, "d/d/leaf");
  if (strlen(path) >= MAXPATH || readfile(path, buf, 8) != -1)
    fail("test is wrong");
  path[3 * UP] = 0;
  if (inum(path) == -1 || chdir(path) != 0 || chdir("d/d/d") != 0 || chdir("..") != 0)
    fail("a path of %d .. elements did not climb", UP);
  if (unlink("d") != -1)
    fail("removed a directory that is not empty");
  for (int depth = DEPTH - UP + 2; depth < DEPTH; depth++)
    if (chdir("d") != 0)
      fail("descending again failed at depth %d", depth);
  if (unlink("leaf") != 0)
    fail("unlink leaf failed");
  for (int i = 0; i < DEPTH; i++)
    if (chdir("..") != 0 || unlink("d") != 0)
      fail("climbing out at depth %d failed", DEPTH - i);
}

/* ".." of the root is the root; neither can be removed or created. */
static void
dotdotroot(void)
{
  if (inum("/..") != ROOTINO || inum("/../..") != ROOTINO || inum("/.") != ROOTINO)
    fail("/.. is not the root");
  if (chdir("/..") != 0 || inum(".") != ROOTINO || inum("..") != ROOTINO)
    fail("chdir /.. did not stay at the root");
  if (unlink("/..") != -1 || unlink("/.") != -1 || unlink("/") != -1 || unlink("..") != -1)
    fail("removed the root or one of its dot entries");
  if (mkdir("/..") != -1 || mkdir("/") != -1 || open("/..", O_CREATE | O_RDWR) >= 0)
    fail("created over the root");
}

/* Links to directories are refused, so the tree stays a tree. */
static void
linkdir(void)
{
  if (mkdir("ld") != 0)
    fail("mkdir failed");
  if (link("ld", "ld2") != -1 || link("/", "ld3") != -1 || link("ld/.", "ld4") != -1 ||
      link("ld/..", "ld/up") != -1)
    fail("linked a directory");
  if (inum("ld2") != -1 || inum("ld3") != -1 || inum("ld4") != -1 || unlink("ld") != 0)
    fail("a refused link left a name behind");
}

#define DF_FILE (64 * BSIZE) /* bytes per file: the disk holds about 24 */

/* Fill the disk, go on writing (each write fails, nothing breaks), then free
 * it and write again. */
static void
diskfull(void)
{
  char name[8];
  int nfiles = 0;
  memset(wbuf, 'd', sizeof(wbuf));
  for (int full = 0; !full && nfiles < 100; nfiles++) {
    numname(name, "df", nfiles);
    int fd = open(name, O_CREATE | O_WRONLY), w, total = 0;
    if (fd < 0)
      break;
    while (total < DF_FILE && (w = write(fd, wbuf, sizeof(wbuf))) > 0)
      total += w;
    full = total < DF_FILE;
    close(fd);
  }
  if (nfiles == 100)
    fail("the disk did not fill");
  for (int i = 0; i < 10; i++)
    if (writefile("dfmore", wbuf, sizeof(wbuf)) == 0 || mkdir("dfdir") == 0)
      fail("a full disk took more");
  for (int i = 0; i < nfiles; i++) {
    numname(name, "df", i);
    unlink(name);
  }
  unlink("dfmore");
  if (writefile("dfmore", wbuf, sizeof(wbuf)) < 0 || unlink("dfmore") != 0)
    fail("writing after the disk was freed failed");
}

#define NF_PROCS 12           /* NF_PROCS * NF_EACH > NFILE */
#define NF_EACH  (NOFILE - 5) /* NOFILE less 0-2 and 2 pipe ends */

/* NOFILE descriptors in several processes at once: the system file table
 * runs out, opens fail with -1, and all comes back. */
static void
nofile(void)
{
  int rep[2], go[2], total = 0;
  char c;
  if (pipe(rep) < 0 || pipe(go) < 0)
    fail("pipe failed");
  for (int k = 0; k < NF_PROCS; k++) {
    int pid = fork();
    if (pid < 0)
      fail("fork failed");
    if (pid == 0) {
      int n = 0;
      close(rep[0]);
      close(go[1]);
      while (open("README", O_RDONLY) >= 0)
        n++;
      write(rep[1], &n, sizeof(n));
      read(go[0], &c, 1);
      exit(0);
    }
  }
  for (int k = 0; k < NF_PROCS; k++) {
    int n;
    if (read(rep[0], &n, sizeof(n)) != sizeof(n))
      fail("child did not report");
    total += n;
  }
  close(go[1]);
  reap_all();
  if (total > NFILE || total == NF_PROCS * NF_EACH)
    fail("%d files open with NFILE %d: the table did not fill", total, NFILE);
  int fd = open("README", O_RDONLY);
  if (fd < 0 || read(fd, buf, 4) != 4)
    fail("open after the table emptied failed");
  close(fd);
}

/* ---- the table -------------------------------------------------------------- */

static const struct utest tests[] = {
    {bufload, "bufload"},       {dupname, "dupname"},   {rmcwd, "rmcwd"},
    {rmopendir, "rmopendir"},   {killpipe, "killpipe"}, {killfile, "killfile"},
    {killcons, "killcons"},     {dirsize, "dirsize"},   {deepdirs, "deepdirs"},
    {dotdotroot, "dotdotroot"}, {linkdir, "linkdir"},   {diskfull, "diskfull"},
    {nofile, "nofile"},
};

/* fsabuse [NAME ...]: run the named tests, or all. */
int
main(int argc, char *argv[])
{
  utest_main("fsabuse", "FSABUSE", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
