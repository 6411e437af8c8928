/* ls.c: list files: for each, "name type inode size", with the name padded
 * to DIRSIZ columns. A directory argument lists the directory's entries. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "user/user.h"

/* The last component of path, blank-padded to DIRSIZ characters (longer
 * names are returned whole). The result lives until the next call. */
static char *
display_name(char *path)
{
  static char padded[DIRSIZ + 1];
  char *base = path + strlen(path);
  uint len;

  while (base > path && base[-1] != '/')
    base--;
  len = strlen(base);
  if (len >= DIRSIZ)
    return base;
  memmove(padded, base, len);
  memset(padded + len, ' ', DIRSIZ - len);
  padded[DIRSIZ] = 0;
  return padded;
}

/* Print one line describing path, whose status is st. */
static void
show(char *path, struct stat *st)
{
  printf("%s %d %u %lu\n", display_name(path), st->type, st->ino, st->size);
}

/* List the entries of the directory open as fd, whose name is path. */
static void
list_dir(int fd, char *path)
{
  char buf[MAXPATH + DIRSIZ + 2];
  struct dirent de;
  struct stat st;
  char *name;

  if (strlen(path) + 1 + DIRSIZ + 1 > sizeof(buf)) {
    fprintf(2, "ls: path too long\n");
    return;
  }
  strcpy(buf, path);
  name = buf + strlen(buf);
  *name++ = '/';
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    if (stat(buf, &st) < 0) {
      fprintf(2, "ls: cannot stat %s\n", buf);
      continue;
    }
    show(buf, &st);
  }
}

/* List path: a line for a file or device, the entries for a directory. */
static void
ls(char *path)
{
  struct stat st;
  int fd = open(path, O_RDONLY);

  if (fd < 0) {
    fprintf(2, "ls: cannot open %s\n", path);
    return;
  }
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: cannot stat %s\n", path);
  } else if (st.type == T_DIR) {
    list_dir(fd, path);
  } else {
    show(path, &st);
  }
  close(fd);
}

/* ls [path...]: lists "." when given no path; always exits 0. */
int
main(int argc, char *argv[])
{
  if (argc < 2)
    ls(".");
  for (int i = 1; i < argc; i++)
    ls(argv[i]);
  exit(0);
}
