/* init.c: the first user process.
 *
 * Opens the console as fds 0, 1 and 2, then looks at the kernel's boot
 * arguments (the device tree's /chosen bootargs, set by `make qemu RUN=...`):
 *   empty     interactive: run sh, and run it again whenever it exits;
 *   non-empty scripted: print "init: running: CMD", run sh -c "CMD", print
 *             "init: exit status N" and power the machine off with N.
 * Orphans are re-parented to init; every wait here reaps them too. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define CMDMAX 512

static char cmd[CMDMAX];

/* Make "console" fds 0, 1 and 2, creating the device node on first boot.
 * Returns 0, or -1 if the console cannot be opened. */
static int
open_console(void)
{
  if (open("console", O_RDWR) < 0) {
    mknod("console", CONSOLE, 0);
    if (open("console", O_RDWR) < 0)
      return -1;
  }
  dup(0);
  dup(0);
  return 0;
}

/* Start sh with argv in a child. Returns the child's pid, or -1. */
static int
spawn_sh(char **argv)
{
  int pid = fork();

  if (pid == 0) {
    exec("sh", argv);
    fprintf(2, "init: exec sh failed\n");
    exit(1);
  }
  return pid;
}

/* Wait until child pid exits, reaping any orphans that exit meanwhile.
 * Returns pid's exit status, or -1 if init has no children left. */
static int
wait_for(int pid)
{
  int status, w;

  do {
    status = 0;
    w = wait(&status);
    if (w < 0)
      return -1;
  } while (w != pid);
  return status;
}

/* Run sh forever, restarting it when it exits. */
static void
interactive(void)
{
  char *argv[] = {"sh", 0};

  for (;;) {
    int pid;

    printf("init: starting sh\n");
    pid = spawn_sh(argv);
    if (pid < 0) {
      fprintf(2, "init: fork failed\n");
      sleep(10);
      continue;
    }
    wait_for(pid);
  }
}

/* Run sh -c line once and power off with its exit status. Returns only if
 * the kernel cannot power off. */
static void
scripted(char *line)
{
  char *argv[] = {"sh", "-c", line, 0};
  int pid, status;

  printf("init: running: %s\n", line);
  pid = spawn_sh(argv);
  status = pid < 0 ? -1 : wait_for(pid);
  printf("init: exit status %d\n", status);
  poweroff(status);
  fprintf(2, "init: poweroff failed\n");
}

/* Never returns in interactive mode; scripted runs end in poweroff. */
int
main(void)
{
  if (open_console() < 0)
    exit(1);
  if (bootargs(cmd, sizeof(cmd)) > 0 && cmd[0] != 0)
    scripted(cmd);
  interactive();
  return 0;
}
