/* conout.h: polled console output (conout.c). */
#ifndef CALF_CONOUT_H
#define CALF_CONOUT_H

void conout_putc(int c);

#endif
