/* fs.h: the on-disk file system format, shared by the kernel and mkfs.
 *
 * Disk layout, in blocks of BSIZE bytes:
 *   [ boot | super | log header + log | inodes | free bitmap | data ... ]
 * mkfs writes the superblock; the kernel checks it before trusting it. */
#ifndef CALF_FS_H
#define CALF_FS_H

#include "kernel/types.h"

#define ROOTINO 1    /* inode number of "/" */
#define BSIZE   1024 /* bytes per block */

struct superblock {
  uint magic;      /* FSMAGIC */
  uint size;       /* blocks in the image */
  uint nblocks;    /* data blocks */
  uint ninodes;    /* inodes */
  uint nlog;       /* log blocks, header included */
  uint logstart;   /* first log block */
  uint inodestart; /* first inode block */
  uint bmapstart;  /* first free-bitmap block */
};

#define FSMAGIC 0x10203040

#define NDIRECT   12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE   (NDIRECT + NINDIRECT)

/* An inode as stored on disk. */
struct dinode {
  short type;  /* 0 when free, else T_DIR, T_FILE, T_DEVICE */
  short major; /* device numbers (T_DEVICE only) */
  short minor;
  short nlink;             /* directory entries naming this inode */
  uint size;               /* bytes of content */
  uint addrs[NDIRECT + 1]; /* direct blocks, then the indirect block */
};

#define IPB           (BSIZE / sizeof(struct dinode)) /* inodes per block */
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)   /* block holding inode i */
#define BPB           (BSIZE * 8)                     /* bitmap bits per block */
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)    /* bitmap block for block b */

#define DIRSIZ 14

/* A directory is a file of these; inum 0 marks a free slot. */
struct dirent {
  ushort inum;
  char name[DIRSIZ];
};

#endif
