/* usys.S: the system call stubs of the user library.
 *
 * ABI: call number in a7, arguments already in a0..a5 (the C calling
 * convention put them there), ecall, result in a0. Each stub is a leaf that
 * touches no stack, so vfork's child may return through it safely.
 * __sys_sbrk is internal: ulib.c wraps it as sbrk and sbrklazy. */
#include "kernel/syscall.h"

.macro syscall name, number
  .text
  .globl \name
  .type \name, @function
  .align 2
\name:
  li a7, \number
  ecall
  ret
  .size \name, . - \name
.endm

syscall fork, SYS_fork
syscall exit, SYS_exit
syscall wait, SYS_wait
syscall pipe, SYS_pipe
syscall read, SYS_read
syscall write, SYS_write
syscall close, SYS_close
syscall kill, SYS_kill
syscall exec, SYS_exec
syscall open, SYS_open
syscall mknod, SYS_mknod
syscall unlink, SYS_unlink
syscall fstat, SYS_fstat
syscall link, SYS_link
syscall mkdir, SYS_mkdir
syscall chdir, SYS_chdir
syscall dup, SYS_dup
syscall getpid, SYS_getpid
syscall __sys_sbrk, SYS_sbrk
syscall pause, SYS_pause
syscall sleep, SYS_pause
syscall uptime, SYS_uptime
syscall freeframes, SYS_freeframes
syscall vfork, SYS_vfork
syscall bootargs, SYS_bootargs
syscall poweroff, SYS_poweroff
syscall memstat, SYS_memstat
syscall vmquery, SYS_vmquery
syscall cowctl, SYS_cowctl
syscall vmregions, SYS_vmregions
syscall memcheck, SYS_memcheck
syscall mmap, SYS_mmap
syscall munmap, SYS_munmap
syscall setfg, SYS_setfg
syscall procinfo, SYS_procinfo
