/* zombie.c: leave a zombie behind: the child exits while its parent sleeps,
 * and the parent exits without waiting, so init must reap it. */
#include "kernel/types.h"
#include "user/user.h"

/* Exits 0; the child exits first and stays a zombie until init reaps it. */
int
main(void)
{
  if (fork() > 0)
    sleep(5);
  exit(0);
}
