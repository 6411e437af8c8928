/* rm.c: remove names from the file system. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

/* Why unlink(path) failed, as far as a program can tell afterwards. */
static const char *
why_not_removed(const char *path)
{
  struct stat st;

  if (stat(path, &st) < 0)
    return path_error(path, O_RDONLY);
  if (st.type == T_DIR)
    return "a directory that is not empty (or . or ..)";
  return "cannot be removed";
}

/* rm file...: stops at and exits 1 on the first name it cannot remove,
 * saying why. */
int
main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(2, "usage: rm file...\n");
    exit(1);
  }
  for (int i = 1; i < argc; i++) {
    if (unlink(argv[i]) < 0) {
      fprintf(2, "rm: %s: %s\n", argv[i], why_not_removed(argv[i]));
      exit(1);
    }
  }
  exit(0);
}
