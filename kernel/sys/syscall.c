/* syscall.c: system call dispatch. The number arrives in a7 of the
 * trapframe, the arguments in a0-a5 (sysarg.c reads them); the result goes
 * back in a0. */
#include "kernel/types.h"
#include "kernel/proc/proc.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/sys/syscall.h"
#include "kernel/syscall.h"

extern uint64 sys_fork(void), sys_exit(void), sys_wait(void), sys_pipe(void), sys_read(void),
    sys_kill(void), sys_exec(void), sys_fstat(void), sys_chdir(void), sys_dup(void),
    sys_getpid(void), sys_sbrk(void), sys_pause(void), sys_uptime(void), sys_open(void),
    sys_write(void), sys_mknod(void), sys_unlink(void), sys_link(void), sys_mkdir(void),
    sys_close(void), sys_freeframes(void), sys_vfork(void), sys_memstat(void), sys_vmquery(void),
    sys_bootargs(void), sys_poweroff(void), sys_cowctl(void), sys_vmregions(void),
    sys_memcheck(void), sys_mmap(void), sys_munmap(void), sys_setfg(void), sys_procinfo(void);

static uint64 (*syscalls[])(void) = {
    [SYS_fork] = sys_fork,           [SYS_exit] = sys_exit,
    [SYS_wait] = sys_wait,           [SYS_pipe] = sys_pipe,
    [SYS_read] = sys_read,           [SYS_kill] = sys_kill,
    [SYS_exec] = sys_exec,           [SYS_fstat] = sys_fstat,
    [SYS_chdir] = sys_chdir,         [SYS_dup] = sys_dup,
    [SYS_getpid] = sys_getpid,       [SYS_sbrk] = sys_sbrk,
    [SYS_pause] = sys_pause,         [SYS_uptime] = sys_uptime,
    [SYS_open] = sys_open,           [SYS_write] = sys_write,
    [SYS_mknod] = sys_mknod,         [SYS_unlink] = sys_unlink,
    [SYS_link] = sys_link,           [SYS_mkdir] = sys_mkdir,
    [SYS_close] = sys_close,         [SYS_freeframes] = sys_freeframes,
    [SYS_vfork] = sys_vfork,         [SYS_memstat] = sys_memstat,
    [SYS_vmquery] = sys_vmquery,     [SYS_bootargs] = sys_bootargs,
    [SYS_poweroff] = sys_poweroff,   [SYS_cowctl] = sys_cowctl,
    [SYS_vmregions] = sys_vmregions, [SYS_memcheck] = sys_memcheck,
    [SYS_mmap] = sys_mmap,           [SYS_munmap] = sys_munmap,
    [SYS_setfg] = sys_setfg,         [SYS_procinfo] = sys_procinfo,
};

/* Run the system call the current process asked for. */
void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if (num > 0 && num < NELEM(syscalls) && syscalls[num]) {
    p->trapframe->a0 = syscalls[num]();
  } else {
    printf("pid %d %s: unknown system call %ld\n", p->pid, p->name, (long)num);
    p->trapframe->a0 = -1;
  }
}
