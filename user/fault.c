/* fault: make a bad memory access on purpose, to watch the kernel kill the
 * process with a message while everything else goes on.
 *   fault read ADDR | fault write ADDR | fault text   (ADDR in hex or decimal) */
#include "kernel/types.h"
#include "user/user.h"

static uint64
parse(const char *s)
{
  uint64 v = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (s += 2; *s; s++)
      v = v * 16 + (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
    return v;
  }
  return atoi(s);
}

int
main(int argc, char *argv[])
{
  if (argc == 2 && strcmp(argv[1], "text") == 0) {
    *(volatile char *)main = 0;
  } else if (argc == 3 && strcmp(argv[1], "read") == 0) {
    printf("read 0x%x\n", *(volatile char *)parse(argv[2]));
  } else if (argc == 3 && strcmp(argv[1], "write") == 0) {
    *(volatile char *)parse(argv[2]) = 1;
  } else {
    fprintf(2, "usage: fault read ADDR | fault write ADDR | fault text\n");
    exit(2);
  }
  printf("fault: survived\n");
  exit(1);
}
