/* wsbench.c: a program whose working set fits in memory but whose total
 * does not (make bench).
 *
 *   wsbench TOTAL WS ROUNDS     sizes in MiB
 *
 * It touches TOTAL MiB once (more than memory: the rest goes to swap),
 * then walks its first WS MiB ROUNDS times. Page replacement should keep
 * the working set in memory: the first round brings it back, the later
 * ones should find it there. Prints
 *   bench: wsbench total=T ws=W first_ins=A later_ins=B outs=C ms_first=D ms_later=E
 * (page-ins in the first round and in all later ones, page-outs in all,
 * wall milliseconds) and exits 0; exits 1 if a page came back wrong. */
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define MIB (1024 * 1024L)

static uint64
pageins(void)
{
  struct memstat m;
  memstat(getpid(), &m);
  return m.pageins;
}

/* Touch every page of [p, p + pages): check what it holds, then store. */
static void
walk(char *p, uint64 pages, int round)
{
  for (uint64 pg = 0; pg < pages; pg++) {
    uint64 *w = (uint64 *)(p + pg * PGSIZE);
    if (round > 0 && *w != pg + ((uint64)(round - 1) << 40)) {
      printf("wsbench: page %lu came back wrong\n", pg);
      exit(1);
    }
    *w = pg + ((uint64)round << 40);
  }
}

int
main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(2, "usage: wsbench TOTAL WS ROUNDS (MiB, MiB, count)\n");
    exit(1);
  }
  long total = atoi(argv[1]), ws = atoi(argv[2]), rounds = atoi(argv[3]);
  uint64 wspages = ws * MIB / PGSIZE;
  char *p = sbrklazy(total * MIB);
  if (p == SBRK_ERROR || ws > total || rounds < 2) {
    printf("wsbench: bad sizes, or sbrklazy failed\n");
    exit(1);
  }
  walk(p, total * MIB / PGSIZE, 0);
  uint64 t0 = uptime(), in0 = pageins();
  walk(p, wspages, 1);
  uint64 t1 = uptime(), in1 = pageins();
  for (int r = 2; r <= rounds; r++)
    walk(p, wspages, r);
  uint64 t2 = uptime(), in2 = pageins();
  struct memstat m;
  memstat(getpid(), &m);
  /* uptime() counts ticks, TICK_HZ (100) a second: 10 ms each */
  printf("bench: wsbench total=%ld ws=%ld first_ins=%lu later_ins=%lu outs=%lu ms_first=%lu "
         "ms_later=%lu\n",
         total, ws, in1 - in0, in2 - in1, m.pageouts, (t1 - t0) * 10, (t2 - t1) * 10);
  exit(0);
}
