/* fdt.c: the flattened device tree reader.
 *
 * fdt_parse() walks the blob once and fills one struct machine; nothing
 * else in the kernel reads the blob. It runs on the boot hart before the
 * others start (and in host unit tests), so it takes no locks and keeps
 * no state between calls.
 *
 * The blob is untrusted input. The header is checked first, then every
 * read goes through an explicit bound: the structure block for tokens,
 * names and property values, the strings block (which must end with a
 * NUL) for property names, and [fdt, fdt+totalsize) for everything.
 * Malformed input yields an FDT_E_* code, never a read outside the blob.
 *
 * The walk keeps the properties of the current node only. A node is
 * classified ("finished") when its first child begins or when it ends;
 * the spec puts all properties before subnodes, so a node's properties are
 * complete at that point, and its parent's #address-cells/#size-cells are
 * already known. References by phandle (PLIC contexts to cpu interrupt
 * controllers) are collected during the walk and resolved at the end,
 * since a phandle may be defined after its user.
 *
 * A well-formed blob can still describe a machine the kernel would trip
 * over: ranges that wrap around 2^64, RAM listed twice, devices on top of
 * RAM or of each other (the kernel maps each in whole pages), PLIC contexts
 * or interrupt numbers past the PLIC's registers. machine_check() rejects
 * those at the end of the parse, so the rest of the kernel may trust
 * struct machine; fdt_fits() adds what depends on the kernel's own layout. */
#include "kernel/types.h"
#include "kernel/platform/fdt.h"

#define FDT_MAGIC      0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

#define HDR_V16        36 /* header bytes of a version 16 blob */
#define HDR_V17        40 /* header bytes from version 17 on */
#define MAX_DEPTH      16 /* deepest node nesting we follow */
#define IRQ_S_EXTERNAL 9  /* supervisor external interrupt cause */

#define PA_END (1UL << 56) /* RISC-V physical addresses have at most 56 bits */
#define PAGE   4096UL      /* the kernel maps device registers in whole pages */

/* The PLIC's register layout: 4-byte priorities from source 0, enable bits
 * for context c at 0x2000 + 0x80 * c (below 0x200000), and threshold and
 * claim for context c in the 0x1000 bytes at 0x200000 + 0x1000 * c. */
#define PLIC_SOURCES  1023 /* sources 1..1023; 0 means "no interrupt" */
#define PLIC_CTX_BASE 0x200000UL
#define PLIC_CTX_SIZE 0x1000UL
#define PLIC_MAX_CTX  ((PLIC_CTX_BASE - 0x2000) / 0x80)

/* Properties the walk remembers for the current node. */
enum {
  P_DEVICE_TYPE,
  P_COMPATIBLE,
  P_REG,
  P_INTERRUPTS,
  P_STATUS,
  P_MMU_TYPE,
  P_PHANDLE,
  P_TIMEBASE,
  P_CLOCK,
  P_NDEV,
  P_INTS_EXT,
  P_BOOTARGS,
  P_STDOUT,
  P_ADDR_CELLS,
  P_SIZE_CELLS,
  P_INTC,
  NPROP
};

static const char *const propname[NPROP] = {
    [P_DEVICE_TYPE] = "device_type",
    [P_COMPATIBLE] = "compatible",
    [P_REG] = "reg",
    [P_INTERRUPTS] = "interrupts",
    [P_STATUS] = "status",
    [P_MMU_TYPE] = "mmu-type",
    [P_PHANDLE] = "phandle",
    [P_TIMEBASE] = "timebase-frequency",
    [P_CLOCK] = "clock-frequency",
    [P_NDEV] = "riscv,ndev",
    [P_INTS_EXT] = "interrupts-extended",
    [P_BOOTARGS] = "bootargs",
    [P_STDOUT] = "stdout-path",
    [P_ADDR_CELLS] = "#address-cells",
    [P_SIZE_CELLS] = "#size-cells",
    [P_INTC] = "interrupt-controller",
};

/* The checked geometry of a blob. Invariant once header_check() returns 0:
 * hdr <= soff <= send <= size, hdr <= stroff, stroff + strsize <= size,
 * and strsize == 0 or p[stroff + strsize - 1] == 0. */
struct blob {
  const uchar *p;
  uint64 size;            /* totalsize; no byte at or past p + size is read */
  uint64 soff, send;      /* structure block [soff, send) */
  uint64 stroff, strsize; /* strings block */
  uint64 rsvoff;          /* memory reservation block */
};

/* A property value: off is its offset in the blob, 0 when absent (no value
 * can start at offset 0, the header is there). off + len <= send. */
struct prop {
  uint32 off;
  uint32 len;
};

enum { R_NONE, R_CPUS, R_RESV, R_CPU };

/* What a node's children need to know about it. */
struct frame {
  uint32 acells, scells; /* #address-cells/#size-cells for its children */
  int role;              /* R_*: /cpus, /reserved-memory, a cpu node */
  int hart;              /* index in machine.harts when role == R_CPU */
};

/* Walk state. frame[0..depth] is the path to the current node; depth is -1
 * before the root begins and after it ends (closed set). prop[] holds the
 * current node's properties while pending (not yet finished). */
struct walk {
  const struct blob *b;
  struct machine *m;
  struct frame frame[MAX_DEPTH];
  int depth;
  int closed;
  int pending;
  uint32 name; /* offset of the current node's name */
  struct prop prop[NPROP];
  uint32 intc[FDT_MAX_HARTS]; /* phandle of each hart's interrupt controller, 0 if none */
  uint64 tb_cpus;             /* timebase-frequency of /cpus, 0 if none */
  uint64 tb_cpu;              /* of the first cpu node that has one, 0 if none */
  struct prop plic_ext;       /* the PLIC's interrupts-extended */
};

/* Big-endian 32-bit value at p; p may be unaligned. */
static uint32
rd32(const uchar *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

/* Big-endian 64-bit value at p; p may be unaligned. */
static uint64
rd64(const uchar *p)
{
  return ((uint64)rd32(p) << 32) | rd32(p + 4);
}

/* 1 if the NUL-terminated s equals lit, else 0. */
static int
str_eq(const uchar *s, const char *lit)
{
  while (*lit && *s == (uchar)*lit) {
    s++;
    lit++;
  }
  return *s == (uchar)*lit;
}

/* Copies the NUL-terminated src into dst of n bytes, truncating so that
 * dst is always NUL-terminated. Requires n >= 1. */
static void
str_copy(char *dst, const uchar *src, int n)
{
  int i;

  for (i = 0; i < n - 1 && src[i]; i++)
    dst[i] = src[i];
  dst[i] = 0;
}

/* Zeroes *m and marks every optional device's irq absent. */
static void
machine_clear(struct machine *m)
{
  uchar *p = (uchar *)m;
  uint64 i;

  for (i = 0; i < sizeof(*m); i++)
    p[i] = 0;
  m->uart.irq = -1;
  m->plic.irq = -1;
  m->test.irq = -1;
}

/* Checks the header of the blob at fdt (maxlen readable bytes) and fills
 * *b. Returns 0 or the FDT_E_* code of the first problem found. */
static int
header_check(const uchar *p, uint64 maxlen, struct blob *b)
{
  uint64 hdr, ssize;
  uint32 version;

  if (maxlen < 4)
    return FDT_E_SIZE;
  if (rd32(p) != FDT_MAGIC)
    return FDT_E_MAGIC;
  if (maxlen < HDR_V16)
    return FDT_E_SIZE;
  version = rd32(p + 20);
  if (version < 16 || rd32(p + 24) > 17)
    return FDT_E_VERSION;
  hdr = version >= 17 ? HDR_V17 : HDR_V16;
  b->p = p;
  b->size = rd32(p + 4);
  if (b->size < hdr || b->size > maxlen)
    return FDT_E_SIZE;
  b->soff = rd32(p + 8);
  b->stroff = rd32(p + 12);
  b->rsvoff = rd32(p + 16);
  b->strsize = rd32(p + 32);
  if (b->soff < hdr || b->soff > b->size || b->soff % 4 != 0)
    return FDT_E_OFFSET;
  ssize = version >= 17 ? rd32(p + 36) : b->size - b->soff;
  if (ssize > b->size - b->soff)
    return FDT_E_OFFSET;
  b->send = b->soff + ssize;
  if (b->stroff < hdr || b->stroff + b->strsize > b->size)
    return FDT_E_OFFSET;
  if (b->rsvoff < hdr || b->rsvoff > b->size || b->rsvoff % 8 != 0)
    return FDT_E_OFFSET;
  if (b->strsize > 0 && p[b->stroff + b->strsize - 1] != 0)
    return FDT_E_STRING;
  return 0;
}

/* Appends [base, base+size) to the reserved ranges.
 * Returns 0, or FDT_E_TOOMANY if the table is full. */
static int
resv_add(struct machine *m, uint64 base, uint64 size)
{
  if (m->nresv == FDT_MAX_RESV)
    return FDT_E_TOOMANY;
  m->resv[m->nresv].base = base;
  m->resv[m->nresv].size = size;
  m->nresv++;
  return 0;
}

/* Reads the memory reservation block (16-byte entries up to an all-zero
 * one) into m->resv. Returns 0, FDT_E_OFFSET if the block runs past the
 * blob, or FDT_E_TOOMANY. Entries of size 0 reserve nothing and are skipped. */
static int
rsvmap_read(const struct blob *b, struct machine *m)
{
  uint64 off, base, size;
  int err;

  for (off = b->rsvoff;; off += 16) {
    if (b->size - off < 16)
      return FDT_E_OFFSET;
    base = rd64(b->p + off);
    size = rd64(b->p + off + 8);
    if (base == 0 && size == 0)
      return 0;
    if (size != 0 && (err = resv_add(m, base, size)) < 0)
      return err;
  }
}

/* 1 if the current node has property i. */
static int
has(const struct walk *w, int i)
{
  return w->prop[i].off != 0;
}

/* Pointer to the value of the current node's property i. */
static const uchar *
val(const struct walk *w, int i)
{
  return w->b->p + w->prop[i].off;
}

/* Reads property i, which must be one 32-bit cell, into *v.
 * Returns 0, or FDT_E_PROP if it has another length. Requires has(w, i). */
static int
prop_u32(const struct walk *w, int i, uint32 *v)
{
  if (w->prop[i].len != 4)
    return FDT_E_PROP;
  *v = rd32(val(w, i));
  return 0;
}

/* Reads property i, one or two cells, into *v.
 * Returns 0, or FDT_E_PROP if it has another length. Requires has(w, i). */
static int
prop_num(const struct walk *w, int i, uint64 *v)
{
  if (w->prop[i].len == 4)
    *v = rd32(val(w, i));
  else if (w->prop[i].len == 8)
    *v = rd64(val(w, i));
  else
    return FDT_E_PROP;
  return 0;
}

/* Checks that property i, if present, is a NUL-terminated string (or a
 * list of them). Returns 0, or FDT_E_STRING. */
static int
prop_str_check(const struct walk *w, int i)
{
  if (!has(w, i))
    return 0;
  if (w->prop[i].len == 0 || val(w, i)[w->prop[i].len - 1] != 0)
    return FDT_E_STRING;
  return 0;
}

/* 1 if string-list property i is present and one of its entries is lit.
 * Requires prop_str_check(w, i) == 0. */
static int
strlist_has(const struct walk *w, int i, const char *lit)
{
  const uchar *s, *end;

  if (!has(w, i))
    return 0;
  s = val(w, i);
  end = s + w->prop[i].len;
  while (s < end) {
    if (str_eq(s, lit))
      return 1;
    while (*s)
      s++;
    s++;
  }
  return 0;
}

/* 1 if the current node's name, without its @unit-address, is lit. */
static int
name_is(const struct walk *w, const char *lit)
{
  const uchar *s = w->b->p + w->name;

  while (*lit && *s == (uchar)*lit) {
    s++;
    lit++;
  }
  return *lit == 0 && (*s == 0 || *s == '@');
}

/* Value of n (0, 1 or 2) big-endian cells at p. */
static uint64
cells(const uchar *p, uint32 n)
{
  if (n == 0)
    return 0;
  return n == 1 ? rd32(p) : rd64(p);
}

/* Number of (address, size) tuples in the current node's reg, laid out
 * with its parent's cells, into *n. Returns 0, or FDT_E_PROP if reg is
 * absent, empty, not a whole number of tuples, or the cells do not fit
 * 64 bits. */
static int
reg_count(const struct walk *w, int *n)
{
  const struct frame *parent = &w->frame[w->depth - 1];
  uint32 tuple;

  if (parent->acells < 1 || parent->acells > 2 || parent->scells > 2)
    return FDT_E_PROP;
  tuple = 4 * (parent->acells + parent->scells);
  if (!has(w, P_REG) || w->prop[P_REG].len == 0 || w->prop[P_REG].len % tuple != 0)
    return FDT_E_PROP;
  *n = w->prop[P_REG].len / tuple;
  return 0;
}

/* The k-th reg tuple of the current node into *r. Requires k < the count
 * reg_count() gave. */
static void
reg_get(const struct walk *w, int k, struct fdt_range *r)
{
  const struct frame *parent = &w->frame[w->depth - 1];
  const uchar *p = val(w, P_REG) + 4 * k * (parent->acells + parent->scells);

  r->base = cells(p, parent->acells);
  r->size = cells(p + 4 * parent->acells, parent->scells);
}

/* Fills *d from the current node: the first reg tuple and the first
 * interrupts cell (-1 if none). Returns 0 or FDT_E_PROP. */
static int
dev_read(const struct walk *w, struct fdt_dev *d)
{
  struct fdt_range r;
  int n, err;
  uint32 irq;

  if ((err = reg_count(w, &n)) < 0)
    return err;
  reg_get(w, 0, &r);
  d->base = r.base;
  d->size = r.size;
  d->irq = -1;
  if (has(w, P_INTERRUPTS)) {
    if (w->prop[P_INTERRUPTS].len < 4)
      return FDT_E_PROP;
    irq = rd32(val(w, P_INTERRUPTS));
    if (irq > 0x7fffffff)
      return FDT_E_PROP;
    d->irq = irq;
  }
  return 0;
}

/* Adds every reg tuple of the current node to the ranges in r[*nr]
 * (capacity max), skipping tuples of size 0.
 * Returns 0, FDT_E_PROP, or FDT_E_TOOMANY. */
static int
ranges_add(const struct walk *w, struct fdt_range *r, int *nr, int max)
{
  struct fdt_range t;
  int n, k, err;

  if ((err = reg_count(w, &n)) < 0)
    return err;
  for (k = 0; k < n; k++) {
    reg_get(w, k, &t);
    if (t.size == 0)
      continue;
    if (*nr == max)
      return FDT_E_TOOMANY;
    r[(*nr)++] = t;
  }
  return 0;
}

/* Records the current node, a cpu under /cpus, as the next hart.
 * Returns 0, FDT_E_PROP or FDT_E_TOOMANY. */
static int
cpu_add(struct walk *w)
{
  struct machine *m = w->m;
  struct fdt_hart *h;
  struct fdt_range r;
  int n, err;
  uint64 tb;

  if (m->nharts == FDT_MAX_HARTS)
    return FDT_E_TOOMANY;
  if ((err = reg_count(w, &n)) < 0)
    return err;
  reg_get(w, 0, &r);
  h = &m->harts[m->nharts];
  h->hartid = r.base;
  h->usable =
      (!has(w, P_STATUS) || strlist_has(w, P_STATUS, "okay") || strlist_has(w, P_STATUS, "ok")) &&
      has(w, P_MMU_TYPE) && !strlist_has(w, P_MMU_TYPE, "riscv,none");
  h->plic_ctx = -1;
  w->frame[w->depth].role = R_CPU;
  w->frame[w->depth].hart = m->nharts;
  m->nharts++;
  if (has(w, P_TIMEBASE) && w->tb_cpu == 0) {
    if ((err = prop_num(w, P_TIMEBASE, &tb)) < 0)
      return err;
    w->tb_cpu = tb;
  }
  return 0;
}

/* Handles the current node if it is /chosen, /cpus or /reserved-memory
 * (children of the root). Returns 0 or an FDT_E_* code. */
static int
toplevel_node(struct walk *w)
{
  struct machine *m = w->m;
  int err;

  if (name_is(w, "chosen")) {
    if (has(w, P_BOOTARGS))
      str_copy(m->bootargs, val(w, P_BOOTARGS), sizeof(m->bootargs));
    if (has(w, P_STDOUT))
      str_copy(m->stdout_path, val(w, P_STDOUT), sizeof(m->stdout_path));
  } else if (name_is(w, "cpus")) {
    w->frame[w->depth].role = R_CPUS;
    if (has(w, P_TIMEBASE) && (err = prop_num(w, P_TIMEBASE, &w->tb_cpus)) < 0)
      return err;
  } else if (name_is(w, "reserved-memory")) {
    w->frame[w->depth].role = R_RESV;
  }
  return 0;
}

/* Handles the current node if it is a device calf drives, recognised by
 * compatible: the UART, the PLIC, a virtio-mmio slot, the test device.
 * The first UART, PLIC and test device win. Returns 0 or an FDT_E_* code. */
static int
device_node(struct walk *w)
{
  struct machine *m = w->m;
  uint32 v;
  int err;

  if (strlist_has(w, P_COMPATIBLE, "ns16550a") && m->uart.size == 0) {
    if ((err = dev_read(w, &m->uart)) < 0)
      return err;
    if (has(w, P_CLOCK) && (err = prop_num(w, P_CLOCK, &m->uart_clock)) < 0)
      return err;
  } else if ((strlist_has(w, P_COMPATIBLE, "riscv,plic0") ||
              strlist_has(w, P_COMPATIBLE, "sifive,plic-1.0.0")) &&
             m->plic.size == 0) {
    if ((err = dev_read(w, &m->plic)) < 0)
      return err;
    if (has(w, P_NDEV)) {
      if ((err = prop_u32(w, P_NDEV, &v)) < 0)
        return err;
      if (v > PLIC_SOURCES)
        return FDT_E_NDEV;
      m->plic_ndev = v;
    }
    if (has(w, P_INTS_EXT)) {
      if (w->prop[P_INTS_EXT].len % 8 != 0)
        return FDT_E_PROP;
      w->plic_ext = w->prop[P_INTS_EXT];
    }
  } else if (strlist_has(w, P_COMPATIBLE, "virtio,mmio")) {
    if (m->nvirtio == FDT_MAX_VIRTIO)
      return FDT_E_TOOMANY;
    if ((err = dev_read(w, &m->virtio[m->nvirtio])) < 0)
      return err;
    m->nvirtio++;
  } else if ((strlist_has(w, P_COMPATIBLE, "sifive,test0") ||
              strlist_has(w, P_COMPATIBLE, "sifive,test1")) &&
             m->test.size == 0) {
    if ((err = dev_read(w, &m->test)) < 0)
      return err;
  }
  return 0;
}

/* Classifies the current node now that all its properties are known.
 * Returns 0 or an FDT_E_* code. */
static int
node_finish(struct walk *w)
{
  struct frame *f = &w->frame[w->depth];
  const struct frame *parent = w->depth > 0 ? &w->frame[w->depth - 1] : 0;
  static const int strprops[] = {P_DEVICE_TYPE, P_COMPATIBLE, P_STATUS,
                                 P_MMU_TYPE,    P_BOOTARGS,   P_STDOUT};
  uint32 v;
  uint64 i;
  int err;

  w->pending = 0;
  for (i = 0; i < sizeof(strprops) / sizeof(strprops[0]); i++)
    if ((err = prop_str_check(w, strprops[i])) < 0)
      return err;
  if (has(w, P_ADDR_CELLS) && (err = prop_u32(w, P_ADDR_CELLS, &f->acells)) < 0)
    return err;
  if (has(w, P_SIZE_CELLS) && (err = prop_u32(w, P_SIZE_CELLS, &f->scells)) < 0)
    return err;
  if (parent == 0)
    return 0;
  if (w->depth == 1 && (err = toplevel_node(w)) < 0)
    return err;
  if (strlist_has(w, P_DEVICE_TYPE, "memory"))
    return ranges_add(w, w->m->mem, &w->m->nmem, FDT_MAX_MEM);
  if (parent->role == R_CPUS && strlist_has(w, P_DEVICE_TYPE, "cpu"))
    return cpu_add(w);
  if (parent->role == R_CPU && has(w, P_INTC) && has(w, P_PHANDLE)) {
    if ((err = prop_u32(w, P_PHANDLE, &v)) < 0)
      return err;
    w->intc[parent->hart] = v;
    return 0;
  }
  if (parent->role == R_RESV && has(w, P_REG))
    return ranges_add(w, w->m->resv, &w->m->nresv, FDT_MAX_RESV);
  return device_node(w);
}

/* FDT_BEGIN_NODE at *pos (just past the token): finishes the parent if
 * pending, reads the name and enters the new node. Returns 0 or an
 * FDT_E_* code. */
static int
node_begin(struct walk *w, uint64 *pos)
{
  const struct blob *b = w->b;
  struct frame *f;
  uint64 end;
  int err, i;

  if (w->closed)
    return FDT_E_STRUCT;
  for (end = *pos; end < b->send && b->p[end] != 0; end++)
    ;
  if (end == b->send)
    return FDT_E_STRING;
  if (w->pending && (err = node_finish(w)) < 0)
    return err;
  if (w->depth + 1 == MAX_DEPTH)
    return FDT_E_TOOMANY;
  w->depth++;
  f = &w->frame[w->depth];
  f->acells = 2;
  f->scells = 1;
  f->role = R_NONE;
  f->hart = -1;
  for (i = 0; i < NPROP; i++)
    w->prop[i].off = w->prop[i].len = 0;
  w->name = *pos;
  w->pending = 1;
  *pos = (end + 1 + 3) & ~(uint64)3;
  return *pos > b->send ? FDT_E_STRUCT : 0;
}

/* FDT_END_NODE: finishes the current node if pending and leaves it.
 * Returns 0 or an FDT_E_* code. */
static int
node_end(struct walk *w)
{
  int err;

  if (w->depth < 0)
    return FDT_E_STRUCT;
  if (w->pending && (err = node_finish(w)) < 0)
    return err;
  w->depth--;
  if (w->depth < 0)
    w->closed = 1;
  return 0;
}

/* FDT_PROP at *pos (just past the token): checks its header, value and
 * name, and remembers it if it is one we use. Returns 0 or an FDT_E_* code. */
static int
prop_read(struct walk *w, uint64 *pos)
{
  const struct blob *b = w->b;
  uint64 data;
  uint32 len, nameoff;
  int i;

  if (w->depth < 0 || !w->pending || b->send - *pos < 8)
    return FDT_E_STRUCT;
  len = rd32(b->p + *pos);
  nameoff = rd32(b->p + *pos + 4);
  data = *pos + 8;
  if (len > b->send - data)
    return FDT_E_STRUCT;
  if (nameoff >= b->strsize)
    return FDT_E_STRING;
  for (i = 0; i < NPROP; i++) {
    if (str_eq(b->p + b->stroff + nameoff, propname[i])) {
      w->prop[i].off = data;
      w->prop[i].len = len;
      break;
    }
  }
  *pos = (data + len + 3) & ~(uint64)3;
  return *pos > b->send ? FDT_E_STRUCT : 0;
}

/* Walks the structure block from its first token to FDT_END, filling
 * w->m. Returns 0 or an FDT_E_* code. */
static int
struct_walk(struct walk *w)
{
  const struct blob *b = w->b;
  uint64 pos = b->soff;
  uint32 tok;
  int err;

  for (;;) {
    if (b->send - pos < 4)
      return FDT_E_STRUCT;
    tok = rd32(b->p + pos);
    pos += 4;
    if (tok == FDT_BEGIN_NODE)
      err = node_begin(w, &pos);
    else if (tok == FDT_END_NODE)
      err = node_end(w);
    else if (tok == FDT_PROP)
      err = prop_read(w, &pos);
    else if (tok == FDT_NOP)
      err = 0;
    else if (tok == FDT_END)
      return w->closed ? 0 : FDT_E_STRUCT;
    else
      return FDT_E_STRUCT;
    if (err < 0)
      return err;
  }
}

/* Gives each hart the PLIC context whose interrupts-extended pair names
 * that hart's interrupt controller with the S-mode external interrupt.
 * The pair index is the context number. */
static void
plic_contexts(struct walk *w)
{
  const uchar *p = w->b->p + w->plic_ext.off;
  uint32 i, ph;
  int h;

  for (i = 0; i < w->plic_ext.len / 8; i++) {
    ph = rd32(p + 8 * i);
    if (ph == 0 || rd32(p + 8 * i + 4) != IRQ_S_EXTERNAL)
      continue;
    for (h = 0; h < w->m->nharts; h++)
      if (w->intc[h] == ph && w->m->harts[h].plic_ctx < 0)
        w->m->harts[h].plic_ctx = i;
  }
}

/* 1 if some hart is usable. */
static int
any_usable(const struct machine *m)
{
  int h;

  for (h = 0; h < m->nharts; h++)
    if (m->harts[h].usable)
      return 1;
  return 0;
}

/* 1 if [base, base+size) ends at or below PA_END, so base + size does not
 * wrap and neither does rounding it up to a page. */
static int
range_in_pa(uint64 base, uint64 size)
{
  return size <= PA_END && base <= PA_END - size;
}

/* 1 if [b1, e1) and [b2, e2) share an address. */
static int
ranges_meet(uint64 b1, uint64 e1, uint64 b2, uint64 e2)
{
  return b1 < e2 && b2 < e1;
}

/* Returns 0, FDT_E_MEMRANGE if a memory range wraps or ends past PA_END,
 * or FDT_E_OVERLAP if two of them share an address. */
static int
mem_check(const struct machine *m)
{
  const struct fdt_range *a, *b;
  int i, j;

  for (i = 0; i < m->nmem; i++)
    if (!range_in_pa(m->mem[i].base, m->mem[i].size))
      return FDT_E_MEMRANGE;
  for (i = 0; i < m->nmem; i++) {
    for (j = i + 1; j < m->nmem; j++) {
      a = &m->mem[i];
      b = &m->mem[j];
      if (ranges_meet(a->base, a->base + a->size, b->base, b->base + b->size))
        return FDT_E_OVERLAP;
    }
  }
  return 0;
}

/* Returns 0, or FDT_E_RESV if a reserved range wraps or ends past PA_END. */
static int
resv_check(const struct machine *m)
{
  int i;

  for (i = 0; i < m->nresv; i++)
    if (!range_in_pa(m->resv[i].base, m->resv[i].size))
      return FDT_E_RESV;
  return 0;
}

/* Fills d[] with the devices the kernel maps (those with registers: the
 * UART, the PLIC, the test device, the virtio slots) and returns how many.
 * d must hold 3 + FDT_MAX_VIRTIO entries. */
static int
mapped_devices(const struct machine *m, const struct fdt_dev **d)
{
  int i, n = 0;

  if (m->uart.size != 0)
    d[n++] = &m->uart;
  if (m->plic.size != 0)
    d[n++] = &m->plic;
  if (m->test.size != 0)
    d[n++] = &m->test;
  for (i = 0; i < m->nvirtio; i++)
    if (m->virtio[i].size != 0)
      d[n++] = &m->virtio[i];
  return n;
}

/* The first page holding d's registers. */
static uint64
dev_lo(const struct fdt_dev *d)
{
  return d->base & ~(PAGE - 1);
}

/* The end of the last page holding d's registers. Requires
 * range_in_pa(d->base, d->size). */
static uint64
dev_hi(const struct fdt_dev *d)
{
  return (d->base + d->size + PAGE - 1) & ~(PAGE - 1);
}

/* Returns 0, FDT_E_DEVRANGE if a mapped device's registers wrap or end past
 * PA_END, or FDT_E_DEVPAGE if the pages holding them overlap a memory range
 * or another device's pages. Requires mem_check(m) == 0. */
static int
dev_check(const struct machine *m)
{
  const struct fdt_dev *d[3 + FDT_MAX_VIRTIO];
  const struct fdt_range *r;
  int i, j, n = mapped_devices(m, d);

  for (i = 0; i < n; i++)
    if (!range_in_pa(d[i]->base, d[i]->size))
      return FDT_E_DEVRANGE;
  for (i = 0; i < n; i++) {
    for (j = 0; j < m->nmem; j++) {
      r = &m->mem[j];
      if (ranges_meet(dev_lo(d[i]), dev_hi(d[i]), r->base, r->base + r->size))
        return FDT_E_DEVPAGE;
    }
    for (j = i + 1; j < n; j++)
      if (ranges_meet(dev_lo(d[i]), dev_hi(d[i]), dev_lo(d[j]), dev_hi(d[j])))
        return FDT_E_DEVPAGE;
  }
  return 0;
}

/* 1 if the PLIC's registers hold context ctx's enable bits, threshold and
 * claim. */
static int
plic_has_ctx(const struct machine *m, int ctx)
{
  uint64 size = m->plic.size;

  return ctx < PLIC_MAX_CTX && size >= PLIC_CTX_BASE &&
         ctx < (size - PLIC_CTX_BASE) / PLIC_CTX_SIZE;
}

/* 1 if irq is a source of the PLIC (1..riscv,ndev, or 1..1023 without
 * ndev) whose priority register lies inside its registers. */
static int
plic_has_irq(const struct machine *m, int irq)
{
  int n = m->plic_ndev > 0 ? m->plic_ndev : PLIC_SOURCES;

  return irq >= 1 && irq <= n && 4 * (uint64)irq + 4 <= m->plic.size;
}

/* Returns 0, FDT_E_PLICCTX if some hart's context lies beyond the PLIC's
 * registers, or FDT_E_IRQ if the UART's or a virtio slot's interrupt is not
 * a source of the PLIC. Nothing to check without a PLIC: then the kernel
 * takes no device interrupts. */
static int
plic_check(const struct machine *m)
{
  int i;

  if (m->plic.size == 0)
    return 0;
  for (i = 0; i < m->nharts; i++)
    if (m->harts[i].plic_ctx >= 0 && !plic_has_ctx(m, m->harts[i].plic_ctx))
      return FDT_E_PLICCTX;
  if (m->uart.size != 0 && m->uart.irq >= 0 && !plic_has_irq(m, m->uart.irq))
    return FDT_E_IRQ;
  for (i = 0; i < m->nvirtio; i++)
    if (m->virtio[i].size != 0 && m->virtio[i].irq >= 0 && !plic_has_irq(m, m->virtio[i].irq))
      return FDT_E_IRQ;
  return 0;
}

/* Checks that the parsed *m describes a machine the kernel can use as it
 * stands (see fdt.h). Returns 0 or the FDT_E_* code of the first problem. */
static int
machine_check(const struct machine *m)
{
  int err;

  if ((err = mem_check(m)) < 0 || (err = resv_check(m)) < 0 || (err = dev_check(m)) < 0)
    return err;
  return plic_check(m);
}

int
fdt_parse(const void *fdt, uint64 maxlen, struct machine *m)
{
  struct blob b;
  struct walk w;
  int err, i;

  machine_clear(m);
  if ((err = header_check(fdt, maxlen, &b)) < 0)
    return err;
  if ((err = rsvmap_read(&b, m)) < 0)
    return err;
  w.b = &b;
  w.m = m;
  w.depth = -1;
  w.closed = 0;
  w.pending = 0;
  w.name = 0;
  w.tb_cpus = w.tb_cpu = 0;
  w.plic_ext.off = w.plic_ext.len = 0;
  for (i = 0; i < FDT_MAX_HARTS; i++)
    w.intc[i] = 0;
  if ((err = struct_walk(&w)) < 0)
    return err;
  if (m->nmem == 0)
    return FDT_E_NOMEM;
  if (!any_usable(m))
    return FDT_E_NOCPU;
  m->timebase = w.tb_cpus ? w.tb_cpus : w.tb_cpu;
  if (m->timebase == 0)
    return FDT_E_TIMEBASE;
  plic_contexts(&w);
  if ((err = machine_check(m)) < 0)
    return err;
  return resv_add(m, (uint64)fdt, b.size);
}

int
fdt_fits(const struct machine *m, uint64 kstart, uint64 kend, uint64 limit)
{
  const struct fdt_dev *d[3 + FDT_MAX_VIRTIO];
  int i, n = mapped_devices(m, d);

  for (i = 0; i < m->nmem; i++)
    if (m->mem[i].base + m->mem[i].size > limit)
      return FDT_E_HIGH;
  for (i = 0; i < n; i++)
    if (dev_hi(d[i]) > limit)
      return FDT_E_HIGH;
  for (i = 0; i < m->nmem; i++)
    if (m->mem[i].base <= kstart && kend <= m->mem[i].base + m->mem[i].size)
      return 0;
  return FDT_E_KERNEL;
}

const char *
fdt_strerror(int err)
{
  switch (err) {
  case 0: return "the device tree is valid";
  case FDT_E_MAGIC: return "the blob does not start with the device tree magic number";
  case FDT_E_VERSION: return "the device tree version is not supported (need 16 or 17)";
  case FDT_E_SIZE:
    return "the device tree's totalsize is smaller than its header or larger than the blob";
  case FDT_E_OFFSET:
    return "a device tree block (structure, strings or reservations) lies outside the blob";
  case FDT_E_STRING:
    return "a device tree string (a name, the strings block or a property) is not terminated";
  case FDT_E_STRUCT: return "the device tree structure block is malformed (bad token or nesting)";
  case FDT_E_NOMEM: return "the device tree has no memory node";
  case FDT_E_NOCPU: return "the device tree has no usable cpu";
  case FDT_E_TIMEBASE: return "the device tree has no timebase-frequency";
  case FDT_E_PROP: return "a device tree property has the wrong length";
  case FDT_E_TOOMANY: return "the device tree has more entries than calf's tables hold";
  case FDT_E_MEMRANGE: return "a memory range wraps around or ends past 2^56";
  case FDT_E_OVERLAP: return "two memory ranges overlap";
  case FDT_E_RESV: return "a reserved memory range wraps around or ends past 2^56";
  case FDT_E_DEVRANGE: return "a device's registers wrap around or end past 2^56";
  case FDT_E_DEVPAGE: return "a device's register pages overlap RAM or another device";
  case FDT_E_NDEV: return "the PLIC's riscv,ndev is above the 1023 sources a PLIC can have";
  case FDT_E_PLICCTX: return "a hart's PLIC context lies beyond the PLIC's registers";
  case FDT_E_IRQ: return "a device's interrupt is not a source of the PLIC";
  case FDT_E_HIGH: return "RAM or a device lies above the addresses the kernel can map";
  case FDT_E_KERNEL: return "the kernel image is not inside one memory range";
  default: return "unknown device tree error";
  }
}

uint64
fdt_totalsize(const void *fdt)
{
  const uchar *p = fdt;

  if (rd32(p) != FDT_MAGIC)
    return 0;
  return rd32(p + 4);
}
