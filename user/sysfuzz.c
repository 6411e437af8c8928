/* sysfuzz.c: the system-call fuzzer (issue 17). Forked children make random
 * system calls, every number in kernel/syscall.h and a few beyond it, with
 * arguments drawn from tables of interesting values; the parent watches for
 * what a hostile program must never cause: a leaked frame, a wrong reference
 * count, a process that cannot be killed. A kernel panic ends the run on the
 * console.
 *
 *   sysfuzz [-t SECONDS] [-n CALLS] [SEED]      fuzz for SECONDS (default 30)
 *   sysfuzz -c CHILD[-LAST] [-n CALLS] [-k LIST] SEED
 *                                               replay children, tracing
 *
 * Rounds. Each round forks CHILDREN children (child numbers count up from 0
 * over the run) that each make CALLS calls (default 64) and exit. A round
 * that outlives ROUND_TICKS is cut short: every pid the round can have made
 * is killed (children block for good quite legitimately: a read of a pipe
 * whose write end they hold). Afterwards free frames must come back to the
 * baseline (idle page-cache pages count as free; unless page replacement
 * ran, which moves other processes' pages), memcheck must agree, and
 * each child's directory is removed. Any of those failing, or a killed child
 * that never dies, prints a FAIL line and the run exits 1. Run it alone: it
 * kills the pids its rounds may have used, pids above its own.
 *
 * Replay and shrink. Call j of child c depends only on the seed, c and j
 * (and, in a process that c forked, the call that forked it), not on the
 * calls before it. -c replays children: each prints every call before it is
 * made ("c/j name(args)") and its result after ("c/j = result"), so the last
 * call printed before a panic is the culprit; -n drops the calls after it,
 * -k keeps only the calls listed (e.g. 0-9,17). A child that fork()ed
 * continues as two processes; the new one is "c.f" (f its fork's call).
 *
 * What the fuzzer never does, so that a run ends only for a kernel bug
 * (the pools below leave these out, and tame() changes the calls that
 * would):
 *  - kill a pid at or below its own (init's pid 1 is tried: it is refused);
 *  - name an existing file outside its scratch directory, sysfuzz.d: every
 *    path is a string of the table below (read-only), a bad address, or the
 *    end of the heap, whose bytes are rewritten before each use; a path from
 *    memory the calls have written could spell anything;
 *  - chdir out of its own directory; make a console device (a child's fds
 *    0-2 are files in its directory, so nothing it writes reaches the
 *    console); touch fd NOFILE-1, where a replay writes its trace;
 *  - let the kernel write into its own state: a buffer in the fuzzer's data
 *    or stack has a room, and an output length is cut to it;
 *  - fork more than FORKS times per child (its children never fork), pause
 *    longer than MAXPAUSE, grow the heap eagerly by more than MAXEAGER
 *    bytes (such a call is made lazy; memory stays bounded).
 * One path names an executable: x, a copy of echo each child makes in its
 * directory, so that exec of a file that the same calls write, truncate,
 * map and unlink succeeds at times (the child then becomes echo, writes
 * its arguments to its own file out and exits).
 *
 * One thread of control per process. The kernel writes only into junk
 * (heap, mappings, the junk arrays), never into struct fuzz or pools, which
 * the parent sets before any child exists and children own after fork.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/syscall.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "user/user.h"

#define CHILDREN    4  /* children per round */
#define MAXCHILDREN 8  /* children a replay may run at once */
#define CALLS       64 /* calls per child, by default */
#define SECONDS     30 /* run length, by default */
#define FORKS       3  /* forks a child may make; its children make none */
#define MAXPAUSE    5  /* ticks */
#define MAXEAGER    (1 << 20)
#define ROUND_TICKS 300  /* a round's children are killed after this */
#define DEATH_TICKS 2000 /* killed processes must be gone, frames back, within this */
#define KILL_SPAN   (MAXCHILDREN * (1 + FORKS)) /* pids a round can make */
#define TRACE_FD    (NOFILE - 1)
#define HEAP_PAGES  4  /* eager heap pages */
#define LAZY_PAGES  12 /* lazy heap pages above them */
#define MFILE_BYTES (2 * PGSIZE + 100)
#define MAP_PAGES   4   /* the last wholly past the end of the file */
#define STACK_ROOM  512 /* junk bytes at the bottom of the stack: frames stay far above */
#define MAXREGIONS  16
#define MAXVALUES   64
#define DIR         "sysfuzz.d"

/* --- values -------------------------------------------------------------- */

/* Argument kinds: each draws from its own pool of values. */
enum kind { K_INT, K_ADDR, K_FLAGS, K_FD, K_PATH, K_ARGV, K_PID, K_QPID, NKINDS };

/* Value flags. */
#define V_ESCAPES  1 /* a path that leads out of the child's directory */
#define V_EDGE     2 /* the heap-end string: rewritten before each use */
#define V_LASTFORK 4 /* the pid of the child's last fork, resolved when drawn */

/* One value an argument may take. room: for a buffer in the fuzzer's own
 * memory, the bytes the kernel may write there; 0 if nothing of the
 * fuzzer's lies above it (the kernel cannot write there, or it is junk). */
struct value {
  uint64 v;
  const char *label; /* how a trace names it; 0: the number */
  int room;
  int flags;
};

/* The number tables are laid out by hand, a kind of value a line
 * (clang-format would put one number a line). */
/* clang-format off */

/* Numbers: sizes, counts, offsets, modes, ticks, exit statuses. Values
 * above 2^32 show what the kernel makes of a truncated int. */
static const uint64 ints[] = {
    0, 1, 2, 3, 7, 10, 16, 128, 511, 512, 4095, 4096, 4097, 32767, 32768, 65536, 0x100000,
    0x7fffffff, -0x80000000L, 0x80000000, 0xffffffff, 0x100000000, 0x100000001,
    0x100000000000, 0x100000001000, /* mmap offsets whose page index needs 33 bits */
    0x8000000000000000, -1L, -2L, -4096L, -65536L,
};

/* Open modes, protections, mmap flags, sbrk's lazy flag. */
static const uint64 flags[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 0xfff, -1L, 0x7fffffff, 0x100000000 | O_RDWR,
    O_CREATE, O_CREATE | O_RDWR, O_CREATE | O_WRONLY | O_TRUNC,
    O_RDWR | O_TRUNC, O_WRONLY | O_RDWR,
};

/* Descriptors: open ones, closed ones, impossible ones; never TRACE_FD. */
static const uint64 fds[] = {
    -1L, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14,
    NOFILE, 100, 0x7fffffff, -0x80000000L, 0x100000003,
};

/* clang-format on */

/* Addresses nothing of the caller's is at: the edges of user memory, the
 * kernel's, and plain junk. */
static const struct value addrs[] = {
    {0},
    {1},
    {0xfff},
    {0x1000},
    {-1L},
    {0x7fffffff},
    {KERNBASE, "KERNBASE"},
    {KERNBASE + 0x200000, "kernel"},
    {0xffffffff},
    {1UL << 32},
    {1UL << 63},
    {-PGSIZE},
    {MAXVA - 1, "MAXVA-1"},
    {MAXVA, "MAXVA"},
    {MAXVA + PGSIZE},
    {TRAPFRAME, "TRAPFRAME"},
    {TRAPFRAME + 7, "TRAPFRAME+7"},
    {TRAPFRAME - 1, "TRAPFRAME-1"},
    {TRAMPOLINE, "TRAMPOLINE"},
    {TRAMPOLINE + 0x800, "TRAMPOLINE+0x800"},
};

#define S16  "aaaaaaaaaaaaaaaa"
#define S128 S16 S16 S16 S16 S16 S16 S16 S16

/* P(s): path s, labelled with itself. */
/* clang-format off */
#define P(s) {(uint64)(s), "\"" s "\""}
/* clang-format on */

/* Paths. None names an existing file outside the scratch directory, and
 * none starts with a program's name: whatever a call does with them stays
 * in the scratch directory. */
static const struct value paths[] = {
    P("f0"),
    P("f1"),
    P("d0"),
    P("d0/f2"),
    P("d0/d1"),
    P("d0/d1/f3"),
    P("m"),
    P("in"),
    P("out"),
    P("x"),
    P("./f0"),
    P("d0/../f1"),
    P("d0//f2"),
    P("f0/x"),
    P("nope/x"),
    P("nope"),
    P(""),
    P("."),
    P("d0/."),
    {(uint64) "..", "\"..\"", 0, V_ESCAPES},
    {(uint64) "/", "\"/\"", 0, V_ESCAPES},
    {(uint64) "//", "\"//\"", 0, V_ESCAPES},
    {(uint64) "/..", "\"/..\"", 0, V_ESCAPES},
    {(uint64) "d0/../..", "\"d0/../..\"", 0, V_ESCAPES},
    P("abcdefghijklmn"),  /* DIRSIZ */
    P("abcdefghijklmno"), /* DIRSIZ + 1 */
    {(uint64)S128 + 1, "MAXPATH-1 a's"},
    {(uint64)S128, "MAXPATH a's"},
    {(uint64)S128 "a", "MAXPATH+1 a's"},
    {0},
    {-1L},
    {KERNBASE, "KERNBASE"},
    {TRAPFRAME, "TRAPFRAME"},
    {MAXVA, "MAXVA"},
};

static const char *const argv_ok[] = {"f0", "x", 0};
static const char *const argv_long[MAXARG + 2] = {
    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
};
static const char *const argv_bad[] = {(char *)KERNBASE, 0};

static const struct value argvs[] = {
    {0},
    {(uint64)argv_ok, "argv_ok"},
    {(uint64)argv_long, "argv(MAXARG+1)"},
    {(uint64)argv_bad, "argv_bad"},
    {KERNBASE, "KERNBASE"},
    {TRAPFRAME, "TRAPFRAME"},
    {MAXVA - 8, "MAXVA-8"},
};

/* Kill targets, less the ones a child adds at run time (itself, its
 * neighbours above the parent, its last fork). */
static const struct value pids[] = {
    {0},
    {-1L},
    {1},
    {0x7fffffff},
    {-0x80000000L},
    {(1UL << 32) + 1},
    {0, "last fork", 0, V_LASTFORK},
};

/* Junk the kernel may write into: in data, in bss and on the stack. */
static char datajunk[512] = {1};
static char bssjunk[2 * PGSIZE];

/* --- the system calls ---------------------------------------------------- */

/* One system call: its number, a name for traces, how often it is drawn
 * (weight), its arguments' kinds, and which argument (out) the kernel
 * writes through: outlen names the argument giving its length in units of
 * unit bytes, -1 if the kernel writes a fixed size under STACK_ROOM. */
struct sysdesc {
  long num;
  const char *name;
  int weight;
  int nargs;
  uchar kind[6];
  int out, outlen, unit;
};

#define NOOUT -1, -1, 0

static const struct sysdesc calls[] = {
    {SYS_fork, "fork", 2, 0, {0}, NOOUT},
    {SYS_exit, "exit", 1, 1, {K_INT}, NOOUT},
    {SYS_wait, "wait", 3, 1, {K_ADDR}, 0, -1, 0},
    {SYS_pipe, "pipe", 4, 1, {K_ADDR}, 0, -1, 0},
    {SYS_read, "read", 8, 3, {K_FD, K_ADDR, K_INT}, 1, 2, 1},
    {SYS_kill, "kill", 2, 1, {K_PID}, NOOUT},
    {SYS_exec, "exec", 3, 2, {K_PATH, K_ARGV}, NOOUT},
    {SYS_fstat, "fstat", 4, 2, {K_FD, K_ADDR}, 1, -1, 0},
    {SYS_chdir, "chdir", 3, 1, {K_PATH}, NOOUT},
    {SYS_dup, "dup", 4, 1, {K_FD}, NOOUT},
    {SYS_getpid, "getpid", 1, 0, {0}, NOOUT},
    {SYS_sbrk, "sbrk", 4, 2, {K_INT, K_FLAGS}, NOOUT},
    {SYS_pause, "pause", 1, 1, {K_INT}, NOOUT},
    {SYS_uptime, "uptime", 1, 0, {0}, NOOUT},
    {SYS_open, "open", 8, 2, {K_PATH, K_FLAGS}, NOOUT},
    {SYS_write, "write", 8, 3, {K_FD, K_ADDR, K_INT}, NOOUT},
    {SYS_mknod, "mknod", 2, 3, {K_PATH, K_INT, K_INT}, NOOUT},
    {SYS_unlink, "unlink", 4, 1, {K_PATH}, NOOUT},
    {SYS_link, "link", 4, 2, {K_PATH, K_PATH}, NOOUT},
    {SYS_mkdir, "mkdir", 4, 1, {K_PATH}, NOOUT},
    {SYS_close, "close", 6, 1, {K_FD}, NOOUT},
    {SYS_freeframes, "freeframes", 1, 0, {0}, NOOUT},
    {SYS_vfork, "vfork", 1, 0, {0}, NOOUT},
    {SYS_memstat, "memstat", 2, 2, {K_QPID, K_ADDR}, 1, -1, 0},
    {SYS_vmquery, "vmquery", 3, 3, {K_QPID, K_ADDR, K_ADDR}, 2, -1, 0},
    {SYS_bootargs, "bootargs", 2, 2, {K_ADDR, K_INT}, 0, 1, 1},
    {SYS_poweroff, "poweroff", 1, 1, {K_INT}, NOOUT},
    {SYS_cowctl, "cowctl", 2, 2, {K_INT, K_INT}, NOOUT},
    {SYS_vmregions, "vmregions", 3, 3, {K_QPID, K_ADDR, K_INT}, 1, 2, sizeof(struct vmregion)},
    {SYS_memcheck, "memcheck", 1, 1, {K_ADDR}, 0, -1, 0},
    {SYS_mmap, "mmap", 6, 6, {K_ADDR, K_INT, K_FLAGS, K_FLAGS, K_FD, K_INT}, NOOUT},
    {SYS_munmap, "munmap", 4, 2, {K_ADDR, K_INT}, NOOUT},
    {SYS_setfg, "setfg", 1, 2, {K_FD, K_PID}, NOOUT},
    {SYS_procinfo, "procinfo", 2, 2, {K_INT, K_ADDR}, 1, -1, 0},
    /* Numbers no system call has. */
    {0, "sys0", 1, 6, {K_INT, K_ADDR, K_INT, K_ADDR, K_INT, K_ADDR}, NOOUT},
    {SYS_procinfo + 1, "sys35", 1, 6, {K_ADDR, K_INT, K_ADDR, K_INT, K_ADDR, K_INT}, NOOUT},
    {255, "sys255", 1, 6, {K_INT, K_INT, K_INT, K_INT, K_INT, K_INT}, NOOUT},
    {-1L, "sys-1", 1, 6, {K_ADDR, K_ADDR, K_ADDR, K_ADDR, K_ADDR, K_ADDR}, NOOUT},
    {(1L << 32) + SYS_getpid, "sys2^32+getpid", 1, 0, {0}, NOOUT},
};

/* One call as it will be made. */
struct call {
  const struct sysdesc *d;
  struct value arg[6];
  const char *tamed; /* what tame() changed, for the trace; 0 if nothing */
};

/* --- the fuzzer's state -------------------------------------------------- */

struct pool {
  int n;
  struct value v[MAXVALUES];
};

/* Set by the parent before it forks; each child owns its copy after. */
static struct fuzz {
  uint64 seed;
  int ncalls;       /* calls per child (-n) */
  const char *keep; /* -k: the calls to make, or 0 for all */
  int trace;        /* print every call (a replay) */
  int main_pid;     /* the parent's pid: no kill goes at or below it */
  int child;        /* this child's number */
  int lineage;      /* 0 in the child, f+1 in a process it forked at call f */
  int forks_left;   /* forks this process may still make */
  int nforked;      /* processes it forked (to reap at the end) */
  int forked[FORKS];
  uint64 heap_base; /* where this child's heap starts */
  struct pool pool[NKINDS];
} fz;

/* --- random numbers ------------------------------------------------------ */

/* splitmix64: the next number of the stream at *s. */
static uint64
rand_next(uint64 *s)
{
  uint64 z = (*s += 0x9e3779b97f4a7c15UL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
  return z ^ (z >> 31);
}

/* The start of the stream of call j of the current process: a function of
 * the seed, the child, the lineage and j only. */
static uint64
call_stream(int j)
{
  uint64 s = fz.seed;
  s = rand_next(&s) ^ (uint)fz.child;
  s = rand_next(&s) ^ (uint)fz.lineage;
  s = rand_next(&s) ^ (uint)j;
  return s;
}

/* --- pools --------------------------------------------------------------- */

static void
pool_add(enum kind k, uint64 v, const char *label, int room, int flags)
{
  struct pool *p = &fz.pool[k];
  if (p->n < MAXVALUES)
    p->v[p->n++] = (struct value){v, label, room, flags};
}

static void
pool_add_table(enum kind k, const struct value *t, int n)
{
  for (int i = 0; i < n; i++)
    pool_add(k, t[i].v, t[i].label, t[i].room, t[i].flags);
}

static void
pool_add_numbers(enum kind k, const uint64 *t, int n)
{
  for (int i = 0; i < n; i++)
    pool_add(k, t[i], 0, 0, 0);
}

#define NELEM(t)          (sizeof(t) / sizeof((t)[0]))
#define ADD_TABLE(k, t)   pool_add_table(k, t, NELEM(t))
#define ADD_NUMBERS(k, t) pool_add_numbers(k, t, NELEM(t))

/* The addresses in this child's own memory: text, data, bss, the guard
 * page and the stack, the heap and its lazy part, and the two mappings of
 * file m (shared and private; MAP_FAILED if they could not be made). */
static void
pool_add_own(uint64 stack_lo, uint64 brk0, uint64 shared, uint64 private)
{
  pool_add(K_ADDR, (uint64)rand_next, "text", 0, 0);
  pool_add(K_ADDR, (uint64)rand_next + 2, "text+2", 0, 0);
  pool_add(K_ADDR, (uint64)ints, "rodata", 0, 0);
  pool_add(K_ADDR, (uint64)datajunk, "data", sizeof(datajunk), 0);
  pool_add(K_ADDR, (uint64)datajunk + 3, "data+3", sizeof(datajunk) - 3, 0);
  pool_add(K_ADDR, (uint64)bssjunk, "bss", sizeof(bssjunk), 0);
  pool_add(K_ADDR, (uint64)bssjunk + PGSIZE - 1, "bss+4095", sizeof(bssjunk) - PGSIZE + 1, 0);
  pool_add(K_ADDR, stack_lo - PGSIZE, "guard", 0, 0);
  pool_add(K_ADDR, stack_lo - 1, "guard+4095", 0, 0);
  pool_add(K_ADDR, stack_lo + 64, "stack", STACK_ROOM, 0);
  pool_add(K_ADDR, stack_lo + 65, "stack+1", STACK_ROOM - 1, 0);
  pool_add(K_ADDR, fz.heap_base, "heap", 0, 0);
  pool_add(K_ADDR, fz.heap_base + 1, "heap+1", 0, 0);
  pool_add(K_ADDR, fz.heap_base + HEAP_PAGES * PGSIZE, "lazy", 0, 0);
  pool_add(K_ADDR, brk0 - 2, "brk0-2", 0, 0);
  pool_add(K_ADDR, brk0, "brk0", 0, 0);
  pool_add(K_ADDR, shared, "shared", 0, 0);
  pool_add(K_ADDR, shared + 1, "shared+1", 0, 0);
  pool_add(K_ADDR, shared + MFILE_BYTES, "shared+EOF", 0, 0);
  pool_add(K_ADDR, shared + (MAP_PAGES - 1) * PGSIZE, "shared past EOF", 0, 0);
  pool_add(K_ADDR, private, "private", 0, 0);
  pool_add(K_ADDR, private + (MAP_PAGES - 1) * PGSIZE - 8, "private end-8", 0, 0);
  pool_add(K_PATH, (uint64)rand_next, "text", 0, 0);
  pool_add(K_PATH, 0, "heap end-2", 0, V_EDGE);
  pool_add(K_ARGV, private + (MAP_PAGES - 1) * PGSIZE - 8, "private end-8", 0, 0);
  pool_add(K_ARGV, fz.heap_base, "heap", 0, 0);
  pool_add(K_ARGV, (uint64)rand_next, "text", 0, 0);
}

/* Kill targets: the constant ones, this process, and pids near it above
 * the parent's (siblings and their forks). Queries may
 * name any pid, the parent's and the shell's too. */
static void
pool_add_pids(void)
{
  int self = getpid();
  ADD_TABLE(K_PID, pids);
  pool_add(K_PID, self, "self", 0, 0);
  for (int d = -4; d <= 4; d++)
    if (d != 0 && self + d > fz.main_pid)
      pool_add(K_PID, self + d, 0, 0, 0);
  for (int i = 0; i < fz.pool[K_PID].n; i++)
    fz.pool[K_QPID].v[fz.pool[K_QPID].n++] = fz.pool[K_PID].v[i];
  pool_add(K_QPID, fz.main_pid, "main", 0, 0);
  pool_add(K_QPID, 2, 0, 0, 0);
  pool_add(K_QPID, 1UL << 32, 0, 0, 0);
}

/* --- drawing and taming a call ------------------------------------------- */

/* A value of kind k. Numbers may be drawn from the address pool one time
 * in eight, and argv from it one time in four (any address is a fair
 * argv); paths and pids never: their pools are what keeps the run safe. */
static struct value
draw_value(enum kind k, uint64 *s)
{
  uint64 r = rand_next(s);
  if (((k == K_INT || k == K_FLAGS || k == K_FD) && r % 8 == 0) || (k == K_ARGV && r % 4 == 0))
    k = K_ADDR;
  struct pool *p = &fz.pool[k];
  struct value v = p->v[(r >> 8) % p->n];
  if (v.flags & V_LASTFORK)
    v.v = fz.nforked > 0 ? fz.forked[fz.nforked - 1] : -1;
  return v;
}

/* The entry of calls[] for system call num. */
static const struct sysdesc *
desc_of(long num)
{
  int i = 0;
  while (calls[i].num != num)
    i++;
  return &calls[i];
}

/* The sum of the calls' weights. */
static int
total_weight(void)
{
  int total = 0;
  for (int i = 0; i < NELEM(calls); i++)
    total += calls[i].weight;
  return total;
}

/* Call j of this process's stream (before taming). */
static void
draw_call(int j, struct call *c)
{
  uint64 s = call_stream(j);
  int w = rand_next(&s) % total_weight(), i = 0;
  while (w >= calls[i].weight)
    w -= calls[i++].weight;
  c->d = &calls[i];
  c->tamed = 0;
  for (int a = 0; a < 6; a++)
    c->arg[a] = draw_value(a < c->d->nargs ? c->d->kind[a] : K_INT, &s);
}

/* Write the heap-end string: "eg" in the last two bytes of the heap, no
 * NUL, so that copying it runs into the page above. Returns its address. */
static uint64
edge_string(void)
{
  char *top = (char *)PGROUNDUP((uint64)sbrk(0));
  top[-2] = 'e';
  top[-1] = 'g';
  return (uint64)(top - 2);
}

/* Apply the rules that keep the run alive (see the top of the file);
 * c->tamed says what changed. */
static void
tame(struct call *c)
{
  const struct sysdesc *d = c->d;
  struct value *a = c->arg;
  for (int i = 0; i < d->nargs; i++) {
    if (d->kind[i] == K_FD && (int)a[i].v == TRACE_FD) {
      a[i] = (struct value){-1L};
      c->tamed = "fd NOFILE-1 is the trace's";
    }
    if (a[i].flags & V_EDGE)
      a[i].v = edge_string();
  }
  if ((d->num == SYS_fork || d->num == SYS_vfork) && fz.forks_left == 0) {
    c->d = desc_of(SYS_getpid);
    c->tamed = "no forks left: getpid";
  } else if (d->num == SYS_pause && (int)a[0].v > MAXPAUSE) {
    a[0] = (struct value){MAXPAUSE};
    c->tamed = "pause cut to MAXPAUSE";
  } else if (d->num == SYS_mknod && (int)a[1].v == CONSOLE) {
    a[1] = (struct value){CONSOLE + 1};
    c->tamed = "no console devices";
  } else if (d->num == SYS_sbrk && (int)a[0].v > MAXEAGER && (int)a[1].v != 1) {
    a[1] = (struct value){1};
    c->tamed = "big growth made lazy";
  } else if (d->num == SYS_chdir && (a[0].flags & V_ESCAPES)) {
    a[0] = (struct value){(uint64) ".", "\".\""};
    c->tamed = "chdir stays in the child's directory";
  } else if (d->out >= 0 && d->outlen >= 0 && a[d->out].room > 0 &&
             (int)a[d->outlen].v > a[d->out].room / d->unit) {
    a[d->outlen] = (struct value){a[d->out].room / d->unit};
    c->tamed = "length cut to the buffer's room";
  }
}

/* --- making a call ------------------------------------------------------- */

/* System call num with arguments a[0..5]; any number can be made. A vfork
 * child exits at once, in the stub: it runs on its parent's stack and must
 * not return into C. */
static long
ecall6(long num, const struct value *a)
{
  long r;
  asm volatile(
      "mv a0, %[a0]\n"
      "\tmv a1, %[a1]\n"
      "\tmv a2, %[a2]\n"
      "\tmv a3, %[a3]\n"
      "\tmv a4, %[a4]\n"
      "\tmv a5, %[a5]\n"
      "\tmv a7, %[num]\n"
      "\tecall\n"
      "\tbnez a0, 1f\n"
      "\tli t0, %[vfork]\n"
      "\tbne a7, t0, 1f\n"
      "\tli a7, %[exit]\n"
      "\tecall\n"
      "1:\tmv %[r], a0\n"
      : [r] "=r"(r)
      : [a0] "r"(a[0].v), [a1] "r"(a[1].v), [a2] "r"(a[2].v), [a3] "r"(a[3].v), [a4] "r"(a[4].v),
        [a5] "r"(a[5].v), [num] "r"(num), [vfork] "i"(SYS_vfork), [exit] "i"(SYS_exit)
      : "a0", "a1", "a2", "a3", "a4", "a5", "a7", "t0", "memory");
  return r;
}

/* Format v into buf (at least 24 bytes): its label, or the number,
 * decimal if small, hex if not. */
static void
format_value(char *buf, const struct value *v)
{
  static const char digits[] = "0123456789abcdef";
  if (v->label) {
    int i = 0;
    for (; i < 23 && v->label[i]; i++)
      buf[i] = v->label[i];
    buf[i] = 0;
    return;
  }
  long x = v->v;
  int hex = x <= -65536 || x >= 65536, base = hex ? 16 : 10, n = 0;
  uint64 u = (!hex && x < 0) ? -x : (uint64)x;
  char tmp[20];
  do {
    tmp[n++] = digits[u % base];
    u /= base;
  } while (u);
  char *p = buf;
  if (!hex && x < 0)
    *p++ = '-';
  if (hex) {
    *p++ = '0';
    *p++ = 'x';
  }
  while (n > 0)
    *p++ = tmp[--n];
  *p = 0;
}

/* Append string t at *p. */
static void
append(char **p, const char *t)
{
  while (*t)
    *(*p)++ = *t++;
  **p = 0;
}

/* Write "c/j" (or "c.f/j" in a process forked at call f) into who. */
static void
format_who(char *who, int j)
{
  struct value v = {fz.child};
  char num[24];
  format_value(who, &v);
  who += strlen(who);
  if (fz.lineage) {
    v.v = fz.lineage - 1;
    format_value(num, &v);
    append(&who, ".");
    append(&who, num);
  }
  v.v = j;
  format_value(num, &v);
  append(&who, "/");
  append(&who, num);
}

/* Print "c/j name(args)" on the trace fd, in one write. */
static void
trace_call(int j, const struct call *c)
{
  char line[256], num[24], *p = line;
  format_who(line, j);
  p += strlen(line);
  append(&p, " ");
  append(&p, c->d->name);
  append(&p, "(");
  for (int i = 0; i < c->d->nargs; i++) {
    format_value(num, &c->arg[i]);
    append(&p, i ? ", " : "");
    append(&p, num);
  }
  append(&p, ")");
  if (c->tamed) {
    append(&p, " [tamed: ");
    append(&p, c->tamed);
    append(&p, "]");
  }
  fprintf(TRACE_FD, "%s\n", line);
}

/* Print "c/j = result" on the trace fd. */
static void
trace_result(int j, long r)
{
  char who[48];
  format_who(who, j);
  fprintf(TRACE_FD, "%s = %ld\n", who, r);
}

/* Is call j on the -k list (a comma-separated list of numbers and
 * ranges), or is there no list? */
static int
kept(int j)
{
  const char *s = fz.keep;
  if (s == 0)
    return 1;
  while (*s) {
    int lo = atoi(s), hi = lo;
    while (*s >= '0' && *s <= '9')
      s++;
    if (*s == '-') {
      hi = atoi(++s);
      while (*s >= '0' && *s <= '9')
        s++;
    }
    if (j >= lo && j <= hi)
      return 1;
    if (*s == ',')
      s++;
    else if (*s)
      return 0;
  }
  return 0;
}

/* Make calls from..ncalls-1 of this process's stream. A fork made here
 * returns twice: the new process carries on the stream under a lineage of
 * its own and may not fork. */
static void
fuzz_calls(int from)
{
  for (int j = from; j < fz.ncalls; j++) {
    if (!kept(j))
      continue;
    struct call c;
    draw_call(j, &c);
    tame(&c);
    if (fz.trace)
      trace_call(j, &c);
    long r = ecall6(c.d->num, c.arg);
    if (fz.trace)
      trace_result(j, r);
    if (c.d->num == SYS_fork || c.d->num == SYS_vfork) {
      if (r == 0) { /* the new process (of a fork: a vfork child is gone) */
        fz.lineage = j + 1;
        fz.forks_left = 0;
        fz.nforked = 0;
      } else if (r > 0) {
        fz.forks_left--;
        fz.forked[fz.nforked++] = r;
      }
    }
  }
}

/* --- a child ------------------------------------------------------------- */

/* Make fd want (a free slot) another descriptor for fd, by dup'ing until
 * it comes up. */
static void
dup_to(int fd, int want)
{
  int fill[NOFILE], n = 0, got;
  while ((got = dup(fd)) >= 0 && got != want)
    fill[n++] = got;
  while (n > 0)
    close(fill[--n]);
}

/* File m of MFILE_BYTES bytes, opened read-write as fd 3, mapped shared
 * and private (MAP_PAGES pages each: the last is past the end of the
 * file). Sets *shared and *private (MAP_FAILED if a step failed). */
static void
map_file(uint64 *shared, uint64 *private)
{
  static const char pattern[] = "0123456789abcdef";
  int fd = open("m", O_CREATE | O_RDWR);
  for (int off = 0; fd >= 0 && off < MFILE_BYTES; off += 16)
    write(fd, pattern, MFILE_BYTES - off < 16 ? MFILE_BYTES - off : 16);
  *private = (uint64)mmap(0, MAP_PAGES * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  *shared = (uint64)mmap(0, MAP_PAGES * PGSIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (*private != -1UL)
    *(char **)(*private + (MAP_PAGES - 1) * PGSIZE - 8) = (char *)argv_ok[0];
}

/* Copy program from to file to in the current directory (best effort: a
 * child whose copy fails just has no program to exec). */
static void
copy_program(const char *from, const char *to)
{
  static char chunk[512];
  int in = open(from, O_RDONLY), out = open(to, O_CREATE | O_WRONLY | O_TRUNC), n;
  while (in >= 0 && out >= 0 && (n = read(in, chunk, sizeof(chunk))) > 0 &&
         write(out, chunk, n) == n)
    ;
  close(in);
  close(out);
}

/* Set the child up in directory cN: fds 0-2 on files there (so nothing it
 * does reaches the console), fd TRACE_FD on the console (a replay) or on
 * file out, fd 3 on file m; a heap; the pools. Returns 0, or -1 if it
 * cannot enter its directory. */
static int
child_setup(int n)
{
  char dir[8] = "c";
  struct value v = {n};
  format_value(dir + 1, &v);
  if (chdir(dir) < 0)
    return -1;
  int console = dup(1);
  close(0);
  close(1);
  close(2);
  if (open("in", O_CREATE | O_RDWR) == 0)
    write(0, "input\n", 6);
  open("out", O_CREATE | O_WRONLY);
  dup(1);
  copy_program("/echo", "x");
  dup_to(fz.trace ? console : 1, TRACE_FD);
  close(console);

  uint64 shared, private;
  map_file(&shared, &private);

  struct vmregion r[MAXREGIONS];
  int nr = vmregions(0, r, MAXREGIONS);
  uint64 stack_lo = 0;
  for (int i = 0; i < nr && i < MAXREGIONS; i++)
    if (r[i].kind == REGION_STACK)
      stack_lo = r[i].start;
  fz.heap_base = (uint64)sbrk(HEAP_PAGES * PGSIZE);
  uint64 brk0 = fz.heap_base + (HEAP_PAGES + LAZY_PAGES) * PGSIZE;
  for (int i = 0; i < HEAP_PAGES * PGSIZE; i += PGSIZE)
    ((char *)fz.heap_base)[i] = 1;
  sbrklazy(LAZY_PAGES * PGSIZE);

  ADD_NUMBERS(K_INT, ints);
  ADD_TABLE(K_ADDR, addrs);
  ADD_NUMBERS(K_FLAGS, flags);
  ADD_NUMBERS(K_FD, fds);
  ADD_TABLE(K_PATH, paths);
  ADD_TABLE(K_ARGV, argvs);
  pool_add_own(stack_lo, brk0, shared, private);
  pool_add_pids();
  return 0;
}

/* Child number n: set up, make the calls, reap what it forked, exit. */
static void
child(int n)
{
  fz.child = n;
  fz.lineage = 0;
  fz.forks_left = FORKS;
  fz.nforked = 0;
  if (child_setup(n) < 0)
    exit(0);
  fuzz_calls(0);
  for (int i = 0; i < fz.nforked; i++)
    kill(fz.forked[i]);
  while (wait(0) >= 0)
    ;
  exit(0);
}

/* --- the parent ---------------------------------------------------------- */

/* Name in buf (DIRSIZ+1 bytes) the first entry of the current directory
 * other than . and .. . Returns 1, 0 if there is none, -1 if it cannot be
 * read. */
static int
first_entry(char *buf)
{
  struct dirent de;
  int fd = open(".", O_RDONLY), found = 0;
  if (fd < 0)
    return -1;
  while (!found && read(fd, &de, sizeof(de)) == sizeof(de)) {
    memmove(buf, de.name, DIRSIZ);
    buf[DIRSIZ] = 0;
    found = de.inum != 0 && strcmp(buf, ".") != 0 && strcmp(buf, "..") != 0;
  }
  close(fd);
  return found;
}

/* Remove name (in the current directory) and all that is under it,
 * however deep, without recursion: the walk goes down with chdir and back
 * up with "..", so the current directory is the same afterwards. Returns 0,
 * or -1 if something could not be removed. */
static int
remove_tree(const char *name)
{
  char sub[DIRSIZ + 1];
  int depth = 0;
  if (unlink(name) == 0)
    return 0;
  if (chdir(name) < 0)
    return -1;
  for (int steps = 0; depth >= 0 && steps < 10000; steps++) {
    int r = first_entry(sub);
    if (r < 0)
      break;
    if (r == 0) {
      chdir("..");
      depth--;
    } else if (unlink(sub) != 0) {
      if (chdir(sub) < 0)
        break;
      depth++;
    }
  }
  while (depth-- >= 0)
    chdir("..");
  return unlink(name);
}

/* Free frames, once they are back to want or DEATH_TICKS have passed. */
static int
frames_back(int want)
{
  int f = freeframes();
  for (int t = 0; t < DEATH_TICKS && f < want; t++) {
    pause(1);
    f = freeframes();
  }
  return f;
}

/* Kill every pid a round whose first child is pid0 can have made. */
static void
kill_span(int pid0)
{
  for (int pid = pid0; pid < pid0 + KILL_SPAN; pid++)
    kill(pid);
}

/* One round's identity, for its reports. */
struct round {
  int n, first, last;
};

/* Print a FAIL line for round r and how to replay it; returns -1. */
static int
fail(const struct round *r, const char *what, long got, long want)
{
  printf("sysfuzz: FAIL round %d (children %d-%d): %s (got %ld, want %ld)\n", r->n, r->first,
         r->last, what, got, want);
  printf("sysfuzz: replay: sysfuzz -c %d-%d -n %d %lu\n", r->first, r->last, fz.ncalls, fz.seed);
  return -1;
}

/* Is pid alive, not yet a zombie? (vmquery fails for a process that has
 * given back its memory.) A process stuck on its way out counts as alive. */
static int
alive(int pid)
{
  struct vmquery q;
  return vmquery(pid, 0, &q) == 0;
}

/* How many of the n pids are alive. */
static int
count_alive(const int *pids, int n)
{
  int live = 0;
  for (int i = 0; i < n; i++)
    live += alive(pids[i]);
  return live;
}

/* Wait for the round's n children (pids[]), polling: a wait() could block
 * for good, and so could a timer child's exit if the file system hangs.
 * After ROUND_TICKS the round is cut short: its pids from pids[0] on are
 * killed. Returns 1 if it was, 0 if not, or -1 (after a FAIL line) if
 * killed children did not die within DEATH_TICKS. */
static int
reap_round(const struct round *r, const int *pids, int n)
{
  uint start = uptime();
  int cut = 0, live;
  while ((live = count_alive(pids, n)) > 0) {
    if (!cut && uptime() - start > ROUND_TICKS) {
      kill_span(pids[0]);
      cut = 1;
      start = uptime();
    } else if (cut && uptime() - start > DEATH_TICKS) {
      return fail(r, "killed children did not die: a hang", live, 0);
    }
    pause(1);
  }
  for (int i = 0; i < n; i++)
    wait(0);
  return cut;
}

/* Audit the reference counts (quietly: only a wrong count is reported).
 * Returns 0, or -1 after a FAIL line. */
static int
audit(const struct round *r, const char *when)
{
  struct memcheck mc;
  if (memcheck(&mc) != 1)
    return 0;
  printf("sysfuzz: memcheck %s: frame 0x%lx has count %lu, want %lu\n", when, mc.bad_pa, mc.refs,
         mc.maps);
  return fail(r, "memcheck found a wrong count", mc.refs, mc.maps);
}

/* Run round r: fork its children (each in a directory of its own), audit
 * while they run, reap them, then check that frames come back to base
 * (unless page replacement ran) and the counts agree, and remove the
 * directories. Returns 1 if the round was cut short, 0 if not, -1 after a
 * FAIL line. */
static int
run_round(const struct round *r, int base)
{
  uint64 paged = pages_moved();
  char dir[8] = "c";
  int pids[MAXCHILDREN], n = 0;
  for (int c = r->first; c <= r->last; c++) {
    struct value v = {c};
    format_value(dir + 1, &v);
    if (mkdir(dir) < 0)
      return fail(r, "mkdir of a child's directory failed", -1, 0);
  }
  for (int c = r->first; c <= r->last; c++) {
    if ((pids[n] = fork()) == 0)
      child(c);
    if (pids[n++] < 0)
      return fail(r, "fork of a child failed", pids[n - 1], 0);
  }
  if (audit(r, "while children run") < 0)
    return -1;
  int cut = reap_round(r, pids, n);
  if (cut < 0)
    return -1;
  kill_span(pids[0]); /* the children's children */
  int frames = frames_back(base);
  if (frames < base && pages_moved() == paged)
    return fail(r, "frames leaked", base - frames, 0);
  if (audit(r, "after the round") < 0)
    return -1;
  for (int c = r->first; c <= r->last; c++) {
    struct value v = {c};
    format_value(dir + 1, &v);
    /* A killed grandchild (init reaps it) may still finish a call that
     * makes a file here: only a directory that stays unremovable fails. */
    int t = 0;
    while (remove_tree(dir) < 0)
      if (t++ == DEATH_TICKS)
        return fail(r, "a child's directory could not be removed", -1, 0);
      else
        pause(1);
  }
  if (audit(r, "after the round") < 0)
    return -1;
  return cut;
}

/* Read every page of the program's image, so that its text and data are
 * mapped before free frames are counted: a page the parent first touched
 * later would look like a leak. */
static void
touch_image(void)
{
  extern char end[];
  for (char *volatile p = 0; (uint64)p < (uint64)end; p += PGSIZE)
    (void)*(volatile char *)p;
}

static void
usage(void)
{
  fprintf(2, "usage: sysfuzz [-t SECONDS] [-n CALLS] [SEED]\n"
             "       sysfuzz -c CHILD[-LAST] [-n CALLS] [-k LIST] SEED\n");
  exit(2);
}

/* Parse the command line into fz and *seconds, *first, *last (-1 if not a
 * replay). */
static void
parse(int argc, char **argv, int *seconds, int *first, int *last)
{
  int seeded = 0;
  fz.seed = uptime();
  fz.ncalls = CALLS;
  *seconds = SECONDS;
  *first = *last = -1;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (a[0] == '-' && a[1] && a[2] == 0 && i + 1 < argc) {
      char *v = argv[++i];
      if (a[1] == 't')
        *seconds = atoi(v);
      else if (a[1] == 'n')
        fz.ncalls = atoi(v);
      else if (a[1] == 'k')
        fz.keep = v;
      else if (a[1] == 'c') {
        *first = *last = atoi(v);
        char *dash = strchr(v, '-');
        if (dash)
          *last = atoi(dash + 1);
      } else
        usage();
    } else if (a[0] >= '0' && a[0] <= '9') {
      fz.seed = 0;
      for (; *a >= '0' && *a <= '9'; a++)
        fz.seed = fz.seed * 10 + (*a - '0');
      seeded = 1;
    } else {
      usage();
    }
  }
  if (*first >= 0 && (!seeded || *last < *first || *last - *first >= MAXCHILDREN))
    usage();
  if (fz.keep && *first < 0)
    usage();
}

int
main(int argc, char **argv)
{
  int seconds, first, last;
  parse(argc, argv, &seconds, &first, &last);
  fz.trace = first >= 0;
  fz.main_pid = getpid();
  touch_image();
  if (fz.trace)
    printf("sysfuzz: seed %lu, replaying children %d-%d, %d calls each\n", fz.seed, first, last,
           fz.ncalls);
  else
    printf("sysfuzz: seed %lu, %d s, %d calls per child, %d children per round\n", fz.seed, seconds,
           fz.ncalls, CHILDREN);
  int shortcut = cowctl(COWCTL_SHORTCUT, 2), tables = cowctl(COWCTL_TABLES, 2);
  remove_tree(DIR);
  if (mkdir(DIR) < 0 || chdir(DIR) < 0) {
    printf("sysfuzz: cannot make %s\n", DIR);
    exit(1);
  }
  uint64 paged = pages_moved();
  int base = freeframes(), rounds = 0, cut = 0, r = 0;
  uint deadline = uptime() + seconds * 100;
  do {
    struct round rd = {rounds, first, last};
    if (!fz.trace) {
      rd.first = rounds * CHILDREN;
      rd.last = rd.first + CHILDREN - 1;
      printf("sysfuzz: round %d: children %d-%d\n", rd.n, rd.first, rd.last);
    }
    r = run_round(&rd, base);
    cut += r > 0;
    rounds++;
  } while (r >= 0 && !fz.trace && uptime() < deadline);
  if (r < 0)
    exit(1);
  chdir("..");
  if (remove_tree(DIR) < 0)
    printf("sysfuzz: FAIL: %s could not be removed\n", DIR);
  cowctl(COWCTL_SHORTCUT, shortcut);
  cowctl(COWCTL_TABLES, tables);
  if (check_memory("sysfuzz") != 0 || (frames_back(base) < base && pages_moved() == paged)) {
    printf("sysfuzz: FAILED (seed %lu)\n", fz.seed);
    exit(1);
  }
  printf("sysfuzz: ok: %d rounds (%d cut short), %d children of %d calls, seed %lu\n", rounds, cut,
         rounds * (fz.trace ? last - first + 1 : CHILDREN), fz.ncalls, fz.seed);
  exit(0);
}
