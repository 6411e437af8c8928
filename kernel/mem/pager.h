/* pager.h: what the file layer supplies for file-backed regions (mmap,
 * exec's text and data). The address-space layer knows a file only as a
 * struct inode pointer it never looks into; everything it needs of one goes
 * through the pager, which fs/pcache.c installs at boot (as_set_pager). So
 * memory code calls the file system only through this table, and calls go
 * down the layers (test/layers.py). */
#ifndef CALF_PAGER_H
#define CALF_PAGER_H

#include "kernel/types.h"

struct inode;

/* get's errors. */
#define PAGER_BEYOND (-1) /* the page lies wholly past the end of the file */
#define PAGER_NOMEM  (-2) /* no frame for it */

struct pager {
  /* A region takes a reference on ip (program: it maps a program's text or
   * data, which keeps the file from being opened for writing; writes: it
   * is a shared writable mapping, which keeps it from being exec'd). Never
   * sleeps; the address space's lock may be held. */
  void (*hold)(struct inode *ip, int program, int writes);
  /* A region lets go of ip: its program and writes counts drop now, its
   * reference later, in put. Never sleeps. */
  void (*unhold)(struct inode *ip, int program, int writes);
  /* Drop the n references unhold left. May sleep (a deleted file is freed):
   * the caller holds no spinlock. */
  void (*put)(struct inode **ips, int n);
  /* The frame holding page idx of ip, with a reference for the caller.
   * Returns 0, PAGER_BEYOND or PAGER_NOMEM. May sleep. */
  int (*get)(struct inode *ip, uint64 idx, uint64 *pa);
  /* Frame pa, page idx of a shared mapping of ip, may have been written:
   * write it to the file. May sleep. */
  void (*writeback)(struct inode *ip, uint64 idx, uint64 pa);
  /* Page replacement is making frame pa, page idx of a shared mapping of
   * ip, read-only so that it can be written back and then dropped: queue
   * its write, with references on ip and pa of the queue's own. Never
   * sleeps; the address space's lock may be held. Returns 0, or -1 if the
   * queue is full (the page stays as it is). Only the reclaimer queues. */
  int (*queue_write)(struct inode *ip, uint64 idx, uint64 pa);
  /* No hart can store to the pages queued so far any more (their PTEs are
   * read-only and every TLB flushed): they may be written. Never sleeps. */
  void (*writes_ready)(void);
  /* Write the queued pages that may be written, or, with wait, every page
   * queued so far, waiting for any not ready yet. May sleep: the caller
   * holds no lock at all, sleeplocks of files and the log included. */
  void (*write_queued)(int wait);
  /* Is frame pa a page of a file the cache holds? (Page replacement drops
   * such a page's PTE rather than swap it.) Never sleeps. */
  int (*cached)(uint64 pa);
  /* ip's inode number, for vmregions. */
  uint (*inum)(struct inode *ip);
  /* Call note(arg, pa) once for each reference the file layer holds on a
   * frame (memcheck counts them). */
  void (*audit)(void (*note)(void *arg, uint64 pa), void *arg);
};

void as_set_pager(const struct pager *pg);

#endif
