/* init.c: the first user process.
 *
 * Opens the console as fds 0, 1 and 2, then looks at the kernel's boot
 * arguments (the device tree's /chosen bootargs, set by `make qemu RUN=...`):
 *   empty     interactive: run sh, and run it again whenever it exits; if
 *             sh cannot be run at all (no sh on the disk), say so once, with
 *             the way back to a good image, and retry every RETRY_TICKS;
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
#include "kernel/elf.h"
#include "user/user.h"

#define CMDMAX      512
#define NO_SH       127  /* exit status of a child whose exec of sh failed */
#define RETRY_TICKS 1000 /* 10 s between tries to run a missing sh */

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

/* Start sh with argv in a child. Returns the child's pid, or -1. A child
 * that cannot exec sh exits with status NO_SH, saying nothing: init tells. */
static int
spawn_sh(char **argv)
{
  int pid = fork();

  if (pid == 0) {
    exec("sh", argv);
    exit(NO_SH);
  }
  return pid;
}

/* Why /sh cannot be run: "there is no /sh on the disk", "/sh is not a
 * program" (no ELF header), or 0 if it looks runnable. */
static const char *
sh_missing(void)
{
  uint magic = 0;
  int fd = open("sh", O_RDONLY), n;

  if (fd < 0)
    return "there is no /sh on the disk";
  n = read(fd, &magic, sizeof(magic));
  close(fd);
  if (n != sizeof(magic) || magic != ELF_MAGIC)
    return "/sh is not a program";
  return 0;
}

/* If a child's status says its exec of sh failed and /sh is indeed missing
 * or no program, say so with the way back to a good image and return 1;
 * else return 0 (a sh that ran and exited NO_SH itself, say). */
static int
report_no_sh(int status)
{
  const char *why = status == NO_SH ? sh_missing() : 0;

  if (why == 0)
    return 0;
  fprintf(2, "init: cannot run sh: %s\n", why);
  fprintf(2, "init: the disk image has no working shell: rebuild it on the host with"
             " make fresh-fs (or rm fs.img; make qemu)\n");
  return 1;
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

/* Run sh forever, restarting it when it exits. While sh cannot be run,
 * report it once and try again every RETRY_TICKS, quietly. */
static void
interactive(void)
{
  char *argv[] = {"sh", 0};
  int missing = 0;

  for (;;) {
    int pid, status;

    if (!missing)
      printf("init: starting sh\n");
    pid = spawn_sh(argv);
    if (pid < 0) {
      fprintf(2, "init: fork failed\n");
      sleep(10);
      continue;
    }
    status = wait_for(pid);
    missing = status == NO_SH && (missing || report_no_sh(status));
    if (missing)
      sleep(RETRY_TICKS);
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
  report_no_sh(status);
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
