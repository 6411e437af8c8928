/* exec.h: running a program, and the first process, which runs /init
 * (exec.c). */
#ifndef CALF_EXEC_H
#define CALF_EXEC_H

int exec(char *path, char **argv);
void userinit(void);
#endif
