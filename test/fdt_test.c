/* fdt_test.c: host unit tests of the device-tree reader (kernel/fdt.c).
 *
 * Usage: fdt_test [dtb-dir]   (default test/build; make fdt-test runs it)
 *
 * The good trees are QEMU 7.2 virt dumps and a few hand-written ones,
 * compiled from the .dts files in test/dts by test/fdt.mk. Malformed blobs are made
 * here by mutating an in-memory copy of a good one; each must be rejected
 * with its own FDT_E_* code. Every test runs in a forked child, so a crash
 * is one FAIL line. Ends with "N passed, M failed"; exits 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kernel/types.h"
#include "kernel/platform/fdt.h"

static const char *dtbdir = "test/build";
static int failed; /* checks failed in this test (child process) */

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                             \
      failed++;                                                                                    \
    }                                                                                              \
  } while (0)

#define CHECK_EQ(a, b)                                                                             \
  do {                                                                                             \
    unsigned long long a_ = (unsigned long long)(a);                                               \
    unsigned long long b_ = (unsigned long long)(b);                                               \
    if (a_ != b_) {                                                                                \
      printf("    %s:%d: %s == 0x%llx, want %s == 0x%llx\n", __FILE__, __LINE__, #a, a_, #b, b_);  \
      failed++;                                                                                    \
    }                                                                                              \
  } while (0)

#define CHECK_ERR(got, want)                                                                       \
  do {                                                                                             \
    int g_ = (got);                                                                                \
    if (g_ != (want)) {                                                                            \
      printf("    %s:%d: got %d (%s), want %s (%s)\n", __FILE__, __LINE__, g_, fdt_strerror(g_),   \
             #want, fdt_strerror(want));                                                           \
      failed++;                                                                                    \
    }                                                                                              \
  } while (0)

/* A blob read from a file; data is malloc'd. */
struct dtb {
  uchar *data;
  uint64 size;
};

/* Reads dtbdir/name.dtb into *d; exits the test with a message if it
 * cannot. */
static void
dtb_load(const char *name, struct dtb *d)
{
  char path[512];
  FILE *f;
  long n;

  snprintf(path, sizeof(path), "%s/%s.dtb", dtbdir, name);
  f = fopen(path, "rb");
  if (f == 0 || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0) {
    printf("    cannot read %s\n", path);
    exit(1);
  }
  rewind(f);
  d->data = malloc(n);
  d->size = n;
  if (d->data == 0 || fread(d->data, 1, n, f) != (size_t)n) {
    printf("    cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
}

/* Big-endian 32-bit field at off of blob b. */
static uint32
get32(const uchar *b, uint64 off)
{
  return ((uint32)b[off] << 24) | ((uint32)b[off + 1] << 16) | ((uint32)b[off + 2] << 8) |
         b[off + 3];
}

/* Stores v big-endian at off of blob b. */
static void
put32(uchar *b, uint64 off, uint32 v)
{
  b[off] = v >> 24;
  b[off + 1] = v >> 16;
  b[off + 2] = v >> 8;
  b[off + 3] = v;
}

/* Stores v big-endian at off of blob b, as two 32-bit cells. */
static void
put64(uchar *b, uint64 off, uint64 v)
{
  put32(b, off, v >> 32);
  put32(b, off + 4, v);
}

/* Header field offsets. */
enum {
  H_MAGIC = 0,
  H_TOTALSIZE = 4,
  H_OFF_STRUCT = 8,
  H_OFF_STRINGS = 12,
  H_OFF_RSVMAP = 16,
  H_VERSION = 20,
  H_LAST_COMP = 24,
  H_SIZE_STRINGS = 32,
  H_SIZE_STRUCT = 36
};

/* Offset of the FDT_PROP token of property prop in the n-th (from 0) node
 * named node (full name, "" for the root) of the good blob b; exits the test
 * if there is none. An independent, trusting walker: test inputs only. */
static uint64
prop_find(const uchar *b, const char *node, int n, const char *prop)
{
  uint64 pos = get32(b, H_OFF_STRUCT), tokpos;
  const char *strs = (const char *)b + get32(b, H_OFF_STRINGS);
  int in = 0, seen = 0;
  uint32 tok, len;

  for (;;) {
    tokpos = pos;
    tok = get32(b, pos);
    pos += 4;
    if (tok == 1) {
      in = strcmp((const char *)b + pos, node) == 0 && seen++ == n;
      pos = (pos + strlen((const char *)b + pos) + 1 + 3) & ~3UL;
    } else if (tok == 3) {
      len = get32(b, pos);
      if (in && strcmp(strs + get32(b, pos + 4), prop) == 0)
        return tokpos;
      pos = (pos + 8 + len + 3) & ~3UL;
    } else if (tok == 2) {
      in = 0;
    } else if (tok == 9) {
      printf("    no property %s in node '%s' #%d\n", prop, node, n);
      exit(1);
    }
  }
}

/* Offset of node's BEGIN_NODE token (first node of that full name). */
static uint64
node_find(const uchar *b, const char *node)
{
  uint64 pos = get32(b, H_OFF_STRUCT), tokpos;
  uint32 tok;

  for (;;) {
    tokpos = pos;
    tok = get32(b, pos);
    pos += 4;
    if (tok == 1) {
      if (strcmp((const char *)b + pos, node) == 0)
        return tokpos;
      pos = (pos + strlen((const char *)b + pos) + 1 + 3) & ~3UL;
    } else if (tok == 3) {
      pos = (pos + 8 + get32(b, pos) + 3) & ~3UL;
    } else if (tok == 9) {
      printf("    no node '%s'\n", node);
      exit(1);
    }
  }
}

/* Offset in b of the property name s inside the strings block. */
static uint64
string_find(const uchar *b, const char *s)
{
  uint64 off = get32(b, H_OFF_STRINGS), end = off + get32(b, H_SIZE_STRINGS);

  for (; off < end; off += strlen((const char *)b + off) + 1)
    if (strcmp((const char *)b + off, s) == 0)
      return off;
  printf("    no string %s\n", s);
  exit(1);
}

/* Offset of the k-th 32-bit cell of property prop in the first node named
 * node of the good blob b. */
static uint64
cell_at(const uchar *b, const char *node, const char *prop, int k)
{
  return prop_find(b, node, 0, prop) + 12 + 4 * k;
}

/* Parses dtbdir/name.dtb into *m and checks that it succeeds. */
static void
parse_ok(const char *name, struct dtb *d, struct machine *m)
{
  dtb_load(name, d);
  CHECK_ERR(fdt_parse(d->data, d->size, m), 0);
}

/* Checks hart i of m: hartid i, usable, QEMU virt's S-mode context 2i+1. */
static void
check_virt_harts(const struct machine *m, int n)
{
  int i;

  CHECK_EQ(m->nharts, n);
  for (i = 0; i < m->nharts; i++) {
    CHECK_EQ(m->harts[i].hartid, i);
    CHECK_EQ(m->harts[i].usable, 1);
    CHECK_EQ(m->harts[i].plic_ctx, 2 * i + 1);
  }
}

/* Checks a QEMU virt machine with -m 128M's single RAM range. */
static void
check_mem(const struct machine *m, uint64 size)
{
  CHECK_EQ(m->nmem, 1);
  CHECK_EQ(m->mem[0].base, 0x80000000);
  CHECK_EQ(m->mem[0].size, size);
}

/* Checks the fixed devices of QEMU virt. */
static void
check_virt_devices(const struct machine *m)
{
  int i;

  CHECK_EQ(m->timebase, 10000000);
  CHECK_EQ(m->uart.base, 0x10000000);
  CHECK_EQ(m->uart.size, 0x100);
  CHECK_EQ(m->uart.irq, 10);
  CHECK_EQ(m->uart_clock, 3686400);
  CHECK_EQ(m->plic.base, 0xc000000);
  CHECK_EQ(m->plic.size, 0x600000);
  CHECK_EQ(m->plic_ndev, 0x60);
  CHECK_EQ(m->test.base, 0x100000);
  CHECK_EQ(m->test.size, 0x1000);
  CHECK_EQ(m->nvirtio, 8);
  /* blob order: QEMU emits slot 7 (0x10008000, irq 8) first */
  for (i = 0; i < m->nvirtio; i++) {
    CHECK_EQ(m->virtio[i].base, 0x10008000 - 0x1000 * i);
    CHECK_EQ(m->virtio[i].size, 0x1000);
    CHECK_EQ(m->virtio[i].irq, 8 - i);
  }
  CHECK(strcmp(m->stdout_path, "/soc/serial@10000000") == 0);
}

/* Checks that the last reserved range is the blob itself. */
static void
check_blob_resv(const struct machine *m, const void *blob, uint64 size)
{
  CHECK(m->nresv >= 1);
  if (m->nresv < 1)
    return;
  CHECK_EQ(m->resv[m->nresv - 1].base, (uint64)blob);
  CHECK_EQ(m->resv[m->nresv - 1].size, size);
}

static void
test_smp1(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("virt-smp1-128M", &d, &m);
  check_virt_harts(&m, 1);
  check_mem(&m, 128 << 20);
  check_virt_devices(&m);
}

static void
test_smp3(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("virt-smp3-128M", &d, &m);
  check_virt_harts(&m, 3);
  check_mem(&m, 128 << 20);
  check_virt_devices(&m);
  CHECK_EQ(m.nresv, 1);
  check_blob_resv(&m, d.data, d.size);
  CHECK_EQ(m.bootargs[0], 0);
}

static void
test_smp8(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("virt-smp8-128M", &d, &m);
  check_virt_harts(&m, 8);
  check_mem(&m, 128 << 20);
  check_virt_devices(&m);
}

static void
test_mem_1g(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("virt-smp3-1G", &d, &m);
  check_mem(&m, 1UL << 30);
  check_virt_harts(&m, 3);
}

static void
test_mem_3g(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("virt-smp3-3G", &d, &m);
  check_mem(&m, 3UL << 30);
  check_virt_harts(&m, 3);
}

static void
test_bootargs(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("virt-smp3-128M-bootargs", &d, &m);
  CHECK(strcmp(m.bootargs, "hello world") == 0);
  check_virt_devices(&m);
}

static void
test_reserved(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("with-reserved", &d, &m);
  CHECK_EQ(m.nresv, 3);
  CHECK_EQ(m.resv[0].base, 0x87f00000); /* /memreserve/ */
  CHECK_EQ(m.resv[0].size, 0x100000);
  CHECK_EQ(m.resv[1].base, 0x80000000); /* /reserved-memory/mmode_resv0 */
  CHECK_EQ(m.resv[1].size, 0x40000);
  check_blob_resv(&m, d.data, d.size);
  check_mem(&m, 128 << 20);
  check_virt_harts(&m, 3); /* M-mode entries masked by OpenSBI */
}

static void
test_quirks(void)
{
  struct dtb d;
  struct machine m;

  parse_ok("quirks", &d, &m);
  CHECK_EQ(m.nmem, 3);
  CHECK_EQ(m.mem[0].base, 0x80000000);
  CHECK_EQ(m.mem[0].size, 0x4000000);
  CHECK_EQ(m.mem[1].base, 0x88000000);
  CHECK_EQ(m.mem[1].size, 0x4000000);
  CHECK_EQ(m.mem[2].base, 0x90000000);
  CHECK_EQ(m.mem[2].size, 0x1000000);
  CHECK_EQ(m.nharts, 4);
  CHECK_EQ(m.harts[0].hartid, 0);
  CHECK_EQ(m.harts[0].usable, 0); /* disabled */
  CHECK_EQ(m.harts[0].plic_ctx, -1);
  CHECK_EQ(m.harts[1].usable, 1);
  CHECK_EQ(m.harts[1].plic_ctx, 1);
  CHECK_EQ(m.harts[2].usable, 1); /* no status */
  CHECK_EQ(m.harts[2].plic_ctx, 3);
  CHECK_EQ(m.harts[3].hartid, 3);
  CHECK_EQ(m.harts[3].usable, 0); /* no mmu-type */
  CHECK_EQ(m.harts[3].plic_ctx, 5);
  CHECK_EQ(m.timebase, 1000000);
  CHECK_EQ(m.uart.base, 0x10010000);
  CHECK_EQ(m.uart.irq, 4);
  CHECK_EQ(m.uart_clock, 30000000);
  CHECK_EQ(m.plic.base, 0xc000000);
  CHECK_EQ(m.plic.size, 0x4000000);
  CHECK_EQ(m.plic.irq, -1);
  CHECK_EQ(m.plic_ndev, 0x35);
  CHECK_EQ(m.nvirtio, 1);
  CHECK_EQ(m.virtio[0].base, 0x10001000);
  CHECK_EQ(m.virtio[0].irq, -1);
  CHECK_EQ(m.test.base, 0x100000);
  CHECK_EQ(m.nresv, 1);
  check_blob_resv(&m, d.data, d.size);
  CHECK_EQ(strlen(m.bootargs), FDT_MAX_BOOTARGS - 1);
  CHECK(strncmp(m.bootargs, "0123456789abcdef0123", 20) == 0);
  CHECK_EQ(strlen(m.stdout_path), sizeof(m.stdout_path) - 1);
  CHECK(strncmp(m.stdout_path, "/soc/a-very-long-path-name/", 27) == 0);
}

static void
test_unaligned(void)
{
  struct dtb d;
  struct machine m;
  uchar *odd;

  dtb_load("virt-smp3-128M", &d);
  odd = malloc(d.size + 1);
  memcpy(odd + 1, d.data, d.size);
  CHECK_ERR(fdt_parse(odd + 1, d.size, &m), 0);
  check_virt_harts(&m, 3);
  check_mem(&m, 128 << 20);
  check_virt_devices(&m);
  check_blob_resv(&m, odd + 1, d.size);
  CHECK_EQ(fdt_totalsize(odd + 1), d.size);
}

static void
test_totalsize(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  CHECK_EQ(fdt_totalsize(d.data), d.size);
  d.data[0] ^= 1;
  CHECK_EQ(fdt_totalsize(d.data), 0);
  d.data[0] ^= 1;
  CHECK_ERR(fdt_parse(d.data, fdt_totalsize(d.data), &m), 0);
  CHECK_ERR(fdt_parse(d.data, d.size + 4096, &m), 0); /* maxlen is only a bound */
}

static void
test_nop(void)
{
  struct dtb d;
  struct machine m;
  uint64 p, end;

  dtb_load("virt-smp3-128M", &d);
  p = prop_find(d.data, "chosen", 0, "rng-seed");
  end = p + 12 + ((get32(d.data, p + 4) + 3) & ~3U);
  for (; p < end; p += 4)
    put32(d.data, p, 4); /* FDT_NOP */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
  check_virt_harts(&m, 3);
  check_virt_devices(&m);
}

static void
test_strerror(void)
{
  int e;

  for (e = FDT_E_LAST; e <= 0; e++) {
    CHECK(fdt_strerror(e) != 0 && strlen(fdt_strerror(e)) > 10);
    if (e < 0)
      CHECK(strcmp(fdt_strerror(e), fdt_strerror(e + 1)) != 0);
  }
  CHECK(fdt_strerror(-100) != 0);
}

/* --- malformed blobs -------------------------------------------------- */

static void
test_bad_magic(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  put32(d.data, H_MAGIC, 0xedfe0dd0);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_MAGIC);
}

static void
test_bad_version(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  put32(d.data, H_VERSION, 15);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_VERSION);
  put32(d.data, H_VERSION, 17);
  put32(d.data, H_LAST_COMP, 18);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_VERSION);
}

static void
test_truncated(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  CHECK_ERR(fdt_parse(d.data, d.size - 1, &m), FDT_E_SIZE);
  CHECK_ERR(fdt_parse(d.data, 2, &m), FDT_E_SIZE);
  CHECK_ERR(fdt_parse(d.data, 20, &m), FDT_E_SIZE);
  put32(d.data, H_TOTALSIZE, d.size + 1);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_SIZE);
  put32(d.data, H_TOTALSIZE, 39);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_SIZE);
}

static void
test_bad_offsets(void)
{
  struct dtb d;
  struct machine m;
  uint32 sz = 0;

  dtb_load("virt-smp3-128M", &d);
  sz = d.size;
  struct {
    int field;
    uint32 value;
  } cases[] = {
      {H_OFF_STRUCT, sz + 8},      {H_OFF_STRUCT, 8}, /* inside the header */
      {H_SIZE_STRUCT, sz},         {H_SIZE_STRUCT, 0xfffffffc}, {H_OFF_STRINGS, sz},
      {H_OFF_STRINGS, 0xffffffff}, {H_SIZE_STRINGS, sz},        {H_OFF_RSVMAP, sz + 16},
      {H_OFF_RSVMAP, sz - 8}, /* entry runs past the end */
  };
  uint32 saved;
  uint64 i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    saved = get32(d.data, cases[i].field);
    put32(d.data, cases[i].field, cases[i].value);
    CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_OFFSET);
    put32(d.data, cases[i].field, saved);
  }
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_strings_unterminated(void)
{
  struct dtb d;
  struct machine m;
  uint64 last;

  dtb_load("virt-smp3-128M", &d);
  last = get32(d.data, H_OFF_STRINGS) + get32(d.data, H_SIZE_STRINGS) - 1;
  d.data[last] = 'x';
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRING);
  d.data[last] = 0;
  put32(d.data, H_SIZE_STRINGS, get32(d.data, H_SIZE_STRINGS) - 1);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRING);
}

static void
test_nameoff_past_strings(void)
{
  struct dtb d;
  struct machine m;
  uint64 p;

  dtb_load("virt-smp3-128M", &d);
  p = prop_find(d.data, "memory@80000000", 0, "reg");
  put32(d.data, p + 8, get32(d.data, H_SIZE_STRINGS));
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRING);
  put32(d.data, p + 8, 0xffffffff);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRING);
}

static void
test_prop_unterminated(void)
{
  struct dtb d;
  struct machine m;
  uint64 p;

  dtb_load("virt-smp3-128M", &d);
  p = prop_find(d.data, "cpu@1", 0, "status");
  CHECK_EQ(get32(d.data, p + 4), 5); /* "okay" */
  d.data[p + 12 + 4] = 'x';
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRING);
}

static void
test_name_unterminated(void)
{
  struct dtb d;
  struct machine m;
  uint64 n;

  dtb_load("virt-smp3-128M", &d);
  n = node_find(d.data, "chosen");
  /* the structure block now ends inside "chosen" */
  put32(d.data, H_SIZE_STRUCT, n + 4 + 3 - get32(d.data, H_OFF_STRUCT));
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRING);
}

static void
test_garbage_token(void)
{
  struct dtb d;
  struct machine m;
  uint64 first;

  dtb_load("virt-smp3-128M", &d);
  first = get32(d.data, H_OFF_STRUCT) + 8; /* after the root's BEGIN_NODE and "" */
  CHECK_EQ(get32(d.data, first), 3);
  put32(d.data, first, 0xdeadbeef);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRUCT);
}

static void
test_bad_struct(void)
{
  struct dtb d;
  struct machine m;
  uint64 send, p;
  uint32 saved;

  dtb_load("virt-smp3-128M", &d);
  send = get32(d.data, H_OFF_STRUCT) + get32(d.data, H_SIZE_STRUCT);
  CHECK_EQ(get32(d.data, send - 4), 9);
  put32(d.data, H_SIZE_STRUCT, get32(d.data, H_SIZE_STRUCT) - 4); /* no FDT_END */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRUCT);
  put32(d.data, H_SIZE_STRUCT, get32(d.data, H_SIZE_STRUCT) + 4);
  put32(d.data, send - 4, 2); /* one END_NODE too many */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRUCT);
  put32(d.data, send - 4, 9);
  put32(d.data, send - 8, 9); /* FDT_END before the root closes */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRUCT);
  put32(d.data, send - 8, 2);
  p = prop_find(d.data, "memory@80000000", 0, "reg");
  saved = get32(d.data, p + 4);
  put32(d.data, p + 4, 0x7fffffff); /* value runs past the block */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_STRUCT);
  put32(d.data, p + 4, saved);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_no_memory(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("no-memory", &d);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_NOMEM);
}

static void
test_no_cpu(void)
{
  struct dtb d;
  struct machine m;
  uint64 p;
  int i;
  static const char *const cpus[] = {"cpu@0", "cpu@1", "cpu@2"};

  dtb_load("virt-smp3-128M", &d);
  for (i = 0; i < 3; i++) {
    p = prop_find(d.data, cpus[i], 0, "status");
    memcpy(d.data + p + 12, "fail", 5);
  }
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_NOCPU);
}

static void
test_no_timebase(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  d.data[string_find(d.data, "timebase-frequency")] = 'T';
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_TIMEBASE);
}

static void
test_bad_prop_length(void)
{
  struct dtb d;
  struct machine m;
  uint64 p;

  dtb_load("virt-smp3-128M", &d);
  p = prop_find(d.data, "cpus", 0, "timebase-frequency");
  put32(d.data, p + 4, 3);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PROP);
  put32(d.data, p + 4, 4);
  p = prop_find(d.data, "", 0, "#address-cells");
  put32(d.data, p + 4, 2);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PROP);
  put32(d.data, p + 4, 4);
  /* shorten by one byte: the padding keeps the token stream intact */
  p = prop_find(d.data, "plic@c000000", 0, "interrupts-extended");
  put32(d.data, p + 4, get32(d.data, p + 4) - 1);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PROP);
  put32(d.data, p + 4, get32(d.data, p + 4) + 1);
  p = prop_find(d.data, "memory@80000000", 0, "reg");
  put32(d.data, p + 4, 15);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PROP);
  put32(d.data, p + 4, 16);
  p = prop_find(d.data, "serial@10000000", 0, "interrupts");
  put32(d.data, p + 4, 2);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PROP);
  put32(d.data, p + 4, 4);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_too_many(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp17-128M", &d);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_TOOMANY);
}

/* --- well-formed blobs describing an unusable machine ------------------ */

/* In quirks, memory@80000000 has two 1-cell ranges, 0x80000000 and
 * 0x88000000 (64 MiB each); memory@90000000 has one, 16 MiB. */
static void
test_mem_overlap_one_node(void)
{
  struct dtb d;
  struct machine m;
  uint64 base2;

  dtb_load("quirks", &d);
  base2 = cell_at(d.data, "memory@80000000", "reg", 2);
  put32(d.data, base2, 0x83fff000); /* last page of the first range */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_OVERLAP);
  put32(d.data, base2, 0x84000000); /* adjacent is fine */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_mem_overlap_two_nodes(void)
{
  struct dtb d;
  struct machine m;
  uint64 base;

  dtb_load("quirks", &d);
  base = cell_at(d.data, "memory@90000000", "reg", 0);
  put32(d.data, base, 0x7ffff000); /* its 16 MiB run into 0x80000000 */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_OVERLAP);
  put32(d.data, base, 0x80000000); /* the very same range twice */
  put32(d.data, base + 4, 0x4000000);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_OVERLAP);
  put32(d.data, base, 0x7f000000); /* ends where the first begins */
  put32(d.data, base + 4, 0x1000000);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_mem_wraps(void)
{
  struct dtb d;
  struct machine m;
  uint64 size;

  dtb_load("virt-smp3-128M", &d);
  size = cell_at(d.data, "memory@80000000", "reg", 2);
  put64(d.data, size, 0xffffffff80001000UL); /* 0x80000000 + this wraps to 0x1000 */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_MEMRANGE);
  put64(d.data, size, (1UL << 56) - 0x80000000 + 1);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_MEMRANGE);
  put64(d.data, size, (1UL << 56) - 0x80000000); /* ends at 2^56 exactly */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_resv_wraps_rsvmap(void)
{
  struct dtb d;
  struct machine m;
  uint64 e;

  dtb_load("with-reserved", &d);
  e = get32(d.data, H_OFF_RSVMAP);            /* /memreserve/ 0x87f00000 0x100000 */
  put64(d.data, e + 8, 0xffffffff78101000UL); /* ends at 0x1000 after wrapping */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_RESV);
  put64(d.data, e + 8, 0xffffffff78100000UL); /* ends at 2^64 exactly */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_RESV);
  put64(d.data, e + 8, 0x100000);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_resv_wraps_node(void)
{
  struct dtb d;
  struct machine m;
  uint64 size;

  dtb_load("with-reserved", &d);
  size = cell_at(d.data, "mmode_resv0@80000000", "reg", 2);
  put64(d.data, size, ~0UL);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_RESV);
}

static void
test_dev_wraps(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  put64(d.data, cell_at(d.data, "serial@10000000", "reg", 2), 0xfffffffff0000000UL);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_DEVRANGE);
}

static void
test_dev_overlap(void)
{
  struct dtb d;
  struct machine m;
  uint64 base;

  dtb_load("virt-smp3-128M", &d);
  base = cell_at(d.data, "virtio_mmio@10001000", "reg", 0);
  put64(d.data, base, 0x87fff000); /* the last page of RAM */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_DEVPAGE);
  put64(d.data, base, 0x10000100); /* the UART's page */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_DEVPAGE);
  put64(d.data, base, 0xc5ff000); /* the PLIC's last page */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_DEVPAGE);
  put64(d.data, base, 0x88000000); /* just above RAM is fine */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_plic_ctx(void)
{
  struct dtb d;
  struct machine m;
  uint64 size;

  dtb_load("virt-smp3-128M", &d);
  size = cell_at(d.data, "plic@c000000", "reg", 3);
  put32(d.data, size, 0x205000); /* contexts 0-4; hart 2 uses 5 */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PLICCTX);
  put32(d.data, size, 0x1000); /* no context at all */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_PLICCTX);
  put32(d.data, size, 0x206000);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
  CHECK_EQ(m.harts[2].plic_ctx, 5);
}

static void
test_plic_ndev(void)
{
  struct dtb d;
  struct machine m;
  uint64 ndev;

  dtb_load("virt-smp3-128M", &d);
  ndev = cell_at(d.data, "plic@c000000", "riscv,ndev", 0);
  put32(d.data, ndev, 1024);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_NDEV);
  put32(d.data, ndev, 0x80000000); /* would be negative as an int */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_NDEV);
  put32(d.data, ndev, 1023);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_irq_uart(void)
{
  struct dtb d;
  struct machine m;
  uint64 irq;

  dtb_load("virt-smp3-128M", &d);
  irq = cell_at(d.data, "serial@10000000", "interrupts", 0);
  put32(d.data, irq, 0x61); /* riscv,ndev is 0x60 */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_IRQ);
  put32(d.data, irq, 0); /* source 0 does not exist */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_IRQ);
  put32(d.data, irq, 0x60);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_irq_virtio(void)
{
  struct dtb d;
  struct machine m;
  uint64 irq;

  dtb_load("virt-smp3-128M", &d);
  irq = cell_at(d.data, "virtio_mmio@10008000", "interrupts", 0);
  put32(d.data, irq, 5000);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_IRQ);
  /* without riscv,ndev the PLIC may have all 1023 sources */
  d.data[string_find(d.data, "riscv,ndev")] = 'R';
  CHECK_ERR(fdt_parse(d.data, d.size, &m), FDT_E_IRQ);
  put32(d.data, irq, 1023);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
}

static void
test_fits(void)
{
  struct dtb d;
  struct machine m;
  uint64 ks = 0x80200000, ke = 0x80400000;

  parse_ok("virt-smp3-128M", &d, &m);
  CHECK_ERR(fdt_fits(&m, ks, ke, 1UL << 38), 0);
  CHECK_ERR(fdt_fits(&m, ks, ke, 0x88000000), 0);
  CHECK_ERR(fdt_fits(&m, ks, ke, 0x87fff000), FDT_E_HIGH);
  CHECK_ERR(fdt_fits(&m, 0x87f00000, 0x88001000, 1UL << 38), FDT_E_KERNEL);
  CHECK_ERR(fdt_fits(&m, 0x7ff00000, 0x80100000, 1UL << 38), FDT_E_KERNEL);
}

static void
test_fits_kernel_outside_ram(void)
{
  struct dtb d;
  struct machine m;
  uint64 reg;

  dtb_load("virt-smp3-128M", &d);
  reg = cell_at(d.data, "memory@80000000", "reg", 0);
  put64(d.data, reg, 0x80300000); /* RAM starts inside the kernel image */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
  CHECK_ERR(fdt_fits(&m, 0x80200000, 0x80400000, 1UL << 38), FDT_E_KERNEL);
  put64(d.data, reg, 0x80200000); /* RAM starts at the kernel */
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
  CHECK_ERR(fdt_fits(&m, 0x80200000, 0x80400000, 1UL << 38), 0);
}

static void
test_fits_high_device(void)
{
  struct dtb d;
  struct machine m;

  dtb_load("virt-smp3-128M", &d);
  /* its bytes end at limit - 0x800, its page at limit */
  put64(d.data, cell_at(d.data, "test@100000", "reg", 0), (1UL << 38) - 0x1800);
  CHECK_ERR(fdt_parse(d.data, d.size, &m), 0);
  CHECK_ERR(fdt_fits(&m, 0x80200000, 0x80400000, 1UL << 38), 0);
  CHECK_ERR(fdt_fits(&m, 0x80200000, 0x80400000, (1UL << 38) - 0x800), FDT_E_HIGH);
}

/* --- robustness ------------------------------------------------------- */

/* A buffer whose usable bytes are bracketed by inaccessible pages. */
struct guarded {
  uchar *lo; /* first usable byte; the page before is PROT_NONE */
  uchar *hi; /* one past the last usable byte; PROT_NONE from here */
};

/* Maps at least n usable bytes (whole pages) between two guard pages. */
static void
guarded_map(struct guarded *g, uint64 n)
{
  uint64 pg = sysconf(_SC_PAGESIZE);
  uchar *p;

  n = (n + pg - 1) / pg * pg;
  p = mmap(0, n + 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (p == MAP_FAILED || mprotect(p, pg, PROT_NONE) != 0 ||
      mprotect(p + pg + n, pg, PROT_NONE) != 0) {
    printf("    mmap failed\n");
    exit(1);
  }
  g->lo = p + pg;
  g->hi = p + pg + n;
}

/* Parses blob (len bytes) placed once against the low guard and once
 * against the high guard, with maxlen bounded by its totalsize field.
 * A read outside the blob faults the test. Returns the error code. */
static int
parse_guarded(struct guarded *g, const uchar *blob, uint64 len)
{
  struct machine m;
  uint64 t = len >= 8 ? get32(blob, H_TOTALSIZE) : len;
  int e1, e2;

  if (t > len)
    t = len;
  memcpy(g->lo, blob, t);
  e1 = fdt_parse(g->lo, t, &m);
  memcpy(g->hi - t, blob, t);
  e2 = fdt_parse(g->hi - t, t, &m);
  CHECK_EQ(e1, e2);
  CHECK(e1 <= 0 && e1 >= FDT_E_LAST);
  return e1;
}

static uint64 rng_state = 0x2545f4914f6cdd1dULL;

/* Deterministic pseudo-random numbers (xorshift64). */
static uint64
rng(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void
test_fuzz(void)
{
  struct dtb d;
  struct guarded g;
  uchar *copy;
  uint64 n;
  int i, k, nerr[1 - FDT_E_LAST] = {0};
  static const int fields[] = {H_TOTALSIZE,  H_OFF_STRUCT,   H_OFF_STRINGS,
                               H_OFF_RSVMAP, H_SIZE_STRINGS, H_SIZE_STRUCT};

  dtb_load("quirks", &d);
  copy = malloc(d.size);
  guarded_map(&g, d.size);
  for (i = 0; i < 20000; i++) {
    memcpy(copy, d.data, d.size);
    for (k = 1 + rng() % 4; k > 0; k--) {
      if (rng() % 4 == 0)
        put32(copy, fields[rng() % 6], rng() % (d.size + 64));
      else
        copy[rng() % d.size] = rng();
    }
    nerr[-parse_guarded(&g, copy, d.size)]++;
  }
  for (n = 0; n <= d.size; n++) {
    memcpy(copy, d.data, d.size);
    put32(copy, H_TOTALSIZE, n);
    parse_guarded(&g, copy, d.size);
  }
  CHECK(nerr[0] > 0);
  CHECK(nerr[-FDT_E_STRUCT] > 0);
  CHECK(nerr[-FDT_E_OFFSET] > 0);
}

/* --- driver ----------------------------------------------------------- */

static struct test {
  void (*fn)(void);
  const char *name;
} tests[] = {
    {test_smp1, "virt -smp 1: one hart, context 1, devices"},
    {test_smp3, "virt -smp 3: harts 0-2, contexts 2h+1, blob reserved"},
    {test_smp8, "virt -smp 8: harts 0-7, contexts 2h+1"},
    {test_mem_1g, "virt -m 1G: RAM 0x80000000 + 1G"},
    {test_mem_3g, "virt -m 3G: RAM 0x80000000 + 3G"},
    {test_bootargs, "virt -append: bootargs"},
    {test_reserved, "reserved-memory and /memreserve/ reported"},
    {test_quirks, "1-cell reg, late phandles, cpu timebase, truncation"},
    {test_unaligned, "unaligned blob"},
    {test_totalsize, "fdt_totalsize and maxlen"},
    {test_nop, "FDT_NOP tokens skipped"},
    {test_strerror, "fdt_strerror names each error"},
    {test_bad_magic, "bad magic: FDT_E_MAGIC"},
    {test_bad_version, "bad version: FDT_E_VERSION"},
    {test_truncated, "truncated blob: FDT_E_SIZE"},
    {test_bad_offsets, "block outside the blob: FDT_E_OFFSET"},
    {test_strings_unterminated, "strings block unterminated: FDT_E_STRING"},
    {test_nameoff_past_strings, "nameoff past strings block: FDT_E_STRING"},
    {test_prop_unterminated, "unterminated string property: FDT_E_STRING"},
    {test_name_unterminated, "unterminated node name: FDT_E_STRING"},
    {test_garbage_token, "garbage token: FDT_E_STRUCT"},
    {test_bad_struct, "bad nesting, missing END, long value: FDT_E_STRUCT"},
    {test_no_memory, "no memory node: FDT_E_NOMEM"},
    {test_no_cpu, "all cpus disabled: FDT_E_NOCPU"},
    {test_no_timebase, "no timebase-frequency: FDT_E_TIMEBASE"},
    {test_bad_prop_length, "wrong property length: FDT_E_PROP"},
    {test_too_many, "17 harts: FDT_E_TOOMANY"},
    {test_mem_overlap_one_node, "overlapping ranges in one memory node: FDT_E_OVERLAP"},
    {test_mem_overlap_two_nodes, "overlapping memory nodes: FDT_E_OVERLAP"},
    {test_mem_wraps, "memory range wraps or ends past 2^56: FDT_E_MEMRANGE"},
    {test_resv_wraps_rsvmap, "/memreserve/ entry wraps: FDT_E_RESV"},
    {test_resv_wraps_node, "/reserved-memory child wraps: FDT_E_RESV"},
    {test_dev_wraps, "device registers wrap: FDT_E_DEVRANGE"},
    {test_dev_overlap, "device pages on RAM or another device: FDT_E_DEVPAGE"},
    {test_plic_ctx, "hart context beyond the PLIC's registers: FDT_E_PLICCTX"},
    {test_plic_ndev, "riscv,ndev above 1023: FDT_E_NDEV"},
    {test_irq_uart, "UART interrupt 0 or above riscv,ndev: FDT_E_IRQ"},
    {test_irq_virtio, "virtio interrupt above the PLIC's sources: FDT_E_IRQ"},
    {test_fits, "fdt_fits: kernel image in RAM, RAM below the limit"},
    {test_fits_kernel_outside_ram, "fdt_fits: RAM starting inside the kernel: FDT_E_KERNEL"},
    {test_fits_high_device, "fdt_fits: device above the limit: FDT_E_HIGH"},
    {test_fuzz, "20000 mutated blobs stay inside the blob"},
};

/* Runs test t in a child; returns 1 if it passed. */
static int
run(const struct test *t)
{
  pid_t pid;
  int status;

  fflush(stdout);
  pid = fork();
  if (pid < 0) {
    perror("fork");
    return 0;
  }
  if (pid == 0) {
    failed = 0;
    t->fn();
    fflush(stdout);
    _exit(failed ? 1 : 0);
  }
  if (waitpid(pid, &status, 0) != pid)
    return 0;
  if (WIFSIGNALED(status))
    printf("    killed by signal %d\n", WTERMSIG(status));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int
main(int argc, char *argv[])
{
  uint64 i;
  int pass = 0, fail = 0;

  if (argc > 1)
    dtbdir = argv[1];
  for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
    if (run(&tests[i])) {
      printf("ok   %s\n", tests[i].name);
      pass++;
    } else {
      printf("FAIL %s\n", tests[i].name);
      fail++;
    }
  }
  printf("%d passed, %d failed\n", pass, fail);
  return fail != 0;
}
