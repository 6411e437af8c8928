/* echo.c: print the arguments, separated by blanks, and a newline. */
#include "kernel/types.h"
#include "user/user.h"

/* Write n bytes of s to fd 1, or exit 1 saying so (a full disk, say). */
static void
put(const char *s, int n)
{
  if (write(1, s, n) != n) {
    fprintf(2, "echo: write error\n");
    exit(1);
  }
}

/* echo [word...]: exits 0, or 1 if the output could not be written. */
int
main(int argc, char *argv[])
{
  for (int i = 1; i < argc; i++) {
    put(argv[i], strlen(argv[i]));
    put(i + 1 < argc ? " " : "\n", 1);
  }
  if (argc < 2)
    put("\n", 1);
  exit(0);
}
