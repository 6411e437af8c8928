/* printf.h: the kernel's console output and panic (printf.c): with
 * spinlock.h, the core every layer may call. */
#ifndef CALF_PRINTF_H
#define CALF_PRINTF_H

#include "kernel/types.h"

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void printfinit(void);
void putc_sync(int c);
void stop_hart(void) __attribute__((noreturn));

/* panic: print msg and where, stop every hart. For kernel bugs only. */
void panic_at(const char *msg, const char *file, int line, uint64 caller) __attribute__((noreturn));
#define panic(msg) panic_at((msg), __FILE__, __LINE__, (uint64)__builtin_return_address(0))
#define KASSERT(e) ((e) ? (void)0 : panic("assertion failed: " #e))

extern volatile int panicked; /* set by panic(); other harts stop */
#endif
