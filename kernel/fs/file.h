/* file.h: open files and the device switch (file.c). */
#ifndef CALF_FILE_H
#define CALF_FILE_H

#include "kernel/types.h"
#include "kernel/param.h"

struct inode;
struct pipe;

struct file {
  enum { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE } type;
  int ref; /* guarded by the file table lock */
  char readable;
  char writable;
  struct pipe *pipe; /* FD_PIPE */
  struct inode *ip;  /* FD_INODE and FD_DEVICE */
  uint off;          /* FD_INODE; guarded by ip->lock */
  short major;       /* FD_DEVICE */
};

#define major(dev)  ((dev) >> 16 & 0xFFFF)
#define minor(dev)  ((dev)&0xFFFF)
#define mkdev(m, n) ((uint)((m) << 16 | (n)))

/* Device switch: read/write for each major device number.
 * user_addr says whether addr is a user virtual address. */
struct devsw {
  int (*read)(int user_addr, uint64 addr, int n);
  int (*write)(int user_addr, uint64 addr, int n);
};

#define CONSOLE 1

/* The file table (file.c). */
struct file *filealloc(void);
void fileclose(struct file *f);
struct file *filedup(struct file *f);
int file_pipe(struct file **rf, struct file **wf);
void fileinit(void);
int fileread(struct file *f, uint64 addr, int n);
int filestat(struct file *f, uint64 addr);
int filewrite(struct file *f, uint64 addr, int n);

#endif
