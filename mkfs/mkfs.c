/* mkfs.c: host tool that builds a calf file-system image.
 *
 *   mkfs [-s BLOCKS] fs.img file...
 *
 * The image has BLOCKS blocks of BSIZE bytes (default FSSIZE, kernel/param.h;
 * the kernel reads the size from the superblock, so any size from
 * MINBLOCKS to MAXBLOCKS works without a rebuild) laid out as kernel/fs.h
 * describes: boot block,
 * superblock, log (header + LOGBLOCKS), inode blocks for NINODES inodes, free
 * bitmap, data. The root directory holds ".", ".." and one regular file per
 * argument, named by its basename with one leading '_' removed (user/_cat
 * becomes cat). The whole image is built in memory and written only when
 * every input fitted, so a failed run leaves no half-made image behind.
 *
 * Link counts follow the kernel's rule: an inode's nlink counts the directory
 * entries naming it other than ".", so the root and every file start at 1.
 * Data blocks are handed out in order, so the used blocks are exactly
 * [0, next_block) and the bitmap is written from that at the end. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/param.h"

#define NINODES      200
#define NLOG         (LOGBLOCKS + 1)
#define NINODEBLOCKS ((int)(NINODES / IPB) + 1)
#define NBITMAP      (fssize / BPB + 1)
#define NMETA        (2 + NLOG + NINODEBLOCKS + NBITMAP) /* boot, super, log, inodes, bitmap */
#define MINBLOCKS    (2 + NLOG + NINODEBLOCKS + 1 + 64)  /* room for 64 data blocks */
#define MAXBLOCKS    (1u << 20)                          /* 1 GiB */

_Static_assert(BSIZE % sizeof(struct dinode) == 0, "inodes must tile a block");
_Static_assert(BSIZE % sizeof(struct dirent) == 0, "dirents must tile a block");
_Static_assert(MINBLOCKS <= FSSIZE && FSSIZE <= MAXBLOCKS, "FSSIZE out of mkfs's range");

static uint fssize = FSSIZE;     /* blocks in the image (-s) */
static uchar (*image)[BSIZE];    /* fssize blocks, zeroed */
static uint next_inum = ROOTINO; /* lowest inode never allocated */
static uint next_block;          /* lowest data block never allocated; NMETA at first */

/* Print "mkfs: " and the message, then exit with status 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "mkfs: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  exit(1);
}

/* The on-image copy of inode inum (inum < NINODES). */
static struct dinode *
dinode(uint inum)
{
  return (struct dinode *)image[2 + NLOG + inum / IPB] + inum % IPB;
}

/* Write the superblock describing the layout above into block 1. */
static void
write_superblock(void)
{
  struct superblock sb = {
      .magic = FSMAGIC,
      .size = fssize,
      .nblocks = fssize - NMETA,
      .ninodes = NINODES,
      .nlog = NLOG,
      .logstart = 2,
      .inodestart = 2 + NLOG,
      .bmapstart = 2 + NLOG + NINODEBLOCKS,
  };
  memmove(image[1], &sb, sizeof(sb));
}

/* A fresh inode of the given type with one link. what names the input for
 * the error message when the inodes run out. */
static uint
alloc_inode(short type, const char *what)
{
  if (next_inum >= NINODES)
    die("%s: too many files: the image holds %d inodes", what, NINODES);
  struct dinode *d = dinode(next_inum);
  d->type = type;
  d->nlink = 1;
  return next_inum++;
}

/* A fresh zeroed data block; dies naming what when the image is full. */
static uint
alloc_block(const char *what)
{
  if (next_block >= fssize)
    die("%s: image too small: all %u data blocks are used (mkfs -s, make FSSIZE=)", what,
        fssize - NMETA);
  return next_block++;
}

/* The data block holding block fbn of inode d, allocated if missing.
 * Dies naming what if fbn is beyond the largest file. */
static uint
file_block(struct dinode *d, uint fbn, const char *what)
{
  if (fbn >= MAXFILE)
    die("%s: too large: a file holds at most %d blocks (%d bytes)", what, (int)MAXFILE,
        (int)(MAXFILE * BSIZE));
  if (fbn < NDIRECT) {
    if (d->addrs[fbn] == 0)
      d->addrs[fbn] = alloc_block(what);
    return d->addrs[fbn];
  }
  if (d->addrs[NDIRECT] == 0)
    d->addrs[NDIRECT] = alloc_block(what);
  uint *indirect = (uint *)image[d->addrs[NDIRECT]];
  if (indirect[fbn - NDIRECT] == 0)
    indirect[fbn - NDIRECT] = alloc_block(what);
  return indirect[fbn - NDIRECT];
}

/* Append n bytes at data to the contents of inode inum. */
static void
append(uint inum, const void *data, uint n, const char *what)
{
  struct dinode *d = dinode(inum);
  const uchar *p = data;

  while (n > 0) {
    uint off = d->size % BSIZE;
    uint chunk = BSIZE - off < n ? BSIZE - off : n;
    uint b = file_block(d, d->size / BSIZE, what);
    memmove(image[b] + off, p, chunk);
    d->size += chunk;
    p += chunk;
    n -= chunk;
  }
}

/* Add the entry name -> inum to directory dir. */
static void
add_entry(uint dir, const char *name, uint inum)
{
  struct dirent de;

  memset(&de, 0, sizeof(de));
  de.inum = inum;
  memmove(de.name, name, strnlen(name, DIRSIZ)); /* NUL-padded, not terminated at DIRSIZ */
  append(dir, &de, sizeof(de), name);
}

/* Does directory dir already hold an entry called name? */
static int
has_entry(uint dir, const char *name)
{
  struct dinode *d = dinode(dir);

  for (uint off = 0; off < d->size; off += sizeof(struct dirent)) {
    uint b = file_block(d, off / BSIZE, name); /* present: off < size */
    struct dirent *de = (struct dirent *)(image[b] + off % BSIZE);
    if (de->inum != 0 && strncmp(de->name, name, DIRSIZ) == 0)
      return 1;
  }
  return 0;
}

/* The name path gets in the image: its basename without one leading '_'.
 * Dies if that name is empty, "." or "..", or longer than DIRSIZ. */
static const char *
image_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;

  if (name[0] == '_')
    name++;
  if (name[0] == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    die("%s: no usable file name", path);
  if (strlen(name) > DIRSIZ)
    die("%s: name \"%s\" is longer than %d characters", path, name, DIRSIZ);
  return name;
}

/* Copy the host file at path into a new file in directory dir. */
static void
add_file(uint dir, const char *path)
{
  const char *name = image_name(path);
  char buf[BSIZE];
  size_t n;

  if (has_entry(dir, name))
    die("%s: a file named \"%s\" is already in the image", path, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    die("%s: %s", path, strerror(errno));
  uint inum = alloc_inode(T_FILE, path);
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    append(inum, buf, n, path);
  if (ferror(f))
    die("%s: read failed: %s", path, strerror(errno));
  fclose(f);
  add_entry(dir, name, inum);
}

/* Mark blocks [0, next_block) used in the free bitmap. */
static void
write_bitmap(void)
{
  uint bmapstart = 2 + NLOG + NINODEBLOCKS;

  for (uint b = 0; b < next_block; b++)
    image[bmapstart + b / BPB][b % BPB / 8] |= 1 << (b % 8);
}

/* Write the finished image to path. */
static void
write_image(const char *path)
{
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    die("%s: %s", path, strerror(errno));
  if (fwrite(image, BSIZE, fssize, f) != fssize || fclose(f) != 0)
    die("%s: write failed: %s", path, strerror(errno));
}

/* The image size given to -s: a whole number of blocks in [MINBLOCKS,
 * MAXBLOCKS]; dies saying so otherwise. */
static uint
parse_size(const char *s)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v < MINBLOCKS || v > MAXBLOCKS)
    die("-s %s: the size must be a number of %d-byte blocks from %d to %u", s, BSIZE, MINBLOCKS,
        MAXBLOCKS);
  return v;
}

int
main(int argc, char *argv[])
{
  if (argc >= 3 && strcmp(argv[1], "-s") == 0) {
    fssize = parse_size(argv[2]);
    argv += 2;
    argc -= 2;
  }
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: mkfs [-s BLOCKS] fs.img file...\n");
    return 1;
  }
  image = calloc(fssize, BSIZE);
  if (image == NULL)
    die("no memory for an image of %u blocks", fssize);
  next_block = NMETA;
  write_superblock();
  uint root = alloc_inode(T_DIR, "/");
  if (root != ROOTINO)
    die("root directory got inode %u, not %d", root, ROOTINO);
  add_entry(root, ".", root);
  add_entry(root, "..", root);
  for (int i = 2; i < argc; i++)
    add_file(root, argv[i]);
  write_bitmap();
  write_image(argv[1]);
  printf("mkfs: %s: %d files, %u of %u data blocks, %u of %d inodes used\n", argv[1], argc - 2,
         next_block - NMETA, fssize - NMETA, next_inum - 1, NINODES - 1);
  return 0;
}
