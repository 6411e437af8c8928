/* inode.h: inodes in memory, directories and path names (fs.c). */
#ifndef CALF_INODE_H
#define CALF_INODE_H

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/sched/sleeplock.h"

struct stat;

/* An inode in memory. dev, inum and ref are guarded by the inode table lock;
 * the rest by lock, and valid says whether they were read from disk. */
struct inode {
  uint dev;
  uint inum;
  int ref;
  struct sleeplock lock;
  int valid;

  short type; /* copy of the disk inode */
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NDIRECT + 1];

  /* The textbook's caveat, a program whose file changes while it runs, is
   * refused both ways, each check made with the inode locked (open, exec): */
  int text_maps; /* program regions (exec's text and data) mapping this file:
                  * while any exist, the file cannot be opened for writing */
  int writers;   /* open files that may write it, and shared writable
                  * mappings: while any exist, it cannot be exec'd */
};

int fsinit(int dev);
int dirlink(struct inode *dp, char *name, uint inum);
int dirlookup(struct inode *dp, char *name, uint *poff, struct inode **ipp);
struct inode *ialloc(uint dev, short type);
struct inode *idup(struct inode *ip);
void iinit(void);
int ilock(struct inode *ip); /* 0, or -1 if the inode is corrupt (still locked) */
void iput(struct inode *ip);
int iput_if_shared(struct inode *ip);
void iunlock(struct inode *ip);
void iunlockput(struct inode *ip);
void iupdate(struct inode *ip);
int namecmp(const char *s, const char *t);
struct inode *namei(char *path);
struct inode *nameiparent(char *path, char *name);
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
void stati(struct inode *ip, struct stat *st);
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);
void itrunc(struct inode *ip);
void fs_set_truncate_hook(void (*hook)(struct inode *ip));
#endif
