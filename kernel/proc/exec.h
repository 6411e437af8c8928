/* exec.h: running a program (exec.c). */
#ifndef CALF_EXEC_H
#define CALF_EXEC_H

int exec(char *path, char **argv);
#endif
