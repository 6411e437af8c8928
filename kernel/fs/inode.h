/* inode.h: inodes, directories and path names (fs.c). */
#ifndef CALF_INODE_H
#define CALF_INODE_H

#include "kernel/types.h"
#include "kernel/fs/file.h"

struct stat;

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
#endif
