/* crashtest: a stream of file writes to crash in the middle of, and the
 * check that runs after the reboot.
 *   crashtest write   forever: write tmp, then link it to fileN and unlink
 *                     tmp, so fileN is either complete or absent
 *   crashtest check   every fileN present holds exactly its contents */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "user/user.h"

#define FILESIZE 2500 /* fits one file-system transaction */

static char buf[FILESIZE];

static void
fill(int n)
{
  for (int i = 0; i < FILESIZE; i++)
    buf[i] = 'a' + (n + i) % 26;
}

static void
name(char *dst, const char *prefix, int n)
{
  strcpy(dst, prefix);
  char *p = dst + strlen(dst);
  char digits[12];
  int k = 0;
  do {
    digits[k++] = '0' + n % 10;
    n /= 10;
  } while (n);
  while (k)
    *p++ = digits[--k];
  *p = 0;
}

static void
writer(void)
{
  char tmp[32], final[32];
  for (int n = 0;; n++) {
    name(tmp, "ctmp", n);
    name(final, "cfile", n);
    fill(n);
    int fd = open(tmp, O_CREATE | O_WRONLY | O_TRUNC);
    if (fd < 0 || write(fd, buf, FILESIZE) != FILESIZE) {
      printf("crashtest: write %s failed\n", tmp);
      exit(1);
    }
    close(fd);
    if (link(tmp, final) < 0 || unlink(tmp) < 0) {
      printf("crashtest: rename %s failed\n", tmp);
      exit(1);
    }
    printf("crashtest: wrote %s\n", final);
  }
}

static int
checker(void)
{
  char final[32], got[FILESIZE + 1];
  int present = 0, bad = 0, missing = 0;
  for (int n = 0; missing < 50; n++) {
    name(final, "cfile", n);
    int fd = open(final, O_RDONLY);
    if (fd < 0) {
      missing++;
      continue;
    }
    fill(n);
    int r = read(fd, got, sizeof(got));
    close(fd);
    if (r != FILESIZE || memcmp(got, buf, FILESIZE) != 0) {
      printf("crashtest: %s is damaged (%d bytes)\n", final, r);
      bad++;
    }
    present++;
  }
  printf("crashtest: %d complete files, %d damaged\n", present - bad, bad);
  return bad == 0 && present > 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
  if (argc == 2 && strcmp(argv[1], "write") == 0)
    writer();
  if (argc == 2 && strcmp(argv[1], "check") == 0)
    exit(checker());
  fprintf(2, "usage: crashtest write | crashtest check\n");
  exit(2);
}
