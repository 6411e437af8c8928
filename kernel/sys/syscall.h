/* syscall.h: system call dispatch (syscall.c); the numbers are
 * kernel/syscall.h's. */
#ifndef CALF_SYS_SYSCALL_H
#define CALF_SYS_SYSCALL_H

void syscall(void);

#endif
