/* cowdemo.c: the textbook's copy-on-write scenario (Figures 10.7 and 10.8),
 * narrated and checked.
 *
 * A parent fills three pages A, B and C and forks. Before anyone writes,
 * both processes map the same three frames, each with two references, W
 * cleared and COW set. Then the child writes to C: the child's C gets a frame
 * of its own (one reference each), A and B stay shared. The parent prints
 * both processes' tables while the child is blocked in read(), so that its
 * pages stay as they are while they are looked at. Last, the parent writes C, now
 * that it holds the only reference, and keeps its frame (reuse, no copy).
 * Then the classic `int x = 10` example. Every line is machine-checkable, e.g.
 *   before: parent A frame 0x87f3a refs 2 flags r--u COW
 * and the last line is "cowdemo: ok" only if the program verified the facts
 * itself; otherwise "cowdemo: FAILED ..." and exit status 1.
 *
 * One process at a time runs each step (pipes order them); no locks.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define NPAGES 3

static const char names[NPAGES] = {'A', 'B', 'C'};
static int x; /* the textbook's x; set to 10 at run time */

/* Say what failed and exit 1. */
static void
failed(const char *why)
{
  printf("cowdemo: FAILED %s\n", why);
  exit(1);
}

/* Fail with why unless ok. */
static void
require(int ok, const char *why)
{
  if (!ok)
    failed(why);
}

/* What backs page va of pid (0: this process). */
static struct vmquery
query(int pid, char *va)
{
  struct vmquery q;
  require(vmquery(pid, (uint64)va, &q) == 0, "vmquery refused");
  return q;
}

/* Print one row: "<when>: <who> <page> frame 0x.. refs N flags rwxu[ COW]". */
static void
row(const char *when, const char *who, char name, struct vmquery *q)
{
  char flags[PTEFLAGS_LEN];
  printf("%s: %s %c frame 0x%lx refs %lu flags %s\n", when, who, name, q->pa >> 12, q->refcount,
         pteflags(q->flags, flags));
}

/* Print and return the parent's (me) and the child's (kid) view of pages. */
static void
table(const char *when, int child, char *pages, struct vmquery *me, struct vmquery *kid)
{
  for (int i = 0; i < NPAGES; i++) {
    me[i] = query(0, pages + i * PGSIZE);
    kid[i] = query(child, pages + i * PGSIZE);
    row(when, "parent", names[i], &me[i]);
    row(when, "child", names[i], &kid[i]);
  }
}

/* Is q shared copy-on-write by two processes? */
static int
shared2(struct vmquery *q)
{
  return q->refcount == 2 && (q->flags & (PTE_W | PTE_COW)) == PTE_COW;
}

/* The child: wait, write C, say so, wait, check its data, exit. */
static void
child(char *pages, int *go, int *done)
{
  char c;

  close(go[1]);
  close(done[0]);
  require(read(go[0], &c, 1) == 1, "child: no go");
  pages[2 * PGSIZE] = 'c';
  require(write(done[1], "w", 1) == 1, "child: cannot report");
  require(read(go[0], &c, 1) == 1, "child: no second go");
  require(pages[0] == 'A' && pages[PGSIZE] == 'B' && pages[2 * PGSIZE] == 'c', "child's data");
  exit(0);
}

/* Figures 10.7/10.8: three pages shared after fork, then the child writes C. */
static void
pages_demo(void)
{
  struct vmquery me[NPAGES], kid[NPAGES];
  int go[2], done[2], status = -1;
  char c;
  char *raw = sbrk((NPAGES + 1) * PGSIZE);

  require(raw != SBRK_ERROR, "sbrk");
  char *pages = (char *)PGROUNDUP((uint64)raw);
  for (int i = 0; i < NPAGES; i++)
    memset(pages + i * PGSIZE, names[i], PGSIZE);
  require(pipe(go) == 0 && pipe(done) == 0, "pipe");
  printf("cowdemo: parent fills pages A, B, C and forks\n");
  int pid = fork();
  require(pid >= 0, "fork");
  if (pid == 0)
    child(pages, go, done);

  table("before", pid, pages, me, kid);
  if (me[0].pa != kid[0].pa && !(kid[0].flags & PTE_COW)) {
    printf("cowdemo: fork gave the child copies of its own, not shared pages: this kernel\n"
           "cowdemo: copies eagerly (built with COW=0), so there is no sharing to show\n");
    kill(pid);
    wait(0);
    exit(1);
  }
  for (int i = 0; i < NPAGES; i++) {
    require(me[i].pa == kid[i].pa, "before: parent and child map different frames");
    require(shared2(&me[i]) && shared2(&kid[i]), "before: page not COW with 2 refs");
  }
  printf("cowdemo: child writes to C\n");
  require(write(go[1], "g", 1) == 1 && read(done[0], &c, 1) == 1, "pipe to child");
  table("after", pid, pages, me, kid);
  for (int i = 0; i < 2; i++) {
    require(me[i].pa == kid[i].pa, "after: A or B no longer shared");
    require(shared2(&me[i]) && shared2(&kid[i]), "after: A or B not COW with 2 refs");
  }
  require(me[2].pa != kid[2].pa, "after: C still one frame");
  require(me[2].refcount == 1 && kid[2].refcount == 1, "after: C refs not 1 each");
  require((kid[2].flags & (PTE_W | PTE_COW)) == PTE_W, "after: child's C not private and writable");
  require(write(go[1], "g", 1) == 1, "pipe to child");
  require(wait(&status) == pid && status == 0, "child failed");
  require(pages[2 * PGSIZE] == 'C', "parent's C changed by the child's write");
  printf("cowdemo: parent, now C's only sharer, writes to C\n");
  pages[2 * PGSIZE] = 'P';
  struct vmquery c2 = query(0, pages + 2 * PGSIZE);
  row("reuse", "parent", 'C', &c2);
  require(c2.pa == me[2].pa && c2.refcount == 1, "reuse: parent's C changed frame");
  require((c2.flags & (PTE_W | PTE_COW)) == PTE_W, "reuse: parent's C not writable");
}

/* The textbook's x: the child sets it to 20, the parent still sees 10. */
static void
x_demo(void)
{
  int status = -1;

  x = 10;
  int pid = fork();
  require(pid >= 0, "fork");
  if (pid == 0) {
    x = 20;
    printf("child: x = %d\n", x);
    exit(x == 20 ? 0 : 1);
  }
  require(wait(&status) == pid && status == 0, "x child failed");
  printf("parent: x = %d\n", x);
  require(x == 10, "parent's x changed by the child");
}

/* Run both demonstrations; status 0 only if every fact checked out. */
int
main(void)
{
  pages_demo();
  x_demo();
  printf("cowdemo: ok\n");
  exit(0);
}
