/* uaccess.c: a copy to or from a user address of the running process, or a
 * kernel address, for the console and the file system, which serve both.
 * The one place memory code asks which process runs: the rest of mem/ is
 * handed the address space it works on. */
#include "kernel/types.h"
#include "kernel/sched/sched.h"
#include "kernel/mem/aspace.h"
#include "kernel/lib/string.h"
#include "kernel/mem/uaccess.h"

/* Copy to a user address (user_dst) or a kernel one. Returns 0 or -1. */
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if (user_dst)
    return copyout(myproc()->as, dst, src, len);
  memmove((void *)dst, src, len);
  return 0;
}

/* Copy from a user address (user_src) or a kernel one. Returns 0 or -1. */
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if (user_src)
    return copyin(myproc()->as, dst, src, len);
  memmove(dst, (void *)src, len);
  return 0;
}
