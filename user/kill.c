/* kill.c: kill the processes whose pids are given, or with -t whole process
 * trees: a job that `&` started, pipeline and children included. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/procinfo.h"
#include "user/user.h"

#define INIT_PID 1 /* the kernel refuses to kill init */

/* Kill pid, and with tree every process descended from it as the process
 * table shows them now (procinfo). Returns 0, or 1 having said why not. */
static int
kill_pid(int pid, int tree)
{
  static struct procinfo procs[NPROC];
  int victims[NPROC + 1], nvictims = 1, nprocs = 0, grew = 1;

  if (pid == INIT_PID) {
    fprintf(2, "kill: %d: init cannot be killed\n", pid);
    return 1;
  }
  victims[0] = pid;
  while (tree && nprocs < NPROC && procinfo(nprocs, &procs[nprocs]) == 0)
    nprocs++;
  while (grew) { /* add the children of victims until none is new */
    grew = 0;
    for (int i = 0; i < nprocs; i++) {
      int is_victim = 0, parent_is = 0;

      for (int j = 0; j < nvictims; j++) {
        is_victim |= victims[j] == procs[i].pid;
        parent_is |= victims[j] == procs[i].ppid;
      }
      if (parent_is && !is_victim && procs[i].pid != INIT_PID) {
        victims[nvictims++] = procs[i].pid;
        grew = 1;
      }
    }
  }
  if (kill(pid) < 0) {
    fprintf(2, "kill: %d: no such process\n", pid);
    return 1;
  }
  for (int j = 1; j < nvictims; j++)
    kill(victims[j]); /* one may have exited meanwhile: not an error */
  return 0;
}

/* kill [-t] pid...: exits 0, or 1 if any pid could not be killed. */
int
main(int argc, char *argv[])
{
  int status = 0, tree = argc > 1 && strcmp(argv[1], "-t") == 0;

  if (argc < 2 + tree) {
    fprintf(2, "usage: kill [-t] pid...   (-t: and every process it started)\n");
    exit(1);
  }
  for (int i = 1 + tree; i < argc; i++) {
    int pid = atoi(argv[i]);

    if (pid <= 0 || argv[i][0] == '-') {
      fprintf(2, "kill: %s: not a pid\n", argv[i]);
      status = 1;
      continue;
    }
    status |= kill_pid(pid, tree);
  }
  exit(status);
}
