/* pipe.h: pipes (pipe.c). */
#ifndef CALF_PIPE_H
#define CALF_PIPE_H

#include "kernel/types.h"

struct pipe;

struct pipe *pipe_create(void);
void pipeclose(struct pipe *pi, int writable);
int piperead(struct pipe *pi, uint64 addr, int n);
int pipewrite(struct pipe *pi, uint64 addr, int n);
#endif
