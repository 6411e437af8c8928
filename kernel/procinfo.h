/* procinfo.h: what the procinfo system call reports about one process
 * (sysproc.c, filled in by proc.c's proc_info). Shared by the kernel and
 * user programs (ps). */
#ifndef CALF_PROCINFO_H
#define CALF_PROCINFO_H

struct procinfo {
  int pid;
  int ppid;      /* the parent's pid; 0 for init */
  char state[8]; /* "used", "sleep", "runble", "run" or "zombie" */
  char name[16]; /* the program's name, NUL-terminated */
};

#endif
