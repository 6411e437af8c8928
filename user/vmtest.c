/* vmtest.c: tests of address spaces: regions, vfork's shared space, the
 * introspection calls and the holes a hostile program found in them.
 *
 *   vmtest          run every test
 *   vmtest NAME     run one
 *
 * Each test runs in a child of its own (utest.c), so a crash is one FAILED
 * line; once its processes are gone free frames must be exactly as before,
 * and memcheck must find every reference count right. Prints "ALL VM TESTS PASSED" (status 0)
 * or "SOME VM TESTS FAILED" (status 1).
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/elf.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/utest.h"

/* Run fn in a child and return its exit status (-1 if it was killed). */
static int
status_of(void (*fn)(void))
{
  int pid = fork();
  if (pid < 0)
    failv("fork", pid, 0);
  if (pid == 0) {
    fn();
    exit(0);
  }
  int st;
  expect(wait(&st), pid, "wait");
  return st;
}

/* --- crafted programs ---------------------------------------------------- */

/* Machine code: a0 = 0x1000; store a word there; exit(0). */
static const uint32 store_then_exit[] = {
    0x00001537, /* lui  a0, 0x1 */
    0x00052023, /* sw   zero, 0(a0) */
    0x00000513, /* addi a0, zero, 0 */
    0x00200893, /* addi a7, zero, SYS_exit */
    0x00000073, /* ecall */
};

struct seg {
  uint64 vaddr, memsz;
  uint32 flags;
};

/* Write an ELF executable to path whose segments are segs (each holding the
 * code above as its file bytes) and whose entry is entry. */
static void
write_elf(const char *path, struct seg *segs, int nseg, uint64 entry)
{
  struct elfhdr eh;
  struct proghdr ph;
  uint64 code = sizeof(eh) + nseg * sizeof(ph);

  memset(&eh, 0, sizeof(eh));
  eh.magic = ELF_MAGIC;
  eh.elf[0] = ELFCLASS64;
  eh.elf[1] = ELFDATA2LSB;
  eh.type = ET_EXEC;
  eh.machine = EM_RISCV;
  eh.version = 1;
  eh.entry = entry;
  eh.phoff = sizeof(eh);
  eh.ehsize = sizeof(eh);
  eh.phentsize = sizeof(ph);
  eh.phnum = nseg;
  int fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);
  if (fd < 0)
    failv("create the program", fd, 0);
  expect(write(fd, &eh, sizeof(eh)), sizeof(eh), "write the ELF header");
  for (int i = 0; i < nseg; i++) {
    memset(&ph, 0, sizeof(ph));
    ph.type = ELF_PROG_LOAD;
    ph.flags = segs[i].flags;
    ph.off = code;
    ph.vaddr = ph.paddr = segs[i].vaddr;
    ph.filesz = sizeof(store_then_exit);
    ph.memsz = segs[i].memsz;
    ph.align = PGSIZE;
    expect(write(fd, &ph, sizeof(ph)), sizeof(ph), "write a program header");
  }
  expect(write(fd, store_then_exit, sizeof(store_then_exit)), sizeof(store_then_exit),
         "write the code");
  close(fd);
}

static char *crafted_argv[] = {"crafted", 0};

static void
exec_crafted(void)
{
  exec("crafted", crafted_argv);
  exit(77); /* exec failed */
}

/* A segment that ends just below the trapframe leaves no room for the guard
 * (a page and the stack's room to grow) and the stack: exec must fail (it
 * used to map the stack over the trapframe and panic). One page more and
 * the program runs (and dies of its store to 0x1000, which is in no
 * region). */
static void
test_elftop(void)
{
  uint64 fits = 2 + STACKGROW + USERSTACK; /* the segment's page, the guard, the stack */
  uint64 tries[] = {1, fits - 1, fits};
  for (int i = 0; i < 3; i++) {
    uint64 pages = tries[i];
    struct seg s = {TRAPFRAME - pages * PGSIZE, PGSIZE, ELF_PROG_FLAG_READ | ELF_PROG_FLAG_EXEC};
    write_elf("crafted", &s, 1, s.vaddr);
    int want = pages < fits ? 77 : -1;
    expect(status_of(exec_crafted), want, "status of a program ending below the trapframe");
  }
  unlink("crafted");
}

/* The gap between two segments is in no region: the program's store into it
 * kills it (it used to be silently writable zero memory). */
static void
test_elfgap(void)
{
  struct seg s[] = {
      {0, PGSIZE, ELF_PROG_FLAG_READ | ELF_PROG_FLAG_EXEC},
      {3 * PGSIZE, PGSIZE, ELF_PROG_FLAG_READ | ELF_PROG_FLAG_WRITE},
  };
  write_elf("crafted", s, 2, 0);
  expect(status_of(exec_crafted), -1, "exit status of a store into the gap");
  s[1].vaddr = PGSIZE; /* now 0x1000 is data: the same store is fine */
  write_elf("crafted", s, 2, 0);
  expect(status_of(exec_crafted), 0, "exit status of a store into data");
  unlink("crafted");
}

/* --- regions ------------------------------------------------------------- */

/* This program's regions: text, then data/bss, a guard, the stack, and the
 * heap once it has grown; sorted, none overlapping. */
static void
test_regions(void)
{
  struct vmregion r[32];
  sbrk(PGSIZE);
  int n = vmregions(0, r, 32);
  if (n < 4 || n > 32)
    failv("number of regions", n, 4);
  expect(r[0].kind, REGION_TEXT, "first region");
  expect(r[0].start, 0, "text start");
  for (int i = 1; i < n; i++)
    if (r[i].start < r[i - 1].end)
      failv("regions overlap or are out of order", r[i].start, r[i - 1].end);
  expect(r[n - 1].kind, REGION_HEAP, "last region");
  expect(r[n - 2].kind, REGION_STACK, "region under the heap");
  expect(r[n - 3].kind, REGION_GUARD, "region under the stack");
  expect(r[n - 3].prot, 0, "guard protection");
  expect(r[n - 1].end, PGROUNDUP((uint64)sbrk(0)), "heap end");
  expect(vmregions(0, r, 1), n, "count when the buffer is short");
  expect(vmregions(0, (struct vmregion *)0x10, 32), -1, "vmregions into text");
}

/* This program's region of kind (the last one, if several), in *out. */
static void
region_of_kind(int kind, struct vmregion *out)
{
  struct vmregion r[32];
  int n = vmregions(0, r, 32);
  for (int i = n - 1; i >= 0; i--) {
    if (r[i].kind == kind) {
      *out = r[i];
      return;
    }
  }
  failv("no region of kind", kind, 0);
}

static void
touch_guard(void)
{
  struct vmregion g;
  region_of_kind(REGION_GUARD, &g);
  *(volatile char *)g.start = 1;
}

/* A store to the guard page kills; a system call reading it fails. */
static void
test_guard(void)
{
  struct vmregion r[32];
  int n = vmregions(0, r, 32);
  uint64 guard = r[n - 3].kind == REGION_GUARD ? r[n - 3].start : r[n - 2].start;
  expect(status_of(touch_guard), -1, "exit status after a store to the guard page");
  expect(write(1, (char *)guard, 1), -1, "write() from the guard page");
}

/* --- stack growth -------------------------------------------------------- */

/* Recurse depth times, each frame 8 KiB, and return a sum over all of them
 * (so that no frame can be left out). */
static int __attribute__((noinline)) deep(int depth)
{
  volatile char frame[8192];
  frame[0] = depth;
  frame[sizeof(frame) - 1] = 1;
  if (depth == 0)
    return 0;
  int below = deep(depth - 1); /* the frame is read after the call: it must stay */
  return below + frame[0] + frame[sizeof(frame) - 1];
}

/* The user's stack pointer. */
static uint64
sp_now(void)
{
  uint64 sp;
  asm volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

static void
grow_too_far(void)
{
  deep(STACKGROW); /* 8 KiB a frame: twice what the stack may grow by */
}

static void
read_below_sp(void)
{
  volatile char *p = (char *)(sp_now() - USERSTACK * PGSIZE);
  printf("read below the stack pointer: %d\n", *p); /* usertests' stacktest */
}

/* A system call's buffer in stack the program has not touched yet. */
static void __attribute__((noinline)) syscall_into_new_stack(void)
{
  char buf[6 * PGSIZE];
  int fds[2];
  pipe(fds);
  write(fds[1], "hello", 5);
  expect(read(fds[0], buf, 5), 5, "read() into untouched stack");
  expect(buf[4], 'o', "the byte read");
  close(fds[0]);
  close(fds[1]);
}

/* The stack grows down on a fault at or above sp, into the guard room below
 * it (STACKGROW pages); not past it, and a read below sp still kills. */
static void
test_stackgrow(void)
{
  struct vmregion s, g;
  expect(status_of(read_below_sp), -1, "status after a read below sp"); /* before it grows */
  region_of_kind(REGION_STACK, &s);
  uint64 before = s.end - s.start;
  expect(deep(12), 12 * 13 / 2 + 12, "a sum over 12 frames of 8 KiB");
  syscall_into_new_stack();
  region_of_kind(REGION_STACK, &s);
  region_of_kind(REGION_GUARD, &g);
  if (s.end - s.start < before + 24 * PGSIZE)
    failv("stack size after 96 KiB of frames", s.end - s.start, before + 24 * PGSIZE);
  expect(g.end, s.start, "the guard's end, the grown stack's start");
  if (g.end - g.start < PGSIZE)
    failv("guard pages left", (g.end - g.start) / PGSIZE, 1);
  expect(status_of(grow_too_far), -1, "status after growing past the limit");
}

/* --- vfork --------------------------------------------------------------- */

#define HIGH (255UL << 30) /* the last root entry of Sv39 starts here */

/* Shrink the heap to end at brk, in steps sbrk's int can take. */
static void
shrink_to(uint64 brk)
{
  while ((uint64)sbrk(0) > brk) {
    uint64 over = (uint64)sbrk(0) - brk;
    sbrk(-(over > (1 << 30) ? (1 << 30) : (int)over));
  }
}

/* Grow the heap lazily until it reaches past va. */
static void
grow_past(uint64 va)
{
  while ((uint64)sbrk(0) <= va) {
    uint64 left = va + PGSIZE - (uint64)sbrk(0);
    if (sbrklazy(left > (1 << 30) ? (1 << 30) : left) == SBRK_ERROR)
      failv("lazy growth", (uint64)sbrk(0), va);
  }
}

/* A vfork child sees and changes exactly its parent's memory, all of it,
 * above 255 GiB too, and its changes of the break stay. */
static void
test_vforkhigh(void)
{
  uint64 base = (uint64)sbrk(0);
  grow_past(HIGH + 8 * PGSIZE);
  volatile uint64 *p = (uint64 *)(HIGH + 4 * PGSIZE);
  *p = 0x1234;
  uint64 brk = (uint64)sbrk(0);
  int pid = vfork();
  if (pid == 0) {
    if (*p != 0x1234)
      exit(3);
    *p = 0x5678;
    sbrk(-PGSIZE);
    exit(0);
  }
  int st;
  expect(wait(&st), pid, "wait for the vfork child");
  expect(st, 0, "the child's view of the parent's high memory");
  expect(*p, 0x5678, "the child's store, seen by the parent");
  expect((uint64)sbrk(0), brk - PGSIZE, "the break after the child shrank it");
  if (sbrk(PGSIZE) == SBRK_ERROR)
    failv("sbrk after the child's shrink", 0, 0);
  shrink_to(base);
}

/* A vfork child frees page tables its parent's space used, refills their
 * frames with fake PTEs, and asks vmquery about the parent: the answer must
 * be "not mapped", never a walk through freed tables. */
static void
test_vforkquery(void)
{
  int parent = getpid();
  uint64 base = (uint64)sbrk(0);
  uint64 far = PGROUNDUP(base) + (1UL << 30); /* its own level-1 table */
  grow_past(far + PGSIZE);
  *(volatile char *)far = 1;
  int pid = vfork();
  if (pid == 0) {
    struct vmquery q;
    shrink_to(base); /* frees the tables under far */
    for (int i = 0; i < 64; i++) {
      uint64 *pg = (uint64 *)sbrk(PGSIZE);
      if (pg == (uint64 *)SBRK_ERROR)
        exit(4);
      for (int j = 0; j < 512; j++)
        pg[j] = (0x80000000UL >> 2) | PTE_V | PTE_R | PTE_W | PTE_U;
    }
    if (vmquery(parent, far, &q) != 0)
      exit(5);
    exit(q.pa != 0 || q.flags != 0 ? 6 : 0);
  }
  int st;
  expect(wait(&st), pid, "wait for the vfork child");
  expect(st, 0, "vmquery of the parent after the child freed its tables");
}

/* vmquery of a process that keeps growing and shrinking (each shrink frees
 * page-table pages) sees either nothing or a real user page: never a walk
 * through a table freed under it. */
static void
test_queryshrink(void)
{
  int pid = fork();
  if (pid == 0) {
    for (;;) {
      char *p = sbrklazy(4 << 20);
      for (int i = 0; i < 1024; i += 64)
        p[i * PGSIZE] = 1;
      sbrk(-(4 << 20));
    }
  }
  uint64 base = (uint64)sbrk(0);
  struct vmquery q;
  char f[PTEFLAGS_LEN];
  for (int i = 0; i < 20000; i++) {
    uint64 va = base + (uint64)(i % 1024) * PGSIZE;
    if (vmquery(pid, va, &q) != 0)
      failv("vmquery of the shrinking child", -1, 0);
    if (q.flags == 0 && q.pa == 0)
      continue;
    if ((q.flags & (PTE_V | PTE_U)) != (PTE_V | PTE_U) || q.pa < KERNBASE || q.refcount == 0)
      fail("a forged answer: flags %s, frame 0x%lx, refs %ld", pteflags(q.flags, f), q.pa,
           q.refcount);
  }
  kill(pid);
  wait(0);
}

/* --- processes ----------------------------------------------------------- */

/* init cannot be killed. */
static void
test_killinit(void)
{
  expect(kill(1), -1, "kill(1)");
  pause(2);
  expect(kill(1), -1, "kill(1) again");
}

/* vmquery of a running process works (the address space's lock keeps its
 * table still), and of no process fails. */
static void
test_queryrunning(void)
{
  int pid = fork();
  if (pid == 0) {
    for (;;)
      ;
  }
  struct vmquery q;
  for (int i = 0; i < 50; i++)
    expect(vmquery(pid, 0, &q), 0, "vmquery of a running child");
  expect(q.flags & (PTE_V | PTE_U | PTE_X), PTE_V | PTE_U | PTE_X, "flags of its text");
  kill(pid);
  wait(0);
  expect(vmquery(pid, 0, &q), -1, "vmquery of a reaped child");
}

/* memcheck agrees with the counts while pages are shared: a child holds
 * copy-on-write pages, zero-frame pages and private ones while the parent
 * asks. */
static void
test_memchecklive(void)
{
  char *a = sbrk(16 * PGSIZE), *z = sbrklazy(16 * PGSIZE);
  int fds[2];
  for (int i = 0; i < 16; i++) {
    a[i * PGSIZE] = i;
    expect(z[i * PGSIZE], 0, "a lazy page reads zero");
  }
  expect(pipe(fds), 0, "pipe");
  int pid = fork();
  if (pid == 0) {
    char c;
    a[0] = 9; /* one private copy */
    close(fds[1]);
    read(fds[0], &c, 1);
    exit(0);
  }
  close(fds[0]);
  a[PGSIZE] = 7; /* and one in the parent */
  struct memcheck mc;
  expect(memcheck(&mc), 0, "memcheck while a child shares pages");
  if (mc.frames < 16 || mc.spaces < 4)
    failv("memcheck saw too little", mc.frames, 16);
  close(fds[1]);
  expect(wait(0), pid, "wait");
}

static const struct utest tests[] = {
    {test_elftop, "elftop"},
    {test_elfgap, "elfgap"},
    {test_regions, "regions"},
    {test_guard, "guard"},
    {test_stackgrow, "stackgrow"},
    {test_vforkhigh, "vforkhigh"},
    {test_vforkquery, "vforkquery"},
    {test_killinit, "killinit"},
    {test_queryrunning, "queryrunning"},
    {test_memchecklive, "memchecklive"},
    {test_queryshrink, "queryshrink"},
};

int
main(int argc, char **argv)
{
  utest_main("vmtest", "VM", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
