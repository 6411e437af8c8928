/* fscheck.c: host-side consistency checker for calf file-system images.
 *
 *   fscheck fs.img [file...]
 *
 * Checks, in order: the superblock describes a sane layout that fits the
 * image; the log header is empty or a sane committed transaction (which is
 * then replayed in memory, as the kernel would at boot, and reported); every
 * allocated inode has a known type and block numbers inside the data area,
 * no block is used twice and the free bitmap marks exactly the metadata and
 * the blocks in use; the tree from ROOTINO has right "." and ".." entries,
 * no directory linked twice, and each nlink equals the number of directory
 * entries naming the inode other than "." (the kernel's rule: ".." counts).
 * Finally each file given on the command line must be in the root directory
 * under its basename without a leading '_', with the same size and bytes.
 *
 * An allocated inode that no directory names is an error unless its nlink is
 * 0: the kernel leaves such an inode behind when the system stops while an
 * unlinked file is still open; it is reported as a note and its blocks count
 * as in use.
 *
 * Prints each problem and exits 1, or prints "fscheck: ok" and exits 0. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/param.h"

#define MAX_REPORTS 40 /* problems printed before the rest are only counted */

/* The on-disk log header (kernel/log.c). */
struct logheader {
  int n;
  int block[LOGBLOCKS];
};

static uchar *img;      /* the image, replayed log applied */
static uint img_blocks; /* whole blocks in the image file */
static struct superblock sb;
static uint datastart; /* first data block */
static uint *owner;    /* owner[b]: inode using block b, 0 if none */
static int *refs;      /* refs[i]: directory entries naming inode i, "." excluded */
static char *reached;  /* reached[i]: inode i is named from the tree */
static int problems;

/* Report one problem: "fscheck: message". */
static void __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
  va_list ap;

  if (++problems > MAX_REPORTS)
    return;
  fprintf(stderr, "fscheck: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
}

/* Report a problem that makes further checking meaningless, and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "fscheck: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  exit(1);
}

/* Block b of the image; b < img_blocks. */
static uchar *
block(uint b)
{
  return img + (size_t)b * BSIZE;
}

/* Read the file at path into a fresh buffer; *len gets its size.
 * Returns 0 (after a report) if it cannot be read. */
static uchar *
slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  uchar *buf = NULL;
  size_t cap = 0, n = 0, got;

  if (f == NULL) {
    bad("%s: %s", path, strerror(errno));
    return NULL;
  }
  do {
    if (n == cap) {
      cap = cap ? 2 * cap : 65536;
      uchar *bigger = realloc(buf, cap);
      if (bigger == NULL)
        fatal("out of memory");
      buf = bigger;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  if (ferror(f)) {
    bad("%s: read failed: %s", path, strerror(errno));
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf ? buf : malloc(1);
}

/* Load the image and check that the superblock describes a layout that fits
 * it: [boot | super | log | inodes | bitmap | data], in that order. */
static void
load_superblock(const char *path)
{
  size_t len;

  img = slurp(path, &len);
  if (img == NULL)
    exit(1);
  img_blocks = len / BSIZE;
  if (img_blocks < 2)
    fatal("%s: %zu bytes, too small to hold a superblock", path, len);
  memmove(&sb, block(1), sizeof(sb));
  if (sb.magic != FSMAGIC)
    fatal("superblock: magic %#x, want %#x", sb.magic, FSMAGIC);
  if (sb.size > img_blocks)
    fatal("superblock: size %u blocks, but the image holds %u", sb.size, img_blocks);
  if (sb.ninodes < 2 || sb.ninodes > 65536)
    fatal("superblock: ninodes %u out of range [2, 65536]", sb.ninodes);
  if (sb.nblocks == 0 || sb.nblocks > sb.size)
    fatal("superblock: nblocks %u out of range [1, %u]", sb.nblocks, sb.size);
  datastart = sb.size - sb.nblocks;

  uint64 inodeblocks = (sb.ninodes + IPB - 1) / IPB;
  uint64 bitmapblocks = (sb.size + BPB - 1) / BPB;
  if (sb.logstart < 2 || sb.nlog < 2 || (uint64)sb.logstart + sb.nlog > sb.inodestart ||
      sb.inodestart + inodeblocks > sb.bmapstart || sb.bmapstart + bitmapblocks > datastart)
    fatal("superblock: bad layout: log %u+%u, inodes at %u (%u), bitmap at %u, data at %u",
          sb.logstart, sb.nlog, sb.inodestart, sb.ninodes, sb.bmapstart, datastart);
  if (sb.nlog < LOGBLOCKS + 1)
    bad("superblock: log of %u blocks is smaller than the kernel's %d", sb.nlog, LOGBLOCKS + 1);
}

/* If the log holds a committed transaction, apply it to the in-memory image
 * (what the kernel's recovery does at boot) and say so; a corrupt header is
 * a problem and is not applied. */
static void
replay_log(void)
{
  struct logheader h;

  memmove(&h, block(sb.logstart), sizeof(h));
  if (h.n == 0)
    return;
  if (h.n < 0 || h.n > LOGBLOCKS || (uint)h.n > sb.nlog - 1) {
    bad("log: header claims %d blocks; the kernel will ignore it", h.n);
    return;
  }
  for (int i = 0; i < h.n; i++) {
    if ((uint)h.block[i] < sb.logstart + sb.nlog || (uint)h.block[i] >= sb.size) {
      bad("log: entry %d names block %d outside the file system; the kernel will ignore the log", i,
          h.block[i]);
      return;
    }
  }
  for (int i = 0; i < h.n; i++)
    memmove(block(h.block[i]), block(sb.logstart + 1 + i), BSIZE);
  printf("fscheck: log holds a committed transaction of %d blocks; "
         "checking the image as recovered\n",
         h.n);
}

/* A copy of inode inum. */
static struct dinode
inode(uint inum)
{
  struct dinode d;

  memmove(&d, block(IBLOCK(inum, sb)) + (inum % IPB) * sizeof(d), sizeof(d));
  return d;
}

/* Is b a block number a file may use? */
static int
in_data_area(uint b)
{
  return b >= datastart && b < sb.size;
}

/* Record that inode inum uses block b; report it if b is outside the data
 * area or already used. Returns 1 if b may be read as this inode's block. */
static int
claim(uint inum, uint b, const char *role)
{
  if (!in_data_area(b)) {
    bad("inode %u: %s block %u outside the data area [%u, %u)", inum, role, b, datastart, sb.size);
    return 0;
  }
  if (owner[b] != 0) {
    bad("block %u used twice: inode %u and inode %u (%s)", b, owner[b], inum, role);
    return 0;
  }
  owner[b] = inum;
  return 1;
}

/* Block number of block fbn of d, 0 if none or unreadable. */
static uint
bmap(const struct dinode *d, uint fbn)
{
  if (fbn < NDIRECT)
    return in_data_area(d->addrs[fbn]) ? d->addrs[fbn] : 0;
  if (fbn >= MAXFILE || !in_data_area(d->addrs[NDIRECT]))
    return 0;
  uint b = ((uint *)block(d->addrs[NDIRECT]))[fbn - NDIRECT];
  return in_data_area(b) ? b : 0;
}

/* Check the fields and block list of allocated inode inum and claim its
 * blocks. Returns 1 if its contents can be read (type and size sane). */
static int
check_inode(uint inum, const struct dinode *d)
{
  int ok = 1;

  if (d->type != T_DIR && d->type != T_FILE && d->type != T_DEVICE) {
    bad("inode %u: unknown type %d", inum, d->type);
    return 0;
  }
  if (d->size > MAXFILE * BSIZE) {
    bad("inode %u: size %u larger than the largest file", inum, d->size);
    ok = 0;
  }
  if (d->type == T_DIR && d->size % sizeof(struct dirent) != 0) {
    bad("inode %u: directory size %u not a multiple of %zu", inum, d->size, sizeof(struct dirent));
    ok = 0;
  }
  for (uint i = 0; i < NDIRECT; i++)
    if (d->addrs[i] != 0 && !claim(inum, d->addrs[i], "direct"))
      ok = 0;
  if (d->addrs[NDIRECT] != 0) {
    if (claim(inum, d->addrs[NDIRECT], "indirect")) {
      uint *ind = (uint *)block(d->addrs[NDIRECT]);
      for (uint i = 0; i < NINDIRECT; i++)
        if (ind[i] != 0 && !claim(inum, ind[i], "data"))
          ok = 0;
    } else {
      ok = 0;
    }
  }
  uint used = (d->size + BSIZE - 1) / BSIZE;
  for (uint fbn = 0; ok && fbn < used; fbn++) {
    if (bmap(d, fbn) == 0) {
      bad("inode %u: no block %u inside its size %u", inum, fbn, d->size);
      ok = 0;
    }
  }
  return ok;
}

/* Copy n bytes at offset off of d into dst. => check_inode(d) succeeded */
static void
read_inode(const struct dinode *d, uint off, uchar *dst, uint n)
{
  while (n > 0) {
    uint chunk = BSIZE - off % BSIZE < n ? BSIZE - off % BSIZE : n;
    memmove(dst, block(bmap(d, off / BSIZE)) + off % BSIZE, chunk);
    off += chunk;
    dst += chunk;
    n -= chunk;
  }
}

/* Check and claim every allocated inode; readable[i] says whether inode i's
 * contents may be read. */
static void
check_inodes(char *readable)
{
  if (inode(0).type != 0)
    bad("inode 0 is allocated; inode numbers start at 1");
  for (uint inum = 1; inum < sb.ninodes; inum++) {
    struct dinode d = inode(inum);
    if (d.type != 0)
      readable[inum] = check_inode(inum, &d);
  }
  if (inode(ROOTINO).type != T_DIR)
    fatal("inode %d (the root) is not a directory", ROOTINO);
  if (!readable[ROOTINO])
    fatal("the root directory cannot be read");
}

/* The free bitmap must mark exactly the metadata blocks and the blocks some
 * inode uses. */
static void
check_bitmap(void)
{
  for (uint b = 0; b < sb.size; b++) {
    int marked = block(BBLOCK(b, sb))[b % BPB / 8] >> (b % 8) & 1;
    int used = b < datastart || owner[b] != 0;
    if (marked && !used)
      bad("block %u is marked used in the bitmap but nothing uses it", b);
    else if (!marked && used && b < datastart)
      bad("metadata block %u is free in the bitmap", b);
    else if (!marked && used)
      bad("block %u is used by inode %u but free in the bitmap", b, owner[b]);
  }
}

/* A directory waiting to be walked, with the name it was reached by. */
struct pending {
  uint inum;
  uint parent;
  char path[MAXPATH];
};

/* Check the entries of directory p->inum, count the references they make and
 * queue the subdirectories they name at *tail (room for sb.ninodes). */
static void
walk_dir(const struct pending *p, const char *readable, struct pending *queue, uint *tail)
{
  struct dinode d = inode(p->inum);
  int dots = 0, dotdots = 0;
  struct dirent *ents = malloc(d.size + 1);
  uint n = d.size / sizeof(struct dirent);

  read_inode(&d, 0, (uchar *)ents, d.size);
  for (uint i = 0; i < n; i++) {
    struct dirent *e = &ents[i];
    char name[DIRSIZ + 1];
    if (e->inum == 0)
      continue;
    memmove(name, e->name, DIRSIZ);
    name[DIRSIZ] = 0;
    if (e->inum >= sb.ninodes || inode(e->inum).type == 0) {
      bad("%s: entry \"%s\" names %s inode %u", p->path, name,
          e->inum >= sb.ninodes ? "nonexistent" : "free", e->inum);
      continue;
    }
    for (uint j = 0; j < i; j++)
      if (ents[j].inum != 0 && strncmp(ents[j].name, e->name, DIRSIZ) == 0)
        bad("%s: two entries named \"%s\"", p->path, name);
    if (strcmp(name, ".") == 0) {
      dots++;
      if (e->inum != p->inum)
        bad("%s: \".\" names inode %u, not itself (%u)", p->path, e->inum, p->inum);
      continue;
    }
    refs[e->inum]++;
    if (strcmp(name, "..") == 0) {
      dotdots++;
      if (e->inum != p->parent)
        bad("%s: \"..\" names inode %u, not its parent %u", p->path, e->inum, p->parent);
      continue;
    }
    if (name[0] == 0)
      bad("%s: entry with an empty name (inode %u)", p->path, e->inum);
    if (reached[e->inum] && inode(e->inum).type == T_DIR) {
      bad("%s/%s: directory inode %u is linked from more than one place", p->path, name, e->inum);
      continue;
    }
    if (!reached[e->inum] && inode(e->inum).type == T_DIR && readable[e->inum]) {
      struct pending *q = &queue[(*tail)++];
      q->inum = e->inum;
      q->parent = p->inum;
      const char *dir = strcmp(p->path, "/") ? p->path : "";
      if (snprintf(q->path, sizeof(q->path), "%s/%s", dir, name) >= (int)sizeof(q->path))
        strcpy(q->path + sizeof(q->path) - 4, "..."); /* deep path: shown truncated */
    }
    reached[e->inum] = 1;
  }
  if (dots != 1 || dotdots != 1)
    bad("%s: has %d \".\" and %d \"..\" entries, want one each", p->path, dots, dotdots);
  free(ents);
}

/* Walk the tree from the root, then compare every link count with the
 * references found. */
static void
check_tree(const char *readable)
{
  struct pending *queue = calloc(sb.ninodes, sizeof(*queue));
  uint head = 0, tail = 1;

  queue[0].inum = ROOTINO;
  queue[0].parent = ROOTINO;
  strcpy(queue[0].path, "/");
  reached[ROOTINO] = 1;
  while (head < tail)
    walk_dir(&queue[head++], readable, queue, &tail);
  free(queue);

  for (uint inum = 1; inum < sb.ninodes; inum++) {
    struct dinode d = inode(inum);
    if (d.type == 0)
      continue;
    if (!reached[inum] && d.nlink == 0)
      printf("fscheck: note: inode %u is allocated but unlinked (nlink 0): "
             "a file still open when the system stopped\n",
             inum);
    else if (!reached[inum])
      bad("inode %u (type %d, nlink %d) is allocated but no directory names it", inum, d.type,
          d.nlink);
    else if (d.nlink != refs[inum])
      bad("inode %u: nlink %d, but %d directory entries name it", inum, d.nlink, refs[inum]);
  }
}

/* Inode of the entry called name in the root directory, 0 if none. */
static uint
lookup_root(const char *name)
{
  struct dinode root = inode(ROOTINO);
  struct dirent e;

  for (uint off = 0; off < root.size; off += sizeof(e)) {
    read_inode(&root, off, (uchar *)&e, sizeof(e));
    if (e.inum != 0 && e.inum < sb.ninodes && strncmp(e.name, name, DIRSIZ) == 0)
      return e.inum;
  }
  return 0;
}

/* The image must hold a copy of host file path in the root directory, named
 * as mkfs names it. */
static void
check_host_file(const char *path, const char *readable)
{
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t len;

  if (name[0] == '_')
    name++;
  uint inum = lookup_root(name);
  if (inum == 0) {
    bad("%s: no file \"%s\" in the root directory", path, name);
    return;
  }
  struct dinode d = inode(inum);
  if (d.type != T_FILE || !readable[inum]) {
    bad("%s: \"/%s\" is not a readable regular file", path, name);
    return;
  }
  uchar *want = slurp(path, &len);
  if (want == NULL)
    return;
  if (len != d.size) {
    bad("%s: \"/%s\" holds %u bytes, the host file %zu", path, name, d.size, len);
  } else {
    uchar *got = malloc(len + 1);
    read_inode(&d, 0, got, d.size);
    for (size_t i = 0; i < len; i++) {
      if (got[i] != want[i]) {
        bad("%s: \"/%s\" differs from the host file at byte %zu", path, name, i);
        break;
      }
    }
    free(got);
  }
  free(want);
}

int
main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(stderr, "usage: fscheck fs.img [file...]\n");
    return 1;
  }
  load_superblock(argv[1]);
  replay_log();
  owner = calloc(sb.size, sizeof(*owner));
  refs = calloc(sb.ninodes, sizeof(*refs));
  reached = calloc(sb.ninodes, 1);
  char *readable = calloc(sb.ninodes, 1);
  if (!owner || !refs || !reached || !readable)
    fatal("out of memory");

  check_inodes(readable);
  check_bitmap();
  check_tree(readable);
  for (int i = 2; i < argc; i++)
    check_host_file(argv[i], readable);

  if (problems > 0) {
    if (problems > MAX_REPORTS)
      fprintf(stderr, "fscheck: ... %d more\n", problems - MAX_REPORTS);
    fprintf(stderr, "fscheck: %d problems\n", problems);
    return 1;
  }
  printf("fscheck: ok\n");
  return 0;
}
