/* sysfile.c: the file system calls.
 *
 * Each call checks its arguments, then works through fs.c, file.c and
 * pipe.c. Every path that modifies the file system runs inside one
 * begin_op/end_op, taken before any inode lock; every error path gives back
 * what it took (inode references and locks, files, descriptors, pages).
 * The descriptor table p->ofile is private to the process.
 */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/fs.h"
#include "kernel/fs/file.h"
#include "kernel/proc/proc.h"
#include "kernel/mem/aspace.h"
#include "kernel/proc/exec.h"
#include "kernel/fcntl.h"
#include "kernel/mem/frame.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/log.h"
#include "kernel/fs/pcache.h"
#include "kernel/fs/pipe.h"
#include "kernel/stat.h"
#include "kernel/lib/string.h"
#include "kernel/sys/sysarg.h"

#define SHORT_MAX 32767 /* largest on-disk nlink, major or minor */

/* Fetches system call argument n as a descriptor of the calling process.
 * Sets *pfd (if not 0) and *pf. Returns 0, or -1 if it is not an open fd. */
static int
argfd(int n, int *pfd, struct file **pf)
{
  int fd;

  if (argint(n, &fd) < 0 || fd < 0 || fd >= NOFILE || myproc()->ofile[fd] == 0)
    return -1;
  if (pfd)
    *pfd = fd;
  *pf = myproc()->ofile[fd];
  return 0;
}

/* Gives f the lowest free descriptor of the calling process; the caller's
 * reference moves to the table. Returns the fd, or -1 if the table is full. */
static int
fdalloc(struct file *f)
{
  struct proc *p = myproc();

  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd] == 0) {
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

/* dup(fd): a new descriptor for the same open file. */
uint64
sys_dup(void)
{
  struct file *f;
  int fd;

  if (argfd(0, 0, &f) < 0 || (fd = fdalloc(f)) < 0)
    return -1;
  filedup(f);
  return fd;
}

/* read(fd, buf, n): bytes read, 0 at end of file, or -1. */
uint64
sys_read(void)
{
  struct file *f;
  uint64 addr;
  int n;

  if (argfd(0, 0, &f) < 0 || argaddr(1, &addr) < 0 || argint(2, &n) < 0 || n < 0)
    return -1;
  return fileread(f, addr, n);
}

/* write(fd, buf, n): bytes written, or -1. */
uint64
sys_write(void)
{
  struct file *f;
  uint64 addr;
  int n;

  if (argfd(0, 0, &f) < 0 || argaddr(1, &addr) < 0 || argint(2, &n) < 0 || n < 0)
    return -1;
  return filewrite(f, addr, n);
}

/* close(fd). */
uint64
sys_close(void)
{
  struct file *f;
  int fd;

  if (argfd(0, &fd, &f) < 0)
    return -1;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

/* fstat(fd, st): fills the struct stat at user address st. */
uint64
sys_fstat(void)
{
  struct file *f;
  uint64 st;

  if (argfd(0, 0, &f) < 0 || argaddr(1, &st) < 0)
    return -1;
  return filestat(f, st);
}

/* Does directory dp (locked) hold nothing but "." and ".."? An unreadable
 * directory counts as not empty. */
static int
dir_empty(struct inode *dp)
{
  struct dirent de;

  for (uint off = 2 * sizeof(de); off + sizeof(de) <= dp->size; off += sizeof(de)) {
    if (readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de) || de.inum != 0)
      return 0;
  }
  return 1;
}

/* link(old, new): makes new another name for the non-directory old. */
uint64
sys_link(void)
{
  char name[DIRSIZ], new[MAXPATH], old[MAXPATH];
  struct inode *dp, *ip;

  if (argstr(0, old, MAXPATH) < 0 || argstr(1, new, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((ip = namei(old)) == 0) {
    end_op();
    return -1;
  }
  if (ilock(ip) < 0 || ip->type == T_DIR || ip->nlink >= SHORT_MAX) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  if ((dp = nameiparent(new, name)) != 0) {
    if (ilock(dp) == 0 && dp->dev == ip->dev && dirlink(dp, name, ip->inum) == 0) {
      iunlockput(dp);
      iput(ip);
      end_op();
      return 0;
    }
    iunlockput(dp);
  }
  ilock(ip); /* loaded and sane above, so this succeeds */
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return -1;
}

/* Removes the entry at offset off of directory dp for ip, dropping one link.
 * Caller holds dp and ip locked, in a transaction. Returns 0 or -1. */
static int
remove_entry(struct inode *dp, struct inode *ip, uint off)
{
  struct dirent de;

  memset(&de, 0, sizeof(de));
  if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    return -1;
  if (ip->type == T_DIR && dp->nlink > 0) {
    dp->nlink--; /* ip's ".." no longer names dp */
    iupdate(dp);
  }
  ip->nlink--;
  iupdate(ip);
  return 0;
}

/* unlink(path): removes a name; refuses "." and ".." and non-empty
 * directories. The inode is freed when its last link and reference go. */
uint64
sys_unlink(void)
{
  char name[DIRSIZ], path[MAXPATH];
  struct inode *dp, *ip;
  uint off;
  int r = -1;

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((dp = nameiparent(path, name)) == 0) {
    end_op();
    return -1;
  }
  if (ilock(dp) == 0 && namecmp(name, ".") != 0 && namecmp(name, "..") != 0 &&
      dirlookup(dp, name, &off, &ip) > 0) {
    /* A corrupt entry naming dp itself would deadlock on dp's lock. */
    if (ip == dp) {
      iput(ip);
    } else {
      if (ilock(ip) == 0 && ip->nlink > 0 && (ip->type != T_DIR || dir_empty(ip)))
        r = remove_entry(dp, ip, off);
      iunlockput(ip);
    }
  }
  iunlockput(dp);
  end_op();
  return r;
}

/* Creates path as a new inode of type type (with major and minor for a
 * device), or for T_FILE returns an existing file or device of that name.
 * Caller is in a transaction. Returns the inode locked and referenced, or 0. */
static struct inode *
create(char *path, short type, short major, short minor)
{
  char name[DIRSIZ];
  struct inode *dp, *ip;
  int found;

  if ((dp = nameiparent(path, name)) == 0)
    return 0;
  if (ilock(dp) < 0) {
    iunlockput(dp);
    return 0;
  }
  if ((found = dirlookup(dp, name, 0, &ip)) < 0) {
    iunlockput(dp);
    return 0;
  }
  if (found > 0) {
    iunlockput(dp);
    if (ilock(ip) == 0 && type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
      return ip;
    iunlockput(ip);
    return 0;
  }
  if ((ip = ialloc(dp->dev, type)) == 0) {
    iunlockput(dp);
    return 0;
  }
  if (ilock(ip) < 0)
    goto fail;
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);
  if (type == T_DIR && (dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0))
    goto fail;
  if (dirlink(dp, name, ip->inum) < 0)
    goto fail;
  if (type == T_DIR) {
    dp->nlink++; /* the new ".." */
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;

fail:
  /* With no links, the last iput frees the inode and any blocks it got. */
  ip->nlink = 0;
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return 0;
}

/* Sets up f to refer to inode ip (locked) opened with omode. */
static void
file_setup(struct file *f, struct inode *ip, int omode)
{
  if (ip->type == T_DEVICE) {
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = 0;
  }
  f->ip = ip;
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & O_WRONLY) || (omode & O_RDWR);
  if (f->type == FD_INODE && f->writable)
    __atomic_fetch_add(&ip->writers, 1, __ATOMIC_RELAXED);
}

/* open(path, omode): returns a new fd, or -1. Directories open read-only. */
uint64
sys_open(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct file *f;
  int omode, fd;
  int writing;

  if (argstr(0, path, MAXPATH) < 0 || argint(1, &omode) < 0)
    return -1;
  writing = (omode & O_WRONLY) || (omode & O_RDWR);
  begin_op();
  if (omode & O_CREATE)
    ip = create(path, T_FILE, 0, 0);
  else if ((ip = namei(path)) != 0 && ilock(ip) < 0) {
    iunlockput(ip);
    ip = 0;
  }
  if (ip == 0) {
    end_op();
    return -1;
  }
  if ((ip->type == T_DIR && writing) ||
      ((writing || (omode & O_TRUNC)) && /* text busy */
       __atomic_load_n(&ip->text_maps, __ATOMIC_RELAXED) > 0) ||
      (ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV)) || (f = filealloc()) == 0) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  if ((fd = fdalloc(f)) < 0) {
    fileclose(f);
    iunlockput(ip);
    end_op();
    return -1;
  }
  file_setup(f, ip, omode);
  if ((omode & O_TRUNC) && ip->type == T_FILE) {
    itrunc(ip);
  }
  iunlock(ip);
  end_op();
  return fd;
}

/* mkdir(path): creates an empty directory. */
uint64
sys_mkdir(void)
{
  char path[MAXPATH];
  struct inode *ip;

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((ip = create(path, T_DIR, 0, 0)) == 0) {
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

/* mknod(path, major, minor): creates a device file; major < NDEV. */
uint64
sys_mknod(void)
{
  char path[MAXPATH];
  struct inode *ip;
  int major, minor;

  if (argstr(0, path, MAXPATH) < 0 || argint(1, &major) < 0 || argint(2, &minor) < 0)
    return -1;
  if (major < 0 || major >= NDEV || minor < 0 || minor > SHORT_MAX)
    return -1;
  begin_op();
  if ((ip = create(path, T_DEVICE, major, minor)) == 0) {
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

/* chdir(path): makes the directory path the current directory. */
uint64
sys_chdir(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct proc *p = myproc();

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((ip = namei(path)) == 0) {
    end_op();
    return -1;
  }
  if (ilock(ip) < 0 || ip->type != T_DIR) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

/* Frees the argument pages of a null-terminated argv. */
static void
free_argv(char **argv)
{
  for (int i = 0; argv[i] != 0; i++)
    kfree(argv[i]);
}

/* Copies the user array of string pointers at uargv (null-terminated, at
 * most MAXARG strings) into argv, one kalloc'd page per string, and ends
 * argv with a null. Returns 0, or -1 (a bad address, too many strings, no
 * memory, or the caller was killed) with argv null-terminated at the pages
 * already taken (so free_argv releases them). */
static int
fetch_argv(uint64 uargv, char **argv)
{
  uint64 uarg;

  for (int i = 0;; i++) {
    argv[i] = 0;
    if (killed(myproc()) || fetchaddr(uargv + i * sizeof(uint64), &uarg) < 0)
      return -1;
    if (uarg == 0)
      return 0;
    if (i >= MAXARG || (argv[i] = kalloc()) == 0)
      return -1;
    argv[i + 1] = 0;
    if (fetchstr(uarg, argv[i], PGSIZE) < 0)
      return -1;
  }
}

/* exec(path, argv): replaces the calling process's image. */
uint64
sys_exec(void)
{
  char path[MAXPATH];
  char *argv[MAXARG + 1];
  uint64 uargv;
  int r = -1;

  if (argstr(0, path, MAXPATH) < 0 || argaddr(1, &uargv) < 0)
    return -1;
  if (fetch_argv(uargv, argv) == 0)
    r = exec(path, argv);
  free_argv(argv);
  return r;
}

/* Undoes a half-built pipe: clears the descriptors that were taken (fd >= 0)
 * and closes both files. */
static void
pipe_undo(struct file *rf, struct file *wf, int fd0, int fd1)
{
  struct proc *p = myproc();

  if (fd0 >= 0)
    p->ofile[fd0] = 0;
  if (fd1 >= 0)
    p->ofile[fd1] = 0;
  fileclose(rf);
  fileclose(wf);
}

/* pipe(fds): stores the read fd in fds[0] and the write fd in fds[1]. */
uint64
sys_pipe(void)
{
  struct proc *p = myproc();
  struct file *rf, *wf;
  uint64 fdarray;
  int fd0, fd1 = -1;

  if (argaddr(0, &fdarray) < 0 || file_pipe(&rf, &wf) < 0)
    return -1;
  if ((fd0 = fdalloc(rf)) < 0 || (fd1 = fdalloc(wf)) < 0 ||
      copyout(p->as, fdarray, (char *)&fd0, sizeof(fd0)) < 0 ||
      copyout(p->as, fdarray + sizeof(fd0), (char *)&fd1, sizeof(fd1)) < 0) {
    pipe_undo(rf, wf, fd0, fd1);
    return -1;
  }
  return 0;
}

/* The PTE bits of mmap's prot (W and X imply R: RISC-V has no write-only
 * pages). */
static int
prot_bits(int prot)
{
  int bits = 0;
  if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC))
    bits |= PTE_R;
  if (prot & PROT_WRITE)
    bits |= PTE_W;
  if (prot & PROT_EXEC)
    bits |= PTE_X;
  return bits;
}

/* mmap(addr, len, prot, flags, fd, off): map len bytes of the regular file
 * fd from offset off (page-aligned), at addr (page-aligned and free) or,
 * for 0, where the kernel picks. MAP_SHARED: stores reach the file (then fd
 * must be open for writing if prot has PROT_WRITE); MAP_PRIVATE: stores
 * stay in the process. Pages come in on first touch. Returns the address,
 * or -1 (MAP_FAILED) for bad arguments, changing nothing. */
uint64
sys_mmap(void)
{
  uint64 addr, len, off;
  int prot, flags;
  struct file *f;

  argaddr(0, &addr);
  arglong(1, &len);
  argint(2, &prot);
  argint(3, &flags);
  arglong(5, &off);
  if (argfd(4, 0, &f) < 0 || f->type != FD_INODE || f->ip->type != T_FILE)
    return -1;
  if ((flags != MAP_SHARED && flags != MAP_PRIVATE) ||
      (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
    return -1;
  if (!f->readable || (flags == MAP_SHARED && (prot & PROT_WRITE) && !f->writable))
    return -1;
  if ((long)off < 0)
    return -1;
  return as_mmap(myproc()->as, addr, len, prot_bits(prot), flags == MAP_SHARED, f->ip, off);
}

/* munmap(addr, len): unmap the pages of [addr, addr+len) (addr
 * page-aligned), which may hold only mapped files (and gaps); stores to
 * shared pages reach the file first. Returns 0 or -1. */
uint64
sys_munmap(void)
{
  uint64 addr, len;
  argaddr(0, &addr);
  arglong(1, &len);
  return as_munmap(myproc()->as, addr, len);
}
