/* forktest.c: fork until the process table is full, then reap every child.
 * Fork must fail before NPROC children exist (init and the shell hold
 * slots too), and wait must return each child exactly once. */
#include "kernel/types.h"
#include "kernel/param.h"
#include "user/user.h"

/* Fork children that exit at once until fork fails. Returns how many were
 * made; exits with status 1 if fork never fails. */
static int
fork_all(void)
{
  int n;

  for (n = 0; n < NPROC; n++) {
    int pid = fork();

    if (pid < 0)
      return n;
    if (pid == 0)
      exit(0);
  }
  printf("fork test: fork claimed to work %d times!\n", NPROC);
  exit(1);
}

/* Prints "fork test OK" and exits 0, or explains the failure and exits 1. */
int
main(void)
{
  int n;

  printf("fork test\n");
  n = fork_all();
  for (; n > 0; n--) {
    if (wait(0) < 0) {
      printf("fork test: wait stopped early\n");
      exit(1);
    }
  }
  if (wait(0) != -1) {
    printf("fork test: wait got too many\n");
    exit(1);
  }
  printf("fork test OK\n");
  exit(0);
}
