/* string.h: memory and string helpers (string.c), and NELEM. */
#ifndef CALF_STRING_H
#define CALF_STRING_H

#include "kernel/types.h"

void *memset(void *dst, int c, uint64 n);
void *memmove(void *dst, const void *src, uint64 n);
void *memcpy(void *dst, const void *src, uint64 n);
int strncmp(const char *p, const char *q, uint n);
char *strncpy(char *s, const char *t, int n);
char *safestrcpy(char *s, const char *t, int n);
int strlen(const char *s);

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))
#endif
