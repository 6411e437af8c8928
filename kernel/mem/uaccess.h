/* uaccess.h: copies to and from the running process's memory, or kernel
 * memory, as the caller says (uaccess.c): for code that serves both, the
 * console and the file system. */
#ifndef CALF_UACCESS_H
#define CALF_UACCESS_H

#include "kernel/types.h"

int either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);

#endif
