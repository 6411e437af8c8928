/* mkswap.c: make a swap disk for calf: a file of the given size, empty
 * (sparse where the host allows) but for the signature in its first page
 * that tells the kernel it may swap there (kernel/mem/swap.h, SWAP_MAGIC).
 *
 *   mkswap FILE SIZE      SIZE in bytes, or with a suffix K, M or G
 *
 * A host program, so that make needs no dd or truncate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/mem/swap.h"

/* SIZE as bytes, or 0 if it is malformed. */
static unsigned long long
parse_size(const char *s)
{
  char *end;
  unsigned long long n = strtoull(s, &end, 10);
  switch (*end) {
  case 'K':
    n <<= 10;
    end++;
    break;
  case 'M':
    n <<= 20;
    end++;
    break;
  case 'G':
    n <<= 30;
    end++;
    break;
  }
  return *end == 0 ? n : 0;
}

int
main(int argc, char **argv)
{
  unsigned long long size = argc == 3 ? parse_size(argv[2]) : 0;
  if (size < 2 * 4096) {
    fprintf(stderr, "usage: mkswap FILE SIZE (at least 8K: the signature's page and one slot)\n");
    return 1;
  }
  int fd = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  if (write(fd, SWAP_MAGIC, strlen(SWAP_MAGIC)) != (ssize_t)strlen(SWAP_MAGIC) ||
      ftruncate(fd, (off_t)size) != 0 || close(fd) != 0) {
    perror(argv[1]);
    return 1;
  }
  return 0;
}
