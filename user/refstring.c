/* refstring.c: run a reference string through the kernel's page
 * replacement and count the faults (the textbook's experiment, on a live
 * system).
 *
 *   refstring [-p clock|fifo] -f FRAMES NAME
 *
 * The program limits its resident heap to FRAMES pages (cowctl
 * COWCTL_RSSLIMIT: local replacement, in the kernel), sets the policy
 * (COWCTL_EVICT), and stores to heap page r for each r of the string NAME:
 *   belady    1 2 3 4 1 2 5 1 2 3 4 5 (pages 0..4): FIFO faults more with 4
 *             frames than with 3 (Belady's anomaly)
 *   loop      a program's loop nest: 4 phases, each looping 20 times over
 *             12 pages, the phases 6 pages apart (32 pages in all)
 *   locality  1000 references to 32 pages, 4 of 5 to a hot set of 8 that
 *             moves every 250 (the rest anywhere), from a fixed seed
 *   cycle     pages 0..15 in order, 10 times over: any policy that is not
 *             OPT faults on every reference once FRAMES < 16
 * test/bench_swap.py makes the same strings to compute OPT and LRU. Each
 * store writes the reference's index into its page, and each reference
 * first checks that the page still holds what was last written there, so
 * a page that came back wrong fails the run. The faults are the kernel's
 * own counts for this process: zero-fills (a page's first touch) plus
 * page-ins. Prints one line
 *   refstring: NAME POLICY frames F refs N faults K
 * and exits 0, or says what went wrong and exits 1. Needs a swap disk. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define MAXREFS 1000
#define NPAGES  32

static int refs[MAXREFS];
static int last[NPAGES]; /* what each page should hold: 0 (untouched) or index + 1 */

static uint32 seed = 12345;

/* The generator test/bench_swap.py repeats: a 31-bit LCG, of which only
 * the high 15 bits are used. Its low bits are far from random (bit 0
 * alternates), and a string built from them would be too: taken mod 8 and
 * mod 5 in turn, they sent every reference to an odd page. */
static uint32
next_random(void)
{
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed >> 16;
}

/* Fill refs with string name; returns its length, or -1 for no such string. */
static int
make_string(const char *name)
{
  int n = 0;
  if (strcmp(name, "belady") == 0) {
    static const int b[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    for (n = 0; n < (int)(sizeof(b) / sizeof(b[0])); n++)
      refs[n] = b[n] - 1;
  } else if (strcmp(name, "loop") == 0) {
    for (int phase = 0; phase < 4; phase++)
      for (int round = 0; round < 20; round++)
        for (int k = 0; k < 12; k++)
          refs[n++] = phase * 6 + k;
  } else if (strcmp(name, "locality") == 0) {
    for (n = 0; n < MAXREFS; n++) {
      int hot = (n / 250) * 4;
      refs[n] = next_random() % 5 < 4 ? hot + next_random() % 8 : next_random() % NPAGES;
    }
  } else if (strcmp(name, "cycle") == 0) {
    for (int round = 0; round < 10; round++)
      for (int k = 0; k < 16; k++)
        refs[n++] = k;
  } else {
    return -1;
  }
  return n;
}

static uint64
faults(void)
{
  struct memstat m;
  if (memstat(getpid(), &m) < 0) {
    printf("refstring: memstat failed\n");
    exit(1);
  }
  return m.zero_fills + m.pageins;
}

int
main(int argc, char **argv)
{
  int policy = EVICT_CLOCK, frames = 0;
  char *name = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
      policy = strcmp(argv[++i], "fifo") == 0 ? EVICT_FIFO : EVICT_CLOCK;
    else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
      frames = atoi(argv[++i]);
    else
      name = argv[i];
  }
  int n = name ? make_string(name) : -1;
  if (n < 0 || frames < 1) {
    fprintf(2, "usage: refstring [-p clock|fifo] -f FRAMES belady|loop|locality|cycle\n");
    exit(1);
  }
  char *heap = sbrklazy(NPAGES * PGSIZE);
  if (heap == SBRK_ERROR) {
    printf("refstring: sbrklazy failed\n");
    exit(1);
  }
  int old = cowctl(COWCTL_EVICT, policy);
  if (cowctl(COWCTL_RSSLIMIT, frames) < 0) {
    printf("refstring: cannot limit the resident heap to %d pages (no swap disk?)\n", frames);
    exit(1);
  }
  uint64 before = faults();
  for (int i = 0; i < n; i++) {
    int *word = (int *)(heap + refs[i] * PGSIZE);
    if (*word != last[refs[i]]) {
      printf("refstring: page %d holds %d, want %d\n", refs[i], *word, last[refs[i]]);
      exit(1);
    }
    *word = last[refs[i]] = i + 1;
  }
  uint64 k = faults() - before;
  cowctl(COWCTL_RSSLIMIT, 0);
  cowctl(COWCTL_EVICT, old);
  printf("refstring: %s %s frames %d refs %d faults %lu\n", name,
         policy == EVICT_FIFO ? "fifo" : "clock", frames, n, k);
  exit(0);
}
