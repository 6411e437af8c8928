/* plic.h: the platform-level interrupt controller (plic.c). */
#ifndef CALF_PLIC_H
#define CALF_PLIC_H

void plicinit(void);
void plicinithart(void);
int plic_claim(void);
void plic_complete(int irq);
#endif
