/* trap.h: traps and interrupts (trap.c). */
#ifndef CALF_TRAP_H
#define CALF_TRAP_H

#include "kernel/types.h"

void trapinit(void);
void trapinithart(void);
#endif
