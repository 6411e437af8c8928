/* swapdemo.c: a page leaves memory and comes back, narrated and checked.
 *
 * A parent fills page A and forks: parent and child share A's frame,
 * copy-on-write. Page replacement is forced (cowctl COWCTL_RECLAIM): A goes
 * to one swap slot, which both processes' PTEs now name (a shared leaf
 * table names it once). The child reads A: a page-in, one read from the
 * swap disk. Then the parent reads A: it finds the child's frame in the
 * swap cache, and no disk read happens: the two share one frame again,
 * as copy-on-write had them. Each line is machine-checkable, e.g.
 *   out: parent A swapped (slot 17), child A swapped (slot 17)
 * and the last line is "swapdemo: ok" only if the program verified the
 * facts itself; otherwise "swapdemo: FAILED ..." and exit status 1. Needs
 * a swap disk.
 *
 * One process at a time runs each step (pipes order them); no locks.
 */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

/* Say what failed and exit 1. */
static void
failed(const char *why)
{
  printf("swapdemo: FAILED %s\n", why);
  exit(1);
}

static struct vmquery
query(int pid, char *va)
{
  struct vmquery q;
  if (vmquery(pid, (uint64)va, &q) < 0)
    failed("vmquery");
  return q;
}

static uint64
disk_reads(void)
{
  struct memstat m;
  memstat(0, &m);
  return m.swap_reads;
}

int
main(void)
{
  struct memstat m;
  memstat(0, &m);
  if (m.swap_total == 0)
    failed("no swap disk (make qemu attaches one; SWAP=0 does not)");
  char *a = sbrk(PGSIZE);
  if (a == SBRK_ERROR)
    failed("sbrk");
  strcpy(a, "page A's bytes");
  int go[2], done[2], parent = getpid();
  pipe(go);
  pipe(done);
  int child = fork();
  if (child < 0)
    failed("fork");
  if (child == 0) {
    char c;
    read(go[0], &c, 1);
    uint64 before = disk_reads();
    if (strcmp(a, "page A's bytes") != 0)
      failed("the child read other bytes");
    struct vmquery q = query(0, a);
    printf("in: child A frame 0x%lx refs %lu, %lu read from the swap disk\n", q.pa >> 12,
           q.refcount, disk_reads() - before);
    if (disk_reads() - before != 1)
      failed("the child's page-in did not read the disk once");
    write(done[1], "d", 1);
    read(go[0], &c, 1);
    exit(0);
  }
  struct vmquery p = query(0, a), c = query(child, a);
  printf("forked: parent A frame 0x%lx, child A frame 0x%lx, refs %lu\n", p.pa >> 12, c.pa >> 12,
         p.refcount);
  if (p.pa != c.pa)
    failed("fork copied A");
  cowctl(COWCTL_RECLAIM, 1 << 30);
  p = query(0, a);
  c = query(child, a);
  printf("out: parent A swapped (slot %lu), child A swapped (slot %lu), slot count %lu\n", p.slot,
         c.slot, p.slotrefs);
  if (p.slot == 0 || p.slot != c.slot)
    failed("A did not go to one slot for both");
  write(go[1], "g", 1);
  char ch;
  read(done[0], &ch, 1);
  uint64 before = disk_reads();
  if (strcmp(a, "page A's bytes") != 0)
    failed("the parent read other bytes");
  p = query(parent, a);
  c = query(child, a);
  printf("in: parent A frame 0x%lx, the child's frame 0x%lx, %lu read from the swap disk\n",
         p.pa >> 12, c.pa >> 12, disk_reads() - before);
  if (p.pa != c.pa || disk_reads() != before)
    failed("the parent did not find the child's frame in the swap cache");
  write(go[1], "g", 1);
  wait(0);
  printf("swapdemo: ok\n");
  exit(0);
}
