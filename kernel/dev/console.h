/* console.h: the console device and its line discipline (console.c). */
#ifndef CALF_CONSOLE_H
#define CALF_CONSOLE_H

#include "kernel/types.h"

void consoleinit(void);
void consoleintr(void);
int consoleread(int user_dst, uint64 dst, int n);
int consolewrite(int user_src, uint64 src, int n);
void console_foreground(int pid);
#endif
