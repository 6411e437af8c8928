/* stat.h: what fstat reports about a file. */
#ifndef CALF_STAT_H
#define CALF_STAT_H

#include "kernel/types.h"

#define T_DIR    1 /* directory */
#define T_FILE   2 /* regular file */
#define T_DEVICE 3 /* device */

struct stat {
  int dev;     /* disk device */
  uint ino;    /* inode number */
  short type;  /* T_DIR, T_FILE or T_DEVICE */
  short nlink; /* links to the inode */
  uint64 size; /* bytes */
};

#endif
