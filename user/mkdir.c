/* mkdir.c: create directories. */
#include "kernel/types.h"
#include "user/user.h"

/* mkdir dir...: stops at and exits 1 on the first directory it cannot
 * create, saying why (it exists, its parent is missing, ...). */
int
main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(2, "usage: mkdir dir...\n");
    exit(1);
  }
  for (int i = 1; i < argc; i++) {
    if (mkdir(argv[i]) < 0) {
      fprintf(2, "mkdir: %s: %s\n", argv[i], path_error(argv[i], PATH_MKDIR));
      exit(1);
    }
  }
  exit(0);
}
