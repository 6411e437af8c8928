/* console.h: the console device and its line discipline (console.c). */
#ifndef CALF_CONSOLE_H
#define CALF_CONSOLE_H

void consoleinit(void);
void consoleintr(int c);
void consputc(int c);
void console_foreground(int pid);
#endif
