/* cat.c: copy files (or the standard input) to the standard output. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[512];

/* Copy everything readable from fd to fd 1. Exits with status 1 on a read
 * or write error. */
static void
copy_out(int fd)
{
  int n;

  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    if (write(1, buf, n) != n) {
      fprintf(2, "cat: write error\n");
      exit(1);
    }
  }
  if (n < 0) {
    fprintf(2, "cat: read error\n");
    exit(1);
  }
}

/* Copy the file at path to fd 1. Returns 0, or 1 (having said why) if it
 * cannot be opened or is a directory. */
static int
cat_file(const char *path)
{
  struct stat st;
  int fd = open(path, O_RDONLY);

  if (fd < 0) {
    fprintf(2, "cat: %s: %s\n", path, path_error(path, O_RDONLY));
    return 1;
  }
  if (fstat(fd, &st) == 0 && st.type == T_DIR) {
    fprintf(2, "cat: %s: is a directory\n", path);
    close(fd);
    return 1;
  }
  copy_out(fd);
  close(fd);
  return 0;
}

/* cat [file...]: copies every file it can; exits 0, or 1 if a file cannot
 * be opened or is a directory, or on a read or write error (which stops it). */
int
main(int argc, char *argv[])
{
  int status = 0;

  if (argc < 2) {
    copy_out(0);
    exit(0);
  }
  for (int i = 1; i < argc; i++)
    status |= cat_file(argv[i]);
  exit(status);
}
