/* proc.h: a process's life: its birth (allocproc, fork, vfork), its memory
 * (growproc), its end (exit, wait) and its way back to user mode
 * (usertrapret). The table and the scheduler are sched.h's. */
#ifndef CALF_PROC_H
#define CALF_PROC_H

#include "kernel/types.h"
#include "kernel/sched/sched.h"

struct procinfo;

/* How fork shares memory; cowctl switches both (memstat.h). */
extern int stack_shortcut; /* fork's stack-page shortcut */
extern int table_sharing;  /* fork's sharing of leaf page tables */

void procinit(void);
struct proc *allocproc(void);
int fork(void);
int vfork(void);
void vfork_release(struct proc *p);
void exit(int status) __attribute__((noreturn));
int wait(uint64 addr);
int growproc(int n, int lazy);
int oom_kill(struct proc *p);
int proc_info(int i, struct procinfo *pi);
void usertrapret(void) __attribute__((noreturn));

#endif
