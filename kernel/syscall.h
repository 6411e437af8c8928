/* syscall.h: system call numbers. 1-21 are xv6-riscv's, unchanged; calf's own follow. */
#ifndef CALF_SYSCALL_H
#define CALF_SYSCALL_H

#define SYS_fork       1
#define SYS_exit       2
#define SYS_wait       3
#define SYS_pipe       4
#define SYS_read       5
#define SYS_kill       6
#define SYS_exec       7
#define SYS_fstat      8
#define SYS_chdir      9
#define SYS_dup        10
#define SYS_getpid     11
#define SYS_sbrk       12
#define SYS_pause      13
#define SYS_sleep      SYS_pause
#define SYS_uptime     14
#define SYS_open       15
#define SYS_write      16
#define SYS_mknod      17
#define SYS_unlink     18
#define SYS_link       19
#define SYS_mkdir      20
#define SYS_close      21
#define SYS_freeframes 22 /* number of free physical frames */
#define SYS_vfork      23 /* fork sharing the address space; parent waits */
#define SYS_memstat    24 /* memory counters, global or for one pid */
#define SYS_vmquery    25 /* frame, refcount and flags behind a virtual address */
#define SYS_bootargs   26 /* copy the device tree's /chosen bootargs */
#define SYS_poweroff   27 /* turn the machine off with a status */
#define SYS_cowctl     28 /* switch fork's stack-page shortcut on or off */
#define SYS_vmregions  29 /* the regions of an address space */
#define SYS_memcheck   30 /* check every user frame's reference count */
#define SYS_mmap       31 /* map a file into memory */
#define SYS_munmap     32 /* unmap it */
#define SYS_setfg      33 /* name the console's foreground, or read it raw */
#define SYS_procinfo   34 /* pid, parent, state and name of the i'th process */

#endif
