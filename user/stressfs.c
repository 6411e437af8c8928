/* stressfs.c: several processes write, read back and remove their own
 * files at the same time, to exercise the file system's locking and log. */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define NWRITER 4
#define NCHUNK  20  /* chunks per file */
#define CHUNK   512 /* bytes per chunk */

static char chunk[CHUNK];

/* Write NCHUNK chunks of byte c to name, read them back and check them,
 * then remove the file. Returns 0, or -1 on any failure. */
static int
exercise(const char *name, char c)
{
  int fd, i, bad = 0;

  memset(chunk, c, CHUNK);
  fd = open(name, O_CREATE | O_RDWR);
  if (fd < 0)
    return -1;
  for (i = 0; i < NCHUNK; i++)
    if (write(fd, chunk, CHUNK) != CHUNK)
      bad = 1;
  close(fd);
  fd = open(name, O_RDONLY);
  if (fd < 0)
    return -1;
  for (i = 0; i < NCHUNK && !bad; i++) {
    memset(chunk, 0, CHUNK);
    if (read(fd, chunk, CHUNK) != CHUNK)
      bad = 1;
    for (int j = 0; j < CHUNK && !bad; j++)
      if (chunk[j] != c)
        bad = 1;
  }
  close(fd);
  if (unlink(name) < 0)
    bad = 1;
  return bad ? -1 : 0;
}

/* Prints "stressfs ok" and exits 0 if every writer succeeded, else exits 1. */
int
main(void)
{
  char name[] = "stressfs0";
  int failed = 0, status;

  printf("stressfs starting %d writers\n", NWRITER);
  for (int i = 0; i < NWRITER; i++) {
    int pid = fork();

    if (pid < 0) {
      printf("stressfs: fork failed\n");
      failed = 1;
      break;
    }
    if (pid == 0) {
      name[8] = '0' + i;
      exit(exercise(name, 'a' + i) < 0 ? 1 : 0);
    }
  }
  while (wait(&status) >= 0)
    if (status != 0)
      failed = 1;
  if (failed) {
    printf("stressfs FAILED\n");
    exit(1);
  }
  printf("stressfs ok\n");
  exit(0);
}
