/* benchnop.c: the tiny program forkbench execs to time fork + exec: it
 * exits at once with status 0. */
#include "kernel/types.h"
#include "user/user.h"

/* Exit 0 without doing anything. */
int
main(void)
{
  exit(0);
}
