/* param.h: compile-time limits of the kernel and the file system. */
#ifndef CALF_PARAM_H
#define CALF_PARAM_H

#define NPROC       64                       /* processes in the table */
#define NCPU        8                        /* harts the kernel can drive */
#define NOFILE      16                       /* open files per process */
#define NFILE       100                      /* open files in the system */
#define NINODE      50                       /* in-memory inodes */
#define NDEV        10                       /* device major numbers */
#define ROOTDEV     1                        /* device number of the root disk */
#define MAXARG      32                       /* exec arguments */
#define MAXOPBLOCKS 10                       /* blocks one file-system operation may write */
#define LOGOPS      3                        /* operations the log admits at once */
#define LOGBLOCKS   (MAXOPBLOCKS * 3)        /* data blocks in the on-disk log */
#define LOGSIZE     LOGBLOCKS                /* older name of LOGBLOCKS */
#define NBUF        (LOGBLOCKS + LOGOPS + 1) /* buffers in the block cache: the fewest bio.c allows */
#define FSSIZE      2000                     /* blocks in the file system image */
#define MAXPATH     128                      /* longest path name */
#define USERSTACK   1                        /* pages of user stack */
#define STACKGROW   64                       /* pages it may grow by, on faults just below it */

#endif
